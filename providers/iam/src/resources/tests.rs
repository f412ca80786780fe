use super::*;

fn policy(document: &str) -> Value {
    Value::object([
        ("id".to_string(), Value::Null(Type::String)),
        ("name".to_string(), Value::string("no-delete")),
        ("description".to_string(), Value::Null(Type::String)),
        ("scope".to_string(), Value::Null(Type::String)),
        ("document".to_string(), Value::string(document)),
    ])
}

fn request(prior: Option<Value>, config: Value) -> PlanRequest {
    let schema = Kind::Policy.schema();
    PlanRequest::new(&schema.block, Kind::Policy.name().to_string(), prior, config, None)
}

const DENY: &str = r#"{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["mrs:cluster:delete"]}]}"#;

#[test]
fn a_reformatted_document_plans_the_applied_text() {
    let prior = Value::object([
        ("id".to_string(), Value::string("role-1")),
        ("name".to_string(), Value::string("no-delete")),
        ("description".to_string(), Value::string("")),
        ("scope".to_string(), Value::string("project")),
        ("document".to_string(), Value::string(DENY)),
    ]);
    let reformatted = "{\n  \"Statement\": [ { \"Action\": [\"mrs:cluster:delete\"], \"Effect\": \"Deny\" } ],\n  \"Version\": \"1.1\"\n}";
    let response = plan(Kind::Policy, &request(Some(prior.clone()), policy(reformatted)));
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    assert_eq!(response.planned_state.unwrap(), prior);
    // Another action is a change.
    let other = DENY.replace("delete", "create");
    let response = plan(Kind::Policy, &request(Some(prior), policy(&other)));
    assert_eq!(response.planned_state.unwrap().get_attr("document").unwrap().as_str(), Some(other.as_str()));
}

#[test]
fn an_invalid_document_is_an_error_at_the_document() {
    for (document, says) in [
        (r#"{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["mrs:*:*"]}]}"#, "1.1"),
        (r#"{"Version":"1.1","Statement":[{"Effect":"Maybe","Action":["mrs:*:*"]}]}"#, "Maybe"),
        (r#"{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["mrs-cluster-create"]}]}"#, "mrs-cluster-create"),
        (r#"{"Version":"1.1","Statement":[]}"#, "tatement"),
        ("not json", "not a valid policy"),
    ] {
        let response = plan(Kind::Policy, &request(None, policy(document)));
        let diagnostic = response.diagnostics.iter().next().unwrap_or_else(|| panic!("{document} passed"));
        assert_eq!(diagnostic.attribute, Some(Path::attr("document")));
        assert!(diagnostic.summary.contains(says), "{document}: {}", diagnostic.summary);
    }
}

#[test]
fn a_new_policy_is_project_scoped_unless_it_says_global() {
    let response = plan(Kind::Policy, &request(None, policy(DENY)));
    assert_eq!(response.planned_state.unwrap().get_attr("scope").unwrap().as_str(), Some("project"));
}

#[test]
fn an_attachment_names_exactly_one_policy() {
    let config = |id: Option<&str>, name: Option<&str>| {
        let s = |v: Option<&str>| v.map_or(Value::Null(Type::String), Value::string);
        Value::object([
            ("group_id".to_string(), Value::string("grp-1")),
            ("policy_id".to_string(), s(id)),
            ("policy_name".to_string(), s(name)),
        ])
    };
    assert!(validate(Kind::Attachment, &config(Some("role-1"), None)).is_empty());
    assert!(validate(Kind::Attachment, &config(None, Some("MRS ReadOnlyAccess"))).is_empty());
    assert!(validate(Kind::Attachment, &config(Some("role-1"), Some("MRS ReadOnlyAccess"))).has_errors());
    assert!(validate(Kind::Attachment, &config(None, None)).has_errors());
}

#[test]
fn every_type_declares_its_actions() {
    for kind in Kind::ALL {
        let actions = kind.actions();
        assert!(!actions.create.is_empty() && !actions.delete.is_empty(), "{}", kind.name());
        assert!(actions.create.iter().all(|a| a.starts_with("iam:")));
    }
}
