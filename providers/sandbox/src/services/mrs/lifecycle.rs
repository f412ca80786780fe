//! A cluster's and a job's progress as pure functions of the record and the time: every
//! transition due by `now` is made, each at the instant it was due (sandbox time is lazy:
//! nothing runs between requests). Durations are `corral_api_mrs::state::durations`.

use chrono::{DateTime, Duration, Utc};
use corral_api_mrs::cluster::GROUP_MASTER;
use corral_api_mrs::state::{self, ClusterState, durations};

use super::model::{ClusterRecord, JobRecord, Pending};

fn after(since: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    since + Duration::seconds(secs)
}

/// Moves the cluster to `now`; returns whether anything changed.
pub(super) fn advance_cluster(cluster: &mut ClusterRecord, now: DateTime<Utc>) -> bool {
    let Some(pending) = cluster.pending.clone() else { return false };
    match pending {
        Pending::Create { since } if now >= after(since, durations::CREATE_SECS) => {
            cluster.state = ClusterState::Running;
            cluster.stage_desc = String::new();
            cluster.pending = None;
            cluster.updated_at = Some(after(since, durations::CREATE_SECS));
        }
        Pending::Scale { since, ref group, to } if now >= after(since, durations::SCALE_SECS) => {
            if let Some(g) = cluster.group_mut(group) {
                g.node_num = to;
            }
            cluster.state = ClusterState::Running;
            cluster.stage_desc = String::new();
            cluster.pending = None;
            cluster.updated_at = Some(after(since, durations::SCALE_SECS));
        }
        Pending::MasterUpgrade { since, ref node_size, done } => {
            let masters = cluster.masters().max(1);
            let per = durations::MASTER_UPGRADE_PER_MASTER_SECS;
            let elapsed = (now - since).num_seconds().max(0);
            let finished = u32::try_from(elapsed / per).unwrap_or(u32::MAX).min(masters);
            if finished == done && finished < masters {
                return false;
            }
            if finished >= masters {
                if let Some(g) = cluster.group_mut(GROUP_MASTER) {
                    g.node_size = node_size.clone();
                }
                cluster.state = ClusterState::Running;
                cluster.stage_desc = String::new();
                cluster.pending = None;
                cluster.updated_at = Some(after(since, per * i64::from(masters)));
            } else {
                cluster.stage_desc = upgrade_stage(finished, masters);
                cluster.pending = Some(Pending::MasterUpgrade { since, node_size: node_size.clone(), done: finished });
            }
        }
        Pending::Terminate { since } if now >= after(since, durations::TERMINATE_SECS) => {
            cluster.state = ClusterState::Terminated;
            cluster.stage_desc = String::new();
            cluster.pending = None;
            cluster.updated_at = Some(after(since, durations::TERMINATE_SECS));
        }
        _ => return false,
    }
    true
}

/// The stage text while masters are upgraded: which one, of how many; the others serve.
pub(super) fn upgrade_stage(done: u32, masters: u32) -> String {
    format!("Upgrading master {} of {masters} (the other master serves)", done + 1)
}

/// Moves a job to `now`: accepted at once, running 10 seconds later, over after
/// [`durations::JOB_SECS`]. Killed jobs stay killed.
pub(super) fn advance_job(job: &mut JobRecord, now: DateTime<Utc>) -> bool {
    let detail = &mut job.detail;
    if matches!(detail.job_state.as_str(), state::JOB_FINISHED | state::JOB_FAILED | state::JOB_KILLED) {
        return false;
    }
    let submitted = DateTime::<Utc>::from_timestamp_millis(detail.submitted_time).unwrap_or(now);
    let start = after(submitted, 10);
    let end = after(submitted, durations::JOB_SECS);
    let tracking = format!("http://master-1:8088/proxy/{}/", detail.job_id);
    if now >= end {
        detail.tracking_url = tracking;
        detail.started_time = start.timestamp_millis();
        detail.finished_time = end.timestamp_millis();
        detail.job_progress = 100.0;
        if job.outcome == state::RESULT_SUCCEEDED {
            detail.job_state = state::JOB_FINISHED.into();
        } else {
            detail.job_state = state::JOB_FAILED.into();
        }
        detail.job_result = job.outcome.clone();
        true
    } else if now >= start && detail.job_state != state::JOB_RUNNING {
        detail.started_time = start.timestamp_millis();
        detail.tracking_url = tracking;
        detail.job_state = state::JOB_RUNNING.into();
        true
    } else {
        false
    }
}
