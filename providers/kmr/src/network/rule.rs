//! `kmr_security_group_rule`: one entry of a security group — inbound (`ingress`) or
//! outbound (`egress`), protocol `ip|tcp|udp|icmp`, a port range (tcp/udp) or ICMP type and
//! code, and the peer's CIDR block. Everything but `description` forces replacement, as in
//! research.md §7.4. Outbound traffic is open by default, so egress rules are optional.
//!
//! Duplicates (same group, direction, protocol, CIDR and ports) are refused at plan time
//! when the provider can see them: two rules of one configuration (each provider instance
//! plans every instance once per run, so a second create with the same identity is a
//! duplicate), or a rule that already exists in the group. The API refuses the rest at apply.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use corral_engine::diag::{Diagnostic, Diagnostics};
use corral_engine::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_engine::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_engine::value::{Type, Value};
use serde_json::json;

use super::VPC_VERSION;
use super::security_group::describe;
use crate::resource::{Ctx, ResourceType};
use crate::support::{
    api_error, check_cidr, check_one_of, client_token, error, failed, get_i64, get_str, is_not_found, json_i64,
    json_str, plan_from_schema,
};

const TYPE: &str = "kmr_security_group_rule";

/// The resource type. Holds the identities of the creates planned by this provider instance.
#[derive(Default)]
pub struct Rule {
    planned_creates: Mutex<HashMap<String, usize>>,
}

fn state(entry: &serde_json::Value) -> Value {
    let direction = match entry.get("Direction").and_then(|d| d.as_str()) {
        Some("out") => "egress",
        _ => "ingress",
    };
    Value::object([
        ("id".to_string(), json_str(entry, "SecurityGroupEntryId")),
        ("security_group_id".to_string(), json_str(entry, "SecurityGroupId")),
        ("direction".to_string(), Value::string(direction)),
        ("protocol".to_string(), json_str(entry, "Protocol")),
        ("cidr_block".to_string(), json_str(entry, "CidrBlock")),
        ("port_from".to_string(), json_i64(entry, "PortRangeFrom")),
        ("port_to".to_string(), json_i64(entry, "PortRangeTo")),
        ("icmp_type".to_string(), json_i64(entry, "IcmpType")),
        ("icmp_code".to_string(), json_i64(entry, "IcmpCode")),
        ("description".to_string(), json_str(entry, "Description")),
    ])
}

/// The identity of a rule, when every part of it is known.
fn identity(value: &Value) -> Option<String> {
    let part = |name: &str| -> Option<String> {
        let v = value.get_attr(name)?;
        if !v.is_wholly_known() {
            return None;
        }
        Some(match v.unmarked() {
            Value::Null(_) => "-".to_string(),
            other => other.to_json().to_string(),
        })
    };
    let parts =
        ["security_group_id", "direction", "protocol", "cidr_block", "port_from", "port_to", "icmp_type", "icmp_code"]
            .iter()
            .map(|n| part(n))
            .collect::<Option<Vec<_>>>()?;
    Some(parts.join("|"))
}

fn describe_rule(value: &Value) -> String {
    let mut text = format!(
        "{} {} from {}",
        get_str(value, "direction").unwrap_or_default(),
        get_str(value, "protocol").unwrap_or_default(),
        get_str(value, "cidr_block").unwrap_or_default()
    );
    if let (Some(from), Some(to)) = (get_i64(value, "port_from"), get_i64(value, "port_to")) {
        text.push_str(&format!(" ports {from}-{to}"));
    }
    text
}

/// Every entry of the account's groups (or of one group).
async fn entries(
    ctx: &Ctx,
    group_id: Option<&str>,
) -> Result<Vec<serde_json::Value>, corral_provider_sdk::http::CallError> {
    let body = match group_id {
        Some(id) => json!({"SecurityGroupId": [id]}),
        None => json!({}),
    };
    let groups = describe(ctx, body).await?;
    Ok(groups
        .iter()
        .filter_map(|g| g.get("SecurityGroupEntrySet").and_then(|s| s.as_array()))
        .flatten()
        .cloned()
        .collect())
}

#[async_trait::async_trait]
impl ResourceType for Rule {
    fn name(&self) -> &'static str {
        TYPE
    }

    fn schema(&self) -> ResourceSchema {
        let replace = |ty: Type, required: bool| {
            if required { AttributeSchema::required(ty) } else { AttributeSchema::optional(ty) }.forces_replacement()
        };
        ResourceSchema {
            version: 0,
            block: BlockSchema::new()
                .attr("id", AttributeSchema::computed(Type::String).describe("The entry id (`sge-...`)"))
                .attr("security_group_id", replace(Type::String, true))
                .attr("direction", replace(Type::String, true).describe("`ingress` or `egress`"))
                .attr("protocol", replace(Type::String, true).describe("`ip`, `tcp`, `udp` or `icmp`"))
                .attr("cidr_block", replace(Type::String, true).describe("The peer's network segment"))
                .attr("port_from", replace(Type::Number, false).describe("1-65535; required for tcp and udp"))
                .attr("port_to", replace(Type::Number, false).describe("1-65535, at least `port_from`"))
                .attr("icmp_type", replace(Type::Number, false).describe("Required for icmp"))
                .attr("icmp_code", replace(Type::Number, false).describe("Required for icmp"))
                .attr("description", AttributeSchema::optional_computed(Type::String)),
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        check_one_of(&mut diagnostics, config, "direction", TYPE, &["ingress", "egress"]);
        check_one_of(&mut diagnostics, config, "protocol", TYPE, &["ip", "tcp", "udp", "icmp"]);
        check_cidr(&mut diagnostics, config, "cidr_block", TYPE);
        let Some(protocol) = config.get_attr("protocol").and_then(Value::as_str) else { return diagnostics };
        let set = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
        let number = |name: &str| get_i64(config, name);
        match protocol {
            "tcp" | "udp" => {
                for name in ["port_from", "port_to"] {
                    if !set(name) {
                        diagnostics.push(Diagnostic::error(format!("a {protocol} rule needs `{name}`")));
                    }
                }
                for name in ["port_from", "port_to"] {
                    if let Some(port) = number(name)
                        && !(1..=65535).contains(&port)
                    {
                        diagnostics.push(Diagnostic::error(format!("`{name}` must be 1 to 65535, not {port}")));
                    }
                }
                if let (Some(from), Some(to)) = (number("port_from"), number("port_to"))
                    && from > to
                {
                    diagnostics
                        .push(Diagnostic::error(format!("`port_from` ({from}) is greater than `port_to` ({to})")));
                }
            }
            "icmp" => {
                for name in ["icmp_type", "icmp_code"] {
                    if !set(name) {
                        diagnostics.push(Diagnostic::error(format!("an icmp rule needs `{name}`")));
                    }
                }
            }
            _ => {}
        }
        if protocol != "tcp" && protocol != "udp" && (set("port_from") || set("port_to")) {
            diagnostics.push(Diagnostic::error(format!("ports apply to tcp and udp rules only, not to {protocol}")));
        }
        if protocol != "icmp" && (set("icmp_type") || set("icmp_code")) {
            diagnostics.push(Diagnostic::error(format!(
                "`icmp_type` and `icmp_code` apply to icmp rules only, not to {protocol}"
            )));
        }
        diagnostics
    }

    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        let mut response = plan_from_schema(&self.schema(), &request);
        let creating = request.prior_state.as_ref().is_none_or(Value::is_null) && !request.proposed_new_state.is_null();
        let Some(identity) = identity(&request.proposed_new_state).filter(|_| creating) else { return response };
        let rule = describe_rule(&request.proposed_new_state);
        let seen = {
            let mut planned = self.planned_creates.lock().unwrap_or_else(PoisonError::into_inner);
            let count = planned.entry(identity).or_insert(0);
            *count += 1;
            *count
        };
        if seen > 1 {
            response.diagnostics.push(
                Diagnostic::error(format!("duplicate security group rule: {rule}"))
                    .with_detail("another kmr_security_group_rule in this configuration has the same group, direction, protocol, CIDR block and ports")
                    .with_help("remove one of them; a security group holds each rule once"),
            );
            return response;
        }
        // A rule already in the group (made outside Corral, or the one KMR adds to KSCKMR).
        if let Some(group_id) = get_str(&request.proposed_new_state, "security_group_id")
            && let Ok(existing) = entries(ctx, Some(&group_id)).await
            && let Some(found) =
                existing.iter().find(|e| identity_of_entry(e) == self::identity(&request.proposed_new_state))
        {
            let id = found.get("SecurityGroupEntryId").and_then(|i| i.as_str()).unwrap_or("?");
            response.diagnostics.push(
                Diagnostic::error(format!("duplicate security group rule: {rule}"))
                    .with_detail(format!("security group {group_id} already has this rule as entry {id}"))
                    .with_help("import the existing entry instead of creating it again"),
            );
        }
        response
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let prior = request.prior_state.clone().filter(|p| !p.is_null());
        let planned = request.planned_state.clone().filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => {
                let group_id = get_str(&planned, "security_group_id").unwrap_or_default();
                let direction = if get_str(&planned, "direction").as_deref() == Some("egress") { "out" } else { "in" };
                let mut body = json!({
                    "SecurityGroupId": group_id,
                    "Direction": direction,
                    "Protocol": get_str(&planned, "protocol"),
                    "CidrBlock": get_str(&planned, "cidr_block"),
                    "ClientToken": client_token(&request.idempotency_token),
                });
                for (attr, field) in [
                    ("port_from", "PortRangeFrom"),
                    ("port_to", "PortRangeTo"),
                    ("icmp_type", "IcmpType"),
                    ("icmp_code", "IcmpCode"),
                ] {
                    if let Some(n) = get_i64(&planned, attr) {
                        body[field] = json!(n);
                    }
                }
                if let Some(description) = get_str(&planned, "description") {
                    body["Description"] = json!(description);
                }
                let answer = match ctx.vpc.call("AuthorizeSecurityGroupEntry", VPC_VERSION, &body).await {
                    Ok(answer) => answer,
                    Err(e) => return failed(None, api_error("creating kmr_security_group_rule", &e)),
                };
                let entry_id = answer.get("SecurityGroupEntryId").and_then(|i| i.as_str()).unwrap_or_default();
                match read_entry(ctx, &group_id, entry_id).await {
                    Ok(Some(state)) => ApplyResponse { new_state: Some(state), ..ApplyResponse::default() },
                    Ok(None) => failed(None, error(format!("rule {entry_id} vanished right after it was made"))),
                    Err(e) => {
                        // The entry exists: keep what is known so it is never forgotten.
                        let mut known = planned.clone();
                        if let Value::Object(attrs) = &mut known {
                            attrs.insert("id".to_string(), Value::string(entry_id));
                            attrs.entry("description".to_string()).and_modify(|d| {
                                if !d.is_known() {
                                    *d = Value::string("");
                                }
                            });
                        }
                        failed(Some(known), api_error("reading the new kmr_security_group_rule", &e))
                    }
                }
            }
            (Some(prior), Some(planned)) => {
                let group_id = get_str(&prior, "security_group_id").unwrap_or_default();
                let id = get_str(&prior, "id").unwrap_or_default();
                let body = json!({
                    "SecurityGroupId": group_id,
                    "SecurityGroupEntryId": id,
                    "Description": get_str(&planned, "description").unwrap_or_default(),
                });
                if let Err(e) = ctx.vpc.call("ModifySecurityGroupEntry", VPC_VERSION, &body).await {
                    return failed(Some(prior), api_error(&format!("updating kmr_security_group_rule {id}"), &e));
                }
                match read_entry(ctx, &group_id, &id).await {
                    Ok(state) => ApplyResponse { new_state: state, ..ApplyResponse::default() },
                    Err(e) => failed(Some(planned), api_error(&format!("reading kmr_security_group_rule {id}"), &e)),
                }
            }
            (Some(prior), None) => {
                let group_id = get_str(&prior, "security_group_id").unwrap_or_default();
                let id = get_str(&prior, "id").unwrap_or_default();
                let body = json!({"SecurityGroupId": group_id, "SecurityGroupEntryId": id});
                match ctx.vpc.call("RevokeSecurityGroupEntry", VPC_VERSION, &body).await {
                    Ok(_) => ApplyResponse::default(),
                    Err(e) if is_not_found(&e) => ApplyResponse::default(),
                    Err(e) => failed(Some(prior), api_error(&format!("deleting kmr_security_group_rule {id}"), &e)),
                }
            }
            (None, None) => ApplyResponse::default(),
        }
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let (Some(group_id), Some(id)) =
            (get_str(&request.current_state, "security_group_id"), get_str(&request.current_state, "id"))
        else {
            return ReadResponse {
                diagnostics: error("the state of kmr_security_group_rule has no `id` or `security_group_id`"),
                ..ReadResponse::default()
            };
        };
        match read_entry(ctx, &group_id, &id).await {
            Ok(state) => ReadResponse { new_state: state, private: request.private, ..ReadResponse::default() },
            Err(e) => ReadResponse {
                new_state: Some(request.current_state),
                diagnostics: api_error(&format!("reading kmr_security_group_rule {id}"), &e),
                ..ReadResponse::default()
            },
        }
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let token = client_token(&request.idempotency_token);
        let group_id = request.planned_state.as_ref().and_then(|p| get_str(p, "security_group_id"));
        match entries(ctx, group_id.as_deref()).await {
            Ok(all) => FindCreatedResponse {
                state: all
                    .iter()
                    .find(|e| e.get("ClientToken").and_then(|t| t.as_str()) == Some(token.as_str()))
                    .map(state),
                ..FindCreatedResponse::default()
            },
            Err(e) => FindCreatedResponse {
                diagnostics: api_error("looking for an interrupted kmr_security_group_rule create", &e),
                ..FindCreatedResponse::default()
            },
        }
    }

    /// Imports by `GROUP_ID/ENTRY_ID` or by the entry id alone.
    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        let (group, entry) = match request.id.split_once('/') {
            Some((g, e)) => (Some(g), e),
            None => (None, request.id.as_str()),
        };
        match entries(ctx, group).await {
            Ok(all) => match all.iter().find(|e| e.get("SecurityGroupEntryId").and_then(|i| i.as_str()) == Some(entry))
            {
                Some(found) => ImportResponse { state: Some(state(found)), ..ImportResponse::default() },
                None => ImportResponse {
                    diagnostics: error(format!("no security group entry `{}` exists", request.id)),
                    ..ImportResponse::default()
                },
            },
            Err(e) => ImportResponse {
                diagnostics: api_error("importing kmr_security_group_rule", &e),
                ..ImportResponse::default()
            },
        }
    }
}

fn identity_of_entry(entry: &serde_json::Value) -> Option<String> {
    identity(&state(entry))
}

/// One entry of a group as a state; `None` when the group or the entry is gone.
async fn read_entry(
    ctx: &Ctx,
    group_id: &str,
    entry_id: &str,
) -> Result<Option<Value>, corral_provider_sdk::http::CallError> {
    let all = match entries(ctx, Some(group_id)).await {
        Ok(all) => all,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(all.iter().find(|e| e.get("SecurityGroupEntryId").and_then(|i| i.as_str()) == Some(entry_id)).map(state))
}
