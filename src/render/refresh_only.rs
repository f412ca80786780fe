//! A `--refresh-only` plan as Terraform shows one: what changed outside Corral, and that
//! applying the plan only records it; or that nothing changed.

use corral_engine::plan::Plan;

use super::style::Style;

/// The closing paragraph of the drift section of a normal plan, which speaks of actions a
/// refresh-only plan does not take.
const NORMAL_PLAN_ENDING: &str = "\nUnless you have made equivalent changes";

/// `drift` is the drift section as a normal plan renders it; `outputs` the changes to
/// outputs the refreshed objects make, if any (applying the plan records them too).
pub(super) fn render(plan: &Plan, style: Style, drift: String, outputs: Option<String>) -> String {
    if plan.drift.is_empty() {
        if let Some(outputs) = outputs {
            let mut out = outputs;
            out.push_str(
                "\nYou can apply this plan to save these new output values to the Corral state, without changing any\nreal infrastructure.\n",
            );
            return out;
        }
        let mut out = style.bold("No changes. Your infrastructure still matches the configuration.");
        out.push_str(
            "\n\nCorral has checked that the real remote objects still match the result of your most\nrecent changes, and found no differences.\n",
        );
        return out;
    }
    let mut out = match drift.find(NORMAL_PLAN_ENDING) {
        Some(end) => drift[..end].to_string(),
        None => drift,
    };
    out.push_str(
        "\nThis is a refresh-only plan, so Corral will not take any actions to undo these. If you\nwere expecting these changes then you can apply this plan to record the updated values in\nthe Corral state without changing any remote objects.\n",
    );
    if let Some(outputs) = outputs {
        out.push('\n');
        out.push_str(&outputs);
    }
    out
}
