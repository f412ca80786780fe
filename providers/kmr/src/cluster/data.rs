//! Data source `kmr_cluster`: an existing cluster, by `id` (`DescribeCluster`) or by `name`
//! (`ListClusters`, every page, clusters that are not `terminated`; exactly one must match).
//! It exposes what the resource computes — status, node groups and their counts, type,
//! billing, network, `log_uri`, the master's addresses — for clusters Corral does not manage.

use std::collections::BTreeMap;

use corral_api_kmr::action;
use corral_api_kmr::cluster::{Cluster as ApiCluster, ListClustersAnswer, ListClustersRequest};
use corral_api_kmr::status::STATUS_TERMINATED;
use corral_core::diag::Diagnostic;
use corral_core::provider::{ReadDataRequest, ReadDataResponse};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Type, Value};

use super::spec::{attributes, time_string};
use super::{TYPE_NAME, schema, state_from_api};
use crate::kmr_api::{self, api_error, call, error, status_of};
use crate::resource::{Ctx, DataSourceType};

pub struct ClusterData;

/// What only a configuration says, never the API: not part of the data source.
const CONFIG_ONLY: &[&str] = &["allow_core_shrink", "admin_password"];

/// How many clusters one `ListClusters` page holds (the API's maximum).
const PAGE: usize = corral_api_kmr::limits::PAGE_MAX;

fn data_schema() -> ResourceSchema {
    let resource = schema::cluster_schema();
    let mut block = BlockSchema::new();
    for (name, attribute) in resource.block.attributes {
        if CONFIG_ONLY.contains(&name.as_str()) {
            continue;
        }
        let mut computed = match name.as_str() {
            "id" => AttributeSchema::optional_computed(attribute.ty).describe("The cluster's id; or set `name`"),
            "name" => AttributeSchema::optional_computed(attribute.ty)
                .describe("The cluster's name, when exactly one cluster that is not terminated has it"),
            _ => AttributeSchema::computed(attribute.ty),
        };
        if computed.description.is_none() {
            computed.description = attribute.description;
        }
        block = block.attr(&name, computed);
    }
    block = block
        .attr("created_at", AttributeSchema::computed(Type::String))
        .attr("serving_minutes", AttributeSchema::computed(Type::Number).describe("Minutes the cluster has run"));
    block.description = Some("An existing KMR cluster, by id or by name.".into());
    ResourceSchema { version: 0, block }
}

/// The data source's value from a described cluster.
fn data_state(cluster: &ApiCluster) -> Value {
    let resource = schema::cluster_schema();
    let base = attributes(&Value::empty_object(), &resource);
    let Value::Object(mut attrs) = state_from_api(cluster, base) else { return Value::null() };
    let data = data_schema();
    attrs.retain(|name, _| data.block.attributes.contains_key(name));
    attrs.insert("created_at".into(), time_string(Some(&cluster.create_time)));
    attrs.insert("serving_minutes".into(), Value::int(cluster.serving_minutes));
    Value::Object(attrs)
}

/// Every cluster of the account named `name` that is not terminated.
async fn by_name(ctx: &Ctx, name: &str) -> Result<Vec<ApiCluster>, corral_provider_sdk::http::CallError> {
    let mut found = Vec::new();
    let mut marker = format!("limit={PAGE}&offset=0");
    loop {
        let request = ListClustersRequest { marker: Some(marker.clone()), ..ListClustersRequest::default() };
        let answer: ListClustersAnswer = call(ctx, action::LIST_CLUSTERS, &request).await?;
        found.extend(
            answer.clusters.into_iter().filter(|c| c.cluster_name == name && c.cluster_status != STATUS_TERMINATED),
        );
        match answer.marker.as_deref() {
            Some(next) if !next.is_empty() && next != marker => marker = next.to_string(),
            _ => return Ok(found),
        }
    }
}

#[async_trait::async_trait]
impl DataSourceType for ClusterData {
    fn name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> ResourceSchema {
        data_schema()
    }

    async fn read(&self, ctx: &Ctx, request: ReadDataRequest) -> ReadDataResponse {
        let text = |name: &str| request.config.get_attr(name).and_then(Value::as_str).map(str::to_string);
        let fail = |diagnostics| ReadDataResponse { diagnostics, ..ReadDataResponse::default() };
        let cluster = match (text("id"), text("name")) {
            (Some(id), name) => match kmr_api::describe_cluster(ctx, &id).await {
                Ok(Some(cluster)) => {
                    let actual = cluster.cluster_name.as_str();
                    if let Some(name) = name.filter(|n| n != actual) {
                        return fail(error(format!("KMR cluster {id} is named `{actual}`, not `{name}`")));
                    }
                    cluster
                }
                Ok(None) => return fail(error(format!("no KMR cluster has id `{id}`"))),
                Err(e) => return fail(api_error(&format!("reading data kmr_cluster {id}"), &e)),
            },
            (None, Some(name)) => match by_name(ctx, &name).await {
                Ok(mut found) if found.len() == 1 => found.remove(0),
                Ok(found) if found.is_empty() => {
                    return fail(error(format!("no KMR cluster named `{name}` exists (terminated ones do not count)")));
                }
                Ok(found) => {
                    let ids: BTreeMap<String, String> =
                        found.iter().map(|c| (c.cluster_id.clone(), status_of(c))).collect();
                    let listed = ids.iter().map(|(id, status)| format!("{id} ({status})")).collect::<Vec<_>>();
                    return fail(
                        Diagnostic::error(format!("{} KMR clusters are named `{name}`", found.len()))
                            .with_detail(format!("found {}", listed.join(", ")))
                            .with_help("choose one by `id`")
                            .into(),
                    );
                }
                Err(e) => return fail(api_error(&format!("looking up KMR clusters named `{name}`"), &e)),
            },
            (None, None) => return fail(error("data `kmr_cluster` needs `id` or `name`")),
        };
        ReadDataResponse { state: Some(data_state(&cluster)), ..ReadDataResponse::default() }
    }
}
