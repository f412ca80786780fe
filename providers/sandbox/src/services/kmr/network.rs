//! Where KMR meets the VPC service (same transaction): the subnet a cluster is launched
//! into must be the account's and lie in the given VPC; the VPC gets the service-owned
//! default security group `KSCKMR` the first time a cluster is launched in it; the subnet and
//! group record the cluster as a user until it is gone, so neither can be deleted under it.

use chrono::{DateTime, Utc};
use corral_api_kmr::errors;
use corral_provider_sdk::emulator::{ApiError, Tables};

use super::super::vpc;

/// What a launch learns about its network.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterNetwork {
    /// The VPC's `KSCKMR` group.
    pub security_group_id: String,
    /// A private address for the master node, inside the subnet.
    pub master_private_ip: String,
}

/// Checks the VPC and subnet, makes sure the VPC's `KSCKMR` group exists, and marks both as
/// used by the cluster.
pub fn attach(
    tables: &mut dyn Tables,
    account: &str,
    vpc_id: &str,
    subnet_id: &str,
    cluster_id: &str,
    now: DateTime<Utc>,
) -> Result<ClusterNetwork, ApiError> {
    let subnet = vpc::subnet(tables, account, subnet_id)
        .ok_or_else(|| ApiError::not_found(errors::SUBNET_NOT_FOUND, format!("subnet `{subnet_id}` does not exist")))?;
    if subnet.vpc_id != vpc_id {
        return Err(ApiError::invalid(
            "VpcSubnetId",
            format!("subnet `{subnet_id}` is in VPC `{}`, not in `{vpc_id}`", subnet.vpc_id),
        ));
    }
    let security_group_id = vpc::ensure_kmr_group(tables, account, vpc_id, cluster_id, now)?;
    vpc::set_used(tables, vpc::SUBNETS, subnet_id, cluster_id, true)?;
    let cidr = subnet.cidr_block;
    Ok(ClusterNetwork { security_group_id, master_private_ip: private_ip(&cidr, cluster_id) })
}

/// The cluster is gone: the subnet and group no longer hold it. Either may already be gone.
pub fn detach(tables: &mut dyn Tables, subnet_id: &str, security_group_id: &str, cluster_id: &str) {
    for (table, id) in [(vpc::SUBNETS, subnet_id), (vpc::SECURITY_GROUPS, security_group_id)] {
        if tables.get(table, id).is_some() {
            // Only fails for a missing object, which was just ruled out.
            let _ = vpc::set_used(tables, table, id, cluster_id, false);
        }
    }
}

/// A stable address in a CIDR (IPv4), derived from `seed` so a record always gets the same.
pub fn private_ip(cidr: &str, seed: &str) -> String {
    let (base, prefix) = cidr.split_once('/').unwrap_or((cidr, "24"));
    let prefix: u32 = prefix.parse().unwrap_or(24).clamp(8, 30);
    let base: std::net::Ipv4Addr = base.parse().unwrap_or(std::net::Ipv4Addr::new(10, 0, 0, 0));
    let host_bits = 32 - prefix;
    // Skip the network address, the gateway (.1) and the broadcast address.
    let hosts = (1u32 << host_bits).saturating_sub(4).max(1);
    let offset = 2 + hash(seed) % hosts;
    let mask = u32::MAX << host_bits;
    std::net::Ipv4Addr::from((u32::from(base) & mask) + offset).to_string()
}

/// A public address for a master node with an EIP.
pub fn eip(seed: &str) -> String {
    let h = hash(seed);
    format!("120.92.{}.{}", (h >> 8) % 256, 2 + h % 250)
}

/// FNV-1a: a stable hash (std's is randomly seeded).
fn hash(seed: &str) -> u32 {
    seed.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619))
}
