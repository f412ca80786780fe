//! A cluster's admin password: the API's policy ([`corral_api_kmr::password`], re-exported),
//! and the salted hash the service keeps in its place. The password itself is never stored,
//! so neither `DescribeCluster` nor `sandbox inspect` can show it.

use sha2::{Digest, Sha256};

pub use corral_api_kmr::password::{ADMIN_USER, ERROR_CODE, MAX_LENGTH, MIN_LENGTH, problem};

/// The record kept in the password's place: `sha256:SALT:DIGEST` (hex), with a random salt
/// so equal passwords of two clusters do not look equal.
pub fn hash(password: &str) -> String {
    let salt = hex::encode(rand::random::<[u8; 16]>());
    format!("sha256:{salt}:{}", digest(&salt, password))
}

/// Whether `password` is the one `hashed` was made from.
pub fn verify(hashed: &str, password: &str) -> bool {
    match hashed.strip_prefix("sha256:").and_then(|rest| rest.split_once(':')) {
        Some((salt, expected)) => digest(salt, password) == expected,
        None => false,
    }
}

/// A password for a cluster launched without one (KMR makes one up; nobody learns it).
pub fn generated() -> String {
    // `Kmr-` gives upper case, lower case and a special character whatever the random part.
    format!("Kmr-{}", hex::encode(rand::random::<[u8; 10]>()))
}

fn digest(salt: &str, password: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(password.as_bytes());
    hex::encode(hasher.finalize())
}
