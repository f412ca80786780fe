//! Loading tests over real fixture folders, `tests/fixtures/{malformed,valid}/<case>/`.
//!
//! Each malformed case has an `expected.txt` with one expected diagnostic per line,
//! `file:line:col: summary-substring` (file relative to the case folder; `warning: ` before
//! the substring for a warning). Every diagnostic must be expected and every expectation
//! met, so a new message or a shifted location fails. Valid cases must load with no
//! diagnostic at all. Adding a case needs no code here.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use super::decode::static_string;
use super::syntax::scan;
use super::{Config, IgnoreChanges, LoadOptions, load_dir};
use crate::addr::{ModulePath, ResourceAddr, Target};
use crate::diag::{Diagnostics, Severity};
use crate::value::{PathStep, Type};

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(kind).canonicalize().unwrap()
}

fn case_dirs(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(fixtures(kind)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// Loads a case, turning a panic into a test failure that names the case.
fn load_case(dir: &Path) -> Result<(Config, Diagnostics), String> {
    catch_unwind(AssertUnwindSafe(|| load_dir(dir, &LoadOptions::default())))
        .map_err(|_| format!("{}: loading panicked", dir.display()))
}

/// One diagnostic as `file:line:col`, its severity and summary.
fn rendered(config: &Config, diags: &Diagnostics, case: &Path) -> Vec<(String, Severity, String)> {
    diags
        .iter()
        .map(|d| {
            let location = match d.span {
                Some(span) => {
                    let file = config.sources.get(span.file).map(|f| f.path.clone()).unwrap_or_default();
                    let file = file.strip_prefix(case).map(Path::to_path_buf).unwrap_or(file);
                    let (line, col) = config.sources.line_col(span.file, span.start);
                    format!("{}:{line}:{col}", file.display())
                }
                None => "?:0:0".to_string(),
            };
            (location, d.severity, d.summary.clone())
        })
        .collect()
}

fn describe(actual: &[(String, Severity, String)]) -> String {
    actual
        .iter()
        .map(|(loc, sev, summary)| {
            let sev = if *sev == Severity::Warning { "warning: " } else { "" };
            format!("    {loc}: {sev}{summary}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn malformed_fixtures_report_expected_diagnostics() {
    let cases = case_dirs("malformed");
    assert!(cases.len() >= 35, "expected at least 35 malformed cases, found {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected_text = std::fs::read_to_string(case.join("expected.txt"))
            .unwrap_or_else(|_| panic!("{name}: missing expected.txt"));
        let (config, diags) = match load_case(case) {
            Ok(loaded) => loaded,
            Err(message) => {
                failures.push(message);
                continue;
            }
        };
        let actual = rendered(&config, &diags, case);
        let mut unmatched: Vec<bool> = vec![true; actual.len()];
        let mut problems = Vec::new();
        for line in expected_text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (location, rest) =
                split_expected(line).unwrap_or_else(|| panic!("{name}: malformed expected line `{line}`"));
            let (severity, substring) = match rest.strip_prefix("warning: ") {
                Some(s) => (Severity::Warning, s),
                None => (Severity::Error, rest),
            };
            let found = actual.iter().enumerate().position(|(i, (loc, sev, summary))| {
                unmatched[i] && *loc == location && *sev == severity && summary.contains(substring)
            });
            match found {
                Some(i) => unmatched[i] = false,
                None => problems.push(format!("  expected, not reported: {line}")),
            }
        }
        for (i, (loc, sev, summary)) in actual.iter().enumerate() {
            if unmatched[i] {
                let sev = if *sev == Severity::Warning { "warning: " } else { "" };
                problems.push(format!("  reported, not expected: {loc}: {sev}{summary}"));
            }
        }
        if !diags.has_errors() && !expected_text.contains("warning: ") {
            problems.push("  the case reports no error at all".to_string());
        }
        if !problems.is_empty() {
            failures.push(format!("{name}:\n{}\n  all reported:\n{}", problems.join("\n"), describe(&actual)));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// `main.hcl:3:5: summary` → (`main.hcl:3:5`, `summary`).
fn split_expected(line: &str) -> Option<(String, &str)> {
    let mut parts = line.splitn(4, ':');
    let file = parts.next()?;
    let line_no = parts.next()?;
    let col = parts.next()?;
    let rest = parts.next()?.strip_prefix(' ')?;
    Some((format!("{file}:{line_no}:{col}"), rest))
}

#[test]
fn valid_fixtures_load_without_diagnostics() {
    let cases = case_dirs("valid");
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in &cases {
        match load_case(case) {
            Ok((config, diags)) => {
                if !diags.is_empty() {
                    failures.push(format!("{}:\n{}", case.display(), describe(&rendered(&config, &diags, case))));
                }
            }
            Err(message) => failures.push(message),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn load_valid(name: &str) -> Config {
    let (config, diags) = load_dir(&fixtures("valid").join(name), &LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    config
}

#[test]
fn full_fixture_builds_the_model() {
    let config = load_valid("full");
    let root = &config.root;

    let terraform = root.terraform.as_ref().unwrap();
    assert_eq!(terraform.required_version.as_deref(), Some(">= 1.0"));
    assert_eq!(terraform.required_providers["testing"].source.as_deref(), Some("corral/testing"));
    assert_eq!(terraform.backend.as_ref().unwrap().kind, "local");
    assert!(terraform.backend.as_ref().unwrap().body.attributes.contains_key("path"));

    let keys: Vec<String> = root.providers.iter().map(|p| p.key()).collect();
    assert_eq!(keys, ["testing", "testing.west"]);
    assert!(!root.providers[1].body.attributes.contains_key("alias"));

    let cluster = &root.variables["cluster"];
    assert_eq!(
        cluster.ty.to_string(),
        "object({name=string,nodes=list(object({count=number,role=string})),pair=tuple([string,bool]),size=number,tags=map(string)})"
    );
    let optional: Vec<String> = cluster.optional_attrs.iter().map(|o| o.path.join(".")).collect();
    assert_eq!(optional, ["size", "tags", "nodes.count"]);
    assert!(cluster.optional_attrs[0].default.is_some());
    assert!(cluster.optional_attrs[2].default.is_none());
    assert_eq!(cluster.description.as_deref(), Some("The cluster to create.\nSeveral lines.\n"));
    assert_eq!(cluster.validations.len(), 1);
    assert!(cluster.nullable);
    let password = &root.variables["password"];
    assert!(password.sensitive && !password.nullable);
    assert_eq!(root.variables["zones"].ty, Type::set(Type::String));

    assert_eq!(root.locals.keys().collect::<Vec<_>>(), ["prefix", "zones", "by_zone"]);

    let web = &root.resources[&ResourceAddr::managed("testing_thing", "web")];
    assert!(web.for_each.is_some() && web.count.is_none());
    assert_eq!(web.provider.key(), "testing");
    assert!(web.lifecycle.create_before_destroy && !web.lifecycle.prevent_destroy);
    let IgnoreChanges::Paths(paths) = &web.lifecycle.ignore_changes else { panic!("expected paths") };
    let paths: Vec<String> = paths.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(paths, ["payload", "tags[\"owner\"]", "rule[0].count"]);
    assert_eq!(web.lifecycle.replace_triggered_by.len(), 1);
    assert_eq!((web.lifecycle.preconditions.len(), web.lifecycle.postconditions.len()), (1, 1));
    assert!(!web.body.attributes.contains_key("for_each"));
    assert_eq!(web.body.attributes.keys().collect::<Vec<_>>(), ["name", "payload"]);
    let rule = &web.body.blocks[0];
    assert_eq!(rule.type_name, "rule");
    let dynamic = rule.dynamic.as_ref().unwrap();
    assert_eq!(dynamic.iterator, "node");
    assert_eq!(rule.body.attributes.keys().collect::<Vec<_>>(), ["role", "count"]);
    assert_eq!(config.sources.snippet(web.decl_span), "resource \"testing_thing\" \"web\"");
    assert_eq!(config.sources.location(web.decl_span), format!("{}:76:1", root_file(&config)));

    let db = &root.resources[&ResourceAddr::managed("testing_thing", "db")];
    assert_eq!(db.provider.key(), "testing.west");
    assert!(matches!(db.lifecycle.ignore_changes, IgnoreChanges::All));
    let deps: Vec<&str> = db.depends_on.iter().map(|e| config.sources.snippet(e.span)).collect();
    assert_eq!(deps, ["module.net", "corral_data.seed"]);
    assert!(!db.body.attributes.contains_key("provider"));

    let existing = &root.resources[&ResourceAddr::data("testing_thing", "existing")];
    assert_eq!(existing.lifecycle.postconditions.len(), 1);

    let net = &root.module_calls["net"];
    assert_eq!(net.source, "./modules/net");
    assert_eq!(net.arguments.keys().collect::<Vec<_>>(), ["cidr"]);
    assert_eq!(net.providers.len(), 1);
    assert_eq!((net.providers[0].0.as_str(), net.providers[0].1.key()), ("testing", "testing.west".to_string()));
    assert!(root.module_calls["nets"].for_each.is_some());

    let subnet = config.module(&ModulePath(vec!["net".into(), "subnet".into()])).unwrap();
    assert_eq!(subnet.path, ModulePath(vec!["net".into(), "subnet".into()]));
    assert!(subnet.resources.contains_key(&ResourceAddr::managed("testing_thing", "subnet")));
    assert_eq!(config.modules().len(), 5);

    let moved: Vec<(String, String)> = root.moved.iter().map(|m| (m.from.to_string(), m.to.to_string())).collect();
    assert_eq!(
        moved,
        [
            ("testing_thing.old".to_string(), "testing_thing.web[\"a\"]".to_string()),
            ("module.old_net".to_string(), "module.net".to_string())
        ]
    );
    assert!(matches!(root.moved[0].to, Target::Instance(_)));

    let outputs = &root.outputs;
    assert_eq!(outputs["web_ids"].depends_on.len(), 1);
    assert!(outputs["password"].sensitive);
}

fn root_file(config: &Config) -> String {
    config.sources.files().next().map(|(_, f)| f.path.display().to_string()).unwrap()
}

#[test]
fn files_are_read_sorted_and_filtered() {
    let config = load_valid("tf_and_hcl");
    let names: Vec<String> =
        config.sources.files().map(|(_, f)| f.path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["a.tf", "b.hcl"]);
    let escaped = &config.root.locals["escaped"];
    assert_eq!(static_string(&escaped.value.expr).as_deref(), Some("${not_interpolated} %{not_a_directive}"));
    let text = &config.root.locals["text"];
    assert_eq!(static_string(&text.value.expr), None, "an interpolation is not static");
}

#[test]
fn hash_depends_on_content_not_location() {
    let tmp = tempfile::tempdir().unwrap();
    let write = |dir: &Path, text: &str| {
        std::fs::create_dir_all(dir.join("child")).unwrap();
        std::fs::write(dir.join("main.hcl"), "module \"c\" {\n  source = \"./child\"\n}\n").unwrap();
        std::fs::write(dir.join("child/main.hcl"), text).unwrap();
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&a, "locals {\n  x = 1\n}\n");
    write(&b, "locals {\n  x = 1\n}\n");
    let hash = |dir: &Path| load_dir(dir, &LoadOptions::default()).0.hash;
    assert_eq!(hash(&a).len(), 64);
    assert_eq!(hash(&a), hash(&b), "the same tree elsewhere hashes the same");
    std::fs::write(b.join("child/main.hcl"), "locals {\n  x = 2\n}\n").unwrap();
    assert_ne!(hash(&a), hash(&b), "a change in a child module changes the hash");
}

#[test]
fn missing_directory_is_a_diagnostic() {
    let (config, diags) = load_dir(Path::new("/nonexistent/corral/dir"), &LoadOptions::default());
    assert!(diags.has_errors());
    assert!(config.root.resources.is_empty());
}

#[test]
fn relative_paths_are_shown_as_given() {
    // Tests run in `engine/`; the fixture path is given relative to it.
    let (config, diags) = load_dir(Path::new("../tests/fixtures/malformed/duplicate_output"), &LoadOptions::default());
    let span = diags.iter().next().and_then(|d| d.span).unwrap();
    assert_eq!(config.sources.location(span), "../tests/fixtures/malformed/duplicate_output/main.hcl:5:8");
}

#[test]
fn scan_finds_lexical_problems() {
    let at = |text: &str| scan(text).map(|p| (p.at, p.summary));
    assert_eq!(at("a = \"x\"\nb = [1, 2]\n"), None);
    assert_eq!(at("a = \"x\nb = 1\n"), Some((4, "unterminated string".into())));
    assert_eq!(at("a = \"${b[\"c\"]}\"\nb {\n"), Some((18, "unclosed `{`".into())));
    assert_eq!(at("a = (1]\n"), Some((6, "unexpected `]`".into())));
    assert_eq!(at("a = <<-EOT\n  x\n  EOT\nb = \"\n"), Some((25, "unterminated string".into())));
    assert_eq!(at("a = <<EOT\nx\n").map(|p| p.1), Some("heredoc `<<EOT` has no end marker".into()));
    assert_eq!(at("# \"quote\n// {\n/* [ */ a = 1\n"), None);
    assert_eq!(at("a = \"\\\"${x}$${y}\"\n"), None);
}

#[test]
fn ignore_changes_keys_become_path_steps() {
    let config = load_valid("full");
    let web = &config.root.resources[&ResourceAddr::managed("testing_thing", "web")];
    let IgnoreChanges::Paths(paths) = &web.lifecycle.ignore_changes else { panic!("expected paths") };
    assert_eq!(paths[1].0.0, [PathStep::Attr("tags".into()), PathStep::Key("owner".into())]);
    assert_eq!(paths[2].0.0, [PathStep::Attr("rule".into()), PathStep::Index(0), PathStep::Attr("count".into())]);
}

/// Every prefix of a real configuration is a likely half-typed file: loading it must give
/// diagnostics, never a panic, and every diagnostic must point inside the file.
#[test]
fn truncated_files_never_panic() {
    let text = std::fs::read_to_string(fixtures("valid").join("full/main.hcl")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut errors = 0;
    for (cut, _) in text.char_indices().step_by(3) {
        std::fs::write(tmp.path().join("main.hcl"), &text[..cut]).unwrap();
        let (config, diags) = load_case(tmp.path()).unwrap();
        for d in diags.iter() {
            if let Some(span) = d.span {
                assert!(span.start <= span.end && span.end <= cut.max(1), "{cut}: {d:?}");
                assert!(config.sources.get(span.file).is_some());
            }
        }
        errors += usize::from(diags.has_errors());
    }
    assert!(errors > 0);
}

#[test]
fn an_attribute_path_finds_where_the_configuration_sets_it() {
    use crate::value::Path;
    let config = load_valid("nested_blocks");
    let etl = &config.root.resources[&ResourceAddr::managed("kmr_cluster", "etl")];
    let at = |path: Path| etl.body.span_of(&path.0).map(|span| config.sources.location(span));
    let file = root_file(&config);
    assert_eq!(at(Path::attr("name")), Some(format!("{file}:2:3")));
    assert_eq!(at(Path::attr("node_group").index(1).then("count")), Some(format!("{file}:11:5")));
    assert_eq!(at(Path::attr("node_group").index(0)), Some(format!("{file}:4:3")));
    // Past the end of what is written: the block is the nearest place.
    assert_eq!(at(Path::attr("node_group").index(0).then("instance_type")), Some(format!("{file}:4:3")));
    assert_eq!(at(Path::attr("tag").key("team").then("value")), Some(format!("{file}:15:5")));
    assert_eq!(at(Path::attr("node_group").index(5)), None);
    assert_eq!(at(Path::attr("log_uri")), None);
}
