//! Where KMR meets the VPC service: the subnet a cluster is launched into must exist in the
//! VPC, and the VPC gets the service-owned default security group `KSCKMR` the first time
//! a cluster is launched in it.

use corral_provider_sdk::emulator::{ApiError, RequestContext};

/// What a launch learns about its network.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterNetwork {
    /// The VPC's `KSCKMR` group.
    pub security_group_id: String,
    /// A private address for the master node, inside the subnet.
    pub master_private_ip: String,
}

/// Checks the VPC and subnet and makes sure the VPC's `KSCKMR` group exists.
///
/// INTEGRATION POINT (VPC service): until `services::vpc` provides its lookup and
/// `ensure_kmr_security_group` functions, this only checks the ids' shape and names the
/// group after the VPC; replace the body with calls to the VPC service once it is merged.
pub fn ensure_cluster_network(
    ctx: &mut RequestContext<'_>,
    vpc_id: &str,
    subnet_id: &str,
    seed: &str,
) -> Result<ClusterNetwork, ApiError> {
    let _ = &ctx.account;
    if vpc_id.is_empty() {
        return Err(ApiError::bad_request("MissingParameter", "`VpcDomainId` is required"));
    }
    if subnet_id.is_empty() {
        return Err(ApiError::bad_request("MissingParameter", "`InstanceGroups[].VpcSubnetId` is required"));
    }
    Ok(ClusterNetwork {
        security_group_id: format!("sg-ksckmr-{vpc_id}"),
        master_private_ip: private_ip("10.0.0.0/16", seed),
    })
}

/// A stable address in a CIDR (IPv4), derived from `seed` so a record always gets the same.
pub fn private_ip(cidr: &str, seed: &str) -> String {
    let (base, prefix) = cidr.split_once('/').unwrap_or((cidr, "24"));
    let prefix: u32 = prefix.parse().unwrap_or(24).clamp(8, 30);
    let base: std::net::Ipv4Addr = base.parse().unwrap_or(std::net::Ipv4Addr::new(10, 0, 0, 0));
    let host_bits = 32 - prefix;
    let hash = seed.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    // Skip the network address, the gateway (.1) and the broadcast address.
    let hosts = (1u32 << host_bits).saturating_sub(4).max(1);
    let offset = 2 + hash % hosts;
    let mask = if prefix == 0 { 0 } else { u32::MAX << host_bits };
    std::net::Ipv4Addr::from((u32::from(base) & mask) + offset).to_string()
}

/// A public address for a master node with an EIP.
pub fn eip(seed: &str) -> String {
    let hash = seed.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    format!("120.92.{}.{}", (hash >> 8) % 256, 2 + hash % 250)
}
