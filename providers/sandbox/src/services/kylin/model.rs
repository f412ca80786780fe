//! The stored cluster record, how time moves it (lazy node starts, job engine hand-over),
//! and its API view.

use chrono::{DateTime, Utc};
use corral_api_kylin::properties::parse;
use corral_api_kylin::spec::Mode;
use corral_api_kylin::status::*;
use corral_api_kylin::version::{Line, SCHEDULER_CURATOR, SCHEDULER_DISTRIBUTED};
use corral_api_kylin::wire;
use corral_provider_sdk::emulator::{ApiError, Tables};
use serde::{Deserialize, Serialize};

pub(super) const CLUSTERS: &str = "kylin_clusters";

/// A node as the service keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NodeRecord {
    pub(super) address: String,
    /// What was pushed last.
    pub(super) properties: String,
    /// What the node read at its last start.
    pub(super) running_properties: String,
    pub(super) status: String,
    /// When a starting or restarting node is up.
    #[serde(default)]
    pub(super) ready_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Cluster {
    pub(super) account_id: String,
    pub(super) cluster_id: String,
    pub(super) cluster_name: String,
    pub(super) kylin_version: String,
    pub(super) metadata_url: String,
    pub(super) nodes: Vec<NodeRecord>,
    pub(super) load_balancer_targets: Vec<String>,
    #[serde(default)]
    pub(super) placement_id: Option<String>,
    #[serde(default)]
    pub(super) client_token: Option<String>,
    /// Round-robin position of the load balancer.
    #[serde(default)]
    pub(super) lb_cursor: usize,
    /// The node holding the job lock (or Curator leadership).
    #[serde(default)]
    pub(super) lock_holder: Option<String>,
    #[serde(default)]
    pub(super) active_job_nodes: Vec<String>,
    #[serde(default)]
    pub(super) duplicated_builds: bool,
}

impl NodeRecord {
    /// The mode the node runs with (what it read at start).
    pub(super) fn mode(&self, line: Line) -> Option<Mode> {
        parse(&self.running_properties).get(line.keys().server_mode).and_then(|m| Mode::parse(m))
    }

    pub(super) fn running(&self) -> bool {
        self.status == NODE_RUNNING
    }
}

impl Cluster {
    pub(super) fn line(&self) -> Option<Line> {
        Line::of(&self.kylin_version)
    }

    /// Nodes whose start is due are running; then the job engines are recounted.
    pub(super) fn settle(&mut self, now: DateTime<Utc>) {
        for node in &mut self.nodes {
            if matches!(node.status.as_str(), NODE_STARTING | NODE_RESTARTING)
                && node.ready_at.is_some_and(|t| t <= now)
            {
                node.status = NODE_RUNNING.into();
                node.ready_at = None;
            }
        }
        self.elect();
    }

    /// Who schedules builds. With a distributed lock or Curator (read from each node's
    /// running properties, as Kylin does) one running job-capable node holds it, kept until it
    /// stops; otherwise every running job-capable node schedules.
    fn elect(&mut self) {
        let Some(line) = self.line() else { return };
        let keys = line.keys();
        let candidates: Vec<(String, bool)> = self
            .nodes
            .iter()
            .filter(|n| n.running() && n.mode(line).is_some_and(Mode::job_capable))
            .map(|n| {
                let props = parse(&n.running_properties);
                let scheduler = keys.scheduler.and_then(|k| props.get(k)).and_then(|s| s.parse::<u32>().ok());
                let locked = match scheduler {
                    Some(SCHEDULER_DISTRIBUTED) => keys.job_lock.is_some_and(|k| props.contains_key(k)),
                    Some(SCHEDULER_CURATOR) => {
                        keys.self_discovery.and_then(|k| props.get(k)).is_some_and(|v| v == "true")
                    }
                    _ => false,
                };
                (n.address.clone(), locked)
            })
            .collect();
        let unlocked: Vec<String> = candidates.iter().filter(|(_, l)| !l).map(|(a, _)| a.clone()).collect();
        let locked: Vec<&String> = candidates.iter().filter(|(_, l)| *l).map(|(a, _)| a).collect();
        if self.lock_holder.as_ref().is_none_or(|h| !locked.contains(&h)) {
            self.lock_holder = locked.first().map(|a| (*a).clone());
        }
        let mut active: Vec<String> = self.lock_holder.iter().cloned().collect();
        active.extend(unlocked);
        if active.len() > 1 {
            self.duplicated_builds = true;
        }
        self.active_job_nodes = active;
    }

    pub(super) fn status(&self) -> &'static str {
        if self.nodes.iter().all(|n| n.status == NODE_STARTING) {
            CLUSTER_CREATING
        } else if self.nodes.iter().any(|n| {
            n.properties != n.running_properties || matches!(n.status.as_str(), NODE_STARTING | NODE_RESTARTING)
        }) {
            CLUSTER_RESTART_PENDING
        } else {
            CLUSTER_RUNNING
        }
    }

    pub(super) fn view(&self) -> wire::Cluster {
        let line = self.line();
        let nodes = self
            .nodes
            .iter()
            .map(|n| {
                let metastore = line.and_then(|l| parse(&n.running_properties).get(l.keys().metadata_url).cloned());
                wire::Node {
                    address: n.address.clone(),
                    mode: line.and_then(|l| n.mode(l)).map(Mode::name).unwrap_or("").into(),
                    status: n.status.clone(),
                    running_properties: n.running_properties.clone(),
                    properties: n.properties.clone(),
                    registered: n.running() && metastore.as_deref() == Some(self.metadata_url.as_str()),
                }
            })
            .collect();
        wire::Cluster {
            cluster_id: self.cluster_id.clone(),
            cluster_name: self.cluster_name.clone(),
            kylin_version: self.kylin_version.clone(),
            metadata_url: self.metadata_url.clone(),
            status: self.status().into(),
            nodes,
            load_balancer_targets: self.load_balancer_targets.clone(),
            load_balancer_dns: (!self.load_balancer_targets.is_empty())
                .then(|| format!("{}.lb.kylin.sandbox", self.cluster_name)),
            placement_id: self.placement_id.clone(),
            active_job_nodes: self.active_job_nodes.clone(),
            duplicated_builds: self.duplicated_builds,
            client_token: self.client_token.clone(),
        }
    }
}

fn corrupt(id: &str, error: &serde_json::Error) -> ApiError {
    ApiError::new(500, "InternalError", format!("record `{id}` of `{CLUSTERS}` is unreadable: {error}"))
}

pub(super) fn get(tables: &dyn Tables, id: &str) -> Result<Option<Cluster>, ApiError> {
    match tables.get(CLUSTERS, id) {
        None => Ok(None),
        Some(json) => serde_json::from_value(json).map(Some).map_err(|e| corrupt(id, &e)),
    }
}

pub(super) fn put(tables: &mut dyn Tables, cluster: &Cluster) -> Result<(), ApiError> {
    let json = serde_json::to_value(cluster).map_err(|e| corrupt(&cluster.cluster_id, &e))?;
    tables.put(CLUSTERS, &cluster.cluster_id, json);
    Ok(())
}

pub(super) fn all(tables: &dyn Tables) -> Result<Vec<Cluster>, ApiError> {
    tables
        .list(CLUSTERS)
        .into_iter()
        .map(|(id, json)| serde_json::from_value(json).map_err(|e| corrupt(&id, &e)))
        .collect()
}
