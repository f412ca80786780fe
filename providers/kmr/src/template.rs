//! `kmr_cluster_template`: a transient cluster's configuration and jobs, made from the
//! attributes or saved from an existing transient cluster (`source_cluster_id`, which forces
//! replacement). Everything else changes in place (`ModifyClusterTemplate`); a template has
//! no infrastructure of its own.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use corral_core::diag::Diagnostics;
use corral_core::schema::ResourceSchema;
use corral_core::value::{Path, Value};

use corral_api_kmr::action;
use corral_api_kmr::spec::SpecRequest;
use corral_api_kmr::template::{
    ClusterTemplate, CreateClusterTemplateRequest, ListClusterTemplatesAnswer, ModifyClusterTemplateRequest,
    TemplateIdAnswer, TemplateIdRequest,
};
use corral_provider_sdk::validate::Checks;

use crate::cluster::schema::{self, default_of};
use crate::cluster::spec::{self, str_attr};
use crate::record::{Attrs, Record, RecordApi};
use crate::resource::TypeSpec;

/// The resource type.
pub(crate) const TEMPLATE: RecordApi<ClusterTemplate> = RecordApi(PhantomData);

impl Record for ClusterTemplate {
    const NOUN: &'static str = "cluster template";
    const CREATE: &'static str = action::CREATE_CLUSTER_TEMPLATE;
    const MODIFY: &'static str = action::MODIFY_CLUSTER_TEMPLATE;
    const DELETE: &'static str = action::DELETE_CLUSTER_TEMPLATE;
    const DESCRIBE: &'static str = action::DESCRIBE_CLUSTER_TEMPLATE;
    const LIST: &'static str = action::LIST_CLUSTER_TEMPLATES;
    type Create = CreateClusterTemplateRequest;
    type Modify = ModifyClusterTemplateRequest;
    type Id = TemplateIdRequest;
    type Written = TemplateIdAnswer;
    type List = ListClusterTemplatesAnswer;

    /// The name and either the source cluster or the whole spec.
    fn create(planned: &BTreeMap<String, Value>, client_token: String) -> CreateClusterTemplateRequest {
        let source_cluster_id = str_attr(planned, "source_cluster_id");
        CreateClusterTemplateRequest {
            template_name: str_attr(planned, "name"),
            spec: if source_cluster_id.is_some() { SpecRequest::default() } else { spec::spec_body(planned) },
            source_cluster_id,
            client_token: Some(client_token),
        }
    }

    /// The name and, unless the template was saved from a cluster, the whole spec.
    fn modify(planned: &BTreeMap<String, Value>, id: String) -> ModifyClusterTemplateRequest {
        let saved = str_attr(planned, "source_cluster_id").is_some();
        ModifyClusterTemplateRequest {
            template_id: Some(id),
            template_name: str_attr(planned, "name"),
            spec: if saved { SpecRequest::default() } else { spec::spec_body(planned) },
        }
    }

    fn id(id: String) -> TemplateIdRequest {
        TemplateIdRequest { template_id: Some(id) }
    }

    fn written_id(answer: TemplateIdAnswer) -> String {
        answer.template_id
    }

    fn listed(answer: ListClusterTemplatesAnswer) -> Vec<ClusterTemplate> {
        answer.templates
    }

    fn client_token(&self) -> Option<&str> {
        self.client_token.as_deref()
    }

    fn state(&self, base: BTreeMap<String, Value>) -> Value {
        let mut attrs = base.clone();
        attrs.insert("id".into(), Value::string(&self.template_id));
        attrs.insert("name".into(), Value::string(&self.template_name));
        attrs.insert("created_at".into(), spec::time_string(Some(&self.create_time)));
        // The service's word, so an imported template saved from a cluster says so.
        attrs.insert("source_cluster_id".into(), spec::opt_string(self.source_cluster_id.as_deref()));
        spec::spec_from_api((&self.spec).into(), &base, &mut attrs);
        if base.get("source_cluster_id").is_some_and(|v| !v.is_null())
            && let Some(jobs) = base.get("job")
        {
            // The jobs came from the source cluster, not from `job` blocks.
            attrs.insert("job".into(), jobs.clone());
        }
        Value::Object(attrs)
    }

    /// A new `source_cluster_id` replaces the template; what is unset is kept from `prior`,
    /// or what the service fills in (unknown) or the default for a new one.
    fn plan(schema: &ResourceSchema, planned: &mut Attrs, config: &Attrs, prior: Option<&Attrs>) -> Vec<Path> {
        let from_source = planned.get("source_cluster_id").is_some_and(|v| !v.is_null());
        let mut requires_replace = Vec::new();
        if let Some(prior) = prior
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
            let value = match (prior, fresh) {
                (Some(prior), false) => prior.get(name).cloned().unwrap_or(Value::Null(attribute.ty.clone())),
                // Saved from a cluster: the service fills in what the cluster had.
                _ if from_source || !attribute.optional => Value::Unknown(attribute.ty.clone()),
                _ => default_of(name).unwrap_or(Value::Null(attribute.ty.clone())),
            };
            planned.insert(name.clone(), value);
        }
        requires_replace
    }
}

impl TypeSpec for ClusterTemplate {
    const TYPE: &'static str = TYPE_NAME;

    fn schema() -> ResourceSchema {
        schema::template_schema()
    }

    fn validate(config: &Value) -> Diagnostics {
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
}

pub const TYPE_NAME: &str = "kmr_cluster_template";
