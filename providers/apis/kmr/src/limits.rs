//! What KMR offers and allows: versions with their services, instance types, job types,
//! node-group limits and lengths. `ListClusterVersions` answers from here, the service
//! enforces it, and the provider checks plans against it.

use crate::status::{GROUP_CORE, GROUP_MASTER, GROUP_TASK};

/// Versions of the Hadoop distribution (`MainVersion`), newest last.
pub const MAIN_VERSIONS: &[&str] = &["5.0.0", "5.1.0", "5.2.0", "5.3.0"];

/// Services every Hadoop cluster has, whether asked for or not.
pub const MANDATORY_SERVICES: &[&str] = &["hdfs", "mapreduce", "tez", "yarn", "zookeeper"];

/// Services a cluster may add.
pub const OPTIONAL_SERVICES: &[&str] =
    &["flink", "hbase", "hive", "hue", "kafka", "kyuubi", "presto", "ranger", "spark", "sqoop", "trino"];

/// Instance types (vCPU × memory) a node group may use.
pub const INSTANCE_TYPES: &[&str] = &["S6.XLARGE8", "S6.2XLARGE16", "S6.4XLARGE32", "S6.8XLARGE64", "I4.4XLARGE32"];

/// Job types a transient cluster runs (`JobType`).
pub const JOB_TYPES: &[&str] = &["SPARK", "HIVE", "MAPREDUCE"];

/// A monthly subscription's term, in months (`PurchaseTime`); a longer one is bought yearly.
/// The KMR documents name monthly and yearly billing (包年包月) without terms; these follow
/// MRS's (research.md §1.1: 1–9 months, 1–3 years).
pub const MONTHLY_TERMS: std::ops::RangeInclusive<u32> = 1..=9;
/// A yearly subscription's term, in years.
pub const YEARLY_TERMS: std::ops::RangeInclusive<u32> = 1..=3;

/// A subscription expiring within this many minutes is warned about (the trial's
/// 到期提醒, and a paid term's): two days.
pub const EXPIRY_WARNING_MINUTES: i64 = 2 * 24 * 60;

/// The longest cluster, template or execution plan name, in characters.
pub const NAME_MAX_CHARS: usize = 64;

/// The longest graceful scale-in timeout, in seconds.
pub const GRACEFUL_SCALE_IN_MAX_SECONDS: u32 = 120;

/// A list page's size when the `Marker` names none, and the largest allowed.
pub const PAGE_DEFAULT: usize = 10;
pub const PAGE_MAX: usize = 100;

/// How many nodes a group may have (`InstanceGroupRequirements`). The master count is
/// fixed at launch; core nodes hold HDFS blocks, so at least one must stay.
pub fn group_limits(group_type: &str) -> Option<(u32, u32)> {
    match group_type {
        GROUP_MASTER => Some((1, 2)),
        GROUP_CORE => Some((1, 500)),
        GROUP_TASK => Some((0, 500)),
        _ => None,
    }
}

/// Whether `uri` is a KS3 location (`ks3://bucket/path`), where logs and results go.
pub fn is_ks3_uri(uri: &str) -> bool {
    uri.strip_prefix("ks3://").and_then(|rest| rest.split('/').next()).is_some_and(|bucket| !bucket.is_empty())
}

/// The end of a subscription bought at `from` for `term` units of `charge_type` (`None` for
/// charge types without a term).
pub fn term_end(
    charge_type: &str,
    term: u32,
    from: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let months = match charge_type {
        crate::status::CHARGE_MONTHLY => term,
        crate::status::CHARGE_YEARLY => term.saturating_mul(12),
        _ => return None,
    };
    from.checked_add_months(chrono::Months::new(months))
}

/// Whether `term` is a term the charge type sells.
pub fn check_term(charge_type: &str, term: u32) -> Result<(), String> {
    let (range, unit) = match charge_type {
        crate::status::CHARGE_MONTHLY => (MONTHLY_TERMS, "months"),
        crate::status::CHARGE_YEARLY => (YEARLY_TERMS, "years"),
        _ => return Err(format!("`{charge_type}` has no term to buy")),
    };
    if range.contains(&term) {
        Ok(())
    } else {
        Err(format!("a {charge_type} term is {}–{} {unit}, not {term}", range.start(), range.end()))
    }
}
