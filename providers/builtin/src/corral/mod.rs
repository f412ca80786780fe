//! The `corral` provider: resource `corral_data`, Corral's `terraform_data`. It stores a
//! value in state (`input` → `output`) and can force the replacement of whatever depends on
//! it (`triggers_replace`), without any remote object.

use std::sync::Arc;

use corral_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, FindCreatedRequest, FindCreatedResponse,
    PlanRequest, PlanResponse, Provider, ProviderFactory, ReadDataRequest, ReadDataResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};
use corral_core::value::{Path, Type, Value};

use crate::support::{attributes, error, known_equal};

pub(crate) const DATA: &str = "corral_data";

/// Makes [`CorralProvider`]s.
pub struct CorralFactory {
    schema: Arc<ProviderSchema>,
}

impl CorralFactory {
    pub fn new() -> CorralFactory {
        CorralFactory { schema: Arc::new(schema()) }
    }
}

impl Default for CorralFactory {
    fn default() -> Self {
        CorralFactory::new()
    }
}

impl ProviderFactory for CorralFactory {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    fn instantiate(&self) -> Arc<dyn Provider> {
        Arc::new(CorralProvider { schema: self.schema.clone() })
    }
}

/// The `corral` provider. It has no configuration and touches nothing outside state.
pub struct CorralProvider {
    schema: Arc<ProviderSchema>,
}

fn schema() -> ProviderSchema {
    let block = BlockSchema::new()
        .attr(
            "input",
            AttributeSchema::optional(Type::Dynamic)
                .describe("A value to keep in state; `output` takes it after each apply"),
        )
        .attr(
            "triggers_replace",
            AttributeSchema::optional(Type::Dynamic)
                .forces_replacement()
                .describe("A value whose change replaces this resource"),
        )
        .attr("output", AttributeSchema::computed(Type::Dynamic).describe("`input` as of the last apply"))
        .attr("id", AttributeSchema::computed(Type::String).describe("A UUID made when the resource is created"));
    let mut schema = ProviderSchema::default();
    schema.resources.insert(DATA.to_string(), ResourceSchema { version: 0, block });
    schema
}

impl CorralProvider {
    fn block(&self) -> Option<&BlockSchema> {
        self.schema.resources.get(DATA).map(|r| &r.block)
    }
}

fn unknown_type(type_name: &str) -> corral_core::diag::Diagnostics {
    error(format!("the `corral` provider has no resource type `{type_name}`"))
}

/// `output` as planned for a new `input`: unknown until apply, as in Terraform, except that
/// a null input plans a null output (its type must match the input's even then).
fn planned_output(input: &Value) -> Value {
    if input.is_null() { input.clone() } else { Value::Unknown(input.ty()) }
}

#[async_trait::async_trait]
impl Provider for CorralProvider {
    fn schema(&self) -> Arc<ProviderSchema> {
        self.schema.clone()
    }

    async fn configure(&self, _request: ConfigureRequest) -> ConfigureResponse {
        ConfigureResponse::default()
    }

    async fn plan(&self, request: PlanRequest) -> PlanResponse {
        let Some(block) = self.block().filter(|_| request.type_name == DATA) else {
            return PlanResponse { diagnostics: unknown_type(&request.type_name), ..PlanResponse::default() };
        };
        if request.proposed_new_state.is_null() {
            // A destroy: nothing to compute.
            return PlanResponse { planned_state: Some(request.proposed_new_state), ..PlanResponse::default() };
        }
        let mut planned = attributes(&request.proposed_new_state, block);
        let input = planned.get("input").cloned().unwrap_or_else(Value::null);
        let triggers = planned.get("triggers_replace").cloned().unwrap_or_else(Value::null);
        let mut requires_replace = Vec::new();
        match request.prior_state.as_ref().filter(|p| !p.is_null()) {
            None => {
                planned.insert("id".to_string(), Value::Unknown(Type::String));
                planned.insert("output".to_string(), planned_output(&input));
            }
            Some(prior) => {
                let prior = attributes(prior, block);
                let prior_input = prior.get("input").cloned().unwrap_or_else(Value::null);
                let prior_triggers = prior.get("triggers_replace").cloned().unwrap_or_else(Value::null);
                if !known_equal(&prior_triggers, &triggers) {
                    requires_replace.push(Path::attr("triggers_replace"));
                    planned.insert("id".to_string(), Value::Unknown(Type::String));
                    planned.insert("output".to_string(), planned_output(&input));
                } else {
                    planned.insert("id".to_string(), prior.get("id").cloned().unwrap_or(Value::Null(Type::String)));
                    let output = if known_equal(&prior_input, &input) {
                        prior.get("output").cloned().unwrap_or_else(Value::null)
                    } else {
                        planned_output(&input)
                    };
                    planned.insert("output".to_string(), output);
                }
            }
        }
        PlanResponse { planned_state: Some(Value::Object(planned)), requires_replace, ..PlanResponse::default() }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let Some(block) = self.block().filter(|_| request.type_name == DATA) else {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name), ..ApplyResponse::default() };
        };
        let Some(planned) = request.planned_state.as_ref().filter(|p| !p.is_null()) else {
            // A delete: there is no remote object to remove.
            return ApplyResponse::default();
        };
        let mut state = attributes(planned, block);
        let input = state.get("input").cloned().unwrap_or_else(Value::null);
        if !input.is_wholly_known() {
            return ApplyResponse {
                new_state: request.prior_state,
                diagnostics: error("`input` of `corral_data` is still unknown at apply time"),
                ..ApplyResponse::default()
            };
        }
        let id_known = state.get("id").is_some_and(|id| id.is_known() && !id.is_null());
        if !id_known {
            state.insert("id".to_string(), Value::String(id_for_token(&request.idempotency_token)));
        }
        state.insert("output".to_string(), input);
        ApplyResponse { new_state: Some(Value::Object(state)), ..ApplyResponse::default() }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        // Nothing exists outside state, so nothing can drift.
        ReadResponse { new_state: Some(request.current_state), private: request.private, ..ReadResponse::default() }
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        ReadDataResponse {
            diagnostics: error(format!("the `corral` provider has no data source `{}`", request.type_name)),
            ..ReadDataResponse::default()
        }
    }

    /// There is never an object to adopt: creating `corral_data` touches nothing outside
    /// state, so creating it again is equivalent (and gives the same `id`, see
    /// [`id_for_token`]).
    async fn find_created(&self, _request: FindCreatedRequest) -> FindCreatedResponse {
        FindCreatedResponse::default()
    }
}

/// The `id` of a created `corral_data`: derived from the create's idempotency token, so a
/// retried create gives the same id; random when there is no token.
fn id_for_token(token: &str) -> String {
    if token.is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("corral_data:{token}").as_bytes()).to_string()
    }
}

#[cfg(test)]
mod tests;
