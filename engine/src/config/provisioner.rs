//! `provisioner` and `connection` blocks inside a `resource`. Corral runs `local-exec`
//! (after the object is created, or before it is destroyed with `when = destroy`), as
//! Terraform does; `remote-exec` and `file` need a connection into the machine (SSH or WinRM)
//! that Corral does not make, so they are refused at their block. `connection` blocks are
//! accepted and ignored: only those two provisioners use them.

use hcl_edit::structure::Block;

use super::decode::{Decoder, Schema, static_path};
use super::{Attribute, Provisioner};
use crate::diag::Diagnostic;
use crate::value::PathStep;

/// The arguments of a `local-exec` provisioner.
const LOCAL_EXEC_ATTRS: &[&str] =
    &["command", "working_dir", "environment", "interpreter", "quiet", "when", "on_failure"];

pub(super) fn decode_provisioner(dec: &mut Decoder<'_>, block: &Block) -> Option<Provisioner> {
    let labels = dec.labels(block, &["type"])?;
    let (kind, kind_span) = labels.into_iter().next()?;
    let decl_span = dec.header_span(block);
    match kind.as_str() {
        "local-exec" => {}
        "remote-exec" | "file" => {
            dec.push(
                Diagnostic::error(format!("`{kind}` provisioners are not supported")).with_span(decl_span).with_detail(
                    format!(
                        "`{kind}` needs a connection into the machine (SSH or WinRM) that Corral does not make: \
                         configure the machine through its provider instead (user data, cloud-init or an image), \
                         or run a command from here with a `local-exec` provisioner"
                    ),
                ),
            );
            return None;
        }
        other => {
            dec.push(
                Diagnostic::error(format!("unknown provisioner `{other}`"))
                    .with_span(kind_span)
                    .with_help("Corral runs `local-exec` provisioners"),
            );
            return None;
        }
    }
    let schema = Schema { what: "a `local-exec` provisioner", attrs: LOCAL_EXEC_ATTRS, blocks: &["connection"] };
    let content = dec.content(&block.body, &schema);
    let mut provisioner = Provisioner {
        kind,
        when_destroy: false,
        on_failure_continue: false,
        attributes: Default::default(),
        span: dec.span(block),
        decl_span,
    };
    for (name, attr) in &content.attrs {
        match *name {
            "when" => match keyword(attr) {
                Some(word) if word == "destroy" => provisioner.when_destroy = true,
                Some(word) if word == "create" => {}
                _ => dec.error(dec.span(&attr.value), "`when` must be `create` or `destroy`, without quotes"),
            },
            "on_failure" => match keyword(attr) {
                Some(word) if word == "continue" => provisioner.on_failure_continue = true,
                Some(word) if word == "fail" => {}
                _ => dec.error(dec.span(&attr.value), "`on_failure` must be `continue` or `fail`, without quotes"),
            },
            _ => {
                let attribute: Attribute = dec.attribute(attr);
                provisioner.attributes.insert(attribute.name.clone(), attribute);
            }
        }
    }
    if !provisioner.attributes.contains_key("command") {
        dec.push(
            Diagnostic::error("missing required argument `command`")
                .with_span(decl_span)
                .with_detail("a `local-exec` provisioner runs `command`"),
        );
    }
    Some(provisioner)
}

/// `when = destroy`: a bare keyword (Terraform also reads it quoted, with a warning).
fn keyword(attr: &hcl_edit::structure::Attribute) -> Option<String> {
    if let Some(text) = attr.value.as_str() {
        return Some(text.to_string());
    }
    let path = static_path(&attr.value)?;
    match path.0.as_slice() {
        [PathStep::Attr(word)] => Some(word.clone()),
        _ => None,
    }
}
