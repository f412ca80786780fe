//! Kingsoft VPC (service `vpc`, version `2016-03-04`): VPCs, subnets, security groups and
//! their entries (rules).
//!
//! Behaviour kept from the real service: a VPC cannot be deleted while it has subnets or
//! security groups of its own; a subnet's CIDR lies inside its VPC's and overlaps no other
//! subnet; a duplicate security-group entry is refused; outbound traffic is open by default
//! (a group has no egress entries until one is added, and none are needed). The default
//! group **`KSCKMR`** is made by the service — by KMR, through [`ensure_kmr_group`], when the
//! first cluster is launched in a VPC — and cannot be deleted while a cluster uses it.
//!
//! Objects are stored in the API's shape (PascalCase fields) plus [`ACCOUNT_FIELD`] and the
//! `ClientToken` of the request that made them; describes accept
//! `Filter: [{Name: "client-token", Value: [..]}]`, so a provider can find an object whose
//! create answer it never saw.

use std::net::Ipv4Addr;

use corral_provider_sdk::emulator::{
    ACCOUNT_FIELD, ApiError, CLIENT_TOKEN_FIELD, ObjectView, RequestContext, Service, Tables, client_token, filters,
    new_id, opt_i64, opt_str, opt_str_list, owned_by, param_str, timestamp,
};
use serde_json::{Value, json};

pub const SERVICE: &str = "vpc";
pub const VERSION: &str = "2016-03-04";

pub const VPCS: &str = "vpcs";
pub const SUBNETS: &str = "subnets";
pub const SECURITY_GROUPS: &str = "security_groups";
pub const SECURITY_GROUP_ENTRIES: &str = "security_group_entries";

/// The name of the security group KMR puts every cluster in.
pub const KMR_GROUP_NAME: &str = "KSCKMR";

/// The field of a subnet or group listing the objects (clusters) that use it.
const USED_BY: &str = "UsedBy";

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
            "CreateVpc" => create_vpc(ctx, body),
            "DescribeVpcs" => describe_vpcs(ctx, body),
            "ModifyVpc" => modify_vpc(ctx, body),
            "DeleteVpc" => delete_vpc(ctx, body),
            "CreateSubnet" => create_subnet(ctx, body),
            "DescribeSubnets" => describe_subnets(ctx, body),
            "ModifySubnet" => modify_subnet(ctx, body),
            "DeleteSubnet" => delete_subnet(ctx, body),
            "CreateSecurityGroup" => create_security_group(ctx, body),
            "DescribeSecurityGroups" => describe_security_groups(ctx, body),
            "ModifySecurityGroup" => modify_security_group(ctx, body),
            "DeleteSecurityGroup" => delete_security_group(ctx, body),
            "AuthorizeSecurityGroupEntry" => authorize_entry(ctx, body),
            "RevokeSecurityGroupEntry" => revoke_entry(ctx, body),
            "ModifySecurityGroupEntry" => modify_entry(ctx, body),
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
        ] {
            for (id, object) in ctx.tables.list(table) {
                let state = object.get("State").and_then(Value::as_str).unwrap_or("available").to_string();
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
    let vpc = tables.get(VPCS, vpc_id).filter(|v| owned_by(v, account)).ok_or_else(|| vpc_not_found(vpc_id))?;
    let existing = tables.list(SECURITY_GROUPS).into_iter().find(|(_, g)| {
        owned_by(g, account) && str_field(g, "VpcId") == vpc_id && str_field(g, "SecurityGroupName") == KMR_GROUP_NAME
    });
    let group_id = match existing {
        Some((id, _)) => id,
        None => {
            let id = new_id("sg");
            tables.put(
                SECURITY_GROUPS,
                &id,
                json!({
                    "SecurityGroupId": id,
                    "SecurityGroupName": KMR_GROUP_NAME,
                    "Description": "KMR default security group",
                    "VpcId": vpc_id,
                    "SecurityGroupType": "KMR",
                    "ServiceManaged": true,
                    "CreateTime": timestamp(now),
                    USED_BY: [],
                    ACCOUNT_FIELD: account,
                }),
            );
            let entry_id = new_id("sge");
            tables.put(
                SECURITY_GROUP_ENTRIES,
                &entry_id,
                json!({
                    "SecurityGroupEntryId": entry_id,
                    "SecurityGroupId": id,
                    "Direction": "in",
                    "Protocol": "ip",
                    "CidrBlock": str_field(&vpc, "CidrBlock"),
                    "Description": "KMR nodes reach each other",
                    "CreateTime": timestamp(now),
                    ACCOUNT_FIELD: account,
                }),
            );
            id
        }
    };
    set_used(tables, SECURITY_GROUPS, &group_id, cluster_id, true)?;
    Ok(group_id)
}

/// Records that `user` (a cluster) uses a subnet or security group (`using`), or no longer
/// does. An object with users cannot be deleted.
pub fn set_used(tables: &mut dyn Tables, table: &str, id: &str, user: &str, using: bool) -> Result<(), ApiError> {
    let mut object = tables
        .get(table, id)
        .ok_or_else(|| ApiError::not_found("InvalidParameter.NotFound", format!("no {table} `{id}`")))?;
    let mut users: Vec<String> = object
        .get(USED_BY)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    users.retain(|u| u != user);
    if using {
        users.push(user.to_string());
    }
    object[USED_BY] = json!(users);
    tables.put(table, id, object);
    Ok(())
}

/// The VPC a subnet is in, if the subnet exists for `account` (KMR checks launch requests).
pub fn subnet_vpc(tables: &dyn Tables, account: &str, subnet_id: &str) -> Option<String> {
    tables.get(SUBNETS, subnet_id).filter(|s| owned_by(s, account)).map(|s| str_field(&s, "VpcId").to_string())
}

// ---------------------------------------------------------------------------------------
// VPCs.

fn create_vpc(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let cidr_text = param_str(body, "CidrBlock")?;
    let cidr = Cidr::parse(cidr_text).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    if !(8..=28).contains(&cidr.prefix) {
        return Err(ApiError::invalid(
            "CidrBlock",
            format!("a VPC's prefix length must be 8 to 28, not /{}", cidr.prefix),
        ));
    }
    ctx.check_quota("QuotaExceeded.Vpc", "vpcs", ctx.owned(VPCS).len() as u64, 1)?;
    let id = new_id("vpc");
    let name = opt_str(body, "VpcName")?.unwrap_or(&id).to_string();
    let vpc = json!({
        "VpcId": id,
        "VpcName": name,
        "CidrBlock": cidr.to_string(),
        "IsDefault": false,
        "State": "available",
        "CreateTime": timestamp(ctx.now),
        CLIENT_TOKEN_FIELD: client_token(body),
        ACCOUNT_FIELD: ctx.account,
    });
    ctx.tables.put(VPCS, &id, vpc.clone());
    Ok(json!({"Vpc": public(vpc)}))
}

fn describe_vpcs(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let set = select(ctx, VPCS, body, "VpcId", &[("vpc-name", "VpcName"), ("client-token", CLIENT_TOKEN_FIELD)])?;
    Ok(json!({"VpcSet": set}))
}

fn modify_vpc(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "VpcId")?;
    let mut vpc = ctx.get_owned(VPCS, id).ok_or_else(|| vpc_not_found(id))?;
    if let Some(name) = opt_str(body, "VpcName")? {
        vpc["VpcName"] = json!(name);
    }
    ctx.tables.put(VPCS, id, vpc.clone());
    Ok(json!({"Vpc": public(vpc)}))
}

fn delete_vpc(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "VpcId")?;
    ctx.get_owned(VPCS, id).ok_or_else(|| vpc_not_found(id))?;
    let subnets = ids_where(ctx, SUBNETS, "VpcId", id);
    if !subnets.is_empty() {
        return Err(ApiError::bad_request(
            "DependencyViolation.Subnet",
            format!("VPC {id} still has subnets: {}", subnets.join(", ")),
        ));
    }
    // A service-made group nobody uses goes with its VPC; any other group blocks the delete.
    let groups: Vec<(String, Value)> =
        ctx.owned(SECURITY_GROUPS).into_iter().filter(|(_, g)| str_field(g, "VpcId") == id).collect();
    let blocking: Vec<&str> = groups
        .iter()
        .filter(|(_, g)| !is_service_managed(g) || !users(g).is_empty())
        .map(|(gid, _)| gid.as_str())
        .collect();
    if !blocking.is_empty() {
        return Err(ApiError::bad_request(
            "DependencyViolation.SecurityGroup",
            format!("VPC {id} still has security groups: {}", blocking.join(", ")),
        ));
    }
    for (group_id, _) in &groups {
        delete_group_and_entries(ctx, group_id);
    }
    ctx.tables.delete(VPCS, id);
    Ok(json!({"Return": true}))
}

// ---------------------------------------------------------------------------------------
// Subnets.

fn create_subnet(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let vpc_id = param_str(body, "VpcId")?;
    let cidr_text = param_str(body, "CidrBlock")?;
    let vpc = ctx.get_owned(VPCS, vpc_id).ok_or_else(|| vpc_not_found(vpc_id))?;
    let cidr = Cidr::parse(cidr_text).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    let vpc_cidr = Cidr::parse(str_field(&vpc, "CidrBlock")).map_err(|why| ApiError::new(500, "InternalError", why))?;
    if !vpc_cidr.contains(&cidr) || cidr.prefix > 29 {
        return Err(ApiError::invalid(
            "CidrBlock",
            format!("subnet {cidr} must lie inside VPC {vpc_id}'s {vpc_cidr} with a prefix of at most /29"),
        ));
    }
    for (other_id, other) in ctx.owned(SUBNETS) {
        if str_field(&other, "VpcId") == vpc_id
            && let Ok(other_cidr) = Cidr::parse(str_field(&other, "CidrBlock"))
            && other_cidr.overlaps(&cidr)
        {
            return Err(ApiError::bad_request(
                "InvalidSubnet.Conflict",
                format!("subnet {cidr} overlaps subnet {other_id} ({other_cidr}) of VPC {vpc_id}"),
            ));
        }
    }
    ctx.check_quota("QuotaExceeded.Subnet", "subnets", ctx.owned(SUBNETS).len() as u64, 1)?;
    let id = new_id("subnet");
    let name = opt_str(body, "SubnetName")?.unwrap_or(&id).to_string();
    let subnet_type = opt_str(body, "SubnetType")?.unwrap_or("Normal");
    if !matches!(subnet_type, "Normal" | "Reserve" | "Physical") {
        return Err(ApiError::invalid("SubnetType", "expected Normal, Reserve or Physical"));
    }
    let gateway = Ipv4Addr::from(cidr.network() + 1);
    let subnet = json!({
        "SubnetId": id,
        "SubnetName": name,
        "VpcId": vpc_id,
        "CidrBlock": cidr.to_string(),
        "SubnetType": subnet_type,
        "AvailabilityZone": opt_str(body, "AvailabilityZone")?,
        "GatewayIp": gateway.to_string(),
        "DhcpIpFrom": Ipv4Addr::from(cidr.network() + 2).to_string(),
        "DhcpIpTo": Ipv4Addr::from(cidr.broadcast() - 1).to_string(),
        "AvailableIpNumber": cidr.size().saturating_sub(3),
        "State": "available",
        "CreateTime": timestamp(ctx.now),
        USED_BY: [],
        CLIENT_TOKEN_FIELD: client_token(body),
        ACCOUNT_FIELD: ctx.account,
    });
    ctx.tables.put(SUBNETS, &id, subnet.clone());
    Ok(json!({"Subnet": public(subnet)}))
}

fn describe_subnets(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let set = select(
        ctx,
        SUBNETS,
        body,
        "SubnetId",
        &[("vpc-id", "VpcId"), ("subnet-name", "SubnetName"), ("client-token", CLIENT_TOKEN_FIELD)],
    )?;
    Ok(json!({"SubnetSet": set}))
}

fn modify_subnet(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "SubnetId")?;
    let mut subnet = ctx.get_owned(SUBNETS, id).ok_or_else(|| subnet_not_found(id))?;
    if let Some(name) = opt_str(body, "SubnetName")? {
        subnet["SubnetName"] = json!(name);
    }
    ctx.tables.put(SUBNETS, id, subnet.clone());
    Ok(json!({"Subnet": public(subnet)}))
}

fn delete_subnet(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "SubnetId")?;
    let subnet = ctx.get_owned(SUBNETS, id).ok_or_else(|| subnet_not_found(id))?;
    let used = users(&subnet);
    if !used.is_empty() {
        return Err(ApiError::bad_request(
            "DependencyViolation.Instance",
            format!("subnet {id} is used by {}", used.join(", ")),
        ));
    }
    ctx.tables.delete(SUBNETS, id);
    Ok(json!({"Return": true}))
}

// ---------------------------------------------------------------------------------------
// Security groups.

fn create_security_group(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let vpc_id = param_str(body, "VpcId")?;
    ctx.get_owned(VPCS, vpc_id).ok_or_else(|| vpc_not_found(vpc_id))?;
    let id = new_id("sg");
    let name = opt_str(body, "SecurityGroupName")?.unwrap_or(&id).to_string();
    check_group_name(ctx, vpc_id, &name, None)?;
    ctx.check_quota("QuotaExceeded.SecurityGroup", "security_groups", ctx.owned(SECURITY_GROUPS).len() as u64, 1)?;
    let group = json!({
        "SecurityGroupId": id,
        "SecurityGroupName": name,
        "Description": opt_str(body, "Description")?.unwrap_or(""),
        "VpcId": vpc_id,
        "SecurityGroupType": "other",
        "ServiceManaged": false,
        "CreateTime": timestamp(ctx.now),
        USED_BY: [],
        CLIENT_TOKEN_FIELD: client_token(body),
        ACCOUNT_FIELD: ctx.account,
    });
    ctx.tables.put(SECURITY_GROUPS, &id, group);
    let view = group_view(ctx, &id).unwrap_or(Value::Null);
    Ok(json!({"SecurityGroupId": id, "SecurityGroup": view}))
}

fn describe_security_groups(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let set = select(
        ctx,
        SECURITY_GROUPS,
        body,
        "SecurityGroupId",
        &[("vpc-id", "VpcId"), ("security-group-name", "SecurityGroupName"), ("client-token", CLIENT_TOKEN_FIELD)],
    )?;
    let with_entries: Vec<Value> = set
        .iter()
        .filter_map(|g| g.get("SecurityGroupId").and_then(Value::as_str).and_then(|id| group_view(ctx, id)))
        .collect();
    Ok(json!({"SecurityGroupSet": with_entries}))
}

fn modify_security_group(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "SecurityGroupId")?;
    let mut group = ctx.get_owned(SECURITY_GROUPS, id).ok_or_else(|| group_not_found(id))?;
    if let Some(name) = opt_str(body, "SecurityGroupName")? {
        if is_service_managed(&group) && name != str_field(&group, "SecurityGroupName") {
            return Err(ApiError::bad_request(
                "OperationDenied.ServiceManaged",
                format!("security group {id} ({KMR_GROUP_NAME}) is managed by KMR and cannot be renamed"),
            ));
        }
        let vpc_id = str_field(&group, "VpcId").to_string();
        check_group_name(ctx, &vpc_id, name, Some(id))?;
        group["SecurityGroupName"] = json!(name);
    }
    if let Some(description) = opt_str(body, "Description")? {
        group["Description"] = json!(description);
    }
    ctx.tables.put(SECURITY_GROUPS, id, group);
    Ok(json!({"Return": true, "SecurityGroup": group_view(ctx, id)}))
}

fn delete_security_group(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let id = param_str(body, "SecurityGroupId")?;
    let group = ctx.get_owned(SECURITY_GROUPS, id).ok_or_else(|| group_not_found(id))?;
    let used = users(&group);
    if !used.is_empty() {
        return Err(ApiError::bad_request(
            "SecurityGroup.InUse",
            format!("security group {id} ({}) is used by {}", str_field(&group, "SecurityGroupName"), used.join(", ")),
        ));
    }
    delete_group_and_entries(ctx, id);
    Ok(json!({"Return": true}))
}

fn check_group_name(ctx: &RequestContext<'_>, vpc_id: &str, name: &str, except: Option<&str>) -> Result<(), ApiError> {
    if name == KMR_GROUP_NAME {
        return Err(ApiError::invalid(
            "SecurityGroupName",
            format!("`{KMR_GROUP_NAME}` is reserved for the group KMR makes; read it with a data source instead"),
        ));
    }
    let taken = ctx.owned(SECURITY_GROUPS).into_iter().find(|(gid, g)| {
        Some(gid.as_str()) != except && str_field(g, "VpcId") == vpc_id && str_field(g, "SecurityGroupName") == name
    });
    match taken {
        Some((gid, _)) => Err(ApiError::bad_request(
            "SecurityGroupName.Duplicate",
            format!("VPC {vpc_id} already has a security group named `{name}` ({gid})"),
        )),
        None => Ok(()),
    }
}

fn delete_group_and_entries(ctx: &mut RequestContext<'_>, group_id: &str) {
    for entry_id in ids_where(ctx, SECURITY_GROUP_ENTRIES, "SecurityGroupId", group_id) {
        ctx.tables.delete(SECURITY_GROUP_ENTRIES, &entry_id);
    }
    ctx.tables.delete(SECURITY_GROUPS, group_id);
}

/// A group as describes show it, with its `SecurityGroupEntrySet`.
fn group_view(ctx: &RequestContext<'_>, id: &str) -> Option<Value> {
    let group = ctx.get_owned(SECURITY_GROUPS, id)?;
    let entries: Vec<Value> = ctx
        .owned(SECURITY_GROUP_ENTRIES)
        .into_iter()
        .filter(|(_, e)| str_field(e, "SecurityGroupId") == id)
        .map(|(_, e)| public(e))
        .collect();
    let mut view = public(group);
    view["SecurityGroupEntrySet"] = json!(entries);
    Some(view)
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

fn entry_identity(body: &Value) -> Result<EntryIdentity, ApiError> {
    let direction = param_str(body, "Direction")?;
    if !matches!(direction, "in" | "out") {
        return Err(ApiError::invalid("Direction", format!("expected `in` or `out`, not `{direction}`")));
    }
    let protocol = param_str(body, "Protocol")?;
    let cidr = Cidr::parse(param_str(body, "CidrBlock")?).map_err(|why| ApiError::invalid("CidrBlock", why))?;
    let (ports, icmp) = match protocol {
        "tcp" | "udp" => {
            let from = opt_i64(body, "PortRangeFrom")?.ok_or_else(|| ApiError::missing("PortRangeFrom"))?;
            let to = opt_i64(body, "PortRangeTo")?.ok_or_else(|| ApiError::missing("PortRangeTo"))?;
            if !(1..=65535).contains(&from) || !(1..=65535).contains(&to) || from > to {
                return Err(ApiError::invalid(
                    "PortRangeFrom",
                    format!("ports must be 1 to 65535 with from <= to, not {from}..{to}"),
                ));
            }
            (Some((from, to)), None)
        }
        "icmp" => {
            let icmp_type = opt_i64(body, "IcmpType")?.ok_or_else(|| ApiError::missing("IcmpType"))?;
            let icmp_code = opt_i64(body, "IcmpCode")?.ok_or_else(|| ApiError::missing("IcmpCode"))?;
            (None, Some((icmp_type, icmp_code)))
        }
        "ip" => (None, None),
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

fn stored_identity(entry: &Value) -> Option<EntryIdentity> {
    entry_identity(entry).ok()
}

fn authorize_entry(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let group_id = param_str(body, "SecurityGroupId")?;
    ctx.get_owned(SECURITY_GROUPS, group_id).ok_or_else(|| group_not_found(group_id))?;
    let identity = entry_identity(body)?;
    let entries: Vec<(String, Value)> = ctx
        .owned(SECURITY_GROUP_ENTRIES)
        .into_iter()
        .filter(|(_, e)| str_field(e, "SecurityGroupId") == group_id)
        .collect();
    if let Some((existing, _)) = entries.iter().find(|(_, e)| stored_identity(e).as_ref() == Some(&identity)) {
        return Err(ApiError::bad_request(
            "SecurityGroupEntry.Duplicate",
            format!(
                "security group {group_id} already has this rule ({} {} {}): entry {existing}",
                identity.direction, identity.protocol, identity.cidr
            ),
        ));
    }
    ctx.check_quota("QuotaExceeded.SecurityGroupEntry", "security_group_rules", entries.len() as u64, 1)?;
    let id = new_id("sge");
    let mut entry = json!({
        "SecurityGroupEntryId": id,
        "SecurityGroupId": group_id,
        "Direction": identity.direction,
        "Protocol": identity.protocol,
        "CidrBlock": identity.cidr,
        "Description": opt_str(body, "Description")?.unwrap_or(""),
        "CreateTime": timestamp(ctx.now),
        CLIENT_TOKEN_FIELD: client_token(body),
        ACCOUNT_FIELD: ctx.account,
    });
    if let Some((from, to)) = identity.ports {
        entry["PortRangeFrom"] = json!(from);
        entry["PortRangeTo"] = json!(to);
    }
    if let Some((icmp_type, icmp_code)) = identity.icmp {
        entry["IcmpType"] = json!(icmp_type);
        entry["IcmpCode"] = json!(icmp_code);
    }
    ctx.tables.put(SECURITY_GROUP_ENTRIES, &id, entry);
    Ok(json!({"Return": true, "SecurityGroupEntryId": id}))
}

fn entry_of_group(ctx: &RequestContext<'_>, body: &Value) -> Result<(String, Value), ApiError> {
    let group_id = param_str(body, "SecurityGroupId")?;
    let entry_id = param_str(body, "SecurityGroupEntryId")?;
    ctx.get_owned(SECURITY_GROUPS, group_id).ok_or_else(|| group_not_found(group_id))?;
    let entry = ctx
        .get_owned(SECURITY_GROUP_ENTRIES, entry_id)
        .filter(|e| str_field(e, "SecurityGroupId") == group_id)
        .ok_or_else(|| {
            ApiError::not_found(
                "InvalidSecurityGroupEntry.NotFound",
                format!("security group {group_id} has no entry {entry_id}"),
            )
        })?;
    Ok((entry_id.to_string(), entry))
}

fn revoke_entry(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let (entry_id, _) = entry_of_group(ctx, body)?;
    ctx.tables.delete(SECURITY_GROUP_ENTRIES, &entry_id);
    Ok(json!({"Return": true}))
}

fn modify_entry(ctx: &mut RequestContext<'_>, body: &Value) -> Result<Value, ApiError> {
    let (entry_id, mut entry) = entry_of_group(ctx, body)?;
    if let Some(description) = opt_str(body, "Description")? {
        entry["Description"] = json!(description);
    }
    ctx.tables.put(SECURITY_GROUP_ENTRIES, &entry_id, entry);
    Ok(json!({"Return": true}))
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// The requesting account's objects of `table`, narrowed by the ids in `id_param` and by
/// filters (`filter name` → stored field), in the API's shape.
fn select(
    ctx: &RequestContext<'_>,
    table: &str,
    body: &Value,
    id_param: &str,
    filter_fields: &[(&str, &str)],
) -> Result<Vec<Value>, ApiError> {
    let ids = opt_str_list(body, id_param)?;
    let filters = filters(body)?;
    for (name, _) in &filters {
        if !filter_fields.iter().any(|(f, _)| f == name) {
            let known: Vec<&str> = filter_fields.iter().map(|(f, _)| *f).collect();
            return Err(ApiError::invalid("Filter", format!("unknown filter `{name}` (known: {})", known.join(", "))));
        }
    }
    Ok(ctx
        .owned(table)
        .into_iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|(_, object)| {
            filters.iter().all(|(name, values)| {
                let field = filter_fields.iter().find(|(f, _)| f == name).map(|(_, field)| *field).unwrap_or("");
                values.iter().any(|v| str_field(object, field) == v)
            })
        })
        .map(|(_, object)| public(object))
        .collect())
}

/// An object as the API shows it: without the owner field.
fn public(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.remove(ACCOUNT_FIELD);
    }
    object
}

fn ids_where(ctx: &RequestContext<'_>, table: &str, field: &str, value: &str) -> Vec<String> {
    ctx.owned(table).into_iter().filter(|(_, o)| str_field(o, field) == value).map(|(id, _)| id).collect()
}

fn str_field<'v>(object: &'v Value, field: &str) -> &'v str {
    object.get(field).and_then(Value::as_str).unwrap_or("")
}

fn users(object: &Value) -> Vec<String> {
    object
        .get(USED_BY)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|u| u.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn is_service_managed(group: &Value) -> bool {
    group.get("ServiceManaged").and_then(Value::as_bool) == Some(true)
}

fn vpc_not_found(id: &str) -> ApiError {
    ApiError::not_found("InvalidVpc.NotFound", format!("VPC {id} does not exist"))
}

fn subnet_not_found(id: &str) -> ApiError {
    ApiError::not_found("InvalidSubnet.NotFound", format!("subnet {id} does not exist"))
}

fn group_not_found(id: &str) -> ApiError {
    ApiError::not_found("InvalidSecurityGroup.NotFound", format!("security group {id} does not exist"))
}

/// An IPv4 CIDR block; the address must be the network address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: u32,
    pub prefix: u8,
}

impl Cidr {
    /// The SDK's parser, which the providers' plan-time checks use too: a block the plan
    /// accepts is one the API accepts.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let net = corral_provider_sdk::validate::parse_cidr_v4(text)?;
        Ok(Cidr { addr: u32::from(net.addr()), prefix: net.prefix_len() })
    }

    fn mask(&self) -> u32 {
        if self.prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(self.prefix)) }
    }

    pub fn network(&self) -> u32 {
        self.addr & self.mask()
    }

    pub fn broadcast(&self) -> u32 {
        self.network() | !self.mask()
    }

    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && (other.network() & self.mask()) == self.network()
    }

    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other) || other.contains(self)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.prefix)
    }
}

#[cfg(test)]
mod tests;
