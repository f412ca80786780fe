//! `kmr_cluster`: scaling in place, the core-shrink guard, transient clusters that finish,
//! and data `kmr_cluster`. (Trials that convert or lapse and quotas are covered through the
//! CLI, in `tests/it/kmr.rs`.)

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
        plan.changes.iter().find(|c| c.addr.to_string() == "kmr_cluster.batch").unwrap().before().cloned().unwrap();
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

#[test]
fn data_kmr_cluster_reads_a_cluster_by_id_or_by_its_one_name() {
    let env = Env::new(3600.0);
    let lookups = r#"
data "kmr_cluster" "by_name" {
  name       = "warehouse"
  depends_on = [kmr_cluster.warehouse]
}

data "kmr_cluster" "by_id" {
  id = kmr_cluster.warehouse.id
}

output "by_name" {
  value = data.kmr_cluster.by_name
}

output "by_id" {
  value = data.kmr_cluster.by_id
}
"#;
    env.write("main.hcl", &format!("{}{lookups}", persistent(3, "eip = true")));
    env.apply().unwrap();
    let cluster = env.state("kmr_cluster.warehouse").unwrap();
    for addr in ["by_name", "by_id"] {
        let data = env.output(addr).unwrap_or_else(|| panic!("no output {addr}"));
        assert_eq!(data["id"], cluster["id"], "{addr}");
        assert_eq!(data["status"], "running");
        assert_eq!(data["core_count"], 3);
        assert_eq!(data["core_instance_type"], "S6.4XLARGE32");
        assert_eq!(data["master_count"], 1);
        assert_eq!(data["type"], "persistent");
        assert_eq!(data["billing"], "on_demand");
        assert_eq!(data["subnet_id"], cluster["subnet_id"]);
        assert_eq!(data["public_ip"], cluster["public_ip"]);
        assert!(data["master_ip"].is_string() && data["created_at"].is_string(), "{data:#}");
        assert!(data.get("allow_core_shrink").is_none());
    }

    // No cluster of that name, or two: a plan error that says which.
    env.write(
        "main.hcl",
        &format!("{}\ndata \"kmr_cluster\" \"x\" {{\n  name = \"nobody\"\n}}\n", persistent(3, "eip = true")),
    );
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("no KMR cluster named `nobody`"), "{refused}");
    let second = persistent(2, "").replace("\"warehouse\" {", "\"other\" {");
    let second = second.split("resource \"kmr_cluster\"").nth(1).unwrap();
    env.write("main.hcl", &format!("{}\nresource \"kmr_cluster\"{second}", persistent(3, "eip = true")));
    env.apply().unwrap();
    env.write(
        "main.hcl",
        &format!(
            "{}\nresource \"kmr_cluster\"{second}{}",
            persistent(3, "eip = true"),
            &lookups[..lookups.find("data \"kmr_cluster\" \"by_id\"").unwrap()]
        ),
    );
    let refused = messages(&env.plan().unwrap_err());
    assert!(refused.contains("2 KMR clusters are named `warehouse`") && refused.contains("by `id`"), "{refused}");
}
