//! The schema of `kyligence_stack` and the defaults the provider fills in. Node counts are
//! flat attributes so each has its own change class: core and task counts scale in place;
//! the master count, instance types, network and name are fixed (replacing a stack loses its
//! HDFS data and KAP's local state). `kap_version` and `desired_state` are in place too: a
//! change is an operation (upgrade, stop, start), not a new stack.

use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Type, Value};

pub const DESIRED_STATES: &[&str] = &["running", "stopped"];

/// Why replacing a stack is not something to do silently.
const LOSES: &str = "replacing a stack loses its HDFS data and KAP's local state";

pub fn stack_schema() -> ResourceSchema {
    let fixed = |ty: Type, why: &str| AttributeSchema::required(ty).immutable(&format!("{why}, and {LOSES}"));
    let mut block = BlockSchema::new()
        .attr("id", AttributeSchema::computed(Type::String))
        .attr("name", fixed(Type::String, "a stack's name is fixed when it is created").describe("Stack name: letters, digits and `-`, starting with a letter, at most 40."))
        .attr("vpc_id", fixed(Type::String, "a stack cannot move to another VPC"))
        .attr("subnet_id", fixed(Type::String, "a stack cannot move to another subnet"))
        .attr("master_instance_type", fixed(Type::String, "node types are fixed when the stack is created"))
        .attr(
            "master_count",
            AttributeSchema::optional_computed(Type::Number)
                .immutable(&format!("Kyligence Cloud fixes the number of master nodes when the stack is created, and {LOSES}"))
                .describe("Master nodes: 1 (default) or 3. Fixed after create."),
        )
        .attr("core_instance_type", fixed(Type::String, "node types are fixed when the stack is created"))
        .attr(
            "core_count",
            AttributeSchema::required(Type::Number)
                .describe("Core nodes (HDFS DataNodes). Scales in place while KAP serves; lowering it needs `allow_core_shrink`."),
        )
        .attr(
            "task_instance_type",
            AttributeSchema::optional_computed(Type::String)
                .immutable(&format!("node types are fixed when the stack is created, and {LOSES}"))
                .describe("Default: the core instance type."),
        )
        .attr(
            "task_count",
            AttributeSchema::optional_computed(Type::Number).describe("Task nodes (compute only). Scales in place; default 0."),
        )
        .attr(
            "kap_version",
            AttributeSchema::required(Type::String).describe(
                "KAP version. Changing it upgrades KAP in place (back up configuration, stop, install, restore configuration, start): KAP is unavailable during the upgrade. KAP does not downgrade.",
            ),
        )
        .attr(
            "desired_state",
            AttributeSchema::optional_computed(Type::String).describe(
                "`running` (default) or `stopped`. Stopping stops KAP, backs its data up to S3 and terminates every node (master included); starting provisions the nodes and restores that backup. S3 and RDS keep the cubes and metadata meanwhile.",
            ),
        )
        .attr(
            "allow_core_shrink",
            AttributeSchema::optional_computed(Type::Bool)
                .describe("Allow lowering `core_count`: core nodes hold HDFS blocks, removing them risks data loss."),
        )
        .attr(
            "delete_rds_on_destroy",
            AttributeSchema::optional_computed(Type::Bool).describe(
                "Destroying the stack deletes its RDS database (KAP's metadata) too. Default false: RDS is kept. The S3 bucket is always kept.",
            ),
        )
        .attr("status", AttributeSchema::computed(Type::String).describe("`running`, `stopped`, or an operation's status."))
        .attr("step", AttributeSchema::computed(Type::String).describe("The step of the operation under way, if any."))
        .attr("running_nodes", AttributeSchema::computed(Type::Number).describe("Nodes that exist (none while stopped)."))
        .attr("s3_bucket", AttributeSchema::computed(Type::String).describe("Cube data and backups; kept on destroy."))
        .attr("rds_id", AttributeSchema::computed(Type::String))
        .attr("rds_endpoint", AttributeSchema::computed(Type::String))
        .attr("load_balancer_dns", AttributeSchema::computed(Type::String))
        .attr("kap_url", AttributeSchema::computed(Type::String).describe("KAP's REST endpoint behind the load balancer."))
        .attr("last_backup", AttributeSchema::computed(Type::String).describe("The backup of KAP's data the next start restores."))
        .attr(
            "retained_on_destroy",
            AttributeSchema::computed(Type::list(Type::String))
                .describe("What destroying the stack keeps: the S3 bucket always, RDS unless `delete_rds_on_destroy`."),
        );
    block.description =
        Some("A Kyligence Cloud stack: Hadoop (master, core, task nodes), RDS, KAP, S3 and a load balancer.".into());
    // A stack's operations are step machines of minutes: mostly waiting.
    ResourceSchema { version: 0, block: block.long_running() }
}

/// The value of a defaulted attribute when the configuration leaves it unset.
pub fn default_of(name: &str) -> Option<Value> {
    Some(match name {
        "master_count" => Value::int(1),
        "task_count" => Value::int(0),
        "desired_state" => Value::string("running"),
        "allow_core_shrink" | "delete_rds_on_destroy" => Value::Bool(false),
        _ => return None,
    })
}
