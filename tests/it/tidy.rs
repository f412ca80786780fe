//! The house rules ARCHITECTURE.md states, checked on every `cargo test`:
//! - each module of a layered crate uses only the modules its row of the layer table allows
//!   (the table in ARCHITECTURE.md is the one allow-list; a module missing from it, or a row
//!   naming a module that does not exist, fails too);
//! - every non-test source file opens with a `//!` comment saying what it holds;
//! - an `#[allow(..)]` says, with `reason = "..."`, why `#[expect(..)]` does not fit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the layer table starts in ARCHITECTURE.md.
const LAYERS_MARKER: &str = "<!-- layers -->";

/// One row of the layer table: in the crate whose sources are under `root`, `module` may use
/// the modules in `may_use` (and itself).
#[derive(Debug, Clone, PartialEq)]
struct Layer {
    root: String,
    module: String,
    may_use: BTreeSet<String>,
}

/// Reads the table after [`LAYERS_MARKER`]: `| crate sources | module | may use |` rows, the
/// third cell a comma-separated list of module names in backticks, or `—` for none.
fn parse_layers(doc: &str) -> Result<Vec<Layer>, String> {
    let start = doc.find(LAYERS_MARKER).ok_or_else(|| format!("no {LAYERS_MARKER} in ARCHITECTURE.md"))?;
    let mut layers = Vec::new();
    let rows = doc[start..].lines().skip(1).skip_while(|line| !line.starts_with('|'));
    for line in rows.take_while(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 3 {
            return Err(format!("layer table row without three cells: {line}"));
        }
        if cells[0].starts_with("---") || cells[0].eq_ignore_ascii_case("crate sources") {
            continue;
        }
        let names = |cell: &str| -> BTreeSet<String> {
            cell.split(',')
                .map(|name| name.trim().trim_matches('`').to_string())
                .filter(|name| !name.is_empty() && name != "—")
                .collect()
        };
        layers.push(Layer {
            root: cells[0].trim_matches('`').to_string(),
            module: cells[1].trim_matches('`').to_string(),
            may_use: names(cells[2]),
        });
    }
    if layers.is_empty() {
        return Err("the layer table after <!-- layers --> has no rows".into());
    }
    Ok(layers)
}

/// `crate::NAME` uses in a file's code: comments, doc comments and items under
/// `#[cfg(test)]` do not count (tests may reach anywhere).
fn crate_uses(source: &str) -> Vec<(usize, String)> {
    let mut uses = Vec::new();
    let mut skipping_test_item = false;
    let mut depth: i64 = 0;
    let mut opened = false;
    for (number, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if skipping_test_item {
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            opened |= code.contains('{');
            if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                skipping_test_item = false;
            }
            continue;
        }
        if code.trim() == "#[cfg(test)]" {
            skipping_test_item = true;
            depth = 0;
            opened = false;
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `corral_crate::` and the like
            }
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                uses.push((number + 1, name));
            }
        }
    }
    uses
}

fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "tests.rs" || name.to_string_lossy().ends_with("_tests.rs"))
        || path.components().any(|part| part.as_os_str() == "tests")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "target" && name != "snapshots") {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level modules of a crate whose sources are in `src`: `NAME.rs` and `NAME/`.
fn top_modules(src: &Path) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for path in rust_files(src) {
        let Ok(relative) = path.strip_prefix(src) else { continue };
        let Some(first) = relative.components().next() else { continue };
        let name = first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if !matches!(name.as_str(), "lib" | "main") && !is_test_file(relative) {
            modules.insert(name);
        }
    }
    modules
}

/// Every breach of the layer table, given each module's sources as (file, text).
fn layer_violations(
    layers: &[Layer],
    sources: &BTreeMap<(String, String), Vec<(String, String)>>,
    existing: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (root, modules) in existing {
        let listed: BTreeSet<&str> =
            layers.iter().filter(|layer| &layer.root == root).map(|layer| layer.module.as_str()).collect();
        for module in modules {
            if !listed.contains(module.as_str()) {
                problems.push(format!("{root}: module `{module}` is not in ARCHITECTURE.md's layer table"));
            }
        }
        for module in listed {
            if !modules.contains(module) {
                problems.push(format!("{root}: the layer table names `{module}`, which does not exist"));
            }
        }
    }
    for layer in layers {
        let crate_modules = existing.get(&layer.root).cloned().unwrap_or_default();
        for unknown in layer.may_use.iter().filter(|name| !crate_modules.contains(*name)) {
            problems.push(format!(
                "{}: `{}` may use `{unknown}`, which is not a module of that crate",
                layer.root, layer.module
            ));
        }
        let Some(files) = sources.get(&(layer.root.clone(), layer.module.clone())) else { continue };
        for (file, text) in files {
            for (line, used) in crate_uses(text) {
                if used != layer.module && crate_modules.contains(&used) && !layer.may_use.contains(&used) {
                    problems.push(format!(
                        "{file}:{line}: `{}` uses `crate::{used}`, which its row of the layer table does not allow",
                        layer.module
                    ));
                }
            }
        }
    }
    problems
}

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root()).unwrap_or(path).display().to_string()
}

#[test]
fn every_module_uses_only_what_the_layer_table_allows() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let layers = parse_layers(&doc).unwrap();
    let mut existing = BTreeMap::new();
    let mut sources: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for crate_root in layers.iter().map(|layer| layer.root.clone()).collect::<BTreeSet<_>>() {
        let src = root.join(&crate_root);
        let modules = top_modules(&src);
        for path in rust_files(&src) {
            let Ok(inside) = path.strip_prefix(&src) else { continue };
            if is_test_file(inside) {
                continue;
            }
            let Some(first) = inside.components().next() else { continue };
            let module = first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
            if modules.contains(&module) {
                let text = std::fs::read_to_string(&path).unwrap();
                sources.entry((crate_root.clone(), module)).or_default().push((relative(&path), text));
            }
        }
        existing.insert(crate_root, modules);
    }
    let problems = layer_violations(&layers, &sources, &existing);
    assert!(problems.is_empty(), "the code breaks ARCHITECTURE.md's layer table:\n{}", problems.join("\n"));
}

#[test]
fn the_layer_checker_catches_a_module_reaching_up() {
    let doc = "x\n<!-- layers -->\n\n| crate sources | module | may use |\n|---|---|---|\n| `e/src` | `value` | — |\n| `e/src` | `plan` | `value` |\n\nafter";
    let layers = parse_layers(doc).unwrap();
    assert_eq!(layers.len(), 2);
    let existing = BTreeMap::from([("e/src".to_string(), BTreeSet::from(["value".to_string(), "plan".to_string()]))]);
    let mut sources = BTreeMap::new();
    sources.insert(
        ("e/src".to_string(), "value".to_string()),
        vec![(
            "e/src/value.rs".to_string(),
            "//! Values; see [`crate::plan`].\nuse crate::plan::Plan; // reaches up\n#[cfg(test)]\nmod tests {\n    use crate::plan::Plan;\n}\n".to_string(),
        )],
    );
    sources.insert(
        ("e/src".to_string(), "plan".to_string()),
        vec![("e/src/plan.rs".to_string(), "use crate::value::Value;\n".to_string())],
    );
    let problems = layer_violations(&layers, &sources, &existing);
    assert_eq!(
        problems,
        vec![
            "e/src/value.rs:2: `value` uses `crate::plan`, which its row of the layer table does not allow".to_string()
        ]
    );

    let mut grown = existing.clone();
    grown.get_mut("e/src").unwrap().insert("state".to_string());
    let problems = layer_violations(&layers, &sources, &grown);
    assert!(
        problems.iter().any(|p| p.contains("module `state` is not in ARCHITECTURE.md's layer table")),
        "{problems:?}"
    );
}

/// The source trees whose files the file-level rules cover.
const SOURCE_TREES: &[&str] = &["src", "engine", "providers", "benches", "tests"];

fn workspace_sources() -> Vec<PathBuf> {
    SOURCE_TREES.iter().flat_map(|tree| rust_files(&workspace_root().join(tree))).collect()
}

#[test]
fn every_source_file_opens_with_a_doc_comment() {
    let missing: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|path| !is_test_file(path.strip_prefix(workspace_root()).unwrap_or(path)))
        .filter(|path| !std::fs::read_to_string(path).unwrap().trim_start().starts_with("//!"))
        .map(|path| relative(&path))
        .collect();
    assert!(
        missing.is_empty(),
        "files that do not open with a `//!` comment saying what they hold:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_allow_says_why_expect_does_not_fit() {
    let mut bare = Vec::new();
    for path in workspace_sources() {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (number, line) in lines.iter().enumerate() {
            let code = line.trim_start();
            if !(code.starts_with("#[allow(") || code.starts_with("#![allow(")) {
                continue;
            }
            // The attribute may span lines once rustfmt has wrapped it.
            let end =
                lines[number..].iter().position(|line| line.contains(")]")).map_or(lines.len(), |at| number + at + 1);
            if !lines[number..end].iter().any(|line| line.contains("reason =")) {
                bare.push(format!("{}:{}: {}", relative(&path), number + 1, code));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "use #[expect(..)], or give the #[allow(..)] a `reason = \"...\"` saying why expect does not fit:\n{}",
        bare.join("\n")
    );
}

/// The top-level directories a path in ARCHITECTURE.md can start from.
const TOP_LEVEL: &[&str] =
    &["src/", "engine/", "providers/", "tests/", "docs/", "benches/", "schemas/", "examples/", "fuzz/"];

#[test]
fn every_path_architecture_md_names_exists() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let missing: Vec<&str> = doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| TOP_LEVEL.iter().any(|top| span.starts_with(top)) && !span.contains([' ', '*', '<', '{']))
        .filter(|path| !root.join(path.trim_end_matches('/')).exists())
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md names paths that do not exist: {missing:?}");
}

/// Where the crate table starts in ARCHITECTURE.md.
const CRATES_MARKER: &str = "<!-- crates -->";

/// A row of the crate table: the crate's directory and the crates of ours it may depend on
/// (`None` for "every crate above").
type CrateRow = (String, Option<BTreeSet<String>>);

/// The crate table, by crate name.
fn parse_crates(doc: &str) -> Result<BTreeMap<String, CrateRow>, String> {
    let start = doc.find(CRATES_MARKER).ok_or_else(|| format!("no {CRATES_MARKER} in ARCHITECTURE.md"))?;
    let mut crates = BTreeMap::new();
    let rows = doc[start..].lines().skip(1).skip_while(|line| !line.starts_with('|'));
    for line in rows.take_while(|line| line.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() != 3 || cells[0].starts_with("---") || cells[0] == "crate" {
            continue;
        }
        let allowed = if cells[2].starts_with("every") {
            None
        } else {
            Some(
                cells[2]
                    .split(',')
                    .map(|name| name.trim().trim_matches('`').to_string())
                    .filter(|name| !name.is_empty() && name != "—")
                    .collect(),
            )
        };
        crates.insert(cells[0].trim_matches('`').to_string(), (cells[1].trim_matches('`').to_string(), allowed));
    }
    Ok(crates)
}

/// The `corral-*` crates a manifest's `[dependencies]` (not dev or build) names.
fn our_dependencies(manifest: &str) -> BTreeSet<String> {
    let mut in_dependencies = false;
    let mut found = BTreeSet::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies
            && let Some(name) = line.split(['=', '.', ' ']).next().filter(|name| name.starts_with("corral-"))
        {
            found.insert(name.to_string());
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_what_the_crate_table_allows() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let crates = parse_crates(&doc).unwrap();
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members_line = workspace.lines().find(|line| line.starts_with("members")).unwrap();
    let mut problems = Vec::new();
    for member in members_line.split('"').skip(1).step_by(2) {
        if !crates.values().any(|(dir, _)| dir == member) {
            problems.push(format!("workspace member `{member}` is not in ARCHITECTURE.md's crate table"));
        }
    }
    for (name, (dir, allowed)) in &crates {
        let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("{dir}/Cargo.toml: {e}"));
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{dir}/Cargo.toml is not crate `{name}`");
        let Some(allowed) = allowed else { continue };
        for dependency in our_dependencies(&manifest) {
            if !allowed.contains(&dependency) {
                problems.push(format!("`{name}` depends on `{dependency}`, which the crate table does not allow"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_crate_checker_reads_only_normal_dependencies() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\ncorral-core.workspace = true\nserde = \"1\"\ncorral-sandbox = { path = \"s\" }\n[dev-dependencies]\ncorral-engine.workspace = true\n";
    assert_eq!(our_dependencies(manifest), BTreeSet::from(["corral-core".to_string(), "corral-sandbox".to_string()]));
}
