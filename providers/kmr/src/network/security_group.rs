//! `kmr_security_group` (resource and data source). The resource makes the user's own
//! groups; the data source reads any group by VPC and name — the way to reach the
//! service-made `KSCKMR` group, which Corral never creates or deletes.

use std::marker::PhantomData;

use corral_api_vpc::names::{FILTER_SECURITY_GROUP_NAME, FILTER_VPC_ID, KMR_GROUP_NAME};
use corral_api_vpc::security_group as api;
use corral_api_vpc::{Filter, action};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{ReadDataRequest, ReadDataResponse};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use super::kind::{Kind, Object};
use crate::resource::{Ctx, DataSourceType, TypeSpec};
use crate::support::{api_error, error, get_str};

pub struct SecurityGroupData;

const TYPE: &str = "kmr_security_group";

/// The resource type.
pub(crate) const GROUP: Kind<api::SecurityGroup> = Kind(PhantomData);

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

    /// An imported `KSCKMR`: the service owns it.
    fn service_managed(prior: &Value) -> bool {
        prior.get_attr("managed").and_then(Value::as_bool) == Some(true)
    }
}

impl TypeSpec for api::SecurityGroup {
    const TYPE: &'static str = TYPE;

    fn schema() -> ResourceSchema {
        ResourceSchema { version: 0, block: schema_block(false) }
    }

    fn validate(config: &Value) -> Diagnostics {
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
}

/// The group in a `CreateSecurityGroup` or `ModifySecurityGroup` answer: both hold it in
/// `SecurityGroup`.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Written {
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
