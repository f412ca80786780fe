//! `kmr_subnet`: a subnet of a VPC, where cluster nodes get their addresses. Only `name`
//! changes in place.

use std::marker::PhantomData;

use corral_core::diag::Diagnostics;
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};

use corral_api_vpc::names::{SUBNET_NORMAL, SUBNET_TYPES};
use corral_api_vpc::subnet as api;
use corral_api_vpc::{Filter, action};
use corral_core::value::{Type, Value};

use super::kind::{Kind, Object};
use crate::resource::TypeSpec;
use crate::support::{get_str, opt_string};
use corral_provider_sdk::validate::Checks;

const TYPE: &str = "kmr_subnet";

/// The resource type.
pub(crate) const SUBNET: Kind<api::Subnet> = Kind(PhantomData);

impl Object for api::Subnet {
    const NOUN: &'static str = "subnet";
    const CREATE: &'static str = action::CREATE_SUBNET;
    const MODIFY: &'static str = action::MODIFY_SUBNET;
    const DELETE: &'static str = action::DELETE_SUBNET;
    const DESCRIBE: &'static str = action::DESCRIBE_SUBNETS;
    type Create = api::CreateSubnetRequest;
    type Modify = api::ModifySubnetRequest;
    type Delete = api::DeleteSubnetRequest;
    type Describe = api::DescribeSubnetsRequest;
    type Written = api::SubnetAnswer;
    type Described = api::DescribeSubnetsAnswer;

    fn create(planned: &Value, client_token: String) -> api::CreateSubnetRequest {
        api::CreateSubnetRequest {
            vpc_id: get_str(planned, "vpc_id"),
            cidr_block: get_str(planned, "cidr_block"),
            subnet_name: get_str(planned, "name"),
            subnet_type: Some(get_str(planned, "subnet_type").unwrap_or_else(|| SUBNET_NORMAL.to_string())),
            availability_zone: get_str(planned, "availability_zone"),
            client_token: Some(client_token),
        }
    }

    fn modify(planned: &Value, id: String) -> api::ModifySubnetRequest {
        api::ModifySubnetRequest { subnet_id: Some(id), subnet_name: get_str(planned, "name") }
    }

    fn delete(id: String) -> api::DeleteSubnetRequest {
        api::DeleteSubnetRequest { subnet_id: Some(id) }
    }

    fn describe(ids: Vec<String>, filter: Vec<Filter>) -> api::DescribeSubnetsRequest {
        api::DescribeSubnetsRequest { subnet_id: ids, filter }
    }

    fn written(answer: api::SubnetAnswer) -> Option<api::Subnet> {
        Some(answer.subnet)
    }

    fn described(answer: api::DescribeSubnetsAnswer) -> Vec<api::Subnet> {
        answer.subnet_set
    }

    fn state(&self) -> Value {
        Value::object([
            ("id".to_string(), Value::string(&self.subnet_id)),
            ("vpc_id".to_string(), Value::string(&self.vpc_id)),
            ("name".to_string(), Value::string(&self.subnet_name)),
            ("cidr_block".to_string(), Value::string(&self.cidr_block)),
            ("availability_zone".to_string(), opt_string(self.availability_zone.as_deref())),
            ("subnet_type".to_string(), Value::string(&self.subnet_type)),
            ("gateway_ip".to_string(), Value::string(&self.gateway_ip)),
            ("available_ips".to_string(), Value::int(i64::try_from(self.available_ip_number).unwrap_or(i64::MAX))),
            ("created_at".to_string(), Value::string(&self.create_time)),
        ])
    }
}

impl TypeSpec for api::Subnet {
    const TYPE: &'static str = TYPE;

    fn schema() -> ResourceSchema {
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

    fn validate(config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        checks.cidr_v4("cidr_block").one_of("subnet_type", SUBNET_TYPES);
        checks.finish()
    }
}
