//! What KAP answers through the stack API while it serves: the project's models and cubes
//! (`ListCubes`) and SQL queries (`Query`), answered from the cubes.

use serde::{Deserialize, Serialize};

/// `ListCubes`' answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListCubesAnswer {
    #[serde(default)]
    pub models: Vec<Model>,
    #[serde(default)]
    pub cubes: Vec<Cube>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Model {
    pub model_name: String,
    /// The fact table the model is built on.
    pub fact_table: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cube {
    pub cube_name: String,
    pub model_name: String,
    /// Rows of the fact table the cube's segments cover (its data is in S3).
    pub source_rows: u64,
}

/// `Query`: `select count(*) from TABLE` over a model's fact table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryAnswer {
    /// The answer's one cell.
    pub result: String,
    /// The cube that answered.
    pub cube_name: String,
}
