//! Shared machinery for turning hcl-edit syntax into the model: spans, static literals,
//! checking a block's arguments and nested blocks against what the block accepts, label
//! counts, static references, and "did you mean" hints.

use hcl_edit::expr::{Expression, TraversalOperator};
use hcl_edit::structure::{Attribute as HclAttribute, Block, Body as HclBody, Structure};
use indexmap::IndexMap;

use super::{Attribute, Expr};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::value::{Path, PathStep};

/// Decoding state for one source file: where spans point and where problems go.
pub(super) struct Decoder<'a> {
    pub(super) file: FileId,
    pub(super) diags: &'a mut Diagnostics,
}

/// What a block accepts: the argument and nested block names, and how to name the block in
/// messages (`a \`variable\` block`).
pub(super) struct Schema<'s> {
    pub(super) what: &'s str,
    pub(super) attrs: &'s [&'s str],
    pub(super) blocks: &'s [&'s str],
}

/// The arguments and nested blocks of one body that its schema accepts, in source order.
pub(super) struct Content<'b> {
    pub(super) attrs: IndexMap<&'b str, &'b HclAttribute>,
    pub(super) blocks: Vec<&'b Block>,
}

impl Content<'_> {
    pub(super) fn blocks_named<'c>(&'c self, name: &'c str) -> impl Iterator<Item = &'c Block> + 'c {
        self.blocks.iter().copied().filter(move |b| b.ident.as_str() == name)
    }
}

/// A block's labels, checked for count: the text and span of each.
pub(super) type Labels = Vec<(String, Span)>;

impl Decoder<'_> {
    /// The span of a syntax node. hcl-edit sets spans on everything it parses; a missing one
    /// would be a bug there, so it degrades to the start of the file rather than failing.
    pub(super) fn span(&self, node: &impl hcl_edit::Span) -> Span {
        Span::new(self.file, node.span().unwrap_or(0..0))
    }

    /// A span from the start of one node to the end of another.
    pub(super) fn span_between(&self, first: &impl hcl_edit::Span, last: &impl hcl_edit::Span) -> Span {
        let start = first.span().map(|r| r.start).unwrap_or(0);
        let end = last.span().map(|r| r.end).unwrap_or(start);
        Span::new(self.file, start..end.max(start))
    }

    /// The `resource "t" "n"` header of a block: from its type to its last label.
    pub(super) fn header_span(&self, block: &Block) -> Span {
        match block.labels.last() {
            Some(last) => self.span_between(&block.ident, last),
            None => self.span(&block.ident),
        }
    }

    pub(super) fn expr(&self, expr: &Expression) -> Expr {
        Expr { expr: expr.clone(), span: self.span(expr) }
    }

    pub(super) fn attribute(&self, attr: &HclAttribute) -> Attribute {
        Attribute {
            name: attr.key.as_str().to_string(),
            name_span: self.span(&attr.key),
            value: self.expr(&attr.value),
            span: self.span(attr),
        }
    }

    pub(super) fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    pub(super) fn error(&mut self, span: Span, summary: impl Into<String>) {
        self.diags.push(Diagnostic::error(summary).with_span(span));
    }

    /// Checks a block's labels against the names it needs (`["type", "name"]`). Reports a
    /// missing or extraneous label and returns `None`, so the caller skips the block as
    /// Terraform does.
    pub(super) fn labels(&mut self, block: &Block, names: &[&str]) -> Option<Labels> {
        let kind = block.ident.as_str();
        let expected = describe_labels(kind, names);
        if block.labels.len() < names.len() {
            let missing = names[block.labels.len()];
            let span = self.header_span(block);
            self.push(
                Diagnostic::error(format!("missing {missing} label for `{kind}` block"))
                    .with_span(span)
                    .with_detail(expected),
            );
            return None;
        }
        if let Some(extra) = block.labels.get(names.len()) {
            let span = self.span(extra);
            self.push(
                Diagnostic::error(format!("extraneous label for `{kind}` block")).with_span(span).with_detail(expected),
            );
            return None;
        }
        Some(block.labels.iter().map(|l| (l.as_str().to_string(), self.span(l))).collect())
    }

    /// Checks that a label or name is a valid identifier, as every name in an address must be.
    pub(super) fn check_name(&mut self, name: &str, span: Span, what: &str) -> bool {
        if is_identifier(name) {
            return true;
        }
        self.push(
            Diagnostic::error(format!("invalid {what} name `{name}`"))
                .with_span(span)
                .with_help("a name must start with a letter or underscore and may contain only letters, digits, underscores and dashes"),
        );
        false
    }

    /// Splits a body into what the schema accepts, reporting every unsupported argument and
    /// block (with a hint when the name is close to an accepted one).
    pub(super) fn content<'b>(&mut self, body: &'b HclBody, schema: &Schema<'_>) -> Content<'b> {
        let mut content = Content { attrs: IndexMap::new(), blocks: Vec::new() };
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str();
                    if schema.attrs.contains(&name) {
                        content.attrs.insert(name, attr);
                    } else {
                        let span = self.span(&attr.key);
                        let help = if schema.blocks.contains(&name) {
                            Some(format!("`{name}` is a block, not an argument: write `{name} {{ ... }}`"))
                        } else {
                            did_you_mean(name, schema.attrs.iter().copied())
                        };
                        let mut d = Diagnostic::error(format!("unsupported argument `{name}` in {}", schema.what))
                            .with_span(span);
                        if let Some(help) = help {
                            d = d.with_help(help);
                        }
                        self.push(d);
                    }
                }
                Structure::Block(block) => {
                    let name = block.ident.as_str();
                    if schema.blocks.contains(&name) {
                        content.blocks.push(block);
                    } else {
                        self.unsupported_block(block, schema);
                    }
                }
            }
        }
        content
    }

    pub(super) fn unsupported_block(&mut self, block: &Block, schema: &Schema<'_>) {
        let name = block.ident.as_str();
        let span = self.span(&block.ident);
        let help = if schema.attrs.contains(&name) {
            Some(format!("`{name}` is an argument, not a block: write `{name} = ...`"))
        } else {
            did_you_mean(name, schema.blocks.iter().copied())
        };
        let mut d = Diagnostic::error(format!("unsupported block type `{name}` in {}", schema.what)).with_span(span);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.push(d);
    }

    /// Reports a missing required argument at the block's header.
    pub(super) fn require<'b>(
        &mut self,
        content: &Content<'b>,
        name: &str,
        block: &Block,
        what: &str,
    ) -> Option<&'b HclAttribute> {
        let found = content.attrs.get(name).copied();
        if found.is_none() {
            let span = self.header_span(block);
            self.push(
                Diagnostic::error(format!("missing required argument `{name}`"))
                    .with_span(span)
                    .with_detail(format!("{what} must set `{name}`")),
            );
        }
        found
    }

    /// Reports a second block of a kind that may appear only once.
    pub(super) fn at_most_one<'b>(&mut self, blocks: &[&'b Block], what: &str) -> Option<&'b Block> {
        for extra in blocks.iter().skip(1) {
            let span = self.span(&extra.ident);
            let first = self.span(&blocks[0].ident);
            let name = extra.ident.as_str();
            self.push(
                Diagnostic::error(format!("duplicate `{name}` block in {what}"))
                    .with_span(span)
                    .with_label(first, "first defined here"),
            );
        }
        blocks.first().copied()
    }

    /// A string that must be written literally (`description`, `source`).
    pub(super) fn literal_string(&mut self, attr: &HclAttribute) -> Option<String> {
        let text = static_string(&attr.value);
        if text.is_none() {
            let span = self.span(&attr.value);
            self.push(
                Diagnostic::error(format!("`{}` must be a literal string", attr.key.as_str()))
                    .with_span(span)
                    .with_detail("this argument is read before any expression is evaluated"),
            );
        }
        text
    }

    /// A bool that must be written literally (`sensitive`, `prevent_destroy`).
    pub(super) fn literal_bool(&mut self, attr: &HclAttribute) -> Option<bool> {
        let value = match &attr.value {
            Expression::Bool(b) => Some(*b.value()),
            _ => None,
        };
        if value.is_none() {
            let span = self.span(&attr.value);
            self.push(
                Diagnostic::error(format!("`{}` must be `true` or `false`", attr.key.as_str()))
                    .with_span(span)
                    .with_detail("this argument must be a literal bool: it is read before any expression is evaluated"),
            );
        }
        value
    }

    /// A list of static references (`depends_on`). Each bad entry is reported.
    pub(super) fn reference_list(&mut self, attr: &HclAttribute) -> Vec<Expr> {
        let name = attr.key.as_str();
        let Expression::Array(items) = &attr.value else {
            let span = self.span(&attr.value);
            self.push(
                Diagnostic::error(format!("`{name}` must be a list of references"))
                    .with_span(span)
                    .with_help(format!("write `{name} = [testing_thing.a, module.b]`")),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            if static_path(item).is_some() {
                out.push(self.expr(item));
            } else {
                let span = self.span(item);
                let mut d = Diagnostic::error(format!("invalid `{name}` entry: a static reference is required"))
                    .with_span(span)
                    .with_detail("each entry must name a resource, data source, module, variable or local, without quotes or computed keys");
                if let Some(text) = item.as_str() {
                    d = d.with_help(format!("remove the quotes: `{text}`"));
                }
                self.push(d);
            }
        }
        out
    }
}

/// A string expression without interpolations: a quoted literal or a heredoc of plain text.
pub(super) fn static_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().clone()),
        Expression::StringTemplate(t) => literal_template(t),
        Expression::HeredocTemplate(h) => {
            let mut h = (**h).clone();
            h.dedent();
            literal_template(&h.template)
        }
        Expression::Parenthesis(p) => static_string(p.inner()),
        _ => None,
    }
}

fn literal_template(template: &hcl_edit::template::Template) -> Option<String> {
    let mut out = String::new();
    for element in template.iter() {
        out.push_str(element.as_literal()?.value());
    }
    Some(out)
}

/// A static traversal (`a.b["k"][0]`) as a path whose first step is the root name; `None`
/// for anything computed (splats, non-literal keys) or that is not a traversal at all.
pub(super) fn static_path(expr: &Expression) -> Option<Path> {
    match expr {
        Expression::Variable(name) => Some(Path::attr(name.as_str())),
        Expression::Traversal(t) => {
            let mut path = match &t.expr {
                Expression::Variable(name) => Path::attr(name.as_str()),
                _ => return None,
            };
            for op in &t.operators {
                path.0.push(static_step(op.value())?);
            }
            Some(path)
        }
        _ => None,
    }
}

/// One step of a static traversal; `None` for splats and computed keys.
pub(super) fn static_step(op: &TraversalOperator) -> Option<PathStep> {
    Some(match op {
        TraversalOperator::GetAttr(name) => PathStep::Attr(name.as_str().to_string()),
        TraversalOperator::LegacyIndex(i) => PathStep::Index(i64::try_from(*i.value()).ok()?),
        TraversalOperator::Index(Expression::String(key)) => PathStep::Key(key.value().clone()),
        TraversalOperator::Index(Expression::Number(n)) => PathStep::Index(n.value().as_i64()?),
        _ => return None,
    })
}

/// `name` or `name.alias` as a provider reference; `None` for anything else.
pub(super) fn provider_ref_parts(expr: &Expression) -> Option<(String, Option<String>)> {
    let path = static_path(expr)?;
    match path.0.as_slice() {
        [PathStep::Attr(name)] => Some((name.clone(), None)),
        [PathStep::Attr(name), PathStep::Attr(alias)] => Some((name.clone(), Some(alias.clone()))),
        _ => None,
    }
}

/// Whether a name is an HCL identifier: a letter or `_`, then letters, digits, `_` or `-`.
pub(super) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// "did you mean `x`?" for the closest candidate within a small edit distance.
pub(super) fn did_you_mean<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    // Allow about one typo per three characters, at least one: `cont` → `count`,
    // `for_eech` → `for_each`, but not `name` → `type`.
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn describe_labels(kind: &str, names: &[&str]) -> String {
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    match names {
        [] => format!("{article} `{kind}` block takes no labels"),
        [one] => format!("{article} `{kind}` block takes one label: its {one}"),
        many => format!("{article} `{kind}` block takes {} labels: {}", many.len(), many.join(" and ")),
    }
}
