//! Table 2 and the system policies, checked against the MRS user guide's own text.

use super::*;
use crate::eval::{Request, evaluate};

const GUIDE: &str = include_str!("../../testdata/mrs-user-guide-permissions.txt");

/// Table 2 as the guide prints it: (operation, four marks).
fn table_2_of_the_guide() -> Vec<(String, [bool; 4])> {
    let header = "操作 MRS FullAccess MRS CommonOperations MRS ReadOnlyAccess MRS Administrator ";
    let start = GUIDE.find(header).map(|at| at + header.len()).unwrap();
    let body = &GUIDE[start..GUIDE[start..].find('\n').map_or(GUIDE.len(), |end| start + end)];
    let tokens: Vec<&str> = body.split_whitespace().collect();
    assert_eq!(tokens.len() % 5, 0, "every row is an operation and four marks: {tokens:?}");
    tokens
        .chunks(5)
        .map(|row| {
            let mark = |m: &str| match m {
                "√" => true,
                "x" => false,
                other => panic!("`{other}` is no mark (row {row:?})"),
            };
            (row[0].to_string(), [mark(row[1]), mark(row[2]), mark(row[3]), mark(row[4])])
        })
        .collect()
}

/// The JSON of a `<name>策略内容 {...}` paragraph of the guide.
fn document_in_the_guide(name: &str) -> PolicyDocument {
    let marker = format!("{name}策略内容 ");
    let start = GUIDE.find(&marker).map(|at| at + marker.len()).unwrap();
    let text = GUIDE[start..].lines().next().unwrap();
    PolicyDocument::parse_custom(text).unwrap()
}

#[test]
fn every_row_of_table_2_is_the_guides() {
    let guide = table_2_of_the_guide();
    let ours: Vec<(String, [bool; 4])> = TABLE_2.iter().map(|r| (r.operation.to_string(), r.allowed)).collect();
    assert_eq!(guide.len(), 34);
    for (index, (theirs, ours)) in guide.iter().zip(&ours).enumerate() {
        assert_eq!(theirs, ours, "row {} of Table 2", index + 1);
    }
    assert_eq!(guide.len(), ours.len());
}

#[test]
fn each_system_policy_allows_exactly_what_table_2_says() {
    for row in TABLE_2 {
        for (column, expected) in COLUMNS.iter().zip(row.allowed) {
            let policy = system_policy(column).unwrap().named();
            let decision = evaluate(&[policy], &Request::action(row.action));
            assert_eq!(decision.allowed, expected, "{} ({}) under {column}: {decision}", row.operation, row.action);
        }
    }
}

#[test]
fn full_access_and_read_only_access_are_the_guides_documents() {
    for name in [MRS_FULL_ACCESS, MRS_READ_ONLY_ACCESS] {
        let ours = system_policy(name).unwrap().named().document;
        assert_eq!(ours, document_in_the_guide(name), "{name}");
    }
}

#[test]
fn read_only_denies_name_the_mutating_rows_in_table_order() {
    // The guide's ReadOnlyAccess Deny list is where the rows' action names come from.
    let read_only = document_in_the_guide(MRS_READ_ONLY_ACCESS);
    let denied = &read_only.statement[1].action;
    let mutating: Vec<&str> =
        TABLE_2.iter().filter(|r| !r.allowed[2] && !r.action.starts_with("mrs:sql:")).map(|r| r.action).collect();
    assert_eq!(denied, &mutating);
}

#[test]
fn the_system_documents_parse_and_the_fine_grained_ones_are_valid_custom_grammar() {
    for policy in SYSTEM_POLICIES {
        let document = PolicyDocument::parse_any(policy.document).unwrap();
        match policy.category {
            Category::FineGrained => document.validate_custom().unwrap(),
            Category::Rbac => assert_eq!(document.version, crate::policy::VERSION_RBAC),
        }
    }
}

#[test]
fn a_denial_under_read_only_names_its_deny_statement() {
    let decision =
        evaluate(&[system_policy(MRS_READ_ONLY_ACCESS).unwrap().named()], &Request::action("mrs:cluster:create"));
    assert_eq!(
        decision.to_string(),
        "`mrs:cluster:create` is denied by statement 2 of policy `MRS ReadOnlyAccess` (Deny `mrs:cluster:create`)"
    );
}
