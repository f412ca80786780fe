//! `kmr_execution_plan`: runs a cluster template **once** or on a **schedule** (a cron
//! expression read in `time_zone`). Each run launches a transient cluster from the template,
//! which runs the jobs and releases itself; runs are observed (`last_run`, `run_count`,
//! `next_run_at`), never planned. Everything changes in place (`ModifyExecutionPlan`).

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::str::FromStr;

use corral_core::diag::Diagnostics;
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use corral_api_kmr::action;
use corral_api_kmr::plan::{
    ExecutionPlan as ApiPlan, ExecutionPlanIdAnswer, ExecutionPlanRequest, ListExecutionPlansAnswer,
};
use corral_api_kmr::status::STRATEGY_SCHEDULE;
use corral_provider_sdk::validate::Checks;

use crate::cluster::spec::{opt_string, str_attr, time_string};
use crate::record::{Attrs, Record, RecordApi};
use crate::resource::TypeSpec;

/// The resource type.
pub(crate) const EXECUTION_PLAN: RecordApi<ApiPlan> = RecordApi(PhantomData);

impl Record for ApiPlan {
    const NOUN: &'static str = "execution plan";
    const CREATE: &'static str = action::CREATE_EXECUTION_PLAN;
    const MODIFY: &'static str = action::MODIFY_EXECUTION_PLAN;
    const DELETE: &'static str = action::DELETE_EXECUTION_PLAN;
    const DESCRIBE: &'static str = action::DESCRIBE_EXECUTION_PLAN;
    const LIST: &'static str = action::LIST_EXECUTION_PLANS;
    type Create = ExecutionPlanRequest;
    type Modify = ExecutionPlanRequest;
    type Id = ExecutionPlanRequest;
    type Written = ExecutionPlanIdAnswer;
    type List = ListExecutionPlansAnswer;

    fn create(planned: &BTreeMap<String, Value>, client_token: String) -> ExecutionPlanRequest {
        ExecutionPlanRequest { client_token: Some(client_token), ..settings(planned) }
    }

    fn modify(planned: &BTreeMap<String, Value>, id: String) -> ExecutionPlanRequest {
        ExecutionPlanRequest { execution_plan_id: Some(id), ..settings(planned) }
    }

    fn id(id: String) -> ExecutionPlanRequest {
        ExecutionPlanRequest { execution_plan_id: Some(id), ..ExecutionPlanRequest::default() }
    }

    fn written_id(answer: ExecutionPlanIdAnswer) -> String {
        answer.execution_plan_id
    }

    fn listed(answer: ListExecutionPlansAnswer) -> Vec<ApiPlan> {
        answer.execution_plans
    }

    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }

    /// The plan's state: the API's settings, with the configuration's spelling of the start
    /// time kept when it names the same instant.
    fn state(&self, base: BTreeMap<String, Value>) -> Value {
        let mut attrs = base.clone();
        attrs.insert("id".into(), Value::string(&self.execution_plan_id));
        attrs.insert("name".into(), Value::string(&self.execution_plan_name));
        attrs.insert("template_id".into(), Value::string(&self.template_id));
        attrs.insert("mode".into(), Value::string(&self.strategy));
        attrs.insert("schedule".into(), opt_string(self.cron_expression.as_deref()));
        attrs.insert("time_zone".into(), Value::string(&self.time_zone));
        attrs.insert("enabled".into(), Value::Bool(self.enabled));
        let base_start = str_attr(&base, "start_time").and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok());
        if self.start_time.map(|t| t.fixed_offset()) != base_start {
            attrs.insert("start_time".into(), time_string(self.start_time.as_ref()));
        }
        attrs.insert("next_run_at".into(), time_string(self.next_run_time.as_ref()));
        attrs.insert("run_count".into(), Value::int(i64::try_from(self.run_count).unwrap_or(i64::MAX)));
        let last_run = match &self.last_run {
            Some(run) => Value::object([
                ("cluster_id".to_string(), opt_string(run.cluster_id.as_deref())),
                ("status".to_string(), Value::string(&run.run_status)),
                ("started_at".to_string(), time_string(Some(&run.start_time))),
                ("finished_at".to_string(), time_string(run.finish_time.as_ref())),
            ]),
            None => Value::Null(last_run_type()),
        };
        attrs.insert("last_run".into(), last_run);
        Value::Object(attrs)
    }

    /// Unset settings take their defaults; what the service computes is kept from `prior`,
    /// but for the next run when the timing changes.
    fn plan(schema: &ResourceSchema, planned: &mut Attrs, config: &Attrs, prior: Option<&Attrs>) -> Vec<Path> {
        for (name, value) in planned.iter_mut() {
            if config.get(name).is_none_or(Value::is_null)
                && let Some(default) = default_of(name)
            {
                *value = default;
            }
        }
        let timing = ["mode", "schedule", "time_zone", "start_time", "enabled"];
        let retimed = prior.is_some_and(|p| {
            timing.iter().any(|k| p.get(*k).map(Value::to_json) != planned.get(*k).map(Value::to_json))
        });
        for (name, attribute) in &schema.block.attributes {
            if attribute.computed && !attribute.optional {
                let value = match prior {
                    Some(prior) if !(retimed && name == "next_run_at") => {
                        prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone()))
                    }
                    _ => Value::Unknown(attribute.ty.clone()),
                };
                planned.insert(name.clone(), value);
            }
        }
        Vec::new()
    }
}

impl TypeSpec for ApiPlan {
    const TYPE: &'static str = TYPE_NAME;

    fn schema() -> ResourceSchema {
        plan_schema()
    }

    fn validate(config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE_NAME, config);
        checks.one_of("mode", MODES);
        let mode = config.get_attr("mode").and_then(Value::as_str);
        let schedule = config.get_attr("schedule");
        if mode.unwrap_or("schedule") == "schedule" && schedule.is_none_or(Value::is_null) {
            checks.error("schedule", "a `schedule` plan needs `schedule` (a cron expression)");
        }
        if let Some(cron) = schedule.and_then(Value::as_str)
            && let Err(e) = croner::Cron::from_str(cron)
        {
            checks.error("schedule", format!("`schedule` is not a cron expression: `{cron}`: {e}"));
        }
        if let Some(tz) = config.get_attr("time_zone").and_then(Value::as_str)
            && chrono_tz::Tz::from_str(tz).is_err()
        {
            checks.error("time_zone", format!("`time_zone` `{tz}` is not an IANA time zone (e.g. `Asia/Shanghai`)"));
        }
        if let Some(start) = config.get_attr("start_time").and_then(Value::as_str)
            && chrono::DateTime::parse_from_rfc3339(start).is_err()
        {
            checks.error("start_time", format!("`start_time` `{start}` is not an RFC 3339 time"));
        }
        checks.finish()
    }
}

pub const TYPE_NAME: &str = "kmr_execution_plan";

const MODES: &[&str] = &["schedule", "once"];

fn last_run_type() -> Type {
    Type::Object(
        ["cluster_id", "status", "started_at", "finished_at"]
            .into_iter()
            .map(|k| (k.to_string(), Type::String))
            .collect(),
    )
}

fn default_of(name: &str) -> Option<Value> {
    Some(match name {
        "mode" => Value::string("schedule"),
        "time_zone" => Value::string("UTC"),
        "enabled" => Value::Bool(true),
        _ => return None,
    })
}

fn plan_schema() -> ResourceSchema {
    let mut block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("name", AttributeSchema::required(Type::String))
        .attr("template_id", AttributeSchema::required(Type::String))
        .attr("mode", AttributeSchema::optional_computed(Type::String).describe("`schedule` (default) or `once`."))
        .attr(
            "schedule",
            AttributeSchema::optional(Type::String).describe("Cron expression (`0 2 * * *`), read in `time_zone`."),
        )
        .attr("time_zone", AttributeSchema::optional_computed(Type::String).describe("IANA time zone; default UTC."))
        .attr(
            "start_time",
            AttributeSchema::optional(Type::String)
                .describe("RFC 3339. `once`: when to run (unset: now); `schedule`: no run before it."),
        )
        .attr("enabled", AttributeSchema::optional_computed(Type::Bool))
        .attr("next_run_at", AttributeSchema::computed(Type::String))
        .attr("run_count", AttributeSchema::computed(Type::Number))
        .attr("last_run", AttributeSchema::computed(last_run_type()));
    block.description = Some("Runs a cluster template once or periodically.".into());
    ResourceSchema { version: 0, block }
}

/// A plan's settings from the planned attributes: what a create and a modify both send.
fn settings(planned: &BTreeMap<String, Value>) -> ExecutionPlanRequest {
    ExecutionPlanRequest {
        execution_plan_name: str_attr(planned, "name"),
        template_id: str_attr(planned, "template_id"),
        strategy: Some(str_attr(planned, "mode").unwrap_or_else(|| STRATEGY_SCHEDULE.into())),
        // Empty clears the schedule of a plan that had one.
        cron_expression: Some(str_attr(planned, "schedule").unwrap_or_default()),
        time_zone: Some(str_attr(planned, "time_zone").unwrap_or_else(|| "UTC".into())),
        // `validate` checked it is RFC 3339.
        start_time: str_attr(planned, "start_time")
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
        enabled: Some(planned.get("enabled").and_then(Value::as_bool).unwrap_or(true)),
        ..ExecutionPlanRequest::default()
    }
}
