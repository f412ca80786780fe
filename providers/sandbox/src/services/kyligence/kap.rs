//! KAP's answers: the project's models and cubes (`ListCubes`) and queries (`Query`). KAP
//! answers only while it serves (running or scaling) and once its configuration is on the
//! nodes (installed, or restored after a start); metadata comes from RDS and cube data from
//! S3, which is why a stopped and started stack answers as before.

use corral_api_kyligence::errors;
use corral_api_kyligence::kap::{Cube, ListCubesAnswer, QueryAnswer, QueryRequest};
use corral_api_kyligence::status::kap_serves;
use corral_provider_sdk::emulator::{ApiError, RequestContext};

use super::model::*;
use super::stacks::{answer, decode, find, find_id, required};
use super::store;

/// The stack's RDS and bucket, if KAP serves now.
fn serving(ctx: &RequestContext<'_>, stack: &Stack) -> Result<(Database, Bucket), ApiError> {
    if !kap_serves(&stack.stack_status) || stack.kap_local.is_none() {
        return Err(ApiError::new(
            503,
            errors::KAP_UNAVAILABLE,
            format!("KAP on stack `{}` does not answer: the stack is {}", stack.stack_id, stack.stack_status),
        ));
    }
    let unavailable = |what: &str| {
        ApiError::new(503, errors::KAP_UNAVAILABLE, format!("KAP on stack `{}` lost its {what}", stack.stack_id))
    };
    let database = store::get::<Database>(ctx.tables, DATABASES, &stack.rds_id)?.ok_or_else(|| unavailable("RDS"))?;
    let bucket = store::get::<Bucket>(ctx.tables, BUCKETS, &stack.s3_bucket)?.ok_or_else(|| unavailable("bucket"))?;
    Ok((database, bucket))
}

fn rows(bucket: &Bucket, cube: &str) -> u64 {
    bucket.objects.get(&cube_key(cube)).and_then(|o| o["SourceRows"].as_u64()).unwrap_or(0)
}

pub(super) fn list_cubes(
    ctx: &mut RequestContext<'_>,
    body: &serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    let stack = find(ctx, body)?;
    let (database, bucket) = serving(ctx, &stack)?;
    let cubes = database
        .cubes
        .iter()
        .map(|c| Cube {
            cube_name: c.cube_name.clone(),
            model_name: c.model_name.clone(),
            source_rows: rows(&bucket, &c.cube_name),
        })
        .collect();
    Ok(answer(&ListCubesAnswer { models: database.models, cubes }))
}

/// `select count(*) from TABLE`, answered from the cube of the model over `TABLE`.
pub(super) fn query(ctx: &mut RequestContext<'_>, body: &serde_json::Value) -> Result<serde_json::Value, ApiError> {
    let request: QueryRequest = decode(body)?;
    let stack = find_id(ctx, &required(&request.stack_id, "StackId")?)?;
    let sql = required(&request.sql, "Sql")?;
    let (database, bucket) = serving(ctx, &stack)?;
    let words: Vec<String> = sql.trim_end_matches(';').split_whitespace().map(str::to_ascii_lowercase).collect();
    let table = match words.as_slice() {
        [select, count, from, table] if select == "select" && count == "count(*)" && from == "from" => table,
        _ => {
            return Err(ApiError::bad_request(
                errors::INVALID_QUERY,
                format!("KAP answers `select count(*) from TABLE` here, not `{sql}`"),
            ));
        }
    };
    let model =
        database.models.iter().find(|m| m.fact_table.eq_ignore_ascii_case(table)).ok_or_else(|| {
            ApiError::bad_request(errors::INVALID_QUERY, format!("no model is built on table `{table}`"))
        })?;
    let cube = database.cubes.iter().find(|c| c.model_name == model.model_name).ok_or_else(|| {
        ApiError::bad_request(errors::INVALID_QUERY, format!("no cube of model `{}` answers it", model.model_name))
    })?;
    Ok(answer(&QueryAnswer { result: rows(&bucket, &cube.cube_name).to_string(), cube_name: cube.cube_name.clone() }))
}
