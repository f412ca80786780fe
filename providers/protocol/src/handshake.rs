//! The handshake line a plugin prints on stdout once its socket is listening:
//! `CORRAL_PLUGIN|<protocol version>|unix|<socket path>`.

use std::path::PathBuf;

/// The protocol version this build speaks. Bump it on any incompatible change to
/// `provider.proto` or to the meaning of its fields.
pub const PROTOCOL_VERSION: u32 = 4;

pub const HANDSHAKE_PREFIX: &str = "CORRAL_PLUGIN";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub version: u32,
    pub socket: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    #[error("`{0}` is not a Corral plugin handshake (expected `CORRAL_PLUGIN|<version>|unix|<socket path>`)")]
    NotAHandshake(String),
    #[error(
        "the plugin speaks protocol version {found}, this corral speaks version {PROTOCOL_VERSION}: install a build of the provider made for this corral"
    )]
    Version { found: String },
    #[error("the plugin offers a `{0}` connection; only `unix` is supported")]
    Network(String),
}

impl Handshake {
    pub fn new(socket: PathBuf) -> Handshake {
        Handshake { version: PROTOCOL_VERSION, socket }
    }

    pub fn line(&self) -> String {
        format!("{HANDSHAKE_PREFIX}|{}|unix|{}", self.version, self.socket.display())
    }

    /// Parses a line; the version must be this build's.
    pub fn parse(line: &str) -> Result<Handshake, HandshakeError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let mut parts = line.splitn(4, '|');
        let (Some(prefix), Some(version), Some(network), Some(address)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HandshakeError::NotAHandshake(line.to_string()));
        };
        if prefix != HANDSHAKE_PREFIX || address.is_empty() {
            return Err(HandshakeError::NotAHandshake(line.to_string()));
        }
        if version.parse::<u32>().ok() != Some(PROTOCOL_VERSION) {
            return Err(HandshakeError::Version { found: version.to_string() });
        }
        if network != "unix" {
            return Err(HandshakeError::Network(network.to_string()));
        }
        Ok(Handshake { version: PROTOCOL_VERSION, socket: PathBuf::from(address) })
    }
}
