//! What Kyligence Cloud offers and allows: KAP versions, instance types, node counts, names.
//! The service enforces it and the provider checks plans against it.

/// KAP versions a stack may run, oldest first. Upgrades go forward only.
pub const KAP_VERSIONS: &[&str] = &["2.4.0", "2.4.5", "2.5.0", "2.5.4", "2.5.6"];

/// Instance types (vCPU × memory) of stack nodes.
pub const INSTANCE_TYPES: &[&str] = &["m4.xlarge", "m4.2xlarge", "m4.4xlarge", "r4.2xlarge", "r4.4xlarge"];

/// Master nodes: 1, or 3 for HA. Fixed when the stack is created.
pub const MASTER_COUNTS: &[u32] = &[1, 3];

/// Core nodes hold HDFS: at least one.
pub const CORE_MIN: u32 = 1;
pub const CORE_MAX: u32 = 100;
pub const TASK_MIN: u32 = 0;
pub const TASK_MAX: u32 = 100;

/// The longest stack name, in characters; names are letters, digits and `-`.
pub const NAME_MAX_CHARS: usize = 40;

/// Whether a stack name is acceptable: 1 to [`NAME_MAX_CHARS`] of ASCII letters, digits and
/// `-`, starting with a letter.
pub fn name_is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().count() <= NAME_MAX_CHARS
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The position of a KAP version in [`KAP_VERSIONS`], `None` when not offered.
pub fn kap_version_rank(version: &str) -> Option<usize> {
    KAP_VERSIONS.iter().position(|v| *v == version)
}
