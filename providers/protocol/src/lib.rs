//! The provider plugin protocol. Placeholder until the protocol lands.

#[allow(clippy::all, unreachable_pub, missing_docs)]
pub mod wire {
    tonic::include_proto!("corral.provider.v1");
}
