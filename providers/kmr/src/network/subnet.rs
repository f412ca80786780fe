//! `kmr_subnet`: a subnet of a VPC, where cluster nodes get their addresses. Only `name`
//! changes in place.

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
use crate::support::{get_str, json_i64, json_str, plan_from_schema};
use corral_provider_sdk::validate::Checks;

pub struct Subnet;

const TYPE: &str = "kmr_subnet";

const SUBNET: Kind = Kind {
    type_name: TYPE,
    noun: "subnet",
    describe_action: "DescribeSubnets",
    create_action: "CreateSubnet",
    modify_action: "ModifySubnet",
    delete_action: "DeleteSubnet",
    object_field: "Subnet",
    set_field: "SubnetSet",
    id_field: "SubnetId",
    state,
    create_body,
    modify_body,
};

fn create_body(planned: &Value) -> serde_json::Value {
    let mut body = json!({
        "VpcId": get_str(planned, "vpc_id"),
        "CidrBlock": get_str(planned, "cidr_block"),
        "SubnetType": get_str(planned, "subnet_type").unwrap_or_else(|| "Normal".to_string()),
    });
    if let Some(name) = get_str(planned, "name") {
        body["SubnetName"] = json!(name);
    }
    if let Some(zone) = get_str(planned, "availability_zone") {
        body["AvailabilityZone"] = json!(zone);
    }
    body
}

fn modify_body(planned: &Value) -> serde_json::Value {
    json!({"SubnetName": get_str(planned, "name")})
}

fn state(subnet: &serde_json::Value) -> Value {
    Value::object([
        ("id".to_string(), json_str(subnet, "SubnetId")),
        ("vpc_id".to_string(), json_str(subnet, "VpcId")),
        ("name".to_string(), json_str(subnet, "SubnetName")),
        ("cidr_block".to_string(), json_str(subnet, "CidrBlock")),
        ("availability_zone".to_string(), json_str(subnet, "AvailabilityZone")),
        ("subnet_type".to_string(), json_str(subnet, "SubnetType")),
        ("gateway_ip".to_string(), json_str(subnet, "GatewayIp")),
        ("available_ips".to_string(), json_i64(subnet, "AvailableIpNumber")),
        ("created_at".to_string(), json_str(subnet, "CreateTime")),
    ])
}

#[async_trait::async_trait]
impl ResourceType for Subnet {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: BlockSchema::new()
                .attr("id", AttributeSchema::computed(Type::String))
                .attr("vpc_id", AttributeSchema::required(Type::String).forces_replacement())
                .attr("name", AttributeSchema::optional_computed(Type::String))
                .attr(
                    "cidr_block",
                    AttributeSchema::required(Type::String)
                        .forces_replacement()
                        .describe("Inside the VPC's range, overlapping no other subnet; prefix at most /29"),
                )
                .attr("availability_zone", AttributeSchema::optional(Type::String).forces_replacement())
                .attr(
                    "subnet_type",
                    AttributeSchema::optional_computed(Type::String)
                        .forces_replacement()
                        .describe("`Normal` (default), `Reserve` or `Physical`"),
                )
                .attr("gateway_ip", AttributeSchema::computed(Type::String))
                .attr("available_ips", AttributeSchema::computed(Type::Number))
                .attr("created_at", AttributeSchema::computed(Type::String)),
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        checks.cidr_v4("cidr_block").one_of("subnet_type", &["Normal", "Reserve", "Physical"]);
        checks.finish()
    }

    async fn plan(&self, _ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        plan_from_schema(&self.schema(), &request)
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        SUBNET.apply(ctx, request).await
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        SUBNET.read(ctx, request).await
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        SUBNET.find_created(ctx, request).await
    }

    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        SUBNET.import(ctx, request).await
    }
}
