//! Where a provider's diagnostic points: providers name attributes, not lines.

use crate::config::Resource;
use crate::diag::Diagnostics;

/// Gives provider diagnostics without a location one in the resource's block: the
/// attribute they name when the configuration sets it, else the block's header.
pub(crate) fn locate(diags: Diagnostics, config: &Resource) -> Diagnostics {
    Diagnostics(
        diags
            .into_iter()
            .map(|d| {
                if d.span.is_some() {
                    return d;
                }
                let span = d.attribute.as_ref().and_then(|path| config.body.span_of(&path.0));
                let span = span.unwrap_or(config.decl_span);
                d.with_span(span)
            })
            .collect(),
    )
}
