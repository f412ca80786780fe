//! Security group and entry actions' bodies: `CreateSecurityGroup`,
//! `DescribeSecurityGroups`, `ModifySecurityGroup`, `DeleteSecurityGroup`,
//! `AuthorizeSecurityGroupEntry`, `RevokeSecurityGroupEntry`, `ModifySecurityGroupEntry`.

use serde::{Deserialize, Serialize};

use crate::Filter;
use crate::de;

/// A security group as the API answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub security_group_id: String,
    pub security_group_name: String,
    #[serde(default)]
    pub description: String,
    pub vpc_id: String,
    /// [`crate::names::GROUP_TYPE_KMR`] or [`crate::names::GROUP_TYPE_OTHER`].
    pub security_group_type: String,
    /// Made and owned by a service (the `KSCKMR` group): it cannot be renamed.
    #[serde(default)]
    pub service_managed: bool,
    pub create_time: String,
    /// The objects (clusters) that use the group; while there are any it cannot be deleted.
    #[serde(default)]
    pub used_by: Vec<String>,
    #[serde(default)]
    pub client_token: Option<String>,
    /// The group's entries: in describe answers, not in the group's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_entry_set: Option<Vec<SecurityGroupEntry>>,
}

/// One entry (rule) of a security group. Outbound traffic is open by default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupEntry {
    pub security_group_entry_id: String,
    pub security_group_id: String,
    /// `in` or `out`.
    pub direction: String,
    /// `ip`, `tcp`, `udp` or `icmp`.
    pub protocol: String,
    pub cidr_block: String,
    #[serde(default)]
    pub description: String,
    pub create_time: String,
    #[serde(default)]
    pub client_token: Option<String>,
    /// TCP and UDP entries only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range_to: Option<i64>,
    /// ICMP entries only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_code: Option<i64>,
}

/// `CreateSecurityGroup`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecurityGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Defaults to the id; never [`crate::names::KMR_GROUP_NAME`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// The answer of `CreateSecurityGroup`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecurityGroupAnswer {
    pub security_group_id: String,
    #[serde(default)]
    pub security_group: Option<SecurityGroup>,
}

/// `DescribeSecurityGroups`: by ids, narrowed by filters (`vpc-id`,
/// `security-group-name`, `client-token`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupsRequest {
    #[serde(default, deserialize_with = "de::one_or_many", skip_serializing_if = "Vec::is_empty")]
    pub security_group_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filter: Vec<Filter>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupsAnswer {
    #[serde(default)]
    pub security_group_set: Vec<SecurityGroup>,
}

/// `ModifySecurityGroup`: the name (not of a service's group) and the description.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifySecurityGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The answer of `ModifySecurityGroup`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifySecurityGroupAnswer {
    #[serde(rename = "Return")]
    pub ok: bool,
    #[serde(default)]
    pub security_group: Option<SecurityGroup>,
}

/// `DeleteSecurityGroup`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecurityGroupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
}

/// `AuthorizeSecurityGroupEntry`: one rule. Ports for `tcp` and `udp`, type and code for
/// `icmp`; integers may come as numeric strings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizeSecurityGroupEntryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr_block: Option<String>,
    #[serde(default, deserialize_with = "de::lenient_i64", skip_serializing_if = "Option::is_none")]
    pub port_range_from: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient_i64", skip_serializing_if = "Option::is_none")]
    pub port_range_to: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient_i64", skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<i64>,
    #[serde(default, deserialize_with = "de::lenient_i64", skip_serializing_if = "Option::is_none")]
    pub icmp_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// The answer of `AuthorizeSecurityGroupEntry`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthorizeSecurityGroupEntryAnswer {
    #[serde(rename = "Return")]
    pub ok: bool,
    pub security_group_entry_id: String,
}

/// `RevokeSecurityGroupEntry` and `ModifySecurityGroupEntry` (which changes the
/// description only).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupEntryRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_entry_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
