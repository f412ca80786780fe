//! Following a git repository with the git CLI: clone once into the work directory, then
//! fetch the branch and check its head out (detached) on every pass. The git CLI rather than
//! a library: it brings the user's credentials, SSH setup and proxies with it.

use std::path::Path;

use tokio::process::Command;

/// The source of truth: a repository URL (or local path) and the branch to follow.
pub(crate) struct Source {
    pub url: String,
    pub branch: String,
}

impl Source {
    /// A local path (relative to `base`, the `-C` directory) is made absolute, so the
    /// clone's `origin` still points at it whatever directory later passes run from.
    pub(crate) fn new(base: &Path, url: &str, branch: &str) -> Source {
        let local = base.join(url);
        let url = if !url.contains("://") && local.exists() { local.display().to_string() } else { url.to_string() };
        Source { url, branch: branch.to_string() }
    }
}

async fn git(dir: Option<&Path>, args: &[&str]) -> anyhow::Result<String> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    // Never wait on a password prompt: the loop runs unattended.
    command.args(args).env("GIT_TERMINAL_PROMPT", "0").stdin(std::process::Stdio::null());
    let out = command.output().await.map_err(|e| anyhow::anyhow!("cannot run git (is it installed?): {e}"))?;
    if !out.status.success() {
        anyhow::bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Brings `checkout` to the head of the source's branch and returns that commit. Files the
/// units made beside their configuration (their `.corral/`) are untracked and survive.
pub(crate) async fn sync(source: &Source, checkout: &Path) -> anyhow::Result<String> {
    if !checkout.join(".git").is_dir() {
        let target = checkout.display().to_string();
        git(None, &["clone", "--quiet", "--no-checkout", &source.url, &target]).await?;
    } else {
        git(Some(checkout), &["remote", "set-url", "origin", &source.url]).await?;
    }
    let remote_ref = format!("refs/remotes/origin/{}", source.branch);
    let refspec = format!("+refs/heads/{}:{remote_ref}", source.branch);
    git(Some(checkout), &["fetch", "--quiet", "--prune", "origin", &refspec]).await?;
    git(Some(checkout), &["checkout", "--quiet", "--force", "--detach", &remote_ref]).await?;
    git(Some(checkout), &["rev-parse", "HEAD"]).await
}
