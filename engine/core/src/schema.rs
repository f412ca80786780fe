//! Resource and provider schemas: which attributes and nested blocks a body has, their
//! types, and how a change to each is carried out (its *change class*). Providers declare
//! them; `lang` decodes bodies with them; `plan` uses the change classes.

use std::collections::BTreeMap;

use crate::value::{Type, Value};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlockSchema>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which attributes name the remote object(s) a resource stands for, when two resources
    /// with the same values would clash (a rule a security group holds once): the planner
    /// refuses two planned objects with one identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// A resource whose operations mostly wait for the remote side (a cluster that takes
    /// minutes to come up): the apply walk gives its operations the next free
    /// `--parallelism` slot before quick ones, so their waits start early and overlap the
    /// quick work. Only the order changes; what runs is the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub long_running: bool,
}

/// The attributes that together name a remote object: see [`BlockSchema::identity`].
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    /// Top-level attributes whose values, all together, are the identity.
    pub attributes: Vec<String>,
    /// A list or set attribute each element of which is one remote object of its own (with
    /// the `attributes`): KMR's `cidrs`, one security group entry per CIDR block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each_of: Option<String>,
}

impl BlockSchema {
    pub fn new() -> BlockSchema {
        BlockSchema {
            attributes: BTreeMap::new(),
            blocks: BTreeMap::new(),
            description: None,
            identity: None,
            long_running: false,
        }
    }

    /// Marks the resource [long-running](BlockSchema::long_running).
    pub fn long_running(mut self) -> BlockSchema {
        self.long_running = true;
        self
    }

    /// Declares the resource's [`Identity`].
    pub fn identity(mut self, attributes: &[&str], each_of: Option<&str>) -> BlockSchema {
        self.identity = Some(Identity {
            attributes: attributes.iter().map(|a| a.to_string()).collect(),
            each_of: each_of.map(str::to_string),
        });
        self
    }

    pub fn attr(mut self, name: &str, attribute: AttributeSchema) -> BlockSchema {
        self.attributes.insert(name.to_string(), attribute);
        self
    }

    pub fn block(mut self, name: &str, block: NestedBlockSchema) -> BlockSchema {
        self.blocks.insert(name.to_string(), block);
        self
    }

    /// Marks what this schema declares sensitive (top-level attributes), whatever the value
    /// (an older state, a provider's answer) says.
    pub fn mark_sensitive(&self, value: Value) -> Value {
        let (bare, marked) = value.unmark();
        let Value::Object(mut attrs) = bare else { return bare.marked_if(marked) };
        for (name, attr) in &self.attributes {
            if attr.sensitive
                && let Some(slot) = attrs.get_mut(name)
            {
                // In place: the entry keeps its key, no copy of the name.
                let v = std::mem::replace(slot, Value::null());
                *slot = v.mark_sensitive();
            }
        }
        Value::Object(attrs).marked_if(marked)
    }

    /// The object type of a decoded body.
    pub fn ty(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> =
            self.attributes.iter().map(|(k, a)| (k.clone(), a.ty.clone())).collect();
        for (name, block) in &self.blocks {
            let inner = block.block.ty();
            attrs.insert(
                name.clone(),
                match block.nesting {
                    Nesting::Single => inner,
                    Nesting::List => Type::list(inner),
                    Nesting::Set => Type::set(inner),
                    Nesting::Map => Type::map(inner),
                },
            );
        }
        Type::Object(attrs)
    }
}

impl Default for BlockSchema {
    fn default() -> Self {
        BlockSchema::new()
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AttributeSchema {
    #[serde(rename = "type")]
    pub ty: Type,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Sent to the provider from the configuration but never stored: the plan and the state
    /// hold a salted digest instead (see `provider::write_only`), so a password can be set
    /// and changed without ever being written down. Top-level string attributes only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub write_only: bool,
    pub change: ChangeClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AttributeSchema {
    pub fn required(ty: Type) -> AttributeSchema {
        AttributeSchema {
            ty,
            required: true,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            change: ChangeClass::InPlace,
            description: None,
        }
    }

    pub fn optional(ty: Type) -> AttributeSchema {
        AttributeSchema { required: false, optional: true, ..AttributeSchema::required(ty) }
    }

    /// Set by the provider only.
    pub fn computed(ty: Type) -> AttributeSchema {
        AttributeSchema { required: false, optional: false, computed: true, ..AttributeSchema::required(ty) }
    }

    /// Optional in configuration; computed by the provider when not set.
    pub fn optional_computed(ty: Type) -> AttributeSchema {
        AttributeSchema { required: false, optional: true, computed: true, ..AttributeSchema::required(ty) }
    }

    pub fn forces_replacement(mut self) -> AttributeSchema {
        self.change = ChangeClass::ForcesReplacement;
        self
    }

    pub fn immutable(mut self, reason: &str) -> AttributeSchema {
        self.change = ChangeClass::Immutable { reason: reason.to_string() };
        self
    }

    pub fn sensitive(mut self) -> AttributeSchema {
        self.sensitive = true;
        self
    }

    /// Never stored (see the field). Write-only values are secrets, so also sensitive.
    pub fn write_only(mut self) -> AttributeSchema {
        self.write_only = true;
        self.sensitive = true;
        self
    }

    pub fn describe(mut self, text: &str) -> AttributeSchema {
        self.description = Some(text.to_string());
        self
    }
}

/// How a change to an attribute is carried out.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeClass {
    /// Updated in place.
    InPlace,
    /// The object is replaced.
    ForcesReplacement,
    /// Replacement would lose something: a plan error unless the user asks for it with
    /// `--replace ADDR`.
    Immutable { reason: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: u32,
    pub max_items: u32,
    /// Changing the block forces replacement.
    #[serde(default)]
    pub forces_replacement: bool,
}

impl NestedBlockSchema {
    pub fn new(nesting: Nesting, block: BlockSchema) -> NestedBlockSchema {
        NestedBlockSchema { nesting, block, min_items: 0, max_items: 0, forces_replacement: false }
    }
}

/// A resource type's schema.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResourceSchema {
    pub version: u64,
    pub block: BlockSchema,
}

/// Everything a provider declares.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProviderSchema {
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
    /// Per resource type, the API actions its changes call, for plan-time authorization
    /// (a type without an entry is not checked).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub actions: BTreeMap<String, ActionMap>,
    /// Resource types whose deletions the provider wants to plan: the planner asks it to plan
    /// each planned delete with a null configuration and proposal (as Terraform does), so a
    /// delete the provider cannot carry out (a prepaid cluster is unsubscribed, not deleted)
    /// fails the plan instead of the apply. Types not listed are never asked.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub delete_plans: std::collections::BTreeSet<String>,
    /// Provider-defined functions, called as `provider::NAME::FUNCTION(...)`. They are pure:
    /// the engine calls them on an unconfigured instance (no credentials), and only with
    /// known arguments. A plugin older than functions sends none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<String, FunctionSchema>,
}

/// A provider-defined function's signature and documentation (Terraform's
/// `GetProviderSchema.functions`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionSchema {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<FunctionParameter>,
    /// Takes any number of further arguments of this parameter's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variadic: Option<FunctionParameter>,
    pub return_type: Type,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FunctionParameter {
    pub name: String,
    /// Arguments are converted to this type before the call (`dynamic`: passed as given).
    #[serde(rename = "type")]
    pub ty: Type,
    /// A null argument reaches the function instead of being refused by the engine.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_null: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl FunctionSchema {
    pub fn new(parameters: Vec<FunctionParameter>, return_type: Type) -> FunctionSchema {
        FunctionSchema { summary: String::new(), description: String::new(), parameters, variadic: None, return_type }
    }

    pub fn with_summary(mut self, summary: impl Into<String>) -> FunctionSchema {
        self.summary = summary.into();
        self
    }

    pub fn with_description(mut self, description: impl Into<String>) -> FunctionSchema {
        self.description = description.into();
        self
    }

    pub fn with_variadic(mut self, parameter: FunctionParameter) -> FunctionSchema {
        self.variadic = Some(parameter);
        self
    }
}

impl FunctionParameter {
    pub fn new(name: impl Into<String>, ty: Type) -> FunctionParameter {
        FunctionParameter { name: name.into(), ty, allow_null: false, description: String::new() }
    }

    pub fn nullable(mut self) -> FunctionParameter {
        self.allow_null = true;
        self
    }

    pub fn with_description(mut self, description: impl Into<String>) -> FunctionParameter {
        self.description = description.into();
        self
    }
}

/// The API actions (IAM action names such as `mrs:cluster:create`) a resource type's changes
/// call. The engine collects them for every planned change and asks the provider whether the
/// identity it acts as may call them, before anything is applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ActionMap {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create: Vec<String>,
    /// Any in-place update, whatever changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub update: Vec<String>,
    /// An in-place update that changes this top-level attribute.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub update_attributes: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delete: Vec<String>,
    /// A read during apply (data sources whose read waits for apply).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub read: Vec<String>,
}

impl ActionMap {
    pub fn new() -> ActionMap {
        ActionMap::default()
    }

    pub fn create(mut self, actions: &[&str]) -> ActionMap {
        self.create = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn update(mut self, actions: &[&str]) -> ActionMap {
        self.update = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn update_attribute(mut self, attribute: &str, actions: &[&str]) -> ActionMap {
        self.update_attributes.insert(attribute.to_string(), actions.iter().map(|a| a.to_string()).collect());
        self
    }

    pub fn delete(mut self, actions: &[&str]) -> ActionMap {
        self.delete = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    pub fn read(mut self, actions: &[&str]) -> ActionMap {
        self.read = actions.iter().map(|a| a.to_string()).collect();
        self
    }

    /// The actions an in-place update calls when `changed` (top-level attribute names)
    /// differ: the general ones and each changed attribute's, once each, in declaration order.
    pub fn update_actions<'a>(&'a self, changed: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        let mut out: Vec<&str> = Vec::new();
        let mut push = |a: &'a str| {
            if !out.contains(&a) {
                out.push(a);
            }
        };
        self.update.iter().for_each(|a| push(a));
        for name in changed {
            if let Some(actions) = self.update_attributes.get(name) {
                actions.iter().for_each(|a| push(a));
            }
        }
        out
    }
}

impl ProviderSchema {
    /// Declarations the engine cannot honour, one sentence each. A write-only attribute is
    /// stored as a digest string in place of its value, so it must be a top-level string
    /// the user sets (a computed one would have nothing to digest), and only managed
    /// resources have state to keep it out of.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (type_name, resource) in &self.resources {
            for (name, attr) in &resource.block.attributes {
                if !attr.write_only {
                    continue;
                }
                if attr.ty != Type::String {
                    out.push(format!("write-only attribute `{name}` of `{type_name}` must be a string"));
                }
                if attr.computed {
                    out.push(format!("write-only attribute `{name}` of `{type_name}` cannot be computed"));
                }
            }
            nested_write_only(type_name, &resource.block, true, &mut out);
        }
        for (type_name, data) in &self.data_sources {
            nested_write_only(type_name, &data.block, false, &mut out);
        }
        out
    }
}

fn nested_write_only(type_name: &str, block: &BlockSchema, top: bool, out: &mut Vec<String>) {
    if !top {
        for (name, attr) in &block.attributes {
            if attr.write_only {
                out.push(format!(
                    "write-only attribute `{name}` of `{type_name}` must be a top-level attribute of a resource"
                ));
            }
        }
    }
    for nested in block.blocks.values() {
        nested_write_only(type_name, &nested.block, false, out);
    }
}
