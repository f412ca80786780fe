//! The Huawei side of `corral sandbox serve`: MRS and IAM over REST with SDK-HMAC-SHA256
//! signatures, every MRS request authorized against IAM, as a client on the wire sees it.

use std::io::{BufRead, Read, Write};

use corral_api_mrs::sign;
use serde_json::{Value, json};

use crate::support::Workdir;

/// A Huawei-style client over plain HTTP/1.1 (one connection per request).
struct Huawei {
    host: String,
    access_key: String,
    secret_key: String,
}

impl Huawei {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let date = sign::sdk_date(chrono::Utc::now().timestamp());
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = sign::Request {
            method,
            path,
            query: "",
            headers: vec![("host", &self.host), ("x-sdk-date", &date)],
            body: text.as_bytes(),
        };
        let auth = sign::sign(&request, &["host", "x-sdk-date"], &self.access_key, &self.secret_key).unwrap();
        let mut stream = std::net::TcpStream::connect(&self.host).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nhost: {}\r\nx-sdk-date: {date}\r\nauthorization: {}\r\ncontent-type: \
             application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
            self.host,
            auth.header_value(),
            text.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer.split_whitespace().nth(1).unwrap().parse().unwrap();
        let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    }
}

fn cluster_body(name: &str) -> Value {
    json!({
        "cluster_version": "MRS 3.1.0", "cluster_name": name, "cluster_type": "ANALYSIS",
        "region": "cn-north-4", "availability_zone": "cn-north-4a", "vpc_name": "vpc-1", "subnet_id": "subnet-1",
        "components": "Hadoop,Spark2x,Hive", "safe_mode": "KERBEROS", "manager_admin_password": "Admin@12345",
        "login_mode": "PASSWORD", "node_root_password": "Root@12345",
        "node_groups": [
            {"group_name": "master_node_default_group", "node_num": 2, "node_size": "c6.2xlarge.4.linux.bigdata"},
            {"group_name": "core_node_analysis_group", "node_num": 3, "node_size": "c6.2xlarge.4.linux.bigdata"}
        ]
    })
}

#[test]
fn sandbox_serve_signs_authorizes_and_logs_mrs_requests() {
    let w = Workdir::new();
    let mut child =
        w.command(&["sandbox", "serve", "--addr", "127.0.0.1:0"]).stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
    output.read_line(&mut first).unwrap();
    let endpoint = first.split_whitespace().find(|w| w.starts_with("http://")).unwrap();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/').to_string();
    let admin = Huawei {
        host: host.clone(),
        access_key: corral_sandbox::DEFAULT_ACCESS_KEY.into(),
        secret_key: corral_sandbox::DEFAULT_SECRET_KEY.into(),
    };
    let (_, projects) = admin.call("GET", "/v3/projects", None);
    let project = projects["projects"][0]["id"].as_str().unwrap().to_string();

    // A wrong secret: 403 that says why.
    let wrong = Huawei { host: host.clone(), access_key: admin.access_key.clone(), secret_key: "not-it".into() };
    let (status, body) = wrong.call("GET", &format!("/v1.1/{project}/cluster_infos"), None);
    assert_eq!(status, 403, "{body}");
    assert!(body["error_msg"].as_str().unwrap().contains("signed with another secret key"), "{body}");

    // The account creates a cluster; `corral sandbox inspect` shows it starting.
    let (status, created) = admin.call("POST", &format!("/v2/{project}/clusters"), Some(cluster_body("analytics")));
    assert_eq!(status, 200, "{created}");

    // A read-only user is refused before the service, naming the action.
    let (_, user) = admin.call("POST", "/v3.0/OS-USER/users", Some(json!({"user": {"name": "auditor"}})));
    let user_id = user["user"]["id"].as_str().unwrap();
    let (_, group) = admin.call("POST", "/v3/groups", Some(json!({"group": {"name": "auditors"}})));
    let group_id = group["group"]["id"].as_str().unwrap();
    admin.call("PUT", &format!("/v3/groups/{group_id}/users/{user_id}"), None);
    admin.call("PUT", &format!("/v3/projects/{project}/groups/{group_id}/roles/sys-mrs-readonlyaccess"), None);
    let (_, key) =
        admin.call("POST", "/v3.0/OS-CREDENTIAL/credentials", Some(json!({"credential": {"user_id": user_id}})));
    let auditor = Huawei {
        host: host.clone(),
        access_key: key["credential"]["access"].as_str().unwrap().into(),
        secret_key: key["credential"]["secret"].as_str().unwrap().into(),
    };
    assert_eq!(auditor.call("GET", &format!("/v1.1/{project}/cluster_infos"), None).0, 200);
    let (status, body) = auditor.call("POST", &format!("/v2/{project}/clusters"), Some(cluster_body("sneaky")));
    assert_eq!(status, 403, "{body}");
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("`mrs:cluster:create`") && message.contains("MRS ReadOnlyAccess"), "{message}");

    let views: Value = serde_json::from_str(&w.ok(&["sandbox", "inspect", "--json"]).stdout).unwrap();
    let clusters: Vec<&Value> =
        views.as_array().unwrap().iter().filter(|v| v["service"] == "mrs" && v["type"] == "cluster").collect();
    assert_eq!(clusters.len(), 1, "{views}");
    assert_eq!(clusters[0]["state"], "starting");
    assert_eq!(clusters[0]["attributes"]["clusterName"], "analytics");

    let log = corral_sandbox::rest::request_log(&w.path().join(".corral/sandbox")).unwrap();
    let by_auditor: Vec<_> = log.iter().filter(|e| e.user == "auditor").collect();
    assert_eq!(by_auditor.len(), 2);
    assert!(by_auditor.iter().all(|e| !e.mutating || e.status == 403), "{by_auditor:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    drop(output);
}
