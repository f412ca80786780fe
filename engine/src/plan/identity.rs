//! Two planned objects with one identity: a schema may say which attributes name the remote
//! object a resource stands for ([`Identity`]: a security group rule is its group, direction,
//! protocol and ports, one entry per CIDR block). Two resources that describe the same
//! object would make apply create one and fail the other (or have one silently own the
//! other's entry), so the plan refuses them, naming both.
//!
//! An identity attribute still unknown at plan time (the group is created by the same plan)
//! counts as equal in two instances when both set it with the same reference in the same
//! module instance (`kmr_security_group.g.id` twice): one reference has one value, known or
//! not. An expression that varies by instance (`count.index`, `each`) or an unknown value
//! without a reference says nothing, and such an instance is not compared.

use std::collections::HashMap;

use crate::addr::AbsResourceInstance;
use crate::config::{Config, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::{self, Subject};
use crate::plan::{Action, ResourceChange};
use crate::schema::Identity;
use crate::value::PathStep;
use crate::value::Value;

/// One part of an identity: a value, or (while unknown) the reference that will give it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Part {
    Known(String),
    SameReference { module: String, text: String },
}

/// Refuses planned objects whose identities clash. `identity_of` gives a resource type's
/// declared identity, if any.
pub(super) fn check<'c>(
    config: &Config,
    changes: impl IntoIterator<Item = &'c ResourceChange>,
    identity_of: impl Fn(&AbsResourceInstance) -> Option<Identity>,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    // Identity → the first instance that has it.
    let mut seen: HashMap<(String, Vec<Part>, Option<String>), &AbsResourceInstance> = HashMap::new();
    // Objects that exist already come first: the one to be created is the duplicate.
    let mut changes: Vec<&ResourceChange> = changes.into_iter().collect();
    changes.sort_by_key(|c| c.before().is_none());
    for change in changes {
        if change.deposed.is_some() || matches!(change.action, Action::Delete | Action::Forget) {
            continue;
        }
        let Some(after) = &change.after else { continue };
        let Some(identity) = identity_of(&change.addr) else { continue };
        let Some(resource) =
            config.module(&change.addr.module.path()).and_then(|m| m.resources.get(&change.addr.resource))
        else {
            continue;
        };
        let Some(parts) = parts(config, resource, &change.addr, after, &identity) else { continue };
        let elements: Vec<Option<String>> = match &identity.each_of {
            None => vec![None],
            Some(name) => match after.get_attr(name).map(|v| v.clone().unmark_deep().0) {
                Some(Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items)) => {
                    items.iter().filter(|v| v.is_wholly_known()).map(|v| Some(v.to_json().to_string())).collect()
                }
                _ => Vec::new(),
            },
        };
        for element in elements {
            let key = (change.type_name.clone(), parts.clone(), element.clone());
            match seen.get(&key) {
                // Twice in one instance's own list is the provider's to refuse (validation).
                Some(first) if *first == &change.addr => {}
                Some(first) => diags.push(clash(config, first, &change.addr, resource, &identity, element.as_deref())),
                None => {
                    seen.insert(key, &change.addr);
                }
            }
        }
    }
    diags
}

/// The identity attributes of one planned object, or `None` when one of them cannot be
/// told apart from another instance's yet.
fn parts(
    config: &Config,
    resource: &Resource,
    addr: &AbsResourceInstance,
    after: &Value,
    identity: &Identity,
) -> Option<Vec<Part>> {
    identity
        .attributes
        .iter()
        .map(|name| {
            let value = after.get_attr(name).cloned().unwrap_or(Value::null()).unmark_deep().0;
            if value.is_wholly_known() {
                return Some(Part::Known(value.to_json().to_string()));
            }
            let attribute = resource.body.attributes.get(name)?;
            let references = lang::references(&attribute.value);
            let per_instance = references.iter().any(|r| {
                matches!(r.subject, Subject::CountIndex | Subject::EachKey | Subject::EachValue | Subject::SelfObject)
            });
            if references.is_empty() || per_instance {
                return None;
            }
            let text: String =
                config.sources.snippet(attribute.value.span).chars().filter(|c| !c.is_whitespace()).collect();
            Some(Part::SameReference { module: addr.module.to_string(), text })
        })
        .collect()
}

fn clash(
    config: &Config,
    first: &AbsResourceInstance,
    second: &AbsResourceInstance,
    resource: &Resource,
    identity: &Identity,
    element: Option<&str>,
) -> Diagnostic {
    let names = identity.attributes.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    let mut detail = format!("Both have the same {names}");
    if let (Some(list), Some(element)) = (&identity.each_of, element) {
        detail.push_str(&format!(" and both list {element} in `{list}`"));
    }
    detail.push_str(": they describe one remote object, which can exist only once; applying both would fail the second or make one own the other's object.");
    let span = identity.each_of.as_ref().and_then(|list| resource.body.span_of(&[PathStep::Attr(list.clone())]));
    let mut diagnostic = Diagnostic::error(format!("`{second}` duplicates `{first}`"))
        .with_detail(detail)
        .with_span(span.unwrap_or(resource.decl_span))
        .with_help(format!("remove the duplicate from `{second}` or from `{first}`"));
    let first_decl = config.module(&first.module.path()).and_then(|m| m.resources.get(&first.resource));
    if let Some(first_decl) = first_decl
        && (first != second)
    {
        diagnostic = diagnostic.with_label(first_decl.decl_span, format!("`{first}` is declared here"));
    }
    diagnostic
}
