//! Every MRS API operation: its method, its path (`{pid}` the project, `{id}` the cluster,
//! `{job}` a job, `{key}` a tag key, `{group}` a node group) and the IAM action it needs.
//! The sandbox routes and authorizes requests by [`Operation::route`]; the provider declares
//! the actions a planned change will call from [`Operation::action`], so the plan-time check
//! and the service agree on every name.
//!
//! Master spec upgrade is console-only on the real service ("one-click" upgrade, IAM
//! `mrs:cluster:scaleUp`); the sandbox serves it at [`Operation::UpgradeMasterSpec`]'s path,
//! its own, so a provider can drive it.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    CreateCluster,
    RunJobFlow,
    GetCluster,
    ListClusters,
    ListHosts,
    ResizeCluster,
    ExpandCluster,
    ShrinkCluster,
    UpgradeMasterSpec,
    RenameCluster,
    DeleteCluster,
    SubmitJob,
    ListJobs,
    GetJob,
    KillJob,
    BatchDeleteJobs,
    GetSqlResult,
    SetScalingPolicyV1,
    CreateScalingPolicy,
    GetScalingPolicy,
    UpdateScalingPolicy,
    DeleteScalingPolicy,
    BatchTags,
    CreateTag,
    DeleteTag,
    ListClusterTags,
    ListProjectTags,
    ListResourcesByTag,
}

/// (operation, method, path template, IAM action). Literal paths come before the templates
/// they would also match (`clusters/tags` before `clusters/{id}`).
const ROUTES: &[(Operation, &str, &str, &str)] = &[
    (Operation::CreateCluster, "POST", "/v2/{pid}/clusters", "mrs:cluster:create"),
    (Operation::RunJobFlow, "POST", "/v2/{pid}/run-job-flow", "mrs:cluster:create"),
    (Operation::ListClusters, "GET", "/v1.1/{pid}/cluster_infos", "mrs:cluster:list"),
    (Operation::GetCluster, "GET", "/v1.1/{pid}/cluster_infos/{id}", "mrs:cluster:get"),
    (Operation::ResizeCluster, "PUT", "/v1.1/{pid}/cluster_infos/{id}", "mrs:cluster:resize"),
    (Operation::ListProjectTags, "GET", "/v1.1/{pid}/clusters/tags", "mrs:tag:list"),
    (Operation::ListResourcesByTag, "POST", "/v1.1/{pid}/clusters/resource_instances/action", "mrs:tag:listResource"),
    (Operation::ListHosts, "GET", "/v1.1/{pid}/clusters/{id}/hosts", "mrs:host:list"),
    (Operation::DeleteCluster, "DELETE", "/v1.1/{pid}/clusters/{id}", "mrs:cluster:delete"),
    (Operation::BatchTags, "POST", "/v1.1/{pid}/clusters/{id}/tags/action", "mrs:tag:batchOperate"),
    (Operation::CreateTag, "POST", "/v1.1/{pid}/clusters/{id}/tags", "mrs:tag:create"),
    (Operation::ListClusterTags, "GET", "/v1.1/{pid}/clusters/{id}/tags", "mrs:tag:list"),
    (Operation::DeleteTag, "DELETE", "/v1.1/{pid}/clusters/{id}/tags/{key}", "mrs:tag:delete"),
    (Operation::ExpandCluster, "POST", "/v2/{pid}/clusters/{id}/expand", "mrs:cluster:resize"),
    (Operation::ShrinkCluster, "POST", "/v2/{pid}/clusters/{id}/shrink", "mrs:cluster:resize"),
    (Operation::UpgradeMasterSpec, "POST", "/v2/{pid}/clusters/{id}/master-spec", "mrs:cluster:scaleUp"),
    (Operation::RenameCluster, "PUT", "/v2/{pid}/clusters/{id}/cluster-name", "mrs:cluster:update"),
    (Operation::BatchDeleteJobs, "POST", "/v2/{pid}/clusters/{id}/job-executions/batch-delete", "mrs:job:batchDelete"),
    (Operation::SubmitJob, "POST", "/v2/{pid}/clusters/{id}/job-executions", "mrs:job:submit"),
    (Operation::ListJobs, "GET", "/v2/{pid}/clusters/{id}/job-executions", "mrs:job:list"),
    (Operation::GetJob, "GET", "/v2/{pid}/clusters/{id}/job-executions/{job}", "mrs:job:get"),
    (Operation::KillJob, "POST", "/v2/{pid}/clusters/{id}/job-executions/{job}/kill", "mrs:job:stop"),
    (Operation::GetSqlResult, "GET", "/v2/{pid}/clusters/{id}/job-executions/{job}/sql-result", "mrs:sql:fetchResult"),
    (Operation::SetScalingPolicyV1, "POST", "/v1.1/{pid}/autoscaling-policy/{id}", "mrs:cluster:policy"),
    (Operation::CreateScalingPolicy, "POST", "/v2/{pid}/autoscaling-policy/{id}", "mrs:cluster:policy"),
    (Operation::GetScalingPolicy, "GET", "/v2/{pid}/autoscaling-policy/{id}", "mrs:cluster:get"),
    (Operation::UpdateScalingPolicy, "PUT", "/v2/{pid}/autoscaling-policy/{id}", "mrs:cluster:policy"),
    (Operation::DeleteScalingPolicy, "DELETE", "/v2/{pid}/autoscaling-policy/{id}", "mrs:cluster:policy"),
];

/// A request matched to its operation, with the path's parameters by name (`pid`, `id`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub operation: Operation,
    pub params: BTreeMap<String, String>,
}

impl Routed {
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }
}

impl Operation {
    pub const ALL: &'static [Operation] = &[
        Operation::CreateCluster,
        Operation::RunJobFlow,
        Operation::GetCluster,
        Operation::ListClusters,
        Operation::ListHosts,
        Operation::ResizeCluster,
        Operation::ExpandCluster,
        Operation::ShrinkCluster,
        Operation::UpgradeMasterSpec,
        Operation::RenameCluster,
        Operation::DeleteCluster,
        Operation::SubmitJob,
        Operation::ListJobs,
        Operation::GetJob,
        Operation::KillJob,
        Operation::BatchDeleteJobs,
        Operation::GetSqlResult,
        Operation::SetScalingPolicyV1,
        Operation::CreateScalingPolicy,
        Operation::GetScalingPolicy,
        Operation::UpdateScalingPolicy,
        Operation::DeleteScalingPolicy,
        Operation::BatchTags,
        Operation::CreateTag,
        Operation::DeleteTag,
        Operation::ListClusterTags,
        Operation::ListProjectTags,
        Operation::ListResourcesByTag,
    ];

    fn entry(self) -> &'static (Operation, &'static str, &'static str, &'static str) {
        // Every operation has exactly one row (a test checks it); the first row is a
        // harmless fallback the compiler needs.
        ROUTES.iter().find(|r| r.0 == self).unwrap_or(&ROUTES[0])
    }

    /// The IAM action the service checks for this operation.
    pub fn action(self) -> &'static str {
        self.entry().3
    }

    pub fn method(self) -> &'static str {
        self.entry().1
    }

    /// Whether the operation changes anything (what a read-only identity must never reach).
    pub fn is_mutating(self) -> bool {
        self.method() != "GET" && !matches!(self, Operation::ListResourcesByTag)
    }

    /// The path with its parameters filled in, e.g. `path(&[("pid", p), ("id", c)])`.
    pub fn path(self, params: &[(&str, &str)]) -> String {
        let mut path = self.entry().2.to_string();
        for (name, value) in params {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        path
    }

    /// The operation a method and path name, with the path's parameters.
    pub fn route(method: &str, path: &str) -> Option<Routed> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        ROUTES.iter().find_map(|(operation, m, template, _)| {
            if !m.eq_ignore_ascii_case(method) {
                return None;
            }
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut params = BTreeMap::new();
            for (part, segment) in parts.iter().zip(&segments) {
                match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) if !segment.is_empty() => {
                        params.insert(name.to_string(), (*segment).to_string());
                    }
                    Some(_) => return None,
                    None if part == segment => {}
                    None => return None,
                }
            }
            Some(Routed { operation: *operation, params })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_api_iam::eval::{Request, evaluate};
    use corral_api_iam::system::{
        MRS_COMMON_OPERATIONS, MRS_FULL_ACCESS, MRS_READ_ONLY_ACCESS, TABLE_2, system_policy,
    };

    #[test]
    fn every_operation_has_one_route_and_routes_back_to_itself() {
        for operation in Operation::ALL {
            assert_eq!(ROUTES.iter().filter(|r| r.0 == *operation).count(), 1, "{operation:?}");
            let path = operation.path(&[("pid", "p1"), ("id", "c1"), ("job", "j1"), ("key", "k1")]);
            let routed = Operation::route(operation.method(), &path).unwrap();
            assert_eq!(routed.operation, *operation, "{path}");
        }
        assert_eq!(ROUTES.len(), Operation::ALL.len());
    }

    #[test]
    fn routes_take_their_parameters_from_the_path() {
        let routed = Operation::route("GET", "/v2/0a1b/clusters/c-9/job-executions/j-3/").unwrap();
        assert_eq!(routed.operation, Operation::GetJob);
        assert_eq!((routed.param("pid"), routed.param("id"), routed.param("job")), ("0a1b", "c-9", "j-3"));
        assert_eq!(Operation::route("GET", "/v1.1/p/clusters/tags").unwrap().operation, Operation::ListProjectTags);
        assert_eq!(Operation::route("DELETE", "/v1.1/p/clusters/c-1").unwrap().operation, Operation::DeleteCluster);
        assert!(Operation::route("PATCH", "/v1.1/p/clusters/c-1").is_none());
        assert!(Operation::route("GET", "/v3/p/clusters").is_none());
    }

    #[test]
    fn actions_are_the_table_2_names_and_the_system_policies_treat_them_as_the_table_does() {
        let full = system_policy(MRS_FULL_ACCESS).unwrap().named();
        let common = system_policy(MRS_COMMON_OPERATIONS).unwrap().named();
        let read_only = system_policy(MRS_READ_ONLY_ACCESS).unwrap().named();
        for operation in Operation::ALL {
            let action = operation.action();
            let request = Request::action(action);
            assert!(evaluate(std::slice::from_ref(&full), &request).allowed, "{operation:?}");
            if let Some(row) = TABLE_2.iter().find(|r| r.action == action) {
                assert_eq!(evaluate(std::slice::from_ref(&common), &request).allowed, row.allowed[1], "{operation:?}");
                assert_eq!(evaluate(std::slice::from_ref(&read_only), &request).allowed, row.allowed[2]);
            } else {
                // Only renaming has no row of its own; nobody but FullAccess may do it.
                assert_eq!(*operation, Operation::RenameCluster);
                assert!(!evaluate(std::slice::from_ref(&common), &request).allowed);
            }
            // A read-only identity never reaches an operation that changes something.
            if operation.is_mutating() {
                assert!(!evaluate(std::slice::from_ref(&read_only), &request).allowed, "{operation:?}");
            }
        }
    }
}
