//! `mrs_cluster`: an MRS cluster with master, core and task node groups.
//!
//! - Plan: the service's rules (name, core floor 3, 500 core+task nodes, tags) as plan errors
//!   at their attribute; lowering `core_count` needs `allow_core_shrink` (the SDK's shared
//!   `guard::core_shrink`); a master flavor change is an in-place update (one master at a time
//!   behind master HA, so it needs two masters); other fields MRS fixes at creation are
//!   immutable (a plan error that says why).
//! - Apply (`apply`): create waits for `running`; an update renames, upgrades the masters,
//!   scales core then task nodes (retrying the busy error), then sets tags; delete waits for
//!   `terminated`. A prepaid cluster is not deleted (MRS unsubscribes it through billing):
//!   delete refuses before any call and names the unsubscription.

mod apply;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use corral_api_mrs::cluster::{CORE_FLOOR, MAX_CORE_AND_TASK_NODES, MIN_MASTERS_FOR_UPGRADE, check_cluster_name};
use corral_api_mrs::tag::{Tag, check_tag};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{PlanRequest, PlanResponse};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};
use corral_provider_sdk::guard;

pub(crate) use apply::{apply, find_created, read};

pub(crate) const TYPE_NAME: &str = "mrs_cluster";

pub(crate) const TYPES: &[&str] = &["analysis", "streaming", "mixed"];
pub(crate) const POST_PAID: &str = "post_paid";
pub(crate) const PRE_PAID: &str = "pre_paid";

const AT_CREATION: &str = "MRS fixes it when the cluster is created";
const NETWORK: &str =
    "MRS places a cluster's nodes in its network when it is created, and a new cluster starts with empty HDFS";

/// Attributes whose change would need a new cluster, with why (the engine turns each into
/// a plan error naming the reason).
const IMMUTABLE: &[&str] = &[
    "version",
    "type",
    "components",
    "availability_zone",
    "vpc_name",
    "subnet_id",
    "security_group_id",
    "safe_mode",
    "admin_password",
    "node_root_password",
    "node_keypair_name",
    "master_count",
    "core_flavor",
    "task_flavor",
    "charging_mode",
    "period_months",
];

pub(crate) fn schema() -> ResourceSchema {
    let immutable = |ty: Type, why: &str| AttributeSchema::required(ty).immutable(why);
    let optional_immutable = |ty: Type, why: &str| AttributeSchema::optional(ty).immutable(why);
    let computed_immutable = |ty: Type, why: &str| AttributeSchema::optional_computed(ty).immutable(why);
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr(
            "name",
            AttributeSchema::required(Type::String).describe("2–64 letters, digits, `-`, `_`; renamed in place."),
        )
        .attr(
            "version",
            immutable(Type::String, "MRS does not upgrade a cluster's version in place").describe("e.g. `MRS 3.1.0`."),
        )
        .attr(
            "type",
            computed_immutable(Type::String, "a cluster's type decides its node groups, chosen at creation")
                .describe("`analysis` (default), `streaming` or `mixed`."),
        )
        .attr(
            "components",
            immutable(Type::list(Type::String), "MRS installs components when the cluster is created")
                .describe("e.g. `[\"Hadoop\", \"Spark2x\", \"Hive\"]`."),
        )
        .attr(
            "availability_zone",
            computed_immutable(Type::String, NETWORK).describe("Default: the region's first zone (`<region>a`)."),
        )
        .attr("vpc_name", immutable(Type::String, NETWORK))
        .attr("subnet_id", immutable(Type::String, NETWORK))
        .attr("security_group_id", computed_immutable(Type::String, NETWORK))
        .attr(
            "safe_mode",
            computed_immutable(Type::Bool, "Kerberos authentication is set up when the cluster is created")
                .describe("Kerberos authentication (`true`, default) or simple mode."),
        )
        .attr(
            "admin_password",
            AttributeSchema::required(Type::String)
                .write_only()
                .immutable("MRS Manager's admin password is set at creation; change it in MRS Manager")
                .describe("MRS Manager's `admin` password. Write-only: the state keeps a digest."),
        )
        .attr(
            "node_root_password",
            AttributeSchema::optional(Type::String)
                .write_only()
                .immutable(AT_CREATION)
                .describe("The nodes' root password (or set `node_keypair_name`). Write-only."),
        )
        .attr("node_keypair_name", optional_immutable(Type::String, AT_CREATION))
        .attr(
            "master_flavor",
            AttributeSchema::required(Type::String).describe(
                "Masters' flavor; changing it upgrades the masters in place, one at a time (needs 2 masters).",
            ),
        )
        .attr(
            "master_count",
            computed_immutable(Type::Number, "MRS never changes the number of masters")
                .describe("Default 2 (master HA)."),
        )
        .attr("core_flavor", immutable(Type::String, "MRS scales a node group but never changes its flavor"))
        .attr(
            "core_count",
            AttributeSchema::required(Type::Number).describe(
                "Core nodes (HDFS DataNodes), at least 3; scales in place, lowering it needs `allow_core_shrink`.",
            ),
        )
        .attr("task_flavor", optional_immutable(Type::String, "MRS scales a node group but never changes its flavor"))
        .attr(
            "task_count",
            AttributeSchema::optional_computed(Type::Number)
                .describe("Task nodes (no HDFS), default 0; scales in place."),
        )
        .attr(
            guard::ALLOW_CORE_SHRINK,
            AttributeSchema::optional_computed(Type::Bool)
                .describe("Allow lowering `core_count`: core nodes hold HDFS blocks, removing them risks data loss."),
        )
        .attr("tags", AttributeSchema::optional(Type::map(Type::String)).describe("At most 10; changed in place."))
        .attr(
            "charging_mode",
            computed_immutable(Type::String, "a cluster's billing is chosen at creation")
                .describe("`post_paid` (default, pay per use) or `pre_paid` (monthly; destroyed by unsubscribing)."),
        )
        .attr("period_months", optional_immutable(Type::Number, AT_CREATION).describe("A prepaid cluster's months."))
        .attr("status", AttributeSchema::computed(Type::String))
        .attr("master_ip", AttributeSchema::computed(Type::String))
        .attr("order_id", AttributeSchema::computed(Type::String).describe("The order of a prepaid cluster."));
    // Creation takes 15 minutes, resizing 5: mostly waiting for MRS.
    ResourceSchema { version: 0, block: block.long_running() }
}

/// Static checks that need no other value (the rest are at plan).
pub(crate) fn validate(config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    if let Some(kind) = config.get_attr("type").and_then(Value::as_str)
        && !TYPES.contains(&kind)
    {
        diagnostics.push(
            Diagnostic::error(format!("`type = \"{kind}\"` is not one of {}", TYPES.join(", ")))
                .with_attribute(Path::attr("type")),
        );
    }
    if let Some(mode) = config.get_attr("charging_mode").and_then(Value::as_str)
        && mode != POST_PAID
        && mode != PRE_PAID
    {
        diagnostics.push(
            Diagnostic::error(format!("`charging_mode = \"{mode}\"` is not `{POST_PAID}` or `{PRE_PAID}`"))
                .with_attribute(Path::attr("charging_mode")),
        );
    }
    diagnostics
}

pub(crate) use corral_provider_sdk::refresh::state_attributes as attrs;

pub(crate) fn str_of(map: &BTreeMap<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn int_of(map: &BTreeMap<String, Value>, name: &str) -> Option<i64> {
    map.get(name).and_then(Value::as_number).and_then(|n| n.to_i64())
}

pub(crate) fn tags_of(map: &BTreeMap<String, Value>) -> Vec<Tag> {
    map.get("tags")
        .and_then(Value::as_entries)
        .map(|m| m.iter().filter_map(|(k, v)| Some(Tag { key: k.clone(), value: v.as_str()?.to_string() })).collect())
        .unwrap_or_default()
}

fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => corral_provider_sdk::plan::known_equal(a, b),
        (None, None) => true,
        (Some(v), None) | (None, Some(v)) => v.is_null(),
    }
}

fn at(name: &str, summary: String) -> Diagnostic {
    Diagnostic::error(summary).with_attribute(Path::attr(name))
}

/// Fills the defaults of optional attributes left unset.
fn fill_defaults(planned: &mut BTreeMap<String, Value>) {
    let defaults = [
        ("type", Value::string("analysis")),
        ("safe_mode", Value::Bool(true)),
        ("master_count", Value::int(2)),
        ("task_count", Value::int(0)),
        (guard::ALLOW_CORE_SHRINK, Value::Bool(false)),
        ("charging_mode", Value::string(POST_PAID)),
    ];
    for (name, default) in defaults {
        if planned.get(name).is_none_or(Value::is_null) {
            planned.insert(name.to_string(), default);
        }
    }
}

/// The service's rules, as plan errors at their attribute.
fn check(planned: &BTreeMap<String, Value>, config: &Value, prior: Option<&BTreeMap<String, Value>>) -> Diagnostics {
    let mut d = Diagnostics::new();
    if let Some(name) = str_of(planned, "name")
        && let Err(e) = check_cluster_name(&name)
    {
        d.push(at("name", e));
    }
    let core = int_of(planned, "core_count");
    let task = int_of(planned, "task_count");
    if let Some(core) = core
        && core < i64::from(CORE_FLOOR)
    {
        d.push(
            at("core_count", format!("`core_count = {core}`: an MRS cluster keeps at least {CORE_FLOOR} core nodes"))
                .with_detail("HDFS keeps three replicas of each block on core nodes"),
        );
    }
    if let (Some(core), Some(task)) = (core, task)
        && core + task > i64::from(MAX_CORE_AND_TASK_NODES)
    {
        d.push(at(
            "core_count",
            format!("{core} core and {task} task nodes: a cluster has at most {MAX_CORE_AND_TASK_NODES}"),
        ));
    }
    if task.is_some_and(|t| t < 0) {
        d.push(at("task_count", "`task_count` cannot be negative".into()));
    }
    if task.is_some_and(|t| t > 0) && planned.get("task_flavor").is_none_or(Value::is_null) {
        d.push(at("task_count", "task nodes need `task_flavor`".into()));
    }
    if int_of(planned, "master_count").is_some_and(|m| m < 1) {
        d.push(at("master_count", "a cluster has at least one master".into()));
    }
    let tags = tags_of(planned);
    if tags.len() > corral_api_mrs::cluster::MAX_TAGS {
        d.push(at("tags", format!("{} tags: a cluster has at most {}", tags.len(), corral_api_mrs::cluster::MAX_TAGS)));
    }
    for tag in &tags {
        if let Err(e) = check_tag(tag) {
            d.push(at("tags", e));
        }
    }
    // Write-only values are in the configuration only (the planned state holds digests).
    let has = |name: &str| config.get_attr(name).is_some_and(|v| !v.unmarked().is_null());
    if has("node_keypair_name") == has("node_root_password") {
        d.push(at("node_keypair_name", "set exactly one of `node_keypair_name` and `node_root_password`".into()));
    }
    let Some(prior) = prior else { return d };
    if let (Some(from), Some(to)) = (int_of(prior, "core_count"), core) {
        let allowed = planned.get(guard::ALLOW_CORE_SHRINK).and_then(Value::as_bool) == Some(true);
        if let Some(refused) = guard::core_shrink(from, to, allowed) {
            d.push(refused);
        }
    }
    if !same(prior.get("master_flavor"), planned.get("master_flavor"))
        && let Some(masters) = int_of(planned, "master_count")
        && masters < i64::from(MIN_MASTERS_FOR_UPGRADE)
    {
        d.push(
            at("master_flavor", format!("changing `master_flavor` of a cluster with {masters} master is refused"))
                .with_detail(format!(
                    "MRS upgrades masters one at a time behind master HA, which needs {MIN_MASTERS_FOR_UPGRADE} masters"
                )),
        );
    }
    d
}

pub(crate) fn plan(request: PlanRequest) -> PlanResponse {
    let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(attrs);
    if request.proposed_new_state.is_null() {
        return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
    }
    let mut planned = attrs(&request.proposed_new_state);
    fill_defaults(&mut planned);
    let diagnostics = check(&planned, &request.config, prior.as_ref());
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..PlanResponse::default() };
    }
    let requires_replace: Vec<Path> = match &prior {
        Some(prior) => IMMUTABLE
            .iter()
            .filter(|name| {
                // Left unset, an optional computed attribute keeps what the service chose.
                planned.get(**name).is_some_and(Value::is_known) && !same(prior.get(**name), planned.get(**name))
            })
            .map(|name| Path::attr(name))
            .collect(),
        None => Vec::new(),
    };
    let fresh = prior.is_none() || !requires_replace.is_empty();
    for (name, ty) in
        [("id", Type::String), ("status", Type::String), ("master_ip", Type::String), ("order_id", Type::String)]
    {
        let value = match (&prior, fresh) {
            (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(ty)),
            _ => Value::Unknown(ty),
        };
        planned.insert(name.to_string(), value);
    }
    for name in ["availability_zone", "security_group_id"] {
        if planned.get(name).is_none_or(Value::is_null) {
            let value = match (&prior, fresh) {
                (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(Type::String)),
                _ => Value::Unknown(Type::String),
            };
            planned.insert(name.to_string(), value);
        }
    }
    PlanResponse {
        planned_state: Some(Value::Object(planned)),
        requires_replace,
        diagnostics,
        ..PlanResponse::default()
    }
}
