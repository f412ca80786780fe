//! What every action-style service (KMR, Kylin, Kyligence Cloud) does around its actions
//! the same way: refuse another API version, refuse an action it does not have, and stamp
//! the answer with the request's `RequestId`, as the real services do.

use corral_provider_sdk::emulator::{ApiError, RequestContext};
use serde_json::Value;

/// The API a service speaks, as its refusals name it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Api {
    /// For messages: `KMR`, `Kyligence Cloud`.
    pub(crate) name: &'static str,
    pub(crate) version: &'static str,
}

impl Api {
    /// Refuses a call that names another version than the one the service speaks.
    pub(crate) fn check_version(&self, version: &str) -> Result<(), ApiError> {
        let Api { name, version: speaks } = self;
        if version == *speaks {
            return Ok(());
        }
        Err(ApiError::bad_request("InvalidVersion", format!("{name} speaks version {speaks} here, not `{version}`")))
    }

    /// The refusal of an action the service does not have.
    pub(crate) fn no_action(&self, action: &str) -> ApiError {
        ApiError::bad_request("InvalidAction", format!("{} has no action `{action}`", self.name))
    }
}

/// The answer with the request's `RequestId` in it (when it is an object).
pub(crate) fn stamped(ctx: &RequestContext<'_>, mut answer: Value) -> Value {
    if let Some(object) = answer.as_object_mut() {
        object.insert("RequestId".into(), Value::String(ctx.request_id.clone()));
    }
    answer
}
