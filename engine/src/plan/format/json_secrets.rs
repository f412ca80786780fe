//! Which expressions of the configuration may carry a write-only value, so that
//! `configuration` never writes their constants: a write-only attribute's own expression and
//! everything it draws from, followed through locals, module arguments (into the calling
//! module) and module outputs (into the child), in any module; and the variables on that path,
//! whose defaults are left out. `"Pw"` in `password = local.pw` with `locals { pw = "Pw" }` is
//! as secret as `password = "Pw"`.

use std::collections::HashSet;

use crate::addr::{ModulePath, ResourceMode};
use crate::config::{Config, Expr, Module};
use crate::diag::Span;
use crate::lang::{Subject, references};
use crate::value::PathStep;

use super::json_config::ProviderSchemas;

/// The expressions (by span) and variables (by module and name) a write-only value may flow
/// through.
#[derive(Default)]
pub(super) struct Tainted {
    exprs: HashSet<Span>,
    variables: HashSet<(ModulePath, String)>,
}

impl Tainted {
    /// Follows every write-only attribute of every managed resource. A resource whose schema
    /// is not known counts as all write-only: nothing it draws from is written as a constant.
    pub(super) fn find(config: &Config, schemas: &ProviderSchemas) -> Tainted {
        let mut tainted = Tainted::default();
        for module in config.modules() {
            for resource in module.resources.values().filter(|r| r.addr.mode == ResourceMode::Managed) {
                let schema =
                    schemas.get(&resource.provider.name).and_then(|s| s.resources.get(&resource.addr.type_name));
                for (name, attribute) in &resource.body.attributes {
                    let write_only = schema.is_none_or(|s| s.block.attributes.get(name).is_none_or(|a| a.write_only));
                    if write_only {
                        tainted.follow(config, module, &attribute.value);
                    }
                }
            }
        }
        tainted
    }

    pub(super) fn expr(&self, expr: &Expr) -> bool {
        self.exprs.contains(&expr.span)
    }

    pub(super) fn variable(&self, module: &ModulePath, name: &str) -> bool {
        self.variables.contains(&(module.clone(), name.to_string()))
    }

    fn follow(&mut self, config: &Config, module: &Module, expr: &Expr) {
        if !self.exprs.insert(expr.span) {
            return;
        }
        for reference in references(expr) {
            match &reference.subject {
                Subject::Var(name) => {
                    self.variables.insert((module.path.clone(), name.clone()));
                    // The argument the calling module passes for it.
                    let Some(parent_path) = module.path.parent() else { continue };
                    let Some(parent) = config.module(&parent_path) else { continue };
                    let call = module.path.0.last().and_then(|name| parent.module_calls.get(name));
                    if let Some(argument) = call.and_then(|c| c.arguments.get(name)) {
                        self.follow(config, parent, &argument.value);
                    }
                }
                Subject::Local(name) => {
                    if let Some(local) = module.locals.get(name) {
                        self.follow(config, module, &local.value);
                    }
                }
                Subject::ModuleCall(name) => {
                    let Some(child) = module.children.get(name) else { continue };
                    // `module.c.out` (after an instance key, if any), else every output.
                    let output = reference.rest.iter().find_map(|step| match step {
                        PathStep::Attr(out) => Some(out),
                        _ => None,
                    });
                    match output.and_then(|o| child.outputs.get(o)) {
                        Some(output) => self.follow(config, child, &output.value),
                        None => {
                            for output in child.outputs.values() {
                                self.follow(config, child, &output.value);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
