//! VPC peering connections: `CreateVpcPeeringConnection`, `DescribeVpcPeeringConnections`,
//! `DeleteVpcPeeringConnection`. Hosts in two VPCs reach each other only once the VPCs are
//! connected (kmr-faq.md §7: "不同的VPC下主机互通需要先对VPC进行配置使VPC互通"); two VPCs whose
//! CIDR blocks overlap cannot be connected (routes would be ambiguous).

use serde::{Deserialize, Serialize};

use crate::Filter;
use crate::de;

/// A peering connection as the API answers it. Connections are symmetric: either VPC may
/// be `VpcId`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcPeeringConnection {
    pub vpc_peering_connection_id: String,
    pub vpc_id: String,
    pub peer_vpc_id: String,
    /// [`crate::names::STATE_ACTIVE`].
    pub state: String,
    pub create_time: String,
    #[serde(default)]
    pub client_token: Option<String>,
}

impl VpcPeeringConnection {
    /// Whether this connection joins `a` and `b` (either way round).
    pub fn joins(&self, a: &str, b: &str) -> bool {
        (self.vpc_id == a && self.peer_vpc_id == b) || (self.vpc_id == b && self.peer_vpc_id == a)
    }
}

/// `CreateVpcPeeringConnection`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVpcPeeringConnectionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcPeeringConnectionAnswer {
    pub vpc_peering_connection: VpcPeeringConnection,
}

/// `DescribeVpcPeeringConnections`: by ids, narrowed by filters (`vpc-id` matches either
/// side, `client-token`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcPeeringConnectionsRequest {
    #[serde(default, deserialize_with = "de::one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub vpc_peering_connection_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Filter>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcPeeringConnectionsAnswer {
    #[serde(default)]
    pub vpc_peering_connection_set: Vec<VpcPeeringConnection>,
}

/// `DeleteVpcPeeringConnection`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVpcPeeringConnectionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<String>,
}
