//! Human renderers: text for the terminal made from engine values (plans, apply results).
//! They return strings; the commands decide where the text goes. Colour is an argument,
//! never a guess made here.

pub mod plan_human;
mod style;
mod value_diff;

pub use plan_human::{render_apply_summary, render_destroy_summary, render_plan};

#[cfg(test)]
mod tests;
