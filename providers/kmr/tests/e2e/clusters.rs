//! `kmr_cluster`: scaling in place, the core-shrink guard, transient clusters that finish,
//! trials that convert or lapse, quotas.

use crate::{Env, NETWORK, changes, messages};

fn persistent(core: u32, extra: &str) -> String {
    format!(
        r#"{NETWORK}
resource "kmr_cluster" "warehouse" {{
  name                 = "warehouse"
  version              = "5.3.0"
  services             = ["spark"]
  vpc_id               = kmr_vpc.main.id
  subnet_id            = kmr_subnet.a.id
  master_instance_type = "S6.4XLARGE32"
  core_instance_type   = "S6.4XLARGE32"
  core_count           = {core}
  {extra}
}}
"#
    )
}

fn core_nodes(env: &Env) -> usize {
    let clusters = env.objects("cluster");
    assert_eq!(clusters.len(), 1, "one cluster, never a second: {clusters:#?}");
    let groups = clusters[0].attributes["InstanceGroups"].as_array().unwrap().clone();
    let core = groups.iter().find(|g| g["InstanceGroupType"] == "CORE").unwrap();
    core["InstanceIds"].as_array().unwrap().len()
}

#[test]
fn core_scales_out_in_place_and_shrinks_only_when_allowed() {
    let env = Env::new(3600.0);
    env.write("main.hcl", &persistent(3, ""));
    env.apply().unwrap();
    let state = env.state("kmr_cluster.warehouse").unwrap();
    assert_eq!(state["status"], "running");
    assert_eq!(state["core_count"], 3);
    assert!(state["security_group_id"].as_str().unwrap().starts_with("sg-"), "{state:#}");
    assert_eq!(changes(&env.plan().unwrap()), Vec::<String>::new(), "a second plan is empty");

    env.write("main.hcl", &persistent(5, ""));
    let plan = env.apply().unwrap();
    assert_eq!(changes(&plan), ["kmr_cluster.warehouse: Update"], "scaling out is in place");
    assert_eq!(core_nodes(&env), 5);
    assert_eq!(env.state("kmr_cluster.warehouse").unwrap()["status"], "running");

    env.write("main.hcl", &persistent(3, ""));
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("shrinking the core group from 5 to 3"), "{refused}");
    assert!(refused.contains("HDFS") && refused.contains("allow_core_shrink"), "{refused}");
    assert_eq!(core_nodes(&env), 5, "a refused plan changes nothing");

    env.write("main.hcl", &persistent(3, "allow_core_shrink = true"));
    let plan = env.apply().unwrap();
    assert_eq!(changes(&plan), ["kmr_cluster.warehouse: Update"]);
    assert_eq!(core_nodes(&env), 3);
    assert_eq!(changes(&env.plan().unwrap()), Vec::<String>::new());

    // The master count is fixed: changing it is a plan error that says why.
    env.write("main.hcl", &persistent(3, "allow_core_shrink = true\n  master_count = 2"));
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("master_count") && refused.contains("HDFS"), "{refused}");
}

fn transient(job: &str) -> String {
    format!(
        r#"{NETWORK}
resource "kmr_cluster" "batch" {{
  name                 = "batch"
  type                 = "transient"
  version              = "5.3.0"
  services             = ["spark", "hive"]
  vpc_id               = kmr_vpc.main.id
  subnet_id            = kmr_subnet.a.id
  master_instance_type = "S6.2XLARGE16"
  core_instance_type   = "S6.2XLARGE16"
  core_count           = 2
  log_uri              = "ks3://logs/batch"

  job {{
    name = "{job}"
    type = "spark"
    args = ["--class", "Etl"]
  }}

  job {{
    name = "report"
    type = "hive"
  }}
}}
"#
    )
}

#[test]
fn a_transient_cluster_runs_its_jobs_releases_itself_and_is_finished_not_drifted() {
    let env = Env::new(3600.0);
    env.write("main.hcl", &transient("etl"));
    env.apply().unwrap();
    // Creating (8 sandbox minutes) and two jobs (22) take about half a real second here.
    let mut released = false;
    for _ in 0..50 {
        if env.objects("cluster").iter().any(|c| c.state == "released") {
            released = true;
            break;
        }
        env.sleep_ms(100);
    }
    assert!(released, "{:#?}", env.objects("cluster"));
    let plan = env.plan().unwrap();
    assert_eq!(changes(&plan), Vec::<String>::new(), "finished, not drifted");
    let before =
        plan.changes.iter().find(|c| c.addr.to_string() == "kmr_cluster.batch").unwrap().before.clone().unwrap();
    let before = before.to_json();
    assert_eq!(before["status"], "released");
    assert!(before["released_at"].is_string());
    let results = before["job_results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["status"] == "SUCCEEDED"), "{results:#?}");
    assert!(results[0]["log_path"].as_str().unwrap().starts_with("ks3://logs/batch/"));

    // Other jobs are another run: a new transient cluster.
    env.write("main.hcl", &transient("etl-v2"));
    let plan = env.apply().unwrap();
    assert_eq!(changes(&plan), ["kmr_cluster.batch: DeleteThenCreate"]);
    assert_eq!(env.objects("cluster").len(), 2, "the finished run's record stays");
}

#[test]
fn a_transient_cluster_cannot_be_monthly_or_lack_a_log_uri() {
    let env = Env::new(3600.0);
    env.write(
        "main.hcl",
        &transient("etl")
            .replace("type                 = \"transient\"", "type = \"transient\"\n  billing = \"monthly\""),
    );
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("billed on demand only"), "{refused}");
    env.write("main.hcl", &transient("etl").replace("log_uri              = \"ks3://logs/batch\"", ""));
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("needs `log_uri`"), "{refused}");
    assert!(env.objects("cluster").is_empty());
}

fn trials(kept_billing: &str) -> String {
    let cluster = |name: &str, billing: &str| {
        format!(
            r#"
resource "kmr_cluster" "{name}" {{
  name                 = "{name}"
  billing              = "{billing}"
  version              = "5.3.0"
  vpc_id               = kmr_vpc.main.id
  subnet_id            = kmr_subnet.a.id
  master_instance_type = "S6.2XLARGE16"
  core_instance_type   = "S6.2XLARGE16"
  core_count           = 2
}}
"#
        )
    };
    format!("{NETWORK}{}{}", cluster("kept", kept_billing), cluster("lapsed", "trial"))
}

#[test]
fn a_trial_converts_in_place_and_an_unconverted_one_is_gone_after_seven_days() {
    // A sandbox day per real second.
    let env = Env::new(86400.0);
    env.write("main.hcl", &trials("trial"));
    env.apply().unwrap();
    assert_eq!(env.state("kmr_cluster.kept").unwrap()["billing"], "trial");
    assert!(env.state("kmr_cluster.kept").unwrap()["expires_at"].is_string());

    env.write("main.hcl", &trials("on_demand"));
    let plan = env.apply().unwrap();
    assert_eq!(changes(&plan), ["kmr_cluster.kept: Update"], "converted in place");
    let kept = env.state("kmr_cluster.kept").unwrap();
    assert_eq!(kept["billing"], "on_demand");
    assert!(kept["expires_at"].is_null());

    // Seven sandbox days later the service deleted the unconverted trial.
    env.sleep_ms(7500);
    let plan = env.plan().unwrap();
    assert_eq!(changes(&plan), ["kmr_cluster.lapsed: Create"], "the lapsed trial is gone and made again");
    let lapsed = env.objects("cluster").into_iter().find(|c| c.attributes["ClusterName"] == "lapsed").unwrap();
    assert_eq!(lapsed.state, "terminated");
    assert_eq!(lapsed.attributes["StateChangeReason"]["Code"], "TrialExpired");
}

#[test]
fn creating_over_quota_fails_with_a_diagnostic_naming_the_quota() {
    let env = Env::new(3600.0);
    env.set_quota("nodes", 3);
    env.write("main.hcl", &persistent(3, ""));
    let failed = messages(&env.apply().unwrap_err());
    assert!(failed.contains("QuotaExceeded.Node") && failed.contains("quota `nodes`"), "{failed}");
    assert!(env.objects("cluster").is_empty());
}
