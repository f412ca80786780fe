//! Cluster templates (transient clusters only): a transient cluster's configuration and
//! its jobs, made from a spec or saved from an existing transient cluster
//! (`SourceClusterId`). Actions: `CreateClusterTemplate`, `DescribeClusterTemplate`,
//! `ListClusterTemplates`, `ModifyClusterTemplate`, `DeleteClusterTemplate`.

use corral_api_kmr::action;
use corral_api_kmr::errors;
use corral_api_kmr::template::{
    CreateClusterTemplateRequest, ListClusterTemplatesAnswer, ModifyClusterTemplateRequest, TemplateIdAnswer,
    TemplateIdRequest,
};
use corral_provider_sdk::emulator::{ApiError, RequestContext};

use super::model::*;
use super::request::{answer, check_name, decode, into_spec, invalid, required};
use super::{clusters, store};

pub fn create(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: CreateClusterTemplateRequest = decode(body)?;
    let account = ctx.account.clone();
    let token = request.client_token.clone().filter(|t| !t.is_empty());
    if let Some(token) = &token
        && let Some(id) = store::created_by_token(ctx.tables, &account, action::CREATE_CLUSTER_TEMPLATE, token)
    {
        return Ok(id_answer(id));
    }
    let name = template_name(&request.template_name)?;
    let in_use = store::list::<Template>(ctx.tables, TEMPLATES)?.iter().filter(|t| t.account == account).count();
    ctx.check_quota(errors::QUOTA_CLUSTER_TEMPLATE, "cluster_templates", in_use as u64, 1)?;
    let source = request.source_cluster_id.clone().filter(|s| !s.is_empty());
    let spec = match &source {
        Some(cluster_id) => {
            let cluster = clusters::find(ctx, cluster_id)?;
            if cluster.cluster_type != TYPE_TRANSIENT {
                return Err(invalid("SourceClusterId", format!("cluster `{cluster_id}` is not a transient cluster")));
            }
            cluster.spec()
        }
        None => into_spec(request.spec, true)?,
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
        store::remember_token(ctx.tables, &account, action::CREATE_CLUSTER_TEMPLATE, token, &template.template_id);
    }
    Ok(id_answer(template.template_id))
}

fn template_name(name: &Option<String>) -> Result<String, ApiError> {
    let name = required(name, "TemplateName")?;
    check_name(&name, "TemplateName")?;
    Ok(name)
}

fn id_answer(template_id: String) -> serde_json::Value {
    answer(&TemplateIdAnswer { template_id })
}

pub fn find(ctx: &RequestContext<'_>, id: &str) -> Result<Template, ApiError> {
    match store::get::<Template>(ctx.tables, TEMPLATES, id)? {
        Some(t) if t.account == ctx.account => Ok(t),
        _ => Err(ApiError::not_found(errors::TEMPLATE_NOT_FOUND, format!("cluster template `{id}` does not exist"))),
    }
}

pub fn describe(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: TemplateIdRequest = decode(body)?;
    let id = required(&request.template_id, "TemplateId")?;
    Ok(answer(&find(ctx, &id)?.view()))
}

pub fn list(ctx: &mut RequestContext<'_>) -> Result<serde_json::Value, ApiError> {
    let templates: Vec<_> = store::list::<Template>(ctx.tables, TEMPLATES)?
        .iter()
        .filter(|t| t.account == ctx.account)
        .map(Template::view)
        .collect();
    Ok(answer(&ListClusterTemplatesAnswer { total: templates.len(), templates }))
}

/// Replaces the name and, when `MainVersion` is given, the whole spec (with its jobs).
pub fn modify(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: ModifyClusterTemplateRequest = decode(body)?;
    let id = required(&request.template_id, "TemplateId")?;
    let mut template = find(ctx, &id)?;
    if request.template_name.is_some() {
        template.template_name = template_name(&request.template_name)?;
    }
    if request.spec.main_version.is_some() {
        template.spec = into_spec(request.spec, true)?;
    }
    template.update_time = ctx.now;
    store::put(ctx.tables, TEMPLATES, &id, &template)?;
    Ok(id_answer(id))
}

pub fn delete(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: TemplateIdRequest = decode(body)?;
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
            errors::TEMPLATE_IN_USE,
            format!("cluster template `{id}` is used by execution plan(s) {}", users.join(", ")),
        ));
    }
    ctx.tables.delete(TEMPLATES, &id);
    Ok(id_answer(id))
}
