//! The `terraform` provider: Terraform's built-in provider of the same name, for its
//! functions (Terraform 1.8): `provider::terraform::encode_tfvars`, `decode_tfvars` and
//! `encode_expr`. It has no resource types (`corral_data` is Corral's `terraform_data`), and
//! like Terraform's it needs no `required_providers` entry.
//!
//! The text the encoders write is what Terraform's `hclwrite` writes (its tests are the
//! oracle): strings quoted with `${` and `%{` escaped, lists on one line, objects one
//! attribute per line with two-space indents and the `=` of consecutive one-line attributes
//! aligned.

use std::collections::BTreeMap;
use std::sync::Arc;

use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, CallFunctionRequest, CallFunctionResponse, ConfigureRequest, ConfigureResponse,
    FindCreatedRequest, FindCreatedResponse, FunctionError, PlanRequest, PlanResponse, Provider, ProviderFactory,
    ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::{FunctionParameter, FunctionSchema, ProviderSchema};
use corral_core::value::{Number, Type, Value};
use corral_provider_sdk::function::{Functions, argument_error, string_arg};
use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl_edit::structure::Structure;
use hcl_edit::template::Element;

/// Makes [`TerraformProvider`]s.
pub struct TerraformFactory {
    schema: Arc<ProviderSchema>,
}

impl TerraformFactory {
    pub fn new() -> TerraformFactory {
        TerraformFactory {
            schema: Arc::new(ProviderSchema { functions: functions().schemas(), ..ProviderSchema::default() }),
        }
    }
}

impl Default for TerraformFactory {
    fn default() -> Self {
        TerraformFactory::new()
    }
}

impl ProviderFactory for TerraformFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(TerraformProvider { schema: self.schema.clone(), functions: functions() })
    }
}

pub struct TerraformProvider {
    schema: Arc<ProviderSchema>,
    functions: Functions,
}

fn no_types(type_name: &str) -> Diagnostics {
    Diagnostic::error(format!("the `terraform` provider has no resource type or data source `{type_name}`")).into()
}

#[async_trait::async_trait]
impl Provider for TerraformProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    async fn configure(&self, _request: ConfigureRequest) -> ConfigureResponse {
        ConfigureResponse::default()
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        PlanResponse { diagnostics: no_types(&request.type_name), ..PlanResponse::default() }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        ApplyResponse { diagnostics: no_types(&request.type_name), ..ApplyResponse::default() }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        ReadResponse { diagnostics: no_types(&request.type_name), ..ReadResponse::default() }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        ReadDataResponse { diagnostics: no_types(&request.type_name), ..ReadDataResponse::default() }
    }

    async fn find_created(&self, request: FindCreatedRequest) -> FindCreatedResponse {
        FindCreatedResponse { diagnostics: no_types(&request.type_name), ..FindCreatedResponse::default() }
    }

    fn call_function(&self, request: CallFunctionRequest) -> CallFunctionResponse {
        self.functions.call(request)
    }
}

fn functions() -> Functions {
    Functions::new()
        .add(
            "encode_tfvars",
            FunctionSchema::new(vec![FunctionParameter::new("value", Type::Dynamic)], Type::String).with_summary(
                "Produce a string representation of an object using the same syntax as for `.tfvars` files",
            ),
            |args| encode_tfvars(&args[0]),
        )
        .add(
            "decode_tfvars",
            FunctionSchema::new(vec![FunctionParameter::new("src", Type::String)], Type::Dynamic)
                .with_summary("Parse a string containing syntax like that used in a `.tfvars` file"),
            |args| decode_tfvars(string_arg(args, 0)?),
        )
        .add(
            "encode_expr",
            FunctionSchema::new(vec![FunctionParameter::new("value", Type::Dynamic)], Type::String).with_summary(
                "Produce a string representation of an arbitrary value using Terraform expression syntax",
            ),
            |args| Ok(Value::String(encode(&args[0], 0))),
        )
}

fn encode_tfvars(value: &Value) -> Result<Value, FunctionError> {
    let entries = match value {
        Value::Object(entries) | Value::Map(_, entries) => entries,
        _ => {
            return Err(argument_error(
                0,
                "invalid value to encode: must be an object whose attribute names will become the encoded variable names",
            ));
        }
    };
    if let Some(bad) = entries.keys().find(|k| !is_identifier(k)) {
        return Err(argument_error(
            0,
            format!(
                "invalid variable name {}: must be a valid identifier, per Terraform's rules for input variable declarations",
                quote(bad)
            ),
        ));
    }
    let mut out = String::new();
    for line in attribute_lines(entries, 0) {
        out.push_str(&line);
        out.push('\n');
    }
    Ok(Value::String(out))
}

/// One line per attribute (a multi-line value continues on the lines after), the `=` of each
/// run of one-line attributes aligned, as `hclwrite` formats a body.
fn attribute_lines(entries: &BTreeMap<String, Value>, indent: usize) -> Vec<String> {
    let pad = "  ".repeat(indent);
    let encoded: Vec<(String, String)> = entries.iter().map(|(k, v)| (key(k), encode(v, indent))).collect();
    let mut lines = Vec::new();
    let mut i = 0;
    while i < encoded.len() {
        if encoded[i].1.contains('\n') {
            lines.push(format!("{pad}{} = {}", encoded[i].0, encoded[i].1));
            i += 1;
            continue;
        }
        let run_end = (i..encoded.len()).find(|&j| encoded[j].1.contains('\n')).unwrap_or(encoded.len());
        let width = encoded[i..run_end].iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        for (k, v) in &encoded[i..run_end] {
            lines.push(format!("{pad}{k:<width$} = {v}"));
        }
        i = run_end;
    }
    lines
}

/// `hclwrite.TokensForValue`, formatted.
fn encode(value: &Value, indent: usize) -> String {
    match value.unmarked() {
        Value::Null(_) | Value::Unknown(_) => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::List(_, items) | Value::Set(_, items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|item| encode(item, indent)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(_, entries) | Value::Object(entries) => {
            if entries.is_empty() {
                return "{}".to_string();
            }
            let mut out = String::from("{\n");
            for line in attribute_lines(entries, indent + 1) {
                out.push_str(&line);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
            out
        }
        Value::Sensitive(inner) => encode(inner, indent),
    }
}

fn key(name: &str) -> String {
    if is_identifier(name) { name.to_string() } else { quote(name) }
}

/// HCL's identifier: a letter or `_`, then letters, digits, `_` and `-`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A quoted HCL string literal: escapes, and `${` / `%{` doubled so they stay literal.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let code = u32::from(c);
                if code <= 0xFFFF {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const SOURCE_NAME: &str = "<decode_tfvars argument>";

/// Reads `.tfvars` text as Terraform reads a variables file: attributes only, each a
/// constant (no references, no function calls).
fn decode_tfvars(text: &str) -> Result<Value, FunctionError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let at = e.location();
        FunctionError {
            message: format!("invalid tfvars syntax: {SOURCE_NAME}:{},{}: {}", at.line(), at.column(), e.message()),
            argument: None,
        }
    })?;
    let mut out = BTreeMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attribute) => {
                let name = attribute.key.as_str().to_string();
                let value = constant(&attribute.value).map_err(|(summary, detail, range)| FunctionError {
                    message: format!(
                        "invalid expression for variable {}: {SOURCE_NAME}:{}: {summary}; {detail}",
                        quote(&name),
                        position(text, range)
                    ),
                    argument: None,
                })?;
                out.insert(name, value);
            }
            Structure::Block(block) => {
                return Err(FunctionError {
                    message: format!(
                        "invalid tfvars content: {SOURCE_NAME}:{}: Unexpected \"{}\" block; Blocks are not allowed here.",
                        position(text, hcl_edit::Span::span(block)),
                        block.ident.as_str()
                    ),
                    argument: None,
                });
            }
        }
    }
    Ok(Value::Object(out))
}

/// `LINE,COL-ENDCOL` of a byte range, as HCL writes a range on one line.
fn position(text: &str, range: Option<std::ops::Range<usize>>) -> String {
    let Some(range) = range else { return "1,1".to_string() };
    let line_col = |offset: usize| {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        (line, col)
    };
    let (line, col) = line_col(range.start);
    let (end_line, end_col) = line_col(range.end);
    if end_line == line { format!("{line},{col}-{end_col}") } else { format!("{line},{col}-{end_line},{end_col}") }
}

type ConstError = (&'static str, &'static str, Option<std::ops::Range<usize>>);

/// The value of a constant expression (a `.tfvars` value).
fn constant(expr: &Expression) -> Result<Value, ConstError> {
    let span = hcl_edit::Span::span(expr);
    match expr {
        Expression::Null(_) => Ok(Value::null()),
        Expression::Bool(b) => Ok(Value::Bool(*b.value())),
        Expression::Number(n) => {
            let parsed = n.as_repr().and_then(|repr| Number::parse(repr.trim()));
            match parsed.or_else(|| n.value().as_f64().map(Number::from_f64)) {
                Some(number) => Ok(Value::Number(number)),
                None => Err(("Invalid number literal", "The number cannot be represented.", span)),
            }
        }
        Expression::String(s) => Ok(Value::String(s.value().to_string())),
        Expression::StringTemplate(template) => {
            let mut out = String::new();
            for element in template.iter() {
                match element {
                    Element::Literal(literal) => out.push_str(literal.value()),
                    _ => return Err(("Variables not allowed", "Variables may not be used here.", span)),
                }
            }
            Ok(Value::String(out))
        }
        Expression::HeredocTemplate(heredoc) => {
            let mut out = String::new();
            for element in heredoc.template.iter() {
                match element {
                    Element::Literal(literal) => out.push_str(literal.value()),
                    _ => return Err(("Variables not allowed", "Variables may not be used here.", span)),
                }
            }
            Ok(Value::String(out))
        }
        Expression::Parenthesis(inner) => constant(inner.inner()),
        Expression::Array(array) => Ok(Value::Tuple(array.iter().map(constant).collect::<Result<_, _>>()?)),
        Expression::Object(object) => {
            let mut out = BTreeMap::new();
            for (k, v) in object.iter() {
                let name = match k {
                    ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                    ObjectKey::Expression(e) => match constant(e)? {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            return Err((
                                "Incorrect key type",
                                "Can't use this value as a key: string required.",
                                span,
                            ));
                        }
                    },
                };
                out.insert(name, constant(v.expr())?);
            }
            Ok(Value::Object(out))
        }
        Expression::UnaryOp(op) if matches!(op.operator.value(), UnaryOperator::Neg) => match constant(&op.expr)? {
            Value::Number(n) => Ok(Value::Number(n.neg())),
            _ => Err(("Invalid operand", "Unsuitable value for unary operand: number required.", span)),
        },
        Expression::FuncCall(_) => Err(("Function calls not allowed", "Functions may not be called here.", span)),
        Expression::Variable(_) => Err(("Variables not allowed", "Variables may not be used here.", span)),
        // HCL points at the root of the traversal (`var` of `var.x`).
        Expression::Traversal(traversal) => {
            Err(("Variables not allowed", "Variables may not be used here.", hcl_edit::Span::span(&traversal.expr)))
        }
        _ => Err(("Unsupported expression", "Only constant values are allowed in tfvars.", span)),
    }
}

#[cfg(test)]
mod tests;
