//! The per-workspace secret key, and what Corral does with it.
//!
//! Every workspace has one random 256-bit key that lives outside its state (the redb backend
//! keeps it in `.corral/state/<workspace>.key`, mode 0600; see
//! [`StateStore::workspace_key`](crate::state::StateStore::workspace_key)). It keys:
//!
//! - the digests that stand for write-only values (HMAC-SHA256): deterministic, so an
//!   unchanged password plans as no change, but useless for a dictionary attack by someone
//!   who has the state and not the key;
//! - the MAC of a saved plan file (HMAC-SHA256), so an edited plan is refused;
//! - the encryption of the sensitive values a plan file holds (XChaCha20-Poly1305).
//!
//! Each use has its own label inside the MAC input or its own derived key, so a value made
//! for one purpose is never valid for another. The key is never printed: `Debug` hides it.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Bytes in a key.
pub const KEY_LEN: usize = 32;
/// Bytes of the random nonce in front of every sealed value.
const NONCE_LEN: usize = 24;

/// A workspace's secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct WorkspaceKey([u8; KEY_LEN]);

impl std::fmt::Debug for WorkspaceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WorkspaceKey(<hidden>)")
    }
}

impl WorkspaceKey {
    /// A new random key (from the thread-local CSPRNG, seeded by the OS).
    pub fn generate() -> WorkspaceKey {
        WorkspaceKey(rand::random())
    }

    /// A key from its bytes; `None` unless exactly [`KEY_LEN`] of them.
    pub fn from_bytes(bytes: &[u8]) -> Option<WorkspaceKey> {
        bytes.try_into().ok().map(WorkspaceKey)
    }

    /// The key's bytes, for a backend to store.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn hmac(&self) -> HmacSha256 {
        // HMAC takes keys of any length; this one is never wrong.
        match <HmacSha256 as Mac>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        }
    }

    /// HMAC-SHA256 over a purpose label and parts, each length-prefixed so that no two
    /// different lists of parts give the same input.
    fn mac_of(&self, purpose: &str, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = self.hmac();
        for part in std::iter::once(purpose.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac
    }

    /// The MAC of `parts` for `purpose`.
    pub fn mac(&self, purpose: &str, parts: &[&[u8]]) -> [u8; 32] {
        self.mac_of(purpose, parts).finalize().into_bytes().into()
    }

    /// Whether `tag` is the MAC of `parts` for `purpose` (compared in constant time).
    pub fn verify(&self, purpose: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.mac_of(purpose, parts).verify_slice(tag).is_ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.mac("corral encryption key v1", &[]).into())
    }

    /// `plaintext` encrypted and authenticated (with `context` authenticated too): a random
    /// nonce followed by the ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from(nonce);
        let mut out = nonce.to_vec();
        // Encryption fails only for plaintexts beyond 256 GiB.
        match self.cipher().encrypt(&nonce, Payload { msg: plaintext, aad: context }) {
            Ok(ciphertext) => out.extend(ciphertext),
            Err(_) => unreachable!("XChaCha20-Poly1305 encrypts anything under 256 GiB"),
        }
        out
    }

    /// What [`seal`](Self::seal) sealed, if it was sealed with this key and `context`.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher().decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_depend_on_key_purpose_and_parts() {
        let key = WorkspaceKey::generate();
        let other = WorkspaceKey::generate();
        let tag = key.mac("p", &[b"a", b"bc"]);
        assert!(key.verify("p", &[b"a", b"bc"], &tag));
        assert!(!key.verify("p", &[b"ab", b"c"], &tag));
        assert!(!key.verify("q", &[b"a", b"bc"], &tag));
        assert!(!other.verify("p", &[b"a", b"bc"], &tag));
        assert_eq!(key.mac("p", &[b"x"]), key.mac("p", &[b"x"]), "deterministic");
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let key = WorkspaceKey::generate();
        let sealed = key.seal(b"hunter2", b"ctx");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(key.open(&sealed, b"ctx").as_deref(), Some(&b"hunter2"[..]));
        assert_eq!(key.open(&sealed, b"other"), None);
        assert_eq!(WorkspaceKey::generate().open(&sealed, b"ctx"), None);
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(key.open(&flipped, b"ctx"), None);
        assert_eq!(format!("{key:?}"), "WorkspaceKey(<hidden>)");
    }
}
