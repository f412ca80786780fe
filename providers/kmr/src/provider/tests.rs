//! The networking resources end to end in process: provider → signed HTTP → sandbox.

use std::net::SocketAddr;
use std::path::Path;

use corral_core::provider::{
    ApplyRequest, ConfigureRequest, FindCreatedRequest, PlanRequest, Provider, ProviderFactory, ReadDataRequest,
    ReadRequest, ValidateResourceRequest,
};
use corral_core::value::{Type, Value};
use corral_provider_sdk::emulator::ObjectView;
use corral_sandbox::{Faults, SandboxOptions};

use super::*;
use crate::support;

fn cfg(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(text: &str) -> Value {
    Value::string(text)
}

/// A provider on the embedded sandbox of `data_dir` (no endpoint configured).
async fn embedded(data_dir: &Path) -> Arc<dyn Provider> {
    let provider = KmrFactory::new().instantiate();
    let response =
        provider.configure(ConfigureRequest { config: empty_config(), data_dir: data_dir.to_path_buf() }).await;
    assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
    provider
}

/// A provider on an explicit endpoint with the sandbox's keys.
async fn remote(endpoint: &str, data_dir: &Path) -> Arc<dyn Provider> {
    let provider = KmrFactory::new().instantiate();
    let mut config = empty_config();
    if let Value::Object(attrs) = &mut config {
        attrs.insert("endpoint".into(), s(endpoint));
        attrs.insert("access_key".into(), s(corral_sandbox::DEFAULT_ACCESS_KEY));
        attrs.insert("secret_key".into(), s(corral_sandbox::DEFAULT_SECRET_KEY));
        attrs.insert("max_retries".into(), Value::int(15));
    }
    let response = provider.configure(ConfigureRequest { config, data_dir: data_dir.to_path_buf() }).await;
    assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
    provider
}

async fn plan(p: &Arc<dyn Provider>, type_name: &str, prior: Option<Value>, config: Value) -> PlanResponse {
    let schema = p.schema().resources[type_name].clone();
    let mut proposed = corral_provider_sdk::plan::attributes(&config, &schema.block);
    if let Some(prior) = &prior {
        // Computed attributes come from the prior state, as the engine proposes them.
        for (name, attribute) in &schema.block.attributes {
            if attribute.computed && proposed.get(name).is_none_or(Value::is_null) {
                proposed.insert(name.clone(), prior.get_attr(name).cloned().unwrap_or(Value::null()));
            }
        }
    }
    p.plan(PlanRequest {
        type_name: type_name.to_string(),
        prior_state: prior,
        proposed_new_state: Value::Object(proposed),
        config,
        prior_private: None,
    })
    .await
}

async fn create_with_token(
    p: &Arc<dyn Provider>,
    type_name: &str,
    config: Value,
    token: &str,
) -> Result<Value, Diagnostics> {
    let planned = plan(p, type_name, None, config.clone()).await;
    if planned.diagnostics.has_errors() {
        return Err(planned.diagnostics);
    }
    let applied = p
        .apply(ApplyRequest {
            type_name: type_name.to_string(),
            prior_state: None,
            planned_state: planned.planned_state,
            config,
            planned_private: None,
            idempotency_token: token.to_string(),
            progress: Default::default(),
        })
        .await;
    if applied.diagnostics.has_errors() {
        return Err(applied.diagnostics);
    }
    Ok(applied.new_state.expect("a created state"))
}

async fn create(p: &Arc<dyn Provider>, type_name: &str, config: Value) -> Value {
    create_with_token(p, type_name, config, &uuid::Uuid::new_v4().to_string()).await.unwrap_or_else(|d| panic!("{d:?}"))
}

async fn read(p: &Arc<dyn Provider>, type_name: &str, state: &Value) -> Option<Value> {
    let response =
        p.read(ReadRequest { type_name: type_name.into(), current_state: state.clone(), private: None }).await;
    assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
    response.new_state
}

async fn update(p: &Arc<dyn Provider>, type_name: &str, prior: &Value, config: Value) -> (PlanResponse, Option<Value>) {
    let planned = plan(p, type_name, Some(prior.clone()), config.clone()).await;
    if !planned.requires_replace.is_empty() {
        return (planned, None);
    }
    let applied = p
        .apply(ApplyRequest {
            type_name: type_name.into(),
            prior_state: Some(prior.clone()),
            planned_state: planned.planned_state.clone(),
            config,
            planned_private: None,
            idempotency_token: String::new(),
            progress: Default::default(),
        })
        .await;
    assert!(!applied.diagnostics.has_errors(), "{:?}", applied.diagnostics);
    (planned, applied.new_state)
}

async fn delete(p: &Arc<dyn Provider>, type_name: &str, prior: &Value) -> Diagnostics {
    p.apply(ApplyRequest {
        type_name: type_name.into(),
        prior_state: Some(prior.clone()),
        planned_state: None,
        config: Value::null(),
        planned_private: None,
        idempotency_token: String::new(),
        progress: Default::default(),
    })
    .await
    .diagnostics
}

fn id(state: &Value) -> String {
    support::get_str(state, "id").expect("an id")
}

fn ssh_rule(group_id: &str, cidr: &str) -> Value {
    cfg(&[
        ("security_group_id", s(group_id)),
        ("direction", s("ingress")),
        ("protocol", s("tcp")),
        ("cidrs", Value::List(Type::String, vec![s(cidr)])),
        ("port_from", Value::int(22)),
        ("port_to", Value::int(22)),
    ])
}

fn text(d: &Diagnostics) -> String {
    d.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn vpc_create_read_update_replace_delete() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let planned = plan(&p, "kmr_vpc", None, cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let planned_state = planned.planned_state.unwrap();
    assert!(!planned_state.get_attr("id").unwrap().is_known(), "the id is unknown until apply");
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16")), ("name", s("main"))])).await;
    assert!(id(&vpc).starts_with("vpc-"));
    assert_eq!(read(&p, "kmr_vpc", &vpc).await.as_ref(), Some(&vpc));
    // Name in place.
    let (planned, renamed) =
        update(&p, "kmr_vpc", &vpc, cfg(&[("cidr_block", s("10.0.0.0/16")), ("name", s("renamed"))])).await;
    assert!(planned.requires_replace.is_empty());
    let renamed = renamed.unwrap();
    assert_eq!(support::get_str(&renamed, "name").as_deref(), Some("renamed"));
    assert_eq!(id(&renamed), id(&vpc));
    // No change planned when the name is left unset (the service's value is kept).
    let unchanged = plan(&p, "kmr_vpc", Some(renamed.clone()), cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    assert_eq!(unchanged.planned_state.as_ref(), Some(&renamed));
    // CIDR forces replacement.
    let replaced = plan(&p, "kmr_vpc", Some(renamed.clone()), cfg(&[("cidr_block", s("10.9.0.0/16"))])).await;
    assert_eq!(replaced.requires_replace, vec![corral_core::value::Path::attr("cidr_block")]);
    assert!(!replaced.planned_state.unwrap().get_attr("id").unwrap().is_known());
    // Delete; gone afterwards; deleting again is fine.
    assert!(!delete(&p, "kmr_vpc", &renamed).await.has_errors());
    assert_eq!(read(&p, "kmr_vpc", &renamed).await, None);
    assert!(!delete(&p, "kmr_vpc", &renamed).await.has_errors());
}

#[tokio::test]
async fn subnet_deleted_outside_corral_reads_as_gone_and_vpc_with_subnets_cannot_go() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let subnet =
        create(&p, "kmr_subnet", cfg(&[("vpc_id", s(&id(&vpc))), ("cidr_block", s("10.0.1.0/24")), ("name", s("a"))]))
            .await;
    assert_eq!(support::get_str(&subnet, "gateway_ip").as_deref(), Some("10.0.1.1"));
    assert_eq!(support::get_str(&subnet, "subnet_type").as_deref(), Some("Normal"));
    let refused = delete(&p, "kmr_vpc", &vpc).await;
    assert!(text(&refused).contains("DependencyViolation.Subnet"), "{}", text(&refused));
    // Deleted behind Corral's back.
    let subnet_id = id(&subnet);
    corral_sandbox::testing::delete_subnet(&dir.path().join("sandbox"), &subnet_id).unwrap();
    assert_eq!(read(&p, "kmr_subnet", &subnet).await, None);
    assert!(!delete(&p, "kmr_vpc", &vpc).await.has_errors());
}

#[tokio::test]
async fn ksckmr_is_read_by_data_source_and_takes_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let lookup = ReadDataRequest {
        type_name: "kmr_security_group".into(),
        config: cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("KSCKMR"))]),
    };
    let missing = p.read_data(lookup.clone()).await;
    assert!(text(&missing.diagnostics).contains("first cluster"), "{}", text(&missing.diagnostics));
    // The first cluster in the VPC: the KMR service makes the group.
    let vpc_id = id(&vpc);
    let made = corral_sandbox::testing::make_kmr_group(&dir.path().join("sandbox"), &vpc_id, "ksc-1").unwrap();
    let found = p.read_data(lookup).await;
    assert!(!found.diagnostics.has_errors(), "{}", text(&found.diagnostics));
    let group = found.state.unwrap();
    assert_eq!(id(&group), made);
    assert_eq!(group.get_attr("managed"), Some(&Value::Bool(true)));
    // SSH from the office onto the cluster.
    let rule = create(&p, "kmr_security_group_rule", ssh_rule(&made, "203.0.113.0/24")).await;
    assert!(id(&rule).starts_with("sgr-"));
    assert_eq!(read(&p, "kmr_security_group_rule", &rule).await.as_ref(), Some(&rule));
    // The group's own rule (the VPC's hosts reach the nodes) is already there: a duplicate.
    let own = cfg(&[
        ("security_group_id", s(&made)),
        ("direction", s("ingress")),
        ("protocol", s("ip")),
        ("cidrs", Value::List(Type::String, vec![s("10.0.0.0/16")])),
    ]);
    let planned = plan(&p, "kmr_security_group_rule", None, own).await;
    assert!(text(&planned.diagnostics).contains("already has this rule"), "{}", text(&planned.diagnostics));
    // A managed group is never deleted by Corral, even if it was imported as a resource.
    let forgotten = delete(&p, "kmr_security_group", &group).await;
    assert!(!forgotten.has_errors());
    let still = p
        .read(ReadRequest { type_name: "kmr_security_group".into(), current_state: group.clone(), private: None })
        .await;
    assert!(still.new_state.is_some());
}

#[tokio::test]
async fn duplicate_rules_are_refused_at_plan_and_by_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let group = create(&p, "kmr_security_group", cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("web"))])).await;
    assert_eq!(support::get_str(&group, "description").as_deref(), Some(""));
    // Two rules with one identity in one plan are the engine's to refuse (the schema
    // declares the identity; tests/it/kmr_rules.rs).
    let schema = p.schema();
    let identity = schema.resources["kmr_security_group_rule"].block.identity.clone().unwrap();
    assert_eq!(identity.each_of.as_deref(), Some("cidrs"));
    // Made once; the API refuses a second one that skipped the plan check.
    let rule = create(&p, "kmr_security_group_rule", ssh_rule(&id(&group), "0.0.0.0/0")).await;
    let again = p
        .apply(ApplyRequest {
            type_name: "kmr_security_group_rule".into(),
            prior_state: None,
            planned_state: Some(rule.clone()),
            config: ssh_rule(&id(&group), "0.0.0.0/0"),
            planned_private: None,
            idempotency_token: "another".into(),
            progress: Default::default(),
        })
        .await;
    assert!(text(&again.diagnostics).contains("SecurityGroupEntry.Duplicate"), "{}", text(&again.diagnostics));
    // Description in place.
    let mut config = ssh_rule(&id(&group), "0.0.0.0/0");
    if let Value::Object(a) = &mut config {
        a.insert("description".into(), s("ssh from anywhere"));
    }
    let (planned, updated) = update(&p, "kmr_security_group_rule", &rule, config).await;
    assert!(planned.requires_replace.is_empty());
    assert_eq!(support::get_str(&updated.unwrap(), "description").as_deref(), Some("ssh from anywhere"));
    // Another port replaces.
    let mut other = ssh_rule(&id(&group), "0.0.0.0/0");
    if let Value::Object(a) = &mut other {
        a.insert("port_to".into(), Value::int(23));
    }
    let replaced = plan(&p, "kmr_security_group_rule", Some(rule), other).await;
    assert_eq!(replaced.requires_replace, vec![corral_core::value::Path::attr("port_to")]);
}

fn with_cidrs(mut rule: Value, cidrs: &[&str]) -> Value {
    if let Value::Object(a) = &mut rule {
        a.insert("cidrs".into(), Value::List(Type::String, cidrs.iter().map(|c| s(c)).collect()));
    }
    rule
}

fn entry_ids(state: &Value) -> Vec<(String, String)> {
    state
        .get_attr("entry_ids")
        .and_then(Value::as_entries)
        .unwrap()
        .iter()
        .map(|(c, i)| (c.clone(), i.as_str().unwrap().to_string()))
        .collect()
}

fn entry_cidrs(dir: &Path, group: &str) -> Vec<String> {
    let views = corral_sandbox::inspect_with(&dir.join("sandbox"), &SandboxOptions::default()).unwrap();
    let mut cidrs: Vec<String> = views
        .iter()
        .filter(|v| v.kind == "security_group_entry" && v.attributes["SecurityGroupId"] == group)
        .map(|v| v.attributes["CidrBlock"].as_str().unwrap().to_string())
        .collect();
    cidrs.sort();
    cidrs
}

#[tokio::test]
async fn a_rule_adds_and_revokes_its_cidrs_in_place_one_entry_each() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let group = id(&create(&p, "kmr_security_group", cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("web"))])).await);
    let two = with_cidrs(ssh_rule(&group, ""), &["10.1.0.0/16", "10.2.0.0/16"]);
    let rule = create(&p, "kmr_security_group_rule", two).await;
    assert_eq!(entry_cidrs(dir.path(), &group), ["10.1.0.0/16", "10.2.0.0/16"]);
    let first = entry_ids(&rule);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|(_, i)| i.starts_with("sge-")), "{first:?}");
    assert_eq!(read(&p, "kmr_security_group_rule", &rule).await.as_ref(), Some(&rule));

    // One CIDR out, one in: an update that keeps the untouched entry.
    let swapped = with_cidrs(ssh_rule(&group, ""), &["10.2.0.0/16", "10.3.0.0/16"]);
    let (planned, updated) = update(&p, "kmr_security_group_rule", &rule, swapped).await;
    assert!(planned.requires_replace.is_empty());
    let planned_ids =
        planned.planned_state.unwrap().get_attr("entry_ids").and_then(Value::as_entries).cloned().unwrap();
    assert_eq!(planned_ids["10.2.0.0/16"].as_str(), Some(first[1].1.as_str()), "a kept CIDR keeps its entry");
    assert!(!planned_ids["10.3.0.0/16"].is_known());
    let updated = updated.unwrap();
    assert_eq!(id(&updated), id(&rule));
    assert_eq!(entry_cidrs(dir.path(), &group), ["10.2.0.0/16", "10.3.0.0/16"]);
    let now = entry_ids(&updated);
    assert_eq!(now[0], first[1], "the kept CIDR keeps its entry");
    assert_eq!(read(&p, "kmr_security_group_rule", &updated).await.as_ref(), Some(&updated));

    // A CIDR listed twice, or already in the group: refused at plan.
    let twice = with_cidrs(ssh_rule(&group, ""), &["10.4.0.0/16", "10.4.0.0/16"]);
    let refused = p.validate_resource(ValidateResourceRequest { type_name: TYPE.into(), config: twice }).diagnostics;
    assert!(text(&refused).contains("lists 10.4.0.0/16 twice"), "{}", text(&refused));
    let fresh = KmrFactory::new().instantiate();
    fresh.configure(ConfigureRequest { config: empty_config(), data_dir: dir.path().to_path_buf() }).await;
    let a = plan(&fresh, TYPE, None, with_cidrs(ssh_rule(&group, ""), &["10.5.0.0/16", "10.6.0.0/16"])).await;
    assert!(!a.diagnostics.has_errors(), "{}", text(&a.diagnostics));
    let c = plan(&fresh, TYPE, None, with_cidrs(ssh_rule(&group, ""), &["10.3.0.0/16"])).await;
    assert!(text(&c.diagnostics).contains(&format!("already has this rule as entry {}", now[1].1)));

    // An entry revoked behind Corral's back drops out of the state: the plan adds it again.
    let revoked = now[1].1.clone();
    corral_sandbox::testing::revoke_security_group_entry(&dir.path().join("sandbox"), &revoked).unwrap();
    let drifted = read(&p, "kmr_security_group_rule", &updated).await.unwrap();
    assert_eq!(entry_ids(&drifted), [now[0].clone()]);
    // Every entry gone: the rule is gone.
    assert!(!delete(&p, TYPE, &drifted).await.has_errors());
    assert_eq!(read(&p, "kmr_security_group_rule", &drifted).await, None);
    assert!(entry_cidrs(dir.path(), &group).is_empty());
}

#[tokio::test]
async fn a_create_stopped_half_way_is_adopted_with_the_entries_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))])).await;
    let group = id(&create(&p, "kmr_security_group", cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("web"))])).await);
    // The second entry already exists (made outside this rule): the create stops there.
    create(&p, TYPE, with_cidrs(ssh_rule(&group, ""), &["10.2.0.0/16"])).await;
    let config = with_cidrs(ssh_rule(&group, ""), &["10.1.0.0/16", "10.2.0.0/16"]);
    let planned = plan(&p, TYPE, None, config.clone()).await.planned_state;
    let stopped = p
        .apply(ApplyRequest {
            type_name: TYPE.into(),
            prior_state: None,
            planned_state: planned.clone(),
            config,
            planned_private: None,
            idempotency_token: "half-way".into(),
            progress: Default::default(),
        })
        .await;
    assert!(text(&stopped.diagnostics).contains("SecurityGroupEntry.Duplicate"), "{}", text(&stopped.diagnostics));
    assert_eq!(stopped.new_state, None, "the intent stays; find_created settles it");
    let found = p
        .find_created(FindCreatedRequest {
            type_name: TYPE.into(),
            idempotency_token: "half-way".into(),
            planned_state: planned,
        })
        .await
        .state
        .unwrap();
    assert_eq!(cidrs(&found), ["10.1.0.0/16"]);
    assert_eq!(read(&p, TYPE, &found).await.as_ref(), Some(&found));
}

fn cidrs(state: &Value) -> Vec<String> {
    state.get_attr("cidrs").and_then(Value::as_seq).unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

const TYPE: &str = "kmr_security_group_rule";

#[tokio::test]
async fn find_created_adopts_what_an_interrupted_create_made() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    let vpc = create_with_token(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))]), "token-vpc").await.unwrap();
    let group =
        create_with_token(&p, "kmr_security_group", cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("g"))]), "token-g")
            .await
            .unwrap();
    let rule = create_with_token(&p, "kmr_security_group_rule", ssh_rule(&id(&group), "10.1.0.0/16"), "token-r")
        .await
        .unwrap();
    for (type_name, token, expected) in [
        ("kmr_vpc", "token-vpc", &vpc),
        ("kmr_security_group", "token-g", &group),
        ("kmr_security_group_rule", "token-r", &rule),
    ] {
        let found = p
            .find_created(FindCreatedRequest {
                type_name: type_name.into(),
                idempotency_token: token.into(),
                planned_state: None,
            })
            .await;
        assert_eq!(found.state.as_ref(), Some(expected), "{type_name}");
        let none = p
            .find_created(FindCreatedRequest {
                type_name: type_name.into(),
                idempotency_token: "never".into(),
                planned_state: None,
            })
            .await;
        assert_eq!(none.state, None, "{type_name}");
    }
    // A create repeated with the same token returns the first object.
    let again = create_with_token(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))]), "token-vpc").await.unwrap();
    assert_eq!(id(&again), id(&vpc));
}

#[tokio::test]
async fn over_quota_names_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let p = embedded(dir.path()).await;
    corral_sandbox::set_quota(&dir.path().join("sandbox"), corral_sandbox::DEFAULT_ACCOUNT, "vpcs", 0).unwrap();
    let err = create_with_token(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/16"))]), "t").await.unwrap_err();
    let message = text(&err);
    assert!(
        message.contains("QuotaExceeded.Vpc") && message.contains("`vpcs`") && message.contains("limit is 0"),
        "{message}"
    );
}

#[tokio::test]
async fn validation_catches_bad_rules_and_the_reserved_group_name() {
    let p = KmrFactory::new().instantiate();
    let check = |type_name: &str, config: Value| {
        p.validate_resource(ValidateResourceRequest { type_name: type_name.into(), config }).diagnostics
    };
    let mut no_ports = ssh_rule("sg-1", "0.0.0.0/0");
    if let Value::Object(a) = &mut no_ports {
        a.remove("port_to");
    }
    assert!(text(&check("kmr_security_group_rule", no_ports)).contains("needs `port_to`"));
    let mut ip_with_ports = ssh_rule("sg-1", "0.0.0.0/0");
    if let Value::Object(a) = &mut ip_with_ports {
        a.insert("protocol".into(), s("ip"));
    }
    assert!(text(&check("kmr_security_group_rule", ip_with_ports)).contains("tcp and udp rules only"));
    assert!(text(&check("kmr_security_group_rule", ssh_rule("sg-1", "10.0.0.1/8"))).contains("host bits"));
    let mut sideways = ssh_rule("sg-1", "0.0.0.0/0");
    if let Value::Object(a) = &mut sideways {
        a.insert("direction".into(), s("sideways"));
    }
    assert!(text(&check("kmr_security_group_rule", sideways)).contains("`ingress`, `egress`"));
    assert!(!check("kmr_security_group_rule", ssh_rule("sg-1", "0.0.0.0/0")).has_errors());
    assert!(
        text(&check("kmr_security_group", cfg(&[("vpc_id", s("v")), ("name", s("KSCKMR"))]))).contains("made by KMR")
    );
    assert!(text(&check("kmr_nothing", cfg(&[]))).contains("no resource type"));
}

fn count(views: &[ObjectView], kind: &str) -> usize {
    views.iter().filter(|v| v.kind == kind).count()
}

/// With 20% server errors and 10% throttling, 50 VPCs and 50 rules made concurrently leave
/// exactly one object each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_leave_exactly_one_object_per_resource() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox_dir = dir.path().join("shared");
    let options = SandboxOptions {
        faults: Faults::parse("error_rate=0.2,throttle_rate=0.1").unwrap(),
        ..SandboxOptions::default()
    };
    let sandbox =
        corral_sandbox::start_with(sandbox_dir.clone(), SocketAddr::from(([127, 0, 0, 1], 0)), options).await.unwrap();
    let p = remote(&sandbox.endpoint(), dir.path()).await;
    let vpc = create(&p, "kmr_vpc", cfg(&[("cidr_block", s("10.0.0.0/8"))])).await;
    let group = create(&p, "kmr_security_group", cfg(&[("vpc_id", s(&id(&vpc))), ("name", s("web"))])).await;
    let mut tasks = Vec::new();
    for i in 0..49 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            create(&p, "kmr_vpc", cfg(&[("cidr_block", s(&format!("172.{}.0.0/16", 16 + i % 16)))])).await
        }));
    }
    for i in 0..50 {
        let p = p.clone();
        let mut rule = ssh_rule(&id(&group), "0.0.0.0/0");
        if let Value::Object(a) = &mut rule {
            a.insert("port_from".into(), Value::int(1000 + i));
            a.insert("port_to".into(), Value::int(1000 + i));
        }
        tasks.push(tokio::spawn(async move { create(&p, "kmr_security_group_rule", rule).await }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        ids.insert(id(&task.await.unwrap()));
    }
    assert_eq!(ids.len(), 99);
    let views = corral_sandbox::inspect_with(&sandbox_dir, &SandboxOptions::default()).unwrap();
    assert_eq!(count(&views, "vpc"), 50);
    assert_eq!(count(&views, "security_group_entry"), 50);
    sandbox.shutdown().await;
}

/// A cluster configuration that passes validation, plus `extra`.
fn cluster_config(extra: &[(&str, Value)]) -> Value {
    let mut attrs = vec![
        ("name", s("warehouse")),
        ("version", s("5.3.0")),
        ("vpc_id", s("vpc-1")),
        ("subnet_id", s("subnet-1")),
        ("master_instance_type", s("S6.4XLARGE32")),
        ("core_instance_type", s("S6.4XLARGE32")),
        ("core_count", Value::int(3)),
    ];
    attrs.extend(extra.iter().cloned());
    cfg(&attrs)
}

#[test]
fn the_admin_password_policy_is_checked_at_plan_time_and_never_quoted() {
    let p = KmrFactory::new().instantiate();
    let check = |password: &str| {
        let config = cluster_config(&[("admin_password", s(password).mark_sensitive())]);
        p.validate_resource(ValidateResourceRequest { type_name: "kmr_cluster".into(), config }).diagnostics
    };
    for good in ["Warehouse-2024", "lower.case.42", "UPPER_CASE_99", "Ab1!Ab1!"] {
        assert!(!check(good).has_errors(), "{good}: {}", text(&check(good)));
    }
    let cases = [
        ("Sh0rt!", "8 to 26 characters, not 6"),
        ("Far-Too-Long-Password-12345", "8 to 26 characters, not 27"),
        ("alllowercaseletters", "at least 3 of"),
        ("lowercase123", "at least 3 of"),
        ("With Space 1", "printable ASCII"),
        ("Admin-2024x", "must not contain the user name"),
        ("x-NIMDA-2024", "must not contain the user name"),
    ];
    for (bad, why) in cases {
        let diagnostics = check(bad);
        let errors: Vec<_> = diagnostics.errors().collect();
        assert_eq!(errors.len(), 1, "{bad}: {}", text(&diagnostics));
        assert!(errors[0].summary.contains(why), "{bad}: {}", errors[0].summary);
        assert!(!errors[0].summary.contains(bad), "the password is never quoted: {}", errors[0].summary);
        assert_eq!(errors[0].attribute, Some(corral_core::value::Path::attr("admin_password")));
    }
    let unknown = cluster_config(&[("admin_password", Value::Unknown(Type::String))]);
    let diagnostics = p.validate_resource(ValidateResourceRequest { type_name: "kmr_cluster".into(), config: unknown });
    assert!(!diagnostics.diagnostics.has_errors(), "an unknown password is checked by the service at apply");
}

#[test]
fn configuration_diagnostics_name_their_attribute() {
    use corral_core::value::Path;
    let p = KmrFactory::new().instantiate();
    let attributes = |type_name: &str, config: Value| -> Vec<Option<Path>> {
        let diagnostics = p.validate_resource(ValidateResourceRequest { type_name: type_name.into(), config });
        diagnostics.diagnostics.errors().map(|d| d.attribute.clone()).collect()
    };
    let mut rule = ssh_rule("sg-1", "10.0.0.0/8");
    if let Value::Object(a) = &mut rule {
        a.insert("cidrs".into(), Value::List(Type::String, vec![s("10.0.0.0/8"), s("10.0.0.1/8"), s("10.0.0.0/8")]));
        a.insert("icmp_code".into(), Value::int(0));
    }
    assert_eq!(
        attributes("kmr_security_group_rule", rule),
        vec![Some(Path::attr("cidrs").index(1)), Some(Path::attr("cidrs").index(2)), Some(Path::attr("icmp_code"))]
    );
    let job = Value::object([("name".to_string(), s("etl")), ("type".to_string(), s("pig"))]);
    let cluster = cluster_config(&[("core_count", Value::int(0)), ("job", Value::List(job.ty(), vec![job]))]);
    assert_eq!(
        attributes("kmr_cluster", cluster),
        vec![Some(Path::attr("job").index(0).then("type")), Some(Path::attr("core_count"))]
    );
    let plan = cfg(&[("template_id", s("t")), ("mode", s("schedule")), ("time_zone", s("Mars/Olympus"))]);
    assert_eq!(
        attributes("kmr_execution_plan", plan),
        vec![Some(Path::attr("schedule")), Some(Path::attr("time_zone"))]
    );
    assert_eq!(
        attributes("kmr_subnet", cfg(&[("cidr_block", s("10.0.0.0/33"))])),
        vec![Some(Path::attr("cidr_block"))]
    );
}
