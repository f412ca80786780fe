//! Tests of the emulator framework's helpers.

use super::*;

#[test]
fn quota_refuses_past_the_limit_and_names_it() {
    let mut tables = MemoryTables::default();
    let mut quotas = Quotas::default();
    quotas.0.insert("vpcs".to_string(), 2);
    let ctx = RequestContext {
        now: Utc::now(),
        account: "acct".to_string(),
        request_id: "r".to_string(),
        tables: &mut tables,
        quotas,
    };
    assert!(ctx.check_quota("QuotaExceeded.Vpc", "vpcs", 1, 1).is_ok());
    let err = ctx.check_quota("QuotaExceeded.Vpc", "vpcs", 2, 1).unwrap_err();
    assert_eq!(err.status, 400);
    assert_eq!(err.code, "QuotaExceeded.Vpc");
    assert!(err.message.contains("`vpcs`") && err.message.contains("limit is 2"), "{}", err.message);
    // Unlisted quotas are unlimited.
    assert!(ctx.check_quota("QuotaExceeded.Other", "other", 1_000_000, 1).is_ok());
}

#[test]
fn owned_filters_by_account() {
    let mut tables = MemoryTables::default();
    tables.put("t", "a", serde_json::json!({"AccountId": "one"}));
    tables.put("t", "b", serde_json::json!({"AccountId": "two"}));
    let ctx = RequestContext {
        now: Utc::now(),
        account: "one".to_string(),
        request_id: "r".to_string(),
        tables: &mut tables,
        quotas: Quotas::default(),
    };
    let owned: Vec<String> = ctx.owned("t").into_iter().map(|(id, _)| id).collect();
    assert_eq!(owned, vec!["a".to_string()]);
    assert!(ctx.get_owned("t", "b").is_none());
}

#[test]
fn parameters_are_checked() {
    let body = serde_json::json!({"Name": "x", "Count": "3", "Bad": 1.5, "Ids": ["a", "b"], "One": "c",
        "Filter": [{"Name": "vpc-id", "Value": ["v1"]}]});
    assert_eq!(param_str(&body, "Name").unwrap(), "x");
    assert_eq!(param_str(&body, "Absent").unwrap_err().code, "MissingParameter");
    assert_eq!(opt_i64(&body, "Count").unwrap(), Some(3));
    assert_eq!(opt_i64(&body, "Bad").unwrap_err().code, "InvalidParameterValue");
    assert_eq!(opt_str_list(&body, "Ids").unwrap(), vec!["a", "b"]);
    assert_eq!(opt_str_list(&body, "One").unwrap(), vec!["c"]);
    assert_eq!(filters(&body).unwrap(), vec![("vpc-id".to_string(), vec!["v1".to_string()])]);
    assert!(new_id("vpc").starts_with("vpc-"));
    assert_ne!(new_id("vpc"), new_id("vpc"));
}
