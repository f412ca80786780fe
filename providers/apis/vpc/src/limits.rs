//! The VPC API's ranges: CIDR prefix lengths and ports.

use std::ops::RangeInclusive;

/// A VPC's prefix length.
pub const VPC_PREFIX: RangeInclusive<u8> = 8..=28;

/// The longest prefix a subnet may have (a smaller block has no room for hosts).
pub const SUBNET_MAX_PREFIX: u8 = 29;

/// Addresses of a subnet the service keeps: network, gateway and broadcast.
pub const SUBNET_RESERVED_ADDRESSES: u64 = 3;

/// A port of a TCP or UDP entry.
pub const PORTS: RangeInclusive<i64> = 1..=65535;
