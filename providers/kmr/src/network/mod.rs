//! VPC networking, spoken through Kingsoft VPC's API (service `vpc`, version `2016-03-04`):
//! `kmr_vpc`, `kmr_subnet`, `kmr_security_group`, `kmr_security_group_rule`, `kmr_vpc_peering`, and the data
//! source `kmr_security_group` (how the service-made `KSCKMR` group is read).

mod kind;
pub mod peering;
pub mod rule;
pub mod security_group;
pub mod subnet;
pub mod vpc;

/// The VPC API version every call uses.
pub use corral_api_vpc::VERSION as VPC_VERSION;
