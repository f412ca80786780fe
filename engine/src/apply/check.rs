//! `check` blocks at the end of an apply: once what a check refers to is applied, its scoped
//! data source is read again and its assertions are evaluated with the new values. Failures
//! are warnings; the task always succeeds.

use crate::diag::Diagnostics;
use crate::runtime::{ScopedData, conclude_check};
use crate::value::Value;

use super::walk::{Walker, lock};

impl Walker<'_> {
    pub(super) async fn run_check(&self, module: &crate::addr::ModulePath, name: &str) -> bool {
        let plan = &self.input.plan;
        if plan.options.destroy || !plan.options.targets.is_empty() || !plan.options.excludes.is_empty() {
            return true;
        }
        let config = self.input.config;
        let Some(module_config) = config.module(module) else { return true };
        let Some(check) = module_config.checks.get(name) else { return true };
        let scoped = match ScopedData::resolve(config, module_config, check, self.input.registry) {
            Ok(scoped) => scoped,
            Err(warning) => {
                self.report(warning.into());
                return true;
            }
        };
        let provider = match &scoped {
            Some(scoped) => self.configure_provider(scoped.provider()).await,
            None => None,
        };
        let instances = lock(&self.values).instances_of(module);
        for instance in instances {
            let mut data = None;
            let mut data_diags = Diagnostics::new();
            if let Some(scoped) = &scoped {
                let (config_value, d) = scoped.configuration(&lock(&self.values), &instance);
                data_diags.extend(d);
                let value = match &provider {
                    Some(provider) if config_value.is_wholly_known() && !data_diags.has_errors() => {
                        let (value, d) = scoped.read(provider.clone(), config_value, &instance).await;
                        data_diags.extend(d);
                        value
                    }
                    _ => Value::Unknown(scoped.schema.block.ty()),
                };
                data = Some((scoped.resolved.config.addr.clone(), value));
            }
            let (_, warnings) =
                conclude_check(module_config, &mut lock(&self.values), &instance, check, data, data_diags);
            self.report(warnings);
        }
        true
    }
}
