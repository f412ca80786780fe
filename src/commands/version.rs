//! `corral version`: the version and platform, as `terraform version` prints its own
//! (`Corral v0.1.0` / `on linux_amd64`), or as JSON with `--json`.

use crate::args::VersionArgs;

pub(crate) fn run(args: &VersionArgs) -> anyhow::Result<i32> {
    let version = env!("CARGO_PKG_VERSION");
    let platform = platform();
    if args.json {
        let json = serde_json::json!({ "corral_version": version, "platform": platform });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("Corral v{version}\non {platform}");
    }
    Ok(0)
}

/// `os_arch` with Go's names, as Terraform and provider packages spell platforms.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}
