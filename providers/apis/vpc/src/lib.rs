//! Kingsoft VPC's wire contract (version `2016-03-04`): what goes over the wire between a
//! provider (client) and the sandbox's emulation (server) for VPCs, subnets, security groups
//! and their entries. Both sides take the service's names, rules and shapes from here.
//!
//! - [`action`]: action names; [`names`]: well-known names (the `KSCKMR` group), filter
//!   names and enumerated values; [`limits`]: CIDR prefix and port ranges; [`errors`]: error
//!   codes.
//! - [`vpc`], [`subnet`], [`security_group`], [`peering`]: request and answer bodies per action
//!   (PascalCase JSON), and [`Filter`] for the describes. Optional request fields are left
//!   out when absent; the service reads an absent field and a `null` one the same way.

pub mod action;
mod de;
pub mod errors;
pub mod limits;
pub mod names;
pub mod peering;
pub mod security_group;
pub mod subnet;
pub mod vpc;

use serde::{Deserialize, Serialize};

/// The service name in the SigV4 credential scope.
pub const SERVICE: &str = "vpc";

/// The API version this contract describes.
pub const VERSION: &str = "2016-03-04";

/// A describe filter, `{"Name": "vpc-id", "Value": ["vpc-1"]}`: the Kingsoft APIs'
/// `Filter.N.Name` / `Filter.N.Value.M` in JSON form. A single value may come as a string.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de::one_or_many")]
    pub value: Vec<String>,
}

impl Filter {
    /// A filter on one value.
    pub fn new(name: &str, value: &str) -> Filter {
        Filter { name: Some(name.to_string()), value: vec![value.to_string()] }
    }
}

/// The answer of the actions that change or delete without answering an object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReturnAnswer {
    #[serde(rename = "Return")]
    pub ok: bool,
}

#[cfg(test)]
mod tests;
