//! Data source `kyligence_kap`: what KAP on a running stack answers — its models and cubes
//! (`ListCubes`) and, given `sql`, a query's one-cell result (`Query`). Read while KAP
//! serves (running or scaling); a stopped stack's KAP does not answer, so a configuration
//! that stops stacks reads it conditionally (`count`).

use corral_api_kyligence::action;
use corral_api_kyligence::kap::{ListCubesAnswer, QueryAnswer, QueryRequest};
use corral_api_kyligence::stack::StackIdRequest;
use corral_core::provider::{ReadDataRequest, ReadDataResponse};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Type, Value};

use crate::api::{api_error, call, error};
use crate::provider::Ctx;

pub const TYPE_NAME: &str = "kyligence_kap";

pub fn schema() -> ResourceSchema {
    let mut block = BlockSchema::new()
        .attr("stack_id", AttributeSchema::required(Type::String))
        .attr(
            "sql",
            AttributeSchema::optional(Type::String)
                .describe("A query KAP answers from its cubes: `select count(*) from TABLE`."),
        )
        .attr(
            "models",
            AttributeSchema::computed(Type::list(Type::String)).describe("The project's models (metadata in RDS)."),
        )
        .attr(
            "cubes",
            AttributeSchema::computed(Type::list(Type::String)).describe("The project's cubes (data in S3)."),
        )
        .attr("result", AttributeSchema::computed(Type::String).describe("The query's answer, when `sql` is set."))
        .attr("answered_by", AttributeSchema::computed(Type::String).describe("The cube that answered the query."));
    block.description = Some("What KAP on a running Kyligence Cloud stack answers: models, cubes, a query.".into());
    ResourceSchema { version: 0, block }
}

pub async fn read(ctx: &Ctx, request: ReadDataRequest) -> ReadDataResponse {
    let text = |name: &str| request.config.get_attr(name).and_then(Value::as_str).map(str::to_string);
    let Some(stack_id) = text("stack_id") else {
        return ReadDataResponse {
            diagnostics: error("`stack_id` of `kyligence_kap` is required"),
            ..Default::default()
        };
    };
    let listed =
        call::<ListCubesAnswer>(ctx, action::LIST_CUBES, &StackIdRequest { stack_id: Some(stack_id.clone()) }).await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(e) => {
            return ReadDataResponse {
                diagnostics: api_error(&format!("asking KAP on stack {stack_id}"), &e),
                ..Default::default()
            };
        }
    };
    let sql = text("sql");
    let answer = match &sql {
        Some(sql) => {
            let request = QueryRequest { stack_id: Some(stack_id.clone()), sql: Some(sql.clone()) };
            match call::<QueryAnswer>(ctx, action::QUERY, &request).await {
                Ok(answer) => Some(answer),
                Err(e) => {
                    return ReadDataResponse {
                        diagnostics: api_error(&format!("querying KAP on stack {stack_id}"), &e),
                        ..Default::default()
                    };
                }
            }
        }
        None => None,
    };
    let names = |names: Vec<String>| Value::List(Type::String, names.into_iter().map(Value::string).collect());
    let state = Value::object([
        ("stack_id".to_string(), Value::string(&stack_id)),
        ("sql".to_string(), sql.map_or(Value::Null(Type::String), Value::string)),
        ("models".to_string(), names(listed.models.into_iter().map(|m| m.model_name).collect())),
        ("cubes".to_string(), names(listed.cubes.into_iter().map(|c| c.cube_name).collect())),
        ("result".to_string(), answer.as_ref().map_or(Value::Null(Type::String), |a| Value::string(&a.result))),
        ("answered_by".to_string(), answer.as_ref().map_or(Value::Null(Type::String), |a| Value::string(&a.cube_name))),
    ]);
    ReadDataResponse { state: Some(state), ..Default::default() }
}
