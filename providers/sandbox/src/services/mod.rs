//! The emulated services, one module each, and the registry the server routes by.
//!
//! To add a service: write `services/NAME.rs` implementing
//! [`Service`](corral_provider_sdk::emulator::Service) and add one line to [`registry`].

use std::sync::Arc;

use corral_provider_sdk::emulator::Service;

mod action_style;
pub mod iam;
pub mod kmr;
pub mod kyligence;
pub mod kylin;
pub mod mrs;
mod records;
pub mod vpc;

/// Every service the sandbox hosts, routed by [`Service::name`] (the SigV4 service name).
pub fn registry() -> Vec<Arc<dyn Service>> {
    vec![
        Arc::new(vpc::VpcService),
        Arc::new(kmr::KmrService),
        Arc::new(kyligence::KyligenceService),
        Arc::new(kylin::KylinService),
        Arc::new(iam::IamService),
        Arc::new(mrs::MrsService),
    ]
}
