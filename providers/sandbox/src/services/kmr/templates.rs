//! Cluster templates (transient clusters only): a transient cluster's configuration and
//! its jobs, made from a spec or saved from an existing transient cluster
//! (`SourceClusterId`). Actions: `CreateClusterTemplate`, `DescribeClusterTemplate`,
//! `ListClusterTemplates`, `ModifyClusterTemplate`, `DeleteClusterTemplate`.

use corral_provider_sdk::emulator::{ApiError, RequestContext};
use serde::Deserialize;
use serde_json::json;

use super::model::*;
use super::request::{SpecRequest, decode, invalid, required};
use super::{clusters, store};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateRequest {
    template_name: Option<String>,
    source_cluster_id: Option<String>,
    client_token: Option<String>,
    #[serde(flatten)]
    spec: SpecRequest,
}

pub fn create(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: CreateRequest = decode(body)?;
    let account = ctx.account.clone();
    let token = request.client_token.clone().filter(|t| !t.is_empty());
    if let Some(token) = &token
        && let Some(id) = store::created_by_token(ctx.tables, &account, "CreateClusterTemplate", token)
    {
        return Ok(json!({ "TemplateId": id }));
    }
    let name = template_name(&request.template_name)?;
    let in_use = store::list::<Template>(ctx.tables, TEMPLATES)?.iter().filter(|t| t.account == account).count();
    ctx.check_quota("QuotaExceeded.ClusterTemplate", "cluster_templates", in_use as u64, 1)?;
    let source = request.source_cluster_id.clone().filter(|s| !s.is_empty());
    let spec = match &source {
        Some(cluster_id) => {
            let cluster = clusters::find(ctx, cluster_id)?;
            if cluster.cluster_type != TYPE_TRANSIENT {
                return Err(invalid("SourceClusterId", format!("cluster `{cluster_id}` is not a transient cluster")));
            }
            cluster.spec()
        }
        None => request.spec.into_spec(true)?,
    };
    let template = Template {
        template_id: format!("tpl-{}", uuid::Uuid::new_v4().simple()),
        account: account.clone(),
        template_name: name,
        spec,
        source_cluster_id: source,
        client_token: token.clone(),
        create_time: ctx.now,
        update_time: ctx.now,
    };
    store::put(ctx.tables, TEMPLATES, &template.template_id, &template)?;
    if let Some(token) = &token {
        store::remember_token(ctx.tables, &account, "CreateClusterTemplate", token, &template.template_id);
    }
    Ok(json!({ "TemplateId": template.template_id }))
}

fn template_name(name: &Option<String>) -> Result<String, ApiError> {
    let name = required(name, "TemplateName")?;
    if name.chars().count() > 64 {
        return Err(invalid("TemplateName", "at most 64 characters"));
    }
    Ok(name)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdRequest {
    template_id: Option<String>,
}

pub fn find(ctx: &RequestContext<'_>, id: &str) -> Result<Template, ApiError> {
    match store::get::<Template>(ctx.tables, TEMPLATES, id)? {
        Some(t) if t.account == ctx.account => Ok(t),
        _ => Err(ApiError::not_found("TemplateNotFound", format!("cluster template `{id}` does not exist"))),
    }
}

pub fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: IdRequest = decode(body)?;
    let id = required(&request.template_id, "TemplateId")?;
    Ok(store::to_api(&find(ctx, &id)?))
}

pub fn list(ctx: &mut RequestContext<'_>) -> Result<serde_json::Value, ApiError> {
    let templates: Vec<serde_json::Value> = store::list::<Template>(ctx.tables, TEMPLATES)?
        .iter()
        .filter(|t| t.account == ctx.account)
        .map(store::to_api)
        .collect();
    Ok(json!({ "Total": templates.len(), "Templates": templates }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ModifyRequest {
    template_id: Option<String>,
    template_name: Option<String>,
    #[serde(flatten)]
    spec: SpecRequest,
}

/// Replaces the name and, when `MainVersion` is given, the whole spec (with its jobs).
pub fn modify(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ModifyRequest = decode(body)?;
    let id = required(&request.template_id, "TemplateId")?;
    let mut template = find(ctx, &id)?;
    if request.template_name.is_some() {
        template.template_name = template_name(&request.template_name)?;
    }
    if request.spec.main_version.is_some() {
        template.spec = request.spec.into_spec(true)?;
    }
    template.update_time = ctx.now;
    store::put(ctx.tables, TEMPLATES, &id, &template)?;
    Ok(json!({ "TemplateId": id }))
}

pub fn delete(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: IdRequest = decode(body)?;
    let id = required(&request.template_id, "TemplateId")?;
    find(ctx, &id)?;
    let users: Vec<String> = store::list::<ExecutionPlan>(ctx.tables, PLANS)?
        .into_iter()
        .filter(|p| p.account == ctx.account && p.template_id == id)
        .map(|p| p.execution_plan_id)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            409,
            "TemplateInUse",
            format!("cluster template `{id}` is used by execution plan(s) {}", users.join(", ")),
        ));
    }
    ctx.tables.delete(TEMPLATES, &id);
    Ok(json!({ "TemplateId": id }))
}
