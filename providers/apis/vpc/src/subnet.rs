//! Subnet actions' bodies: `CreateSubnet`, `DescribeSubnets`, `ModifySubnet`,
//! `DeleteSubnet`.

use serde::{Deserialize, Serialize};

use crate::Filter;
use crate::de;

/// A subnet as the API answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub subnet_name: String,
    pub vpc_id: String,
    pub cidr_block: String,
    /// One of [`crate::names::SUBNET_TYPES`].
    pub subnet_type: String,
    #[serde(default)]
    pub availability_zone: Option<String>,
    pub gateway_ip: String,
    pub dhcp_ip_from: String,
    pub dhcp_ip_to: String,
    pub available_ip_number: u64,
    pub state: String,
    pub create_time: String,
    /// The objects (clusters) that use the subnet; while there are any it cannot be deleted.
    #[serde(default)]
    pub used_by: Vec<String>,
    #[serde(default)]
    pub client_token: Option<String>,
}

/// `CreateSubnet`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSubnetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_name: Option<String>,
    /// Defaults to [`crate::names::SUBNET_NORMAL`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `DescribeSubnets`: by ids, narrowed by filters (`vpc-id`, `subnet-name`,
/// `client-token`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSubnetsRequest {
    #[serde(default, deserialize_with = "de::one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub subnet_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Filter>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSubnetsAnswer {
    #[serde(default)]
    pub subnet_set: Vec<Subnet>,
}

/// `ModifySubnet`: the name only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifySubnetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_name: Option<String>,
}

/// `DeleteSubnet`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSubnetRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
}

/// The answer of `CreateSubnet` and `ModifySubnet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetAnswer {
    pub subnet: Subnet,
}
