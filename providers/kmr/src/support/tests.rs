//! Client tokens.

use super::*;

#[test]
fn client_tokens_are_stable_and_short() {
    assert_eq!(client_token("abc"), client_token("abc"));
    assert_ne!(client_token("abc"), client_token("abd"));
    assert!(client_token(&"x".repeat(500)).len() <= 64);
}
