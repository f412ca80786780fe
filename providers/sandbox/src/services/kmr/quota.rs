//! Per-account quotas. Contracted accounts get resource quotas and, when granted a free
//! trial, a separate trial quota; creating beyond a quota fails with an error code naming
//! it. Limits come from the sandbox's accounts ([`Quotas`]): `clusters` and `nodes` count
//! paid clusters not yet terminated or released (nodes being added included),
//! `trial_clusters` and `trial_nodes` count trial clusters, `cluster_templates` and
//! `execution_plans` count those objects. A quota not listed is unlimited.

use corral_api_kmr::errors;
use corral_provider_sdk::emulator::{ApiError, Quotas, Tables};

use super::model::Cluster;

/// What an account uses now, counted over its live clusters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub clusters: u64,
    pub nodes: u64,
    pub trial_clusters: u64,
    pub trial_nodes: u64,
}

impl Usage {
    /// Adds one cluster's count and nodes.
    pub fn add(&mut self, cluster: &Cluster) {
        if cluster.is_trial() {
            self.trial_clusters += 1;
            self.trial_nodes += u64::from(cluster.node_count());
        } else {
            self.clusters += 1;
            self.nodes += u64::from(cluster.node_count());
        }
    }
}

pub fn usage<'a>(clusters: impl IntoIterator<Item = &'a Cluster>, account: &str) -> Usage {
    let mut usage = Usage::default();
    for cluster in clusters.into_iter().filter(|c| c.account == account && !c.is_gone()) {
        usage.add(cluster);
    }
    usage
}

/// Checks that `new_clusters` more clusters with `new_nodes` more nodes fit.
pub fn check(
    quotas: &Quotas,
    account: &str,
    usage: &Usage,
    trial: bool,
    new_clusters: u64,
    new_nodes: u64,
) -> Result<(), ApiError> {
    if trial {
        limit(quotas, account, errors::QUOTA_TRIAL_CLUSTER, "trial_clusters", usage.trial_clusters, new_clusters)?;
        limit(quotas, account, errors::QUOTA_TRIAL_NODE, "trial_nodes", usage.trial_nodes, new_nodes)
    } else {
        limit(quotas, account, errors::QUOTA_CLUSTER, "clusters", usage.clusters, new_clusters)?;
        limit(quotas, account, errors::QUOTA_NODE, "nodes", usage.nodes, new_nodes)
    }
}

/// One limit, with the sandbox's wording (the same as `RequestContext::check_quota`, which
/// cannot serve here: execution-plan runs start in `advance`, outside any request).
pub fn limit(
    quotas: &Quotas,
    account: &str,
    code: &str,
    quota: &str,
    in_use: u64,
    adding: u64,
) -> Result<(), ApiError> {
    match quotas.limit(quota) {
        Some(max) if adding > 0 && in_use.saturating_add(adding) > max => Err(ApiError::bad_request(
            code,
            format!(
                "quota `{quota}` of account {account} exceeded: the limit is {max}, {in_use} in use, {adding} requested"
            ),
        )),
        _ => Ok(()),
    }
}

/// The quotas of an account, looked up in the sandbox's accounts (for `advance`, whose
/// context carries none). An account the sandbox does not know has no limits.
pub fn quotas_of(tables: &dyn Tables, account: &str) -> Quotas {
    tables
        .list(crate::store::ACCOUNTS)
        .into_iter()
        .filter_map(|(_, json)| serde_json::from_value::<crate::store::AccountRecord>(json).ok())
        .find(|record| record.account_id == account)
        .map(|record| record.quotas)
        .unwrap_or_default()
}
