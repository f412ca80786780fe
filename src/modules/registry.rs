//! Terraform's module registry protocol: service discovery (`/.well-known/terraform.json`,
//! `modules.v1`), the version list (`<base><ns>/<name>/<system>/versions`) and the download
//! address (`<base><ns>/<name>/<system>/<version>/download`, whose `X-Terraform-Get` header
//! names the package to fetch, relative to that URL).
//!
//! Registries are spoken to over HTTPS, as Terraform does. Hosts named in
//! `CORRAL_REGISTRY_INSECURE_HOSTS` (comma-separated `host[:port]`) are spoken to over plain
//! HTTP instead: a registry on the local machine, such as the one the tests serve.

use anyhow::Context as _;
use corral_engine::config::module_source::{RegistryAddr, VersionConstraint, newest_matching};
use reqwest::Url;
use semver::Version;
use serde::Deserialize;

/// The version chosen and where its package is.
pub(super) struct Found {
    pub version: Version,
    /// A package address (`git::…`, an archive URL), absolute.
    pub location: String,
}

#[derive(Deserialize)]
struct VersionsAnswer {
    modules: Vec<ModuleVersions>,
}

#[derive(Deserialize)]
struct ModuleVersions {
    versions: Vec<VersionEntry>,
}

#[derive(Deserialize)]
struct VersionEntry {
    version: String,
}

pub(super) async fn resolve(
    client: &reqwest::Client,
    addr: &RegistryAddr,
    constraint: Option<&str>,
) -> anyhow::Result<Found> {
    let constraint = constraint.map(VersionConstraint::parse).transpose().map_err(anyhow::Error::msg)?;
    let base = discover(client, &addr.host).await?;
    let module_url = base
        .join(&format!("{}/{}/{}/", addr.namespace, addr.name, addr.system))
        .context("the registry's modules.v1 address cannot be joined")?;
    let versions_url = module_url.join("versions")?;
    let answer: VersionsAnswer = get_json(client, &versions_url).await?;
    let listed: Vec<&str> = answer.modules.iter().flat_map(|m| m.versions.iter().map(|v| v.version.as_str())).collect();
    let Some(version) = newest_matching(listed.iter().copied(), constraint.as_ref()) else {
        let wanted = constraint.map_or_else(String::new, |_| " that meets the version constraint".to_string());
        anyhow::bail!(
            "{} has no version{wanted}; it lists: {}",
            addr,
            if listed.is_empty() { "none".to_string() } else { listed.join(", ") }
        );
    };
    let download_url = module_url.join(&format!("{version}/download"))?;
    let response = client
        .get(download_url.clone())
        .send()
        .await
        .with_context(|| format!("cannot reach the registry at {download_url}"))?;
    if !response.status().is_success() {
        anyhow::bail!("the registry answered {} to {download_url}", response.status());
    }
    let Some(location) = response.headers().get("X-Terraform-Get") else {
        anyhow::bail!("the registry's answer to {download_url} has no X-Terraform-Get header");
    };
    let location = location.to_str().context("the X-Terraform-Get header is not text")?;
    Ok(Found { version, location: super::fetch::absolute(location, &download_url) })
}

/// The `modules.v1` base URL of a registry host, from its service discovery document.
async fn discover(client: &reqwest::Client, host: &str) -> anyhow::Result<Url> {
    let scheme = if insecure_hosts().iter().any(|h| h.eq_ignore_ascii_case(host)) { "http" } else { "https" };
    let well_known = Url::parse(&format!("{scheme}://{host}/.well-known/terraform.json"))
        .with_context(|| format!("`{host}` is not a host name"))?;
    let services: serde_json::Value = get_json(client, &well_known).await?;
    let Some(modules) = services.get("modules.v1").and_then(|v| v.as_str()) else {
        anyhow::bail!("{host} is not a module registry: its {well_known} names no `modules.v1` service");
    };
    let mut base = well_known.join(modules).with_context(|| format!("`{modules}` is not a URL"))?;
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    Ok(base)
}

fn insecure_hosts() -> Vec<String> {
    std::env::var("CORRAL_REGISTRY_INSECURE_HOSTS")
        .unwrap_or_default()
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

async fn get_json<T: serde::de::DeserializeOwned>(client: &reqwest::Client, url: &Url) -> anyhow::Result<T> {
    let response = client.get(url.clone()).send().await.with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    if !status.is_success() {
        anyhow::bail!("{url} answered {status}");
    }
    let bytes = response.bytes().await.with_context(|| format!("cannot read the answer of {url}"))?;
    serde_json::from_slice(&bytes).with_context(|| format!("the answer of {url} is not the JSON expected"))
}
