//! The `testing` provider's schema: its configuration, `testing_thing` (and
//! `testing_slow_thing`, the same marked long-running), and the data sources `testing_thing`
//! and `testing_things`.

use std::collections::BTreeMap;

use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};
use corral_core::value::{Type, Value};

pub(super) fn schema() -> ProviderSchema {
    let provider = BlockSchema::new()
        .attr(
            "dir",
            AttributeSchema::optional(Type::String)
                .describe("Directory holding the objects' log, `objects.jsonl` (default `.corral/testing`)"),
        )
        .attr(
            "fsync",
            AttributeSchema::optional(Type::Bool).describe(
                "Fsync each object write (default true). Renames are atomic without it; only a power loss needs it",
            ),
        );
    let thing = BlockSchema::new()
        .attr(
            "name",
            AttributeSchema::required(Type::String).forces_replacement().describe("Changing it replaces the object"),
        )
        .attr("payload", AttributeSchema::optional(Type::String).describe("Updated in place"))
        .attr("delay_ms", AttributeSchema::optional(Type::Number).describe("How long create, update and delete take"))
        .attr(
            "wait_ms",
            AttributeSchema::optional(Type::Number)
                .describe("How long create, update and delete then wait for a remote `provisioning` status"),
        )
        .attr("fail", AttributeSchema::optional(Type::Bool).describe("Make create and update fail"))
        .attr("tags", AttributeSchema::optional(Type::map(Type::String)))
        .attr("secret", AttributeSchema::optional(Type::String).sensitive())
        .attr(
            "password",
            AttributeSchema::optional(Type::String)
                .write_only()
                .describe("Write-only: the object keeps it; the plan and the state hold only a digest"),
        )
        .attr("id", AttributeSchema::computed(Type::String).describe("Made on create; the object's file name"));
    let thing_data = BlockSchema::new()
        .attr("id", AttributeSchema::optional_computed(Type::String).describe("Look the object up by id"))
        .attr("name", AttributeSchema::optional_computed(Type::String).describe("Look the object up by name"))
        .attr("payload", AttributeSchema::computed(Type::String))
        .attr("delay_ms", AttributeSchema::computed(Type::Number))
        .attr("wait_ms", AttributeSchema::computed(Type::Number))
        .attr("fail", AttributeSchema::computed(Type::Bool))
        .attr("tags", AttributeSchema::computed(Type::map(Type::String)))
        .attr("secret", AttributeSchema::computed(Type::String).sensitive());
    let things_data = BlockSchema::new()
        .attr("name_prefix", AttributeSchema::optional(Type::String).describe("Only objects whose name starts so"))
        .attr("ids", AttributeSchema::computed(Type::list(Type::String)))
        .attr("things", AttributeSchema::computed(Type::list(summary_type())));
    let mut schema = ProviderSchema { provider, ..ProviderSchema::default() };
    let slow = thing.clone().long_running();
    schema.resources.insert("testing_thing".to_string(), ResourceSchema { version: 0, block: thing });
    schema.resources.insert("testing_slow_thing".to_string(), ResourceSchema { version: 0, block: slow });
    schema.data_sources.insert("testing_thing".to_string(), ResourceSchema { version: 0, block: thing_data });
    schema.data_sources.insert("testing_things".to_string(), ResourceSchema { version: 0, block: things_data });
    schema
}

const SUMMARY_ATTRIBUTES: [&str; 4] = ["id", "name", "payload", "tags"];

/// The element type of `testing_things.things`.
pub(super) fn summary_type() -> Type {
    Type::Object(
        SUMMARY_ATTRIBUTES
            .iter()
            .map(|name| {
                let ty = if *name == "tags" { Type::map(Type::String) } else { Type::String };
                (name.to_string(), ty)
            })
            .collect(),
    )
}

/// One element of `testing_things.things` from a `testing_thing` state.
pub(super) fn summary(state: &Value) -> Value {
    let Type::Object(types) = summary_type() else { return Value::null() };
    let attrs: BTreeMap<String, Value> = types
        .into_iter()
        .map(|(name, ty)| {
            let value = state.get_attr(&name).cloned().unwrap_or(Value::Null(ty));
            (name, value)
        })
        .collect();
    Value::Object(attrs)
}
