//! Registry and git module sources, installed by `corral init` into `.corral/modules`: a
//! module registry served on 127.0.0.1 by the test (Terraform's protocol: service discovery,
//! versions, download with `X-Terraform-Get`, archives), and git repositories made with the git
//! CLI. Plans then use the installed code; a configuration whose modules are not installed
//! says to run `corral init` at the module block.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;

use crate::support::{Output, Workdir};

/// The module every version of the registry's `corral/net/testing` holds.
fn module_text(version: &str) -> String {
    format!(
        "variable \"name\" {{}}\nresource \"testing_thing\" \"t\" {{\n  name = \"${{var.name}}-v{version}\"\n}}\noutput \"name\" {{\n  value = testing_thing.t.name\n}}\n"
    )
}

#[derive(Default)]
struct Registry {
    /// Version → (archive file name, its bytes).
    versions: Mutex<BTreeMap<String, (String, Vec<u8>)>>,
    /// Requests for archives.
    downloads: AtomicUsize,
    /// Every request.
    requests: AtomicUsize,
    /// While set, archive downloads stall (an install that takes forever).
    stall: std::sync::atomic::AtomicBool,
}

impl Registry {
    /// Publishes `version`: a tar.gz whose files sit in a top directory (as a repository's
    /// archive has), or a zip without one.
    fn publish(&self, version: &str, zip: bool) {
        let text = module_text(version);
        let (name, bytes) = if zip {
            let mut buf = std::io::Cursor::new(Vec::new());
            let mut writer = zip::ZipWriter::new(&mut buf);
            writer.start_file("main.tf", zip::write::SimpleFileOptions::default()).unwrap();
            writer.write_all(text.as_bytes()).unwrap();
            writer.finish().unwrap();
            (format!("net-{version}.zip"), buf.into_inner())
        } else {
            let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            let mut tar = tar::Builder::new(gz);
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, format!("net-{version}/main.tf"), text.as_bytes()).unwrap();
            (format!("net-{version}.tar.gz"), tar.into_inner().unwrap().finish().unwrap())
        };
        self.versions.lock().unwrap().insert(version.to_string(), (name, bytes));
    }
}

/// A tar.gz whose second entry climbs out of the directory it is unpacked in.
fn hostile_archive() -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let text = module_text("6.6.6");
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "main.tf", text.as_bytes()).unwrap();
    // `append_data` refuses `..`; a hostile archive is written by hand.
    let evil = b"evil = true\n";
    let mut header = tar::Header::new_gnu();
    // From `.corral/modules/.installing-*/package`, four levels up is the configuration
    // directory.
    let name = b"../../../../escaped.tf";
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_size(evil.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append(&header, &evil[..]).unwrap();
    tar.into_inner().unwrap().finish().unwrap()
}

/// Serves `registry` on 127.0.0.1 for as long as the test runs; returns `host:port`.
fn serve(registry: Arc<Registry>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let app = axum::Router::new()
        .route("/.well-known/terraform.json", get(|| async { r#"{"modules.v1":"/registry/v1/modules/"}"# }))
        .route(
            "/registry/v1/modules/corral/net/testing/versions",
            get(|State(r): State<Arc<Registry>>| async move {
                r.requests.fetch_add(1, Ordering::SeqCst);
                let versions: Vec<_> =
                    r.versions.lock().unwrap().keys().map(|v| serde_json::json!({ "version": v })).collect();
                axum::Json(serde_json::json!({ "modules": [{ "versions": versions }] }))
            }),
        )
        .route(
            "/registry/v1/modules/corral/net/testing/{version}/download",
            get(|State(r): State<Arc<Registry>>, UrlPath(version): UrlPath<String>| async move {
                r.requests.fetch_add(1, Ordering::SeqCst);
                let mut headers = HeaderMap::new();
                let Some((name, _)) = r.versions.lock().unwrap().get(&version).cloned() else {
                    return (StatusCode::NOT_FOUND, headers);
                };
                // Relative to the download URL, as registries answer; a tar.gz's top directory
                // is named with `//*`.
                let location =
                    if name.ends_with(".zip") { format!("/archives/{name}") } else { format!("/archives/{name}//*") };
                headers.insert("X-Terraform-Get", location.parse().unwrap());
                (StatusCode::NO_CONTENT, headers)
            }),
        )
        .route(
            "/archives/{name}",
            get(|State(r): State<Arc<Registry>>, UrlPath(name): UrlPath<String>| async move {
                r.requests.fetch_add(1, Ordering::SeqCst);
                r.downloads.fetch_add(1, Ordering::SeqCst);
                while r.stall.load(Ordering::SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                let versions = r.versions.lock().unwrap();
                match versions.values().find(|(n, _)| *n == name) {
                    Some((_, bytes)) => (StatusCode::OK, bytes.clone()),
                    None => (StatusCode::NOT_FOUND, Vec::new()),
                }
            }),
        )
        .with_state(registry);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    host
}

fn corral(w: &Workdir, host: &str, args: &[&str]) -> Output {
    let mut command = w.command(args);
    command.env("CORRAL_REGISTRY_INSECURE_HOSTS", host);
    Output::from(command.output().unwrap())
}

fn ok(w: &Workdir, host: &str, args: &[&str]) -> Output {
    let out = corral(w, host, args);
    assert_eq!(out.code, 0, "corral {args:?}:\n{}\n{}", out.stdout, out.stderr);
    out
}

fn registry_config(host: &str, constraint: &str) -> String {
    format!(
        "module \"net\" {{\n  source  = \"{host}/corral/net/testing\"\n  version = \"{constraint}\"\n  name    = \"edge\"\n}}\n\noutput \"name\" {{\n  value = module.net.name\n}}\n"
    )
}

fn planned_name(w: &Workdir, host: &str) -> String {
    let out = ok(w, host, &["plan", "-no-color"]);
    // The last one: an update shows the old name before the new.
    let start = out.stdout.rfind("edge-v").unwrap_or_else(|| panic!("no name planned:\n{}", out.stdout));
    out.stdout[start..].split('"').next().unwrap().to_string()
}

#[test]
fn registry_modules_are_installed_by_init_and_upgraded_only_when_asked() {
    let registry = Arc::new(Registry::default());
    registry.publish("1.0.0", false);
    registry.publish("2.0.0", true);
    let host = serve(registry.clone());
    let w = Workdir::new();
    w.write("main.hcl", &registry_config(&host, "~> 1.0"));

    // Not installed: the plan says so at the module block, and what to run.
    let out = corral(&w, &host, &["plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(err.contains("module `net` is not installed"), "{}", out.stderr);
    assert!(err.contains("main.hcl:1:"), "{}", out.stderr);
    assert!(err.contains("run `corral init`"), "{}", out.stderr);
    assert!(!err.contains("cannot have a version constraint"), "{}", out.stderr);

    let out = ok(&w, &host, &["init", "-input=false"]);
    assert!(out.stdout.contains("Initializing modules..."), "{}", out.stdout);
    assert!(out.stdout.contains("1.0.0"), "{}", out.stdout);
    assert_eq!(registry.downloads.load(Ordering::SeqCst), 1);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.path().join(".corral/modules/modules.json")).unwrap()).unwrap();
    assert_eq!(manifest["Modules"][0]["Key"], "net");
    assert_eq!(manifest["Modules"][0]["Version"], "1.0.0");
    assert_eq!(manifest["Modules"][0]["Dir"], ".corral/modules/net/net-1.0.0");
    assert_eq!(planned_name(&w, &host), "edge-v1.0.0");

    // A newer matching version appears: a plain init keeps what is installed without asking
    // the registry anything; -upgrade takes the newest that `~> 1.0` allows (not 2.0.0).
    registry.publish("1.1.0", true);
    let before = registry.requests.load(Ordering::SeqCst);
    ok(&w, &host, &["init"]);
    assert_eq!(registry.requests.load(Ordering::SeqCst), before, "a second init must not touch the registry");
    assert_eq!(planned_name(&w, &host), "edge-v1.0.0");
    let out = ok(&w, &host, &["init", "-upgrade"]);
    assert!(out.stdout.contains("1.1.0"), "{}", out.stdout);
    assert_eq!(planned_name(&w, &host), "edge-v1.1.0");
    ok(&w, &host, &["apply", "-auto-approve"]);
    assert_eq!(w.objects().len(), 1);

    // A constraint the installed version does not meet: init is needed again.
    w.write("main.hcl", &registry_config(&host, ">= 2.0"));
    let out = corral(&w, &host, &["plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("does not meet the constraint"), "{}", out.stderr);
    ok(&w, &host, &["init"]);
    assert_eq!(planned_name(&w, &host), "edge-v2.0.0");
}

#[test]
fn an_archive_entry_outside_the_package_is_never_written() {
    let registry = Arc::new(Registry::default());
    registry.versions.lock().unwrap().insert("6.6.6".into(), ("net-6.6.6.zip.tar.gz".into(), hostile_archive()));
    let host = serve(registry);
    let w = Workdir::new();
    w.write("main.hcl", &registry_config(&host, "6.6.6"));
    let out = corral(&w, &host, &["init"]);
    // Whether init refuses the archive or skips the entry, nothing lands outside the package.
    let escaped: Vec<_> = walk(w.path(), "escaped.tf");
    assert!(escaped.is_empty(), "{escaped:?}\n{}\n{}", out.stdout, out.stderr);
}

fn walk(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == name) {
            found.push(path.clone());
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(walk(&path, name));
        }
    }
    found
}

#[test]
fn registry_failures_are_reported_at_the_module_source() {
    let registry = Arc::new(Registry::default());
    registry.publish("1.0.0", false);
    let host = serve(registry);
    let w = Workdir::new();
    w.write("main.hcl", &registry_config(&host, ">= 3.0"));
    let out = corral(&w, &host, &["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let err = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(err.contains("Failed to install module `net`"), "{}", out.stderr);
    assert!(err.contains("no version that meets the version constraint"), "{}", out.stderr);
    assert!(err.contains("main.hcl:2:"), "{}", out.stderr);
    assert!(!out.stdout.contains("successfully initialized"), "{}", out.stdout);

    // A host that is no registry at all.
    w.write("main.hcl", "module \"net\" {\n  source = \"127.0.0.1:9/corral/net/testing\"\n}\n");
    let out = corral(&w, "127.0.0.1:9", &["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("cannot reach"), "{}", out.stderr);
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A repository with `modules/sg` at tag v1.2.0, changed afterwards on its branch.
fn sg_repository() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let write = |text: &str| {
        std::fs::create_dir_all(repo.path().join("modules/sg")).unwrap();
        std::fs::write(repo.path().join("modules/sg/main.tf"), text).unwrap();
    };
    git(repo.path(), &["init", "--quiet", "--initial-branch=main"]);
    write("resource \"testing_thing\" \"sg\" {\n  name = \"sg-tagged\"\n}\n");
    // A local call inside the package is resolved inside the installed package.
    std::fs::create_dir_all(repo.path().join("modules/common")).unwrap();
    std::fs::write(repo.path().join("modules/common/main.tf"), "output \"prefix\" {\n  value = \"common\"\n}\n")
        .unwrap();
    std::fs::write(
        repo.path().join("modules/sg/common.tf"),
        "module \"common\" {\n  source = \"../common\"\n}\noutput \"prefix\" {\n  value = module.common.prefix\n}\n",
    )
    .unwrap();
    // A remote call inside an installed module is installed too (key `sg.inner`).
    std::fs::write(
        repo.path().join("modules/sg/inner.tf"),
        format!(
            "module \"inner\" {{\n  source = \"git::file://{}//modules/common?ref=v1.2.0\"\n}}\noutput \"inner\" {{\n  value = module.inner.prefix\n}}\n",
            repo.path().display()
        ),
    )
    .unwrap();
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "--quiet", "-m", "v1.2.0"]);
    git(repo.path(), &["tag", "v1.2.0"]);
    write("resource \"testing_thing\" \"sg\" {\n  name = \"sg-head\"\n}\n");
    git(repo.path(), &["commit", "--quiet", "-am", "later"]);
    repo
}

#[test]
fn git_modules_are_cloned_at_their_ref_and_their_subdirectory_used() {
    let repo = sg_repository();
    let w = Workdir::new();
    let source = format!("git::file://{}//modules/sg?ref=v1.2.0", repo.path().display());
    w.write(
        "main.hcl",
        &format!(
            "module \"sg\" {{\n  source = \"{source}\"\n}}\noutput \"prefix\" {{\n  value = module.sg.prefix\n}}\n"
        ),
    );
    let out = w.ok(&["init"]);
    assert!(out.stdout.contains("- sg in .corral/modules/sg/modules/sg"), "{}", out.stdout);
    assert!(out.stdout.contains("- sg.inner in .corral/modules/sg.inner/modules/common"), "{}", out.stdout);
    let out = w.ok(&["apply", "-auto-approve"]);
    assert!(out.stdout.contains("prefix = \"common\""), "{}", out.stdout);
    let names: Vec<_> = w.objects().iter().map(|o| o["attributes"]["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names, ["sg-tagged"]);
    // Idempotent: a second init leaves the clone alone; the plan is empty.
    w.ok(&["init"]);
    let out = w.corral(&["plan", "-detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);

    // Without a ref, -upgrade fetches the branch's head again.
    let source = format!("git::file://{}//modules/sg", repo.path().display());
    w.write("main.hcl", &format!("module \"sg\" {{\n  source = \"{source}\"\n}}\n"));
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("run `corral init`"), "{}", out.stderr);
    w.ok(&["init", "-upgrade"]);
    let out = w.ok(&["plan", "-no-color"]);
    assert!(out.stdout.contains("sg-head"), "{}", out.stdout);
}

#[test]
fn a_missing_git_ref_fails_init_at_the_source() {
    let repo = sg_repository();
    let w = Workdir::new();
    let source = format!("git::file://{}?ref=v9.9.9", repo.path().display());
    w.write("main.hcl", &format!("module \"sg\" {{\n  source = \"{source}\"\n}}\n"));
    let out = w.corral(&["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("Failed to install module `sg`"), "{}", out.stderr);
    assert!(out.stderr.contains("v9.9.9"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:2:"), "{}", out.stderr);
    // Nothing half-installed is left behind.
    assert!(!w.path().join(".corral/modules/sg").exists());
}

#[test]
fn version_is_refused_for_sources_that_are_not_registry_addresses() {
    let w = Workdir::new();
    w.write("child/main.tf", "");
    w.write("main.hcl", "module \"a\" {\n  source  = \"./child\"\n  version = \"1.0.0\"\n}\n");
    let out = w.corral(&["validate"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("a module with a local source cannot have a version constraint"), "{}", out.stderr);
    w.write("main.hcl", "module \"a\" {\n  source  = \"git::https://example.com/m.git\"\n  version = \"1.0.0\"\n}\n");
    let out = w.corral(&["validate"]);
    assert!(out.stderr.contains("not a module registry address"), "{}", out.stderr);
    w.write("main.hcl", "module \"a\" {\n  source  = \"corral/net/testing\"\n  version = \">= banana\"\n}\n");
    let out = w.corral(&["validate"]);
    assert!(out.stderr.contains("invalid version constraint"), "{}", out.stderr);
    assert!(out.stderr.contains("main.hcl:3:"), "{}", out.stderr);
}

#[test]
fn an_http_archive_source_is_downloaded_and_unpacked() {
    let registry = Arc::new(Registry::default());
    registry.publish("3.0.0", true);
    registry.publish("3.1.0", false);
    let host = serve(registry.clone());
    let w = Workdir::new();
    w.write(
        "main.hcl",
        &format!("module \"net\" {{\n  source = \"http://{host}/archives/net-3.0.0.zip\"\n  name   = \"edge\"\n}}\n"),
    );
    ok(&w, &host, &["init"]);
    assert_eq!(planned_name(&w, &host), "edge-v3.0.0");
    // A tar.gz whose files sit in a top directory, named with `//*`.
    w.write(
        "main.hcl",
        &format!(
            "module \"net\" {{\n  source = \"http://{host}/archives/net-3.1.0.tar.gz//*\"\n  name   = \"edge\"\n}}\n"
        ),
    );
    ok(&w, &host, &["init"]);
    assert_eq!(planned_name(&w, &host), "edge-v3.1.0");
    // A URL that is not an archive and names no package.
    w.write("main.hcl", &format!("module \"net\" {{\n  source = \"http://{host}/.well-known/terraform.json\"\n}}\n"));
    let out = corral(&w, &host, &["init"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("is not an archive Corral can unpack"), "{}", out.stderr);
}

fn staging_dirs(w: &Workdir) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(w.path().join(".corral/modules")) else { return Vec::new() };
    entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".installing-"))
        .collect()
}

#[test]
fn an_init_killed_mid_install_leaves_nothing_the_next_one_does_not_clean_and_a_live_one_is_waited_for() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let registry = Arc::new(Registry::default());
    registry.publish("1.0.0", false);
    registry.stall.store(true, Ordering::SeqCst);
    let host = serve(registry.clone());
    let w = Workdir::new();
    w.write("main.tf", &registry_config(&host, "~> 1.0"));
    let spawn = || {
        let mut command = w.command(&["init", "-input=false"]);
        command.env("CORRAL_REGISTRY_INSECURE_HOSTS", &host).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().unwrap()
    };
    let mut first = spawn();
    let started = Instant::now();
    while staging_dirs(&w).is_empty() || registry.downloads.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "the install never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = staging_dirs(&w);
    assert_eq!(left.len(), 1, "{left:?}");

    // A second init while the first is alive: it waits, and leaves the first one's work alone.
    let second = spawn();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(staging_dirs(&w), left, "a live install's directory is never removed");
    assert_eq!(registry.downloads.load(Ordering::SeqCst), 1, "the second init waits for the first");

    // The first one dies by SIGKILL mid-download; the second one goes on and cleans up.
    registry.stall.store(false, Ordering::SeqCst);
    first.kill().unwrap();
    first.wait().unwrap();
    let out = Output::from(second.wait_with_output().unwrap());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Waiting for another `corral init`"), "{}", out.stdout);
    assert!(out.stdout.contains("Removed 1 unfinished module install"), "{}", out.stdout);
    assert!(staging_dirs(&w).is_empty(), "{:?}", staging_dirs(&w));
    assert_eq!(planned_name(&w, &host), "edge-v1.0.0");

    // A kill with no other init around: the next init removes what it left.
    registry.stall.store(true, Ordering::SeqCst);
    let mut third = {
        let mut command = w.command(&["init", "-input=false", "-upgrade"]);
        command.env("CORRAL_REGISTRY_INSECURE_HOSTS", &host).stdout(Stdio::null()).stderr(Stdio::null());
        command.spawn().unwrap()
    };
    let started = Instant::now();
    while staging_dirs(&w).is_empty() || registry.downloads.load(Ordering::SeqCst) < 3 {
        assert!(started.elapsed() < Duration::from_secs(20), "the install never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    third.kill().unwrap();
    third.wait().unwrap();
    assert_eq!(staging_dirs(&w).len(), 1);
    registry.stall.store(false, Ordering::SeqCst);
    let out = ok(&w, &host, &["init", "-input=false"]);
    assert!(out.stdout.contains("Removed 1 unfinished module install"), "{}", out.stdout);
    assert!(staging_dirs(&w).is_empty(), "{:?}", staging_dirs(&w));
}
