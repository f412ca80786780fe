//! What the Huawei Cloud providers (`mrs`, `iam`) share, so there is one of each:
//!
//! - [`rest`]: the REST client for Huawei's API gateway, every request signed with
//!   `SDK-HMAC-SHA256` (`corral_api_mrs::sign`), transport failures and 5xx retried.
//! - [`connect`]: the provider block (`endpoint`, `region`, `project_id`, `access_key`,
//!   `secret_key`), keys from `HW_ACCESS_KEY`/`HW_SECRET_KEY`, the embedded sandbox when no
//!   endpoint is set, and the region's project looked up through IAM.
//! - [`authz`]: plan-time authorization: the identity's effective policies read from IAM with
//!   the provider's own keys and evaluated with `corral_api_iam::eval`.

pub mod authz;
pub mod connect;
pub mod rest;

pub use connect::{Connection, api_error, connect, error, provider_schema};
pub use rest::{Keys, Rest, RestError};
