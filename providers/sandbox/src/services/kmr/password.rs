//! A cluster's admin password: KMR's policy, and the salted hash the service keeps in its
//! place. The password itself is never stored, so neither `DescribeCluster` nor `sandbox
//! inspect` can show it.
//!
//! The policy is MRS Manager's (the API KMR's research draws on): 8 to 26 printable ASCII
//! characters without spaces, at least three of upper case, lower case, digits and special
//! characters, and not containing the user name (`admin`) or its reverse. The Manager
//! documentation allows 32 characters and the node password 26; the research says to keep
//! the stricter of the two. The user-name rule is checked as "contains" because a password
//! of eight or more characters can never *equal* a five-letter name.

use sha2::{Digest, Sha256};

/// The user the admin password belongs to.
pub const ADMIN_USER: &str = "admin";
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 26;

/// What is wrong with `password` under the policy, if anything. The answer never quotes the
/// password: diagnostics and API errors end up in logs.
pub fn problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Some(format!("the admin password must have {MIN_LENGTH} to {MAX_LENGTH} characters, not {length}"));
    }
    if !password.chars().all(|c| c.is_ascii_graphic()) {
        return Some("the admin password may hold printable ASCII characters only, and no spaces".into());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| c.is_ascii_punctuation()),
    ];
    let count = classes.iter().filter(|c| **c).count();
    if count < 3 {
        return Some(format!(
            "the admin password must mix at least 3 of upper case, lower case, digits and special characters, not {count}"
        ));
    }
    let lower = password.to_ascii_lowercase();
    let reversed: String = ADMIN_USER.chars().rev().collect();
    if lower.contains(ADMIN_USER) || lower.contains(&reversed) {
        return Some(format!("the admin password must not contain the user name `{ADMIN_USER}` or `{reversed}`"));
    }
    None
}

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
