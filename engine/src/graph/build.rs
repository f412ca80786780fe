//! Building the graph from a configuration, in two passes: first a node for everything
//! declared (indexed per module by name, so resolving a reference is a hash lookup), then
//! the edges from every reference, `depends_on` entry, module boundary and provider use.
//! The cost is linear in the size of the configuration.

use std::collections::{HashMap, HashSet};

use petgraph::stable_graph::NodeIndex;

use super::{ConfigGraph, Edge, Node, cycle};
use crate::addr::{ConfigResource, ModulePath, ResourceAddr, ResourceMode};
use crate::config::{CheckRule, Config, Expr, Module, ProviderRef};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::lang::{Reference, Subject, references, references_in_body};
use crate::value::PathStep;

pub(super) fn build(config: &Config) -> (ConfigGraph, Diagnostics) {
    let mut builder = Builder {
        graph: ConfigGraph::default(),
        modules: HashMap::new(),
        edges: HashSet::new(),
        diags: Diagnostics::new(),
    };
    let modules = config.modules();
    for module in &modules {
        builder.add_nodes(module);
    }
    for module in &modules {
        builder.add_edges(module);
    }
    // Reference problems in source order, whatever order the blocks were visited in.
    builder.diags.0.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    for path in cycle::find_cycles(&builder.graph.graph) {
        let diagnostic = cycle::cycle_diagnostic(&builder.graph.graph, &path);
        builder.diags.push(diagnostic);
    }
    (builder.graph, builder.diags)
}

/// The nodes of one module by name.
struct ModuleIndex<'c> {
    module: &'c Module,
    variables: HashMap<&'c str, NodeIndex>,
    locals: HashMap<&'c str, NodeIndex>,
    outputs: HashMap<&'c str, NodeIndex>,
    resources: HashMap<&'c ResourceAddr, NodeIndex>,
    calls: HashMap<&'c str, NodeIndex>,
    /// Provider configurations declared by `provider` blocks here, by key (`kmr.west`).
    providers: HashMap<String, NodeIndex>,
    /// Provider keys already resolved for this module (declared, inherited or implied).
    resolved_providers: HashMap<String, Option<NodeIndex>>,
    /// Scoped data sources (inside `check` blocks), with the name of the check of each.
    scoped: HashMap<&'c ResourceAddr, &'c str>,
    /// Every node declared here, for "everything in the module depends on its call".
    all: Vec<NodeIndex>,
}

/// What a reference may use where it appears.
#[derive(Clone, Copy)]
struct Context<'a> {
    module: &'a ModulePath,
    /// The node that the references make depend on their targets.
    dependent: NodeIndex,
    count: bool,
    for_each: bool,
    /// `self` is allowed (postconditions).
    self_object: bool,
}

struct Builder<'c> {
    graph: ConfigGraph,
    modules: HashMap<&'c ModulePath, ModuleIndex<'c>>,
    edges: HashSet<(NodeIndex, NodeIndex)>,
    diags: Diagnostics,
}

impl<'c> Builder<'c> {
    fn node(&mut self, node: Node) -> NodeIndex {
        let index = self.graph.graph.add_node(node.clone());
        self.graph.index.insert(node, index);
        index
    }

    /// Adds `dependency → dependent` once; the first reference that made it is kept.
    fn edge(&mut self, dependency: NodeIndex, dependent: NodeIndex, span: Option<Span>) {
        if self.edges.insert((dependency, dependent)) {
            self.graph.graph.add_edge(dependency, dependent, Edge { span });
        }
    }

    /// The node of the call that instantiates a child module.
    fn call_of(&self, module: &ModulePath) -> Option<NodeIndex> {
        let parent = module.parent()?;
        let name = module.0.last()?;
        self.modules.get(&parent)?.calls.get(name.as_str()).copied()
    }

    fn add_nodes(&mut self, module: &'c Module) {
        let path = &module.path;
        let mut index = ModuleIndex {
            module,
            variables: HashMap::with_capacity(module.variables.len()),
            locals: HashMap::with_capacity(module.locals.len()),
            outputs: HashMap::with_capacity(module.outputs.len()),
            resources: HashMap::with_capacity(module.resources.len()),
            calls: HashMap::with_capacity(module.module_calls.len()),
            providers: HashMap::new(),
            resolved_providers: HashMap::new(),
            scoped: HashMap::new(),
            all: Vec::new(),
        };
        for name in module.variables.keys() {
            let node = self.node(Node::Variable { module: path.clone(), name: name.clone() });
            index.variables.insert(name, node);
            index.all.push(node);
        }
        for name in module.locals.keys() {
            let node = self.node(Node::Local { module: path.clone(), name: name.clone() });
            index.locals.insert(name, node);
            index.all.push(node);
        }
        for name in module.outputs.keys() {
            let node = self.node(Node::Output { module: path.clone(), name: name.clone() });
            index.outputs.insert(name, node);
            index.all.push(node);
        }
        for addr in module.resources.keys() {
            let node = self.node(Node::Resource(ConfigResource { module: path.clone(), resource: addr.clone() }));
            index.resources.insert(addr, node);
            index.all.push(node);
        }
        for name in module.module_calls.keys() {
            let node = self.node(Node::ModuleCall { module: path.clone(), name: name.clone() });
            index.calls.insert(name, node);
            index.all.push(node);
        }
        for provider in &module.providers {
            let key = provider.key();
            // A duplicate provider block is the loader's error; the first one wins here.
            if let std::collections::hash_map::Entry::Vacant(entry) = index.providers.entry(key) {
                let node = self.node(Node::Provider { module: path.clone(), key: entry.key().clone() });
                entry.insert(node);
                index.all.push(node);
            }
        }
        for check in module.checks.values() {
            let node = self.node(Node::Check { module: path.clone(), name: check.name.clone() });
            index.all.push(node);
            if let Some(data) = &check.data {
                index.scoped.insert(&data.addr, &check.name);
            }
        }
        self.modules.insert(path, index);
    }

    fn add_edges(&mut self, module: &'c Module) {
        let path = &module.path;
        let Some(index) = self.modules.get(path) else { return };
        let ids = |map: &HashMap<&'c str, NodeIndex>, name: &str| map.get(name).copied();
        let local_ids: Vec<_> = module.locals.keys().filter_map(|name| ids(&index.locals, name)).collect();
        let variable_ids: Vec<_> = module.variables.keys().map(|name| ids(&index.variables, name)).collect();
        let output_ids: Vec<_> = module.outputs.keys().filter_map(|name| ids(&index.outputs, name)).collect();
        let resource_ids: Vec<_> =
            module.resources.keys().filter_map(|addr| index.resources.get(addr).copied()).collect();
        let call_ids: Vec<_> = module.module_calls.keys().filter_map(|name| ids(&index.calls, name)).collect();
        let provider_ids: Vec<_> =
            module.providers.iter().filter_map(|p| index.providers.get(&p.key()).copied()).collect();
        let all = index.all.clone();

        // Everything in a child module waits for its call (count/for_each, depends_on).
        if let Some(call) = self.call_of(path) {
            for node in all {
                self.edge(call, node, None);
            }
        }

        let plain = |dependent| Context { module: path, dependent, count: false, for_each: false, self_object: false };

        // A validation may refer to the variable and, as since Terraform 1.9, to the
        // module's other objects (variables, locals, data sources, ...): those are evaluated
        // first (an edge each into the variable), so the rule sees their values. One that
        // itself depends on the variable makes a cycle, reported as such.
        for (variable, node) in module.variables.values().zip(variable_ids) {
            for rule in &variable.validations {
                for expr in [&rule.condition, &rule.error_message] {
                    let others: Vec<_> = references(expr)
                        .into_iter()
                        .filter(|r| !matches!(&r.subject, Subject::Var(name) if *name == variable.name))
                        .collect();
                    if let Some(node) = node {
                        self.add_refs(plain(node), others);
                    }
                }
            }
        }

        for (local, node) in module.locals.values().zip(local_ids) {
            self.expr_refs(plain(node), &local.value);
        }

        for (output, node) in module.outputs.values().zip(output_ids) {
            self.expr_refs(plain(node), &output.value);
            self.rules_refs(plain(node), &output.preconditions);
            self.depends_on(plain(node), &output.depends_on);
        }

        for (resource, node) in module.resources.values().zip(resource_ids) {
            let outer = plain(node);
            for expr in resource.count.iter().chain(&resource.for_each) {
                self.expr_refs(outer, expr);
            }
            self.depends_on(outer, &resource.depends_on);
            let inner = Context { count: resource.count.is_some(), for_each: resource.for_each.is_some(), ..outer };
            self.add_refs(inner, references_in_body(&resource.body));
            let lifecycle = &resource.lifecycle;
            for expr in &lifecycle.replace_triggered_by {
                self.expr_refs(inner, expr);
            }
            self.rules_refs(inner, &lifecycle.preconditions);
            self.rules_refs(Context { self_object: true, ..inner }, &lifecycle.postconditions);
            for provisioner in &resource.provisioners {
                for attribute in provisioner.attributes.values() {
                    self.expr_refs(Context { self_object: true, ..inner }, &attribute.value);
                }
            }
            match self.resolve_provider(path, &resource.provider.key()) {
                Some(provider) => self.edge(provider, node, None),
                // The loader's validation already reports undeclared aliases in the root.
                None if path.is_root() => {}
                None => self.diags.push(undeclared_provider(&resource.provider, resource.decl_span)),
            }
        }

        // An import's expressions are evaluated just before its target is planned.
        for import in &module.imports {
            let (target_module, resource) = match &import.to {
                crate::addr::Target::Resource(r) => (r.module.path(), &r.resource),
                crate::addr::Target::Instance(i) => (i.module.path(), &i.resource),
                crate::addr::Target::Module(_) => continue,
            };
            let Some(node) = self.modules.get(&target_module).and_then(|m| m.resources.get(resource)).copied() else {
                continue;
            };
            let outer = plain(node);
            if let Some(expr) = &import.for_each {
                self.expr_refs(outer, expr);
            }
            let inner = Context { for_each: import.for_each.is_some(), ..outer };
            for expr in std::iter::once(&import.id).chain(&import.to_key) {
                self.expr_refs(inner, expr);
            }
        }

        for (call, node) in module.module_calls.values().zip(call_ids) {
            let outer = plain(node);
            for expr in call.count.iter().chain(&call.for_each) {
                self.expr_refs(outer, expr);
            }
            self.depends_on(outer, &call.depends_on);
            let child = path.child(&call.name);
            let inner = Context { count: call.count.is_some(), for_each: call.for_each.is_some(), ..outer };
            for argument in call.arguments.values() {
                // An argument is evaluated as the child's variable, so its references make
                // that variable wait, not the whole call: two modules can then feed each
                // other's outputs without a false cycle through the calls.
                let target = self
                    .modules
                    .get(&child)
                    .and_then(|c| c.variables.get(argument.name.as_str()))
                    .copied()
                    .unwrap_or(node);
                self.expr_refs(Context { dependent: target, ..inner }, &argument.value);
            }
            for (_, parent_ref) in &call.providers {
                if self.resolve_provider(path, &parent_ref.key()).is_none() && !path.is_root() {
                    let span = parent_ref.span.unwrap_or(call.decl_span);
                    self.diags.push(undeclared_provider(parent_ref, span));
                }
            }
        }

        for (provider, node) in module.providers.iter().zip(provider_ids) {
            self.add_refs(plain(node), references_in_body(&provider.body));
        }

        for check in module.checks.values() {
            let Some(node) = self.graph.get(&Node::Check { module: path.clone(), name: check.name.clone() }) else {
                continue;
            };
            self.check_edges(plain(node), check);
        }
    }

    /// A check waits for what its scoped data source and its assertions refer to (except
    /// that data source itself) and for the data source's provider.
    fn check_edges(&mut self, ctx: Context<'_>, check: &crate::config::Check) {
        let scoped = check.data.as_ref().map(|d| &d.addr);
        if let Some(data) = &check.data {
            if let Some(declared) = self.modules.get(ctx.module).and_then(|m| m.module.resources.get(&data.addr)) {
                self.diags.push(
                    Diagnostic::error(format!("duplicate data source `{}`", data.addr))
                        .with_span(data.decl_span)
                        .with_label(declared.decl_span, "first defined here")
                        .with_detail("a scoped data source shares its module's namespace of data sources"),
                );
            }
            self.depends_on(ctx, &data.depends_on);
            self.add_refs(ctx, references_in_body(&data.body));
            match self.resolve_provider(ctx.module, &data.provider.key()) {
                Some(provider) => self.edge(provider, ctx.dependent, None),
                None => self.diags.push(undeclared_provider(&data.provider, data.decl_span)),
            }
        }
        for rule in &check.asserts {
            for expr in [&rule.condition, &rule.error_message] {
                for reference in references(expr) {
                    if !matches!(&reference.subject, Subject::Resource(addr) if Some(addr) == scoped) {
                        self.add_ref(ctx, &reference);
                    }
                }
            }
        }
    }

    fn expr_refs(&mut self, ctx: Context<'_>, expr: &Expr) {
        self.add_refs(ctx, references(expr));
    }

    fn rules_refs(&mut self, ctx: Context<'_>, rules: &[CheckRule]) {
        for rule in rules {
            self.expr_refs(ctx, &rule.condition);
            self.expr_refs(ctx, &rule.error_message);
        }
    }

    fn add_refs(&mut self, ctx: Context<'_>, refs: Vec<Reference>) {
        for reference in refs {
            self.add_ref(ctx, &reference);
        }
    }

    fn add_ref(&mut self, ctx: Context<'_>, reference: &Reference) {
        let Some(index) = self.modules.get(ctx.module) else { return };
        let span = reference.span;
        let found = match &reference.subject {
            Subject::Var(name) => index.variables.get(name.as_str()).copied().ok_or_else(|| {
                Diagnostic::error(format!("Reference to undeclared input variable \"{name}\""))
                    .with_help(format!("declare it with a `variable \"{name}\" {{}}` block in this module"))
            }),
            Subject::Local(name) => index.locals.get(name.as_str()).copied().ok_or_else(|| {
                Diagnostic::error(format!("Reference to undeclared local value \"{name}\""))
                    .with_help(format!("declare it in a `locals {{}}` block: `{name} = ...`"))
            }),
            Subject::Resource(addr) => index.resources.get(addr).copied().ok_or_else(|| {
                if let Some(check) = index.scoped.get(addr) {
                    return Diagnostic::error(format!("Reference to scoped data source `{addr}`"))
                        .with_detail(format!("`{addr}` is declared inside check \"{check}\" and only that check's assertions may refer to it"));
                }
                let what = match addr.mode {
                    ResourceMode::Managed => "resource",
                    ResourceMode::Data => "data source",
                };
                Diagnostic::error(format!("Reference to undeclared {what} `{addr}`"))
            }),
            Subject::ModuleCall(name) => {
                return self.module_ref(ctx, name, &reference.rest, span);
            }
            Subject::CountIndex if !ctx.count => Err(Diagnostic::error("`count.index` used where there is no `count`")
                .with_detail("`count.index` is only available in a resource or module block that sets `count`")),
            Subject::EachKey | Subject::EachValue if !ctx.for_each => {
                Err(Diagnostic::error("`each` used where there is no `for_each`")
                    .with_detail("`each.key` and `each.value` are only available in a block that sets `for_each`"))
            }
            Subject::SelfObject if !ctx.self_object => Err(Diagnostic::error("`self` used outside a postcondition")
                .with_detail(
                    "`self` refers to the resource's own object and is only available in `postcondition` blocks",
                )),
            Subject::CountIndex
            | Subject::EachKey
            | Subject::EachValue
            | Subject::SelfObject
            | Subject::PathModule
            | Subject::PathRoot
            | Subject::PathCwd
            | Subject::TerraformWorkspace => return,
        };
        match found {
            Ok(dependency) => self.edge(dependency, ctx.dependent, Some(span)),
            Err(diagnostic) => self.diags.push(diagnostic.with_span(span)),
        }
    }

    /// `module.NAME.OUT` depends on that output of the child; a bare `module.NAME` (or one
    /// with only an instance key) on all of them.
    fn module_ref(&mut self, ctx: Context<'_>, name: &str, rest: &[PathStep], span: Span) {
        match self.module_outputs(ctx.module, name, rest) {
            Ok(dependencies) => {
                for dependency in dependencies {
                    self.edge(dependency, ctx.dependent, Some(span));
                }
            }
            Err(diagnostic) => self.diags.push(diagnostic.with_span(span)),
        }
    }

    /// The nodes a reference `module.NAME` + `rest` in `module` depends on.
    fn module_outputs(
        &self,
        module: &ModulePath,
        name: &str,
        rest: &[PathStep],
    ) -> Result<Vec<NodeIndex>, Box<Diagnostic>> {
        let call = self
            .modules
            .get(module)
            .and_then(|index| index.calls.get(name))
            .copied()
            .ok_or_else(|| Box::new(Diagnostic::error(format!("Reference to undeclared module \"{name}\""))))?;
        let Some(child) = self.modules.get(&module.child(name)) else {
            // The child failed to load (already reported); the call stands in for it.
            return Ok(vec![call]);
        };
        // The first attribute is the output's name; instance keys (`module.x[0]`) come before it.
        let output = rest.iter().find_map(|step| match step {
            PathStep::Attr(attr) => Some(attr.as_str()),
            PathStep::Key(_) | PathStep::Index(_) => None,
        });
        let Some(output) = output else {
            return Ok(child.module.outputs.keys().filter_map(|o| child.outputs.get(o.as_str()).copied()).collect());
        };
        if let Some(node) = child.outputs.get(output) {
            return Ok(vec![*node]);
        }
        let declared: Vec<&str> = child.module.outputs.keys().map(String::as_str).collect();
        let help = if declared.is_empty() {
            format!("module.{name} declares no outputs")
        } else {
            format!("its outputs are: {}", declared.join(", "))
        };
        Err(Box::new(Diagnostic::error(format!("`module.{name}` has no output `{output}`")).with_help(help)))
    }

    /// `depends_on = [...]`: resources and data sources directly; a module means everything
    /// in it (its outputs and every resource in it and below it).
    fn depends_on(&mut self, ctx: Context<'_>, entries: &[Expr]) {
        for entry in entries {
            for reference in references(entry) {
                match &reference.subject {
                    Subject::Resource(_) => self.add_ref(ctx, &reference),
                    Subject::ModuleCall(name) if reference.rest.iter().all(|s| !matches!(s, PathStep::Attr(_))) => {
                        self.depends_on_module(ctx, name, reference.span)
                    }
                    _ => self.diags.push(
                        Diagnostic::error("Invalid `depends_on` entry")
                            .with_span(reference.span)
                            .with_detail("`depends_on` may only list resources, data sources and modules"),
                    ),
                }
            }
        }
    }

    fn depends_on_module(&mut self, ctx: Context<'_>, name: &str, span: Span) {
        let Some(call) = self.modules.get(ctx.module).and_then(|m| m.calls.get(name)).copied() else {
            self.diags.push(Diagnostic::error(format!("Reference to undeclared module \"{name}\"")).with_span(span));
            return;
        };
        self.edge(call, ctx.dependent, Some(span));
        let mut stack = vec![ctx.module.child(name)];
        let mut targets = Vec::new();
        while let Some(path) = stack.pop() {
            let Some(child) = self.modules.get(&path) else { continue };
            targets.extend(child.outputs.values().copied());
            targets.extend(child.resources.values().copied());
            stack.extend(child.module.module_calls.keys().map(|n| path.child(n)));
        }
        for node in targets {
            self.edge(node, ctx.dependent, Some(span));
        }
    }

    /// The provider configuration a resource in `module` uses for `key`: declared there;
    /// else passed by the module call's `providers` map; else, for a default (unaliased)
    /// configuration when the call has no map, inherited from the parent; else an implied
    /// empty configuration of a default provider. An alias that is neither declared nor
    /// passed resolves to nothing. This is Terraform's rule.
    fn resolve_provider(&mut self, module: &ModulePath, key: &str) -> Option<NodeIndex> {
        let index = self.modules.get(module)?;
        if let Some(node) = index.providers.get(key) {
            return Some(*node);
        }
        if let Some(resolved) = index.resolved_providers.get(key) {
            return *resolved;
        }
        let passed = match (module.parent(), module.0.last()) {
            (Some(parent), Some(name)) => {
                let call = self.modules.get(&parent).and_then(|p| p.module.module_calls.get(name));
                match call {
                    Some(call) if !call.providers.is_empty() => call
                        .providers
                        .iter()
                        .find(|(child_key, _)| child_key == key)
                        .map(|(_, parent_ref)| (parent, parent_ref.key())),
                    // Only default configurations are inherited; an alias must be passed.
                    _ if key.contains('.') => None,
                    _ => Some((parent, key.to_string())),
                }
            }
            _ => None,
        };
        let resolved = match passed {
            Some((parent, parent_key)) => self.resolve_provider(&parent, &parent_key),
            None => None,
        };
        let resolved = match resolved {
            Some(node) => Some(node),
            // Only a default (unaliased) configuration can be implied.
            None if !key.contains('.') => {
                let node = self.node(Node::Provider { module: module.clone(), key: key.to_string() });
                if let Some(call) = self.call_of(module) {
                    self.edge(call, node, None);
                }
                Some(node)
            }
            None => None,
        };
        if let Some(index) = self.modules.get_mut(module) {
            index.resolved_providers.insert(key.to_string(), resolved);
        }
        resolved
    }
}

fn undeclared_provider(provider: &ProviderRef, fallback: Span) -> Diagnostic {
    Diagnostic::error(format!("Reference to undeclared provider configuration `{}`", provider.key()))
        .with_span(provider.span.unwrap_or(fallback))
        .with_help(format!(
            "declare it with a `provider \"{}\" {{ alias = \"{}\" }}` block, or pass it in the module call's `providers` map",
            provider.name,
            provider.alias.as_deref().unwrap_or_default()
        ))
}
