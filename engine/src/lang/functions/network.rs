//! Network functions: `cidrsubnet`, `cidrsubnets`, `cidrhost`, `cidrnetmask`, on IPv4 and
//! IPv6 prefixes. Addresses are computed as 128-bit integers.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{FnError, Function, Functions, Param, int_of, str_of};
use crate::value::{Type, Value};

/// A parsed prefix: the address (as an integer), its length in bits, and the prefix length.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Prefix {
    addr: u128,
    bits: u32,
    len: u32,
}

impl Prefix {
    fn parse(text: &str) -> Result<Prefix, String> {
        let invalid = || format!("invalid CIDR expression: invalid CIDR address: {text}");
        let (ip, len) = text.split_once('/').ok_or_else(invalid)?;
        let len: u32 = len.parse().map_err(|_| invalid())?;
        let (addr, bits) = match parse_ipv4(ip) {
            Some(a) => (u128::from(a), 32),
            None => (u128::from(ip.parse::<Ipv6Addr>().map_err(|_| invalid())?), 128),
        };
        if len > bits {
            return Err(invalid());
        }
        Ok(Prefix { addr: addr & mask(bits, len), bits, len })
    }

    fn format_addr(&self, addr: u128) -> String {
        if self.bits == 32 { Ipv4Addr::from(addr as u32).to_string() } else { Ipv6Addr::from(addr).to_string() }
    }

    fn to_text(self) -> String {
        format!("{}/{}", self.format_addr(self.addr), self.len)
    }

    fn last(&self) -> u128 {
        self.addr | !mask(self.bits, self.len) & max_addr(self.bits)
    }
}

/// IPv4 in dotted decimal; leading zeros are decimal, as Go's parser of Terraform's era read them.
fn parse_ipv4(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for part in parts {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u32 = part.parse().ok()?;
        if n > 255 {
            return None;
        }
        out = (out << 8) | n;
    }
    Some(out)
}

fn max_addr(bits: u32) -> u128 {
    if bits == 128 { u128::MAX } else { (1u128 << bits) - 1 }
}

fn mask(bits: u32, len: u32) -> u128 {
    if len == 0 { 0 } else { max_addr(bits) & !(max_addr(bits) >> len) }
}

fn subnet(prefix: Prefix, newbits: i64, netnum: i64) -> Result<Prefix, String> {
    if newbits < 0 {
        return Err("new bits must be non-negative".to_string());
    }
    let new_len = prefix.len as i64 + newbits;
    if new_len > prefix.bits as i64 {
        return Err(format!("insufficient address space to extend prefix of {} by {newbits}", prefix.len));
    }
    let new_len = new_len as u32;
    if netnum < 0 || (newbits < 64 && netnum >= (1i64 << newbits)) {
        return Err(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"));
    }
    let shift = prefix.bits - new_len;
    let addr = prefix.addr | ((netnum as u128) << shift);
    Ok(Prefix { addr, bits: prefix.bits, len: new_len })
}

pub(super) fn register(functions: &mut Functions) {
    functions.register(
        "cidrsubnet",
        Function::new(
            vec![
                Param::new("prefix", Type::String),
                Param::new("newbits", Type::Number),
                Param::new("netnum", Type::Number),
            ],
            Type::String,
            |_, args| {
                let prefix = Prefix::parse(str_of(&args[0])).map_err(|e| FnError::Arg(0, e))?;
                let result = subnet(prefix, int_of(&args[1], 1)?, int_of(&args[2], 2)?).map_err(FnError::Call)?;
                Ok(Value::String(result.to_text()))
            },
        ),
    );
    functions.register(
        "cidrhost",
        Function::new(
            vec![Param::new("prefix", Type::String), Param::new("hostnum", Type::Number)],
            Type::String,
            |_, args| {
                let prefix = Prefix::parse(str_of(&args[0])).map_err(FnError::Call)?;
                let hostnum = int_of(&args[1], 1)?;
                let host_bits = prefix.bits - prefix.len;
                let size: i128 = if host_bits >= 127 { i128::MAX } else { 1i128 << host_bits };
                let n = hostnum as i128;
                if n >= size || n < -size {
                    return Err(FnError::Call(format!(
                        "prefix of {} does not accommodate a host numbered {hostnum}",
                        prefix.len
                    )));
                }
                let offset = if n < 0 { (size + n) as u128 } else { n as u128 };
                Ok(Value::String(prefix.format_addr(prefix.addr + offset)))
            },
        ),
    );
    functions.register(
        "cidrnetmask",
        Function::new(vec![Param::new("prefix", Type::String)], Type::String, |_, args| {
            let prefix = Prefix::parse(str_of(&args[0])).map_err(FnError::Call)?;
            Ok(Value::String(prefix.format_addr(mask(prefix.bits, prefix.len))))
        }),
    );
    functions.register(
        "cidrsubnets",
        Function::new(vec![Param::new("prefix", Type::String)], Type::list(Type::String), |_, args| {
            let base = Prefix::parse(str_of(&args[0])).map_err(|e| FnError::Arg(0, e))?;
            let mut out = Vec::new();
            // The first subnet starts at the base address; each next one starts right after
            // the previous one, aligned to its own size (go-cidr's NextSubnet).
            let mut next_start = base.addr;
            let mut previous: Option<Prefix> = None;
            for (i, arg) in args.iter().enumerate().skip(1) {
                let newbits = int_of(arg, i)?;
                if newbits < 1 {
                    return Err(FnError::Arg(i, "must extend prefix by at least one bit".to_string()));
                }
                let len = base.len as i64 + newbits;
                if len > base.bits as i64 {
                    return Err(FnError::Arg(
                        i,
                        format!(
                            "would extend prefix to {len} bits, which is too long for an IPv{} address",
                            if base.bits == 32 { 4 } else { 6 }
                        ),
                    ));
                }
                let len = len as u32;
                let size_mask = mask(base.bits, len);
                let mut start = next_start & size_mask;
                if start < next_start {
                    start = start.wrapping_add(1u128 << (base.bits - len));
                }
                let candidate = Prefix { addr: start, bits: base.bits, len };
                let overflow = start < next_start || candidate.last() > base.last() || start < base.addr;
                if overflow || (previous.is_some() && next_start == 0) {
                    let after = previous.map(Prefix::to_text).unwrap_or_else(|| base.to_text());
                    return Err(FnError::Arg(
                        i,
                        format!(
                            "not enough remaining address space for a subnet with a prefix of {len} bits after {after}"
                        ),
                    ));
                }
                out.push(Value::String(candidate.to_text()));
                next_start = candidate.last().wrapping_add(1) & max_addr(base.bits);
                previous = Some(candidate);
            }
            Ok(Value::List(Type::String, out))
        })
        .variadic(Param::new("newbits", Type::Number)),
    );
}
