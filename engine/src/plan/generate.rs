//! Configuration written for imported objects (`plan -generate-config-out=FILE`), as
//! Terraform's genconfig does: one `resource` block per object with the attributes a
//! configuration can set (required and optional ones, computed-only ones left out), null
//! values left out, write-only values left out (Corral never saw them), sensitive values
//! written as `null # sensitive`, and nested blocks as blocks. The text is not laid out
//! yet: the CLI formats it like `corral fmt`.

use crate::addr::AbsResourceInstance;
use crate::config::ProviderRef;
use crate::schema::{BlockSchema, Nesting};
use crate::value::Value;

/// The header Terraform writes at the top of a generated file.
pub const GENERATED_HEADER: &str =
    "# __generated__ by Corral\n# Please review these resources and move them into your main configuration files.\n";

/// One generated `resource` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub addr: AbsResourceInstance,
    pub text: String,
}

/// The `resource` block for an object imported from `id`.
pub(super) fn resource_block(
    addr: &AbsResourceInstance,
    provider: Option<&ProviderRef>,
    id: &str,
    schema: &BlockSchema,
    value: &Value,
) -> String {
    let mut out = format!("# __generated__ by Corral from {}\n", quoted(id));
    out.push_str(&format!("resource {} {} {{\n", quoted(&addr.resource.type_name), quoted(&addr.resource.name)));
    if let Some(provider) = provider {
        out.push_str(&format!("  provider = {}\n", provider.key()));
    }
    body(&mut out, 1, schema, value);
    out.push_str("}\n");
    out
}

fn body(out: &mut String, depth: usize, schema: &BlockSchema, value: &Value) {
    let indent = "  ".repeat(depth);
    let attrs = value.unmarked().as_entries();
    for (name, attr) in &schema.attributes {
        if attr.write_only || !(attr.required || attr.optional) {
            continue;
        }
        let Some(v) = attrs.and_then(|a| a.get(name)) else { continue };
        if v.unmarked().is_null() {
            continue;
        }
        if attr.sensitive || v.is_sensitive() {
            out.push_str(&format!("{indent}{name} = null # sensitive\n"));
            continue;
        }
        out.push_str(&format!("{indent}{name} = {}\n", expression(v, depth)));
    }
    for (name, nested) in &schema.blocks {
        let Some(v) = attrs.and_then(|a| a.get(name)).map(Value::unmarked) else { continue };
        let mut write = |label: Option<&str>, item: &Value| {
            let label = label.map(|l| format!(" {}", quoted(l))).unwrap_or_default();
            out.push_str(&format!("{indent}{name}{label} {{\n"));
            body(out, depth + 1, &nested.block, item);
            out.push_str(&format!("{indent}}}\n"));
        };
        match nested.nesting {
            Nesting::Single if !v.is_null() => write(None, v),
            Nesting::Single => {}
            Nesting::List | Nesting::Set => {
                for item in v.as_seq().unwrap_or_default() {
                    write(None, item.unmarked());
                }
            }
            Nesting::Map => {
                for (key, item) in v.as_entries().into_iter().flatten() {
                    write(Some(key), item.unmarked());
                }
            }
        }
    }
}

/// A value as an HCL expression; objects and maps over several lines, indented for `depth`.
fn expression(value: &Value, depth: usize) -> String {
    match value.unmarked() {
        Value::Null(_) | Value::Unknown(_) => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|i| expression(i, depth)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(_, entries) | Value::Object(entries) => {
            if entries.is_empty() {
                return "{}".to_string();
            }
            let inner = "  ".repeat(depth + 1);
            let mut out = String::from("{\n");
            for (key, v) in entries {
                let key = if is_identifier(key) { key.clone() } else { quoted(key) };
                out.push_str(&format!("{inner}{key} = {}\n", expression(v, depth + 1)));
            }
            out.push_str(&"  ".repeat(depth));
            out.push('}');
            out
        }
        Value::Sensitive(inner) => expression(inner, depth),
    }
}

/// A quoted HCL string: escapes, and `${`/`%{` doubled so nothing is interpolated.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::AttributeSchema;
    use crate::value::Type;

    #[test]
    fn a_block_holds_what_configuration_can_set() {
        let schema = BlockSchema::new()
            .attr("id", AttributeSchema::computed(Type::String))
            .attr("name", AttributeSchema::required(Type::String))
            .attr("size", AttributeSchema::optional_computed(Type::Number))
            .attr("note", AttributeSchema::optional(Type::String))
            .attr("secret", AttributeSchema { sensitive: true, ..AttributeSchema::optional(Type::String) })
            .attr("password", AttributeSchema::optional(Type::String).write_only())
            .attr("tags", AttributeSchema::optional(Type::map(Type::String)));
        let value = Value::object([
            ("id".to_string(), Value::string("x-1")),
            ("name".to_string(), Value::string("a \"b\" ${c}")),
            ("size".to_string(), Value::int(3)),
            ("note".to_string(), Value::Null(Type::String)),
            ("secret".to_string(), Value::string("s")),
            ("password".to_string(), Value::string("unseen")),
            (
                "tags".to_string(),
                Value::Map(Type::String, [("team-1".to_string(), Value::string("data"))].into_iter().collect()),
            ),
        ]);
        let addr: AbsResourceInstance = "t_thing.a".parse().unwrap();
        let text = resource_block(&addr, None, "x-1", &schema, &value);
        assert_eq!(
            text,
            "# __generated__ by Corral from \"x-1\"\nresource \"t_thing\" \"a\" {\n  name = \"a \\\"b\\\" $${c}\"\n  secret = null # sensitive\n  size = 3\n  tags = {\n    team-1 = \"data\"\n  }\n}\n"
        );
    }
}
