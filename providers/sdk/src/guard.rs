//! Guards against changes that lose data, shared by every provider whose resources hold it.
//!
//! [`core_shrink`]: core nodes of a Hadoop cluster (a KMR cluster, a Kyligence Cloud stack)
//! run HDFS DataNodes, so removing them can lose blocks that have no replica elsewhere. A
//! plan that lowers the core count is refused unless the configuration says
//! `allow_core_shrink = true`; the one implementation lives here so every provider refuses
//! it the same way, at the same attribute.

use corral_core::diag::Diagnostic;
use corral_core::value::Path;

/// The attribute that holds the core node count.
pub const CORE_COUNT: &str = "core_count";
/// The attribute that allows lowering it.
pub const ALLOW_CORE_SHRINK: &str = "allow_core_shrink";

/// The error for lowering the core count from `from` to `to` without `allowed`, if that is
/// what the plan does.
pub fn core_shrink(from: i64, to: i64, allowed: bool) -> Option<Diagnostic> {
    (to < from && !allowed).then(|| {
        Diagnostic::error(format!("shrinking the core group from {from} to {to} nodes is refused"))
            .with_detail(
                "core nodes run HDFS DataNodes: removing them can lose HDFS blocks that have no replica elsewhere",
            )
            .with_help(format!("if the data is safe (re-replicated or disposable), set `{ALLOW_CORE_SHRINK} = true`"))
            .with_attribute(Path::attr(CORE_COUNT))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unallowed_shrink_is_refused() {
        assert!(core_shrink(3, 5, false).is_none());
        assert!(core_shrink(3, 3, false).is_none());
        assert!(core_shrink(5, 3, true).is_none());
        let refused = core_shrink(5, 3, false).unwrap();
        assert!(refused.summary.contains("from 5 to 3"), "{}", refused.summary);
        assert_eq!(refused.attribute, Some(Path::attr(CORE_COUNT)));
    }
}
