//! `kmr_security_group_rule`: one logical rule of a security group — inbound (`ingress`) or
//! outbound (`egress`), protocol `ip|tcp|udp|icmp`, a port range (tcp/udp) or ICMP type and
//! code — for a list of peer CIDR blocks (`cidrs`). The API knows entries, one per CIDR
//! (research.md §7.4, as ksyun's `security_group_entry_lite`): adding or removing a CIDR
//! authorizes or revokes that one entry in place; `entry_ids` maps each CIDR to its entry.
//! The group, direction, protocol and ports force replacement; `description` changes in place
//! (on every entry). Outbound traffic is open by default, so egress rules are optional.
//!
//! Every entry a rule makes carries a `ClientToken` that starts with the rule's own UUID (the
//! one in its `id`), so the entries of a rule are found again after a create or an update that
//! stopped half way: `find_created` adopts them, `read` counts them in.
//!
//! Duplicates — the same (group, direction, protocol, CIDR, ports) twice — are refused at plan
//! time: twice in one list (validation), in two rules of one configuration (the schema
//! declares the rule's identity, and the engine refuses two planned objects with one, naming
//! both, even while the group's id is unknown), or an entry the group already has. The API
//! refuses the rest at apply.

use std::collections::{BTreeMap, BTreeSet};

use corral_api_vpc::names::{DIRECTION_IN, DIRECTION_OUT, PROTOCOL_ICMP, PROTOCOL_IP, PROTOCOL_TCP, PROTOCOL_UDP};
use corral_api_vpc::security_group::{
    AuthorizeSecurityGroupEntryAnswer, AuthorizeSecurityGroupEntryRequest, SecurityGroupEntry,
    SecurityGroupEntryRequest,
};
use corral_api_vpc::{ReturnAnswer, action, limits};
use corral_core::diag::{Diagnostic, Diagnostics};
use corral_core::provider::{
    ApplyRequest, ApplyResponse, FindCreatedRequest, FindCreatedResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, ReadRequest, ReadResponse,
};
use corral_core::schema::{AttributeSchema, BlockSchema, ResourceSchema};
use corral_core::value::{Type, Value};
use corral_provider_sdk::http::CallError;

use super::VPC_VERSION;
use super::security_group::describe;
use crate::resource::{Ctx, ResourceType};
use crate::support::{
    api_error, call_api, client_token, error, failed, get_i64, get_str, is_not_found, plan_from_schema,
};
use corral_core::value::Path;
use corral_provider_sdk::validate::Checks;

const TYPE: &str = "kmr_security_group_rule";
/// The protocols a rule may name: the API's.
const PROTOCOLS: &[&str] = &[PROTOCOL_IP, PROTOCOL_TCP, PROTOCOL_UDP, PROTOCOL_ICMP];
/// The prefix of a rule's `id`; the rest is the UUID its entries' client tokens start with.
const ID_PREFIX: &str = "sgr-";

/// The resource type.
#[derive(Default)]
pub struct Rule;

/// What the entries of one rule share: everything but the CIDR.
#[derive(Clone, Debug, PartialEq)]
struct Shape {
    group_id: String,
    /// `ingress` or `egress`.
    direction: String,
    protocol: String,
    ports: (Option<i64>, Option<i64>),
    icmp: (Option<i64>, Option<i64>),
}

impl Shape {
    /// The shape of a configuration or state, when every part of it is known.
    fn of(value: &Value) -> Option<Shape> {
        let known = |name: &str| value.get_attr(name).is_some_and(Value::is_wholly_known);
        let parts = ["security_group_id", "direction", "protocol", "port_from", "port_to", "icmp_type", "icmp_code"];
        if !parts.iter().all(|p| known(p)) {
            return None;
        }
        Some(Shape {
            group_id: get_str(value, "security_group_id")?,
            direction: get_str(value, "direction")?,
            protocol: get_str(value, "protocol")?,
            ports: (get_i64(value, "port_from"), get_i64(value, "port_to")),
            icmp: (get_i64(value, "icmp_type"), get_i64(value, "icmp_code")),
        })
    }

    /// The shape of an API entry.
    fn of_entry(entry: &SecurityGroupEntry) -> Shape {
        let direction = if entry.direction == DIRECTION_OUT { "egress" } else { "ingress" };
        Shape {
            group_id: entry.security_group_id.clone(),
            direction: direction.to_string(),
            protocol: entry.protocol.clone(),
            ports: (entry.port_range_from, entry.port_range_to),
            icmp: (entry.icmp_type, entry.icmp_code),
        }
    }

    /// The identity of the entry for `cidr`: what the group holds at most once.
    fn key(&self, cidr: &str) -> String {
        format!("{}|{}|{}|{cidr}|{:?}|{:?}", self.group_id, self.direction, self.protocol, self.ports, self.icmp)
    }

    fn describe(&self, cidr: &str) -> String {
        let mut text = format!("{} {} from {cidr}", self.direction, self.protocol);
        if let (Some(from), Some(to)) = self.ports {
            text.push_str(&format!(" ports {from}-{to}"));
        }
        text
    }

    /// The `AuthorizeSecurityGroupEntry` request for one CIDR.
    fn authorize_request(
        &self,
        cidr: &str,
        description: Option<&str>,
        token: &str,
    ) -> AuthorizeSecurityGroupEntryRequest {
        let direction = if self.direction == "egress" { DIRECTION_OUT } else { DIRECTION_IN };
        AuthorizeSecurityGroupEntryRequest {
            security_group_id: Some(self.group_id.clone()),
            direction: Some(direction.to_string()),
            protocol: Some(self.protocol.clone()),
            cidr_block: Some(cidr.to_string()),
            port_range_from: self.ports.0,
            port_range_to: self.ports.1,
            icmp_type: self.icmp.0,
            icmp_code: self.icmp.1,
            description: description.map(str::to_string),
            client_token: Some(token.to_string()),
        }
    }
}

fn entry_id(entry: &SecurityGroupEntry) -> &str {
    &entry.security_group_entry_id
}

fn entry_cidr(entry: &SecurityGroupEntry) -> &str {
    &entry.cidr_block
}

fn entry_token(entry: &SecurityGroupEntry) -> &str {
    entry.client_token.as_deref().unwrap_or_default()
}

/// The known CIDRs of a value's `cidrs`, in order; `None` while the list is not known.
fn cidrs_of(value: &Value) -> Option<Vec<String>> {
    let list = value.get_attr("cidrs")?;
    if !list.is_wholly_known() {
        return None;
    }
    Some(list.as_seq().unwrap_or(&[]).iter().filter_map(|c| c.as_str().map(str::to_string)).collect())
}

/// `entry_ids` of a state: CIDR → entry id.
fn entry_ids_of(value: &Value) -> BTreeMap<String, String> {
    value
        .get_attr("entry_ids")
        .and_then(Value::as_entries)
        .map(|m| m.iter().filter_map(|(cidr, id)| Some((cidr.clone(), id.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

/// The UUID of a rule (`sgr-UUID`): every entry the rule makes has a client token starting
/// with it.
fn rule_uuid(value: &Value) -> Option<String> {
    get_str(value, "id").and_then(|id| id.strip_prefix(ID_PREFIX).map(str::to_string))
}

/// A short, stable tag of `text` for a client token (`UUID-TAG` stays within the API's 64
/// characters).
fn tag(text: &str) -> String {
    let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, text.as_bytes()).simple().to_string();
    uuid[..16].to_string()
}

/// The state of a rule from its entries: CIDRs in the order of `order` (what the
/// configuration or the prior state lists), others after them in the order they were made.
fn rule_state(id: &str, entries: &[SecurityGroupEntry], order: &[String], base_description: Option<&str>) -> Value {
    let shape = entries.first().map(Shape::of_entry);
    let mut sorted: Vec<&SecurityGroupEntry> = entries.iter().collect();
    sorted.sort_by_key(|e| {
        let position = order.iter().position(|c| c == entry_cidr(e)).unwrap_or(usize::MAX);
        (position, e.create_time.clone(), entry_id(e))
    });
    let descriptions: Vec<&str> = sorted.iter().map(|e| e.description.as_str()).collect();
    // One description for the rule: an entry that differs from the rest is drift to show.
    let description = descriptions
        .iter()
        .find(|d| Some(**d) != base_description)
        .or(descriptions.first())
        .copied()
        .unwrap_or_default();
    let number = |n: Option<i64>| n.map_or(Value::Null(Type::Number), Value::int);
    let text = |s: Option<&str>| s.map_or(Value::Null(Type::String), Value::string);
    Value::object([
        ("id".to_string(), Value::string(id)),
        ("security_group_id".to_string(), text(shape.as_ref().map(|s| s.group_id.as_str()))),
        ("direction".to_string(), text(shape.as_ref().map(|s| s.direction.as_str()))),
        ("protocol".to_string(), text(shape.as_ref().map(|s| s.protocol.as_str()))),
        ("cidrs".to_string(), Value::List(Type::String, sorted.iter().map(|e| Value::string(entry_cidr(e))).collect())),
        (
            "entry_ids".to_string(),
            Value::Map(
                Type::String,
                sorted.iter().map(|e| (entry_cidr(e).to_string(), Value::string(entry_id(e)))).collect(),
            ),
        ),
        ("port_from".to_string(), number(shape.as_ref().and_then(|s| s.ports.0))),
        ("port_to".to_string(), number(shape.as_ref().and_then(|s| s.ports.1))),
        ("icmp_type".to_string(), number(shape.as_ref().and_then(|s| s.icmp.0))),
        ("icmp_code".to_string(), number(shape.as_ref().and_then(|s| s.icmp.1))),
        ("description".to_string(), Value::string(description)),
    ])
}

/// Every entry of the account's groups (or of one group).
async fn entries(ctx: &Ctx, group_id: Option<&str>) -> Result<Vec<SecurityGroupEntry>, CallError> {
    let ids = group_id.map(str::to_string).into_iter().collect();
    let groups = describe(ctx, ids, Vec::new()).await?;
    Ok(groups.into_iter().filter_map(|g| g.security_group_entry_set).flatten().collect())
}

/// The entries of a rule in its group: those `ids` names, and those whose client token
/// starts with the rule's UUID. Empty when the group is gone.
async fn rule_entries(
    ctx: &Ctx,
    group_id: &str,
    ids: &BTreeSet<String>,
    uuid: Option<&str>,
) -> Result<Vec<SecurityGroupEntry>, CallError> {
    let all = match entries(ctx, Some(group_id)).await {
        Ok(all) => all,
        Err(e) if is_not_found(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let prefix = uuid.map(|u| format!("{u}-"));
    Ok(all
        .into_iter()
        .filter(|e| ids.contains(entry_id(e)) || prefix.as_deref().is_some_and(|p| entry_token(e).starts_with(p)))
        .collect())
}

impl Rule {
    /// The plan of the rule's entries: kept CIDRs keep their entry ids, added ones are checked
    /// against the group's existing entries (a duplicate is an error at its CIDR).
    async fn plan_entries(&self, ctx: &Ctx, request: &PlanRequest) -> PlanResponse {
        let mut response = plan_from_schema(&self.schema(), request);
        let prior = request.prior_state.as_ref().filter(|p| !p.is_null());
        let kept: BTreeMap<String, String> = match prior {
            Some(prior) if response.requires_replace.is_empty() => entry_ids_of(prior),
            _ => BTreeMap::new(),
        };
        let Some(Value::Object(planned)) = response.planned_state.as_mut() else { return response };
        let cidrs = cidrs_of(&request.proposed_new_state);
        if prior.is_some() && response.requires_replace.is_empty() {
            // An update: kept CIDRs keep their entries, added ones get theirs at apply.
            let ids = match &cidrs {
                Some(cidrs) => Value::Map(
                    Type::String,
                    cidrs
                        .iter()
                        .map(|c| (c.clone(), kept.get(c).map_or(Value::Unknown(Type::String), Value::string)))
                        .collect(),
                ),
                None => Value::Unknown(Type::map(Type::String)),
            };
            planned.insert("entry_ids".to_string(), ids);
        }
        let (Some(shape), Some(cidrs)) = (Shape::of(&request.proposed_new_state), cidrs) else { return response };
        // With its index in `cidrs`, so a duplicate points at the line that lists it.
        let added: Vec<(usize, &String)> = cidrs.iter().enumerate().filter(|(_, c)| !kept.contains_key(*c)).collect();
        if added.is_empty() {
            return response;
        }
        // An entry already in the group (made outside Corral, or the one KMR adds to KSCKMR).
        let ours: BTreeSet<&String> = kept.values().collect();
        if let Ok(existing) = entries(ctx, Some(&shape.group_id)).await {
            for (i, cidr) in added {
                let key = shape.key(cidr);
                if let Some(found) = existing
                    .iter()
                    .find(|e| Shape::of_entry(e).key(entry_cidr(e)) == key && !ours.contains(&entry_id(e).to_string()))
                {
                    response.diagnostics.push(
                        Diagnostic::error(format!("duplicate security group rule: {}", shape.describe(cidr)))
                            .with_attribute(Path::attr("cidrs").index(i as i64))
                            .with_detail(format!(
                                "security group {} already has this rule as entry {}",
                                shape.group_id,
                                entry_id(found)
                            ))
                            .with_help("import the existing entry instead of creating it again"),
                    );
                }
            }
        }
        response
    }
}

/// Warnings for CIDRs that lie in another VPC of the account that is not connected to the
/// group's VPC (kmr-faq.md §7: hosts in different VPCs reach each other only once the VPCs
/// are connected): the rule would let in hosts that cannot reach the cluster. A peering
/// planned in the same run is not seen yet, so this is a warning, not an error.
async fn unconnected_cidrs(ctx: &Ctx, proposed: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let (Some(group_id), Some(cidrs)) = (get_str(proposed, "security_group_id"), cidrs_of(proposed)) else {
        return d;
    };
    let Ok(groups) = describe(ctx, vec![group_id.clone()], Vec::new()).await else { return d };
    let Some(group) = groups.into_iter().next() else { return d };
    let vpcs: corral_api_vpc::vpc::DescribeVpcsAnswer = match call_api(
        &ctx.vpc,
        action::DESCRIBE_VPCS,
        VPC_VERSION,
        &corral_api_vpc::vpc::DescribeVpcsRequest::default(),
    )
    .await
    {
        Ok(answer) => answer,
        Err(_) => return d,
    };
    let Ok(connections) = super::peering::connections_of(ctx, &group.vpc_id).await else { return d };
    for (i, cidr) in cidrs.iter().enumerate() {
        let Ok(net) = corral_provider_sdk::validate::parse_cidr_v4(cidr) else { continue };
        let home = vpcs.vpc_set.iter().find(|v| v.vpc_id == group.vpc_id);
        let inside_home = home
            .and_then(|v| corral_provider_sdk::validate::parse_cidr_v4(&v.cidr_block).ok())
            .is_some_and(|h| h.contains(&net));
        if inside_home {
            continue;
        }
        let Some(other) = vpcs.vpc_set.iter().find(|v| {
            v.vpc_id != group.vpc_id
                && corral_provider_sdk::validate::parse_cidr_v4(&v.cidr_block).is_ok_and(|o| o.contains(&net))
        }) else {
            continue;
        };
        if connections.iter().any(|c| c.joins(&group.vpc_id, &other.vpc_id)) {
            continue;
        }
        d.push(
            Diagnostic::warning(format!(
                "`{cidr}` lies in VPC {} ({}), which is not connected to the group's VPC {}: its hosts cannot reach the cluster",
                other.vpc_name, other.vpc_id, group.vpc_id
            ))
            .with_help("connect the VPCs with a `kmr_vpc_peering`")
            .with_attribute(Path::attr("cidrs").index(i as i64)),
        );
    }
    d
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
                .attr(
                    "id",
                    AttributeSchema::computed(Type::String)
                        .describe("The rule's id (`sgr-...`); its entries are in `entry_ids`"),
                )
                .attr("security_group_id", replace(Type::String, true))
                .attr("direction", replace(Type::String, true).describe("`ingress` or `egress`"))
                .attr("protocol", replace(Type::String, true).describe("`ip`, `tcp`, `udp` or `icmp`"))
                .attr(
                    "cidrs",
                    AttributeSchema::required(Type::list(Type::String)).describe(
                        "The peers' network segments; each is one entry of the group, added or revoked in place",
                    ),
                )
                .attr(
                    "entry_ids",
                    AttributeSchema::computed(Type::map(Type::String))
                        .describe("The group entry (`sge-...`) of each CIDR"),
                )
                .attr("port_from", replace(Type::Number, false).describe("1-65535; required for tcp and udp"))
                .attr("port_to", replace(Type::Number, false).describe("1-65535, at least `port_from`"))
                .attr("icmp_type", replace(Type::Number, false).describe("Required for icmp"))
                .attr("icmp_code", replace(Type::Number, false).describe("Required for icmp"))
                .attr("description", AttributeSchema::optional_computed(Type::String))
                // A group holds each entry once: the engine refuses two rules that plan one.
                .identity(
                    &["security_group_id", "direction", "protocol", "port_from", "port_to", "icmp_type", "icmp_code"],
                    Some("cidrs"),
                ),
        }
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut checks = Checks::new(TYPE, config);
        checks.one_of("direction", &["ingress", "egress"]).one_of("protocol", PROTOCOLS);
        check_cidrs(&mut checks, config);
        let Some(protocol) = config.get_attr("protocol").and_then(Value::as_str) else { return checks.finish() };
        let set = |name: &str| config.get_attr(name).is_some_and(|v| !v.is_null());
        let number = |name: &str| get_i64(config, name);
        match protocol {
            "tcp" | "udp" => {
                for name in ["port_from", "port_to"] {
                    if !set(name) {
                        checks.error(name, format!("a {protocol} rule needs `{name}`"));
                    }
                }
                for name in ["port_from", "port_to"] {
                    if let Some(port) = number(name)
                        && !limits::PORTS.contains(&port)
                    {
                        checks.error(name, format!("`{name}` must be 1 to 65535, not {port}"));
                    }
                }
                if let (Some(from), Some(to)) = (number("port_from"), number("port_to"))
                    && from > to
                {
                    checks.error("port_from", format!("`port_from` ({from}) is greater than `port_to` ({to})"));
                }
            }
            "icmp" => {
                for name in ["icmp_type", "icmp_code"] {
                    if !set(name) {
                        checks.error(name, format!("an icmp rule needs `{name}`"));
                    }
                }
            }
            _ => {}
        }
        if protocol != "tcp" && protocol != "udp" {
            for name in ["port_from", "port_to"].into_iter().filter(|n| set(n)) {
                checks.error(name, format!("ports apply to tcp and udp rules only, not to {protocol}"));
            }
        }
        if protocol != "icmp" {
            for name in ["icmp_type", "icmp_code"].into_iter().filter(|n| set(n)) {
                checks.error(name, format!("`{name}` applies to icmp rules only, not to {protocol}"));
            }
        }
        checks.finish()
    }

    async fn plan(&self, ctx: &Ctx, request: PlanRequest) -> PlanResponse {
        let mut response = self.plan_entries(ctx, &request).await;
        if !response.diagnostics.has_errors() && !request.proposed_new_state.is_null() {
            response.diagnostics.extend(unconnected_cidrs(ctx, &request.proposed_new_state).await);
        }
        response
    }

    async fn apply(&self, ctx: &Ctx, request: ApplyRequest) -> ApplyResponse {
        let prior = request.prior_state.clone().filter(|p| !p.is_null());
        let planned = request.planned_state.clone().filter(|p| !p.is_null());
        match (prior, planned) {
            (None, Some(planned)) => create(ctx, &planned, &request.idempotency_token).await,
            (Some(prior), Some(planned)) => update(ctx, &prior, &planned, &request.idempotency_token).await,
            (Some(prior), None) => delete(ctx, prior).await,
            (None, None) => ApplyResponse::default(),
        }
    }

    async fn read(&self, ctx: &Ctx, request: ReadRequest) -> ReadResponse {
        let current = &request.current_state;
        let (Some(id), Some(group_id)) = (get_str(current, "id"), get_str(current, "security_group_id")) else {
            return ReadResponse {
                diagnostics: error("the state of kmr_security_group_rule has no `id` or `security_group_id`"),
                ..ReadResponse::default()
            };
        };
        let ids: BTreeSet<String> = entry_ids_of(current).into_values().collect();
        let order = cidrs_of(current).unwrap_or_default();
        match rule_entries(ctx, &group_id, &ids, rule_uuid(current).as_deref()).await {
            // Every entry revoked (or the group deleted) behind Corral's back: gone.
            Ok(found) if found.is_empty() => ReadResponse { private: request.private, ..ReadResponse::default() },
            Ok(found) => ReadResponse {
                new_state: Some(rule_state(&id, &found, &order, get_str(current, "description").as_deref())),
                private: request.private,
                ..ReadResponse::default()
            },
            Err(e) => ReadResponse {
                new_state: Some(request.current_state.clone()),
                diagnostics: api_error(&format!("reading kmr_security_group_rule {id}"), &e),
                ..ReadResponse::default()
            },
        }
    }

    async fn find_created(&self, ctx: &Ctx, request: FindCreatedRequest) -> FindCreatedResponse {
        let uuid = client_token(&request.idempotency_token);
        let prefix = format!("{uuid}-");
        let planned = request.planned_state.as_ref();
        let group_id = planned.and_then(|p| get_str(p, "security_group_id"));
        match entries(ctx, group_id.as_deref()).await {
            Ok(all) => {
                let made: Vec<SecurityGroupEntry> =
                    all.into_iter().filter(|e| entry_token(e).starts_with(&prefix)).collect();
                let order = planned.and_then(cidrs_of).unwrap_or_default();
                let description = planned.and_then(|p| get_str(p, "description"));
                FindCreatedResponse {
                    state: (!made.is_empty())
                        .then(|| rule_state(&format!("{ID_PREFIX}{uuid}"), &made, &order, description.as_deref())),
                    ..FindCreatedResponse::default()
                }
            }
            Err(e) => FindCreatedResponse {
                diagnostics: api_error("looking for an interrupted kmr_security_group_rule create", &e),
                ..FindCreatedResponse::default()
            },
        }
    }

    /// Imports by `GROUP_ID/ENTRY_ID[,ENTRY_ID...]` or by entry ids alone; the entries must
    /// differ in their CIDR only.
    async fn import(&self, ctx: &Ctx, request: ImportRequest) -> ImportResponse {
        let (group, list) = match request.id.split_once('/') {
            Some((g, e)) => (Some(g), e),
            None => (None, request.id.as_str()),
        };
        let wanted: Vec<&str> = list.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        let all = match entries(ctx, group).await {
            Ok(all) => all,
            Err(e) => {
                return ImportResponse {
                    diagnostics: api_error("importing kmr_security_group_rule", &e),
                    ..ImportResponse::default()
                };
            }
        };
        let mut found = Vec::new();
        for id in &wanted {
            match all.iter().find(|e| entry_id(e) == *id) {
                Some(entry) => found.push(entry.clone()),
                None => {
                    return ImportResponse {
                        diagnostics: error(format!("no security group entry `{id}` exists")),
                        ..ImportResponse::default()
                    };
                }
            }
        }
        let Some(first) = found.first().map(Shape::of_entry) else {
            return ImportResponse {
                diagnostics: error(format!("`{}` names no security group entry", request.id)),
                ..ImportResponse::default()
            };
        };
        if found.iter().any(|e| Shape::of_entry(e) != first) {
            return ImportResponse {
                diagnostics: error(format!(
                    "the entries `{list}` differ in more than their CIDR: import them as separate rules"
                )),
                ..ImportResponse::default()
            };
        }
        let uuid = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, format!("import:{}", request.id).as_bytes());
        ImportResponse {
            state: Some(rule_state(&format!("{ID_PREFIX}{uuid}"), &found, &[], None)),
            ..ImportResponse::default()
        }
    }
}

/// Each CIDR is an IPv4 block without host bits, listed once.
fn check_cidrs(checks: &mut Checks<'_>, config: &Value) {
    let Some(list) = config.get_attr("cidrs").and_then(Value::as_seq) else { return };
    if list.is_empty() {
        checks.error("cidrs", format!("`cidrs` of `{TYPE}` needs at least one CIDR block"));
    }
    checks.cidrs_v4("cidrs");
    let mut seen = BTreeSet::new();
    for (i, cidr) in list.iter().enumerate().filter_map(|(i, c)| Some((i, c.as_str()?))) {
        if !seen.insert(cidr) {
            checks.push(
                Diagnostic::error(format!("`cidrs` of `{TYPE}` lists {cidr} twice"))
                    .with_attribute(Path::attr("cidrs").index(i as i64))
                    .with_help("a security group holds each entry once; list every CIDR block once"),
            );
        }
    }
}

async fn authorize(ctx: &Ctx, request: &AuthorizeSecurityGroupEntryRequest) -> Result<String, CallError> {
    let answer: AuthorizeSecurityGroupEntryAnswer =
        call_api(&ctx.vpc, action::AUTHORIZE_SECURITY_GROUP_ENTRY, VPC_VERSION, request).await?;
    Ok(answer.security_group_entry_id)
}

/// Revokes entry `id` of group `group_id`.
async fn revoke(ctx: &Ctx, group_id: &str, id: &str) -> Result<ReturnAnswer, CallError> {
    let request = SecurityGroupEntryRequest {
        security_group_id: Some(group_id.to_string()),
        security_group_entry_id: Some(id.to_string()),
        description: None,
    };
    call_api(&ctx.vpc, action::REVOKE_SECURITY_GROUP_ENTRY, VPC_VERSION, &request).await
}

/// The state after entries were made or revoked: the rule's entries as the API has them now,
/// or, if they cannot be read, what is known of them.
async fn settled(
    ctx: &Ctx,
    uuid: &str,
    shape: &Shape,
    planned: &Value,
    made: &BTreeMap<String, String>,
) -> ApplyResponse {
    let ids: BTreeSet<String> = made.values().cloned().collect();
    let order = cidrs_of(planned).unwrap_or_default();
    let description = get_str(planned, "description");
    match rule_entries(ctx, &shape.group_id, &ids, Some(uuid)).await {
        Ok(found) if !found.is_empty() => ApplyResponse {
            new_state: Some(rule_state(&format!("{ID_PREFIX}{uuid}"), &found, &order, description.as_deref())),
            ..ApplyResponse::default()
        },
        Ok(_) => {
            failed(None, error(format!("the entries of rule {ID_PREFIX}{uuid} vanished right after they were made")))
        }
        Err(e) => {
            // The entries exist: keep what is known so they are never forgotten.
            let mut known = planned.clone();
            if let Value::Object(attrs) = &mut known {
                attrs.insert("id".to_string(), Value::string(format!("{ID_PREFIX}{uuid}")));
                let ids = made.iter().map(|(c, i)| (c.clone(), Value::string(i))).collect();
                attrs.insert("entry_ids".to_string(), Value::Map(Type::String, ids));
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

async fn create(ctx: &Ctx, planned: &Value, idempotency_token: &str) -> ApplyResponse {
    let (Some(shape), Some(cidrs)) = (Shape::of(planned), cidrs_of(planned)) else {
        return failed(None, error("kmr_security_group_rule: the planned rule is not fully known at apply"));
    };
    let uuid = client_token(idempotency_token);
    let description = get_str(planned, "description");
    let mut made = BTreeMap::new();
    for cidr in &cidrs {
        // Derived from the create's token, so a resumed create sends the same one.
        let token = format!("{uuid}-{}", tag(cidr));
        match authorize(ctx, &shape.authorize_request(cidr, description.as_deref(), &token)).await {
            Ok(id) => {
                made.insert(cidr.clone(), id);
            }
            Err(e) => {
                // No partial object: the engine keeps the create's intent, and the next plan
                // adopts the entries made so far (their tokens start with the rule's UUID)
                // through `find_created`, then adds the rest in place.
                return failed(None, api_error(&format!("creating kmr_security_group_rule entry for {cidr}"), &e));
            }
        }
    }
    settled(ctx, &uuid, &shape, planned, &made).await
}

async fn update(ctx: &Ctx, prior: &Value, planned: &Value, idempotency_token: &str) -> ApplyResponse {
    let (Some(shape), Some(uuid), Some(cidrs)) = (Shape::of(prior), rule_uuid(prior), cidrs_of(planned)) else {
        return failed(None, error("kmr_security_group_rule: the rule's state or plan is incomplete"));
    };
    let prior_ids = entry_ids_of(prior);
    let description = get_str(planned, "description");
    let mut made: BTreeMap<String, String> =
        prior_ids.iter().filter(|(c, _)| cidrs.contains(c)).map(|(c, i)| (c.clone(), i.clone())).collect();
    let outcome: Result<(), Diagnostics> = async {
        // Revoked first: a rule that trades one CIDR for another never needs two quota slots.
        for (cidr, id) in prior_ids.iter().filter(|(c, _)| !cidrs.contains(c)) {
            match revoke(ctx, &shape.group_id, id).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(api_error(&format!("revoking the entry {id} ({cidr})"), &e)),
            }
        }
        if description != get_str(prior, "description") {
            for id in made.values() {
                let request = SecurityGroupEntryRequest {
                    security_group_id: Some(shape.group_id.clone()),
                    security_group_entry_id: Some(id.clone()),
                    description: Some(description.clone().unwrap_or_default()),
                };
                let _: ReturnAnswer = call_api(&ctx.vpc, action::MODIFY_SECURITY_GROUP_ENTRY, VPC_VERSION, &request)
                    .await
                    .map_err(|e| api_error(&format!("updating the entry {id}"), &e))?;
            }
        }
        for cidr in cidrs.iter().filter(|c| !prior_ids.contains_key(*c)) {
            let token = format!("{uuid}-{}", tag(&format!("{idempotency_token}|{cidr}")));
            let id = authorize(ctx, &shape.authorize_request(cidr, description.as_deref(), &token))
                .await
                .map_err(|e| api_error(&format!("adding the entry for {cidr}"), &e))?;
            made.insert(cidr.clone(), id);
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => settled(ctx, &uuid, &shape, planned, &made).await,
        // No new state: the prior one stays (not tainted, which would replace every entry),
        // and the next refresh finds what was made or revoked (tokens carry the rule's UUID).
        Err(diagnostics) => failed(None, diagnostics),
    }
}

async fn delete(ctx: &Ctx, prior: Value) -> ApplyResponse {
    let group_id = get_str(&prior, "security_group_id").unwrap_or_default();
    for (cidr, id) in entry_ids_of(&prior) {
        match revoke(ctx, &group_id, &id).await {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return failed(Some(prior), api_error(&format!("revoking the entry {id} ({cidr})"), &e)),
        }
    }
    ApplyResponse::default()
}
