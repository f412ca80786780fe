//! Evaluation of an identity's policies for one action: default deny; if any applicable
//! statement denies the action the answer is Deny, even when an Allow is more specific; else
//! Allow if any applicable statement allows it. The [`Decision`] names the statement that
//! decided, or says that no statement allows the action, so a refusal can be explained.
//!
//! A statement applies when one of its actions matches, its resources (if any) match the
//! request's resource (a request without one, as MRS's are, is not limited by them), and every
//! condition holds for the request's context. Conditions on keys the context lacks do not hold
//! (`...IfExists` operators hold then); date and IP operators, which the plan-time check cannot
//! know, never hold.

use std::collections::BTreeMap;

use crate::action;
use crate::policy::{Effect, PolicyDocument, Statement};

/// One policy an identity has, by its name (a system policy's name or a custom policy's).
#[derive(Clone, Debug, PartialEq)]
pub struct NamedPolicy {
    pub name: String,
    pub document: PolicyDocument,
}

/// What is asked: an action, optionally a resource URN, and condition keys (`g:UserName`,
/// `g:ProjectName`, ...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    pub action: String,
    pub resource: Option<String>,
    pub context: BTreeMap<String, String>,
}

impl Request {
    pub fn action(action: &str) -> Request {
        Request { action: action.to_string(), ..Request::default() }
    }
}

/// The statement that decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deciding {
    pub policy: String,
    /// Counted from 1.
    pub statement: usize,
    pub effect: Effect,
    /// The action pattern of the statement that matched.
    pub pattern: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub action: String,
    pub allowed: bool,
    /// `None` only for the default deny.
    pub by: Option<Deciding>,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.by {
            Some(d) => write!(
                f,
                "`{}` is {} by statement {} of policy `{}` ({} `{}`)",
                self.action,
                if self.allowed { "allowed" } else { "denied" },
                d.statement,
                d.policy,
                d.effect,
                d.pattern
            ),
            None => write!(f, "`{}` is denied: no statement allows it", self.action),
        }
    }
}

/// Evaluates `request` against every policy the identity has.
pub fn evaluate(policies: &[NamedPolicy], request: &Request) -> Decision {
    let mut allow: Option<Deciding> = None;
    for policy in policies {
        for (index, statement) in policy.document.statement.iter().enumerate() {
            let Some(pattern) = applies(statement, request) else { continue };
            let deciding =
                Deciding { policy: policy.name.clone(), statement: index + 1, effect: statement.effect, pattern };
            match statement.effect {
                Effect::Deny => return Decision { action: request.action.clone(), allowed: false, by: Some(deciding) },
                Effect::Allow => {
                    allow.get_or_insert(deciding);
                }
            }
        }
    }
    Decision { action: request.action.clone(), allowed: allow.is_some(), by: allow }
}

/// The matching action pattern when the statement applies to the request.
fn applies(statement: &Statement, request: &Request) -> Option<String> {
    let pattern = statement.action.iter().find(|p| action::matches(p, &request.action))?;
    if let (Some(resources), Some(resource)) = (&statement.resource, &request.resource)
        && !resources.iter().any(|r| urn_matches(r, resource))
    {
        return None;
    }
    let conditions_hold = statement.condition.iter().flatten().all(|(operator, keys)| {
        keys.iter().all(|(key, values)| condition_holds(operator, request.context.get(key), values))
    });
    conditions_hold.then(|| pattern.clone())
}

fn urn_matches(pattern: &str, urn: &str) -> bool {
    let (p, u): (Vec<&str>, Vec<&str>) = (pattern.splitn(5, ':').collect(), urn.splitn(5, ':').collect());
    p.len() == u.len() && p.iter().zip(&u).all(|(p, u)| action::matches(p, u))
}

fn condition_holds(operator: &str, actual: Option<&String>, values: &[String]) -> bool {
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };
    let Some(actual) = actual else { return if_exists };
    let any = |test: &dyn Fn(&str) -> bool| values.iter().any(|v| test(v));
    let number = |text: &str| text.parse::<f64>().ok();
    let compare = |test: &dyn Fn(f64, f64) -> bool| {
        number(actual).is_some_and(|a| values.iter().any(|v| number(v).is_some_and(|v| test(a, v))))
    };
    match base {
        "StringEquals" => any(&|v| v == actual),
        "StringNotEquals" => !any(&|v| v == actual),
        "StringEqualsIgnoreCase" => any(&|v| v.eq_ignore_ascii_case(actual)),
        "StringNotEqualsIgnoreCase" => !any(&|v| v.eq_ignore_ascii_case(actual)),
        "StringMatch" => any(&|v| string_match(v, actual)),
        "StringNotMatch" => !any(&|v| string_match(v, actual)),
        "StringStartWith" => any(&|v| actual.starts_with(v)),
        "StringEndWith" => any(&|v| actual.ends_with(v)),
        "Bool" => any(&|v| v.eq_ignore_ascii_case(actual)),
        "NumberEquals" => compare(&|a, v| a == v),
        "NumberNotEquals" => !compare(&|a, v| a == v),
        "NumberLessThan" => compare(&|a, v| a < v),
        "NumberLessThanEquals" => compare(&|a, v| a <= v),
        "NumberGreaterThan" => compare(&|a, v| a > v),
        "NumberGreaterThanEquals" => compare(&|a, v| a >= v),
        _ => false,
    }
}

/// `StringMatch`: `*` any run, `?` one character.
fn string_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    go(&p, &t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(name: &str, json: &str) -> NamedPolicy {
        NamedPolicy { name: name.into(), document: PolicyDocument::parse_custom(json).unwrap() }
    }

    #[test]
    fn nothing_is_allowed_by_default() {
        let decision = evaluate(&[], &Request::action("mrs:cluster:create"));
        assert!(!decision.allowed);
        assert_eq!(decision.to_string(), "`mrs:cluster:create` is denied: no statement allows it");
        let other = policy("jobs", r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:job:*"]}]}"#);
        assert!(!evaluate(&[other], &Request::action("mrs:cluster:create")).allowed);
    }

    #[test]
    fn an_explicit_deny_wins_over_any_allow_and_is_named() {
        let full = policy("full", r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"]}]}"#);
        let deny = policy(
            "no-delete",
            r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:cluster:delete"]},{"Effect":"Deny","Action":["mrs:cluster:delete"]}]}"#,
        );
        let policies = [full, deny];
        let decision = evaluate(&policies, &Request::action("mrs:cluster:delete"));
        assert!(!decision.allowed);
        assert_eq!(
            decision.to_string(),
            "`mrs:cluster:delete` is denied by statement 2 of policy `no-delete` (Deny `mrs:cluster:delete`)"
        );
        let create = evaluate(&policies, &Request::action("mrs:cluster:create"));
        assert!(create.allowed);
        assert_eq!(
            create.to_string(),
            "`mrs:cluster:create` is allowed by statement 1 of policy `full` (Allow `mrs:*:*`)"
        );
    }

    #[test]
    fn wildcard_allows_cover_only_what_they_match() {
        let read = policy(
            "read",
            r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:get*","mrs:*:list*"]}]}"#,
        );
        assert!(evaluate(std::slice::from_ref(&read), &Request::action("mrs:cluster:get")).allowed);
        assert!(evaluate(std::slice::from_ref(&read), &Request::action("mrs:host:list")).allowed);
        assert!(!evaluate(&[read], &Request::action("mrs:job:submit")).allowed);
    }

    #[test]
    fn conditions_limit_a_statement_to_the_requests_they_hold_for() {
        let scoped = policy(
            "beijing-only",
            r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"],"Condition":{"StringEquals":{"g:ProjectName":["cn-north-1"]}}},
                {"Effect":"Deny","Action":["mrs:cluster:delete"],"Condition":{"StringMatchIfExists":{"g:UserName":["ops-*"]}}}]}"#,
        );
        let policies = [scoped];
        let mut request = Request::action("mrs:cluster:create");
        assert!(!evaluate(&policies, &request).allowed, "the project key is absent: the Allow does not hold");
        request.context.insert("g:ProjectName".into(), "cn-north-1".into());
        assert!(evaluate(&policies, &request).allowed);
        request.context.insert("g:ProjectName".into(), "cn-south-1".into());
        assert!(!evaluate(&policies, &request).allowed);
        let mut delete = Request::action("mrs:cluster:delete");
        delete.context.insert("g:ProjectName".into(), "cn-north-1".into());
        assert!(!evaluate(&policies, &delete).allowed, "IfExists: a missing user name satisfies the Deny");
        delete.context.insert("g:UserName".into(), "dev-1".into());
        assert!(evaluate(&policies, &delete).allowed);
        delete.context.insert("g:UserName".into(), "ops-7".into());
        assert!(!evaluate(&policies, &delete).allowed);
    }

    #[test]
    fn resources_limit_a_statement_only_when_the_request_names_one() {
        let bucket = policy(
            "bucket",
            r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":["obs:*:*:bucket:logs*"]}]}"#,
        );
        let policies = [bucket];
        let mut request = Request::action("obs:object:get");
        request.resource = Some("obs:cn-north-1:d1:bucket:logs-2026".into());
        assert!(evaluate(&policies, &request).allowed);
        request.resource = Some("obs:cn-north-1:d1:bucket:data".into());
        assert!(!evaluate(&policies, &request).allowed);
    }
}
