//! Fetching a module package by its address, as Terraform's go-getter reads them:
//! `git::URL[//SUBDIR][?ref=REF&depth=N]` (also `github.com/ORG/REPO` and `git@HOST:PATH`,
//! which are git too) with the git CLI, which brings the user's credentials and SSH set-up;
//! and `http(s)://…` archives (`.tar.gz`, `.tgz`, `.tar`, `.zip`, or `?archive=FORMAT`)
//! unpacked with the `tar`, `flate2` and `zip` crates, which refuse entries that would land
//! outside the directory. An HTTP address that is not an archive may name the package in an
//! `X-Terraform-Get` header, as a registry's download does.

use std::io::Cursor;
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use reqwest::Url;
use tokio::process::Command;

/// How many `X-Terraform-Get` redirections an HTTP address may go through.
const MAX_INDIRECTIONS: usize = 4;

/// `location` as an absolute package address: a go-getter address or an absolute URL is kept,
/// anything else is a URL relative to `base`.
pub(super) fn absolute(location: &str, base: &Url) -> String {
    if location.contains("::") || Url::parse(location).is_ok() || location.starts_with("github.com/") {
        return location.to_string();
    }
    base.join(location).map_or_else(|_| location.to_string(), |u| u.to_string())
}

/// Fetches the package at `address` into `dest` (which must not exist) and returns the
/// subdirectory the address names (`//SUBDIR`), if any.
pub(super) async fn fetch(client: &reqwest::Client, address: &str, dest: &Path) -> anyhow::Result<Option<String>> {
    let mut address = address.to_string();
    for _ in 0..MAX_INDIRECTIONS {
        let (getter, rest) = split_getter(&address);
        let (package, subdir) = split_subdir(&rest);
        match getter.as_deref() {
            Some("git") => {
                git_clone(&package, dest).await?;
                return Ok(subdir);
            }
            Some("http" | "https") | None if package.starts_with("http://") || package.starts_with("https://") => {
                match http_get(client, &package, dest).await? {
                    None => return Ok(subdir),
                    Some(next) => address = next,
                }
            }
            Some(other) => anyhow::bail!(
                "`{other}::` sources are not supported: Corral installs modules from module registries, git and HTTP archives"
            ),
            None => anyhow::bail!(
                "`{address}` is not a module source Corral can install: use a local path (`./…`), a registry address (`NAMESPACE/NAME/SYSTEM`), `git::URL`, `github.com/ORG/REPO` or an HTTP archive URL"
            ),
        }
    }
    anyhow::bail!("`{address}`: too many X-Terraform-Get redirections")
}

/// The forced getter (`git::`) and the rest; the shorthands that mean git get `git`.
fn split_getter(address: &str) -> (Option<String>, String) {
    if let Some((getter, rest)) = address.split_once("::")
        && !getter.contains('/')
    {
        return (Some(getter.to_string()), rest.to_string());
    }
    if let Some(rest) = address.strip_prefix("github.com/") {
        // `github.com/ORG/REPO[//SUB][?ref=…]` → `https://github.com/ORG/REPO.git…`
        let split = rest.find(['?']).unwrap_or(rest.len());
        let (path, query) = rest.split_at(split);
        let (repo, sub) = match path.match_indices('/').nth(1) {
            Some((i, _)) => path.split_at(i),
            None => (path, ""),
        };
        let repo = repo.strip_suffix(".git").unwrap_or(repo);
        return (Some("git".into()), format!("https://github.com/{repo}.git{sub}{query}"));
    }
    if address.starts_with("git@") {
        return (Some("git".into()), address.to_string());
    }
    (None, address.to_string())
}

/// `PACKAGE//SUBDIR?QUERY` → (`PACKAGE?QUERY`, `SUBDIR`); the `//` of `scheme://` is not one.
fn split_subdir(address: &str) -> (String, Option<String>) {
    let query_at = address.find('?').unwrap_or(address.len());
    let (head, query) = address.split_at(query_at);
    let from = head.find("://").map_or(0, |i| i + 3);
    match head[from..].find("//") {
        Some(i) => {
            let (package, subdir) = head.split_at(from + i);
            let subdir = subdir.trim_start_matches('/').trim_end_matches('/');
            (format!("{package}{query}"), (!subdir.is_empty()).then(|| subdir.to_string()))
        }
        None => (address.to_string(), None),
    }
}

/// `git clone` of `URL[?ref=REF&depth=N]` into `dest`, then a checkout of `ref` (a branch, a
/// tag or a commit).
async fn git_clone(address: &str, dest: &Path) -> anyhow::Result<()> {
    let (url, query) = address.split_once('?').unwrap_or((address, ""));
    let mut reference = None;
    let mut depth = None;
    for (key, value) in url::form_urlencoded_pairs(query) {
        match key.as_str() {
            "ref" => reference = Some(value),
            "depth" => depth = Some(value),
            _ => {}
        }
    }
    let dest_text = dest.to_string_lossy().into_owned();
    let mut args = vec!["clone".to_string(), "--quiet".to_string()];
    if let Some(depth) = &depth {
        // A shallow clone can only check out a branch or a tag, so it is cloned directly.
        args.push(format!("--depth={depth}"));
        if let Some(reference) = &reference {
            args.push(format!("--branch={reference}"));
        }
    }
    args.push("--".into());
    args.push(url.to_string());
    args.push(dest_text);
    git(None, &args).await?;
    if let (Some(reference), None) = (&reference, &depth) {
        git(Some(dest), &["checkout".into(), "--quiet".into(), "--detach".into(), reference.clone(), "--".into()])
            .await
            .with_context(|| format!("`{url}` has no ref `{reference}`"))?;
    }
    Ok(())
}

async fn git(dir: Option<&Path>, args: &[String]) -> anyhow::Result<()> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    // `init` runs in pipelines: never wait on a password prompt.
    command.args(args).env("GIT_TERMINAL_PROMPT", "0").stdin(std::process::Stdio::null());
    let out = command.output().await.map_err(|e| anyhow::anyhow!("cannot run git (is it installed?): {e}"))?;
    if !out.status.success() {
        anyhow::bail!("`git {}` failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// Downloads `address`: an archive is unpacked into `dest` (`None` returned); any other
/// answer must name the package in `X-Terraform-Get`, which is returned.
async fn http_get(client: &reqwest::Client, address: &str, dest: &Path) -> anyhow::Result<Option<String>> {
    let mut url = Url::parse(address).with_context(|| format!("`{address}` is not a URL"))?;
    let mut archive = None;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Some((_, format)) = pairs.iter().find(|(k, _)| k == "archive") {
        archive = Some(format.clone());
        let rest: Vec<_> = pairs.iter().filter(|(k, _)| k != "archive").collect();
        if rest.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(rest);
        }
    }
    let archive = archive.or_else(|| archive_format(url.path()).map(str::to_string));
    let response = client.get(url.clone()).send().await.with_context(|| format!("cannot download {url}"))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!("{url} answered {status}");
    }
    if archive.is_none()
        && let Some(next) = response.headers().get("X-Terraform-Get")
    {
        let next = next.to_str().context("the X-Terraform-Get header is not text")?;
        return Ok(Some(absolute(next, &url)));
    }
    let Some(format) = archive else {
        anyhow::bail!(
            "{url} is not an archive Corral can unpack (.tar.gz, .tgz, .tar, .zip, or `?archive=FORMAT`) and its answer names no package in X-Terraform-Get"
        );
    };
    let bytes = response.bytes().await.with_context(|| format!("cannot download {url}"))?;
    let dest = dest.to_path_buf();
    tokio::task::spawn_blocking(move || unpack(&format, &bytes, &dest))
        .await
        .map_err(|e| anyhow::anyhow!("unpacking stopped: {e}"))?
        .with_context(|| format!("cannot unpack {url}"))?;
    Ok(None)
}

fn archive_format(path: &str) -> Option<&'static str> {
    [("tar.gz", "tar.gz"), ("tgz", "tar.gz"), ("tar", "tar"), ("zip", "zip")]
        .into_iter()
        .find(|(ext, _)| path.ends_with(&format!(".{ext}")))
        .map(|(_, format)| format)
}

fn unpack(format: &str, bytes: &[u8], dest: &Path) -> anyhow::Result<()> {
    fs_err::create_dir_all(dest)?;
    match format {
        "tar.gz" | "tgz" => tar::Archive::new(flate2::read::GzDecoder::new(bytes)).unpack(dest)?,
        "tar" => tar::Archive::new(bytes).unpack(dest)?,
        "zip" => zip::ZipArchive::new(Cursor::new(bytes))?.extract(dest)?,
        other => anyhow::bail!("`{other}` archives are not supported (tar.gz, tgz, tar, zip are)"),
    }
    Ok(())
}

/// The directory `subdir` names inside `package`: a `*` part stands for the one directory
/// there (the top directory archives of a repository have); `..` may not leave the package.
pub(super) fn resolve_subdir(package: &Path, subdir: &str) -> anyhow::Result<PathBuf> {
    let mut resolved = PathBuf::new();
    for part in Path::new(subdir).components() {
        match part {
            Component::Normal(name) if name == "*" => {
                let mut dirs = Vec::new();
                for entry in fs_err::read_dir(package.join(&resolved))? {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() && !entry.file_name().to_string_lossy().starts_with('.') {
                        dirs.push(entry.file_name());
                    }
                }
                let [only] = &dirs[..] else {
                    anyhow::bail!("`{subdir}`: `*` must match exactly one directory, not {}", dirs.len());
                };
                resolved.push(only);
            }
            Component::Normal(name) => resolved.push(name),
            Component::CurDir => {}
            _ => anyhow::bail!("the subdirectory `{subdir}` must stay inside the package"),
        }
    }
    if !package.join(&resolved).is_dir() {
        anyhow::bail!("the package has no directory `{subdir}`");
    }
    Ok(resolved)
}

mod url {
    //! Query pairs of a go-getter address, which is not always a URL (`git@host:path?ref=x`).
    pub(super) fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("http://x/?{query}"))
            .map(|u| u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_as_go_getter_does() {
        assert_eq!(
            split_subdir("https://example.com/x.git//modules/a?ref=v1"),
            ("https://example.com/x.git?ref=v1".to_string(), Some("modules/a".to_string()))
        );
        assert_eq!(split_subdir("/tmp/repo"), ("/tmp/repo".to_string(), None));
        assert_eq!(split_subdir("file:///tmp/repo//sub"), ("file:///tmp/repo".to_string(), Some("sub".to_string())));
        assert_eq!(
            split_getter("github.com/org/repo//sub?ref=v2"),
            (Some("git".to_string()), "https://github.com/org/repo.git//sub?ref=v2".to_string())
        );
        assert_eq!(split_getter("git::https://h/x.git").0.as_deref(), Some("git"));
        assert_eq!(split_getter("https://h/x.zip"), (None, "https://h/x.zip".to_string()));
        let base = Url::parse("http://127.0.0.1:9/v1/modules/a/b/c/1.0.0/download").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(absolute("/archives/x.tar.gz", &base), "http://127.0.0.1:9/archives/x.tar.gz");
        assert_eq!(absolute("git::https://h/x.git?ref=v1", &base), "git::https://h/x.git?ref=v1");
    }
}
