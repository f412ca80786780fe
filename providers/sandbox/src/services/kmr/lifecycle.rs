//! Clusters move forward in sandbox time, lazily: [`advance_cluster`] replays every
//! transition due between the last look and `now`, each at the instant it was due (not at
//! `now`), so the outcome does not depend on how often anyone looks.
//!
//! `creating` → `running` after the create duration. A scale or terminate operation
//! finishes after its duration (`scaling-out`/`scaling-in` → `running`, `terminating` →
//! `terminated`). A transient cluster runs its jobs one after the other once running, then
//! releases itself (`released`, jobs' results kept). An unconverted trial cluster is deleted
//! by the service (`terminated`, reason `TrialExpired`) when its trial period ends, and a
//! monthly or yearly cluster whose term ends unrenewed (`SubscriptionExpired`).

use chrono::{DateTime, Utc};

use super::catalog;
use super::model::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    // Declaration order breaks ties between events due at the same instant.
    Ready,
    OperationFinished,
    JobFinished(usize),
    JobsDone,
    TrialExpired,
}

/// Replays every transition due up to `now`. Returns whether anything changed.
pub(super) fn advance_cluster(cluster: &mut Cluster, now: DateTime<Utc>) -> bool {
    let mut changed = false;
    let mut last = cluster.create_time;
    while let Some((due, event)) = next_event(cluster) {
        if due > now {
            break;
        }
        // Never go back in time: an event due before the previous one happened right after it.
        let at = due.max(last);
        apply(cluster, event, at);
        last = at;
        changed = true;
    }
    changed
}

fn next_event(cluster: &Cluster) -> Option<(DateTime<Utc>, Event)> {
    if cluster.is_gone() {
        return None;
    }
    let mut events: Vec<(DateTime<Utc>, Event)> = Vec::new();
    if cluster.cluster_status == STATUS_CREATING {
        events.push((cluster.create_time + catalog::create_duration(), Event::Ready));
    }
    if let Some(op) = &cluster.pending_operation {
        events.push((op.finish_time, Event::OperationFinished));
    }
    let ready = cluster.ready_time.is_some() && cluster.cluster_status != STATUS_TERMINATING;
    if cluster.cluster_type == TYPE_TRANSIENT && ready {
        if let Some((i, job)) = cluster.jobs.iter().enumerate().find(|(_, j)| j.job_status == JOB_RUNNING)
            && let Some(start) = job.start_time
        {
            events.push((start + catalog::job_duration(&job.job_type), Event::JobFinished(i)));
        }
        let all_done = cluster.jobs.iter().all(|j| is_job_final(&j.job_status));
        if all_done && cluster.pending_operation.is_none() {
            let end = cluster.jobs.iter().filter_map(|j| j.end_time).max();
            let at = end.into_iter().chain(cluster.ready_time).max().unwrap_or(cluster.create_time);
            events.push((at, Event::JobsDone));
        }
    }
    // An unconverted trial, or a term not renewed, ends: the service deletes the cluster.
    if let Some(expire) = cluster.expire_time {
        events.push((expire, Event::TrialExpired));
    }
    events.into_iter().min()
}

fn apply(cluster: &mut Cluster, event: Event, at: DateTime<Utc>) {
    match event {
        Event::Ready => {
            cluster.cluster_status = STATUS_RUNNING.to_string();
            cluster.ready_time = Some(at);
            if cluster.cluster_type == TYPE_TRANSIENT {
                start_next_job(cluster, at);
            }
        }
        Event::OperationFinished => finish_operation(cluster, at),
        Event::JobFinished(i) => {
            let log_root = cluster.log_uri.clone().unwrap_or_default();
            let cluster_id = cluster.cluster_id.clone();
            if let Some(job) = cluster.jobs.get_mut(i) {
                let failed = job.job_args.iter().any(|a| a == catalog::SIMULATE_FAILURE_ARG);
                job.job_status = if failed { JOB_FAILED } else { JOB_SUCCEEDED }.to_string();
                job.end_time = Some(at);
                job.log_path = Some(format!("{}/{cluster_id}/jobs/{}", log_root.trim_end_matches('/'), job.job_id));
            }
            start_next_job(cluster, at);
        }
        Event::JobsDone => {
            let failed = cluster.jobs.iter().filter(|j| j.job_status == JOB_FAILED).count();
            let message = if failed == 0 {
                format!("all {} jobs finished; the cluster released itself", cluster.jobs.len())
            } else {
                format!("{failed} of {} jobs failed; the cluster released itself", cluster.jobs.len())
            };
            end(cluster, STATUS_RELEASED, at, REASON_JOBS_FINISHED, message);
        }
        Event::TrialExpired if cluster.is_trial() => {
            let message = "the free trial ended and the cluster was not converted to a paid one".to_string();
            end(cluster, STATUS_TERMINATED, at, REASON_TRIAL_EXPIRED, message);
        }
        Event::TrialExpired => {
            let message = format!("the {} subscription ended and was not renewed", cluster.charge_type);
            end(cluster, STATUS_TERMINATED, at, REASON_SUBSCRIPTION_EXPIRED, message);
        }
    }
}

fn start_next_job(cluster: &mut Cluster, at: DateTime<Utc>) {
    if let Some(job) = cluster.jobs.iter_mut().find(|j| j.job_status == JOB_PENDING) {
        job.job_status = JOB_RUNNING.to_string();
        job.start_time = Some(at);
    }
}

fn finish_operation(cluster: &mut Cluster, at: DateTime<Utc>) {
    let Some(op) = cluster.pending_operation.take() else { return };
    match op.operation.as_str() {
        OP_TERMINATE => {
            end(cluster, STATUS_TERMINATED, at, REASON_USER, "released at the user's request".to_string());
            return;
        }
        OP_SCALE_OUT => {
            let cluster_id = cluster.cluster_id.clone();
            let mut seq = cluster.next_instance_seq;
            if let Some(group) =
                cluster.instance_groups.iter_mut().find(|g| Some(&g.instance_group_id) == op.instance_group_id.as_ref())
            {
                for _ in 0..op.instance_count {
                    group.instance_ids.push(instance_id(&cluster_id, seq));
                    seq += 1;
                }
                group.instance_count = group.instance_ids.len() as u32;
            }
            cluster.next_instance_seq = seq;
        }
        OP_SCALE_IN => {
            if let Some(group) =
                cluster.instance_groups.iter_mut().find(|g| Some(&g.instance_group_id) == op.instance_group_id.as_ref())
            {
                group.instance_ids.retain(|id| !op.instance_ids.contains(id));
                group.instance_count = group.instance_ids.len() as u32;
            }
        }
        _ => {}
    }
    cluster.cluster_status = STATUS_RUNNING.to_string();
}

/// The cluster leaves for good: jobs not finished are cancelled, nothing is pending.
fn end(cluster: &mut Cluster, status: &str, at: DateTime<Utc>, code: &str, message: String) {
    cluster.cluster_status = status.to_string();
    cluster.release_time = Some(at);
    cluster.pending_operation = None;
    for job in &mut cluster.jobs {
        if !is_job_final(&job.job_status) {
            job.job_status = JOB_CANCELLED.to_string();
            job.end_time = Some(at);
        }
    }
    cluster.state_change_reason = Some(StateChangeReason { code: code.to_string(), message });
}

pub(super) fn is_job_final(status: &str) -> bool {
    matches!(status, JOB_SUCCEEDED | JOB_FAILED | JOB_CANCELLED)
}

/// Instance ids are stable per cluster and sequence number.
pub(super) fn instance_id(cluster_id: &str, seq: u32) -> String {
    let short: String = cluster_id.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    format!("i-{short}-{seq:04}")
}
