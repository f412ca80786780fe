//! The proposed new state of a plan, and the one way a [`PlanRequest`] is made.
//!
//! Terraform's core computes the proposal and sends it to the provider beside the prior
//! state and the configuration. It is a pure function of those two and the schema, so
//! every end that needs it computes it here, with the same inputs (marks removed): the
//! planner and the apply walk in the engine, and the plugin side of the protocol, which
//! therefore does not need it sent (a third of every plan request's bytes).

use crate::schema::{BlockSchema, Nesting};
use crate::value::{Type, Value};

use super::PlanRequest;

impl PlanRequest {
    /// A request to plan `config` over `prior_state` (`None`: a create). Sensitive marks
    /// are removed from both (providers never see marks); the proposed new state is
    /// [`proposed_new_state`] of what remains.
    pub fn new(
        schema: &BlockSchema,
        type_name: String,
        prior_state: Option<Value>,
        config: Value,
        prior_private: Option<Vec<u8>>,
    ) -> PlanRequest {
        let prior_state = prior_state.map(Value::without_marks);
        let config = config.without_marks();
        let proposed_new_state = proposed_new_state(schema, prior_state.as_ref(), &config);
        PlanRequest { type_name, prior_state, proposed_new_state, config, prior_private }
    }
}

/// Terraform's "proposed new state": the configuration, with computed attributes the
/// configuration leaves null taken from the prior state. A write-only attribute proposes
/// its prior value (the digest recorded for it, or null for a create), never the value in
/// the configuration: what a provider is asked to store must never be the secret (see
/// the engine's `provider::write_only`).
pub fn proposed_new_state(schema: &BlockSchema, prior: Option<&Value>, config: &Value) -> Value {
    let proposed = merge_computed(schema, prior, config);
    if !schema.attributes.values().any(|a| a.write_only) {
        return proposed;
    }
    let (bare, marked) = proposed.unmark();
    let Value::Object(mut attrs) = bare else { return bare.marked_if(marked) };
    for name in schema.attributes.iter().filter(|(_, a)| a.write_only).map(|(name, _)| name) {
        let prior_value = prior.and_then(|p| p.get_attr(name)).cloned();
        attrs.insert(name.clone(), prior_value.unwrap_or(Value::Null(Type::String)));
    }
    Value::Object(attrs).marked_if(marked)
}

fn merge_computed(schema: &BlockSchema, prior: Option<&Value>, config: &Value) -> Value {
    let Some(prior) = prior else { return config.clone() };
    let (config_bare, marked) = config.clone().unmark();
    let Value::Object(mut attrs) = config_bare else { return config.clone() };
    for (name, attr) in &schema.attributes {
        if attr.computed
            && attrs.get(name).is_none_or(Value::is_null)
            && let Some(prior_value) = prior.get_attr(name)
        {
            attrs.insert(name.clone(), prior_value.clone());
        }
    }
    for (name, block) in &schema.blocks {
        if block.nesting == Nesting::Single
            && let (Some(c), Some(p)) = (attrs.get(name).cloned(), prior.get_attr(name))
            && !c.is_null()
        {
            attrs.insert(name.clone(), merge_computed(&block.block, Some(p), &c));
        }
    }
    Value::Object(attrs).marked_if(marked)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::schema::AttributeSchema;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>())
    }

    fn s(text: &str) -> Value {
        Value::String(text.to_string())
    }

    fn schema() -> BlockSchema {
        BlockSchema::new()
            .attr("name", AttributeSchema::required(Type::String))
            .attr("id", AttributeSchema::computed(Type::String))
            .attr("password", AttributeSchema::optional(Type::String).write_only())
    }

    #[test]
    fn computed_attributes_come_from_prior_and_write_only_ones_never_from_config() {
        let prior = object(&[("name", s("a")), ("id", s("i-1")), ("password", s("sha256:old"))]);
        let config = object(&[("name", s("b")), ("id", Value::Null(Type::String)), ("password", s("secret"))]);
        let proposed = proposed_new_state(&schema(), Some(&prior), &config);
        assert_eq!(proposed, object(&[("name", s("b")), ("id", s("i-1")), ("password", s("sha256:old"))]));
        let create = proposed_new_state(&schema(), None, &config);
        assert_eq!(create.get_attr("password"), Some(&Value::Null(Type::String)));
        assert_eq!(create.get_attr("name"), Some(&s("b")));
    }

    #[test]
    fn a_request_is_unmarked_and_its_proposal_is_what_a_plugin_recomputes() {
        let prior = object(&[("name", s("a").mark_sensitive()), ("id", s("i-1")), ("password", s("sha256:old"))]);
        let config = object(&[("name", s("a").mark_sensitive()), ("id", Value::Null(Type::String))]);
        let request = PlanRequest::new(&schema(), "t".into(), Some(prior), config, None);
        assert!(!request.config.contains_sensitive() && !request.proposed_new_state.contains_sensitive());
        let again = proposed_new_state(&schema(), request.prior_state.as_ref(), &request.config);
        assert_eq!(again, request.proposed_new_state);
    }
}
