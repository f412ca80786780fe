//! VPC actions' bodies: `CreateVpc`, `DescribeVpcs`, `ModifyVpc`, `DeleteVpc`.

use serde::{Deserialize, Serialize};

use crate::Filter;
use crate::de;

/// A VPC as the API answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: String,
    pub vpc_name: String,
    pub cidr_block: String,
    #[serde(default)]
    pub is_default: bool,
    /// [`crate::names::STATE_AVAILABLE`].
    pub state: String,
    /// `2026-01-02T03:04:05Z`.
    pub create_time: String,
    /// The `ClientToken` of the request that made it.
    #[serde(default)]
    pub client_token: Option<String>,
}

/// `CreateVpc`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVpcRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    /// Defaults to the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `DescribeVpcs`: by ids, narrowed by filters (`vpc-name`, `client-token`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcsRequest {
    #[serde(default, deserialize_with = "de::one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub vpc_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Filter>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcsAnswer {
    #[serde(default)]
    pub vpc_set: Vec<Vpc>,
}

/// `ModifyVpc`: the name only (the CIDR block is fixed).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyVpcRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_name: Option<String>,
}

/// `DeleteVpc`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteVpcRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
}

/// The answer of `CreateVpc` and `ModifyVpc`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcAnswer {
    pub vpc: Vpc,
}
