//! `kmr_security_group` (resource and data source). The resource makes the user's own
//! groups; the data source reads any group by VPC and name — the way to reach the
//! service-made `KSCKMR` group, which Corral never creates or deletes.

use std::marker::PhantomData;

use corral_api_vpc::names::{FILTER_SECURITY_GROUP_NAME, FILTER_VPC_ID, KMR_GROUP_NAME};
use corral_api_vpc::security_group as api;
use corral_api_vpc::{Filter, action};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use super::kind::{Kind, Object};
use crate::resource::{Ctx, DataSourceType, ResourceType};
use crate::support::{api_error, error, get_str, plan_from_schema};

pub struct SecurityGroup;
pub struct SecurityGroupData;

const TYPE: &str = "kmr_security_group";

const GROUP: Kind<api::SecurityGroup> = Kind { type_name: TYPE, object: PhantomData };

impl Object for api::SecurityGroup {
    const NOUN: &'static str = "security group";
    const CREATE: &'static str = action::CREATE_SECURITY_GROUP;
    const MODIFY: &'static str = action::MODIFY_SECURITY_GROUP;
    const DELETE: &'static str = action::DELETE_SECURITY_GROUP;
    const DESCRIBE: &'static str = action::DESCRIBE_SECURITY_GROUPS;
    type Create = api::CreateSecurityGroupRequest;
    type Modify = api::ModifySecurityGroupRequest;
    type Delete = api::DeleteSecurityGroupRequest;
    type Describe = api::DescribeSecurityGroupsRequest;
    type Written = Written;
    type Described = api::DescribeSecurityGroupsAnswer;

    fn create(planned: &Value, client_token: String) -> api::CreateSecurityGroupRequest {
        api::CreateSecurityGroupRequest {
            vpc_id: get_str(planned, "vpc_id"),
            security_group_name: get_str(planned, "name"),
            description: get_str(planned, "description"),
            client_token: Some(client_token),
        }
    }

    fn modify(planned: &Value, id: String) -> api::ModifySecurityGroupRequest {
        api::ModifySecurityGroupRequest {
            security_group_id: Some(id),
            security_group_name: get_str(planned, "name"),
            description: get_str(planned, "description"),
        }
    }

    fn delete(id: String) -> api::DeleteSecurityGroupRequest {
        api::DeleteSecurityGroupRequest { security_group_id: Some(id) }
    }

    fn describe(ids: Vec<String>, filter: Vec<Filter>) -> api::DescribeSecurityGroupsRequest {
        api::DescribeSecurityGroupsRequest { security_group_id: ids, filter }
    }

    fn written(answer: Written) -> Option<api::SecurityGroup> {
        answer.security_group
    }

    fn described(answer: api::DescribeSecurityGroupsAnswer) -> Vec<api::SecurityGroup> {
        answer.security_group_set
    }

    fn state(&self) -> Value {
        Value::object([
            ("id".to_string(), Value::string(&self.security_group_id)),
            ("vpc_id".to_string(), Value::string(&self.vpc_id)),
            ("name".to_string(), Value::string(&self.security_group_name)),
            ("description".to_string(), Value::string(&self.description)),
            ("managed".to_string(), Value::Bool(self.service_managed)),
            ("created_at".to_string(), Value::string(&self.create_time)),
        ])
    }
}

/// The group in a `CreateSecurityGroup` or `ModifySecurityGroup` answer: both hold it in
/// `SecurityGroup`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Written {
    #[serde(default)]
    security_group: Option<api::SecurityGroup>,
}

/// Every group a describe request matches (the rule resource looks groups up too): these
/// ids (all when empty), narrowed by filters.
pub(crate) async fn describe(
    ctx: &Ctx,
    ids: Vec<String>,
    filter: Vec<Filter>,
) -> Result<Vec<api::SecurityGroup>, corral_provider_sdk::http::CallError> {
    GROUP.describe(ctx, ids, filter).await
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
        let filter = vec![Filter::new(FILTER_VPC_ID, &vpc_id), Filter::new(FILTER_SECURITY_GROUP_NAME, &name)];
        match describe(ctx, Vec::new(), filter).await {
            Ok(found) => match found.first() {
                Some(group) => ReadDataResponse { state: Some(group.state()), ..ReadDataResponse::default() },
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
