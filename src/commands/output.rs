//! `corral output`.

use crate::args::OutputArgs;
use crate::context::Context;

pub(crate) async fn run(ctx: &Context, args: &OutputArgs) -> anyhow::Result<i32> {
    let store = ctx.store()?;
    let state = store.read(&ctx.workspace()).await.map_err(|e| anyhow::anyhow!(e))?;
    if let Some(name) = &args.name {
        let Some(output) = state.outputs.get(name) else {
            eprintln!(
                "Error: Output \"{name}\" not found\n\nThe output variable requested could not be found in the state. Check the name, or run `corral apply` if it was added recently."
            );
            return Ok(1);
        };
        if args.json {
            println!("{}", output.value);
        } else if args.raw {
            match &output.value {
                serde_json::Value::String(s) => println!("{s}"),
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => println!("{}", output.value),
                _ => {
                    eprintln!(
                        "Error: Unsupported value for raw output\n\nThe `--raw` option only supports strings, numbers, and bools; use `--json` for other types."
                    );
                    return Ok(1);
                }
            }
        } else {
            println!("{}", hcl_like(&output.value));
        }
        return Ok(0);
    }
    if args.json {
        let all: serde_json::Map<String, serde_json::Value> = state
            .outputs
            .iter()
            .map(|(k, o)| (k.clone(), serde_json::json!({"sensitive": o.sensitive, "type": o.ty, "value": o.value})))
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::Value::Object(all))?);
        return Ok(0);
    }
    if state.outputs.is_empty() {
        eprintln!(
            "Warning: No outputs found\n\nThe state has no outputs defined; apply a configuration with `output` blocks first."
        );
        return Ok(0);
    }
    for (name, output) in &state.outputs {
        if output.sensitive {
            println!("{name} = <sensitive>");
        } else {
            println!("{name} = {}", hcl_like(&output.value));
        }
    }
    Ok(0)
}

/// A JSON value written the way Terraform prints values: `"x"`, `[ ... ]`, `{ k = v }`.
pub(crate) fn hcl_like(value: &serde_json::Value) -> String {
    fn write(value: &serde_json::Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let end = "  ".repeat(indent);
        match value {
            serde_json::Value::Array(items) if !items.is_empty() => {
                out.push_str("[\n");
                for item in items {
                    out.push_str(&pad);
                    write(item, indent + 1, out);
                    out.push_str(",\n");
                }
                out.push_str(&end);
                out.push(']');
            }
            serde_json::Value::Object(entries) if !entries.is_empty() => {
                out.push_str("{\n");
                let width = entries.keys().map(|k| quote_key(k).chars().count()).max().unwrap_or(0);
                for (k, v) in entries {
                    out.push_str(&format!("{pad}{} = ", crate::render::pad_to(&quote_key(k), width)));
                    write(v, indent + 1, out);
                    out.push('\n');
                }
                out.push_str(&end);
                out.push('}');
            }
            serde_json::Value::Array(_) => out.push_str("[]"),
            serde_json::Value::Object(_) => out.push_str("{}"),
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(value, 0, &mut out);
    out
}

fn quote_key(key: &str) -> String {
    if key.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit())
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}
