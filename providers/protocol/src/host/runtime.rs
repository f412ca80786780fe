//! The runtime plugin connections live on.
//!
//! The engine asks for a provider's schema synchronously (`ProviderFactory::schema`), and a
//! plugin is launched on first use, so a launch must be able to block. Keeping the plugin
//! processes, their connections and their log forwarding on a runtime of their own makes
//! that safe from any caller: a multi-threaded runtime's worker, a current-thread runtime,
//! or no runtime at all. The runtime lives as long as the process (it is never dropped, so
//! it is never dropped inside an async context either).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Handle, Runtime, RuntimeFlavor};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

pub(crate) fn handle() -> Result<Handle, String> {
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("corral-plugin-host")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the plugin host runtime: {e}"))
    });
    match runtime {
        Ok(runtime) => Ok(runtime.handle().clone()),
        Err(e) => Err(e.clone()),
    }
}

/// Runs `future` on the plugin runtime and waits for it, from any context.
pub(crate) fn block_on<F>(future: F) -> Result<F::Output, String>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = handle()?;
    let task = handle.spawn(future);
    let wait = move || futures::executor::block_on(task).map_err(|e| format!("the plugin host task failed: {e}"));
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        // Let the caller's runtime move its other tasks off this thread while it waits.
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(wait),
        _ => wait(),
    }
}
