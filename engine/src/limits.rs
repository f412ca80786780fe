//! The language's size limits, in one place: how large a file `file()` and friends read,
//! how long a string and how many elements a collection a function or template may
//! produce, and how many module instances (and how deep a module tree) a configuration may
//! expand to. Without them one short expression (`indent(2000000000, "\n.")`,
//! `range(1e12)`, `file("/dev/zero")`) or a 150 KB module tree calling each module twice
//! allocates until the process is killed.
//!
//! Each limit has a default generous for real configurations and an environment variable
//! that raises (or lowers) it, read once per process. Errors name the limit, its value and
//! the variable ([`Limit::exceeded`]).

use std::sync::OnceLock;

/// One limit: its value and how to change it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// What is limited, for messages ("string length").
    pub what: &'static str,
    /// The unit, for messages ("bytes").
    pub unit: &'static str,
    /// The environment variable that overrides the default.
    pub var: &'static str,
    pub value: u64,
}

impl Limit {
    const fn new(what: &'static str, unit: &'static str, var: &'static str, default: u64) -> Limit {
        Limit { what, unit, var, value: default }
    }

    /// The default, unless the environment sets a whole number (a bad value is ignored, as
    /// the default is always safe).
    fn overridden_by_env(self) -> Limit {
        let value = std::env::var(self.var).ok().and_then(|v| v.trim().replace('_', "").parse::<u64>().ok());
        Limit { value: value.unwrap_or(self.value), ..self }
    }

    /// Whether `n` is within the limit.
    pub fn allows(&self, n: u64) -> bool {
        n <= self.value
    }

    /// The explanation for a value over the limit: names it, its value, and how to raise it.
    pub fn exceeded(&self, actual: impl std::fmt::Display) -> String {
        format!(
            "the {} would be {actual} {unit}, over the limit of {} {unit}; set {}=N to raise it",
            self.what,
            self.value,
            self.var,
            unit = self.unit
        )
    }
}

/// Every limit, with the environment's overrides.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes one file function reads (`file`, `filebase64`, `templatefile`, the hashes).
    pub file_bytes: Limit,
    /// Bytes of one string a function, template or operator produces.
    pub string_bytes: Limit,
    /// Elements of one list, set, map or tuple a function produces (`range`, `setproduct`).
    pub collection_elements: Limit,
    /// Module instances of a configuration, counting every `count`/`for_each` instance.
    pub module_instances: Limit,
    /// Nesting depth of module calls (the root module is depth 0).
    pub module_depth: Limit,
}

pub const MIB: u64 = 1024 * 1024;

/// The defaults, before the environment.
pub const DEFAULTS: Limits = Limits {
    file_bytes: Limit::new("file size", "bytes", "CORRAL_MAX_FILE_BYTES", 64 * MIB),
    string_bytes: Limit::new("string length", "bytes", "CORRAL_MAX_STRING_BYTES", 64 * MIB),
    collection_elements: Limit::new("collection size", "elements", "CORRAL_MAX_COLLECTION_ELEMENTS", 1_000_000),
    module_instances: Limit::new("number of module instances", "instances", "CORRAL_MAX_MODULE_INSTANCES", 10_000),
    module_depth: Limit::new("module nesting depth", "levels", "CORRAL_MAX_MODULE_DEPTH", 64),
};

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The limits of this process (defaults and `CORRAL_MAX_*` overrides, or [`init`]'s).
pub fn limits() -> &'static Limits {
    LIMITS.get_or_init(|| Limits {
        file_bytes: DEFAULTS.file_bytes.overridden_by_env(),
        string_bytes: DEFAULTS.string_bytes.overridden_by_env(),
        collection_elements: DEFAULTS.collection_elements.overridden_by_env(),
        module_instances: DEFAULTS.module_instances.overridden_by_env(),
        module_depth: DEFAULTS.module_depth.overridden_by_env(),
    })
}

/// Sets the limits of this process, before anything used them (the fuzz harness runs with
/// small ones, so that its memory limit finds what the limits miss). Returns whether they
/// were set; afterwards they never change.
pub fn init(limits: Limits) -> bool {
    LIMITS.set(limits).is_ok()
}

impl Limits {
    /// Every limit scaled to `value`s of its own (the same variables name them).
    pub fn with(mut self, file_bytes: u64, string_bytes: u64, collection_elements: u64) -> Limits {
        self.file_bytes.value = file_bytes;
        self.string_bytes.value = string_bytes;
        self.collection_elements.value = collection_elements;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_its_value_and_the_variable() {
        let message = DEFAULTS.string_bytes.exceeded(100_000_000);
        assert_eq!(
            message,
            "the string length would be 100000000 bytes, over the limit of 67108864 bytes; set CORRAL_MAX_STRING_BYTES=N to raise it"
        );
        assert!(DEFAULTS.collection_elements.allows(1_000_000));
        assert!(!DEFAULTS.collection_elements.allows(1_000_001));
    }
}
