//! The VPC API's action names (`?Action=...`).

pub const CREATE_VPC: &str = "CreateVpc";
pub const DESCRIBE_VPCS: &str = "DescribeVpcs";
pub const MODIFY_VPC: &str = "ModifyVpc";
pub const DELETE_VPC: &str = "DeleteVpc";

pub const CREATE_SUBNET: &str = "CreateSubnet";
pub const DESCRIBE_SUBNETS: &str = "DescribeSubnets";
pub const MODIFY_SUBNET: &str = "ModifySubnet";
pub const DELETE_SUBNET: &str = "DeleteSubnet";

pub const CREATE_SECURITY_GROUP: &str = "CreateSecurityGroup";
pub const DESCRIBE_SECURITY_GROUPS: &str = "DescribeSecurityGroups";
pub const MODIFY_SECURITY_GROUP: &str = "ModifySecurityGroup";
pub const DELETE_SECURITY_GROUP: &str = "DeleteSecurityGroup";

pub const AUTHORIZE_SECURITY_GROUP_ENTRY: &str = "AuthorizeSecurityGroupEntry";
pub const REVOKE_SECURITY_GROUP_ENTRY: &str = "RevokeSecurityGroupEntry";
pub const MODIFY_SECURITY_GROUP_ENTRY: &str = "ModifySecurityGroupEntry";

pub const CREATE_VPC_PEERING_CONNECTION: &str = "CreateVpcPeeringConnection";
pub const DESCRIBE_VPC_PEERING_CONNECTIONS: &str = "DescribeVpcPeeringConnections";
pub const DELETE_VPC_PEERING_CONNECTION: &str = "DeleteVpcPeeringConnection";
