//! Plan-time authorization: before a plan is shown, saved or applied, every planned change is
//! turned into the API actions it will call (the provider's schema declares them per resource
//! type: `ProviderSchema::actions`), and each provider that can tell is asked whether the
//! identity it acts as may call them (`Provider::authorize`). A change that needs a refused
//! action fails the plan, naming the instance, the action and why (the statement that denies
//! it, or that none allows it), so a read-only identity never gets as far as the cloud.
//!
//! Providers that cannot tell (the default) are skipped; `--skip-authz-check`
//! (`PlanOptions::skip_authz_check`) skips the whole check, for identities that may not read
//! their own permissions. Only changes are checked: the reads planning itself made have
//! already happened, and were authorized by the service.

use std::collections::BTreeMap;

use crate::addr::{AbsResourceInstance, ResourceMode};
use crate::diag::{Diagnostic, Span};
use crate::provider::{ActionCheck, AuthorizeRequest};
use crate::runtime::provider_key;
use crate::schema::ActionMap;
use crate::value::Value;

use super::planner::Planner;
use super::{Action, ResourceChange};

/// One action one instance needs, and the attribute whose change needs it (for updates
/// whose action map names attributes), to point a refusal at its line.
struct Needed {
    addr: AbsResourceInstance,
    action: String,
    attribute: Option<String>,
}

/// The actions `change` calls, by `map`, each once.
fn actions_of(change: &ResourceChange, map: &ActionMap) -> Vec<(String, Option<String>)> {
    let plain = |actions: &[String]| actions.iter().map(|a| (a.clone(), None)).collect::<Vec<_>>();
    let mut out = match change.action {
        Action::Create => plain(&map.create),
        Action::Delete => plain(&map.delete),
        Action::DeleteThenCreate | Action::CreateThenDelete => {
            let mut both = plain(&map.delete);
            both.extend(plain(&map.create));
            both
        }
        Action::Read if change.addr.resource.mode == ResourceMode::Data => plain(&map.read),
        Action::Update => {
            let mut actions = plain(&map.update);
            for name in changed_attributes(change.before(), change.after.as_ref()) {
                for action in map.update_attributes.get(&name).into_iter().flatten() {
                    actions.push((action.clone(), Some(name.clone())));
                }
            }
            actions
        }
        Action::NoOp | Action::Read | Action::Forget => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|(action, _)| seen.insert(action.clone()));
    out
}

/// Top-level attributes whose planned value differs from the prior one (unknown counts as
/// changed: it will be whatever apply makes it).
fn changed_attributes(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let (Some(before), Some(after)) = (before, after) else { return Vec::new() };
    let (Value::Object(before), Value::Object(after)) = (before.unmarked(), after.unmarked()) else {
        return Vec::new();
    };
    after
        .iter()
        .filter(|(name, value)| {
            !value.is_wholly_known() || before.get(name.as_str()).is_none_or(|prior| !prior.eq_unmarked(value))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

impl Planner<'_> {
    /// Asks every provider with planned changes whether its identity may make them; refusals
    /// and unreadable permissions become errors (run after the walk, before `finish`).
    pub(super) async fn authorize(&mut self) {
        let options = &self.input.options;
        if options.skip_authz_check || options.refresh_only || self.diags.has_errors() {
            return;
        }
        // Per provider configuration (as state records it), what its instances need.
        let mut by_provider: BTreeMap<String, Vec<(Needed, String)>> = BTreeMap::new();
        for change in self.changes.values() {
            let provider_addr = provider_key(&change.provider);
            let Some(provider) = self.providers.get(&provider_addr) else { continue };
            let schema = provider.schema();
            let Some(map) = schema.actions.get(&change.type_name) else { continue };
            for (action, attribute) in actions_of(change, map) {
                let needed = Needed { addr: change.addr.clone(), action, attribute };
                by_provider.entry(change.provider.clone()).or_default().push((needed, change.type_name.clone()));
            }
        }
        for (provider_text, needed) in by_provider {
            let Some(provider) = self.providers.get(&provider_key(&provider_text)).cloned() else { continue };
            let checks = needed
                .iter()
                .map(|(n, type_name)| ActionCheck {
                    instance: n.addr.to_string(),
                    type_name: type_name.clone(),
                    action: n.action.clone(),
                })
                .collect();
            let response = provider.authorize(AuthorizeRequest { checks }).await;
            if !response.supported {
                tracing::debug!(provider = %provider_text, "the provider cannot check permissions; skipped");
                continue;
            }
            for mut diagnostic in response.diagnostics {
                if diagnostic.help.is_none() && diagnostic.severity == crate::diag::Severity::Error {
                    diagnostic = diagnostic.with_help(
                        "`--skip-authz-check` plans without checking permissions (the service still refuses what \
                         the identity may not do)",
                    );
                }
                self.diags.push(diagnostic);
            }
            for denial in response.denials {
                let found =
                    needed.iter().find(|(n, _)| n.addr.to_string() == denial.instance && n.action == denial.action);
                let span = found.and_then(|(n, _)| self.span_of(&n.addr, n.attribute.as_deref()));
                self.diags.push(
                    Diagnostic::error(format!("`{}` may not call `{}`", denial.instance, denial.action))
                        .with_detail(format!(
                            "The plan needs `{}` for `{}`, and the identity of provider `{provider_text}` may not \
                             call it: {}. Nothing was changed.",
                            denial.action, denial.instance, denial.reason
                        ))
                        .with_opt_span(span)
                        .with_help(format!(
                            "grant `{}` to the identity, or leave the change out of the plan",
                            denial.action
                        )),
                );
            }
        }
    }

    /// The line of `attribute` in the instance's resource block when set there, else the
    /// block's header.
    fn span_of(&self, addr: &AbsResourceInstance, attribute: Option<&str>) -> Option<Span> {
        let resource = self.input.config.module(&addr.module.path())?.resources.get(&addr.resource)?;
        let attribute_span =
            attribute.and_then(|name| resource.body.span_of(&[crate::value::PathStep::Attr(name.to_string())]));
        Some(attribute_span.unwrap_or(resource.decl_span))
    }
}

#[cfg(test)]
mod tests;
