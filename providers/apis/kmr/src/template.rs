//! Cluster template actions' bodies (transient clusters only): `CreateClusterTemplate`,
//! `DescribeClusterTemplate`, `ListClusterTemplates`, `ModifyClusterTemplate`,
//! `DeleteClusterTemplate`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::spec::{ClusterSpec, SpecRequest};

/// `CreateClusterTemplate`: from a spec, or saved from a transient cluster
/// (`SourceClusterId`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateClusterTemplateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    #[serde(flatten)]
    pub spec: SpecRequest,
}

/// `ModifyClusterTemplate`: the name and, when `MainVersion` is given, the whole spec.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyClusterTemplateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    #[serde(flatten)]
    pub spec: SpecRequest,
}

/// A request naming one template: `DescribeClusterTemplate`, `DeleteClusterTemplate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateIdRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
}

/// The answer of the actions that make, change or delete a template.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TemplateIdAnswer {
    pub template_id: String,
}

/// A template as `DescribeClusterTemplate` and `ListClusterTemplates` answer it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterTemplate {
    pub template_id: String,
    pub template_name: String,
    #[serde(flatten)]
    pub spec: ClusterSpec,
    #[serde(default)]
    pub source_cluster_id: Option<String>,
    #[serde(default)]
    pub client_token: Option<String>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListClusterTemplatesAnswer {
    #[serde(default)]
    pub total: usize,
    #[serde(default)]
    pub templates: Vec<ClusterTemplate>,
}
