//! `check` blocks at plan time: run in every instance of their module once what they refer
//! to is planned. The scoped data source is read now unless its configuration is not known
//! yet or a resource in its `depends_on` has a pending change: then its value, and any
//! assertion that needs it, is known only after apply, and the check's status is unknown.

use crate::addr::{ConfigResource, ModulePath};
use crate::lang::{Subject, references};
use crate::runtime::{ScopedData, conclude_check};
use crate::value::Value;

use super::planner::Planner;

impl Planner<'_> {
    pub(super) async fn visit_check(&mut self, module: &ModulePath, name: &str) {
        let config = self.input.config;
        let Some(module_config) = config.module(module) else { return };
        let Some(check) = module_config.checks.get(name) else { return };
        let scoped = match ScopedData::resolve(config, module_config, check, self.input.registry) {
            Ok(scoped) => scoped,
            Err(warning) => {
                self.diags.push(warning);
                return;
            }
        };
        let waits = check.data.as_ref().is_some_and(|data| self.waits_on_pending(module, &data.depends_on));
        for instance in self.values.instances_of(module) {
            let mut data = None;
            let mut data_diags = crate::diag::Diagnostics::new();
            if let Some(scoped) = &scoped {
                let addr = scoped.resolved.config.addr.clone();
                let (config_value, d) = scoped.configuration(&self.values, &instance);
                data_diags.extend(d);
                let provider = self.providers.get(scoped.provider()).cloned();
                let value = match provider {
                    Some(provider) if !waits && config_value.is_wholly_known() && !data_diags.has_errors() => {
                        let (value, d) = scoped.read(provider, config_value, &instance).await;
                        data_diags.extend(d);
                        value
                    }
                    _ => Value::Unknown(scoped.schema.block.ty()),
                };
                data = Some((addr, value));
            }
            let (result, warnings) =
                conclude_check(module_config, &mut self.values, &instance, check, data, data_diags);
            self.diags.extend(warnings);
            self.checks.push(result);
        }
    }

    /// Whether a `depends_on` list names a resource (or a module holding one) with a
    /// pending change.
    fn waits_on_pending(&self, module: &ModulePath, depends_on: &[crate::config::Expr]) -> bool {
        depends_on.iter().flat_map(references).any(|reference| match &reference.subject {
            Subject::Resource(addr) => {
                self.pending.contains(&ConfigResource { module: module.clone(), resource: addr.clone() })
            }
            Subject::ModuleCall(call) => {
                let inner = module.child(call);
                self.pending.iter().any(|p| p.module.0.starts_with(&inner.0))
            }
            _ => false,
        })
    }
}
