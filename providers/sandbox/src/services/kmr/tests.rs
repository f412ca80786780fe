//! The KMR service driven as the sandbox drives it (advance, then handle), over in-memory
//! tables and a hand-moved clock.

use chrono::{DateTime, Duration, TimeZone, Utc};
use corral_provider_sdk::emulator::{ApiError, MemoryTables, Quotas, RequestContext, Service, Tables};
use serde_json::{Value, json};

use super::*;
use crate::services::vpc::{self, VpcService};

struct Sandbox {
    service: KmrService,
    tables: MemoryTables,
    now: DateTime<Utc>,
    account: String,
    quotas: Quotas,
}

impl Sandbox {
    /// A sandbox whose account has the default quotas and a VPC `vpc` with subnet `subnet`.
    fn new() -> Sandbox {
        let mut s = Sandbox {
            service: KmrService,
            tables: MemoryTables::default(),
            now: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            account: "acct-1".into(),
            quotas: Quotas::sandbox_defaults(),
        };
        s.network();
        s
    }

    /// Makes the account's VPC and subnet (ids in `vpc_id`/`subnet_id` of the tables' only ones).
    fn network(&mut self) {
        let mut ctx = self.ctx();
        let vpc =
            VpcService.handle(&mut ctx, "CreateVpc", vpc::VERSION, &json!({ "CidrBlock": "10.0.0.0/16" })).unwrap();
        let vpc_id = vpc["Vpc"]["VpcId"].as_str().unwrap().to_string();
        let body = json!({ "VpcId": vpc_id, "CidrBlock": "10.0.1.0/24" });
        VpcService.handle(&mut ctx, "CreateSubnet", vpc::VERSION, &body).unwrap();
    }

    fn ctx(&mut self) -> RequestContext<'_> {
        RequestContext {
            now: self.now,
            account: self.account.clone(),
            request_id: "req-1".into(),
            tables: &mut self.tables,
            quotas: self.quotas.clone(),
        }
    }

    /// The ids of the account's (first) VPC and subnet.
    fn net(&self) -> (String, String) {
        let owned = |table: &str, field: &str| {
            self.tables
                .list(table)
                .into_iter()
                .find(|(_, v)| v["AccountId"] == self.account.as_str())
                .map(|(_, v)| v[field].as_str().unwrap().to_string())
                .unwrap()
        };
        (owned(vpc::VPCS, "VpcId"), owned(vpc::SUBNETS, "SubnetId"))
    }

    /// Puts the account's network ids into a request body.
    fn fill(&self, mut body: Value) -> Value {
        let (vpc_id, subnet_id) = self.net();
        body["VpcDomainId"] = json!(vpc_id);
        if body.get("SubnetId").is_some() {
            body["SubnetId"] = json!(subnet_id);
        }
        if let Some(groups) = body["InstanceGroups"].as_array_mut() {
            for group in groups.iter_mut().filter(|g| g.get("VpcSubnetId").is_some()) {
                group["VpcSubnetId"] = json!(subnet_id);
            }
        }
        body
    }

    /// Sets a limit of the account, where requests and `advance` both find it.
    fn set_quota(&mut self, quota: &str, limit: u64) {
        self.quotas.0.insert(quota.to_string(), limit);
        let record = json!({ "account_id": self.account, "secret_key": "secret", "quotas": self.quotas });
        self.tables.put(crate::store::ACCOUNTS, &format!("AK-{}", self.account), record);
    }

    /// As the server does: advance everything (no account), then handle as the account.
    fn call(&mut self, action: &str, body: Value) -> Result<Value, ApiError> {
        let body = if body.get("VpcDomainId").is_some() { self.fill(body) } else { body };
        let service = self.service.clone();
        let mut ctx = self.ctx();
        ctx.account = String::new();
        ctx.quotas = Quotas::default();
        service.advance(&mut ctx);
        let mut ctx = self.ctx();
        service.handle(&mut ctx, action, VERSION, &body)
    }

    fn ok(&mut self, action: &str, body: Value) -> Value {
        self.call(action, body).unwrap_or_else(|e| panic!("{action}: {e}"))
    }

    fn err(&mut self, action: &str, body: Value) -> ApiError {
        self.call(action, body).expect_err(action)
    }

    fn pass(&mut self, minutes: i64) {
        self.now += Duration::minutes(minutes);
    }

    fn describe(&mut self, id: &str) -> Value {
        self.ok("DescribeCluster", json!({ "ClusterId": id }))
    }

    fn status(&mut self, id: &str) -> String {
        self.describe(id)["ClusterStatus"].as_str().unwrap().to_string()
    }

    fn inspect(&mut self) -> Vec<corral_provider_sdk::emulator::ObjectView> {
        let service = self.service.clone();
        let mut ctx = self.ctx();
        ctx.account = String::new();
        service.advance(&mut ctx);
        service.inspect(&mut ctx)
    }
}

fn persistent(core: u32) -> Value {
    json!({
        "ClusterName": "warehouse",
        "ClusterType": "persistent",
        "ChargeType": "HourlyInstantSettlement",
        "MainVersion": "5.3.0",
        "Services": ["spark", "hive"],
        "VpcDomainId": "vpc-1",
        "EnableEip": true,
        "InstanceGroups": [
            { "InstanceGroupType": "MASTER", "InstanceType": "S6.4XLARGE32", "InstanceCount": 1, "VpcSubnetId": "subnet-1" },
            { "InstanceGroupType": "CORE", "InstanceType": "S6.4XLARGE32", "InstanceCount": core, "VpcSubnetId": "subnet-1" },
        ],
    })
}

fn transient_spec() -> Value {
    json!({
        "MainVersion": "5.3.0",
        "Services": ["spark", "hive"],
        "VpcDomainId": "vpc-1",
        "SubnetId": "subnet-1",
        "LogUri": "ks3://logs/nightly",
        "InstanceGroups": [
            { "InstanceGroupType": "MASTER", "InstanceType": "S6.2XLARGE16", "InstanceCount": 1 },
            { "InstanceGroupType": "CORE", "InstanceType": "S6.2XLARGE16", "InstanceCount": 2 },
        ],
        "Jobs": [
            { "JobName": "etl", "JobType": "spark", "JobArgs": ["--class", "Etl"] },
            { "JobName": "report", "JobType": "hive", "JobArgs": ["-f", "report.sql"] },
        ],
    })
}

fn transient() -> Value {
    let mut body = transient_spec();
    body["ClusterName"] = json!("nightly");
    body["ClusterType"] = json!("transient");
    body
}

fn group<'a>(cluster: &'a Value, group_type: &str) -> &'a Value {
    cluster["InstanceGroups"].as_array().unwrap().iter().find(|g| g["InstanceGroupType"] == group_type).unwrap()
}

#[test]
fn a_cluster_is_creating_then_running_after_the_create_time() {
    let mut s = Sandbox::new();
    let id = s.ok("LaunchCluster", persistent(3))["ClusterId"].as_str().unwrap().to_string();
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "creating");
    assert_eq!(cluster["ChargeType"], "HourlyInstantSettlement");
    assert_eq!(cluster["RequestId"], "req-1");
    assert!(cluster.get("Account").is_none(), "the owning account is not part of the API shape");
    let sg = s.tables.get(vpc::SECURITY_GROUPS, cluster["SecurityGroupId"].as_str().unwrap()).unwrap();
    assert_eq!(sg["SecurityGroupName"], "KSCKMR", "the service made the VPC's default group");
    assert_eq!(sg["UsedBy"], json!([id]));
    assert!(cluster["MasterPrivateIp"].as_str().unwrap().starts_with("10.0.1."), "inside the subnet");
    assert!(cluster["MasterEip"].is_string());
    assert_eq!(group(&cluster, "CORE")["InstanceIds"].as_array().unwrap().len(), 3);
    let services: Vec<&str> = cluster["Services"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(services.contains(&"hdfs") && services.contains(&"spark"), "{services:?}");
    s.pass(7);
    assert_eq!(s.status(&id), "creating");
    s.pass(1);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "running");
    assert_eq!(cluster["ReadyTime"], "2026-01-01T00:08:00Z");
}

#[test]
fn answers_keep_the_api_field_names_in_their_order() {
    let mut s = Sandbox::new();
    let launched = s.ok("LaunchCluster", persistent(3));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&launched), ["ClusterId", "ClusterStatus", "RequestId"]);
    let cluster = s.describe(launched["ClusterId"].as_str().unwrap());
    assert_eq!(
        keys(&cluster),
        [
            "ClusterId",
            "ClusterName",
            "ClusterType",
            "ChargeType",
            "ClusterStatus",
            "MainVersion",
            "Services",
            "VpcDomainId",
            "SubnetId",
            "SecurityGroupId",
            "EnableEip",
            "MasterEip",
            "MasterPrivateIp",
            "LogUri",
            "InstanceGroups",
            "Jobs",
            "ClientToken",
            "CreateTime",
            "ReadyTime",
            "ReleaseTime",
            "ExpireTime",
            "ConvertedTime",
            "PendingOperation",
            "StateChangeReason",
            "ExecutionPlanId",
            "TemplateId",
            "ServingMinutes",
            "RequestId",
        ]
    );
    assert_eq!(
        keys(&cluster["InstanceGroups"][0]),
        ["InstanceGroupId", "InstanceGroupType", "InstanceType", "InstanceCount", "InstanceIds", "VpcSubnetId"]
    );
}

#[test]
fn a_retried_launch_with_the_same_client_token_makes_one_cluster() {
    let mut s = Sandbox::new();
    let mut body = persistent(3);
    body["ClientToken"] = json!("token-1");
    let first = s.ok("LaunchCluster", body.clone())["ClusterId"].clone();
    let second = s.ok("LaunchCluster", body)["ClusterId"].clone();
    assert_eq!(first, second);
    assert_eq!(s.ok("ListClusters", json!({}))["Total"], 1);
    let found = s.ok("ListClusters", json!({ "ClientToken": "token-1" }));
    assert_eq!(found["Clusters"][0]["ClusterId"], first);
}

#[test]
fn the_admin_password_is_checked_and_only_its_hash_is_kept() {
    let mut s = Sandbox::new();
    for weak in ["short1A", "nouppercaseordigits", "Admin-Secret-1", "With Space-1"] {
        let mut body = persistent(3);
        body["AdminPassword"] = json!(weak);
        let e = s.err("LaunchCluster", body);
        assert_eq!(e.code, "InvalidParameterValue.AdminPassword", "{weak}: {}", e.message);
        assert!(!e.message.contains(weak), "the error never quotes the password: {}", e.message);
    }
    let mut body = persistent(3);
    body["AdminPassword"] = json!("Warehouse-Key-4417");
    let id = s.ok("LaunchCluster", body)["ClusterId"].as_str().unwrap().to_string();
    let described = s.describe(&id);
    assert!(described.get("AdminPasswordHash").is_none(), "the API never answers with it: {described}");
    let record = s.inspect().into_iter().find(|v| v.id == id).unwrap().attributes;
    assert!(!record.to_string().contains("Warehouse-Key-4417"), "{record}");
    let hash = record["AdminPasswordHash"].as_str().unwrap();
    assert!(password::verify(hash, "Warehouse-Key-4417") && !password::verify(hash, "Warehouse-Key-4418"));
    // Without one, KMR makes one up that meets its own policy.
    let generated = password::generated();
    assert_eq!(password::problem(&generated), None, "{generated}");
    let id = s.ok("LaunchCluster", persistent(1))["ClusterId"].as_str().unwrap().to_string();
    let record = s.inspect().into_iter().find(|v| v.id == id).unwrap().attributes;
    assert!(record["AdminPasswordHash"].as_str().is_some_and(|h| h.starts_with("sha256:")), "{record}");
}

#[test]
fn launch_rules_are_enforced() {
    let mut s = Sandbox::new();
    let mut no_log = transient();
    no_log.as_object_mut().unwrap().remove("LogUri");
    assert_eq!(s.err("LaunchCluster", no_log).code, "MissingParameter");
    let mut monthly = transient();
    monthly["ChargeType"] = json!("Monthly");
    let e = s.err("LaunchCluster", monthly);
    assert_eq!(e.code, "InvalidParameterValue");
    assert!(e.message.contains("on demand"), "{}", e.message);
    let mut jobs_on_persistent = persistent(3);
    jobs_on_persistent["Jobs"] = transient()["Jobs"].clone();
    assert_eq!(s.err("LaunchCluster", jobs_on_persistent).code, "InvalidParameterValue");
    let mut bad_uri = transient();
    bad_uri["LogUri"] = json!("s3://elsewhere/logs");
    assert!(s.err("LaunchCluster", bad_uri).message.contains("KS3"));
    let mut no_master = persistent(3);
    no_master["InstanceGroups"].as_array_mut().unwrap().remove(0);
    assert!(s.err("LaunchCluster", no_master).message.contains("MASTER"));
    assert_eq!(s.call("LaunchCluster", json!({})).unwrap_err().code, "MissingParameter");
    let mut ctx = s.ctx();
    assert_eq!(
        KmrService.handle(&mut ctx, "DescribeCluster", "2016-01-01", &json!({})).unwrap_err().code,
        "InvalidVersion"
    );
    assert_eq!(s.call("NoSuchAction", json!({})).unwrap_err().code, "InvalidAction");
}

#[test]
fn a_transient_cluster_runs_its_jobs_in_order_and_releases_itself() {
    let mut s = Sandbox::new();
    let id = s.ok("LaunchCluster", transient())["ClusterId"].as_str().unwrap().to_string();
    s.pass(9);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "running");
    assert_eq!(cluster["Jobs"][0]["JobStatus"], "RUNNING");
    assert_eq!(cluster["Jobs"][1]["JobStatus"], "PENDING");
    // Nobody looks for an hour: the whole run is replayed at the times it was due.
    s.pass(60);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "released");
    assert_eq!(cluster["Jobs"][0]["JobStatus"], "SUCCEEDED");
    assert_eq!(cluster["Jobs"][0]["EndTime"], "2026-01-01T00:18:00Z");
    assert_eq!(cluster["Jobs"][1]["StartTime"], "2026-01-01T00:18:00Z");
    assert_eq!(cluster["Jobs"][1]["JobStatus"], "SUCCEEDED");
    assert!(cluster["Jobs"][1]["LogPath"].as_str().unwrap().starts_with("ks3://logs/nightly/"));
    assert_eq!(cluster["ReleaseTime"], "2026-01-01T00:30:00Z");
    assert_eq!(cluster["StateChangeReason"]["Code"], "AllJobsFinished");
    assert_eq!(cluster["ServingMinutes"], 22);
    // A released cluster no longer counts against the quota, but its record stays.
    assert_eq!(s.ok("ListClusters", json!({ "ClusterStatus": "released" }))["Total"], 1);
}

#[test]
fn a_failing_job_is_recorded_and_the_cluster_still_releases() {
    let mut s = Sandbox::new();
    let mut body = transient();
    body["Jobs"][0]["JobArgs"] = json!(["--simulate-failure"]);
    let id = s.ok("LaunchCluster", body)["ClusterId"].as_str().unwrap().to_string();
    s.pass(60);
    let cluster = s.describe(&id);
    assert_eq!(cluster["Jobs"][0]["JobStatus"], "FAILED");
    assert_eq!(cluster["Jobs"][1]["JobStatus"], "SUCCEEDED");
    assert_eq!(cluster["ClusterStatus"], "released");
    assert!(cluster["StateChangeReason"]["Message"].as_str().unwrap().contains("1 of 2 jobs failed"));
}

#[test]
fn scaling_is_one_group_and_one_operation_at_a_time_and_takes_time() {
    let mut s = Sandbox::new();
    let id = s.ok("LaunchCluster", persistent(3))["ClusterId"].as_str().unwrap().to_string();
    let core = |n| json!({ "ClusterId": id, "InstanceGroups": [{ "InstanceGroupType": "CORE", "InstanceCount": n }] });
    assert_eq!(s.err("ScaleOutInstanceGroups", core(2)).code, "InvalidClusterStatus", "not running yet");
    s.pass(8);
    s.ok("ScaleOutInstanceGroups", core(2));
    assert_eq!(s.status(&id), "scaling-out");
    let busy = s.err("ScaleOutInstanceGroups", core(1));
    assert_eq!((busy.status, busy.code.as_str()), (409, "ClusterBusy"));
    assert_eq!(s.err("ScaleInInstanceGroups", core(1)).code, "ClusterBusy");
    s.pass(5);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "running");
    assert_eq!(group(&cluster, "CORE")["InstanceCount"], 5);
    let ids: Vec<String> =
        group(&cluster, "CORE")["InstanceIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
    assert_eq!(ids.len(), 5);

    let master = json!({ "ClusterId": id, "InstanceGroups": [{ "InstanceGroupType": "MASTER", "InstanceCount": 1 }] });
    assert!(s.err("ScaleOutInstanceGroups", master).message.contains("master"));
    let two = json!({ "ClusterId": id, "InstanceGroups": [
        { "InstanceGroupType": "CORE", "InstanceCount": 1 }, { "InstanceGroupType": "TASK", "InstanceCount": 1 } ] });
    assert!(s.err("ScaleOutInstanceGroups", two).message.contains("one instance group"));

    let victims = json!({ "ClusterId": id, "GracefulScaleIn": true, "GracefulScaleInTimeout": 60, "InstanceGroups": [{
        "InstanceGroupType": "CORE", "Instances": [{ "InstanceId": ids[3] }, { "InstanceId": ids[4] }] }] });
    s.ok("ScaleInInstanceGroups", victims);
    assert_eq!(s.status(&id), "scaling-in");
    s.pass(5);
    assert_eq!(s.status(&id), "scaling-in", "graceful decommission adds its timeout");
    s.pass(1);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "running");
    assert_eq!(group(&cluster, "CORE")["InstanceIds"], json!(ids[..3]));
    let all = json!({ "ClusterId": id, "InstanceGroups": [{ "InstanceGroupType": "CORE", "InstanceCount": 3 }] });
    assert!(s.err("ScaleInInstanceGroups", all).message.contains("at least 1"));
}

#[test]
fn terminate_releases_after_a_while_and_twice_is_once() {
    let mut s = Sandbox::new();
    let id = s.ok("LaunchCluster", persistent(3))["ClusterId"].as_str().unwrap().to_string();
    s.pass(10);
    s.ok("TerminateCluster", json!({ "ClusterId": id }));
    assert_eq!(s.status(&id), "terminating");
    s.ok("TerminateCluster", json!({ "ClusterId": id }));
    s.pass(2);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "terminated");
    assert_eq!(cluster["StateChangeReason"]["Code"], "UserRequest");
    let sg = s.tables.get(vpc::SECURITY_GROUPS, cluster["SecurityGroupId"].as_str().unwrap()).unwrap();
    assert_eq!(sg["UsedBy"], json!([]), "a released cluster no longer holds the KSCKMR group");
    let subnet = s.tables.get(vpc::SUBNETS, cluster["SubnetId"].as_str().unwrap()).unwrap();
    assert_eq!(subnet["UsedBy"], json!([]));
    s.ok("TerminateCluster", json!({ "ClusterId": id }));
}

#[test]
fn quotas_are_per_account_and_named_in_the_error() {
    let mut s = Sandbox::new();
    let e = s.err("LaunchCluster", persistent(250));
    assert_eq!(e.code, "QuotaExceeded.Node", "the default node quota is 200");
    assert_eq!(
        s.err("LaunchCluster", persistent(501)).code,
        "InvalidParameterValue",
        "a core group has at most 500 nodes"
    );
    s.set_quota("clusters", 1);
    s.set_quota("nodes", 10);
    let e = s.err("LaunchCluster", persistent(10));
    assert_eq!(e.code, "QuotaExceeded.Node");
    assert!(e.message.contains("quota `nodes`"), "{}", e.message);
    let id = s.ok("LaunchCluster", persistent(3))["ClusterId"].as_str().unwrap().to_string();
    assert_eq!(s.err("LaunchCluster", persistent(3)).code, "QuotaExceeded.Cluster");
    // Another account has its own quota and does not see this account's clusters.
    s.account = "acct-2".into();
    s.network();
    s.ok("LaunchCluster", persistent(3));
    assert_eq!(s.err("DescribeCluster", json!({ "ClusterId": id })).code, "ClusterNotFound");
    s.account = "acct-1".into();
    s.pass(8);
    let out = json!({ "ClusterId": id, "InstanceGroups": [{ "InstanceGroupType": "CORE", "InstanceCount": 7 }] });
    assert_eq!(s.err("ScaleOutInstanceGroups", out).code, "QuotaExceeded.Node");
    s.ok("TerminateCluster", json!({ "ClusterId": id }));
    s.pass(2);
    s.ok("LaunchCluster", persistent(3));
}

#[test]
fn a_trial_converts_in_place_or_is_deleted_after_seven_days() {
    let mut s = Sandbox::new();
    let mut trial = persistent(3);
    trial["ChargeType"] = json!("Trial");
    s.set_quota("trial_clusters", 1);
    let kept = s.ok("LaunchCluster", trial.clone())["ClusterId"].as_str().unwrap().to_string();
    assert_eq!(s.err("LaunchCluster", trial.clone()).code, "QuotaExceeded.TrialCluster");
    s.pass(60);
    s.ok("ConvertTrialCluster", json!({ "ClusterId": kept, "ChargeType": "Monthly" }));
    let cluster = s.describe(&kept);
    assert_eq!((cluster["ChargeType"].as_str(), cluster["ClusterStatus"].as_str()), (Some("Monthly"), Some("running")));
    // The trial's end gives way to the month bought.
    let converted: chrono::DateTime<chrono::Utc> = serde_json::from_value(cluster["ConvertedTime"].clone()).unwrap();
    assert_eq!(cluster["ExpireTime"], json!(converted.checked_add_months(chrono::Months::new(1)).unwrap()));
    assert_eq!(cluster["PurchaseTime"], 1);
    assert_eq!(
        s.err("ConvertTrialCluster", json!({ "ClusterId": kept, "ChargeType": "Trial" })).code,
        "InvalidParameterValue"
    );

    // The trial quota is free again: a second trial, never converted.
    let lapsed = s.ok("LaunchCluster", trial)["ClusterId"].as_str().unwrap().to_string();
    let created = s.now;
    s.pass(7 * 24 * 60 - 1);
    assert_eq!(s.status(&lapsed), "running");
    s.pass(1);
    let cluster = s.describe(&lapsed);
    assert_eq!(cluster["ClusterStatus"], "terminated");
    assert_eq!(cluster["StateChangeReason"]["Code"], "TrialExpired");
    assert_eq!(cluster["ReleaseTime"], json!(created + Duration::days(7)));
    assert_eq!(s.status(&kept), "running", "the converted cluster stays");
    assert_eq!(
        s.err("ConvertTrialCluster", json!({ "ClusterId": lapsed, "ChargeType": "Monthly" })).code,
        "InvalidClusterStatus"
    );
}

#[test]
fn a_template_is_made_from_a_spec_or_a_transient_cluster() {
    let mut s = Sandbox::new();
    let mut body = transient_spec();
    body["TemplateName"] = json!("nightly");
    let tpl = s.ok("CreateClusterTemplate", body)["TemplateId"].as_str().unwrap().to_string();
    let described = s.ok("DescribeClusterTemplate", json!({ "TemplateId": tpl }));
    assert_eq!(described["Jobs"].as_array().unwrap().len(), 2);
    assert_eq!(described["Jobs"][0]["JobType"], "SPARK");

    let source = s.ok("LaunchCluster", transient())["ClusterId"].as_str().unwrap().to_string();
    let copy = s.ok("CreateClusterTemplate", json!({ "TemplateName": "copy", "SourceClusterId": source }));
    let copy = s.ok("DescribeClusterTemplate", json!({ "TemplateId": copy["TemplateId"] }));
    assert_eq!(copy["SourceClusterId"], json!(source));
    assert_eq!(copy["LogUri"], "ks3://logs/nightly");
    assert_eq!(copy["Jobs"], described["Jobs"]);
    let persistent_id = s.ok("LaunchCluster", persistent(3))["ClusterId"].clone();
    let e = s.err("CreateClusterTemplate", json!({ "TemplateName": "no", "SourceClusterId": persistent_id }));
    assert!(e.message.contains("not a transient cluster"));

    s.ok("ModifyClusterTemplate", json!({ "TemplateId": tpl, "TemplateName": "renamed" }));
    assert_eq!(s.ok("ListClusterTemplates", json!({}))["Total"], 2);
    s.ok(
        "CreateExecutionPlan",
        json!({ "ExecutionPlanName": "p", "TemplateId": tpl, "Strategy": "once", "Enabled": false }),
    );
    assert_eq!(s.err("DeleteClusterTemplate", json!({ "TemplateId": tpl })).code, "TemplateInUse");
}

fn nightly_plan(s: &mut Sandbox) -> (String, String) {
    let mut body = transient_spec();
    body["TemplateName"] = json!("nightly");
    let tpl = s.ok("CreateClusterTemplate", body)["TemplateId"].as_str().unwrap().to_string();
    let plan = s.ok(
        "CreateExecutionPlan",
        json!({
            "ExecutionPlanName": "nightly",
            "TemplateId": tpl,
            "Strategy": "schedule",
            "CronExpression": "0 2 * * *",
            "TimeZone": "Asia/Shanghai",
        }),
    );
    (tpl, plan["ExecutionPlanId"].as_str().unwrap().to_string())
}

#[test]
fn an_execution_plan_fires_on_schedule_and_each_run_leaves_a_released_cluster() {
    let mut s = Sandbox::new();
    let (_, plan) = nightly_plan(&mut s);
    let described = s.ok("DescribeExecutionPlan", json!({ "ExecutionPlanId": plan }));
    // 02:00 in Shanghai is 18:00 UTC the day before.
    assert_eq!(described["NextRunTime"], "2026-01-01T18:00:00Z");
    assert!(described["LastRun"].is_null());
    // Three days pass unobserved.
    s.pass(3 * 24 * 60);
    let runs = s.ok("ListExecutionPlanRuns", json!({ "ExecutionPlanId": plan }));
    assert_eq!(runs["Total"], 3, "{runs:#}");
    let scheduled: Vec<&str> =
        runs["Runs"].as_array().unwrap().iter().map(|r| r["ScheduledTime"].as_str().unwrap()).collect();
    assert_eq!(scheduled, ["2026-01-01T18:00:00Z", "2026-01-02T18:00:00Z", "2026-01-03T18:00:00Z"]);
    for run in runs["Runs"].as_array().unwrap() {
        assert_eq!(run["RunStatus"], "SUCCEEDED", "{run:#}");
        let cluster = s.describe(run["ClusterId"].as_str().unwrap());
        assert_eq!(cluster["ClusterStatus"], "released");
        assert_eq!(cluster["ClusterType"], "transient");
        assert_eq!(cluster["ExecutionPlanId"], json!(plan));
        assert_eq!(cluster["CreateTime"], run["ScheduledTime"]);
        assert_eq!(run["FinishTime"], cluster["ReleaseTime"]);
    }
    let first = &runs["Runs"][0]["ClusterId"];
    assert!(s.describe(first.as_str().unwrap())["ClusterName"].as_str().unwrap().starts_with("nightly-20260102"));
    let described = s.ok("DescribeExecutionPlan", json!({ "ExecutionPlanId": plan }));
    assert_eq!(described["RunCount"], 3);
    assert_eq!(described["LastRun"]["ScheduledTime"], "2026-01-03T18:00:00Z");
    assert_eq!(described["NextRunTime"], "2026-01-04T18:00:00Z");
    let objects = s.inspect();
    let released = objects.iter().filter(|o| o.kind == "cluster" && o.state == "released").count();
    assert_eq!(released, 3);
    assert_eq!(objects.iter().filter(|o| o.kind == "execution_plan_run").count(), 3);
}

#[test]
fn a_disabled_plan_does_not_fire_and_does_not_catch_up_when_enabled() {
    let mut s = Sandbox::new();
    let (_, plan) = nightly_plan(&mut s);
    s.ok("ModifyExecutionPlan", json!({ "ExecutionPlanId": plan, "Enabled": false }));
    s.pass(2 * 24 * 60);
    let described = s.ok("DescribeExecutionPlan", json!({ "ExecutionPlanId": plan }));
    assert_eq!(described["RunCount"], 0);
    assert!(described["NextRunTime"].is_null());
    s.ok("ModifyExecutionPlan", json!({ "ExecutionPlanId": plan, "Enabled": true }));
    s.pass(24 * 60);
    assert_eq!(s.ok("ListExecutionPlanRuns", json!({ "ExecutionPlanId": plan }))["Total"], 1);
    let bad = s.err("ModifyExecutionPlan", json!({ "ExecutionPlanId": plan, "CronExpression": "every night" }));
    assert_eq!(bad.code, "InvalidParameterValue");
    let bad = s.err("ModifyExecutionPlan", json!({ "ExecutionPlanId": plan, "TimeZone": "Mars/Olympus" }));
    assert!(bad.message.contains("time zone"));
}

#[test]
fn a_once_plan_fires_once_and_a_run_over_quota_fails_with_the_quota_named() {
    let mut s = Sandbox::new();
    let (tpl, _) = nightly_plan(&mut s);
    s.set_quota("clusters", 1);
    let start = s.now + Duration::hours(1);
    let once = s.ok(
        "CreateExecutionPlan",
        json!({ "ExecutionPlanName": "adhoc", "TemplateId": tpl, "Strategy": "once", "StartTime": start }),
    )["ExecutionPlanId"]
        .as_str()
        .unwrap()
        .to_string();
    s.pass(2 * 24 * 60);
    let runs = s.ok("ListExecutionPlanRuns", json!({ "ExecutionPlanId": once }));
    assert_eq!(runs["Total"], 1);
    assert_eq!(runs["Runs"][0]["ScheduledTime"], json!(start));
    assert_eq!(runs["Runs"][0]["RunStatus"], "SUCCEEDED");
    assert!(s.ok("DescribeExecutionPlan", json!({ "ExecutionPlanId": once }))["NextRunTime"].is_null());

    // A persistent cluster takes the only cluster slot: the next nightly run cannot launch.
    s.ok("LaunchCluster", persistent(3));
    s.pass(24 * 60);
    let plans = s.ok("ListExecutionPlans", json!({}));
    let nightly =
        plans["ExecutionPlans"].as_array().unwrap().iter().find(|p| p["ExecutionPlanName"] == "nightly").unwrap();
    assert_eq!(nightly["LastRun"]["RunStatus"], "FAILED");
    assert!(nightly["LastRun"]["Message"].as_str().unwrap().contains("QuotaExceeded.Cluster"));
}

#[test]
fn a_yearly_term_is_sold_in_whole_years_and_ends_the_cluster_unrenewed() {
    let mut s = Sandbox::new();
    let mut yearly = persistent(3);
    yearly["ChargeType"] = json!("Yearly");
    yearly["PurchaseTime"] = json!(4);
    assert!(s.err("LaunchCluster", yearly.clone()).message.contains("a Yearly term is 1–3 years, not 4"));
    yearly["PurchaseTime"] = json!(2);
    let id = s.ok("LaunchCluster", yearly)["ClusterId"].as_str().unwrap().to_string();
    let created = s.now;
    let cluster = s.describe(&id);
    assert_eq!(cluster["ExpireTime"], json!(created.checked_add_months(chrono::Months::new(24)).unwrap()));
    let mut on_demand = persistent(3);
    on_demand["PurchaseTime"] = json!(1);
    assert!(s.err("LaunchCluster", on_demand).message.contains("buys no term"));
    s.pass(2 * 366 * 24 * 60);
    let cluster = s.describe(&id);
    assert_eq!(cluster["ClusterStatus"], "terminated");
    assert_eq!(cluster["StateChangeReason"]["Code"], "SubscriptionExpired");
}

#[test]
fn jobs_run_on_a_persistent_cluster_once_per_client_token_and_a_transient_one_takes_none() {
    let mut s = Sandbox::new();
    let id = s.ok("LaunchCluster", persistent(3))["ClusterId"].as_str().unwrap().to_string();
    let job = json!({ "ClusterId": id, "JobName": "etl", "JobType": "SPARK", "ClientToken": "t-1" });
    assert_eq!(s.err("SubmitJob", job.clone()).code, "InvalidClusterStatus");
    s.pass(8);
    let first = s.ok("SubmitJob", job.clone())["JobId"].as_str().unwrap().to_string();
    assert_eq!(s.ok("SubmitJob", job)["JobId"], first, "the same token, the same job");
    s.pass(11);
    assert_eq!(s.ok("DescribeJob", json!({ "JobId": first }))["JobStatus"], "SUCCEEDED");
    let failing = json!({ "ClusterId": id, "JobName": "bad", "JobType": "HIVE", "JobArgs": ["--simulate-failure"] });
    let bad = s.ok("SubmitJob", failing)["JobId"].as_str().unwrap().to_string();
    s.pass(1);
    assert_eq!(s.ok("DescribeJob", json!({ "JobId": bad }))["JobStatus"], "RUNNING");
    assert_eq!(s.ok("CancelJob", json!({ "JobId": bad }))["JobStatus"], "CANCELLED");
    let listed = s.ok("ListJobs", json!({ "ClientToken": "t-1" }));
    assert_eq!(listed["Jobs"].as_array().map(Vec::len), Some(1));
    let mut transient = persistent(3);
    transient["ClusterType"] = json!("transient");
    transient["LogUri"] = json!("ks3://logs/t");
    transient["Jobs"] = json!([{ "JobName": "own", "JobType": "SPARK" }]);
    let t = s.ok("LaunchCluster", transient)["ClusterId"].as_str().unwrap().to_string();
    s.pass(8);
    let refused = s.err("SubmitJob", json!({ "ClusterId": t, "JobName": "x", "JobType": "SPARK" }));
    assert_eq!(refused.code, "InvalidClusterType");
}
