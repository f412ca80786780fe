//! `corral sandbox status|inspect|reset|serve` on a fresh working directory.

use std::io::BufRead;

use crate::support::Workdir;

#[test]
fn status_inspect_and_reset() {
    let w = Workdir::new();
    let status: serde_json::Value = serde_json::from_str(&w.ok(&["sandbox", "status", "--json"]).stdout).unwrap();
    assert_eq!(status["accounts"][0]["access_key"], corral_sandbox::DEFAULT_ACCESS_KEY);
    assert_eq!(status["accounts"][0]["quotas"]["vpcs"], 100);
    assert_eq!(w.ok(&["sandbox", "inspect", "--json"]).stdout.trim(), "[]");
    // An object made behind the API shows up in inspect.
    let dir = w.path().join(".corral/sandbox");
    corral_sandbox::with_tables(&dir, |tables, _| {
        tables.put(
            corral_sandbox::services::vpc::VPCS,
            "vpc-1",
            serde_json::json!({"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "State": "available"}),
        )
    })
    .unwrap();
    let views: serde_json::Value = serde_json::from_str(&w.ok(&["sandbox", "inspect", "--json"]).stdout).unwrap();
    assert_eq!(views[0]["service"], "vpc");
    assert_eq!(views[0]["type"], "vpc");
    assert_eq!(views[0]["id"], "vpc-1");
    assert_eq!(views[0]["state"], "available");
    assert!(w.ok(&["sandbox", "inspect"]).stdout.contains("vpc-1"));
    w.ok(&["sandbox", "reset"]);
    assert_eq!(w.ok(&["sandbox", "inspect", "--json"]).stdout.trim(), "[]");
}

#[test]
fn serve_records_its_endpoint_for_status() {
    let w = Workdir::new();
    let mut child =
        w.command(&["sandbox", "serve", "--addr", "127.0.0.1:0"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    // Kept open until the server is stopped, so its later lines have somewhere to go.
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
    output.read_line(&mut first).unwrap();
    let endpoint = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap().to_string();
    let status: serde_json::Value = serde_json::from_str(&w.ok(&["sandbox", "status", "--json"]).stdout).unwrap();
    assert_eq!(status["server"], serde_json::Value::String(endpoint));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(output);
}
