//! The sandbox cloud: an axum HTTP server that emulates the services' control-plane APIs,
//! one module per service, with data in redb under `.corral/sandbox/`.

pub mod services;
