//! Spreading the planner's CPU-bound work over the machine's cores.
//!
//! A plan that changes nothing is mostly the engine's own computation: evaluating each
//! instance's configuration, building requests, deciding actions. Done on one thread, the
//! other cores sat idle while a plan of ten thousand instances took three times as long as
//! reading its state. Items are independent and come back in their order, so what a plan
//! says (its changes, its diagnostics) does not depend on how the work was spread.

use rayon::prelude::*;

/// Below this many items the work stays on the calling thread: handing items to the pool
/// costs more than a few hundred small evaluations.
const MIN_ITEMS: usize = 256;

/// `items.map(f)`, in order, on the pool's threads when there are enough items.
pub(super) fn map<I, O, F>(items: Vec<I>, f: F) -> Vec<O>
where
    I: Send,
    O: Send,
    F: Fn(I) -> O + Send + Sync,
{
    if items.len() < MIN_ITEMS || rayon::current_num_threads() < 2 {
        return items.into_iter().map(f).collect();
    }
    items.into_par_iter().with_min_len(MIN_ITEMS / 4).map(f).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        for n in [0, 1, 255, 256, 10_000] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = super::map(items, |i| i * 2);
            assert_eq!(doubled, (0..n).map(|i| i * 2).collect::<Vec<_>>());
        }
    }
}
