//! Kingsoft VPC (service `vpc`, version `2016-03-04`): VPCs, subnets, security groups and
//! their entries (rules). Requests and answers are the API's shapes (`corral_api_vpc`).
//!
//! Behaviour kept from the real service: a VPC cannot be deleted while it has subnets or
//! security groups of its own; a subnet's CIDR lies inside its VPC's and overlaps no other
//! subnet; a duplicate security-group entry is refused; outbound traffic is open by default
//! (a group has no egress entries until one is added, and none are needed); two VPCs are
//! connected by a peering connection (`peering`), never when their CIDR blocks overlap. The default
//! group **`KSCKMR`** is made by the service — by KMR, through [`ensure_kmr_group`], when the
//! first cluster is launched in a VPC — and cannot be deleted while a cluster uses it.
//!
//! Objects are stored in the API's shape plus [`ACCOUNT_FIELD`](corral_provider_sdk::emulator::ACCOUNT_FIELD)
//! (see `records`), with the `ClientToken` of the request that made them; describes accept
//! `Filter: [{Name: "client-token", Value: [..]}]`, so a provider can find an object whose
//! create answer it never saw.

mod cidr;
mod peering;
mod records;

use std::net::Ipv4Addr;

use corral_api_vpc::action::*;
use corral_api_vpc::names::*;
use corral_api_vpc::security_group::{
    AuthorizeSecurityGroupEntryAnswer, AuthorizeSecurityGroupEntryRequest, CreateSecurityGroupAnswer,
    CreateSecurityGroupRequest, DeleteSecurityGroupRequest, DescribeSecurityGroupsAnswer,
    DescribeSecurityGroupsRequest, ModifySecurityGroupAnswer, ModifySecurityGroupRequest, SecurityGroup,
    SecurityGroupEntry, SecurityGroupEntryRequest,
};
use corral_api_vpc::subnet::{
    CreateSubnetRequest, DeleteSubnetRequest, DescribeSubnetsAnswer, DescribeSubnetsRequest, ModifySubnetRequest,
    Subnet, SubnetAnswer,
};
use corral_api_vpc::vpc::{
    CreateVpcRequest, DeleteVpcRequest, DescribeVpcsAnswer, DescribeVpcsRequest, ModifyVpcRequest, Vpc, VpcAnswer,
};
use corral_api_vpc::{Filter, ReturnAnswer, errors, limits};
use corral_provider_sdk::emulator::{ApiError, ObjectView, RequestContext, Service, Tables, new_id, timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use cidr::Cidr;
pub use corral_api_vpc::names::KMR_GROUP_NAME;
pub use corral_api_vpc::{SERVICE, VERSION};

pub const VPCS: &str = "vpcs";
pub const SUBNETS: &str = "subnets";
pub const SECURITY_GROUPS: &str = "security_groups";
pub const SECURITY_GROUP_ENTRIES: &str = "security_group_entries";

pub struct VpcService;

impl Service for VpcService {
    fn name(&self) -> &'static str {
        SERVICE
    }

    /// VPC objects change only when asked: nothing moves with time.
    fn advance(&self, _ctx: &mut RequestContext<'_>) {}

    fn handle(
        &self,
        ctx: &mut RequestContext<'_>,
        action: &str,
        version: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        if version != VERSION {
            return Err(ApiError::bad_request(
                "InvalidVersion",
                format!("the VPC API has version {VERSION}, not `{version}`"),
            ));
        }
        match action {
            CREATE_VPC => answer(create_vpc(ctx, decode(body)?)),
            DESCRIBE_VPCS => answer(describe_vpcs(ctx, decode(body)?)),
            MODIFY_VPC => answer(modify_vpc(ctx, decode(body)?)),
            DELETE_VPC => answer(delete_vpc(ctx, decode(body)?)),
            CREATE_SUBNET => answer(create_subnet(ctx, decode(body)?)),
            DESCRIBE_SUBNETS => answer(describe_subnets(ctx, decode(body)?)),
            MODIFY_SUBNET => answer(modify_subnet(ctx, decode(body)?)),
            DELETE_SUBNET => answer(delete_subnet(ctx, decode(body)?)),
            CREATE_SECURITY_GROUP => answer(create_security_group(ctx, decode(body)?)),
            DESCRIBE_SECURITY_GROUPS => answer(describe_security_groups(ctx, decode(body)?)),
            MODIFY_SECURITY_GROUP => answer(modify_security_group(ctx, decode(body)?)),
            DELETE_SECURITY_GROUP => answer(delete_security_group(ctx, decode(body)?)),
            AUTHORIZE_SECURITY_GROUP_ENTRY => answer(authorize_entry(ctx, decode(body)?)),
            REVOKE_SECURITY_GROUP_ENTRY => answer(revoke_entry(ctx, decode(body)?)),
            MODIFY_SECURITY_GROUP_ENTRY => answer(modify_entry(ctx, decode(body)?)),
            CREATE_VPC_PEERING_CONNECTION => answer(peering::create(ctx, decode(body)?)),
            DESCRIBE_VPC_PEERING_CONNECTIONS => answer(peering::describe(ctx, decode(body)?)),
            DELETE_VPC_PEERING_CONNECTION => answer(peering::delete(ctx, decode(body)?)),
            other => Err(ApiError::bad_request("InvalidAction", format!("the VPC API has no action `{other}`"))),
        }
    }

    fn inspect(&self, ctx: &mut RequestContext<'_>) -> Vec<ObjectView> {
        let mut views = Vec::new();
        for (table, kind) in [
            (VPCS, "vpc"),
            (SUBNETS, "subnet"),
            (SECURITY_GROUPS, "security_group"),
            (SECURITY_GROUP_ENTRIES, "security_group_entry"),
            (peering::PEERINGS, "vpc_peering_connection"),
        ] {
            for (id, object) in ctx.tables.list(table) {
                let state = object.get("State").and_then(Value::as_str).unwrap_or(STATE_AVAILABLE).to_string();
                views.push(ObjectView {
                    service: SERVICE.to_string(),
                    kind: kind.to_string(),
                    id,
                    state,
                    attributes: object,
                });
            }
        }
        views
    }
}

/// A request body as the API's shape; a body that does not fit is `InvalidParameterValue`.
fn decode<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    let body = if body.is_null() { Value::Object(Default::default()) } else { body.clone() };
    serde_json::from_value(body).map_err(|e| ApiError::bad_request("InvalidParameterValue", e.to_string()))
}

/// An answer as the JSON the server sends; the API's shapes always serialise.
fn answer<T: Serialize>(answer: Result<T, ApiError>) -> Result<Value, ApiError> {
    answer.map(|a| serde_json::to_value(a).unwrap_or(Value::Null))
}

/// A required string parameter.
fn required<'r>(value: &'r Option<String>, name: &str) -> Result<&'r str, ApiError> {
    value.as_deref().ok_or_else(|| ApiError::missing(name))
}

// ---------------------------------------------------------------------------------------
// Functions other services call (in the same transaction).

/// The `KSCKMR` group of `vpc_id`, made on first use (with an inbound entry letting the
/// VPC's hosts reach the cluster nodes, so nodes reach each other), and marked as used by
/// `cluster_id`. KMR calls this when it launches a cluster.
pub fn ensure_kmr_group(
    tables: &mut dyn Tables,
    account: &str,
    vpc_id: &str,
    cluster_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, ApiError> {
    let vpc: Vpc = records::get(tables, VPCS, account, vpc_id)?.ok_or_else(|| vpc_not_found(vpc_id))?;
    let existing = records::list::<SecurityGroup>(tables, SECURITY_GROUPS, account)?
        .into_iter()
        .find(|(_, g)| g.vpc_id == vpc_id && g.security_group_name == KMR_GROUP_NAME);
    let group_id = match existing {
        Some((id, _)) => id,
        None => {
            let id = new_id("sg");
            let group = SecurityGroup {
                security_group_id: id.clone(),
                security_group_name: KMR_GROUP_NAME.to_string(),
                description: "KMR default security group".to_string(),
                vpc_id: vpc_id.to_string(),
                security_group_type: GROUP_TYPE_KMR.to_string(),
                service_managed: true,
                create_time: timestamp(now),
                used_by: Vec::new(),
                client_token: None,
                security_group_entry_set: None,
            };
            records::put(tables, SECURITY_GROUPS, account, &id, &group)?;
            let entry_id = new_id("sge");
            let entry = SecurityGroupEntry {
                security_group_entry_id: entry_id.clone(),
                security_group_id: id.clone(),
                direction: DIRECTION_IN.to_string(),
                protocol: PROTOCOL_IP.to_string(),
                cidr_block: vpc.cidr_block,
                description: "KMR nodes reach each other".to_string(),
                create_time: timestamp(now),
                client_token: None,
                port_range_from: None,
                port_range_to: None,
                icmp_type: None,
                icmp_code: None,
            };
            records::put(tables, SECURITY_GROUP_ENTRIES, account, &entry_id, &entry)?;
            id
        }
    };
    set_used(tables, SECURITY_GROUPS, &group_id, cluster_id, true)?;
    Ok(group_id)
}

/// Records that `user` (a cluster) uses a subnet or security group (`using`), or no longer
/// does. An object with users cannot be deleted.
pub fn set_used(tables: &mut dyn Tables, table: &str, id: &str, user: &str, using: bool) -> Result<(), ApiError> {
    let not_found = || ApiError::not_found("InvalidParameter.NotFound", format!("no {table} `{id}`"));
    let account = records::owner(tables, table, id).ok_or_else(not_found)?;
    let mark = |users: &mut Vec<String>| {
        users.retain(|u| u != user);
        if using {
            users.push(user.to_string());
        }
    };
    if table == SUBNETS {
        let mut subnet: Subnet = records::get(tables, table, &account, id)?.ok_or_else(not_found)?;
        mark(&mut subnet.used_by);
        records::put(tables, table, &account, id, &subnet)
    } else {
        let mut group: SecurityGroup = records::get(tables, table, &account, id)?.ok_or_else(not_found)?;
        mark(&mut group.used_by);
        records::put(tables, table, &account, id, &group)
    }
}

/// `account`'s subnet, if it exists (KMR checks launch requests against it).
pub fn subnet(tables: &dyn Tables, account: &str, subnet_id: &str) -> Option<Subnet> {
    records::get(tables, SUBNETS, account, subnet_id).ok().flatten()
}

// ---------------------------------------------------------------------------------------
// VPCs.

fn create_vpc(ctx: &mut RequestContext<'_>, request: CreateVpcRequest) -> Result<VpcAnswer, ApiError> {
    let cidr_text = required(&request.cidr_block, "CidrBlock")?;
    let cidr = Cidr::parse(cidr_text).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    if !limits::VPC_PREFIX.contains(&cidr.prefix) {
        return Err(ApiError::invalid(
            "CidrBlock",
            format!(
                "a VPC's prefix length must be {} to {}, not /{}",
                limits::VPC_PREFIX.start(),
                limits::VPC_PREFIX.end(),
                cidr.prefix
            ),
        ));
    }
    ctx.check_quota(errors::QUOTA_VPC, "vpcs", ctx.owned(VPCS).len() as u64, 1)?;
    let id = new_id("vpc");
    let vpc = Vpc {
        vpc_id: id.clone(),
        vpc_name: request.vpc_name.unwrap_or_else(|| id.clone()),
        cidr_block: cidr.to_string(),
        is_default: false,
        state: STATE_AVAILABLE.to_string(),
        create_time: timestamp(ctx.now),
        client_token: token(request.client_token),
    };
    records::put(ctx.tables, VPCS, &ctx.account, &id, &vpc)?;
    Ok(VpcAnswer { vpc })
}

fn describe_vpcs(ctx: &mut RequestContext<'_>, request: DescribeVpcsRequest) -> Result<DescribeVpcsAnswer, ApiError> {
    let vpc_set = select(
        ctx,
        VPCS,
        &request.vpc_id,
        &request.filter,
        &[(FILTER_VPC_NAME, |v: &Vpc| Some(&v.vpc_name)), (FILTER_CLIENT_TOKEN, |v: &Vpc| v.client_token.as_ref())],
    )?;
    Ok(DescribeVpcsAnswer { vpc_set })
}

fn modify_vpc(ctx: &mut RequestContext<'_>, request: ModifyVpcRequest) -> Result<VpcAnswer, ApiError> {
    let id = required(&request.vpc_id, "VpcId")?;
    let mut vpc: Vpc = owned(ctx, VPCS, id)?.ok_or_else(|| vpc_not_found(id))?;
    if let Some(name) = request.vpc_name {
        vpc.vpc_name = name;
    }
    records::put(ctx.tables, VPCS, &ctx.account, id, &vpc)?;
    Ok(VpcAnswer { vpc })
}

fn delete_vpc(ctx: &mut RequestContext<'_>, request: DeleteVpcRequest) -> Result<ReturnAnswer, ApiError> {
    let id = required(&request.vpc_id, "VpcId")?;
    owned::<Vpc>(ctx, VPCS, id)?.ok_or_else(|| vpc_not_found(id))?;
    let subnets: Vec<String> =
        all::<Subnet>(ctx, SUBNETS)?.into_iter().filter(|(_, s)| s.vpc_id == id).map(|(sid, _)| sid).collect();
    if !subnets.is_empty() {
        return Err(ApiError::bad_request(
            errors::VPC_HAS_SUBNETS,
            format!("VPC {id} still has subnets: {}", subnets.join(", ")),
        ));
    }
    // A service-made group nobody uses goes with its VPC; any other group blocks the delete.
    let groups: Vec<(String, SecurityGroup)> =
        all::<SecurityGroup>(ctx, SECURITY_GROUPS)?.into_iter().filter(|(_, g)| g.vpc_id == id).collect();
    let blocking: Vec<&str> = groups
        .iter()
        .filter(|(_, g)| !g.service_managed || !g.used_by.is_empty())
        .map(|(gid, _)| gid.as_str())
        .collect();
    if !blocking.is_empty() {
        return Err(ApiError::bad_request(
            errors::VPC_HAS_SECURITY_GROUPS,
            format!("VPC {id} still has security groups: {}", blocking.join(", ")),
        ));
    }
    for (group_id, _) in &groups {
        delete_group_and_entries(ctx, group_id)?;
    }
    ctx.tables.delete(VPCS, id);
    Ok(ReturnAnswer { ok: true })
}

// ---------------------------------------------------------------------------------------
// Subnets.

fn create_subnet(ctx: &mut RequestContext<'_>, request: CreateSubnetRequest) -> Result<SubnetAnswer, ApiError> {
    let vpc_id = required(&request.vpc_id, "VpcId")?;
    let cidr_text = required(&request.cidr_block, "CidrBlock")?;
    let vpc: Vpc = owned(ctx, VPCS, vpc_id)?.ok_or_else(|| vpc_not_found(vpc_id))?;
    let cidr = Cidr::parse(cidr_text).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    let vpc_cidr = Cidr::parse(&vpc.cidr_block).map_err(|why| ApiError::new(500, "InternalError", why))?;
    if !vpc_cidr.contains(&cidr) || cidr.prefix > limits::SUBNET_MAX_PREFIX {
        return Err(ApiError::invalid(
            "CidrBlock",
            format!(
                "subnet {cidr} must lie inside VPC {vpc_id}'s {vpc_cidr} with a prefix of at most /{}",
                limits::SUBNET_MAX_PREFIX
            ),
        ));
    }
    for (other_id, other) in all::<Subnet>(ctx, SUBNETS)? {
        if other.vpc_id == vpc_id
            && let Ok(other_cidr) = Cidr::parse(&other.cidr_block)
            && other_cidr.overlaps(&cidr)
        {
            return Err(ApiError::bad_request(
                errors::SUBNET_CONFLICT,
                format!("subnet {cidr} overlaps subnet {other_id} ({other_cidr}) of VPC {vpc_id}"),
            ));
        }
    }
    ctx.check_quota(errors::QUOTA_SUBNET, "subnets", ctx.owned(SUBNETS).len() as u64, 1)?;
    let id = new_id("subnet");
    let subnet_type = request.subnet_type.unwrap_or_else(|| SUBNET_NORMAL.to_string());
    if !SUBNET_TYPES.contains(&subnet_type.as_str()) {
        return Err(ApiError::invalid("SubnetType", "expected Normal, Reserve or Physical"));
    }
    let subnet = Subnet {
        subnet_id: id.clone(),
        subnet_name: request.subnet_name.unwrap_or_else(|| id.clone()),
        vpc_id: vpc_id.to_string(),
        cidr_block: cidr.to_string(),
        subnet_type,
        availability_zone: request.availability_zone,
        gateway_ip: Ipv4Addr::from(cidr.network() + 1).to_string(),
        dhcp_ip_from: Ipv4Addr::from(cidr.network() + 2).to_string(),
        dhcp_ip_to: Ipv4Addr::from(cidr.broadcast() - 1).to_string(),
        available_ip_number: cidr.size().saturating_sub(limits::SUBNET_RESERVED_ADDRESSES),
        state: STATE_AVAILABLE.to_string(),
        create_time: timestamp(ctx.now),
        used_by: Vec::new(),
        client_token: token(request.client_token),
    };
    records::put(ctx.tables, SUBNETS, &ctx.account, &id, &subnet)?;
    Ok(SubnetAnswer { subnet })
}

fn describe_subnets(
    ctx: &mut RequestContext<'_>,
    request: DescribeSubnetsRequest,
) -> Result<DescribeSubnetsAnswer, ApiError> {
    let subnet_set = select(
        ctx,
        SUBNETS,
        &request.subnet_id,
        &request.filter,
        &[
            (FILTER_VPC_ID, |s: &Subnet| Some(&s.vpc_id)),
            (FILTER_SUBNET_NAME, |s: &Subnet| Some(&s.subnet_name)),
            (FILTER_CLIENT_TOKEN, |s: &Subnet| s.client_token.as_ref()),
        ],
    )?;
    Ok(DescribeSubnetsAnswer { subnet_set })
}

fn modify_subnet(ctx: &mut RequestContext<'_>, request: ModifySubnetRequest) -> Result<SubnetAnswer, ApiError> {
    let id = required(&request.subnet_id, "SubnetId")?;
    let mut subnet: Subnet = owned(ctx, SUBNETS, id)?.ok_or_else(|| subnet_not_found(id))?;
    if let Some(name) = request.subnet_name {
        subnet.subnet_name = name;
    }
    records::put(ctx.tables, SUBNETS, &ctx.account, id, &subnet)?;
    Ok(SubnetAnswer { subnet })
}

fn delete_subnet(ctx: &mut RequestContext<'_>, request: DeleteSubnetRequest) -> Result<ReturnAnswer, ApiError> {
    let id = required(&request.subnet_id, "SubnetId")?;
    let subnet: Subnet = owned(ctx, SUBNETS, id)?.ok_or_else(|| subnet_not_found(id))?;
    if !subnet.used_by.is_empty() {
        return Err(ApiError::bad_request(
            errors::SUBNET_IN_USE,
            format!("subnet {id} is used by {}", subnet.used_by.join(", ")),
        ));
    }
    ctx.tables.delete(SUBNETS, id);
    Ok(ReturnAnswer { ok: true })
}

// ---------------------------------------------------------------------------------------
// Security groups.

fn create_security_group(
    ctx: &mut RequestContext<'_>,
    request: CreateSecurityGroupRequest,
) -> Result<CreateSecurityGroupAnswer, ApiError> {
    let vpc_id = required(&request.vpc_id, "VpcId")?;
    owned::<Vpc>(ctx, VPCS, vpc_id)?.ok_or_else(|| vpc_not_found(vpc_id))?;
    let id = new_id("sg");
    let name = request.security_group_name.clone().unwrap_or_else(|| id.clone());
    check_group_name(ctx, vpc_id, &name, None)?;
    ctx.check_quota(errors::QUOTA_SECURITY_GROUP, "security_groups", ctx.owned(SECURITY_GROUPS).len() as u64, 1)?;
    let group = SecurityGroup {
        security_group_id: id.clone(),
        security_group_name: name,
        description: request.description.unwrap_or_default(),
        vpc_id: vpc_id.to_string(),
        security_group_type: GROUP_TYPE_OTHER.to_string(),
        service_managed: false,
        create_time: timestamp(ctx.now),
        used_by: Vec::new(),
        client_token: token(request.client_token),
        security_group_entry_set: None,
    };
    records::put(ctx.tables, SECURITY_GROUPS, &ctx.account, &id, &group)?;
    let view = group_view(ctx, &id)?;
    Ok(CreateSecurityGroupAnswer { security_group_id: id, security_group: view })
}

fn describe_security_groups(
    ctx: &mut RequestContext<'_>,
    request: DescribeSecurityGroupsRequest,
) -> Result<DescribeSecurityGroupsAnswer, ApiError> {
    let set: Vec<SecurityGroup> = select(
        ctx,
        SECURITY_GROUPS,
        &request.security_group_id,
        &request.filter,
        &[
            (FILTER_VPC_ID, |g: &SecurityGroup| Some(&g.vpc_id)),
            (FILTER_SECURITY_GROUP_NAME, |g: &SecurityGroup| Some(&g.security_group_name)),
            (FILTER_CLIENT_TOKEN, |g: &SecurityGroup| g.client_token.as_ref()),
        ],
    )?;
    let mut with_entries = Vec::new();
    for group in set {
        with_entries.extend(group_view(ctx, &group.security_group_id)?);
    }
    Ok(DescribeSecurityGroupsAnswer { security_group_set: with_entries })
}

fn modify_security_group(
    ctx: &mut RequestContext<'_>,
    request: ModifySecurityGroupRequest,
) -> Result<ModifySecurityGroupAnswer, ApiError> {
    let id = required(&request.security_group_id, "SecurityGroupId")?;
    let mut group: SecurityGroup = owned(ctx, SECURITY_GROUPS, id)?.ok_or_else(|| group_not_found(id))?;
    if let Some(name) = request.security_group_name {
        if group.service_managed && name != group.security_group_name {
            return Err(ApiError::bad_request(
                errors::SERVICE_MANAGED,
                format!("security group {id} ({KMR_GROUP_NAME}) is managed by KMR and cannot be renamed"),
            ));
        }
        check_group_name(ctx, &group.vpc_id, &name, Some(id))?;
        group.security_group_name = name;
    }
    if let Some(description) = request.description {
        group.description = description;
    }
    records::put(ctx.tables, SECURITY_GROUPS, &ctx.account, id, &group)?;
    Ok(ModifySecurityGroupAnswer { ok: true, security_group: group_view(ctx, id)? })
}

fn delete_security_group(
    ctx: &mut RequestContext<'_>,
    request: DeleteSecurityGroupRequest,
) -> Result<ReturnAnswer, ApiError> {
    let id = required(&request.security_group_id, "SecurityGroupId")?;
    let group: SecurityGroup = owned(ctx, SECURITY_GROUPS, id)?.ok_or_else(|| group_not_found(id))?;
    if !group.used_by.is_empty() {
        return Err(ApiError::bad_request(
            errors::SECURITY_GROUP_IN_USE,
            format!("security group {id} ({}) is used by {}", group.security_group_name, group.used_by.join(", ")),
        ));
    }
    delete_group_and_entries(ctx, id)?;
    Ok(ReturnAnswer { ok: true })
}

fn check_group_name(ctx: &RequestContext<'_>, vpc_id: &str, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if name == KMR_GROUP_NAME {
        return Err(ApiError::invalid(
            "SecurityGroupName",
            format!("`{KMR_GROUP_NAME}` is reserved for the group KMR makes; read it with a data source instead"),
        ));
    }
    let taken = all::<SecurityGroup>(ctx, SECURITY_GROUPS)?
        .into_iter()
        .find(|(gid, g)| Some(gid.as_str()) != except && g.vpc_id == vpc_id && g.security_group_name == name);
    match taken {
        Some((gid, _)) => Err(ApiError::bad_request(
            errors::DUPLICATE_GROUP_NAME,
            format!("VPC {vpc_id} already has a security group named `{name}` ({gid})"),
        )),
        None => Ok(()),
    }
}

fn delete_group_and_entries(ctx: &mut RequestContext<'_>, group_id: &str) -> Result<(), ApiError> {
    for (entry_id, _) in entries_of(ctx, group_id)? {
        ctx.tables.delete(SECURITY_GROUP_ENTRIES, &entry_id);
    }
    ctx.tables.delete(SECURITY_GROUPS, group_id);
    Ok(())
}

fn entries_of(ctx: &RequestContext<'_>, group_id: &str) -> Result<Vec<(String, SecurityGroupEntry)>, ApiError> {
    Ok(all::<SecurityGroupEntry>(ctx, SECURITY_GROUP_ENTRIES)?
        .into_iter()
        .filter(|(_, e)| e.security_group_id == group_id)
        .collect())
}

/// A group as describes show it, with its `SecurityGroupEntrySet`.
fn group_view(ctx: &RequestContext<'_>, id: &str) -> Result<Option<SecurityGroup>, ApiError> {
    let Some(mut group) = owned::<SecurityGroup>(ctx, SECURITY_GROUPS, id)? else { return Ok(None) };
    group.security_group_entry_set = Some(entries_of(ctx, id)?.into_iter().map(|(_, e)| e).collect());
    Ok(Some(group))
}

// ---------------------------------------------------------------------------------------
// Security group entries.

/// What makes two entries the same rule.
#[derive(Debug, PartialEq)]
struct EntryIdentity {
    direction: String,
    protocol: String,
    cidr: String,
    ports: Option<(i64, i64)>,
    icmp: Option<(i64, i64)>,
}

fn entry_identity(request: &AuthorizeSecurityGroupEntryRequest) -> Result<EntryIdentity, ApiError> {
    let direction = required(&request.direction, "Direction")?;
    if !matches!(direction, DIRECTION_IN | DIRECTION_OUT) {
        return Err(ApiError::invalid("Direction", format!("expected `in` or `out`, not `{direction}`")));
    }
    let protocol = required(&request.protocol, "Protocol")?;
    let cidr =
        Cidr::parse(required(&request.cidr_block, "CidrBlock")?).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    let (ports, icmp) = match protocol {
        PROTOCOL_TCP | PROTOCOL_UDP => {
            let from = request.port_range_from.ok_or_else(|| ApiError::missing("PortRangeFrom"))?;
            let to = request.port_range_to.ok_or_else(|| ApiError::missing("PortRangeTo"))?;
            if !limits::PORTS.contains(&from) || !limits::PORTS.contains(&to) || from > to {
                return Err(ApiError::invalid(
                    "PortRangeFrom",
                    format!(
                        "ports must be {} to {} with from <= to, not {from}..{to}",
                        limits::PORTS.start(),
                        limits::PORTS.end()
                    ),
                ));
            }
            (Some((from, to)), None)
        }
        PROTOCOL_ICMP => {
            let icmp_type = request.icmp_type.ok_or_else(|| ApiError::missing("IcmpType"))?;
            let icmp_code = request.icmp_code.ok_or_else(|| ApiError::missing("IcmpCode"))?;
            (None, Some((icmp_type, icmp_code)))
        }
        PROTOCOL_IP => (None, None),
        other => return Err(ApiError::invalid("Protocol", format!("expected ip, tcp, udp or icmp, not `{other}`"))),
    };
    Ok(EntryIdentity {
        direction: direction.to_string(),
        protocol: protocol.to_string(),
        cidr: cidr.to_string(),
        ports,
        icmp,
    })
}

fn stored_identity(entry: &SecurityGroupEntry) -> EntryIdentity {
    EntryIdentity {
        direction: entry.direction.clone(),
        protocol: entry.protocol.clone(),
        cidr: entry.cidr_block.clone(),
        ports: entry.port_range_from.zip(entry.port_range_to),
        icmp: entry.icmp_type.zip(entry.icmp_code),
    }
}

fn authorize_entry(
    ctx: &mut RequestContext<'_>,
    request: AuthorizeSecurityGroupEntryRequest,
) -> Result<AuthorizeSecurityGroupEntryAnswer, ApiError> {
    let group_id = required(&request.security_group_id, "SecurityGroupId")?;
    owned::<SecurityGroup>(ctx, SECURITY_GROUPS, group_id)?.ok_or_else(|| group_not_found(group_id))?;
    let identity = entry_identity(&request)?;
    let entries = entries_of(ctx, group_id)?;
    if let Some((existing, _)) = entries.iter().find(|(_, e)| stored_identity(e) == identity) {
        return Err(ApiError::bad_request(
            errors::DUPLICATE_ENTRY,
            format!(
                "security group {group_id} already has this rule ({} {} {}): entry {existing}",
                identity.direction, identity.protocol, identity.cidr
            ),
        ));
    }
    ctx.check_quota(errors::QUOTA_SECURITY_GROUP_ENTRY, "security_group_rules", entries.len() as u64, 1)?;
    let id = new_id("sge");
    let entry = SecurityGroupEntry {
        security_group_entry_id: id.clone(),
        security_group_id: group_id.to_string(),
        direction: identity.direction,
        protocol: identity.protocol,
        cidr_block: identity.cidr,
        description: request.description.clone().unwrap_or_default(),
        create_time: timestamp(ctx.now),
        client_token: token(request.client_token.clone()),
        port_range_from: identity.ports.map(|(from, _)| from),
        port_range_to: identity.ports.map(|(_, to)| to),
        icmp_type: identity.icmp.map(|(icmp_type, _)| icmp_type),
        icmp_code: identity.icmp.map(|(_, icmp_code)| icmp_code),
    };
    records::put(ctx.tables, SECURITY_GROUP_ENTRIES, &ctx.account, &id, &entry)?;
    Ok(AuthorizeSecurityGroupEntryAnswer { ok: true, security_group_entry_id: id })
}

fn entry_of_group(
    ctx: &RequestContext<'_>,
    request: &SecurityGroupEntryRequest,
) -> Result<(String, SecurityGroupEntry), ApiError> {
    let group_id = required(&request.security_group_id, "SecurityGroupId")?;
    let entry_id = required(&request.security_group_entry_id, "SecurityGroupEntryId")?;
    owned::<SecurityGroup>(ctx, SECURITY_GROUPS, group_id)?.ok_or_else(|| group_not_found(group_id))?;
    let entry = owned::<SecurityGroupEntry>(ctx, SECURITY_GROUP_ENTRIES, entry_id)?
        .filter(|e| e.security_group_id == group_id)
        .ok_or_else(|| {
            ApiError::not_found(
                errors::SECURITY_GROUP_ENTRY_NOT_FOUND,
                format!("security group {group_id} has no entry {entry_id}"),
            )
        })?;
    Ok((entry_id.to_string(), entry))
}

fn revoke_entry(ctx: &mut RequestContext<'_>, request: SecurityGroupEntryRequest) -> Result<ReturnAnswer, ApiError> {
    let (entry_id, _) = entry_of_group(ctx, &request)?;
    ctx.tables.delete(SECURITY_GROUP_ENTRIES, &entry_id);
    Ok(ReturnAnswer { ok: true })
}

fn modify_entry(ctx: &mut RequestContext<'_>, request: SecurityGroupEntryRequest) -> Result<ReturnAnswer, ApiError> {
    let (entry_id, mut entry) = entry_of_group(ctx, &request)?;
    if let Some(description) = request.description {
        entry.description = description;
    }
    records::put(ctx.tables, SECURITY_GROUP_ENTRIES, &ctx.account, &entry_id, &entry)?;
    Ok(ReturnAnswer { ok: true })
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// Reads the field of an object a describe filter matches.
type FieldOf<T> = fn(&T) -> Option<&String>;

/// A field a describe filter matches, by the filter's name.
type FilterField<T> = (&'static str, FieldOf<T>);

/// The requesting account's objects of `table`, narrowed by `ids` and by filters, in the
/// API's shape.
fn select<T: DeserializeOwned>(
    ctx: &RequestContext<'_>,
    table: &str,
    ids: &[String],
    filters: &[Filter],
    filter_fields: &[FilterField<T>],
) -> Result<Vec<T>, ApiError> {
    let mut wanted: Vec<(FieldOf<T>, &[String])> = Vec::new();
    for filter in filters {
        let name = filter.name.as_deref().ok_or_else(|| ApiError::invalid("Filter", "every filter needs a `Name`"))?;
        match filter_fields.iter().find(|(f, _)| *f == name) {
            Some((_, field)) => wanted.push((*field, &filter.value)),
            None => {
                let known: Vec<&str> = filter_fields.iter().map(|(f, _)| *f).collect();
                return Err(ApiError::invalid(
                    "Filter",
                    format!("unknown filter `{name}` (known: {})", known.join(", ")),
                ));
            }
        }
    }
    Ok(all::<T>(ctx, table)?
        .into_iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, object)| {
            wanted.iter().all(|(field, values)| {
                let value = field(object).map_or("", String::as_str);
                values.iter().any(|v| v == value)
            })
        })
        .map(|(_, object)| object)
        .collect())
}

/// The requesting account's object `id` of `table`.
fn owned<T: DeserializeOwned>(ctx: &RequestContext<'_>, table: &str, id: &str) -> Result<Option<T>, ApiError> {
    records::get(ctx.tables, table, &ctx.account, id)
}

/// Every object of `table` the requesting account owns, in id order.
fn all<T: DeserializeOwned>(ctx: &RequestContext<'_>, table: &str) -> Result<Vec<(String, T)>, ApiError> {
    records::list(ctx.tables, table, &ctx.account)
}

/// The `ClientToken` an object keeps: none for an empty one.
fn token(client_token: Option<String>) -> Option<String> {
    client_token.filter(|t| !t.is_empty())
}

fn vpc_not_found(id: &str) -> ApiError {
    ApiError::not_found(errors::VPC_NOT_FOUND, format!("VPC {id} does not exist"))
}

fn subnet_not_found(id: &str) -> ApiError {
    ApiError::not_found(errors::SUBNET_NOT_FOUND, format!("subnet {id} does not exist"))
}

fn group_not_found(id: &str) -> ApiError {
    ApiError::not_found(errors::SECURITY_GROUP_NOT_FOUND, format!("security group {id} does not exist"))
}

#[cfg(test)]
mod tests;
