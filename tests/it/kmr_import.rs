//! KMR import acceptance (issue 12): a cluster and an SSH rule made by hand, straight
//! through the sandbox's KMR and VPC APIs (signed HTTP, as any client would call them), are
//! adopted by `import` blocks; `plan -generate-config-out` writes their resource blocks, with
//! which the plan only imports (nothing replaced), and after the apply it is empty.

use std::process::Command;

use corral_api_kmr::cluster::{ClusterIdRequest, ClusterStatusAnswer, LaunchClusterRequest};
use corral_api_kmr::plan::{ExecutionPlanIdAnswer, ExecutionPlanRequest};
use corral_api_kmr::spec::{GroupRequest, JobRequest, SpecRequest};
use corral_api_kmr::template::{CreateClusterTemplateRequest, TemplateIdAnswer};
use corral_api_vpc::security_group::{AuthorizeSecurityGroupEntryAnswer, AuthorizeSecurityGroupEntryRequest};
use corral_api_vpc::subnet::{CreateSubnetRequest, SubnetAnswer};
use corral_api_vpc::vpc::{CreateVpcRequest, VpcAnswer};
use corral_provider_sdk::http::{Client, ClientConfig, Credentials};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::support::{Output, Workdir, copy_dir, fixtures};

/// Sandbox seconds per real second for every process of the test.
const SCALE: f64 = 3600.0;

fn corral(w: &Workdir, args: &[&str]) -> Output {
    let mut command: Command = w.command(args);
    command.env(corral_sandbox::TIME_SCALE_VAR, SCALE.to_string()).env_remove(corral_sandbox::FAULTS_VAR);
    Output::from(command.output().unwrap())
}

fn ok(w: &Workdir, args: &[&str]) -> Output {
    let out = corral(w, args);
    assert_eq!(out.code, 0, "corral {args:?} failed:\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    out
}

/// Signed calls to the sandbox serving the work directory's `.corral/sandbox`.
struct Api {
    kmr: Client,
    vpc: Client,
    runtime: tokio::runtime::Runtime,
}

impl Api {
    fn start(w: &Workdir) -> Api {
        let dir = w.path().join(".corral/sandbox");
        std::fs::create_dir_all(&dir).unwrap();
        let options = corral_sandbox::SandboxOptions { time_scale: SCALE, ..corral_sandbox::SandboxOptions::default() };
        let endpoint = corral_sandbox::start_embedded_with(&dir, options).unwrap();
        let credentials = || Credentials {
            access_key: corral_sandbox::DEFAULT_ACCESS_KEY.to_string(),
            secret_key: corral_sandbox::DEFAULT_SECRET_KEY.to_string(),
        };
        let client = |service: &str| {
            Client::new(ClientConfig::new(&endpoint, corral_provider_kmr::DEFAULT_REGION, service, credentials()))
                .unwrap()
        };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Api { kmr: client(corral_api_kmr::SERVICE), vpc: client(corral_api_vpc::SERVICE), runtime }
    }

    fn call<T: DeserializeOwned>(&self, client: &Client, version: &str, action: &str, body: &impl Serialize) -> T {
        let body = serde_json::to_value(body).unwrap();
        let answer = self.runtime.block_on(client.call(action, version, &body)).unwrap();
        serde_json::from_value(answer).unwrap()
    }

    fn vpc<T: DeserializeOwned>(&self, action: &str, body: &impl Serialize) -> T {
        self.call(&self.vpc, corral_api_vpc::VERSION, action, body)
    }

    fn kmr<T: DeserializeOwned>(&self, action: &str, body: &impl Serialize) -> T {
        self.call(&self.kmr, corral_api_kmr::VERSION, action, body)
    }
}

/// Makes a VPC and a subnet in it: their ids.
fn network_by_hand(api: &Api) -> (String, String) {
    use corral_api_vpc::action as vpc;
    let network: VpcAnswer = api.vpc(
        vpc::CREATE_VPC,
        &CreateVpcRequest {
            cidr_block: Some("172.16.0.0/16".into()),
            vpc_name: Some("by-hand".into()),
            ..Default::default()
        },
    );
    let subnet: SubnetAnswer = api.vpc(
        vpc::CREATE_SUBNET,
        &CreateSubnetRequest {
            vpc_id: Some(network.vpc.vpc_id.clone()),
            cidr_block: Some("172.16.1.0/24".into()),
            ..Default::default()
        },
    );
    (network.vpc.vpc_id, subnet.subnet.subnet_id)
}

/// Makes a VPC, a subnet and a running cluster, and opens SSH in the cluster's security
/// group: the cluster's id and the rule's import id (`GROUP_ID/ENTRY_ID`).
fn made_by_hand(api: &Api) -> (String, String) {
    use corral_api_kmr::action as kmr;
    use corral_api_vpc::action as vpc;
    let (vpc_id, subnet_id) = network_by_hand(api);
    let group = |kind: &str, count: u32| GroupRequest {
        instance_group_type: Some(kind.into()),
        instance_type: Some("S6.4XLARGE32".into()),
        instance_count: Some(count),
        vpc_subnet_id: None,
    };
    let launched: ClusterStatusAnswer = api.kmr(
        kmr::LAUNCH_CLUSTER,
        &LaunchClusterRequest {
            cluster_name: Some("warehouse".into()),
            spec: SpecRequest {
                main_version: Some("5.3.0".into()),
                services: vec!["spark".into()],
                vpc_domain_id: Some(vpc_id),
                subnet_id: Some(subnet_id),
                instance_groups: vec![group("MASTER", 1), group("CORE", 3)],
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let cluster: serde_json::Value =
        api.kmr(kmr::DESCRIBE_CLUSTER, &ClusterIdRequest { cluster_id: Some(launched.cluster_id.clone()) });
    let group_id = cluster["SecurityGroupId"].as_str().unwrap().to_string();
    let entry: AuthorizeSecurityGroupEntryAnswer = api.vpc(
        vpc::AUTHORIZE_SECURITY_GROUP_ENTRY,
        &AuthorizeSecurityGroupEntryRequest {
            security_group_id: Some(group_id.clone()),
            direction: Some("in".into()),
            protocol: Some("tcp".into()),
            cidr_block: Some("10.20.0.0/16".into()),
            port_range_from: Some(22),
            port_range_to: Some(22),
            description: Some("office ssh".into()),
            ..Default::default()
        },
    );
    (launched.cluster_id, format!("{group_id}/{}", entry.security_group_entry_id))
}

#[test]
fn a_cluster_and_a_rule_made_by_hand_are_imported_with_generated_configuration() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("kmr/import"), w.path());
    let api = Api::start(&w);
    let (cluster_id, rule_id) = made_by_hand(&api);
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write("main.hcl", &main.replace("CLUSTER_ID", &cluster_id).replace("RULE_ID", &rule_id));

    let refused = corral(&w, &["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("Configuration for import target does not exist"), "{}", refused.stderr);

    let plan = ok(&w, &["plan", "-generate-config-out=generated.hcl"]);
    assert!(plan.stdout.contains("# kmr_cluster.warehouse will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# kmr_security_group_rule.ssh will be imported"), "{}", plan.stdout);
    let generated = std::fs::read_to_string(w.path().join("generated.hcl")).unwrap();
    for expected in [
        "resource \"kmr_cluster\" \"warehouse\" {",
        "name                 = \"warehouse\"",
        "core_count           = 3",
        "resource \"kmr_security_group_rule\" \"ssh\" {",
        "cidrs             = [\"10.20.0.0/16\"]",
    ] {
        assert!(generated.contains(expected), "`{expected}` missing:\n{generated}");
    }
    assert!(!generated.contains("status"), "computed-only attributes are not configuration:\n{generated}");
    ok(&w, &["fmt", "--check", "generated.hcl"]);

    // With the generated blocks, the plan imports and changes nothing.
    let plan = ok(&w, &["plan"]);
    assert!(plan.stdout.contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(!plan.stdout.contains("replaced"), "{}", plan.stdout);
    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("Resources: 2 imported, 0 added, 0 changed, 0 destroyed."), "{}", applied.stdout);
    let plan = corral(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the next plan is empty:\n{}\n{}", plan.stdout, plan.stderr);

    // The same objects, adopted: one cluster with its id, one SSH entry.
    let views: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&w, &["sandbox", "inspect", "--json"]).stdout).unwrap();
    let clusters: Vec<&serde_json::Value> = views.iter().filter(|o| o["type"] == "cluster").collect();
    assert_eq!(clusters.len(), 1, "{clusters:#?}");
    assert_eq!(clusters[0]["id"], cluster_id.as_str());
    let state = ok(&w, &["state", "list"]).stdout;
    assert!(state.contains("kmr_cluster.warehouse") && state.contains("kmr_security_group_rule.ssh"), "{state}");
}

/// Makes a cluster template with one job and an hourly execution plan running it: their ids.
fn records_by_hand(api: &Api) -> (String, String) {
    use corral_api_kmr::action as kmr;
    let (vpc_id, subnet_id) = network_by_hand(api);
    let group = |kind: &str, count: u32| GroupRequest {
        instance_group_type: Some(kind.into()),
        instance_type: Some("S6.2XLARGE16".into()),
        instance_count: Some(count),
        vpc_subnet_id: None,
    };
    let template: TemplateIdAnswer = api.kmr(
        kmr::CREATE_CLUSTER_TEMPLATE,
        &CreateClusterTemplateRequest {
            template_name: Some("hourly".into()),
            spec: SpecRequest {
                main_version: Some("5.3.0".into()),
                vpc_domain_id: Some(vpc_id),
                subnet_id: Some(subnet_id),
                log_uri: Some("ks3://logs/hourly".into()),
                instance_groups: vec![group("MASTER", 1), group("CORE", 2)],
                jobs: vec![JobRequest {
                    job_name: Some("ingest".into()),
                    job_type: Some("SPARK".into()),
                    job_args: vec!["--day".into(), "today".into()],
                }],
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let plan: ExecutionPlanIdAnswer = api.kmr(
        kmr::CREATE_EXECUTION_PLAN,
        &ExecutionPlanRequest {
            execution_plan_name: Some("hourly".into()),
            template_id: Some(template.template_id.clone()),
            cron_expression: Some("0 * * * *".into()),
            time_zone: Some("Asia/Shanghai".into()),
            ..Default::default()
        },
    );
    (template.template_id, plan.execution_plan_id)
}

#[test]
fn a_template_and_an_execution_plan_made_by_hand_are_imported_with_generated_configuration() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("kmr/import_records"), w.path());
    let api = Api::start(&w);
    let (template_id, plan_id) = records_by_hand(&api);
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write("main.hcl", &main.replace("TEMPLATE_ID", &template_id).replace("PLAN_ID", &plan_id));

    let plan = ok(&w, &["plan", "-generate-config-out=generated.hcl"]);
    assert!(plan.stdout.contains("# kmr_cluster_template.hourly will be imported"), "{}", plan.stdout);
    assert!(plan.stdout.contains("# kmr_execution_plan.hourly will be imported"), "{}", plan.stdout);
    let generated = std::fs::read_to_string(w.path().join("generated.hcl")).unwrap();
    for expected in [
        "resource \"kmr_cluster_template\" \"hourly\" {",
        "core_count           = 2",
        "log_uri              = \"ks3://logs/hourly\"",
        "name = \"ingest\"",
        "resource \"kmr_execution_plan\" \"hourly\" {",
        &format!("template_id = \"{template_id}\""),
        "schedule    = \"0 * * * *\"",
        "time_zone   = \"Asia/Shanghai\"",
    ] {
        assert!(generated.contains(expected), "`{expected}` missing:\n{generated}");
    }
    for observed in ["run_count", "next_run_at", "created_at", "last_run"] {
        assert!(!generated.contains(observed), "`{observed}` is observed, not configuration:\n{generated}");
    }
    ok(&w, &["fmt", "--check", "generated.hcl"]);

    let plan = ok(&w, &["plan"]);
    assert!(plan.stdout.contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    let applied = ok(&w, &["apply", "--auto-approve"]);
    assert!(applied.stdout.contains("Resources: 2 imported, 0 added, 0 changed, 0 destroyed."), "{}", applied.stdout);
    let plan = corral(&w, &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "the next plan is empty:\n{}\n{}", plan.stdout, plan.stderr);
    let state = ok(&w, &["state", "show", "kmr_execution_plan.hourly"]).stdout;
    assert!(state.contains(&plan_id), "{state}");

    // A changed schedule is an update in place of the adopted plan, not a new one.
    let generated = generated.replace("\"0 * * * *\"", "\"30 * * * *\"");
    w.write("generated.hcl", &generated);
    let plan = ok(&w, &["plan"]);
    assert!(plan.stdout.contains("# kmr_execution_plan.hourly will be updated in-place"), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
}

#[test]
fn importing_a_record_that_does_not_exist_names_it() {
    let w = Workdir::new();
    copy_dir(&fixtures().join("kmr/import_records"), w.path());
    let _api = Api::start(&w);
    let main = std::fs::read_to_string(w.path().join("main.hcl")).unwrap();
    w.write("main.hcl", &main.replace("TEMPLATE_ID", "tpl-nosuch").replace("PLAN_ID", "ep-nosuch"));
    let plan = corral(&w, &["plan", "-generate-config-out=generated.hcl"]);
    assert_eq!(plan.code, 1, "{}", plan.stdout);
    assert!(plan.stderr.contains("no cluster template has id `tpl-nosuch`"), "{}", plan.stderr);
}
