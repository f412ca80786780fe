//! Graph tests. The fixture cases (`tests/fixtures/graph/<case>/main.hcl` with an
//! `expected.txt` beside it) load a real configuration and compare the graph's edges and
//! diagnostics with the expectation; `UPDATE_EXPECT=1` rewrites the expectations. The unit
//! tests below them check cycle extraction on hand-built graphs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use petgraph::stable_graph::StableDiGraph;

use super::cycle::{cycle_diagnostic, find_cycles};
use super::*;
use crate::config::{LoadOptions, load_dir};
use crate::diag::{Diagnostic, FileId, SourceMap};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/graph").canonicalize().unwrap()
}

/// `file:line:col` with the path relative to the case's folder, so expectations do not
/// depend on where the repository is checked out.
fn location(case: &Path, sources: &SourceMap, span: Span) -> String {
    let (line, col) = sources.line_col(span.file, span.start);
    let path = sources
        .get(span.file)
        .map(|f| f.path.strip_prefix(case).unwrap_or(&f.path).display().to_string())
        .unwrap_or_default();
    format!("{path}:{line}:{col}")
}

fn render_diagnostics(out: &mut String, case: &Path, kind: &str, sources: &SourceMap, diags: &Diagnostics) {
    for diag in diags {
        let severity = if diag.is_error() { "error" } else { "warning" };
        let at = diag.span.map(|s| format!(" @ {}", location(case, sources, s))).unwrap_or_default();
        let _ = writeln!(out, "{kind}{severity}: {}{at}", diag.summary);
        for (span, text) in &diag.labels {
            let _ = writeln!(out, "  label: {text} @ {}", location(case, sources, *span));
        }
        if let Some(detail) = &diag.detail {
            let _ = writeln!(out, "  detail: {detail}");
        }
    }
}

/// The edges as `dependent -> dependency (reference text)`, sorted, then the diagnostics.
fn render_case(dir: &Path) -> String {
    let (config, load_diags) = load_dir(dir, &LoadOptions::default());
    let (graph, diags) = build(&config);
    let mut out = String::new();
    render_diagnostics(&mut out, dir, "load ", &config.sources, &load_diags);
    let mut edges: Vec<String> = graph
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (dependency, dependent) = graph.graph.edge_endpoints(e)?;
            let why = match graph.graph[e].span {
                Some(span) => config.sources.snippet(span).to_string(),
                None => "implicit".to_string(),
            };
            Some(format!("{} -> {} ({why})", graph.node(dependent), graph.node(dependency)))
        })
        .collect();
    edges.sort();
    for edge in edges {
        let _ = writeln!(out, "{edge}");
    }
    render_diagnostics(&mut out, dir, "", &config.sources, &diags);
    out
}

/// `corral graph` output, checked on the cases that have an `expected.dot`.
#[test]
fn dot_fixtures() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut checked = 0;
    for case in ["modules", "depends_on"] {
        let dir = fixtures_dir().join(case);
        let (config, _) = load_dir(&dir, &LoadOptions::default());
        let (graph, _) = build(&config);
        let actual = to_dot(&graph);
        let expected_path = dir.join("expected.dot");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
        }
        assert_eq!(actual, std::fs::read_to_string(&expected_path).unwrap(), "{case}");
        // Building again gives the same text: the order does not depend on hashing.
        assert_eq!(to_dot(&build(&config).0), actual);
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn fixtures() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in cases {
        let actual = render_case(&case);
        let expected_path = case.join("expected.txt");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let Ok(expected) = std::fs::read_to_string(&expected_path) else {
            failures.push(format!("--- {}: no expected.txt (run with UPDATE_EXPECT=1)", case.display()));
            continue;
        };
        if actual != expected {
            failures.push(format!("--- {}\nexpected:\n{expected}\nactual:\n{actual}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn local(name: &str) -> Node {
    Node::Local { module: ModulePath::root(), name: name.to_string() }
}

fn span(start: usize) -> Option<Span> {
    Some(Span::new(FileId(0), start..start + 1))
}

#[test]
fn cycle_path_names_every_node_in_reference_order() {
    // a refers to c, c to b, b to a (edges point from dependency to dependent); d hangs off
    // the cycle without being part of it.
    let mut g = StableDiGraph::new();
    let a = g.add_node(local("a"));
    let b = g.add_node(local("b"));
    let c = g.add_node(local("c"));
    let d = g.add_node(local("d"));
    g.add_edge(c, a, Edge { span: span(1) });
    g.add_edge(b, c, Edge { span: span(2) });
    g.add_edge(a, b, Edge { span: span(3) });
    g.add_edge(a, d, Edge { span: span(4) });
    let cycles = find_cycles(&g);
    assert_eq!(cycles, vec![vec![a, c, b]]);
    let diagnostic = cycle_diagnostic(&g, &cycles[0]);
    assert_eq!(diagnostic.summary, "Cycle: local.a → local.c → local.b → local.a");
    assert_eq!(diagnostic.span, None);
    let labels: Vec<_> = diagnostic.labels.iter().map(|(s, t)| (s.start, t.as_str())).collect();
    assert_eq!(
        labels,
        [
            (1, "local.a refers to local.c here"),
            (2, "local.c refers to local.b here"),
            (3, "local.b refers to local.a here"),
        ]
    );
}

#[test]
fn one_cycle_per_component_and_self_loops() {
    let mut g = StableDiGraph::new();
    let x = g.add_node(local("x"));
    let y = g.add_node(local("y"));
    let z = g.add_node(local("z"));
    let p = g.add_node(local("p"));
    let q = g.add_node(local("q"));
    let free = g.add_node(local("free"));
    // x ↔ y and y ↔ z form one component with two cycles through it; one path is enough.
    g.add_edge(x, y, Edge::default());
    g.add_edge(y, x, Edge::default());
    g.add_edge(y, z, Edge::default());
    g.add_edge(z, y, Edge::default());
    g.add_edge(p, p, Edge { span: span(9) });
    g.add_edge(q, free, Edge::default());
    let cycles = find_cycles(&g);
    assert_eq!(cycles, vec![vec![p], vec![x, y]]);
    let self_loop = cycle_diagnostic(&g, &cycles[0]);
    assert_eq!(self_loop.summary, "Cycle: local.p → local.p");
    assert_eq!(self_loop.labels[0].1, "local.p refers to itself here");
    let implicit = cycle_diagnostic(&g, &cycles[1]);
    assert!(implicit.labels.is_empty());
    assert_eq!(
        implicit.detail.as_deref(),
        Some("local.x depends on local.y implicitly; local.y depends on local.x implicitly")
    );
}

#[test]
fn long_chain_has_no_cycle_and_a_full_order() {
    // Deep enough that a recursive walk would overflow the test thread's stack.
    let mut g = StableDiGraph::new();
    let mut previous = g.add_node(local("n0"));
    for i in 1..100_000 {
        let next = g.add_node(local(&format!("n{i}")));
        g.add_edge(previous, next, Edge::default());
        previous = next;
    }
    assert!(find_cycles(&g).is_empty());
    let graph = ConfigGraph { graph: g, index: Default::default() };
    assert_eq!(graph.topo_order().len(), 100_000);
}

/// A root module of `n` resources in chains of 100 (`name = testing_thing.rI.id`), each
/// chain head reading a local: the shape of the benchmark configurations. Built directly,
/// without the loader, so it measures the graph alone.
fn generated_config(n: usize) -> Config {
    use crate::addr::ResourceAddr;
    use crate::config::{Attribute, Body, Expr, Local, Module, ProviderRef, Resource};

    let file = FileId(0);
    let expr =
        |text: &str| Expr { expr: hcl_edit::parser::parse_expr(text).unwrap(), span: Span::new(file, 0..text.len()) };
    let mut root = Module::default();
    root.locals.insert(
        "prefix".into(),
        Local { name: "prefix".into(), value: expr("\"bench\""), span: Span::new(file, 0..0) },
    );
    for i in 0..n {
        let value =
            if i % 100 == 0 { "\"${local.prefix}-x\"".to_string() } else { format!("testing_thing.r{}.id", i - 1) };
        let mut body = Body::default();
        let value = expr(&value);
        body.attributes
            .insert("name".into(), Attribute { name: "name".into(), name_span: value.span, span: value.span, value });
        let addr = ResourceAddr::managed("testing_thing", format!("r{i}"));
        root.resources.insert(
            addr.clone(),
            Resource {
                addr,
                provider: ProviderRef { name: "testing".into(), alias: None, span: None },
                count: None,
                for_each: None,
                depends_on: Vec::new(),
                lifecycle: Default::default(),
                body,
                provisioners: Vec::new(),
                span: Span::new(file, 0..0),
                decl_span: Span::new(file, 0..0),
            },
        );
    }
    Config { root, sources: SourceMap::default(), hash: String::new() }
}

#[test]
fn ten_thousand_resources() {
    let config = generated_config(10_000);
    let started = std::time::Instant::now();
    let (graph, diags) = build(&config);
    let elapsed = started.elapsed();
    // Run with `--nocapture` to see the figure; this test checks the shape, not the time.
    println!("graph::build of 10k resources: {elapsed:?}");
    assert!(diags.is_empty(), "{diags:?}");
    // 10k resources + 1 local + the implied `testing` provider.
    assert_eq!(graph.graph.node_count(), 10_002);
    // 9,900 chain links + 100 chain heads on the local + 10k provider edges.
    assert_eq!(graph.graph.edge_count(), 20_000);
    assert_eq!(graph.topo_order().len(), 10_002);
}

/// What a user is told about a cycle: every node named in the summary, each reference
/// labelled. (How the CLI draws this diagnostic is snapshotted in its `diagnostic_report`.)
#[test]
fn cycle_diagnostic_names_every_node_and_labels_every_reference() {
    use crate::addr::{ConfigResource, ResourceAddr};
    let text = "resource \"testing_thing\" \"a\" {\n  name = local.x\n}\n\nlocals {\n  x = testing_thing.b.id\n}\n\nresource \"testing_thing\" \"b\" {\n  name = testing_thing.a.id\n}\n";
    let mut sources = SourceMap::default();
    let file = sources.add("main.hcl".into(), text);
    let at = |s: &str| {
        let start = text.find(s).unwrap();
        Some(Span::new(file, start..start + s.len()))
    };
    let resource = |name: &str| {
        Node::Resource(ConfigResource {
            module: ModulePath::root(),
            resource: ResourceAddr::managed("testing_thing", name),
        })
    };
    let mut g = StableDiGraph::new();
    let x = g.add_node(local("x"));
    let a = g.add_node(resource("a"));
    let b = g.add_node(resource("b"));
    g.add_edge(x, a, Edge { span: at("local.x") });
    g.add_edge(b, x, Edge { span: at("testing_thing.b.id") });
    g.add_edge(a, b, Edge { span: at("testing_thing.a.id") });
    let cycles = find_cycles(&g);
    let diagnostic = cycle_diagnostic(&g, &cycles[0]);
    let expected = Diagnostic::error("Cycle: testing_thing.a → local.x → testing_thing.b → testing_thing.a")
        .with_label(at("local.x").unwrap(), "testing_thing.a refers to local.x here")
        .with_label(at("testing_thing.b.id").unwrap(), "local.x refers to testing_thing.b here")
        .with_label(at("testing_thing.a.id").unwrap(), "testing_thing.b refers to testing_thing.a here")
        .with_help("break the cycle by removing one of these references");
    assert_eq!(diagnostic, expected);
}
