//! Well-known names and enumerated values of the VPC API, one definition each.

/// The security group KMR puts every cluster in. The service makes it in a VPC when the
/// first cluster is launched there; nobody else may take the name.
pub const KMR_GROUP_NAME: &str = "KSCKMR";

/// `SecurityGroupType` of the group KMR makes, and of every other group.
pub const GROUP_TYPE_KMR: &str = "KMR";
pub const GROUP_TYPE_OTHER: &str = "other";

/// The `State` of a VPC or subnet that exists.
pub const STATE_AVAILABLE: &str = "available";
pub const STATE_ACTIVE: &str = "active";

/// `SubnetType`s; the first is the default.
pub const SUBNET_NORMAL: &str = "Normal";
pub const SUBNET_TYPES: &[&str] = &["Normal", "Reserve", "Physical"];

/// Security group entry directions (`Direction`).
pub const DIRECTION_IN: &str = "in";
pub const DIRECTION_OUT: &str = "out";

/// Security group entry protocols (`Protocol`): all IP traffic, or one protocol.
pub const PROTOCOL_IP: &str = "ip";
pub const PROTOCOL_TCP: &str = "tcp";
pub const PROTOCOL_UDP: &str = "udp";
pub const PROTOCOL_ICMP: &str = "icmp";

/// Describe filter names.
pub const FILTER_VPC_ID: &str = "vpc-id";
pub const FILTER_VPC_NAME: &str = "vpc-name";
pub const FILTER_SUBNET_NAME: &str = "subnet-name";
pub const FILTER_SECURITY_GROUP_NAME: &str = "security-group-name";
/// Finds the object a create with this `ClientToken` made, whose answer may have been lost.
pub const FILTER_CLIENT_TOKEN: &str = "client-token";
