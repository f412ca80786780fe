//! Validation helpers for `validate_resource`: each checks one attribute of a configuration
//! when its value is known (unknown values are checked at apply time, by the service) and
//! reports a diagnostic that names the attribute, so the planner can point at the line that
//! sets it.

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::value::{Path, Value};

/// The checks of one resource's configuration, collecting diagnostics.
pub struct Checks<'a> {
    type_name: &'a str,
    config: &'a Value,
    diagnostics: Diagnostics,
}

impl<'a> Checks<'a> {
    pub fn new(type_name: &'a str, config: &'a Value) -> Checks<'a> {
        Checks { type_name, config, diagnostics: Diagnostics::new() }
    }

    pub fn finish(self) -> Diagnostics {
        self.diagnostics
    }

    /// An error about attribute `name`, for checks of the provider's own.
    pub fn error(&mut self, name: &str, summary: impl Into<String>) {
        self.diagnostics.push(Diagnostic::error(summary).with_attribute(Path::attr(name)));
    }

    /// A diagnostic of the provider's own (with detail or help), which should already name
    /// its attribute with `with_attribute`.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// When attribute `name` is not set (null or absent), an error that it is required;
    /// `help` says what to do instead, if anything.
    pub fn required(&mut self, names: &[&str], help: Option<&str>) -> &mut Self {
        for name in names {
            if self.config.get_attr(name).is_none_or(Value::is_null) {
                let mut diagnostic = Diagnostic::error(format!("`{name}` of `{}` is required", self.type_name))
                    .with_attribute(Path::attr(name));
                if let Some(help) = help {
                    diagnostic = diagnostic.with_help(help);
                }
                self.diagnostics.push(diagnostic);
            }
        }
        self
    }

    fn str(&self, name: &str) -> Option<&'a str> {
        self.config.get_attr(name).and_then(Value::as_str)
    }

    /// A known string attribute is one of `allowed`.
    pub fn one_of(&mut self, name: &str, allowed: &[&str]) -> &mut Self {
        if let Some(v) = self.str(name)
            && !allowed.contains(&v)
        {
            let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
            self.error(name, format!("`{name}` of `{}` must be one of {list}, not `{v}`", self.type_name));
        }
        self
    }

    /// A known number attribute is a whole number in `min..=max`.
    pub fn int_between(&mut self, name: &str, min: i64, max: i64) -> &mut Self {
        if let Some(n) = self.config.get_attr(name).and_then(Value::as_number) {
            match n.to_i64() {
                Some(i) if (min..=max).contains(&i) => {}
                _ => self.error(
                    name,
                    format!("`{name}` of `{}` must be a whole number from {min} to {max}, not {n}", self.type_name),
                ),
            }
        }
        self
    }

    /// A known string attribute has `min..=max` characters.
    pub fn length_between(&mut self, name: &str, min: usize, max: usize) -> &mut Self {
        if let Some(v) = self.str(name) {
            let length = v.chars().count();
            if !(min..=max).contains(&length) {
                self.error(
                    name,
                    format!("`{name}` of `{}` must have {min} to {max} characters, not {length}", self.type_name),
                );
            }
        }
        self
    }

    /// A known string attribute matches `pattern` (anchored); `what` says in words what it
    /// should look like.
    pub fn matches(&mut self, name: &str, pattern: &regex::Regex, what: &str) -> &mut Self {
        if let Some(v) = self.str(name)
            && !pattern.is_match(v)
        {
            self.error(name, format!("`{name}` of `{}` must be {what}, not `{v}`", self.type_name));
        }
        self
    }

    /// A known string attribute is an IPv4 CIDR block without host bits (`10.0.0.0/16`).
    pub fn cidr_v4(&mut self, name: &str) -> &mut Self {
        if let Some(v) = self.str(name)
            && let Some(why) = cidr_v4_problem(v)
        {
            self.error(name, format!("`{name}` of `{}`: {why}", self.type_name));
        }
        self
    }

    /// Each known element of a list-of-strings attribute is an IPv4 CIDR block.
    pub fn cidrs_v4(&mut self, name: &str) -> &mut Self {
        let elements: Vec<(usize, &'a str)> = self
            .config
            .get_attr(name)
            .and_then(Value::as_seq)
            .map(|items| items.iter().enumerate().filter_map(|(i, v)| v.as_str().map(|s| (i, s))).collect())
            .unwrap_or_default();
        for (i, v) in elements {
            if let Some(why) = cidr_v4_problem(v) {
                let path = Path::attr(name).index(i as i64);
                self.diagnostics.push(
                    Diagnostic::error(format!("`{name}[{i}]` of `{}`: {why}", self.type_name)).with_attribute(path),
                );
            }
        }
        self
    }

    /// When attribute `name` is set, `other` must be set too.
    pub fn requires(&mut self, name: &str, other: &str, why: &str) -> &mut Self {
        let set = |n: &str| self.config.get_attr(n).is_some_and(|v| !v.is_null());
        if set(name) && !set(other) {
            self.error(name, format!("`{name}` of `{}` needs `{other}`: {why}", self.type_name));
        }
        self
    }

    /// `name` and `other` cannot both be set.
    pub fn conflicts(&mut self, name: &str, other: &str) -> &mut Self {
        let set = |n: &str| self.config.get_attr(n).is_some_and(|v| !v.is_null());
        if set(name) && set(other) {
            self.error(name, format!("`{name}` and `{other}` of `{}` cannot both be set", self.type_name));
        }
        self
    }
}

/// What is wrong with `text` as an IPv4 CIDR block, if anything.
pub fn cidr_v4_problem(text: &str) -> Option<String> {
    parse_cidr_v4(text).err()
}

/// `text` as an IPv4 CIDR block without host bits, or why it is not one. Services that
/// emulate a cloud parse with this too, so a plan accepts exactly what the API accepts.
pub fn parse_cidr_v4(text: &str) -> Result<ipnet::Ipv4Net, String> {
    let not_a_block = || format!("`{text}` is not an IPv4 CIDR block like `10.0.0.0/16`");
    let (addr, prefix) = text.split_once('/').ok_or_else(not_a_block)?;
    // std's address parser, not ipnet's: it refuses leading zeros (`010.0.0.0`, octal to
    // some tools), as the API does.
    let addr: std::net::Ipv4Addr = addr.parse().map_err(|_| not_a_block())?;
    let prefix: u8 = Some(prefix)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|p| p.parse().ok())
        .ok_or_else(not_a_block)?;
    let net = ipnet::Ipv4Net::new(addr, prefix).map_err(|_| not_a_block())?;
    if net.trunc() != net {
        return Err(format!("`{text}` has host bits set; the block is `{}`", net.trunc()));
    }
    Ok(net)
}

#[cfg(test)]
mod tests;
