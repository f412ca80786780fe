//! `kmr_cluster_template` and `kmr_execution_plan`: a plan fires on its schedule in sandbox
//! time, and every run leaves a released transient cluster.

use crate::{Env, NETWORK, changes};

fn pipeline(schedule: &str) -> String {
    format!(
        r#"{NETWORK}
resource "kmr_cluster_template" "nightly" {{
  name                 = "nightly"
  version              = "5.3.0"
  vpc_id               = kmr_vpc.main.id
  subnet_id            = kmr_subnet.a.id
  master_instance_type = "S6.2XLARGE16"
  core_instance_type   = "S6.2XLARGE16"
  core_count           = 2
  log_uri              = "ks3://logs/nightly"

  job {{
    name = "ingest"
    type = "spark"
  }}
}}

resource "kmr_execution_plan" "nightly" {{
  name        = "nightly"
  template_id = kmr_cluster_template.nightly.id
  schedule    = "{schedule}"
  time_zone   = "Asia/Shanghai"
}}
"#
    )
}

#[test]
fn an_execution_plan_fires_on_schedule_and_each_run_leaves_a_released_cluster() {
    // A sandbox hour per real second: an hourly plan fires every second.
    let env = Env::new(3600.0);
    env.write("main.hcl", &pipeline("0 * * * *"));
    env.apply().unwrap();
    let state = env.state("kmr_execution_plan.nightly").unwrap();
    assert!(state["next_run_at"].as_str().unwrap().ends_with(":00:00Z"), "{state:#}");
    assert_eq!(state["enabled"], true);
    env.sleep_ms(3500);
    let runs = env.objects("execution_plan_run");
    assert!(runs.len() >= 2, "{runs:#?}");
    let clusters = env.objects("cluster");
    let released =
        clusters.iter().filter(|c| c.state == "released" && c.attributes["ExecutionPlanId"] == state["id"]).count();
    assert!(released >= 2, "each finished run released its cluster: {clusters:#?}");
    assert!(clusters.iter().all(|c| c.attributes["ClusterType"] == "transient"));
    // Runs are observed, not planned.
    let plan = env.plan().unwrap();
    assert_eq!(changes(&plan), Vec::<String>::new());
    let after = plan.changes.iter().find(|c| c.addr.to_string() == "kmr_execution_plan.nightly").unwrap();
    let after = after.before().cloned().unwrap().to_json();
    assert!(after["run_count"].as_i64().unwrap() >= 2, "{after:#}");
    assert!(after["last_run"]["cluster_id"].is_string());

    // Disabled in place: no more runs.
    env.write(
        "main.hcl",
        &pipeline("0 * * * *")
            .replace("time_zone   = \"Asia/Shanghai\"", "time_zone = \"Asia/Shanghai\"\n  enabled = false"),
    );
    assert_eq!(changes(&env.apply().unwrap()), ["kmr_execution_plan.nightly: Update"]);
    let count = env.objects("execution_plan_run").len();
    env.sleep_ms(1500);
    assert_eq!(env.objects("execution_plan_run").len(), count);
}

#[test]
fn a_bad_cron_expression_or_time_zone_is_a_plan_error() {
    let env = Env::new(3600.0);
    env.write("main.hcl", &pipeline("every night").replace("Asia/Shanghai", "Mars/Olympus"));
    let refused = crate::messages(&env.plan().unwrap_err());
    assert!(refused.contains("not a cron expression") && refused.contains("IANA time zone"), "{refused}");
}

#[test]
fn a_template_saved_from_a_transient_cluster_takes_its_configuration_and_jobs() {
    let env = Env::new(3600.0);
    env.write(
        "main.hcl",
        &format!(
            r#"{NETWORK}
resource "kmr_cluster" "batch" {{
  name                 = "batch"
  type                 = "transient"
  version              = "5.2.0"
  vpc_id               = kmr_vpc.main.id
  subnet_id            = kmr_subnet.a.id
  master_instance_type = "S6.2XLARGE16"
  core_instance_type   = "S6.XLARGE8"
  core_count           = 4
  log_uri              = "ks3://logs/batch"

  job {{
    name = "etl"
    type = "mapreduce"
    args = ["wordcount"]
  }}
}}

resource "kmr_cluster_template" "saved" {{
  name              = "saved"
  source_cluster_id = kmr_cluster.batch.id
}}
"#
        ),
    );
    env.apply().unwrap();
    let template = env.state("kmr_cluster_template.saved").unwrap();
    assert_eq!(template["version"], "5.2.0");
    assert_eq!(template["core_instance_type"], "S6.XLARGE8");
    assert_eq!(template["core_count"], 4);
    assert_eq!(template["log_uri"], "ks3://logs/batch");
    let saved = env.objects("cluster_template");
    assert_eq!(saved[0].attributes["Jobs"][0]["JobName"], "etl");
    assert_eq!(changes(&env.plan().unwrap()), Vec::<String>::new());
}
