//! What a provider's tests do to the sandbox behind the API, named by what they do: delete
//! an object "outside Corral", or make the `KSCKMR` group as a cluster launch would. Each is
//! one transaction on the sandbox in `dir` for the default account, so a provider's tests
//! need nothing of [`services`](crate::services).

use std::path::Path;

use crate::services::vpc;
use crate::{DEFAULT_ACCOUNT, SandboxError, with_tables};

/// Deletes a subnet as if someone removed it outside Corral.
pub fn delete_subnet(dir: &Path, subnet_id: &str) -> Result<(), SandboxError> {
    with_tables(dir, |tables, _| tables.delete(vpc::SUBNETS, subnet_id))
}

/// Revokes a security group entry as if someone removed it outside Corral.
pub fn revoke_security_group_entry(dir: &Path, entry_id: &str) -> Result<(), SandboxError> {
    with_tables(dir, |tables, _| tables.delete(vpc::SECURITY_GROUP_ENTRIES, entry_id))
}

/// Makes the VPC's `KSCKMR` group, used by `cluster_id`, as the first cluster launched in the
/// VPC does; returns the group's id.
pub fn make_kmr_group(dir: &Path, vpc_id: &str, cluster_id: &str) -> Result<String, SandboxError> {
    let made = with_tables(dir, |tables, now| vpc::ensure_kmr_group(tables, DEFAULT_ACCOUNT, vpc_id, cluster_id, now))?;
    Ok(made?)
}

/// Makes `step` of stack `stack_id`'s operations fail when it finishes, as a broken node or
/// install would.
pub fn fail_kyligence_step(dir: &Path, stack_id: &str, step: &str) -> Result<(), SandboxError> {
    let done = with_tables(dir, |tables, _| crate::services::kyligence::fail_at_step(tables, stack_id, step))?;
    Ok(done?)
}

/// Moves the sandbox clock `by` forward at once, as if that much sandbox time had passed;
/// the services catch up at the next request. Deterministic where a scaled real-time jump
/// is not (a test's own run time would be scaled too).
pub fn advance_clock(dir: &Path, by: chrono::Duration) -> Result<(), SandboxError> {
    with_tables(dir, |tables, now| {
        let real_ms = chrono::Utc::now().timestamp_millis();
        let sandbox_ms = (now + by).timestamp_millis();
        let scale = tables.get(crate::store::META, "clock").and_then(|c| c.get("scale").cloned());
        tables.put(
            crate::store::META,
            "clock",
            serde_json::json!({"real_ms": real_ms, "sandbox_ms": sandbox_ms, "scale": scale.unwrap_or(serde_json::json!(1.0))}),
        );
    })
}
