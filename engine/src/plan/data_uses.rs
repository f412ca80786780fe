//! Which attributes of a data source its module uses. A read to confirm compares only those:
//! an attribute nothing refers to (a status, a counter of minutes) may change between the
//! two reads without making anything the plan showed wrong.

use std::collections::BTreeSet;

use crate::addr::ResourceAddr;
use crate::config::{CheckRule, Expr, Module};
use crate::lang::{self, Reference, Subject};
use crate::value::PathStep;

/// The top-level attributes of `data` that expressions of `module` refer to; `None` when one
/// of them uses the whole object (`data.t.n`, `data.t.n[*].id`, `data.t.n[each.key]`).
pub(crate) fn used_attributes(module: &Module, data: &ResourceAddr) -> Option<BTreeSet<String>> {
    let mut refs: Vec<Reference> = Vec::new();
    let exprs = |expr: &Expr, refs: &mut Vec<Reference>| refs.extend(lang::references(expr));
    let rules = |rules: &[CheckRule], refs: &mut Vec<Reference>| {
        for rule in rules {
            refs.extend(lang::references(&rule.condition));
            refs.extend(lang::references(&rule.error_message));
        }
    };
    for local in module.locals.values() {
        exprs(&local.value, &mut refs);
    }
    for output in module.outputs.values() {
        exprs(&output.value, &mut refs);
        rules(&output.preconditions, &mut refs);
    }
    for resource in module.resources.values() {
        for expr in resource.count.iter().chain(&resource.for_each).chain(&resource.lifecycle.replace_triggered_by) {
            exprs(expr, &mut refs);
        }
        refs.extend(lang::references_in_body(&resource.body));
        rules(&resource.lifecycle.preconditions, &mut refs);
        rules(&resource.lifecycle.postconditions, &mut refs);
    }
    for call in module.module_calls.values() {
        for expr in call.count.iter().chain(&call.for_each) {
            exprs(expr, &mut refs);
        }
        for argument in call.arguments.values() {
            exprs(&argument.value, &mut refs);
        }
    }
    for provider in &module.providers {
        refs.extend(lang::references_in_body(&provider.body));
    }
    let mut out = BTreeSet::new();
    for reference in refs {
        if reference.subject != Subject::Resource(data.clone()) {
            continue;
        }
        // An instance key first (`[0]`, `["a"]`), then the attribute.
        let attr = reference.rest.iter().find(|step| !matches!(step, PathStep::Index(_) | PathStep::Key(_)));
        match attr {
            Some(PathStep::Attr(name)) => {
                out.insert(name.clone());
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::ResourceMode;

    fn module(text: &str) -> Module {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.hcl"), text).unwrap();
        let (config, diags) = crate::config::load_dir(dir.path(), &crate::config::LoadOptions::default());
        assert!(!diags.has_errors(), "{diags:?}");
        config.root
    }

    fn data(name: &str) -> ResourceAddr {
        ResourceAddr { mode: ResourceMode::Data, type_name: "testing_thing".to_string(), name: name.to_string() }
    }

    #[test]
    fn only_the_attributes_referred_to_are_used() {
        let m = module(
            r#"
data "testing_thing" "a" { name = "a" }
data "testing_thing" "b" { name = "b" }
resource "testing_thing" "x" {
  name    = data.testing_thing.a.id
  payload = "${data.testing_thing.a.payload}"
}
output "o" { value = data.testing_thing.b }
"#,
        );
        assert_eq!(used_attributes(&m, &data("a")), Some(BTreeSet::from(["id".to_string(), "payload".to_string()])));
        assert_eq!(used_attributes(&m, &data("b")), None, "the whole object");
        assert_eq!(used_attributes(&m, &data("c")), Some(BTreeSet::new()));
    }
}
