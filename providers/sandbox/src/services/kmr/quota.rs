//! Per-account quotas. Contracted accounts get resource quotas (clusters, nodes) and, when
//! granted a free trial, a separate trial quota; creating beyond a quota fails with an
//! error code naming it (`QuotaExceeded.ClusterCount`, `QuotaExceeded.NodeCount`,
//! `QuotaExceeded.TrialClusterCount`, `QuotaExceeded.TrialNodeCount`).

use corral_provider_sdk::emulator::{ApiError, Tables};
use serde::{Deserialize, Serialize};

use super::model::{Cluster, QUOTAS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KmrQuotas {
    /// Paid clusters not yet terminated or released.
    pub cluster_count: u32,
    /// Nodes of those clusters, including nodes being added.
    pub node_count: u32,
    /// Trial clusters not yet converted, terminated or expired.
    pub trial_cluster_count: u32,
    pub trial_node_count: u32,
}

impl Default for KmrQuotas {
    fn default() -> Self {
        KmrQuotas { cluster_count: 20, node_count: 200, trial_cluster_count: 1, trial_node_count: 20 }
    }
}

/// The account's quotas: an override stored in the `kmr.quotas` table (by account), else
/// the service's defaults.
pub fn quotas_for(tables: &dyn Tables, account: &str, defaults: KmrQuotas) -> KmrQuotas {
    tables.get(QUOTAS, account).and_then(|json| serde_json::from_value(json).ok()).unwrap_or(defaults)
}

/// What an account uses now, counted over its live clusters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub clusters: u32,
    pub nodes: u32,
    pub trial_clusters: u32,
    pub trial_nodes: u32,
}

pub fn usage<'a>(clusters: impl IntoIterator<Item = &'a Cluster>, account: &str) -> Usage {
    let mut usage = Usage::default();
    for cluster in clusters.into_iter().filter(|c| c.account == account && !c.is_gone()) {
        if cluster.is_trial() {
            usage.trial_clusters += 1;
            usage.trial_nodes += cluster.node_count();
        } else {
            usage.clusters += 1;
            usage.nodes += cluster.node_count();
        }
    }
    usage
}

/// Checks that `new_clusters` more clusters with `new_nodes` more nodes fit.
pub fn check(
    quotas: &KmrQuotas,
    usage: &Usage,
    trial: bool,
    new_clusters: u32,
    new_nodes: u32,
) -> Result<(), ApiError> {
    let (kind, cluster_quota, node_quota, clusters, nodes) = if trial {
        ("Trial", quotas.trial_cluster_count, quotas.trial_node_count, usage.trial_clusters, usage.trial_nodes)
    } else {
        ("", quotas.cluster_count, quotas.node_count, usage.clusters, usage.nodes)
    };
    let what = if trial { "trial " } else { "" };
    if clusters + new_clusters > cluster_quota {
        return Err(exceeded(
            &format!("{kind}ClusterCount"),
            format!(
                "the account's {what}cluster quota is {cluster_quota}, {clusters} in use; {new_clusters} more do not fit"
            ),
        ));
    }
    if nodes + new_nodes > node_quota {
        return Err(exceeded(
            &format!("{kind}NodeCount"),
            format!(
                "the account's {what}node quota is {node_quota}, {nodes} in use; {new_nodes} more nodes do not fit"
            ),
        ));
    }
    Ok(())
}

fn exceeded(quota: &str, message: String) -> ApiError {
    ApiError::bad_request(&format!("QuotaExceeded.{quota}"), format!("quota `{quota}` exceeded: {message}"))
}
