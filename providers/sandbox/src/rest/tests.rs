//! The REST front door over real HTTP: APIG signatures, IAM authorization of every MRS
//! request, and the request log.

use std::net::SocketAddr;

use corral_api_iam::system::{MRS_COMMON_OPERATIONS, MRS_FULL_ACCESS, MRS_READ_ONLY_ACCESS};
use corral_api_mrs::sign;
use serde_json::{Value, json};

use super::*;
use crate::services::iam::default_project_id;
use crate::{DEFAULT_ACCESS_KEY, DEFAULT_ACCOUNT, DEFAULT_SECRET_KEY, SandboxOptions, start_with};

struct Huawei {
    endpoint: String,
    access_key: String,
    secret_key: String,
}

impl Huawei {
    fn new(endpoint: &str, access_key: &str, secret_key: &str) -> Huawei {
        Huawei { endpoint: endpoint.into(), access_key: access_key.into(), secret_key: secret_key.into() }
    }

    async fn call(&self, method: &str, path_and_query: &str, body: Option<Value>) -> (u16, Value) {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let date = sign::sdk_date(chrono::Utc::now().timestamp());
        let host = self.endpoint.trim_start_matches("http://").to_string();
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = sign::Request {
            method,
            path,
            query,
            headers: vec![("host", &host), ("x-sdk-date", &date), ("content-type", "application/json")],
            body: text.as_bytes(),
        };
        let auth =
            sign::sign(&request, &["host", "x-sdk-date", "content-type"], &self.access_key, &self.secret_key).unwrap();
        let response = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path_and_query}", self.endpoint))
            .header("x-sdk-date", &date)
            .header("content-type", "application/json")
            .header("authorization", auth.header_value())
            .body(text)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn create_body(name: &str) -> Value {
    json!({
        "cluster_version": "MRS 3.1.0", "cluster_name": name, "cluster_type": "ANALYSIS",
        "region": "cn-north-4", "availability_zone": "cn-north-4a", "vpc_name": "vpc-1", "subnet_id": "subnet-1",
        "components": "Hadoop,Spark2x", "safe_mode": "SIMPLE", "manager_admin_password": "Admin@12345",
        "login_mode": "PASSWORD", "node_root_password": "Root@12345",
        "node_groups": [
            {"group_name": "master_node_default_group", "node_num": 2, "node_size": "c6.2xlarge.4.linux.bigdata"},
            {"group_name": "core_node_analysis_group", "node_num": 3, "node_size": "c6.2xlarge.4.linux.bigdata"}
        ]
    })
}

/// Makes a user in a group with the named system or custom policies in the default project,
/// and a key for it.
async fn user_with(admin: &Huawei, name: &str, policy_ids: &[String]) -> Huawei {
    let (_, user) = admin.call("POST", "/v3.0/OS-USER/users", Some(json!({"user": {"name": name}}))).await;
    let user_id = user["user"]["id"].as_str().unwrap().to_string();
    let (_, group) = admin.call("POST", "/v3/groups", Some(json!({"group": {"name": format!("{name}-group")}}))).await;
    let group_id = group["group"]["id"].as_str().unwrap().to_string();
    assert_eq!(admin.call("PUT", &format!("/v3/groups/{group_id}/users/{user_id}"), None).await.0, 204);
    let project = default_project_id(DEFAULT_ACCOUNT);
    for policy in policy_ids {
        let (status, body) =
            admin.call("PUT", &format!("/v3/projects/{project}/groups/{group_id}/roles/{policy}"), None).await;
        assert_eq!(status, 204, "{body}");
    }
    let (_, key) =
        admin.call("POST", "/v3.0/OS-CREDENTIAL/credentials", Some(json!({"credential": {"user_id": user_id}}))).await;
    Huawei::new(
        &admin.endpoint,
        key["credential"]["access"].as_str().unwrap(),
        key["credential"]["secret"].as_str().unwrap(),
    )
}

async fn role_id(admin: &Huawei, name: &str) -> String {
    let (_, roles) = admin.call("GET", &format!("/v3/roles?display_name={}", name.replace(' ', "%20")), None).await;
    roles["roles"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_wrong_secret_is_a_403_that_says_so_and_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let project = default_project_id(DEFAULT_ACCOUNT);
    let wrong = Huawei::new(&sandbox.endpoint(), DEFAULT_ACCESS_KEY, "not-the-secret");
    let (status, body) = wrong.call("GET", &format!("/v1.1/{project}/cluster_infos"), None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error_code"], "APIGW.0301");
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("signed with another secret key than the one of access key"), "{message}");
    let right = Huawei::new(&sandbox.endpoint(), DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY);
    let (status, body) = right.call("GET", &format!("/v1.1/{project}/cluster_infos"), None).await;
    assert_eq!((status, body["clusterTotal"].clone()), (200, json!(0)), "{body}");
    let log = request_log(dir.path()).unwrap();
    assert_eq!(log.iter().map(|e| e.status).collect::<Vec<_>>(), [403, 200]);
    assert_eq!(log[1].action, "mrs:cluster:list");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn every_mrs_request_is_authorized_against_the_callers_policies() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_with(dir.path().to_path_buf(), loopback(), SandboxOptions::default()).await.unwrap();
    let project = default_project_id(DEFAULT_ACCOUNT);
    let admin = Huawei::new(&sandbox.endpoint(), DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY);
    let clusters = format!("/v2/{project}/clusters");

    // Read-only: may list, may not create; the refusal names the action and the statement.
    let reader = user_with(&admin, "reader", &[role_id(&admin, MRS_READ_ONLY_ACCESS).await]).await;
    assert_eq!(reader.call("GET", &format!("/v1.1/{project}/cluster_infos"), None).await.0, 200);
    let (status, body) = reader.call("POST", &clusters, Some(create_body("ro"))).await;
    assert_eq!((status, body["error_code"].as_str()), (403, Some("APIGW.0302")), "{body}");
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("`mrs:cluster:create`"), "{message}");
    assert!(message.contains("statement 2 of policy `MRS ReadOnlyAccess`"), "{message}");

    // No policy at all: default deny.
    let nobody = user_with(&admin, "nobody", &[]).await;
    let (status, body) = nobody.call("GET", &format!("/v1.1/{project}/cluster_infos"), None).await;
    assert_eq!(status, 403);
    assert!(body["error_msg"].as_str().unwrap().contains("no statement allows it"), "{body}");

    // CommonOperations submits jobs but may not resize; FullAccess creates.
    let (status, created) = admin.call("POST", &clusters, Some(create_body("shared"))).await;
    assert_eq!(status, 200, "{created}");
    let cluster = created["cluster_id"].as_str().unwrap();
    let operator = user_with(&admin, "operator", &[role_id(&admin, MRS_COMMON_OPERATIONS).await]).await;
    let (status, body) = operator
        .call(
            "POST",
            &format!("/v2/{project}/clusters/{cluster}/expand"),
            Some(json!({"node_group_name": "core_node_analysis_group", "count": 1})),
        )
        .await;
    assert_eq!(status, 403);
    assert!(body["error_msg"].as_str().unwrap().contains("`mrs:cluster:resize`"), "{body}");
    let (status, body) = operator
        .call(
            "POST",
            &format!("/v2/{project}/clusters/{cluster}/job-executions"),
            Some(json!({"job_type": "HiveSql", "job_name": "q1"})),
        )
        .await;
    // Authorized; the cluster is still starting, so the service itself refuses.
    assert_eq!((status, body["error_code"].as_str()), (409, Some("0056")), "{body}");

    // FullAccess with a custom Deny of delete: the Deny wins and is named.
    let policy = json!({"Version": "1.1", "Statement": [{"Effect": "Deny", "Action": ["mrs:cluster:delete"]}]});
    let (status, role) = admin
        .call(
            "POST",
            "/v3.0/OS-ROLE/roles",
            Some(json!({"role": {"display_name": "keep-clusters", "type": "XA", "description": "", "policy": policy}})),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    let deny = role["role"]["id"].as_str().unwrap().to_string();
    let full = user_with(&admin, "full", &[role_id(&admin, MRS_FULL_ACCESS).await, deny]).await;
    let (status, body) = full.call("DELETE", &format!("/v1.1/{project}/clusters/{cluster}"), None).await;
    assert_eq!(status, 403);
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .contains("statement 1 of policy `keep-clusters` (Deny `mrs:cluster:delete`)"),
        "{body}"
    );
    assert_eq!(full.call("GET", &format!("/v1.1/{project}/cluster_infos/{cluster}"), None).await.0, 200);

    // The log: the read-only user's create was refused before the service, nothing it sent
    // changed anything.
    let log = request_log(dir.path()).unwrap();
    let by_reader: Vec<_> = log.iter().filter(|e| e.user == "reader").collect();
    assert_eq!(by_reader.len(), 2);
    assert!(by_reader.iter().all(|e| !e.mutating || e.status == 403));
    let created: Vec<_> = log.iter().filter(|e| e.operation == "CreateCluster" && e.status == 200).collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].user, "", "only the account's own key created a cluster");
    sandbox.shutdown().await;
}
