//! Human renderers: text for the terminal made from engine values (plans, apply results).
//! They return strings; the commands decide where the text goes. Colour is an argument,
//! never a guess made here.

pub(crate) mod plan_human;
pub(crate) mod plan_markdown;
mod refresh_only;
mod style;
mod value_diff;

pub(crate) use plan_human::{Applied, render_apply_summary, render_destroy_summary, render_plan};

/// `text` padded with spaces to `width` characters, to line up the `=` of a block's
/// attributes. Not `format!("{text:width$}")`: a width comes from the input (a map key
/// can be any length), and `format!` panics on widths above `u16::MAX`.
pub(crate) fn pad_to(text: &str, width: usize) -> String {
    let len = text.chars().count();
    let mut out = String::with_capacity(text.len() + width.saturating_sub(len));
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    out
}

#[cfg(test)]
mod tests;
