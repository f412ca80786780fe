//! `kmr_cluster_template`: a transient cluster's configuration and jobs, made from the
//! attributes or saved from an existing transient cluster (`source_cluster_id`, which forces
//! replacement). Everything else changes in place (`ModifyClusterTemplate`); a template has
//! no infrastructure of its own.

use std::collections::BTreeMap;

use corral_engine::diag::Diagnostics;
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, PlanRequest, PlanResponse, ReadRequest,
    ReadResponse,
};
use corral_engine::schema::ResourceSchema;
use corral_engine::value::{Path, Value};
use corral_provider_sdk::validate::Checks;
use serde_json::json;

use crate::cluster::schema::{self, default_of};
use crate::cluster::spec::{self, attributes, json_string, str_attr};
use crate::record::RecordApi;
use crate::resource::{Ctx, ResourceType};

const API: RecordApi = RecordApi {
    create: "CreateClusterTemplate",
    modify: "ModifyClusterTemplate",
    delete: "DeleteClusterTemplate",
    id_field: "TemplateId",
    noun: "cluster template",
    describe: "DescribeClusterTemplate",
    list: "ListClusterTemplates",
    list_field: "Templates",
    schema: schema::template_schema,
    body,
    state: state_from_api,
};

pub const TYPE_NAME: &str = "kmr_cluster_template";

pub struct Template;

#[async_trait::async_trait]
impl ResourceType for Template {
    fn name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> ResourceSchema {
        schema::template_schema()
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE_NAME, config);
        if config.get_attr("source_cluster_id").is_none_or(Value::is_null) {
            checks.required(
                &[
                    "version",
                    "vpc_id",
                    "subnet_id",
                    "master_instance_type",
                    "core_instance_type",
                    "core_count",
                    "log_uri",
                ],
                Some("or save an existing transient cluster with `source_cluster_id`"),
            );
        }
        checks.finish()
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        if request.proposed_new_state.is_null() {
            return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
        }
        let schema = self.schema();
        let mut planned = attributes(&request.proposed_new_state, &schema);
        let config = attributes(&request.config, &schema);
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null()).map(|p| attributes(p, &schema));
        let from_source = planned.get("source_cluster_id").is_some_and(|v| !v.is_null());
        let mut requires_replace = Vec::new();
        if let Some(prior) = &prior
            && prior.get("source_cluster_id").map(Value::to_json)
                != planned.get("source_cluster_id").map(Value::to_json)
        {
            requires_replace.push(Path::attr("source_cluster_id"));
        }
        let fresh = prior.is_none() || !requires_replace.is_empty();
        for (name, attribute) in &schema.block.attributes {
            if !attribute.computed || config.get(name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let value = match (&prior, fresh) {
                (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone())),
                // Saved from a cluster: the service fills in what the cluster had.
                _ if from_source || !attribute.optional => Value::Unknown(attribute.ty.clone()),
                _ => default_of(name).unwrap_or(Value::Null(attribute.ty.clone())),
            };
            planned.insert(name.clone(), value);
        }
        PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        API.apply(ctx, &request).await
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        API.read(ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        API.find_created(ctx, request).await
    }
}

/// The request body: the name and either the source cluster or the whole spec.
fn body(planned: &BTreeMap<String, Value>) -> serde_json::Value {
    let mut body = match str_attr(planned, "source_cluster_id") {
        Some(source) => json!({ "SourceClusterId": source }),
        None => spec::spec_body(planned),
    };
    body["TemplateName"] = json!(str_attr(planned, "name"));
    body
}

fn state_from_api(template: &serde_json::Value, base: BTreeMap<String, Value>) -> Value {
    let mut attrs = base.clone();
    attrs.insert("id".into(), json_string(template, "TemplateId"));
    attrs.insert("name".into(), json_string(template, "TemplateName"));
    attrs.insert("created_at".into(), json_string(template, "CreateTime"));
    spec::spec_from_api(template, &base, &mut attrs);
    if base.get("source_cluster_id").is_some_and(|v| !v.is_null())
        && let Some(jobs) = base.get("job")
    {
        // The jobs came from the source cluster, not from `job` blocks.
        attrs.insert("job".into(), jobs.clone());
    }
    Value::Object(attrs)
}
