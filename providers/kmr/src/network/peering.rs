//! `kmr_vpc_peering`: connects two VPCs, so hosts in one reach a cluster in the other (once a
//! security group rule lets them: kmr-faq.md §7). Both VPCs force replacement; the connection
//! has nothing to change in place. The service refuses VPCs whose CIDR blocks overlap.

use std::marker::PhantomData;

use corral_core::diag::Diagnostics;
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};

use corral_api_vpc::peering as api;
use corral_api_vpc::{Filter, action};
use corral_core::value::{Path, Type, Value};

use super::VPC_VERSION;
use super::kind::{Kind, Object};
use crate::resource::{Ctx, TypeSpec};
use crate::support::{call_api, get_str};
use corral_provider_sdk::validate::Checks;

pub const TYPE: &str = "kmr_vpc_peering";

/// The resource type.
pub(crate) const PEERING: Kind<api::VpcPeeringConnection> = Kind(PhantomData);

impl Object for api::VpcPeeringConnection {
    const NOUN: &'static str = "VPC peering connection";
    const CREATE: &'static str = action::CREATE_VPC_PEERING_CONNECTION;
    // Every attribute forces replacement: a connection is never modified.
    const MODIFY: &'static str = action::CREATE_VPC_PEERING_CONNECTION;
    const DELETE: &'static str = action::DELETE_VPC_PEERING_CONNECTION;
    const DESCRIBE: &'static str = action::DESCRIBE_VPC_PEERING_CONNECTIONS;
    type Create = api::CreateVpcPeeringConnectionRequest;
    type Modify = api::CreateVpcPeeringConnectionRequest;
    type Delete = api::DeleteVpcPeeringConnectionRequest;
    type Describe = api::DescribeVpcPeeringConnectionsRequest;
    type Written = api::VpcPeeringConnectionAnswer;
    type Described = api::DescribeVpcPeeringConnectionsAnswer;

    fn create(planned: &Value, client_token: String) -> api::CreateVpcPeeringConnectionRequest {
        api::CreateVpcPeeringConnectionRequest {
            vpc_id: get_str(planned, "vpc_id"),
            peer_vpc_id: get_str(planned, "peer_vpc_id"),
            client_token: Some(client_token),
        }
    }

    fn modify(planned: &Value, _id: String) -> api::CreateVpcPeeringConnectionRequest {
        Self::create(planned, String::new())
    }

    fn delete(id: String) -> api::DeleteVpcPeeringConnectionRequest {
        api::DeleteVpcPeeringConnectionRequest { vpc_peering_connection_id: Some(id) }
    }

    fn describe(ids: Vec<String>, filter: Vec<Filter>) -> api::DescribeVpcPeeringConnectionsRequest {
        api::DescribeVpcPeeringConnectionsRequest { vpc_peering_connection_id: ids, filter }
    }

    fn written(answer: api::VpcPeeringConnectionAnswer) -> Option<api::VpcPeeringConnection> {
        Some(answer.vpc_peering_connection)
    }

    fn described(answer: api::DescribeVpcPeeringConnectionsAnswer) -> Vec<api::VpcPeeringConnection> {
        answer.vpc_peering_connection_set
    }

    fn state(&self) -> Value {
        Value::object([
            ("id".to_string(), Value::string(&self.vpc_peering_connection_id)),
            ("vpc_id".to_string(), Value::string(&self.vpc_id)),
            ("peer_vpc_id".to_string(), Value::string(&self.peer_vpc_id)),
            ("status".to_string(), Value::string(&self.state)),
            ("created_at".to_string(), Value::string(&self.create_time)),
        ])
    }
}

impl TypeSpec for api::VpcPeeringConnection {
    const TYPE: &'static str = TYPE;

    fn schema() -> ResourceSchema {
        ResourceSchema {
            version: 0,
            block: BlockSchema::new()
                .attr("id", AttributeSchema::computed(Type::String).describe("The connection id (`pcx-...`)"))
                .attr("vpc_id", AttributeSchema::required(Type::String).forces_replacement())
                .attr(
                    "peer_vpc_id",
                    AttributeSchema::required(Type::String)
                        .forces_replacement()
                        .describe("The other VPC; its CIDR block must not overlap `vpc_id`'s"),
                )
                .attr("status", AttributeSchema::computed(Type::String))
                .attr("created_at", AttributeSchema::computed(Type::String)),
        }
    }

    fn validate(config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        let (a, b) = (get_str(config, "vpc_id"), get_str(config, "peer_vpc_id"));
        if a.is_some() && a == b {
            checks.push(
                corral_core::diag::Diagnostic::error("a VPC cannot be peered with itself")
                    .with_attribute(Path::attr("peer_vpc_id")),
            );
        }
        checks.finish()
    }
}

/// The connections that join `vpc_id` to another VPC, as the service lists them.
pub(crate) async fn connections_of(
    ctx: &Ctx,
    vpc_id: &str,
) -> Result<Vec<api::VpcPeeringConnection>, corral_provider_sdk::http::CallError> {
    let request = api::DescribeVpcPeeringConnectionsRequest {
        vpc_peering_connection_id: Vec::new(),
        filter: vec![Filter::new(corral_api_vpc::names::FILTER_VPC_ID, vpc_id)],
    };
    let answer: api::DescribeVpcPeeringConnectionsAnswer =
        call_api(&ctx.vpc, action::DESCRIBE_VPC_PEERING_CONNECTIONS, VPC_VERSION, &request).await?;
    Ok(answer.vpc_peering_connection_set)
}
