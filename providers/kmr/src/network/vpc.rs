//! `kmr_vpc`: a VPC. `name` changes in place (`ModifyVpc`); `cidr_block` forces replacement.

use corral_engine::diag::Diagnostics;
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_engine::value::{Type, Value};
use serde_json::json;

use super::kind::Kind;
use crate::resource::{Ctx, ResourceType};
use crate::support::{get_str, json_str, plan_from_schema};
use corral_provider_sdk::validate::Checks;

pub struct Vpc;

const TYPE: &str = "kmr_vpc";

const VPC: Kind = Kind {
    type_name: TYPE,
    noun: "VPC",
    describe_action: "DescribeVpcs",
    create_action: "CreateVpc",
    modify_action: "ModifyVpc",
    delete_action: "DeleteVpc",
    object_field: "Vpc",
    set_field: "VpcSet",
    id_field: "VpcId",
    state,
    create_body,
    modify_body,
};

fn create_body(planned: &Value) -> serde_json::Value {
    let mut body = json!({"CidrBlock": get_str(planned, "cidr_block")});
    if let Some(name) = get_str(planned, "name") {
        body["VpcName"] = json!(name);
    }
    body
}

fn modify_body(planned: &Value) -> serde_json::Value {
    json!({"VpcName": get_str(planned, "name")})
}

fn state(vpc: &serde_json::Value) -> Value {
    Value::object([
        ("id".to_string(), json_str(vpc, "VpcId")),
        ("name".to_string(), json_str(vpc, "VpcName")),
        ("cidr_block".to_string(), json_str(vpc, "CidrBlock")),
        ("created_at".to_string(), json_str(vpc, "CreateTime")),
    ])
}

#[async_trait::async_trait]
impl ResourceType for Vpc {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: BlockSchema::new()
                .attr("id", AttributeSchema::computed(Type::String).describe("The VPC id (`vpc-...`)"))
                .attr(
                    "name",
                    AttributeSchema::optional_computed(Type::String).describe("Display name; defaults to the id"),
                )
                .attr(
                    "cidr_block",
                    AttributeSchema::required(Type::String)
                        .forces_replacement()
                        .describe("The VPC's IPv4 range, e.g. `10.0.0.0/16` (prefix 8 to 28)"),
                )
                .attr("created_at", AttributeSchema::computed(Type::String)),
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        checks.cidr_v4("cidr_block");
        checks.finish()
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        plan_from_schema(&self.schema(), &request)
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        VPC.apply(ctx, request).await
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        VPC.read(ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        VPC.find_created(ctx, request).await
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        VPC.import(ctx, request).await
    }
}
