//! What a plan of `kyligence_stack` refuses or warns about before any call, so the service
//! never has to say no in the middle of an apply: the HDFS core-shrink guard (shared with
//! KMR), no scaling while stopped, no stop or upgrade while scaling, no KAP downgrade, one
//! operation per apply, a failed stack; and the warnings a user should read before
//! approving (KAP unavailable during an upgrade or while stopped, an operation left by an
//! earlier apply, RDS going with the stack).

use std::collections::BTreeMap;

use corral_api_kyligence::limits::kap_version_rank;
use corral_api_kyligence::status::{STATUS_FAILED, STATUS_SCALING, STATUS_STOPPED, STATUS_STOPPING};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::value::{Path, Value};

use super::{bool_attr, int_attr, str_attr};

/// Checks a plan that changes an existing stack in place.
pub(super) fn check(prior: &BTreeMap<String, Value>, planned: &BTreeMap<String, Value>) -> Diagnostics {
    let mut out = Diagnostics::new();
    let id = str_attr(prior, "id").unwrap_or_default();
    let status = str_attr(prior, "status").unwrap_or_default();
    let step = str_attr(prior, "step");
    if status == STATUS_FAILED {
        out.push(
            Diagnostic::error(format!("stack {id} is failed; Corral changes nothing on a failed stack"))
                .with_detail(format!(
                    "an operation failed at step `{}` and the service stopped there",
                    step.as_deref().unwrap_or("unknown")
                ))
                .with_help("destroy the stack (S3 and RDS are kept) or replace it with `--replace`"),
        );
        return out;
    }
    let changed = |name: &str| match (prior.get(name), planned.get(name)) {
        (Some(a), Some(b)) => !corral_provider_sdk::plan::known_equal(a, b),
        _ => false,
    };
    let stopped_before = status == STATUS_STOPPED || status == STATUS_STOPPING;
    let stopped_after = str_attr(planned, "desired_state").as_deref() == Some(STATUS_STOPPED);
    let scaled: Vec<&str> = ["core_count", "task_count"].into_iter().filter(|n| changed(n)).collect();
    let upgrade = changed("kap_version");
    let stop = changed("desired_state") && stopped_after;

    if let (Some(from), Some(to)) = (int_attr(prior, "core_count"), int_attr(planned, "core_count"))
        && let Some(refused) =
            corral_provider_sdk::guard::core_shrink(from, to, bool_attr(planned, "allow_core_shrink") == Some(true))
    {
        out.push(refused);
    }
    for name in &scaled {
        if stopped_before || stopped_after {
            out.push(
                Diagnostic::error(format!("stack {id} cannot scale while it is stopped"))
                    .with_detail("a stopped stack has no nodes: its counts change when it runs")
                    .with_help("start it (`desired_state = \"running\"`) and apply, then change the counts")
                    .with_attribute(Path::attr(name)),
            );
        }
    }
    if status == STATUS_SCALING && (upgrade || stop) {
        let (name, what) = if upgrade { ("kap_version", "upgrade KAP") } else { ("desired_state", "stop") };
        out.push(
            Diagnostic::error(format!("stack {id} is scaling: it cannot {what} until the scaling finishes"))
                .with_detail("Kyligence Cloud runs one operation at a time, and a stop or upgrade during scaling would interrupt it")
                .with_help("plan again once the stack is `running`")
                .with_attribute(Path::attr(name)),
        );
    }
    if upgrade {
        let (from, to) =
            (str_attr(prior, "kap_version").unwrap_or_default(), str_attr(planned, "kap_version").unwrap_or_default());
        if kap_version_rank(&to) < kap_version_rank(&from) {
            out.push(
                Diagnostic::error(format!("KAP {from} cannot be downgraded to {to}"))
                    .with_detail("KAP upgrades forward only; its metadata is migrated by the newer version")
                    .with_attribute(Path::attr("kap_version")),
            );
        } else if stopped_before || stopped_after {
            out.push(
                Diagnostic::error(format!(
                    "KAP on stack {id} is upgraded while the stack runs, not while it is stopped"
                ))
                .with_help("start the stack, upgrade, and stop it again in later applies if needed")
                .with_attribute(Path::attr("kap_version")),
            );
        } else if !scaled.is_empty() {
            out.push(
                Diagnostic::error(format!("stack {id}: scale or upgrade KAP, not both in one apply"))
                    .with_detail("Kyligence Cloud runs one operation at a time; an upgrade during scaling is refused")
                    .with_help("apply the new counts first, then the new `kap_version`")
                    .with_attribute(Path::attr("kap_version")),
            );
        } else {
            out.push(
                Diagnostic::warning(format!("KAP unavailable during upgrade: stack {id} goes from KAP {from} to {to}"))
                    .with_detail("the upgrade backs up KAP's configuration, stops KAP, installs the new version, restores the configuration and starts KAP; queries fail until it is back")
                    .with_attribute(Path::attr("kap_version")),
            );
        }
    }
    if stop && !stopped_before {
        out.push(
            Diagnostic::warning(format!("KAP unavailable while stack {id} is stopped"))
                .with_detail("stopping stops KAP, backs its data up to S3 and terminates every node, master included; S3 keeps the cube data and RDS the metadata, and a start restores the backup")
                .with_attribute(Path::attr("desired_state")),
        );
    }
    if let Some(step) = step {
        out.push(Diagnostic::warning(format!(
            "stack {id} is {status} at step `{step}`, an operation an earlier apply started; this apply waits for it to finish and does not start it again"
        )));
    }
    if changed("delete_rds_on_destroy") && bool_attr(planned, "delete_rds_on_destroy") == Some(true) {
        out.push(
            Diagnostic::warning(format!(
                "destroying stack {id} will delete its RDS database {} (KAP's metadata: table schemas, models, cubes)",
                str_attr(prior, "rds_id").unwrap_or_default()
            ))
            .with_detail("the S3 bucket (cube data, backups) is kept either way")
            .with_attribute(Path::attr("delete_rds_on_destroy")),
        );
    }
    out
}
