//! `kmr_security_group` (resource and data source). The resource makes the user's own
//! groups; the data source reads any group by VPC and name — the way to reach the
//! service-made `KSCKMR` group, which Corral never creates or deletes.

use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_engine::value::{Path, Type, Value};
use corral_sandbox::services::vpc::KMR_GROUP_NAME;
use serde_json::json;

use super::VPC_VERSION;
use super::lookup::Lookup;
use crate::resource::{Ctx, DataSourceType, ResourceType};
use crate::support::{
    api_error, client_token, error, failed, filter, get_str, is_not_found, json_str, plan_from_schema,
};

pub struct SecurityGroup;
pub struct SecurityGroupData;

const TYPE: &str = "kmr_security_group";

const LOOKUP: Lookup = Lookup {
    type_name: TYPE,
    noun: "security group",
    action: "DescribeSecurityGroups",
    set_field: "SecurityGroupSet",
    id_field: "SecurityGroupId",
    state,
};

fn state(group: &serde_json::Value) -> Value {
    Value::object([
        ("id".to_string(), json_str(group, "SecurityGroupId")),
        ("vpc_id".to_string(), json_str(group, "VpcId")),
        ("name".to_string(), json_str(group, "SecurityGroupName")),
        ("description".to_string(), json_str(group, "Description")),
        ("managed".to_string(), Value::Bool(group.get("ServiceManaged").and_then(|m| m.as_bool()) == Some(true))),
        ("created_at".to_string(), json_str(group, "CreateTime")),
    ])
}

/// Every group a describe request matches (the rule resource looks groups up too).
pub(crate) async fn describe(
    ctx: &Ctx,
    body: serde_json::Value,
) -> Result<Vec<serde_json::Value>, corral_provider_sdk::http::CallError> {
    LOOKUP.describe(ctx, body).await
}

fn schema_block(data: bool) -> BlockSchema {
    let block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("managed", AttributeSchema::computed(Type::Bool).describe("Made and owned by the service (`KSCKMR`)"))
        .attr("created_at", AttributeSchema::computed(Type::String));
    if data {
        block
            .attr("vpc_id", AttributeSchema::required(Type::String))
            .attr("name", AttributeSchema::required(Type::String).describe("e.g. `KSCKMR`"))
            .attr("description", AttributeSchema::computed(Type::String))
    } else {
        block
            .attr("vpc_id", AttributeSchema::required(Type::String).forces_replacement())
            .attr("name", AttributeSchema::required(Type::String))
            .attr("description", AttributeSchema::optional_computed(Type::String))
    }
}

#[async_trait::async_trait]
impl ResourceType for SecurityGroup {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema { version: 0, block: schema_block(false) }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        if config.get_attr("name").and_then(Value::as_str) == Some(KMR_GROUP_NAME) {
            diagnostics.push(
                Diagnostic::error(format!("`{KMR_GROUP_NAME}` is made by KMR, not by Corral"))
                    .with_attribute(Path::attr("name"))
                    .with_help(format!("read it with `data \"kmr_security_group\"` (vpc_id and name = \"{KMR_GROUP_NAME}\") and add rules to it")),
            );
        }
        diagnostics
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        plan_from_schema(&self.schema(), &request)
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let prior = request.prior_state.clone().filter(|p| !p.is_null());
        let planned = request.planned_state.clone().filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => {
                let mut body = json!({
                    "VpcId": get_str(&planned, "vpc_id"),
                    "SecurityGroupName": get_str(&planned, "name"),
                    "ClientToken": client_token(&request.idempotency_token),
                });
                if let Some(description) = get_str(&planned, "description") {
                    body["Description"] = json!(description);
                }
                match ctx.vpc.call("CreateSecurityGroup", VPC_VERSION, &body).await {
                    Ok(answer) => {
                        ApplyResponse { new_state: Some(state(&answer["SecurityGroup"])), ..ApplyResponse::default() }
                    }
                    Err(e) => failed(None, api_error("creating kmr_security_group", &e)),
                }
            }
            (Some(prior), Some(planned)) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                let mut body = json!({"SecurityGroupId": id, "SecurityGroupName": get_str(&planned, "name")});
                if let Some(description) = get_str(&planned, "description") {
                    body["Description"] = json!(description);
                }
                match ctx.vpc.call("ModifySecurityGroup", VPC_VERSION, &body).await {
                    Ok(answer) => {
                        ApplyResponse { new_state: Some(state(&answer["SecurityGroup"])), ..ApplyResponse::default() }
                    }
                    Err(e) => failed(Some(prior), api_error(&format!("updating kmr_security_group {id}"), &e)),
                }
            }
            (Some(prior), None) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                if prior.get_attr("managed").and_then(Value::as_bool) == Some(true) {
                    // The service owns it (an imported KSCKMR): forget it, never delete it.
                    return ApplyResponse {
                        diagnostics: Diagnostics::from(Diagnostic::warning(format!(
                            "security group {id} is managed by KMR: Corral forgets it but does not delete it"
                        ))),
                        ..ApplyResponse::default()
                    };
                }
                match ctx.vpc.call("DeleteSecurityGroup", VPC_VERSION, &json!({"SecurityGroupId": id})).await {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => failed(Some(prior), api_error(&format!("deleting kmr_security_group {id}"), &e)),
                }
            }
            (None, None) => ApplyResponse::default(),
        }
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        LOOKUP.read(ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        LOOKUP.find_created(ctx, request).await
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        LOOKUP.import(ctx, request).await
    }
}

#[async_trait::async_trait]
impl DataSourceType for SecurityGroupData {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema { version: 0, block: schema_block(true) }
    }

    async fn read(&self, ctx: &Ctx, request: ReadDataRequest) -> ReadDataResponse {
        let (Some(vpc_id), Some(name)) = (get_str(&request.config, "vpc_id"), get_str(&request.config, "name")) else {
            return ReadDataResponse {
                diagnostics: error("data `kmr_security_group` needs `vpc_id` and `name`"),
                ..ReadDataResponse::default()
            };
        };
        let body = json!({"Filter": [filter("vpc-id", &vpc_id), filter("security-group-name", &name)]});
        match describe(ctx, body).await {
            Ok(found) => match found.first() {
                Some(group) => ReadDataResponse { state: Some(state(group)), ..ReadDataResponse::default() },
                None => {
                    let mut diagnostic =
                        Diagnostic::error(format!("VPC {vpc_id} has no security group named `{name}`"));
                    if name == KMR_GROUP_NAME {
                        diagnostic = diagnostic.with_help(format!(
                            "KMR makes `{KMR_GROUP_NAME}` when the first cluster is launched in the VPC; make the data source depend on a cluster in it"
                        ));
                    }
                    ReadDataResponse { diagnostics: Diagnostics::from(diagnostic), ..ReadDataResponse::default() }
                }
            },
            Err(e) => ReadDataResponse {
                diagnostics: api_error("reading data kmr_security_group", &e),
                ..ReadDataResponse::default()
            },
        }
    }
}
