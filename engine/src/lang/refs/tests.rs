//! Tests of reference extraction: each case is an expression and the references it makes,
//! written as `subject rest @ source-text-of-the-span`.

use super::*;
use crate::config::{Attribute, DynamicBlock, NestedBlock};
use crate::diag::FileId;

fn expr(text: &str) -> Expr {
    let parsed = hcl_edit::parser::parse_expr(text).unwrap();
    Expr { expr: parsed, span: Span::new(FileId(0), 0..text.len()) }
}

fn render(text: &str, refs: &[Reference]) -> Vec<String> {
    refs.iter()
        .map(|r| {
            let subject = match &r.subject {
                Subject::Var(n) => format!("var.{n}"),
                Subject::Local(n) => format!("local.{n}"),
                Subject::ModuleCall(n) => format!("module.{n}"),
                Subject::Resource(addr) => addr.to_string(),
                Subject::CountIndex => "count.index".into(),
                Subject::EachKey => "each.key".into(),
                Subject::EachValue => "each.value".into(),
                Subject::PathModule => "path.module".into(),
                Subject::PathRoot => "path.root".into(),
                Subject::PathCwd => "path.cwd".into(),
                Subject::TerraformWorkspace => "terraform.workspace".into(),
                Subject::SelfObject => "self".into(),
            };
            let rest = crate::value::Path(r.rest.clone()).to_string();
            format!("{subject} {rest} @ {}", &text[r.span.start..r.span.end])
        })
        .collect()
}

#[track_caller]
fn check(text: &str, expected: &[&str]) {
    let refs = references(&expr(text));
    assert_eq!(render(text, &refs), expected, "references of `{text}`");
}

#[test]
fn roots() {
    check("var.x", &["var.x  @ var.x"]);
    check("local.y", &["local.y  @ local.y"]);
    check("module.net.vpc_id", &["module.net vpc_id @ module.net.vpc_id"]);
    check("module.net", &["module.net  @ module.net"]);
    check("data.corral_data.b.output", &["data.corral_data.b output @ data.corral_data.b.output"]);
    check("testing_thing.a.id", &["testing_thing.a id @ testing_thing.a.id"]);
    check("count.index", &["count.index  @ count.index"]);
    check("each.key", &["each.key  @ each.key"]);
    check("each.value.name", &["each.value name @ each.value.name"]);
    check("path.module", &["path.module  @ path.module"]);
    check("path.root", &["path.root  @ path.root"]);
    check("path.cwd", &["path.cwd  @ path.cwd"]);
    check("terraform.workspace", &["terraform.workspace  @ terraform.workspace"]);
    check("self.id", &["self id @ self.id"]);
    check("self", &["self  @ self"]);
}

#[test]
fn not_references() {
    for text in ["x", "null", "true", "false", "1", "\"s\"", "var", "data.x", "count.foo", "each", "path.x", "local"] {
        check(text, &[]);
    }
}

#[test]
fn static_rest_stops_at_splats_and_computed_indexes() {
    check("testing_thing.a[0].id", &["testing_thing.a [0].id @ testing_thing.a[0].id"]);
    check("testing_thing.a[\"k\"].id", &["testing_thing.a [\"k\"].id @ testing_thing.a[\"k\"].id"]);
    check("testing_thing.a.0.id", &["testing_thing.a [0].id @ testing_thing.a.0.id"]);
    check("testing_thing.a[*].id", &["testing_thing.a  @ testing_thing.a[*].id"]);
    check("testing_thing.a.*.id", &["testing_thing.a  @ testing_thing.a.*.id"]);
    check("module.m.out[var.i].x", &["module.m out @ module.m.out[var.i].x", "var.i  @ var.i"]);
}

#[test]
fn every_expression_kind() {
    check("\"a-${var.x}-b\"", &["var.x  @ var.x"]);
    check(
        "\"%{if var.c}${local.a}%{else}${local.b}%{endif}\"",
        &["var.c  @ var.c", "local.a  @ local.a", "local.b  @ local.b"],
    );
    check("<<EOT\nhello ${var.who}\nEOT", &["var.who  @ var.who"]);
    check("max(var.a, local.b, 3)", &["var.a  @ var.a", "local.b  @ local.b"]);
    check(
        "var.c ? testing_thing.a.id : testing_thing.b.id",
        &["var.c  @ var.c", "testing_thing.a id @ testing_thing.a.id", "testing_thing.b id @ testing_thing.b.id"],
    );
    check("-var.n + local.m * 2", &["var.n  @ var.n", "local.m  @ local.m"]);
    check("!var.flag", &["var.flag  @ var.flag"]);
    check("[var.a, [local.b]]", &["var.a  @ var.a", "local.b  @ local.b"]);
    check(
        "{ name = var.a, (local.k) = 1, \"lit\" = local.v }",
        &["var.a  @ var.a", "local.k  @ local.k", "local.v  @ local.v"],
    );
    check("(var.a)", &["var.a  @ var.a"]);
    check("(var.obj).field[0]", &["var.obj  @ var.obj"]);
    check("tolist(var.l)[local.i]", &["var.l  @ var.l", "local.i  @ local.i"]);
    check("provider::corral::f(var.x)", &["var.x  @ var.x"]);
}

#[test]
fn for_expressions_bind_their_variables() {
    check("[for s in var.list : s.id]", &["var.list  @ var.list"]);
    check("{for k, v in local.m : k => v.name if v.on}", &["local.m  @ local.m"]);
    // A reference to something else inside the body is still a reference.
    check(
        "[for s in var.list : testing_thing.a.id if s != var.skip]",
        &["var.list  @ var.list", "testing_thing.a id @ testing_thing.a.id", "var.skip  @ var.skip"],
    );
    // The loop variable is not bound in its own collection.
    check("[for s in s.items : s]", &["s.items  @ s.items"]);
    // Nested loops: the inner body sees both names; after the loop they are free again.
    check("[for a in var.x : [for b in a.kids : b.id + a.id]]", &["var.x  @ var.x"]);
    check("concat([for a in var.x : a.id], [a.id])", &["var.x  @ var.x", "a.id  @ a.id"]);
    check(
        "\"%{for i, n in var.names}${n.x}${i}${local.sep}%{endfor}\"",
        &["var.names  @ var.names", "local.sep  @ local.sep"],
    );
}

#[test]
fn spans_are_relative_to_the_file() {
    // The loader parses whole files, so hcl-edit's spans are file offsets; they pass through.
    let text = "a = var.x\nb = \"${local.y}\"\n";
    let body = hcl_edit::parser::parse_body(text).unwrap();
    let mut found = Vec::new();
    for structure in body.iter() {
        let attr = structure.as_attribute().unwrap();
        let e = Expr { expr: attr.value.clone(), span: Span::new(FileId(3), 0..0) };
        for r in references(&e) {
            assert_eq!(r.span.file, FileId(3));
            found.push(&text[r.span.start..r.span.end]);
        }
    }
    assert_eq!(found, ["var.x", "local.y"]);
}

#[test]
fn dynamic_block_iterator_is_bound_in_its_content() {
    let attribute = |name: &str, text: &str| {
        let value = expr(text);
        Attribute { name: name.into(), name_span: value.span, span: value.span, value }
    };
    let mut content = Body::default();
    content.attributes.insert("size".into(), attribute("size", "disk.value.size + var.extra"));
    let block = NestedBlock {
        type_name: "disk".into(),
        labels: Vec::new(),
        body: content,
        dynamic: Some(DynamicBlock { for_each: expr("var.disks"), iterator: "disk".into(), labels: Vec::new() }),
        span: Span::new(FileId(0), 0..0),
    };
    let mut body = Body::default();
    body.attributes.insert("name".into(), attribute("name", "disk.x"));
    body.blocks.push(block);
    let subjects: Vec<_> = references_in_body(&body).into_iter().map(|r| r.subject).collect();
    assert_eq!(
        subjects,
        [
            // Outside the dynamic block `disk.x` is a resource reference.
            Subject::Resource(ResourceAddr::managed("disk", "x")),
            Subject::Var("disks".into()),
            Subject::Var("extra".into()),
        ]
    );
}
