//! The MRS system policies (Table 1 of the MRS user guide's permission page) and Table 2,
//! which operation each of them allows, as data. The FullAccess and ReadOnlyAccess documents
//! are the guide's verbatim; the guide does not print CommonOperations or the Administrator
//! role, so theirs are built from its descriptions (research.md §1.7) and Table 2. The action
//! of each Table 2 row comes from the guide's ReadOnlyAccess Deny list (which names the
//! mutating actions in the table's order) and the API's authorization items; the three SQL rows
//! and the operation-log row have no published action name (inferred, chosen so that the
//! published wildcards give the table's answers).
//!
//! The tests check every row against the guide's text (`testdata/`), row by row: the row's
//! operation and marks, and that evaluating each system policy on the row's action gives the
//! table's mark.

use crate::eval::NamedPolicy;
use crate::policy::PolicyDocument;

pub const MRS_FULL_ACCESS: &str = "MRS FullAccess";
pub const MRS_COMMON_OPERATIONS: &str = "MRS CommonOperations";
pub const MRS_READ_ONLY_ACCESS: &str = "MRS ReadOnlyAccess";
pub const MRS_ADMINISTRATOR: &str = "MRS Administrator";

/// Table 2's columns, in its order.
pub const COLUMNS: [&str; 4] = [MRS_FULL_ACCESS, MRS_COMMON_OPERATIONS, MRS_READ_ONLY_ACCESS, MRS_ADMINISTRATOR];

/// Fine-grained policy or RBAC role (Table 1's 策略类别).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    FineGrained,
    Rbac,
}

/// One system policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemPolicy {
    pub name: &'static str,
    pub category: Category,
    pub description: &'static str,
    /// The policy document's JSON text.
    pub document: &'static str,
}

/// Every MRS system policy, in Table 1's order.
pub const SYSTEM_POLICIES: [SystemPolicy; 4] = [
    SystemPolicy {
        name: MRS_FULL_ACCESS,
        category: Category::FineGrained,
        description: "MRS administrator: every MRS permission",
        document: r#"{ "Version": "1.1", "Statement": [ { "Action": [ "mrs:*:*", "ecs:*:*", "bms:*:*", "evs:*:*", "vpc:*:*", "kms:*:*", "rds:*:*", "bss:*:*" ], "Effect": "Allow" } ]}"#,
    },
    SystemPolicy {
        name: MRS_COMMON_OPERATIONS,
        category: Category::FineGrained,
        description: "MRS user: uses the service (jobs, files, tags, SQL, patches, alarms), creates and deletes no resources",
        document: r#"{ "Version": "1.1", "Statement": [ { "Action": [ "mrs:*:get*", "mrs:*:list*", "mrs:tag:count", "mrs:job:submit", "mrs:job:stop", "mrs:job:delete", "mrs:job:batchDelete", "mrs:job:checkSql", "mrs:file:*", "mrs:tag:*", "mrs:manager:access", "mrs:patch:*", "mrs:ops:*", "mrs:alarm:*", "mrs:sql:*", "mrs:bootstrap:*", "ecs:*:get*", "ecs:*:list*", "bms:*:get*", "bms:*:list*", "evs:*:get*", "evs:*:list*", "vpc:*:get*", "vpc:*:list*", "kms:*:get*", "kms:*:list*", "rds:*:get*", "rds:*:list*", "bss:*:view*" ], "Effect": "Allow" }, { "Action": [ "mrs:cluster:create", "mrs:cluster:resize", "mrs:cluster:scaleUp", "mrs:cluster:delete", "mrs:cluster:policy" ], "Effect": "Deny" } ]}"#,
    },
    SystemPolicy {
        name: MRS_READ_ONLY_ACCESS,
        category: Category::FineGrained,
        description: "MRS read-only: sees MRS resources, changes nothing",
        document: r#"{ "Version": "1.1", "Statement": [ { "Action": [ "mrs:*:get*", "mrs:*:list*", "mrs:tag:count", "ecs:*:get*", "ecs:*:list*", "bms:*:get*", "bms:*:list*", "evs:*:get*", "evs:*:list*", "vpc:*:get*", "vpc:*:list*", "kms:*:get*", "kms:*:list*", "rds:*:get*", "rds:*:list*", "bss:*:view*" ], "Effect": "Allow" }, { "Action": [ "mrs:cluster:create", "mrs:cluster:resize", "mrs:cluster:scaleUp", "mrs:cluster:delete", "mrs:cluster:policy", "mrs:job:submit", "mrs:job:stop", "mrs:job:delete", "mrs:job:batchDelete", "mrs:file:create", "mrs:file:delete", "mrs:tag:batchOperate", "mrs:tag:create", "mrs:tag:delete", "mrs:manager:access", "mrs:patch:install", "mrs:patch:uninstall", "mrs:ops:grant", "mrs:ops:shareLog", "mrs:alarm:subscribe" ], "Effect": "Deny" } ]}"#,
    },
    SystemPolicy {
        name: MRS_ADMINISTRATOR,
        category: Category::Rbac,
        description: "every MRS operation (RBAC role; needs Tenant Guest and Server Administrator too)",
        document: r#"{ "Version": "1.0", "Statement": [ { "Action": [ "mrs:*:*" ], "Effect": "Allow" } ]}"#,
    },
];

/// One row of Table 2: an operation, the action the API checks for it, and whether each
/// system policy (in [`COLUMNS`] order) allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationRow {
    /// The operation as the guide names it.
    pub operation: &'static str,
    pub english: &'static str,
    pub action: &'static str,
    pub allowed: [bool; 4],
}

const fn row(operation: &'static str, english: &'static str, action: &'static str, allowed: [bool; 4]) -> OperationRow {
    OperationRow { operation, english, action, allowed }
}

const ALL: [bool; 4] = [true, true, true, true];
const USE: [bool; 4] = [true, true, false, true];
const ADMIN: [bool; 4] = [true, false, false, true];

/// Table 2, in the guide's order.
pub const TABLE_2: &[OperationRow] = &[
    row("创建集群", "create a cluster", "mrs:cluster:create", ADMIN),
    row("调整集群", "resize a cluster", "mrs:cluster:resize", ADMIN),
    row("升级节点规格", "upgrade node specifications", "mrs:cluster:scaleUp", ADMIN),
    row("删除集群", "delete a cluster", "mrs:cluster:delete", ADMIN),
    row("查询集群详情", "get a cluster's details", "mrs:cluster:get", ALL),
    row("查询集群列表", "list clusters", "mrs:cluster:list", ALL),
    row("设置弹性伸缩策略", "set an auto-scaling policy", "mrs:cluster:policy", ADMIN),
    row("查询主机列表", "list hosts", "mrs:host:list", ALL),
    row("查询操作日志", "list operation logs", "mrs:log:list", ALL),
    row("创建并执行作业", "submit a job", "mrs:job:submit", USE),
    row("停止作业", "stop a job", "mrs:job:stop", USE),
    row("删除单个作业", "delete a job", "mrs:job:delete", USE),
    row("批量删除作业", "delete jobs in a batch", "mrs:job:batchDelete", USE),
    row("查询作业详情", "get a job's details", "mrs:job:get", ALL),
    row("查询作业列表", "list jobs", "mrs:job:list", ALL),
    row("新建文件夹", "create a folder", "mrs:file:create", USE),
    row("删除文件", "delete files", "mrs:file:delete", USE),
    row("查询文件列表", "list files", "mrs:file:list", ALL),
    row("批量操作集群标签", "add or remove cluster tags in a batch", "mrs:tag:batchOperate", USE),
    row("创建单个集群标签", "create a cluster tag", "mrs:tag:create", USE),
    row("删除单个集群标签", "delete a cluster tag", "mrs:tag:delete", USE),
    row("按照标签查询资源列表", "list resources by tag", "mrs:tag:listResource", ALL),
    row("查询集群标签", "list a cluster's tags", "mrs:tag:list", ALL),
    row("访问Manager页面", "open Manager", "mrs:manager:access", USE),
    row("查询补丁列表", "list patches", "mrs:patch:list", ALL),
    row("安装补丁", "install a patch", "mrs:patch:install", USE),
    row("卸载补丁", "uninstall a patch", "mrs:patch:uninstall", USE),
    row("运维通道授权", "grant the O&M channel", "mrs:ops:grant", USE),
    row("运维通道日志共享", "share logs over the O&M channel", "mrs:ops:shareLog", USE),
    row("查询告警列表", "list alarms", "mrs:alarm:list", ALL),
    row("订阅告警消息提醒", "subscribe to alarm notifications", "mrs:alarm:subscribe", USE),
    row("提交SQL语句", "submit an SQL statement", "mrs:sql:execute", USE),
    row("查询SQL结果", "fetch an SQL result", "mrs:sql:fetchResult", USE),
    row("取消SQL执行任务", "cancel an SQL statement", "mrs:sql:cancel", USE),
];

/// A system policy by name.
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    SYSTEM_POLICIES.iter().find(|p| p.name == name)
}

impl SystemPolicy {
    /// The policy as evaluation takes it. The documents are constants the tests parse, so a
    /// failure here is a bug in this file; it reads as an empty (deny-all) policy.
    pub fn named(&self) -> NamedPolicy {
        let document = PolicyDocument::parse_any(self.document)
            .unwrap_or(PolicyDocument { version: String::new(), statement: Vec::new() });
        NamedPolicy { name: self.name.to_string(), document }
    }
}

#[cfg(test)]
mod tests;
