//! `mrs_scaling_policy`: the auto-scaling policy of one task node group (research.md §1.3,
//! §7.10): the group's node range, `rule` blocks (a trigger on a metric — comparison,
//! threshold, five-minute evaluation periods — that adds or removes nodes, then waits its
//! cool-down), `resource_plan` blocks (daily windows with their own range) and `exec_script`
//! blocks (scripts run around a scale).
//!
//! Every rule of the service (`corral_api_mrs::scaling`, which the sandbox enforces too) is
//! checked at plan time and reported at the attribute's line. The policy is set with the v2
//! API (`POST`/`PUT .../autoscaling-policy/{cluster}`), read back from the cluster's policies
//! and deleted with `DELETE`; no wait (the service applies it at once). A policy the service
//! answers as Corral would send it reads as unchanged, so defaults the service fills in
//! (a rule's 20-minute cool-down) make no drift.

use std::collections::BTreeMap;

use corral_api_mrs::errors;
use corral_api_mrs::operation::Operation;
use corral_api_mrs::scaling::{
    self as wire, AutoScalingPolicy, ExecScript, ResourcesPlan, Rule, ScalingPolicyRequest, Trigger,
};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ResourceSchema};
use corral_core::value::{Number, Path, Type, Value};

use crate::provider::{Ctx, api_error, error};
use crate::rest::RestError;

pub(crate) const TYPE_NAME: &str = "mrs_scaling_policy";

const DEFAULT_POOL: &str = "default";

pub(crate) fn schema() -> ResourceSchema {
    let number = |text: &str| AttributeSchema::required(Type::Number).describe(text);
    let rule = BlockSchema::new()
        .attr(
            "name",
            AttributeSchema::required(Type::String).describe("1–64 letters, digits, `_`, `-`; unique in the group."),
        )
        .attr("description", AttributeSchema::optional(Type::String))
        .attr("adjustment_type", AttributeSchema::required(Type::String).describe("`scale_out` or `scale_in`."))
        .attr("scaling_adjustment", number("Nodes added or removed at once, 1–100."))
        .attr(
            "cool_down_minutes",
            AttributeSchema::optional(Type::Number).describe("Minutes before the next scale, 0–10080; default 20."),
        )
        .attr(
            "metric_name",
            AttributeSchema::required(Type::String).describe("e.g. `YARNAppRunning`, `YARNMemoryAvailablePercentage`."),
        )
        .attr("metric_value", number("The threshold: a number with at most two decimals."))
        .attr("comparison_operator", AttributeSchema::required(Type::String).describe("`LT`, `GT`, `LTOE` or `GTOE`."))
        .attr("evaluation_periods", number("Five-minute periods the threshold must hold, 1–288."));
    let plan = BlockSchema::new()
        .attr("start_time", AttributeSchema::required(Type::String).describe("`HH:mm`."))
        .attr(
            "end_time",
            AttributeSchema::required(Type::String).describe("`HH:mm`, at least 30 minutes after the start."),
        )
        .attr("min_capacity", number("Nodes at least, in the window."))
        .attr("max_capacity", number("Nodes at most, in the window."));
    let script = BlockSchema::new()
        .attr("name", AttributeSchema::required(Type::String))
        .attr("uri", AttributeSchema::required(Type::String).describe("A `.sh` script on OBS."))
        .attr("parameters", AttributeSchema::optional(Type::String).describe("e.g. `${mrs_scale_node_num}`."))
        .attr("nodes", AttributeSchema::required(Type::list(Type::String)).describe("Master, Core and/or Task."))
        .attr("active_master", AttributeSchema::optional(Type::Bool))
        .attr("action_stage", AttributeSchema::required(Type::String).describe("before/after_scale_out/in."))
        .attr(
            "fail_action",
            AttributeSchema::required(Type::String).describe("`continue` or `errorout`; `continue` after_scale_in."),
        );
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String).describe("`<cluster_id>/<node_group>`."))
        .attr("cluster_id", AttributeSchema::required(Type::String).forces_replacement())
        .attr(
            "node_group",
            AttributeSchema::required(Type::String)
                .forces_replacement()
                .describe("A task node group, e.g. `task_node_analysis_group`."),
        )
        .attr(
            "resource_pool",
            AttributeSchema::optional_computed(Type::String).forces_replacement().describe("Default `default`."),
        )
        .attr("enabled", AttributeSchema::optional_computed(Type::Bool).describe("Default true."))
        .attr("min_capacity", number("Task nodes at least, 0–500."))
        .attr("max_capacity", number("Task nodes at most, 0–500."))
        .block("rule", NestedBlockSchema::new(Nesting::List, rule))
        .block("resource_plan", NestedBlockSchema::new(Nesting::List, plan))
        .block("exec_script", NestedBlockSchema::new(Nesting::List, script));
    ResourceSchema { version: 0, block }
}

fn attrs(value: &Value) -> BTreeMap<String, Value> {
    match value.clone().without_marks() {
        Value::Object(map) => map,
        _ => BTreeMap::new(),
    }
}

fn text(map: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

fn count(map: &BTreeMap<String, Value>, name: &str) -> Option<u32> {
    map.get(name).and_then(Value::as_number).and_then(|n| n.to_i64()).and_then(|n| u32::try_from(n).ok())
}

fn blocks(map: &BTreeMap<String, Value>, name: &str) -> Vec<BTreeMap<String, Value>> {
    match map.get(name) {
        Some(Value::List(_, items) | Value::Tuple(items) | Value::Set(_, items)) => items.iter().map(attrs).collect(),
        _ => Vec::new(),
    }
}

/// A number as the API writes a threshold (`75`, `0.25`).
fn number_text(value: Option<&Value>) -> String {
    value.and_then(Value::as_number).map(ToString::to_string).unwrap_or_default()
}

/// The policy the configuration asks for, in the API's shape. Out-of-range numbers become
/// values the service's rules refuse (so the check names them), never a silent clamp.
fn to_api(map: &BTreeMap<String, Value>) -> AutoScalingPolicy {
    let n = |m: &BTreeMap<String, Value>, name: &str| {
        m.get(name)
            .and_then(Value::as_number)
            .and_then(|n| n.to_i64())
            .map_or(0, |v| u32::try_from(v).unwrap_or(u32::MAX))
    };
    AutoScalingPolicy {
        auto_scaling_enable: map.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        min_capacity: n(map, "min_capacity"),
        max_capacity: n(map, "max_capacity"),
        resources_plans: blocks(map, "resource_plan")
            .iter()
            .map(|p| ResourcesPlan {
                period_type: "daily".into(),
                start_time: text(p, "start_time").unwrap_or_default(),
                end_time: text(p, "end_time").unwrap_or_default(),
                min_capacity: n(p, "min_capacity"),
                max_capacity: n(p, "max_capacity"),
            })
            .collect(),
        rules: blocks(map, "rule")
            .iter()
            .map(|r| Rule {
                name: text(r, "name").unwrap_or_default(),
                description: text(r, "description").unwrap_or_default(),
                adjustment_type: text(r, "adjustment_type").unwrap_or_default(),
                cool_down_minutes: count(r, "cool_down_minutes")
                    .or_else(|| r.get("cool_down_minutes").filter(|v| !v.is_null()).map(|_| u32::MAX))
                    .unwrap_or(wire::DEFAULT_COOL_DOWN_MINUTES),
                scaling_adjustment: n(r, "scaling_adjustment"),
                trigger: Trigger {
                    metric_name: text(r, "metric_name").unwrap_or_default(),
                    metric_value: number_text(r.get("metric_value")),
                    comparison_operator: text(r, "comparison_operator").unwrap_or_default(),
                    evaluation_periods: n(r, "evaluation_periods"),
                },
            })
            .collect(),
        exec_scripts: blocks(map, "exec_script")
            .iter()
            .map(|s| ExecScript {
                name: text(s, "name").unwrap_or_default(),
                uri: text(s, "uri").unwrap_or_default(),
                parameters: text(s, "parameters").unwrap_or_default(),
                nodes: s
                    .get("nodes")
                    .and_then(Value::as_seq)
                    .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
                active_master: s.get("active_master").and_then(Value::as_bool).unwrap_or(false),
                action_stage: text(s, "action_stage").unwrap_or_default(),
                fail_action: text(s, "fail_action").unwrap_or_default(),
            })
            .collect(),
    }
}

/// The API's field path (`rules[0].trigger.metric_value`) as the configuration's
/// (`rule[0].metric_value`), so the diagnostic points at that line.
fn corral_path(api_path: &str) -> Path {
    let mut path = Path::root();
    for segment in api_path.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<i64>().ok()),
            None => (segment, None),
        };
        let name = match name {
            "rules" => "rule",
            "resources_plans" => "resource_plan",
            "exec_scripts" => "exec_script",
            "trigger" => continue,
            other => other,
        };
        path = path.then(name);
        if let Some(index) = index {
            path = path.index(index);
        }
    }
    path
}

/// The service's rules, each at its attribute.
fn check(planned: &BTreeMap<String, Value>) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(group) = text(planned, "node_group")
        && let Err(e) = wire::check_node_group(&group)
    {
        d.push(Diagnostic::error(e).with_attribute(Path::attr("node_group")));
    }
    let policy_known = ["min_capacity", "max_capacity", "enabled", "rule", "resource_plan", "exec_script"]
        .iter()
        .all(|name| planned.get(*name).is_none_or(Value::is_wholly_known));
    if !policy_known {
        // Judged at apply time, when every value is known.
        return d;
    }
    for problem in to_api(planned).problems() {
        d.push(
            Diagnostic::error(format!("{}: {}", TYPE_NAME, problem.message)).with_attribute(corral_path(&problem.path)),
        );
    }
    d
}

fn id_of(map: &BTreeMap<String, Value>) -> Value {
    match (text(map, "cluster_id"), text(map, "node_group")) {
        (Some(cluster), Some(group)) => Value::string(format!("{cluster}/{group}")),
        _ => Value::Unknown(Type::String),
    }
}

pub(crate) fn plan(request: PlanRequest) -> PlanResponse {
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
    }
    let mut planned = attrs(&request.proposed_new_state);
    if planned.get("resource_pool").is_none_or(Value::is_null) {
        planned.insert("resource_pool".into(), Value::string(DEFAULT_POOL));
    }
    if planned.get("enabled").is_none_or(Value::is_null) {
        planned.insert("enabled".into(), Value::Bool(true));
    }
    planned.insert("id".into(), id_of(&planned));
    let diagnostics = check(&planned);
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..PlanResponse::default() };
    }
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(attrs);
    let requires_replace = match &prior {
        Some(prior) => ["cluster_id", "node_group", "resource_pool"]
            .iter()
            .filter(|name| {
                let (old, new) = (prior.get(**name), planned.get(**name));
                !matches!((old, new), (Some(a), Some(b)) if corral_provider_sdk::plan::known_equal(a, b))
            })
            .map(|name| Path::attr(name))
            .collect(),
        None => Vec::new(),
    };
    PlanResponse {
        planned_state: Some(Value::Object(planned)),
        requires_replace,
        diagnostics,
        ..PlanResponse::default()
    }
}

fn path(ctx: &Ctx, operation: Operation, cluster: &str) -> String {
    operation.path(&[("pid", &ctx.project_id), ("id", cluster)])
}

/// The group's policy as the service keeps it, `None` when it has none (or the cluster is gone).
async fn current(ctx: &Ctx, cluster: &str, group: &str) -> Result<Option<AutoScalingPolicy>, RestError> {
    let operation = Operation::GetScalingPolicy;
    match ctx.rest.call(operation.method(), &path(ctx, operation, cluster), "", None).await {
        Ok(answer) => {
            let policy = answer.get("auto_scaling_policies").and_then(|p| p.get(group)).cloned();
            policy.map(serde_json::from_value).transpose().map_err(|e| RestError::Transport {
                endpoint: String::new(),
                message: format!("an unreadable policy: {e}"),
            })
        }
        Err(e) if e.code() == Some(errors::CLUSTER_NOT_FOUND) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn apply(ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
    let planned = request.planned_state.as_ref().filter(|p| !p.is_null()).map(attrs);
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(attrs);
    let Some(planned) = planned else {
        let Some(prior) = prior else { return ApplyResponse::default() };
        return delete(ctx, prior).await;
    };
    let (Some(cluster), Some(group)) = (text(&planned, "cluster_id"), text(&planned, "node_group")) else {
        return ApplyResponse {
            diagnostics: error("`mrs_scaling_policy` needs `cluster_id` and `node_group`"),
            ..Default::default()
        };
    };
    // Unknown at plan time, known now: judged before anything is sent.
    let problems = check(&planned);
    if problems.has_errors() {
        return ApplyResponse { new_state: request.prior_state, diagnostics: problems, ..ApplyResponse::default() };
    }
    let body = ScalingPolicyRequest {
        node_group: group.clone(),
        resource_pool_name: text(&planned, "resource_pool").unwrap_or_else(|| DEFAULT_POOL.into()),
        auto_scaling_policy: to_api(&planned),
    };
    let operation = if prior.is_some() { Operation::UpdateScalingPolicy } else { Operation::CreateScalingPolicy };
    let body = match serde_json::to_value(&body) {
        Ok(body) => body,
        Err(e) => return ApplyResponse { diagnostics: error(e.to_string()), ..ApplyResponse::default() },
    };
    if let Err(e) = ctx.rest.call(operation.method(), &path(ctx, operation, &cluster), "", Some(&body)).await {
        return ApplyResponse {
            new_state: request.prior_state,
            diagnostics: api_error(&format!("setting the scaling policy of {cluster}/{group}"), &e),
            ..ApplyResponse::default()
        };
    }
    let mut state = planned;
    state.insert("id".into(), Value::string(format!("{cluster}/{group}")));
    ApplyResponse { new_state: Some(Value::Object(state)), ..ApplyResponse::default() }
}

async fn delete(ctx: &Ctx, prior: BTreeMap<String, Value>) -> ApplyResponse {
    let (Some(cluster), Some(group)) = (text(&prior, "cluster_id"), text(&prior, "node_group")) else {
        return ApplyResponse::default();
    };
    let operation = Operation::DeleteScalingPolicy;
    let query = format!("node_group_name={group}");
    match ctx.rest.call(operation.method(), &path(ctx, operation, &cluster), &query, None).await {
        Ok(_) => ApplyResponse::default(),
        Err(e) if matches!(e.code(), Some(errors::SCALING_POLICY_NOT_FOUND | errors::CLUSTER_NOT_FOUND)) => {
            ApplyResponse::default()
        }
        Err(e) => ApplyResponse {
            new_state: Some(Value::Object(prior)),
            diagnostics: api_error(&format!("deleting the scaling policy of {cluster}/{group}"), &e),
            ..ApplyResponse::default()
        },
    }
}

/// The state for a policy the service answers: the prior state when it sends what the prior
/// state would send, else the service's policy in the configuration's shape.
fn state_from_api(prior: BTreeMap<String, Value>, policy: &AutoScalingPolicy) -> Value {
    if &to_api(&prior) == policy {
        return Value::Object(prior);
    }
    let mut state = prior;
    let int = |n: u32| Value::int(i64::from(n));
    let opt = |s: &str| if s.is_empty() { Value::Null(Type::String) } else { Value::string(s) };
    state.insert("enabled".into(), Value::Bool(policy.auto_scaling_enable));
    state.insert("min_capacity".into(), int(policy.min_capacity));
    state.insert("max_capacity".into(), int(policy.max_capacity));
    let threshold = |s: &str| Number::parse(s).map_or(Value::Null(Type::Number), Value::Number);
    let rules: Vec<Value> = policy
        .rules
        .iter()
        .map(|r| {
            Value::Object(BTreeMap::from([
                ("name".to_string(), Value::string(&r.name)),
                ("description".to_string(), opt(&r.description)),
                ("adjustment_type".to_string(), Value::string(&r.adjustment_type)),
                ("scaling_adjustment".to_string(), int(r.scaling_adjustment)),
                ("cool_down_minutes".to_string(), int(r.cool_down_minutes)),
                ("metric_name".to_string(), Value::string(&r.trigger.metric_name)),
                ("metric_value".to_string(), threshold(&r.trigger.metric_value)),
                ("comparison_operator".to_string(), Value::string(&r.trigger.comparison_operator)),
                ("evaluation_periods".to_string(), int(r.trigger.evaluation_periods)),
            ]))
        })
        .collect();
    let plans: Vec<Value> = policy
        .resources_plans
        .iter()
        .map(|p| {
            Value::Object(BTreeMap::from([
                ("start_time".to_string(), Value::string(&p.start_time)),
                ("end_time".to_string(), Value::string(&p.end_time)),
                ("min_capacity".to_string(), int(p.min_capacity)),
                ("max_capacity".to_string(), int(p.max_capacity)),
            ]))
        })
        .collect();
    let scripts: Vec<Value> = policy
        .exec_scripts
        .iter()
        .map(|s| {
            Value::Object(BTreeMap::from([
                ("name".to_string(), Value::string(&s.name)),
                ("uri".to_string(), Value::string(&s.uri)),
                ("parameters".to_string(), opt(&s.parameters)),
                ("nodes".to_string(), Value::List(Type::String, s.nodes.iter().map(Value::string).collect())),
                ("active_master".to_string(), Value::Bool(s.active_master)),
                ("action_stage".to_string(), Value::string(&s.action_stage)),
                ("fail_action".to_string(), Value::string(&s.fail_action)),
            ]))
        })
        .collect();
    let schema = schema();
    for (name, items) in [("rule", rules), ("resource_plan", plans), ("exec_script", scripts)] {
        let ty = schema.block.blocks.get(name).map(|b| b.block.ty()).unwrap_or(Type::Dynamic);
        state.insert(name.into(), Value::List(ty, items));
    }
    Value::Object(state)
}

pub(crate) async fn read(ctx: &Ctx, request: ReadRequest) -> ReadResponse {
    let prior = attrs(&request.current_state);
    let (Some(cluster), Some(group)) = (text(&prior, "cluster_id"), text(&prior, "node_group")) else {
        return ReadResponse {
            diagnostics: error("the state of `mrs_scaling_policy` has no cluster or group"),
            ..Default::default()
        };
    };
    match current(ctx, &cluster, &group).await {
        Ok(Some(policy)) => ReadResponse {
            new_state: Some(state_from_api(prior, &policy)),
            private: request.private,
            ..Default::default()
        },
        Ok(None) => ReadResponse::default(),
        Err(e) => ReadResponse {
            new_state: Some(request.current_state),
            diagnostics: api_error(&format!("reading the scaling policy of {cluster}/{group}"), &e),
            ..ReadResponse::default()
        },
    }
}

/// Setting a policy is one call that either happened or not: the group's policy, if any, is it.
pub(crate) async fn find_created(ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
    let base = request.planned_state.as_ref().map(attrs).unwrap_or_default();
    let (Some(cluster), Some(group)) = (text(&base, "cluster_id"), text(&base, "node_group")) else {
        return FindCreatedResponse::default();
    };
    match current(ctx, &cluster, &group).await {
        Ok(Some(policy)) => {
            let mut base = base;
            base.insert("id".into(), Value::string(format!("{cluster}/{group}")));
            FindCreatedResponse { state: Some(state_from_api(base, &policy)), ..FindCreatedResponse::default() }
        }
        Ok(None) => FindCreatedResponse::default(),
        Err(e) => FindCreatedResponse {
            diagnostics: api_error("looking for a set scaling policy", &e),
            ..FindCreatedResponse::default()
        },
    }
}

#[cfg(test)]
mod tests;
