//! `local-exec` provisioners, run as Terraform runs them: the creation-time ones after the
//! object is created (and committed), in order; the `when = destroy` ones before it is
//! destroyed. A command that fails stops the rest: after a create, the object is committed
//! again as tainted (the next plan replaces it) and the apply fails; before a destroy, the
//! object is not destroyed. `on_failure = continue` turns the failure into a warning.
//! Expressions are evaluated with the values known now and `self` bound to the object.

use std::collections::BTreeMap;

use crate::addr::{AbsResourceInstance, InstanceKey};
use crate::config::{Provisioner, Resource as ConfigResource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::lang;
use crate::runtime::{InstanceScope, RepetitionData};
use crate::value::Value;

use super::events::ApplyEvent;
use super::provider_call::instance_state;
use super::walk::{Walker, lock};
use crate::plan::ResourceChange;
use crate::schema::ResourceSchema;
use crate::state::{InstanceStatus, StateChange};

/// A provisioner's arguments, evaluated.
struct Command {
    command: String,
    working_dir: Option<String>,
    environment: BTreeMap<String, String>,
    interpreter: Vec<String>,
    /// `quiet`, or a sensitive value in the arguments: the output is not shown.
    quiet: bool,
}

impl Walker<'_> {
    /// Runs the provisioners of `resource` for the object `self_value` of `addr`: the
    /// creation-time ones (`destroy == false`) or the destroy-time ones. Whether they all
    /// succeeded (or their failures were to be ignored); problems are reported.
    pub(super) async fn provision(
        &self,
        addr: &AbsResourceInstance,
        resource: &ConfigResource,
        repetition: &RepetitionData,
        self_value: &Value,
        destroy: bool,
    ) -> bool {
        for provisioner in resource.provisioners.iter().filter(|p| p.when_destroy == destroy) {
            let (command, diags) = self.evaluate_provisioner(addr, provisioner, repetition, self_value);
            let failure = match command {
                Some(command) => self.run_command(addr, provisioner, command).await.err(),
                None if diags.has_errors() => Some(diags),
                None => None,
            };
            let Some(failure) = failure else { continue };
            if provisioner.on_failure_continue {
                let mut warnings = Diagnostics::new();
                for mut d in failure {
                    d.severity = crate::diag::Severity::Warning;
                    warnings.push(d.with_help("`on_failure = continue`: the apply goes on"));
                }
                self.report(warnings);
                continue;
            }
            self.report(failure);
            return false;
        }
        true
    }

    /// Commits the created object again, tainted.
    pub(super) async fn taint(
        &self,
        change: &ResourceChange,
        schema: &ResourceSchema,
        value: &Value,
        private: Option<Vec<u8>>,
    ) {
        let state = instance_state(change, value, private, InstanceStatus::Tainted, schema);
        if let Err(e) = self.input.sink.commit(vec![StateChange::PutInstance(state)]).await {
            self.report(
                Diagnostic::error(format!("Cannot record {} as tainted in state", change.addr))
                    .with_detail(e.to_string())
                    .into(),
            );
        }
    }

    fn evaluate_provisioner(
        &self,
        addr: &AbsResourceInstance,
        provisioner: &Provisioner,
        repetition: &RepetitionData,
        self_value: &Value,
    ) -> (Option<Command>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let Some(module) = self.input.config.module(&addr.module.path()) else {
            return (None, diags);
        };
        let values = lock(&self.values);
        let scope = InstanceScope {
            values: &values,
            module: &addr.module,
            config: module,
            repetition,
            self_value: Some(self_value.clone()),
        };
        let mut sensitive = false;
        let mut get = |name: &str, diags: &mut Diagnostics| -> Option<(Value, crate::diag::Span)> {
            let attribute = provisioner.attributes.get(name)?;
            let (value, d) = lang::eval(&attribute.value, &scope);
            let failed = d.has_errors();
            diags.extend(d);
            sensitive |= value.contains_sensitive();
            (!failed && !value.is_null()).then_some((value, attribute.span))
        };
        let command = get("command", &mut diags);
        let working_dir = get("working_dir", &mut diags);
        let environment = get("environment", &mut diags);
        let interpreter = get("interpreter", &mut diags);
        let quiet = get("quiet", &mut diags);
        if diags.has_errors() {
            return (None, diags);
        }
        let mut wrong = |span: crate::diag::Span, what: &str| {
            diags.push(Diagnostic::error(format!("Invalid local-exec provisioner argument: {what}")).with_span(span));
        };
        let text = |v: &Value| v.as_str().map(str::to_string).or_else(|| v.as_number().map(|n| n.to_string()));
        let Some((command_value, command_span)) = command else {
            return (None, diags);
        };
        let Some(command) = text(&command_value) else {
            wrong(command_span, "`command` must be a string");
            return (None, diags);
        };
        let mut out =
            Command { command, working_dir: None, environment: BTreeMap::new(), interpreter: Vec::new(), quiet: false };
        if let Some((value, span)) = working_dir {
            match text(&value) {
                Some(dir) => out.working_dir = Some(dir),
                None => wrong(span, "`working_dir` must be a string"),
            }
        }
        if let Some((value, span)) = environment {
            match value.as_entries() {
                Some(entries) => {
                    for (key, value) in entries {
                        match text(value) {
                            Some(text) => {
                                out.environment.insert(key.clone(), text);
                            }
                            None => wrong(span, "`environment` must be a map of strings"),
                        }
                    }
                }
                None => wrong(span, "`environment` must be a map of strings"),
            }
        }
        if let Some((value, span)) = interpreter {
            match value.as_seq().map(|items| items.iter().map(text).collect::<Option<Vec<_>>>()) {
                Some(Some(items)) if !items.is_empty() => out.interpreter = items,
                _ => wrong(span, "`interpreter` must be a non-empty list of strings"),
            }
        }
        if let Some((value, span)) = quiet {
            match value.as_bool() {
                Some(q) => out.quiet = q,
                None => wrong(span, "`quiet` must be a bool"),
            }
        }
        out.quiet |= sensitive;
        if diags.has_errors() { (None, diags) } else { (Some(out), diags) }
    }

    /// Runs the command and shows its output, line by line, as `ADDR (local-exec): LINE`.
    async fn run_command(
        &self,
        addr: &AbsResourceInstance,
        provisioner: &Provisioner,
        command: Command,
    ) -> Result<(), Diagnostics> {
        let interpreter = if command.interpreter.is_empty() {
            vec!["/bin/sh".to_string(), "-c".to_string()]
        } else {
            command.interpreter.clone()
        };
        let base = &self.input.config.root.dir;
        let dir = command.working_dir.as_ref().map_or_else(|| base.clone(), |d| base.join(d));
        let mut process = tokio::process::Command::new(&interpreter[0]);
        process
            .args(&interpreter[1..])
            .arg(&command.command)
            .current_dir(&dir)
            .envs(&command.environment)
            .stdin(std::process::Stdio::null());
        let shown = if command.quiet { "(suppressed)".to_string() } else { format!("{:?}", command.command) };
        self.event(ApplyEvent::Provisioner { addr: addr.clone(), line: format!("Executing: {shown}") });
        let failed = |detail: String| {
            Diagnostics::from(
                Diagnostic::error(format!("local-exec provisioner error: {addr}"))
                    .with_span(provisioner.decl_span)
                    .with_detail(detail),
            )
        };
        let output = match process.output().await {
            Ok(output) => output,
            Err(e) => return Err(failed(format!("cannot run `{}` in `{}`: {e}", interpreter[0], dir.display()))),
        };
        let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        if !command.quiet {
            for line in text.lines() {
                self.event(ApplyEvent::Provisioner { addr: addr.clone(), line: line.to_string() });
            }
        }
        if output.status.success() {
            return Ok(());
        }
        let status =
            output.status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit status {c}"));
        let tail = if command.quiet { String::new() } else { format!(" Output: {}", text.trim_end()) };
        Err(failed(format!("Error running command {shown}: {status}.{tail}")))
    }
}

/// The repetition data a destroy-time provisioner sees: `count.index` and `each.key` from
/// the instance key (the configuration's `for_each` may be gone by now).
pub(super) fn repetition_of(key: &InstanceKey) -> RepetitionData {
    match key {
        InstanceKey::Int(i) => RepetitionData { count_index: Some(*i), ..Default::default() },
        InstanceKey::Str(k) => RepetitionData { each_key: Some(k.clone()), ..Default::default() },
        InstanceKey::None => RepetitionData::default(),
    }
}
