//! IPv4 CIDR arithmetic for the VPC service's checks: containment and overlap.

use std::net::Ipv4Addr;

/// An IPv4 CIDR block; the address must be the network address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: u32,
    pub prefix: u8,
}

impl Cidr {
    /// The SDK's parser, which the providers' plan-time checks use too: a block the plan
    /// accepts is one the API accepts.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let net = corral_provider_sdk::validate::parse_cidr_v4(text)?;
        Ok(Cidr { addr: u32::from(net.addr()), prefix: net.prefix_len() })
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) }
    }

    pub fn network(&self) -> u32 {
        self.addr & self.mask()
    }

    pub fn broadcast(&self) -> u32 {
        self.network() | !self.mask()
    }

    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && (other.network() & self.mask()) == self.network()
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.prefix)
    }
}
