//! Refreshing and planning the managed instances of one graph level (phase 2 of the level
//! walk): nothing here needs the rest of the plan.
//!
//! Instances go to their provider in chunks, through its batch calls, and a few chunks are
//! in flight at once. Each chunk is built (prior decoded, requests made) when the walk
//! first polls it and finished when its answers arrive, in tight loops over instances that
//! sit together in memory, so a plugin plans chunk k while this thread builds chunk k+1
//! or finishes chunk k-1. One batch call per chunk replaces a future, a channel and a
//! coalescer queue per instance: that per-instance overhead was most of what the plugin
//! protocol added to a large plan.
//!
//! Each instance's action comes from [`decide`](super::decide); the create half of a
//! replacement gets its plan (from no prior object) in a second batch call of the chunk.

use std::sync::Arc;

use futures::stream::{self, StreamExt as _};
use tokio::runtime::RuntimeFlavor;
use tracing::{Instrument as _, info_span};

use crate::addr::AbsResourceInstance;
use crate::config::IgnoreChanges;
use crate::diag::{Diagnostic, Diagnostics};
use crate::provider::{self, Provider};
use crate::runtime::RepetitionData;
use crate::schema::{ChangeClass, ResourceSchema};
use crate::state::InstanceState;
use crate::value::{Path, Type, Value};

use super::decide::{self, Decision, Facts};
use super::values::{apply_ignore_changes, decode_state, drifted, remark};
use super::{Action, ResourceChange};

/// At most this many instances per chunk (one batch call of each kind).
const CHUNK: usize = 64;
/// Chunks in flight at once: with [`CHUNK`], 256 instances, enough to keep a plugin busy
/// while this thread builds and finishes chunks, few enough that their data stays in cache.
const CHUNKS_IN_FLIGHT: usize = 4;

/// One instance of a managed resource as the configuration has it, evaluated (phase 1 of
/// the level walk).
pub(super) struct Evaluated<'c> {
    pub addr: AbsResourceInstance,
    pub repetition: RepetitionData,
    /// The instance's configuration, with the marks its expressions gave it (the schema's
    /// sensitive attributes are marked on the planned value, by `remark`).
    pub config_value: Value,
    /// The object state has, lent by the planner's working copy of state.
    pub prior: Option<&'c InstanceState>,
    pub flags: decide::Flags,
    /// Selected by `--target` (always, without targets). An instance outside the targets
    /// is refreshed and planned for its values only: its replacement is not planned.
    pub targeted: bool,
}

/// One instance to refresh and plan, with what it needs of its resource.
pub(super) struct Job<'c> {
    pub provider: Arc<dyn Provider>,
    pub type_name: &'c str,
    pub ty: &'c Type,
    pub ignore: &'c IgnoreChanges,
    pub schema: &'c ResourceSchema,
    pub lifecycle: decide::Lifecycle,
    pub instance: Evaluated<'c>,
}

/// What refreshing and planning one instance found.
pub(super) struct InstancePlan {
    pub addr: AbsResourceInstance,
    pub repetition: RepetitionData,
    /// The instance's configuration, until the chunk is planned (null after).
    pub config_value: Value,
    /// The decided change; `None` when the provider produced no plan.
    pub change: Option<ResourceChange>,
    /// How `change` was decided (with it).
    pub decision: Option<Decision>,
    /// Boxed: rare, and an instance's plan is moved several times on its way.
    pub drift: Option<Box<ResourceChange>>,
    /// Refresh found the object gone.
    pub gone: bool,
    /// The refresh's and the plan's.
    pub diags: Diagnostics,
    /// The plan of a replacement's create half.
    pub create_plan_diags: Diagnostics,
}

/// Refreshes (with `refresh`) and plans every job, answering in job order with each job's
/// tag, chunk by chunk (the caller distributes them; one flat vector of every instance's
/// plan would be one more copy of all of them). At most `parallelism` reads reach the
/// remote APIs at once; plans are the providers' own computation and are not limited.
///
/// On a multi-threaded runtime the chunks are split into lanes, one per core, each driven
/// by a thread of its own: building requests and deciding changes is the engine's CPU work
/// (and an in-process provider's plan is too), and one thread left the other cores idle.
pub(super) async fn plan_all<T: Send>(
    jobs: Vec<(T, Job<'_>)>,
    refresh: bool,
    parallelism: usize,
) -> Vec<Vec<(T, InstancePlan)>> {
    let parallelism = parallelism.max(1);
    let read_permits = tokio::sync::Semaphore::new(parallelism);
    let chunks: Vec<(usize, Vec<(T, Job<'_>)>)> = chunks(jobs).into_iter().enumerate().collect();
    let lanes = lanes(chunks.len());
    let handle =
        tokio::runtime::Handle::try_current().ok().filter(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    let Some(handle) = handle.filter(|_| lanes > 1) else {
        return plan_lane(chunks, refresh, &read_permits, parallelism).await;
    };
    let mut groups = split_into(chunks, lanes).into_iter();
    let first = groups.next().unwrap_or_default();
    let read_permits = &read_permits;
    // The lanes borrow the jobs (and the state their prior objects are lent from), so they
    // are scoped threads; this thread drives the first lane itself. `block_in_place` lets
    // the runtime move other tasks off this thread while it does.
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let others: Vec<_> = groups
                .map(|group| {
                    let handle = handle.clone();
                    scope.spawn(move || handle.block_on(plan_lane(group, refresh, read_permits, parallelism)))
                })
                .collect();
            let mut out = handle.block_on(plan_lane(first, refresh, read_permits, parallelism));
            for lane in others {
                match lane.join() {
                    Ok(answers) => out.extend(answers),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            out
        })
    })
}

/// Chunks of one lane, [`CHUNKS_IN_FLIGHT`] at a time, in order.
async fn plan_lane<T>(
    chunks: Vec<(usize, Vec<(T, Job<'_>)>)>,
    refresh: bool,
    read_permits: &tokio::sync::Semaphore,
    parallelism: usize,
) -> Vec<Vec<(T, InstancePlan)>> {
    stream::iter(chunks)
        .map(|(i, chunk)| {
            let span = info_span!("plan_chunk", instances = chunk.len());
            plan_chunk(chunk, refresh, read_permits, read_share(parallelism, i)).instrument(span)
        })
        .buffered(CHUNKS_IN_FLIGHT)
        .collect()
        .await
}

/// How many lanes `chunks` chunks are planned in: one per core, each with at least
/// [`CHUNKS_IN_FLIGHT`] chunks (fewer are not worth a thread).
fn lanes(chunks: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    (chunks / (2 * CHUNKS_IN_FLIGHT)).clamp(1, cores)
}

/// `items` cut into `n` consecutive groups of nearly equal size.
fn split_into<I>(items: Vec<I>, n: usize) -> Vec<Vec<I>> {
    let n = n.max(1);
    let (size, extra) = (items.len() / n, items.len() % n);
    let mut items = items.into_iter();
    (0..n).map(|i| items.by_ref().take(size + usize::from(i < extra)).collect()).collect()
}

/// How many of the `parallelism` reads chunk `i` may have in flight. The chunks in flight
/// share the limit (chunk `i` takes the place of chunk `i - CHUNKS_IN_FLIGHT`, so together
/// they hold at most all of it): each chunk's read batch is a round trip to a plugin, and
/// chunks that each waited for the whole limit would make those round trips one at a time.
fn read_share(parallelism: usize, i: usize) -> usize {
    let slot = i % CHUNKS_IN_FLIGHT;
    (parallelism / CHUNKS_IN_FLIGHT + usize::from(slot < parallelism % CHUNKS_IN_FLIGHT)).max(1)
}

/// Consecutive jobs of the same provider instance, in chunks of at most [`CHUNK`]. A
/// level too small to fill [`CHUNKS_IN_FLIGHT`] chunks is cut into that many smaller ones:
/// levels of a hundred instances (a configuration of long chains has a hundred such
/// levels) then overlap the engine's and the plugin's work too, instead of the engine
/// waiting for one big chunk at the end of every level.
fn chunks<T>(jobs: Vec<(T, Job<'_>)>) -> Vec<Vec<(T, Job<'_>)>> {
    let size = chunk_size(jobs.len());
    let mut out: Vec<Vec<(T, Job<'_>)>> = Vec::with_capacity(jobs.len().div_ceil(size));
    for job in jobs {
        let joins = out.last().is_some_and(|chunk| {
            chunk.len() < size && chunk.first().is_some_and(|first| same_provider(&first.1.provider, &job.1.provider))
        });
        match out.last_mut() {
            Some(chunk) if joins => chunk.push(job),
            _ => {
                let mut chunk = Vec::with_capacity(size);
                chunk.push(job);
                out.push(chunk);
            }
        }
    }
    out
}

fn chunk_size(jobs: usize) -> usize {
    jobs.div_ceil(CHUNKS_IN_FLIGHT).clamp(1, CHUNK)
}

fn same_provider(a: &Arc<dyn Provider>, b: &Arc<dyn Provider>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
}

/// One instance on its way through a chunk.
struct Work<'c, T> {
    tag: T,
    job: Job<'c>,
    span: tracing::Span,
    prior_value: Option<Value>,
    drift: Option<Box<ResourceChange>>,
    gone: bool,
    diags: Diagnostics,
}

async fn plan_chunk<'c, T>(
    chunk: Vec<(T, Job<'c>)>,
    refresh: bool,
    read_permits: &tokio::sync::Semaphore,
    read_share: usize,
) -> Vec<(T, InstancePlan)> {
    let Some(provider) = chunk.first().map(|(_, job)| job.provider.clone()) else { return Vec::new() };
    let mut work: Vec<Work<'c, T>> = chunk
        .into_iter()
        .map(|(tag, job)| {
            let span = info_span!("plan", addr = %job.instance.addr);
            let prior_value = span.in_scope(|| job.instance.prior.map(|s| decode_state(s, job.ty)));
            Work { tag, job, span, prior_value, drift: None, gone: false, diags: Diagnostics::new() }
        })
        .collect();
    if refresh {
        refresh_chunk(&provider, &mut work, read_permits, read_share).await;
    }
    let planned: Vec<usize> = (0..work.len()).filter(|&i| !work[i].diags.has_errors()).collect();
    let requests: Vec<provider::PlanRequest> = planned.iter().map(|&i| plan_request(&work[i])).collect();
    let mut responses = provider.plan_batch(requests).await.into_iter();
    let mut answers: Vec<Option<provider::PlanResponse>> = (0..work.len()).map(|_| None).collect();
    for i in planned {
        // A provider that answered fewer than asked leaves the rest without a plan.
        answers[i] = Some(responses.next().unwrap_or_default());
    }
    let creates: Vec<Option<&'c ResourceSchema>> =
        work.iter().map(|w| w.job.instance.targeted.then_some(w.job.schema)).collect();
    let mut plans: Vec<(T, InstancePlan)> = work
        .into_iter()
        .zip(answers)
        .map(|(w, answer)| {
            let span = w.span.clone();
            span.in_scope(|| finish(w, answer))
        })
        .collect();
    plan_creates(&provider, &mut plans, &creates).await;
    // Nothing after the chunk reads the configurations: freed now rather than after every
    // chunk of the level is planned (a few hundred bytes to a kilobyte per instance).
    for (_, plan) in &mut plans {
        plan.config_value = Value::null();
    }
    plans
}

/// Plans the create half of every replacement in the chunk (of the instances with a schema
/// in `schemas`) from no prior object, as one batch: computed attributes become unknown
/// again. The configuration goes as written: `ignore_changes` keeps prior values, and a
/// new object has none.
async fn plan_creates<T>(
    provider: &Arc<dyn Provider>,
    plans: &mut [(T, InstancePlan)],
    schemas: &[Option<&ResourceSchema>],
) {
    let mut replaced = Vec::new();
    let mut requests = Vec::new();
    for (i, ((_, plan), schema)) in plans.iter().zip(schemas).enumerate() {
        let (Some(change), Some(decision), Some(schema)) = (&plan.change, plan.decision, schema) else { continue };
        if decision.plans_create() {
            replaced.push((i, *schema));
            let config = plan.config_value.clone();
            requests.push(provider::PlanRequest::new(&schema.block, change.type_name.clone(), None, config, None));
        }
    }
    if requests.is_empty() {
        return;
    }
    let mut responses = provider.plan_batch(requests).await.into_iter();
    for (i, schema) in replaced {
        let plan = &mut plans[i].1;
        let Some(response) = responses.next() else {
            let message = format!("Provider produced no plan for the replacement of {}", plan.addr);
            plan.create_plan_diags.push(Diagnostic::error(message));
            continue;
        };
        plan.create_plan_diags.extend(response.diagnostics);
        if let (Some(planned), Some(change)) = (response.planned_state, plan.change.as_mut()) {
            change.after = Some(remark(planned, &plan.config_value, &schema.block));
        }
    }
}

/// Reads every instance of the chunk that has an object, as one batch, and records drift.
async fn refresh_chunk<T>(
    provider: &Arc<dyn Provider>,
    work: &mut [Work<'_, T>],
    read_permits: &tokio::sync::Semaphore,
    read_share: usize,
) {
    let mut read = Vec::new();
    let mut requests = Vec::new();
    for (i, w) in work.iter().enumerate() {
        if let (Some(state), Some(before)) = (&w.job.instance.prior, &w.prior_value) {
            read.push(i);
            requests.push(provider::ReadRequest {
                type_name: w.job.type_name.to_string(),
                current_state: before.clone().without_marks(),
                private: state.private.clone(),
            });
        }
    }
    if requests.is_empty() {
        return;
    }
    let concurrency = requests.len().min(read_share);
    let responses = {
        // Reads reach the remote API: at most `parallelism` at once, over all chunks.
        let permits = u32::try_from(concurrency).unwrap_or(u32::MAX);
        let _permits = read_permits.acquire_many(permits).await;
        provider.read_batch(requests, concurrency).await
    };
    let mut responses = responses.into_iter();
    for i in read {
        let w = &mut work[i];
        let _entered = w.span.enter();
        let Some(response) = responses.next() else {
            w.diags.push(Diagnostic::error(format!("Provider did not answer the refresh of {}", w.job.instance.addr)));
            continue;
        };
        w.diags.extend(response.diagnostics);
        let (Some(state), Some(before)) = (&w.job.instance.prior, w.prior_value.take()) else { continue };
        let refreshed = response.new_state.map(|v| v.mark_paths(&state.sensitive_paths));
        if drifted(&w.job.schema.block, &before, refreshed.as_ref()) {
            w.drift = Some(Box::new(ResourceChange {
                addr: w.job.instance.addr.clone(),
                provider: state.provider.clone(),
                type_name: w.job.type_name.to_string(),
                action: if refreshed.is_some() { Action::Update } else { Action::Delete },
                reason: None,
                before: Some(before),
                after: refreshed.clone(),
                replace_paths: Vec::new(),
                create_before_destroy: false,
                private: None,
                deposed: None,
                dependencies: Vec::new(),
            }));
        }
        w.gone = refreshed.is_none();
        w.prior_value = refreshed;
    }
}

fn plan_request<T>(w: &Work<'_, T>) -> provider::PlanRequest {
    let _entered = w.span.enter();
    let job = &w.job;
    let config_value = &job.instance.config_value;
    let config = match &w.prior_value {
        Some(prior) => apply_ignore_changes(config_value.clone(), prior, job.ignore, &job.schema.block),
        None => config_value.clone(),
    };
    let prior_private = job.instance.prior.and_then(|s| s.private.clone());
    provider::PlanRequest::new(
        &job.schema.block,
        job.type_name.to_string(),
        w.prior_value.clone(),
        config,
        prior_private,
    )
}

/// Turns the provider's answer into a decided change.
fn finish<T>(w: Work<'_, T>, answer: Option<provider::PlanResponse>) -> (T, InstancePlan) {
    let Work { tag, job, prior_value, drift, gone, mut diags, .. } = w;
    let Job { type_name, schema, lifecycle, instance, .. } = job;
    let Evaluated { addr, repetition, config_value, prior, flags, .. } = instance;
    let mut plan = InstancePlan {
        addr,
        repetition,
        config_value,
        change: None,
        decision: None,
        drift,
        gone,
        diags: Diagnostics::new(),
        create_plan_diags: Diagnostics::new(),
    };
    let Some(response) = answer else {
        plan.diags = diags;
        return (tag, plan);
    };
    diags.extend(response.diagnostics);
    let Some(planned) = response.planned_state else {
        if !diags.has_errors() {
            diags.push(Diagnostic::error(format!("Provider produced no plan for {}", plan.addr)));
        }
        plan.diags = diags;
        return (tag, plan);
    };
    plan.diags = diags;
    let planned = remark(planned, &plan.config_value, &schema.block);
    let mut replace_paths = response.requires_replace;
    if let Some(prior) = &prior_value {
        replace_paths.extend(replacing_paths(schema, prior, &planned));
    }
    replace_paths.sort();
    replace_paths.dedup();
    let decision = decide::managed(Facts {
        refreshed: prior_value.as_ref(),
        planned: &planned,
        replace_paths: &replace_paths,
        lifecycle,
        flags,
    });
    plan.decision = Some(decision);
    // A no-op's prior state is usually its planned state exactly: held once (see
    // `ResourceChange::before`).
    let before = prior_value.filter(|prior| decision.action != Action::NoOp || *prior != planned);
    plan.change = Some(ResourceChange {
        addr: plan.addr.clone(),
        provider: String::new(),
        type_name: type_name.to_string(),
        action: decision.action,
        reason: decision.reason,
        before,
        after: Some(planned),
        replace_paths,
        create_before_destroy: decision.create_before_destroy,
        private: response.planned_private.or_else(|| prior.and_then(|s| s.private.clone())),
        deposed: None,
        dependencies: Vec::new(),
    });
    (tag, plan)
}

/// Attributes whose change class forbids an in-place change and that the plan changes
/// (or leaves unknown), and blocks that force replacement and differ.
fn replacing_paths(schema: &ResourceSchema, prior: &Value, planned: &Value) -> Vec<Path> {
    let same = |b: Option<&Value>, a: Option<&Value>| match (b, a) {
        (Some(b), Some(a)) => b.eq_unmarked(a),
        (b, a) => b.is_some() == a.is_some(),
    };
    let mut paths = Vec::new();
    for (name, attr) in &schema.block.attributes {
        if attr.change != ChangeClass::InPlace {
            let differs = match (prior.get_attr(name), planned.get_attr(name)) {
                (Some(b), Some(a)) => !a.is_wholly_known() || !a.eq_unmarked(b),
                (b, a) => b.is_some() != a.is_some(),
            };
            if differs {
                paths.push(Path::attr(name));
            }
        }
    }
    for (name, block) in &schema.block.blocks {
        if block.forces_replacement && !same(prior.get_attr(name), planned.get_attr(name)) {
            paths.push(Path::attr(name));
        }
    }
    paths
}

#[cfg(test)]
mod tests;
