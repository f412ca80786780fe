//! Function results through `corral console` as Terraform 1.0.3's console prints them
//! (each expected line was taken from `terraform console` 1.0.3): `%#v`, quoted `formatdate`
//! literals, `parseint` up to base 62, `fileset` of a missing directory, `(sensitive)`.

use crate::support::{Output, Workdir};

fn console(w: &Workdir, stdin: &str) -> Output {
    crate::support::run_with_stdin(w.command(&["console"]), stdin)
}

#[test]
fn console_answers_function_examples_as_terraform_1_0_3() {
    let w = Workdir::new();
    w.write("main.hcl", "variable \"secret\" {\n  default   = \"s\"\n  sensitive = true\n}\n");
    let cases: &[(&str, &str)] = &[
        (r#"format("%#v", "hello")"#, r#""\"hello\"""#),
        (r#"format("%#v", {a = 1, b = "x"})"#, r#""{\"a\":1,\"b\":\"x\"}""#),
        (r#"format("%#v", null)"#, r#""null""#),
        (r#"formatdate("H 'o''clock'", "2018-01-02T23:12:01Z")"#, r#""11 o'clock""#),
        (r#"parseint("aA", 62)"#, "656"),
        (r#"parseint("ZZ", 36)"#, "1295"),
        (r#"fileset("missing", "*")"#, "toset([])"),
        (r#"sensitive("x")"#, "(sensitive)"),
        ("var.secret", "(sensitive)"),
        (r#"[sensitive("x"), "y"]"#, "[\n  (sensitive),\n  \"y\",\n]"),
    ];
    let input: String = cases.iter().map(|(expr, _)| format!("{expr}\n")).collect();
    let expected: String = cases.iter().map(|(_, answer)| format!("{answer}\n")).collect();
    let out = console(&w, &input);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, expected, "{}", out.stderr);
}
