//! The formatter against `terraform fmt`'s own output (golden files made with Terraform
//! 1.0.3), over every configuration in the repository, and over generated HCL: output is
//! stable under a second run and parses to the same tree as the input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::format_source;
use super::meaning::normalize;

fn meaning(text: &str) -> hcl_edit::structure::Body {
    normalize(hcl_edit::parser::parse_body(text).unwrap())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn assert_formats_safely(text: &str, what: &str) -> String {
    let once = format_source(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let twice = format_source(&once).unwrap_or_else(|e| panic!("{what}: formatted output does not parse: {e}\n{once}"));
    assert_eq!(twice, once, "{what}: formatting is not idempotent");
    assert_eq!(meaning(&once), meaning(text), "{what}: formatting changed the meaning:\n{once}");
    once
}

#[test]
fn golden_cases_match_terraform_fmt() {
    let dir = repo_root().join("tests/fixtures/fmt");
    let mut cases: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 10, "golden cases missing from {}", dir.display());
    for case in cases {
        let input = std::fs::read_to_string(case.join("in.hcl")).unwrap();
        let expected = std::fs::read_to_string(case.join("out.hcl")).unwrap();
        let name = case.display().to_string();
        let got = assert_formats_safely(&input, &name);
        assert_eq!(got, expected, "{name}: differs from terraform fmt");
    }
}

fn config_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            config_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "hcl" || e == "tf") {
            out.push(path);
        }
    }
}

#[test]
fn every_repository_configuration_formats_idempotently_and_keeps_its_meaning() {
    let mut files = Vec::new();
    config_files(&repo_root().join("tests/fixtures"), &mut files);
    config_files(&repo_root().join("examples"), &mut files);
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if hcl_edit::parser::parse_body(&text).is_err() {
            // The malformed fixtures: never rewritten.
            assert!(format_source(&text).is_err(), "{}", file.display());
            continue;
        }
        assert_formats_safely(&text, &file.display().to_string());
        checked += 1;
    }
    assert!(checked > 50, "only {checked} configurations found");
}

#[test]
fn syntax_error_is_reported_with_its_position() {
    let err = format_source("a = 1\nb = [\n").unwrap_err();
    assert!(err.line >= 2, "{err:?}");
    assert!(err.column >= 1, "{err:?}");
}

#[test]
fn heredocs_are_copied_byte_for_byte() {
    // hcl-edit's printer turns this `<<-` into `<<` and the tab into spaces.
    let text = "a = <<-E\n \nE\nb = <<-EOT\n\t\u{2003}x ${ y }\n\tEOT\n";
    let got = format_source(text).unwrap();
    assert_eq!(got, "a = <<-E\n \nE\nb = <<-EOT\n\t\u{2003}x ${y}\n\tEOT\n");
}

#[test]
fn a_file_the_scanner_reads_differently_is_refused() {
    // hcl-edit reads the first `EOT` as heredoc text and the second as its end; the
    // scanner (as Terraform) ends the heredoc at the first. Re-indenting `b` would then
    // change the text of `a`, so the file must be refused.
    let text = "a = <<EOT\nEOT\n  b = <<EOT\nx\nEOT\n";
    let err = format_source(text).unwrap_err();
    assert_eq!(err.kind, super::FormatErrorKind::WouldChangeMeaning, "{err:?}");
}

#[test]
fn empty_and_unterminated_input_end_with_a_newline() {
    assert_eq!(format_source("").unwrap(), "\n");
    assert_eq!(format_source("a=1").unwrap(), "a = 1\n");
    assert_eq!(format_source("# only a comment").unwrap(), "# only a comment\n");
}

// Generated configurations. Tokens are joined with arbitrary (but present) whitespace,
// since whitespace between HCL tokens never matters, except where an identifier could
// absorb a following `-`.

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(" "), Just("  "), Just("\t"), Just(" \t ")]
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![Just("a"), Just("bb"), Just("name_x"), Just("dash-ed"), Just("ccc_long_name")].prop_map(str::to_string)
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        Just("1.5e3".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        ident().prop_map(|i| format!("var.{i}")),
        ident().prop_map(|i| format!("local.{i}[0].x")),
        Just("\"plain\"".to_string()),
        Just("\"esc\\\"aped \\\\ $${lit}\"".to_string()),
        ident().prop_map(|i| format!("\"pre-${{var.{i}}}-post\"")),
        ident().prop_map(|i| format!("\"${{ var.{i} }}\"")),
        Just("\"%{ if true }yes%{ else }no%{ endif }\"".to_string()),
        Just("\"${~ \"x\" ~}\"".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..4), space(), any::<bool>()).prop_map(|(items, s, multi)| {
                if multi && !items.is_empty() {
                    format!("[\n{}\n]", items.join(",\n"))
                } else {
                    format!("[{}]", items.join(&format!(",{s}")))
                }
            }),
            (prop::collection::vec((ident(), inner.clone()), 0..3), any::<bool>()).prop_map(|(entries, multi)| {
                let mut seen = std::collections::HashSet::new();
                let entries: Vec<String> = entries
                    .into_iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if multi { format!("{{\n{}\n}}", entries.join("\n")) } else { format!("{{{}}}", entries.join(", ")) }
            }),
            (
                inner.clone(),
                space(),
                prop_oneof![Just("+"), Just("*"), Just("=="), Just("&&"), Just("-")],
                inner.clone()
            )
                .prop_map(|(a, s, op, b)| format!("{a}{s}{op}{s}{b}")),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| format!("{c} ? {a}:{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("max( {a} ,{b})")),
            inner.clone().prop_map(|a| format!("[for x in {a} : x if x]")),
            inner.clone().prop_map(|a| format!("{{for k, v in {a}: k=>v...}}")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.clone().prop_map(|a| format!("- {a}")),
            inner.clone().prop_map(|a| format!("( {a} )")),
            inner.prop_map(|a| format!("\"${{\n  {a}\n}}\"")),
        ]
    })
}

fn heredoc() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<<EOT\nplain ${var.a}\n  indented\nEOT".to_string()),
        Just("<<-EOT\n\ttabbed\n\t  ${ var.x }\n\tEOT".to_string()),
        Just("<<-E\n \nE".to_string()),
        Just("<<-EOT\n    four\n  two %{ for x in y }${x}%{ endfor }\n  EOT".to_string()),
        // (Not an empty heredoc: hcl-edit does not end one at the line right after
        // `<<EOT`, HCL does; see `a_file_the_scanner_reads_differently_is_refused`.)
        Just("<<EOT\n\nEOT".to_string()),
    ]
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![Just("# hash"), Just("// slashes  "), Just("/* block */"), Just("/* multi\n   line */")]
        .prop_map(str::to_string)
}

fn body(depth: u32) -> BoxedStrategy<String> {
    let attribute = (ident(), space(), prop_oneof![4 => expr(), 1 => heredoc()], prop::option::of(comment())).prop_map(
        |(name, s, value, comment)| {
            let trailing = match comment {
                Some(c) if !c.contains('\n') && !value.starts_with("<<") => format!("{s}{c}"),
                _ => String::new(),
            };
            (name, format!("{s}={s}{value}{trailing}\n"))
        },
    );
    let line = prop_oneof![
        6 => attribute.prop_map(|(name, rest)| (Some(name.clone()), format!("{name}{rest}"))),
        1 => comment().prop_map(|c| (None, format!("{c}\n"))),
        1 => Just((None, "\n".to_string())),
    ];
    let lines = prop::collection::vec((space(), line), 0..6).prop_map(|lines| {
        // Attribute names must be unique within a body.
        let mut seen = std::collections::HashSet::new();
        lines
            .into_iter()
            .filter(|(_, (name, _))| name.as_ref().is_none_or(|n| seen.insert(n.clone())))
            .map(|(indent, (_, text))| format!("{indent}{text}"))
            .collect::<String>()
    });
    if depth == 0 {
        return lines.boxed();
    }
    let block = (
        ident(),
        prop::collection::vec(prop_oneof![ident(), ident().prop_map(|l| format!("\"{l}\""))], 0..3),
        body(depth - 1),
    )
        .prop_map(|(name, labels, inner)| {
            let labels: String = labels.iter().map(|l| format!(" {l}")).collect();
            if inner.trim().is_empty() {
                format!("{name}{labels} {{}}\n")
            } else {
                format!("{name}{labels} {{\n{inner}}}\n")
            }
        });
    (lines, prop::collection::vec(block, 0..3), body(0))
        .prop_map(|(head, blocks, tail)| format!("{head}{}{tail}", blocks.concat()))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn formatting_keeps_meaning_and_is_idempotent(text in body(2)) {
        // Generated text is valid HCL except for rare clashes (a repeated attribute name
        // after a block); those are not formatting questions.
        prop_assume!(hcl_edit::parser::parse_body(&text).is_ok());
        let once = format_source(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let parsed = hcl_edit::parser::parse_body(&once);
        prop_assert!(parsed.is_ok(), "formatted output does not parse:\n{}", once);
        prop_assert_eq!(meaning(&once), meaning(&text), "meaning changed:\n--- in\n{}\n--- out\n{}", text, once);
        let twice = format_source(&once).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(twice, once);
    }
}
