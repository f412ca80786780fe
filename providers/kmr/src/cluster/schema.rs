//! The schemas of `kmr_cluster` and `kmr_cluster_template`, and the defaults the provider
//! fills in. Node groups are flat attributes (`core_count`, `core_instance_type`, ...) so each
//! gets its own change class: counts of core and task nodes change in place (scaling), the
//! master count and every instance type cannot change without replacing the cluster.

use corral_core::schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting, ResourceSchema};
use corral_core::value::{Type, Value};

/// Why replacing a cluster is not something to do silently.
pub const HDFS_LOSS: &str = "replacing a cluster loses its HDFS data";

pub const TYPES: &[&str] = &["persistent", "transient"];
pub const BILLINGS: &[&str] = &["on_demand", "monthly", "yearly", "trial"];
pub const JOB_TYPES: &[&str] = &["spark", "hive", "mapreduce"];

/// The attributes a cluster and a template share: what the cluster is made of.
fn spec_attributes(block: BlockSchema, immutable: bool) -> BlockSchema {
    let fixed = |a: AttributeSchema, why: &str| if immutable { a.immutable(why) } else { a };
    let optional_fixed = |ty: Type, why: &str| fixed(AttributeSchema::optional_computed(ty), why);
    block
        .attr(
            "version",
            fixed(
                AttributeSchema::optional_computed(Type::String),
                &format!("KMR does not upgrade a cluster in place, and {HDFS_LOSS}"),
            )
            .describe("Hadoop distribution version (`MainVersion`), e.g. `5.3.0`."),
        )
        .attr(
            "services",
            optional_fixed(Type::set(Type::String), &format!("services are chosen at launch, and {HDFS_LOSS}"))
                .describe("Optional services besides the mandatory ones (hdfs, yarn, mapreduce, tez, zookeeper)."),
        )
        .attr("vpc_id", optional_fixed(Type::String, &format!("a cluster cannot move to another VPC, and {HDFS_LOSS}")))
        .attr(
            "subnet_id",
            optional_fixed(Type::String, &format!("a cluster cannot move to another subnet, and {HDFS_LOSS}")),
        )
        .attr(
            "master_instance_type",
            optional_fixed(Type::String, &format!("node types are fixed at launch, and {HDFS_LOSS}")),
        )
        .attr(
            "master_count",
            optional_fixed(Type::Number, &format!("the number of master nodes is fixed at launch, and {HDFS_LOSS}"))
                .describe("Master nodes (1, or 2 for HA). Fixed after create."),
        )
        .attr(
            "core_instance_type",
            optional_fixed(Type::String, &format!("node types are fixed at launch, and {HDFS_LOSS}")),
        )
        .attr(
            "core_count",
            AttributeSchema::optional_computed(Type::Number)
                .describe("Core nodes (HDFS DataNodes). Scales in place; shrinking needs `allow_core_shrink`."),
        )
        .attr(
            "task_instance_type",
            optional_fixed(Type::String, &format!("node types are fixed at launch, and {HDFS_LOSS}")),
        )
        .attr(
            "task_count",
            AttributeSchema::optional_computed(Type::Number).describe("Task nodes (compute only). Scales in place."),
        )
        .attr(
            "log_uri",
            optional_fixed(Type::String, &format!("the log location is set at launch, and {HDFS_LOSS}")).describe(
                "KS3 location (`ks3://bucket/path`) for logs and job results; required for transient clusters.",
            ),
        )
        .attr(
            "eip",
            optional_fixed(Type::Bool, &format!("an EIP is bound at launch, and {HDFS_LOSS}"))
                .describe("Bind an EIP to the master node (SSH)."),
        )
}

/// `job` blocks: what a transient cluster (or a template) runs, in order.
fn job_block() -> NestedBlockSchema {
    let job = BlockSchema::new()
        .attr("name", AttributeSchema::required(Type::String))
        .attr("type", AttributeSchema::required(Type::String).describe("`spark`, `hive` or `mapreduce`."))
        .attr("args", AttributeSchema::optional(Type::list(Type::String)));
    NestedBlockSchema::new(Nesting::List, job)
}

pub fn job_result_type() -> Type {
    Type::Object(
        [
            ("name".to_string(), Type::String),
            ("status".to_string(), Type::String),
            ("started_at".to_string(), Type::String),
            ("finished_at".to_string(), Type::String),
            ("log_path".to_string(), Type::String),
        ]
        .into_iter()
        .collect(),
    )
}

pub fn cluster_schema() -> ResourceSchema {
    let mut block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("name", AttributeSchema::required(Type::String).describe("Cluster name; renamed in place."))
        .attr(
            "type",
            AttributeSchema::optional_computed(Type::String)
                .immutable(&format!("a cluster's type is chosen at launch, and {HDFS_LOSS}"))
                .describe("`persistent` (default) or `transient` (runs its jobs, then releases itself)."),
        )
        .attr(
            "billing",
            AttributeSchema::optional_computed(Type::String)
                .describe("`on_demand` (default), `monthly`, `yearly` or `trial`. A trial converts to a paid mode in place."),
        )
        .attr(
            "billing_period",
            AttributeSchema::optional_computed(Type::Number).describe(
                "The term a `monthly` (1–9 months) or `yearly` (1–3 years) cluster is bought for, default 1; chosen at launch or at a trial's conversion. An unrenewed term ends with the cluster's deletion.",
            ),
        )
        .attr(
            "allow_core_shrink",
            AttributeSchema::optional_computed(Type::Bool)
                .describe("Allow lowering `core_count`: core nodes hold HDFS blocks, removing them risks data loss."),
        )
        .attr(
            "admin_password",
            AttributeSchema::optional(Type::String)
                .write_only()
                .immutable("KMR cannot change the admin password of an existing cluster, and replacing the cluster loses its HDFS data")
                .describe("Password of the cluster manager's `admin` user: 8 to 26 characters, at least 3 of upper case, lower case, digits and special characters, not containing `admin` or `nimda`. Write-only: sent at launch, never read back; state keeps a digest. KMR generates one when unset."),
        )
        .attr("status", AttributeSchema::computed(Type::String))
        .attr("master_ip", AttributeSchema::computed(Type::String).describe("Private address of the master node."))
        .attr("public_ip", AttributeSchema::computed(Type::String).describe("The master's EIP, when `eip = true`."))
        .attr(
            "security_group_id",
            AttributeSchema::computed(Type::String)
                .describe("The VPC's `KSCKMR` group, which every KMR cluster is in."),
        )
        .attr("job_results", AttributeSchema::computed(Type::list(job_result_type())))
        .attr("released_at", AttributeSchema::computed(Type::String))
        .attr("expires_at", AttributeSchema::computed(Type::String).describe("When an unconverted trial, or a monthly or yearly term not renewed, ends (the service then deletes the cluster)."));
    block = spec_attributes(block, true);
    let mut jobs = job_block();
    // Different jobs are a different run: a new transient cluster.
    jobs.forces_replacement = true;
    block = block.block("job", jobs);
    block.description = Some("A KMR (managed Hadoop) cluster.".into());
    // Creation takes 8 minutes, scaling 5: mostly waiting for KMR.
    ResourceSchema { version: 0, block: block.long_running() }
}

pub fn template_schema() -> ResourceSchema {
    let mut block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("name", AttributeSchema::required(Type::String))
        .attr(
            "source_cluster_id",
            AttributeSchema::optional(Type::String)
                .forces_replacement()
                .describe("Save an existing transient cluster's configuration and jobs as the template."),
        )
        .attr("created_at", AttributeSchema::computed(Type::String));
    block = spec_attributes(block, false);
    block = block.block("job", job_block());
    block.description = Some("A transient cluster's configuration and jobs, for execution plans.".into());
    ResourceSchema { version: 0, block }
}

/// The value of a defaulted attribute when the configuration leaves it unset.
pub fn default_of(name: &str) -> Option<Value> {
    Some(match name {
        "type" => Value::string("persistent"),
        "billing" => Value::string("on_demand"),
        "allow_core_shrink" | "eip" => Value::Bool(false),
        "master_count" => Value::int(1),
        "task_count" => Value::int(0),
        "services" => Value::Set(Type::String, Vec::new()),
        _ => return None,
    })
}
