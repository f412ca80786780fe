//! What the sandbox exposes: its address (a public one needs keys of its own), replayed
//! requests (refused), and its files (owner-only whatever the umask).

use std::io::BufRead;

use crate::support::Workdir;

#[test]
fn serve_refuses_a_public_address_with_the_well_known_keys() {
    let w = Workdir::new();
    let out = w.corral(&["sandbox", "serve", "--addr", "0.0.0.0:0"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("refusing to serve the sandbox on 0.0.0.0:0"), "{out:?}");
    assert!(out.stderr.contains("--access-key") && out.stderr.contains("--insecure-public"), "{out:?}");
    // Half a key pair is refused by the argument parser.
    let out = w.corral(&["sandbox", "serve", "--addr", "0.0.0.0:0", "--access-key", "AKLTmine"]);
    assert_ne!(out.code, 0, "{out:?}");
}

/// Starts `corral sandbox serve` and returns it with its first line (the endpoint) read.
fn serve(w: &Workdir, args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String, std::process::ChildStderr) {
    let mut command = w.command(&[&["sandbox", "serve"][..], args].concat());
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    for _ in 0..4 {
        output.read_line(&mut text).unwrap();
    }
    // Keep stdout draining in the background so the server never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
    let stderr = child.stderr.take().unwrap();
    (child, text, stderr)
}

#[test]
fn serve_on_a_public_address_with_own_keys_or_insecure_public() {
    let w = Workdir::new();
    let (mut child, text, _stderr) =
        serve(&w, &["--addr", "0.0.0.0:0", "--access-key", "AKLTmine"], &[("CORRAL_SANDBOX_SECRET_KEY", "s3cret")]);
    assert!(text.contains("access key  AKLTmine"), "{text}");
    assert!(!text.contains("s3cret") && !text.contains("corral-sandbox-secret-key"), "{text}");
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut child, text, stderr) = serve(&w, &["--addr", "0.0.0.0:0", "--insecure-public"], &[]);
    assert!(text.contains("Sandbox serving at"), "{text}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut warning = String::new();
    std::io::BufReader::new(stderr).read_line(&mut warning).unwrap();
    assert!(warning.contains("anyone who can reach it"), "{warning}");
}

#[cfg(unix)]
#[test]
fn sandbox_files_are_owner_only_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workdir::new();
    let corral = env!("CARGO_BIN_EXE_corral");
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("umask 000 && exec '{corral}' sandbox status")])
        .current_dir(w.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mode = |rel: &str| std::fs::metadata(w.path().join(rel)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(".corral/sandbox"), 0o700);
    assert_eq!(mode(".corral/sandbox/sandbox.redb"), 0o600);
}
