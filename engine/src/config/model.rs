//! The configuration model. Plain data; built by `load`, checked by `validate`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::IndexMap;

use crate::addr::{AbsResourceInstance, ModulePath, ResourceAddr};
use crate::diag::{SourceMap, Span};
use crate::value::{PathStep, Type};

/// A loaded configuration: the root module, its descendants, and the sources they came from.
#[derive(Debug)]
pub struct Config {
    pub root: Module,
    pub sources: SourceMap,
    /// SHA-256 over every file's path and content, in path order: a saved plan records it to
    /// refuse being applied to changed configuration.
    pub hash: String,
}

impl Config {
    /// The module at a static path.
    pub fn module(&self, path: &ModulePath) -> Option<&Module> {
        let mut module = &self.root;
        for step in &path.0 {
            module = module.children.get(step)?;
        }
        Some(module)
    }

    /// Every module, parents before children.
    pub fn modules(&self) -> Vec<&Module> {
        let mut out = Vec::new();
        let mut stack = vec![&self.root];
        while let Some(m) = stack.pop() {
            out.push(m);
            stack.extend(m.children.values().rev());
        }
        out
    }
}

/// One module: the `.hcl`/`.tf` files of one directory.
#[derive(Debug, Default)]
pub struct Module {
    pub path: ModulePath,
    pub dir: PathBuf,
    pub terraform: Option<TerraformBlock>,
    pub providers: Vec<ProviderConfig>,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub outputs: IndexMap<String, Output>,
    /// Managed resources and data sources, keyed by their address in this module.
    pub resources: IndexMap<ResourceAddr, Resource>,
    pub module_calls: IndexMap<String, ModuleCall>,
    pub moved: Vec<Moved>,
    /// `import` blocks (root module only).
    pub imports: Vec<Import>,
    /// `removed` blocks (root module only).
    pub removed: Vec<Removed>,
    /// `check` blocks, by name.
    pub checks: IndexMap<String, Check>,
    /// Loaded child modules, by call name.
    pub children: BTreeMap<String, Module>,
}

/// An expression as written, with the span of its text.
#[derive(Clone, Debug)]
pub struct Expr {
    pub expr: hcl_edit::expr::Expression,
    pub span: Span,
}

/// An attribute `name = expr`.
#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub name_span: Span,
    pub value: Expr,
    pub span: Span,
}

/// A block body whose meaning depends on a provider schema (resource, data and provider
/// bodies). Meta-arguments (`count`, `lifecycle`, ...) have already been taken out.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attributes: IndexMap<String, Attribute>,
    pub blocks: Vec<NestedBlock>,
    /// The span of the whole body (between the braces).
    pub span: Option<Span>,
}

impl Body {
    /// Where the configuration sets what `path` names: the attribute, else the nested block
    /// (the `i`th of its type for an index, the one labelled `k` for a key), else nothing.
    /// Paths into an attribute's value stop at the attribute: its expression may build the
    /// value in ways the path does not follow.
    pub fn span_of(&self, path: &[PathStep]) -> Option<Span> {
        let Some(PathStep::Attr(name)) = path.first() else { return None };
        if let Some(attribute) = self.attributes.get(name) {
            return Some(attribute.span);
        }
        let mut of_type = self.blocks.iter().filter(|b| &b.type_name == name);
        let (block, rest) = match path.get(1) {
            Some(PathStep::Index(i)) => (usize::try_from(*i).ok().and_then(|i| of_type.nth(i)), &path[2..]),
            Some(PathStep::Key(key)) => (of_type.find(|b| b.labels.first() == Some(key)), &path[2..]),
            _ => (of_type.next(), &path[1..]),
        };
        let block = block?;
        // Generated blocks have no source of their own beyond their `dynamic` block.
        if block.dynamic.is_some() {
            return Some(block.span);
        }
        block.body.span_of(rest).or(Some(block.span))
    }
}

#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// The block type (`node_group`), or for `dynamic "node_group"`, `node_group` with
    /// `dynamic` set.
    pub type_name: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub dynamic: Option<DynamicBlock>,
    pub span: Span,
}

/// `dynamic "x" { for_each = ...  iterator = it  content { ... } }`: the content is `body`
/// of the enclosing [`NestedBlock`].
#[derive(Clone, Debug)]
pub struct DynamicBlock {
    pub for_each: Expr,
    pub iterator: String,
    pub labels: Vec<Expr>,
}

#[derive(Debug, Default)]
pub struct TerraformBlock {
    pub required_version: Option<String>,
    pub required_providers: BTreeMap<String, RequiredProvider>,
    pub backend: Option<BackendConfig>,
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct RequiredProvider {
    pub source: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug)]
pub struct BackendConfig {
    pub kind: String,
    pub body: Body,
    pub span: Span,
}

/// `provider "kmr" { alias = "x" ... }`.
#[derive(Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub span: Span,
}

impl ProviderConfig {
    /// `kmr` or `kmr.alias`.
    pub fn key(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A reference to a provider configuration: `provider = kmr.west`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProviderRef {
    pub name: String,
    pub alias: Option<String>,
    pub span: Option<Span>,
}

impl ProviderRef {
    pub fn key(&self) -> String {
        match &self.alias {
            Some(a) => format!("{}.{a}", self.name),
            None => self.name.clone(),
        }
    }
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    /// The declared type constraint (`any` when absent).
    pub ty: Type,
    /// Whether a value given as text (`--var`, `CORRAL_VAR_*`) is taken literally rather than
    /// parsed as an expression: so when `type` is absent or primitive, as in Terraform.
    pub literal_input: bool,
    /// Defaults of optional object attributes, by path, from `optional(T, default)`.
    pub optional_attrs: Vec<OptionalAttr>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<CheckRule>,
    pub span: Span,
}

/// An attribute of an object type constraint declared `optional(T)` or `optional(T, d)`.
#[derive(Debug, Clone)]
pub struct OptionalAttr {
    /// Attribute names from the variable's type down to this attribute (list/map element
    /// steps are skipped).
    pub path: Vec<String>,
    pub default: Option<Expr>,
}

/// `condition` + `error_message`, as in `validation`, `precondition`, `postcondition`.
#[derive(Clone, Debug)]
pub struct CheckRule {
    pub condition: Expr,
    pub error_message: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub preconditions: Vec<CheckRule>,
    pub span: Span,
}

#[derive(Debug)]
pub struct Resource {
    pub addr: ResourceAddr,
    /// The provider configuration: explicit `provider = x.y`, else the implied one.
    pub provider: ProviderRef,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// Each `depends_on` entry, a bare reference expression.
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    pub body: Body,
    /// `provisioner "local-exec"` blocks, in order.
    pub provisioners: Vec<Provisioner>,
    /// The whole block.
    pub span: Span,
    /// The `resource "t" "n"` header.
    pub decl_span: Span,
}

/// A `provisioner "local-exec"` block of a managed resource.
#[derive(Clone, Debug)]
pub struct Provisioner {
    pub kind: String,
    /// `when = destroy`: runs before the object is destroyed, not after it is created.
    pub when_destroy: bool,
    /// `on_failure = continue`: a failure is a warning and the object stays as it is.
    pub on_failure_continue: bool,
    /// `command`, `working_dir`, `environment`, `interpreter`, `quiet`.
    pub attributes: IndexMap<String, Attribute>,
    pub span: Span,
    /// The `provisioner "local-exec"` header.
    pub decl_span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    pub preconditions: Vec<CheckRule>,
    pub postconditions: Vec<CheckRule>,
}

#[derive(Clone, Debug, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    /// Attribute paths as written (`tags["x"]`, `node.count`), parsed to paths with spans.
    Paths(Vec<(crate::value::Path, Span)>),
}

#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub source_span: Span,
    /// `version`: a registry module's version constraint, as written.
    pub version: Option<(String, Span)>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// Input variables, by name.
    pub arguments: IndexMap<String, Attribute>,
    /// `providers = { kmr = kmr.west }`: child name → parent provider.
    pub providers: Vec<(String, ProviderRef)>,
    pub span: Span,
    pub decl_span: Span,
}

/// `moved { from = a.b  to = a.c }`.
#[derive(Debug)]
pub struct Moved {
    pub from: crate::addr::Target,
    pub to: crate::addr::Target,
    pub span: Span,
}

/// `import { to = kmr_cluster.c  id = "ksc-1" }`: adopt an existing object into state.
#[derive(Debug)]
pub struct Import {
    /// The static part of `to`: a resource, or one of its instances.
    pub to: crate::addr::Target,
    /// A computed instance key of `to` (`kmr_cluster.c[each.key]`), evaluated per element
    /// of `for_each`; `to` is then a resource.
    pub to_key: Option<Expr>,
    pub id: Expr,
    pub for_each: Option<Expr>,
    /// `provider = kmr.west`: the configuration that imports (and, for generated
    /// configuration, the one the new block names).
    pub provider: Option<ProviderRef>,
    pub span: Span,
}

impl Import {
    /// The import `corral import ADDR ID` asks for, as if written in an `import` block at
    /// `span` (the target's `resource` block, where problems are reported).
    pub fn by_id(to: AbsResourceInstance, id: &str, span: Span) -> Import {
        let expr = hcl_edit::expr::Expression::from(id);
        Import {
            to: crate::addr::Target::Instance(to),
            to_key: None,
            id: Expr { expr, span },
            for_each: None,
            provider: None,
            span,
        }
    }
}

/// `check "name" { data ... assert { ... } }`: assertions evaluated at the end of every plan
/// and apply, whose failures are warnings.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    /// The scoped data source: read each time the check runs, visible only to its asserts.
    pub data: Option<Resource>,
    pub asserts: Vec<CheckRule>,
    pub span: Span,
    /// The `check "name"` header.
    pub decl_span: Span,
}

/// `removed { from = kmr_cluster.c  lifecycle { destroy = false } }`.
#[derive(Debug)]
pub struct Removed {
    /// A resource or a module call, without instance keys.
    pub from: crate::addr::Target,
    /// `false`: forget the objects without destroying them.
    pub destroy: bool,
    pub span: Span,
}
