//! `kmr_vpc`: a VPC. `name` changes in place (`ModifyVpc`); `cidr_block` forces replacement.

use corral_engine::diag::Diagnostics;
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_engine::value::{Type, Value};
use serde_json::json;

use super::VPC_VERSION;
use super::lookup::Lookup;
use crate::resource::{Ctx, ResourceType};
use crate::support::{api_error, client_token, failed, get_str, is_not_found, json_str, plan_from_schema};
use corral_provider_sdk::validate::Checks;

pub struct Vpc;

const TYPE: &str = "kmr_vpc";

const LOOKUP: Lookup =
    Lookup { type_name: TYPE, noun: "VPC", action: "DescribeVpcs", set_field: "VpcSet", id_field: "VpcId", state };

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
        let prior = request.prior_state.clone().filter(|p| !p.is_null());
        let planned = request.planned_state.clone().filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => {
                let mut body = json!({
                    "CidrBlock": get_str(&planned, "cidr_block"),
                    "ClientToken": client_token(&request.idempotency_token),
                });
                if let Some(name) = get_str(&planned, "name") {
                    body["VpcName"] = json!(name);
                }
                match ctx.vpc.call("CreateVpc", VPC_VERSION, &body).await {
                    Ok(answer) => ApplyResponse { new_state: Some(state(&answer["Vpc"])), ..ApplyResponse::default() },
                    Err(e) => failed(None, api_error("creating kmr_vpc", &e)),
                }
            }
            (Some(prior), Some(planned)) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                let body = json!({"VpcId": id, "VpcName": get_str(&planned, "name")});
                match ctx.vpc.call("ModifyVpc", VPC_VERSION, &body).await {
                    Ok(answer) => ApplyResponse { new_state: Some(state(&answer["Vpc"])), ..ApplyResponse::default() },
                    Err(e) => failed(Some(prior), api_error(&format!("updating kmr_vpc {id}"), &e)),
                }
            }
            (Some(prior), None) => {
                let id = get_str(&prior, "id").unwrap_or_default();
                match ctx.vpc.call("DeleteVpc", VPC_VERSION, &json!({"VpcId": id})).await {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => failed(Some(prior), api_error(&format!("deleting kmr_vpc {id}"), &e)),
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
