//! The signed REST client, shared with the IAM provider: it lives in `corral_huawei::rest`.

pub(crate) use corral_huawei::rest::{Rest, RestError};
