//! Action names (`service:resourceType:operation`, e.g. `mrs:cluster:create`) and the
//! wildcard patterns policies write them with (`mrs:*:get*`, `mrs:*:*`).

/// Whether `name` is a well-formed action or action pattern: three `:`-separated segments,
/// the service in lower-case letters and digits, the others letters and digits, each segment
/// non-empty and allowed to hold `*` (research.md §7.9:
/// `^[a-z0-9*]+:[A-Za-z0-9*]+:[A-Za-z0-9*]+$`).
pub fn is_valid_pattern(name: &str) -> bool {
    let segments: Vec<&str> = name.split(':').collect();
    let [service, kind, operation] = segments.as_slice() else { return false };
    let service_ok =
        !service.is_empty() && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '*');
    let other_ok =
        |segment: &str| !segment.is_empty() && segment.chars().all(|c| c.is_ascii_alphanumeric() || c == '*');
    service_ok && other_ok(kind) && other_ok(operation)
}

/// Whether `pattern` (segments with `*` wildcards) matches the concrete `action`, segment by
/// segment: a `*` stands for any run of characters inside one segment, never across a `:`.
/// IAM compares action names without regard to case.
pub fn matches(pattern: &str, action: &str) -> bool {
    let patterns: Vec<&str> = pattern.split(':').collect();
    let actions: Vec<&str> = action.split(':').collect();
    patterns.len() == actions.len()
        && patterns.iter().zip(&actions).all(|(p, a)| glob(&p.to_ascii_lowercase(), &a.to_ascii_lowercase()))
}

/// `*`-only glob over one segment (iterative, with backtracking to the last star).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_within_a_segment() {
        assert!(matches("mrs:*:get*", "mrs:cluster:get"));
        assert!(matches("mrs:*:get*", "mrs:job:getSqlResult"));
        assert!(matches("mrs:*:*", "mrs:cluster:delete"));
        assert!(matches("*:*:*", "ecs:server:list"));
        assert!(matches("mrs:cluster:create", "MRS:Cluster:Create"));
        assert!(!matches("mrs:*:get*", "mrs:cluster:list"));
        assert!(!matches("mrs:*:get*", "ecs:server:get"));
        assert!(!matches("mrs:cluster:*", "mrs:job:submit"));
        assert!(!matches("mrs:*", "mrs:cluster:get"), "a star never spans a `:`");
        assert!(matches("mrs:*:*Delete", "mrs:job:batchDelete"));
        assert!(matches("mrs:*:*Delete", "mrs:job:delete"), "a star may stand for nothing");
        assert!(matches("mrs:*:a*b*c", "mrs:x:aXbYbZc"));
    }

    #[test]
    fn patterns_are_three_segments_of_the_allowed_characters() {
        for good in ["mrs:cluster:create", "mrs:*:get*", "*:*:*", "mrs:job:batchDelete", "ecs2:a1:b2"] {
            assert!(is_valid_pattern(good), "{good}");
        }
        for bad in ["mrs:cluster", "mrs:cluster:create:x", "MRS:cluster:create", "mrs::create", "mrs:clu-ster:get", ""]
        {
            assert!(!is_valid_pattern(bad), "{bad}");
        }
    }
}
