//! IAM routes over in-memory tables: users in groups, policies attached per project or for
//! all projects, effective policies, and custom policies checked as IAM checks them.

use chrono::{TimeZone, Utc};
use corral_api_iam::system::{MRS_FULL_ACCESS, MRS_READ_ONLY_ACCESS};
use corral_provider_sdk::emulator::{ApiError, MemoryTables, Quotas, RequestContext};
use serde_json::{Value, json};

use super::model::system_role_id;
use super::*;

struct Iam {
    tables: MemoryTables,
    admin: Caller,
}

impl Iam {
    fn new() -> Iam {
        Iam {
            tables: MemoryTables::default(),
            admin: Caller { account: "acct-1".into(), user_id: String::new(), user_name: String::new() },
        }
    }

    fn call_as(&mut self, caller: &Caller, method: &str, path: &str, body: Value) -> Result<Value, ApiError> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut ctx = RequestContext {
            now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            account: caller.account.clone(),
            request_id: "req".into(),
            tables: &mut self.tables,
            quotas: Quotas::default(),
        };
        handle(&mut ctx, caller, method, path, query, &body).map(|(_, v)| v)
    }

    fn call(&mut self, method: &str, path: &str, body: Value) -> Result<Value, ApiError> {
        let admin = self.admin.clone();
        self.call_as(&admin, method, path, body)
    }

    /// A user in a group with `policies` attached in the default project; returns the user.
    fn user_with(&mut self, name: &str, policies: &[&str]) -> Caller {
        let user = self.call("POST", "/v3.0/OS-USER/users", json!({"user": {"name": name}})).unwrap()["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let group = self.call("POST", "/v3/groups", json!({"group": {"name": format!("{name}-group")}})).unwrap()["group"]["id"].as_str().unwrap().to_string();
        self.call("PUT", &format!("/v3/groups/{group}/users/{user}"), json!({})).unwrap();
        let project = default_project_id("acct-1");
        for policy in policies {
            self.call("PUT", &format!("/v3/projects/{project}/groups/{group}/roles/{policy}"), json!({})).unwrap();
        }
        Caller { account: "acct-1".into(), user_id: user, user_name: name.into() }
    }
}

#[test]
fn effective_policies_come_through_groups_in_the_project() {
    let mut iam = Iam::new();
    let reader = iam.user_with("reader", &[&system_role_id(MRS_READ_ONLY_ACCESS)]);
    let project = default_project_id("acct-1");
    let answer = iam
        .call_as(&reader, "GET", &format!("/v3.0/OS-PERMISSION/effective-policies?project_id={project}"), json!({}))
        .unwrap();
    let effective: corral_api_iam::wire::EffectivePolicies = serde_json::from_value(answer).unwrap();
    assert_eq!(effective.policies.len(), 1);
    assert_eq!(effective.policies[0].name, MRS_READ_ONLY_ACCESS);
    assert!(effective.decide("mrs:cluster:get").allowed);
    let denied = effective.decide("mrs:cluster:create");
    assert!(denied.to_string().contains("statement 2 of policy `MRS ReadOnlyAccess`"), "{denied}");
    // Another project: nothing attached there.
    iam.call("POST", "/v3/projects", json!({"project": {"name": "cn-south-1"}})).unwrap();
    let other = super::model::project_id("acct-1", "cn-south-1");
    assert!(effective_policies(&iam.tables, "acct-1", &reader.user_id, &other).unwrap().is_empty());
}

#[test]
fn a_custom_deny_beats_full_access_and_is_named() {
    let mut iam = Iam::new();
    let policy = json!({"Version": "1.1", "Statement": [{"Effect": "Deny", "Action": ["mrs:cluster:delete"]}]});
    let role = iam
        .call(
            "POST",
            "/v3.0/OS-ROLE/roles",
            json!({"role": {"display_name": "no-delete", "type": "XA", "description": "", "policy": policy}}),
        )
        .unwrap();
    let role_id = role["role"]["id"].as_str().unwrap().to_string();
    let user = iam.user_with("ops", &[&system_role_id(MRS_FULL_ACCESS), &role_id]);
    let policies = effective_policies(&iam.tables, "acct-1", &user.user_id, &default_project_id("acct-1")).unwrap();
    let named: Vec<_> = policies
        .into_iter()
        .map(|p| corral_api_iam::eval::NamedPolicy { name: p.name, document: p.document })
        .collect();
    let decision = corral_api_iam::eval::evaluate(&named, &corral_api_iam::eval::Request::action("mrs:cluster:delete"));
    assert_eq!(
        decision.to_string(),
        "`mrs:cluster:delete` is denied by statement 1 of policy `no-delete` (Deny `mrs:cluster:delete`)"
    );
    let refused = iam.call("DELETE", &format!("/v3.0/OS-ROLE/roles/{role_id}"), json!({})).unwrap_err();
    assert!(refused.message.contains("still attached"), "{}", refused.message);
}

#[test]
fn custom_policies_are_validated_and_users_cannot_administer_iam() {
    let mut iam = Iam::new();
    let bad = json!({"role": {"display_name": "bad", "type": "XA", "description": "", "policy": {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["mrs:cluster"]}]}}});
    let error = iam.call("POST", "/v3.0/OS-ROLE/roles", bad).unwrap_err();
    assert!(error.message.contains("action `mrs:cluster` is not"), "{}", error.message);
    let user = iam.user_with("dev", &[]);
    let refused = iam.call_as(&user, "POST", "/v3/groups", json!({"group": {"name": "x"}})).unwrap_err();
    assert_eq!(refused.status, 403);
    assert!(refused.message.contains("iam:groups:create"), "{}", refused.message);
    let key =
        iam.call("POST", "/v3.0/OS-CREDENTIAL/credentials", json!({"credential": {"user_id": user.user_id}})).unwrap();
    assert!(!key["credential"]["secret"].as_str().unwrap().is_empty());
    assert!(iam.tables.get(ACCESS_KEYS, key["credential"]["access"].as_str().unwrap()).is_some());
}
