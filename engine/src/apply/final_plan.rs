//! The final plan of a create or update: asked of the provider at apply time, with every
//! upstream value known, and checked against the saved plan wherever that one was known.

use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::ResourceChange;
use crate::provider::{self, Provider};
use crate::schema::ResourceSchema;
use crate::value::Value;

/// The planned new value, marked sensitive where the saved plan was, and the provider's
/// diagnostics (with an error if the plan changed where the saved plan was known).
pub(super) async fn final_plan(
    provider: &dyn Provider,
    schema: &ResourceSchema,
    change: &ResourceChange,
    prior: Option<Value>,
    config: Value,
) -> (Value, Diagnostics) {
    let request =
        provider::PlanRequest::new(&schema.block, change.type_name.clone(), prior, config, change.private.clone());
    let response = provider.plan(request).await;
    let mut diags = response.diagnostics;
    let planned = match response.planned_state {
        Some(p) if diags.has_errors() => p,
        Some(p) => {
            if let Some(saved) = &change.after
                && !consistent(saved, &p)
            {
                diags.push(
                    Diagnostic::error(format!("Provider produced inconsistent final plan for {}", change.addr))
                        .with_detail("The planned values changed between plan and apply for attributes that were known at plan time; run `corral plan` again"),
                );
            }
            let paths = change.after.as_ref().map(Value::marked_paths).unwrap_or_default();
            p.mark_paths(&paths)
        }
        None => Value::null(),
    };
    (planned, diags)
}

/// Whether a final plan agrees with the saved one wherever the saved one was known.
pub(super) fn consistent(saved: &Value, new: &Value) -> bool {
    match (saved.unmarked(), new.unmarked()) {
        (Value::Unknown(_), _) => true,
        (Value::Object(a), Value::Object(b)) | (Value::Map(_, a), Value::Map(_, b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| consistent(v, w)))
        }
        (Value::List(_, a), Value::List(_, b)) | (Value::Tuple(a), Value::Tuple(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| consistent(v, w))
        }
        (Value::Set(_, a), Value::Set(_, b)) => {
            // Set elements with unknowns cannot be matched up; compare the known ones.
            if a.iter().all(Value::is_wholly_known) { a == b } else { true }
        }
        (a, b) => a == b,
    }
}
