//! Policy documents as IAM stores them (`{"Version":"1.1","Statement":[{"Effect":"Allow",
//! "Action":["mrs:cluster:create"]}]}`), parsed with typed serde and validated as research.md
//! §7.9 says: version `1.1` for a custom policy, a non-empty statement list, `Allow` or
//! `Deny`, well-formed actions, resource URNs with five segments, conditions with known
//! operators, at most [`MAX_CUSTOM_POLICY_BYTES`].

use std::collections::BTreeMap;

/// The largest custom identity policy IAM accepts, in bytes of its JSON text.
pub const MAX_CUSTOM_POLICY_BYTES: usize = 6144;

/// The fine-grained policy grammar; custom policies must use it.
pub const VERSION_FINE_GRAINED: &str = "1.1";
/// The role-based (RBAC) grammar of system roles such as MRS Administrator.
pub const VERSION_RBAC: &str = "1.0";

/// The condition operators of the v1.1 grammar (each may carry the `IfExists` suffix).
pub const CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringMatch",
    "StringNotMatch",
    "StringStartWith",
    "StringEndWith",
    "NumberEquals",
    "NumberNotEquals",
    "NumberLessThan",
    "NumberLessThanEquals",
    "NumberGreaterThan",
    "NumberGreaterThanEquals",
    "DateLessThan",
    "DateGreaterThan",
    "Bool",
    "IpAddress",
    "NotIpAddress",
];

/// A policy document.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDocument {
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// One statement: an effect over actions, optionally limited to resources and conditions.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    #[serde(rename = "Effect")]
    pub effect: Effect,
    #[serde(rename = "Action", default)]
    pub action: Vec<String>,
    #[serde(rename = "Resource", default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Vec<String>>,
    /// `{"<Operator>": {"<key>": ["value", ...]}}`.
    #[serde(rename = "Condition", default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        })
    }
}

/// Why a policy document is refused. Statement numbers count from 1, as a reader does.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy is not a valid policy document: {0}")]
    Malformed(String),
    #[error("the policy is {size} bytes; IAM accepts custom policies of at most {MAX_CUSTOM_POLICY_BYTES} bytes")]
    TooLarge { size: usize },
    #[error("`Version` is `{0}`: a custom policy must be version `1.1` (`1.0` is for system roles only)")]
    Version(String),
    #[error("the policy has no statement: `Statement` needs at least one")]
    NoStatement,
    #[error("statement {statement} has no action: `Action` needs at least one")]
    NoAction { statement: usize },
    #[error(
        "statement {statement}: action `{action}` is not `service:resourceType:operation` \
         (lower-case service, letters and digits, `*` as a wildcard), e.g. `mrs:cluster:create`"
    )]
    BadAction { statement: usize, action: String },
    #[error(
        "statement {statement}: resource `{resource}` is not a URN \
         `service:region:domainId:resourceType:resourcePath` (five `:`-separated parts, `*` allowed)"
    )]
    BadResource { statement: usize, resource: String },
    #[error("statement {statement}: `{operator}` is not a condition operator (known: {known})", known = CONDITION_OPERATORS.join(", "))]
    BadOperator { statement: usize, operator: String },
    #[error("statement {statement}: condition `{operator}` on `{key}` has no value")]
    EmptyCondition { statement: usize, operator: String, key: String },
}

impl PolicyDocument {
    /// Parses and validates a custom policy's JSON text.
    pub fn parse_custom(text: &str) -> Result<PolicyDocument, PolicyError> {
        if text.len() > MAX_CUSTOM_POLICY_BYTES {
            return Err(PolicyError::TooLarge { size: text.len() });
        }
        let document: PolicyDocument = serde_json::from_str(text).map_err(|e| PolicyError::Malformed(e.to_string()))?;
        document.validate_custom()?;
        Ok(document)
    }

    /// Parses a document of any version without the custom-policy rules (system policies).
    pub fn parse_any(text: &str) -> Result<PolicyDocument, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::Malformed(e.to_string()))
    }

    /// The rules of research.md §7.9 for a custom policy.
    pub fn validate_custom(&self) -> Result<(), PolicyError> {
        if self.version != VERSION_FINE_GRAINED {
            return Err(PolicyError::Version(self.version.clone()));
        }
        self.validate_statements()
    }

    fn validate_statements(&self) -> Result<(), PolicyError> {
        if self.statement.is_empty() {
            return Err(PolicyError::NoStatement);
        }
        for (index, statement) in self.statement.iter().enumerate() {
            let number = index + 1;
            if statement.action.is_empty() {
                return Err(PolicyError::NoAction { statement: number });
            }
            if let Some(bad) = statement.action.iter().find(|a| !crate::action::is_valid_pattern(a)) {
                return Err(PolicyError::BadAction { statement: number, action: bad.clone() });
            }
            for resource in statement.resource.iter().flatten() {
                if !is_valid_urn(resource) {
                    return Err(PolicyError::BadResource { statement: number, resource: resource.clone() });
                }
            }
            for (operator, keys) in statement.condition.iter().flatten() {
                let base = operator.strip_suffix("IfExists").unwrap_or(operator);
                if !CONDITION_OPERATORS.contains(&base) {
                    return Err(PolicyError::BadOperator { statement: number, operator: operator.clone() });
                }
                if let Some((key, _)) = keys.iter().find(|(_, values)| values.is_empty()) {
                    return Err(PolicyError::EmptyCondition {
                        statement: number,
                        operator: operator.clone(),
                        key: key.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The document as canonical JSON (keys in a fixed order, no spaces): two documents that
    /// mean the same compare equal as text, which is what a semantic diff needs.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `service:region:domainId:resourceType:resourcePath`, the last part may itself hold `:`.
fn is_valid_urn(urn: &str) -> bool {
    let parts: Vec<&str> = urn.splitn(5, ':').collect();
    parts.len() == 5 && !parts[0].is_empty() && !parts[3].is_empty() && !parts[4].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(text: &str) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse_custom(text)
    }

    #[test]
    fn a_custom_policy_parses_into_typed_statements() {
        let document = custom(
            r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:cluster:create","mrs:*:get*"]},
                {"Effect":"Deny","Action":["mrs:cluster:delete"],"Condition":{"StringEqualsIfExists":{"g:ProjectName":["cn-north-4"]}}}]}"#,
        )
        .unwrap();
        assert_eq!(document.statement.len(), 2);
        assert_eq!(document.statement[0].effect, Effect::Allow);
        assert_eq!(document.statement[1].effect, Effect::Deny);
        assert_eq!(document.statement[0].action, ["mrs:cluster:create", "mrs:*:get*"]);
    }

    #[test]
    fn each_rule_of_the_grammar_is_enforced_with_its_own_message() {
        let cases = [
            (r#"{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["mrs:*:*"]}]}"#, "must be version `1.1`"),
            (r#"{"Version":"1.1","Statement":[]}"#, "no statement"),
            (r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":[]}]}"#, "statement 1 has no action"),
            (r#"{"Version":"1.1","Statement":[{"Effect":"Permit","Action":["mrs:*:*"]}]}"#, "unknown variant `Permit`"),
            (
                r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"]},{"Effect":"Deny","Action":["mrs:cluster"]}]}"#,
                "statement 2: action `mrs:cluster`",
            ),
            (
                r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":["obs:bucket"]}]}"#,
                "resource `obs:bucket` is not a URN",
            ),
            (
                r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"],"Condition":{"NumericEquals":{"k":["1"]}}}]}"#,
                "`NumericEquals` is not a condition operator",
            ),
            (
                r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"],"Condition":{"Bool":{"g:MFAPresent":[]}}}]}"#,
                "has no value",
            ),
            (r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Actions":["mrs:*:*"]}]}"#, "unknown field `Actions`"),
        ];
        for (text, expected) in cases {
            let error = custom(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}\n→ {error}\n(expected `{expected}`)");
        }
        let resource_ok = r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":["obs:*:*:bucket:*"]}]}"#;
        assert!(custom(resource_ok).is_ok());
    }

    #[test]
    fn a_policy_larger_than_iam_accepts_is_refused() {
        let actions = vec!["\"mrs:cluster:create\""; 400].join(",");
        let text = format!(r#"{{"Version":"1.1","Statement":[{{"Effect":"Allow","Action":[{actions}]}}]}}"#);
        assert!(matches!(custom(&text), Err(PolicyError::TooLarge { .. })));
    }

    #[test]
    fn canonical_text_ignores_key_order_and_spacing() {
        let a = custom(r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs:*:*"]}]}"#).unwrap();
        let b =
            custom("{ \"Statement\": [ { \"Action\": [\"mrs:*:*\"], \"Effect\": \"Allow\" } ], \"Version\": \"1.1\" }")
                .unwrap();
        assert_eq!(a.canonical(), b.canonical());
    }
}
