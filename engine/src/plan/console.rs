//! Values for `corral console`: the configuration evaluated against stored state, without
//! asking any provider anything.
//!
//! The walk is the plan walk minus providers: variables, locals, outputs and module calls
//! are evaluated as a plan would (`runtime::nodes`), and each resource's value is what
//! state recorded for its instances, decoded with its schema. A resource with nothing in
//! state is unknown, as it would be before its first apply.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::addr::{AbsResourceInstance, ConfigResource, InstanceKey, ModuleInstance};
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::graph::{ConfigGraph, Node};
use crate::provider::ProviderRegistry;
use crate::runtime::nodes;
use crate::runtime::{Expansion, InstanceScope, RepetitionData, ResolvedResource, Values};
use crate::schema::BlockSchema;
use crate::state::State;
use crate::value::Type;

use super::InputValues;
use super::values::decode_state;
use super::variables::root_variable_value;

/// What the console evaluates against.
pub struct ConsoleInput<'a> {
    pub config: &'a Config,
    pub graph: &'a ConfigGraph,
    pub state: &'a State,
    pub registry: &'a ProviderRegistry,
    pub variables: &'a InputValues,
    pub workspace: String,
    pub cwd: PathBuf,
}

/// Evaluates every variable, local, output and module call, and fills resource values from
/// state. Errors are reported, and the walk goes on: the console still answers questions
/// about whatever did evaluate.
pub fn evaluate_for_console(input: &ConsoleInput<'_>) -> (Values, Diagnostics) {
    let mut values = Values::new(&input.workspace, input.config.root.dir.clone(), input.cwd.clone());
    let mut diags = Diagnostics::new();
    for index in input.graph.topo_order() {
        match input.graph.node(index) {
            Node::Variable { module, name } if module.is_root() => {
                let Some(decl) = input.config.root.variables.get(name) else { continue };
                let (value, d) = root_variable_value(decl, input.variables.get(name));
                if !d.has_errors() {
                    let root = values.module(&ModuleInstance::root());
                    let others = |n: &str| root.and_then(|m| m.variables.get(n)).cloned();
                    let (instance, repetition) = (ModuleInstance::root(), RepetitionData::default());
                    let rest = InstanceScope {
                        values: &values,
                        module: &instance,
                        config: &input.config.root,
                        repetition: &repetition,
                        self_value: None,
                    };
                    diags.extend(nodes::validate_variable(name, &decl.validations, &value, &others, Some(&rest)));
                }
                diags.extend(d);
                values.module_mut(&ModuleInstance::root()).variables.insert(name.clone(), value);
            }
            Node::Variable { module, name } => {
                diags.extend(nodes::eval_child_variable(input.config, &mut values, module, name))
            }
            Node::Local { module, name } => diags.extend(nodes::eval_local(input.config, &mut values, module, name)),
            Node::Output { module, name } => diags.extend(nodes::eval_output(input.config, &mut values, module, name)),
            Node::ModuleCall { module, name } => {
                diags.extend(nodes::eval_module_call(input.config, &mut values, module, name));
            }
            Node::Provider { .. } | Node::Check { .. } => {}
            Node::Resource(resource) => fill_from_state(input, &mut values, resource),
        }
    }
    (values, diags)
}

fn fill_from_state(input: &ConsoleInput<'_>, values: &mut Values, resource: &ConfigResource) {
    let schema = resource_schema(input, resource);
    let ty = schema.as_ref().map_or(Type::Dynamic, BlockSchema::ty);
    for module in values.instances_of(&resource.module) {
        let start =
            AbsResourceInstance { module: module.clone(), resource: resource.resource.clone(), key: InstanceKey::None };
        let mut instances = BTreeMap::new();
        for (addr, state) in input
            .state
            .instances
            .range(start..)
            .take_while(|(addr, _)| addr.module == module && addr.resource == resource.resource)
        {
            let value = decode_state(state, &ty);
            let value = match &schema {
                Some(schema) => schema.mark_sensitive(value),
                None => value,
            };
            instances.insert(addr.key.clone(), value);
        }
        let expansion = match instances.keys().next() {
            Some(InstanceKey::Int(_)) => Expansion::Count(instances.len()),
            Some(InstanceKey::Str(_)) => Expansion::ForEach(
                instances
                    .keys()
                    .filter_map(|key| if let InstanceKey::Str(s) = key { Some(s.clone()) } else { None })
                    .collect(),
            ),
            // No instance in state: the resource is yet to be created, so unknown.
            Some(InstanceKey::None) | None => Expansion::Single,
        };
        values.module_mut(&module).resources.insert(resource.resource.clone(), (expansion, instances));
    }
}

fn resource_schema(input: &ConsoleInput<'_>, resource: &ConfigResource) -> Option<BlockSchema> {
    Some(ResolvedResource::resolve(input.config, resource)?.schema(input.registry)?.block)
}
