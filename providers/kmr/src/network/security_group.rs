//! `kmr_security_group` (resource and data source). The resource makes the user's own
//! groups; the data source reads any group by VPC and name — the way to reach the
//! service-made `KSCKMR` group, which Corral never creates or deletes.

use corral_api_vpc::names::KMR_GROUP_NAME;
use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_engine::value::{Path, Type, Value};
use serde_json::json;

use super::kind::Kind;
use crate::resource::{Ctx, DataSourceType, ResourceType};
use crate::support::{api_error, error, filter, get_str, json_str, plan_from_schema};

pub struct SecurityGroup;
pub struct SecurityGroupData;

const TYPE: &str = "kmr_security_group";

const GROUP: Kind = Kind {
    type_name: TYPE,
    noun: "security group",
    describe_action: "DescribeSecurityGroups",
    create_action: "CreateSecurityGroup",
    modify_action: "ModifySecurityGroup",
    delete_action: "DeleteSecurityGroup",
    object_field: "SecurityGroup",
    set_field: "SecurityGroupSet",
    id_field: "SecurityGroupId",
    state,
    create_body,
    modify_body,
};

fn create_body(planned: &Value) -> serde_json::Value {
    let mut body = modify_body(planned);
    body["VpcId"] = json!(get_str(planned, "vpc_id"));
    body
}

fn modify_body(planned: &Value) -> serde_json::Value {
    let mut body = json!({"SecurityGroupName": get_str(planned, "name")});
    if let Some(description) = get_str(planned, "description") {
        body["Description"] = json!(description);
    }
    body
}

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
    GROUP.describe(ctx, body).await
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
        let deleting = request.planned_state.as_ref().is_none_or(Value::is_null);
        if let Some(prior) = request.prior_state.as_ref().filter(|p| deleting && !p.is_null())
            && prior.get_attr("managed").and_then(Value::as_bool) == Some(true)
        {
            // The service owns it (an imported KSCKMR): forget it, never delete it.
            let id = get_str(prior, "id").unwrap_or_default();
            return ApplyResponse {
                diagnostics: Diagnostics::from(Diagnostic::warning(format!(
                    "security group {id} is managed by KMR: Corral forgets it but does not delete it"
                ))),
                ..ApplyResponse::default()
            };
        }
        GROUP.apply(ctx, request).await
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        GROUP.read(ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        GROUP.find_created(ctx, request).await
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        GROUP.import(ctx, request).await
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
