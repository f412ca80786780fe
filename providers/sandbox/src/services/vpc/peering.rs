//! VPC peering connections: made active at once between two of the account's VPCs whose
//! CIDR blocks do not overlap (one connection per pair), described by id, by `vpc-id` (either
//! side) or by `client-token`, and deleted.

use corral_api_vpc::ReturnAnswer;
use corral_api_vpc::errors;
use corral_api_vpc::names::{FILTER_CLIENT_TOKEN, FILTER_VPC_ID, STATE_ACTIVE};
use corral_api_vpc::peering::{
    CreateVpcPeeringConnectionRequest, DeleteVpcPeeringConnectionRequest, DescribeVpcPeeringConnectionsAnswer,
    DescribeVpcPeeringConnectionsRequest, VpcPeeringConnection, VpcPeeringConnectionAnswer,
};
use corral_api_vpc::vpc::Vpc;
use corral_provider_sdk::emulator::{ApiError, RequestContext, new_id, timestamp};

use super::{Cidr, VPCS, all, owned, records, required, token, vpc_not_found};

pub(super) const PEERINGS: &str = "vpc_peering_connections";

pub(super) fn create(
    ctx: &mut RequestContext<'_>,
    request: CreateVpcPeeringConnectionRequest,
) -> Result<VpcPeeringConnectionAnswer, ApiError> {
    let client_token = token(request.client_token.clone());
    if let Some(t) = &client_token
        && let Some((_, found)) =
            all::<VpcPeeringConnection>(ctx, PEERINGS)?.into_iter().find(|(_, p)| p.client_token.as_ref() == Some(t))
    {
        return Ok(VpcPeeringConnectionAnswer { vpc_peering_connection: found });
    }
    let vpc_id = required(&request.vpc_id, "VpcId")?.to_string();
    let peer_id = required(&request.peer_vpc_id, "PeerVpcId")?.to_string();
    if vpc_id == peer_id {
        return Err(ApiError::bad_request(errors::PEERING_SAME_VPC, format!("VPC {vpc_id} cannot peer with itself")));
    }
    let vpc: Vpc = owned(ctx, VPCS, &vpc_id)?.ok_or_else(|| vpc_not_found(&vpc_id))?;
    let peer: Vpc = owned(ctx, VPCS, &peer_id)?.ok_or_else(|| vpc_not_found(&peer_id))?;
    let (a, b) = (Cidr::parse(&vpc.cidr_block), Cidr::parse(&peer.cidr_block));
    if let (Ok(a), Ok(b)) = (a, b)
        && a.overlaps(&b)
    {
        return Err(ApiError::bad_request(
            errors::PEERING_CIDR_OVERLAP,
            format!(
                "VPC {vpc_id} ({}) and VPC {peer_id} ({}) overlap: their hosts' routes would be ambiguous",
                vpc.cidr_block, peer.cidr_block
            ),
        ));
    }
    if all::<VpcPeeringConnection>(ctx, PEERINGS)?.iter().any(|(_, p)| p.joins(&vpc_id, &peer_id)) {
        return Err(ApiError::bad_request(
            errors::PEERING_EXISTS,
            format!("VPC {vpc_id} and VPC {peer_id} are already connected"),
        ));
    }
    let id = new_id("pcx");
    let connection = VpcPeeringConnection {
        vpc_peering_connection_id: id.clone(),
        vpc_id,
        peer_vpc_id: peer_id,
        state: STATE_ACTIVE.to_string(),
        create_time: timestamp(ctx.now),
        client_token,
    };
    records::put(ctx.tables, PEERINGS, &ctx.account, &id, &connection)?;
    Ok(VpcPeeringConnectionAnswer { vpc_peering_connection: connection })
}

pub(super) fn describe(
    ctx: &mut RequestContext<'_>,
    request: DescribeVpcPeeringConnectionsRequest,
) -> Result<DescribeVpcPeeringConnectionsAnswer, ApiError> {
    let mut set: Vec<VpcPeeringConnection> = all::<VpcPeeringConnection>(ctx, PEERINGS)?
        .into_iter()
        .filter(|(id, _)| {
            request.vpc_peering_connection_id.is_empty() || request.vpc_peering_connection_id.contains(id)
        })
        .map(|(_, p)| p)
        .collect();
    for filter in &request.filter {
        match filter.name.as_deref() {
            Some(FILTER_VPC_ID) => {
                set.retain(|p| filter.value.iter().any(|v| v == &p.vpc_id || v == &p.peer_vpc_id));
            }
            Some(FILTER_CLIENT_TOKEN) => {
                set.retain(|p| filter.value.iter().any(|v| Some(v) == p.client_token.as_ref()));
            }
            other => {
                return Err(ApiError::invalid(
                    "Filter",
                    format!("unknown filter `{}` (known: vpc-id, client-token)", other.unwrap_or_default()),
                ));
            }
        }
    }
    Ok(DescribeVpcPeeringConnectionsAnswer { vpc_peering_connection_set: set })
}

pub(super) fn delete(
    ctx: &mut RequestContext<'_>,
    request: DeleteVpcPeeringConnectionRequest,
) -> Result<ReturnAnswer, ApiError> {
    let id = required(&request.vpc_peering_connection_id, "VpcPeeringConnectionId")?.to_string();
    if owned::<VpcPeeringConnection>(ctx, PEERINGS, &id)?.is_none() {
        return Err(ApiError::not_found(errors::PEERING_NOT_FOUND, format!("peering connection {id} does not exist")));
    }
    ctx.tables.delete(PEERINGS, &id);
    Ok(ReturnAnswer { ok: true })
}
