//! `kmr_vpc`: a VPC. `name` changes in place (`ModifyVpc`); `cidr_block` forces replacement.

use std::marker::PhantomData;

use corral_core::diag::Diagnostics;
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};

use corral_api_vpc::vpc as api;
use corral_api_vpc::{Filter, action};
use corral_core::value::{Type, Value};

use super::kind::{Kind, Object};
use crate::resource::TypeSpec;
use crate::support::get_str;
use corral_provider_sdk::validate::Checks;

const TYPE: &str = "kmr_vpc";

/// The resource type.
pub(crate) const VPC: Kind<api::Vpc> = Kind(PhantomData);

impl Object for api::Vpc {
    const NOUN: &'static str = "VPC";
    const CREATE: &'static str = action::CREATE_VPC;
    const MODIFY: &'static str = action::MODIFY_VPC;
    const DELETE: &'static str = action::DELETE_VPC;
    const DESCRIBE: &'static str = action::DESCRIBE_VPCS;
    type Create = api::CreateVpcRequest;
    type Modify = api::ModifyVpcRequest;
    type Delete = api::DeleteVpcRequest;
    type Describe = api::DescribeVpcsRequest;
    type Written = api::VpcAnswer;
    type Described = api::DescribeVpcsAnswer;

    fn create(planned: &Value, client_token: String) -> api::CreateVpcRequest {
        api::CreateVpcRequest {
            cidr_block: get_str(planned, "cidr_block"),
            vpc_name: get_str(planned, "name"),
            client_token: Some(client_token),
        }
    }

    fn modify(planned: &Value, id: String) -> api::ModifyVpcRequest {
        api::ModifyVpcRequest { vpc_id: Some(id), vpc_name: get_str(planned, "name") }
    }

    fn delete(id: String) -> api::DeleteVpcRequest {
        api::DeleteVpcRequest { vpc_id: Some(id) }
    }

    fn describe(ids: Vec<String>, filter: Vec<Filter>) -> api::DescribeVpcsRequest {
        api::DescribeVpcsRequest { vpc_id: ids, filter }
    }

    fn written(answer: api::VpcAnswer) -> Option<api::Vpc> {
        Some(answer.vpc)
    }

    fn described(answer: api::DescribeVpcsAnswer) -> Vec<api::Vpc> {
        answer.vpc_set
    }

    fn state(&self) -> Value {
        Value::object([
            ("id".to_string(), Value::string(&self.vpc_id)),
            ("name".to_string(), Value::string(&self.vpc_name)),
            ("cidr_block".to_string(), Value::string(&self.cidr_block)),
            ("created_at".to_string(), Value::string(&self.create_time)),
        ])
    }
}

impl TypeSpec for api::Vpc {
    const TYPE: &'static str = TYPE;

    fn schema() -> ResourceSchema {
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

    fn validate(config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        checks.cidr_v4("cidr_block");
        checks.finish()
    }
}
