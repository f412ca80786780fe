//! Values between state, configuration and providers: decoding a state record, putting
//! marks back on a provider's answer, `ignore_changes`, and what counts as drift. Shared by
//! the level walk and the batched instance planning.

use crate::config::IgnoreChanges;
use crate::schema::BlockSchema;
use crate::state::InstanceState;
use crate::value::{Type, Value, get_path, set_path};

/// An instance's value as state records it, with its sensitive marks. Attributes that no
/// longer fit the schema's type are read as they are, rather than lost.
pub fn decode_state(state: &InstanceState, ty: &Type) -> Value {
    Value::from_json(&state.attributes, ty)
        .or_else(|_| Value::from_json(&state.attributes, &Type::Dynamic))
        .unwrap_or(Value::null())
        .mark_paths(&state.sensitive_paths)
}

/// Puts marks back on a provider's answer: the schema's sensitive attributes and whatever
/// the configuration marked.
pub(super) fn remark(planned: Value, config: &Value, schema: &BlockSchema) -> Value {
    let paths = config.marked_paths();
    schema.mark_sensitive(planned.mark_paths(&paths))
}

/// `ignore_changes`: the listed attributes keep their prior values, as if the configuration
/// said so.
pub(super) fn apply_ignore_changes(
    config: Value,
    prior: &Value,
    ignore: &IgnoreChanges,
    schema: &BlockSchema,
) -> Value {
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => {
            let (bare, marked) = config.unmark();
            let Value::Object(mut attrs) = bare else { return prior.clone() };
            for name in schema.attributes.keys().chain(schema.blocks.keys()) {
                if let Some(p) = prior.get_attr(name) {
                    attrs.insert(name.clone(), p.clone());
                }
            }
            Value::Object(attrs).marked_if(marked)
        }
        IgnoreChanges::Paths(paths) => {
            let mut value = config;
            for (path, _) in paths {
                if let Some(prior_value) = get_path(prior, &path.0) {
                    value = set_path(value, &path.0, prior_value.clone());
                }
            }
            value
        }
    }
}

/// Whether refresh found a change worth reporting: the object is gone, or something the
/// user can configure changed. Attributes only the provider sets (a transient cluster's
/// `status`, an execution plan's `next_run_at`) change by themselves and are not drift.
pub(super) fn drifted(schema: &BlockSchema, before: &Value, refreshed: Option<&Value>) -> bool {
    let Some(refreshed) = refreshed else { return true };
    let configurable = |name: &str| schema.attributes.get(name).is_none_or(|a| !a.computed || a.optional);
    match (before.unmarked(), refreshed.unmarked()) {
        (Value::Object(a), Value::Object(b)) => a.keys().chain(b.keys()).any(|name| {
            configurable(name)
                && match (a.get(name), b.get(name)) {
                    (Some(x), Some(y)) => !x.eq_unmarked(y),
                    (x, y) => x.is_some() != y.is_some(),
                }
        }),
        (a, b) => !a.eq_unmarked(b),
    }
}
