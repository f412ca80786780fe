//! The VPC API's error codes (`Error.Code` of a failed action), one definition each: the
//! service answers with them and a client tells failures apart by them. Parameter errors use
//! the common `MissingParameter` and `InvalidParameterValue`.

pub const VPC_NOT_FOUND: &str = "InvalidVpc.NotFound";
pub const SUBNET_NOT_FOUND: &str = "InvalidSubnet.NotFound";
pub const SECURITY_GROUP_NOT_FOUND: &str = "InvalidSecurityGroup.NotFound";
pub const SECURITY_GROUP_ENTRY_NOT_FOUND: &str = "InvalidSecurityGroupEntry.NotFound";

pub const PEERING_NOT_FOUND: &str = "InvalidVpcPeeringConnection.NotFound";
/// Peering two VPCs whose CIDR blocks overlap, a VPC with itself, or two VPCs already peered.
pub const PEERING_CIDR_OVERLAP: &str = "InvalidVpcPeeringConnection.CidrOverlap";
pub const PEERING_SAME_VPC: &str = "InvalidVpcPeeringConnection.SameVpc";
pub const PEERING_EXISTS: &str = "VpcPeeringConnection.Duplicate";

/// A subnet's CIDR block overlaps another subnet of the VPC.
pub const SUBNET_CONFLICT: &str = "InvalidSubnet.Conflict";
/// `DeleteVpc` of a VPC that still has subnets, or security groups of its own.
pub const VPC_HAS_SUBNETS: &str = "DependencyViolation.Subnet";
pub const VPC_HAS_SECURITY_GROUPS: &str = "DependencyViolation.SecurityGroup";
/// `DeleteSubnet` of a subnet a cluster uses.
pub const SUBNET_IN_USE: &str = "DependencyViolation.Instance";
/// `DeleteSecurityGroup` of a group a cluster uses.
pub const SECURITY_GROUP_IN_USE: &str = "SecurityGroup.InUse";
/// Renaming a group a service made (`KSCKMR`).
pub const SERVICE_MANAGED: &str = "OperationDenied.ServiceManaged";
pub const DUPLICATE_ENTRY: &str = "SecurityGroupEntry.Duplicate";
pub const DUPLICATE_GROUP_NAME: &str = "SecurityGroupName.Duplicate";

/// Quotas, per account.
pub const QUOTA_VPC: &str = "QuotaExceeded.Vpc";
pub const QUOTA_SUBNET: &str = "QuotaExceeded.Subnet";
pub const QUOTA_SECURITY_GROUP: &str = "QuotaExceeded.SecurityGroup";
pub const QUOTA_SECURITY_GROUP_ENTRY: &str = "QuotaExceeded.SecurityGroupEntry";
