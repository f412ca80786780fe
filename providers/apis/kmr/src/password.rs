//! The admin password policy of a KMR cluster. The service refuses a `LaunchCluster` whose
//! `AdminPassword` breaks it (`InvalidParameterValue.AdminPassword`); the provider checks it
//! at plan time, so a plan the policy refuses fails before anything is made.
//!
//! The policy is MRS Manager's (the API KMR's research draws on): 8 to 26 printable ASCII
//! characters without spaces, at least three of upper case, lower case, digits and special
//! characters, and not containing the user name (`admin`) or its reverse. The Manager
//! documentation allows 32 characters and the node password 26; the research says to keep
//! the stricter of the two. The user-name rule is checked as "contains" because a password
//! of eight or more characters can never *equal* a five-letter name.

/// The user the admin password belongs to.
pub const ADMIN_USER: &str = "admin";
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 26;

/// The error code of a password the policy refuses.
pub const ERROR_CODE: &str = "InvalidParameterValue.AdminPassword";

/// What is wrong with `password` under the policy, if anything (the first of
/// [`problems`]). The answer never quotes the password: diagnostics and API errors end up in
/// logs.
pub fn problem(password: &str) -> Option<String> {
    problems(password).into_iter().next()
}

/// Every rule of the policy `password` breaks, in the order the service checks them (the
/// provider's `password_problems` function: a `validation` block can show them all at once).
pub fn problems(password: &str) -> Vec<String> {
    let mut out = Vec::new();
    let length = password.chars().count();
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        out.push(format!("the admin password must have {MIN_LENGTH} to {MAX_LENGTH} characters, not {length}"));
    }
    if !password.chars().all(|c| c.is_ascii_graphic()) {
        out.push("the admin password may hold printable ASCII characters only, and no spaces".into());
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| c.is_ascii_punctuation()),
    ];
    let count = classes.iter().filter(|c| **c).count();
    if count < 3 {
        out.push(format!(
            "the admin password must mix at least 3 of upper case, lower case, digits and special characters, not {count}"
        ));
    }
    let lower = password.to_ascii_lowercase();
    let reversed: String = ADMIN_USER.chars().rev().collect();
    if lower.contains(ADMIN_USER) || lower.contains(&reversed) {
        out.push(format!("the admin password must not contain the user name `{ADMIN_USER}` or `{reversed}`"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{problem, problems};

    #[test]
    fn the_policy_takes_three_classes_and_refuses_the_user_name() {
        assert_eq!(problem("Corral-2026"), None);
        assert!(problem("short1A").is_some_and(|why| why.contains("8 to 26")));
        assert!(problem("alllowercase1").is_some_and(|why| why.contains("not 2")));
        assert!(problem("My-Admin-2026").is_some_and(|why| why.contains("user name")));
        assert!(problem("My-nimda-2026").is_some_and(|why| why.contains("user name")));
        assert!(problem("with space A1").is_some_and(|why| why.contains("no spaces")));
    }

    #[test]
    fn problems_lists_every_broken_rule() {
        assert!(problems("Corral-2026").is_empty());
        let all = problems("admin");
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].contains("not 5") && all[1].contains("not 1") && all[2].contains("user name"));
    }
}
