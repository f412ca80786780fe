//! VPC service tests, on in-memory tables.

use corral_provider_sdk::emulator::{ACCOUNT_FIELD, MemoryTables, Quotas};
use serde_json::{Value, json};

use super::*;

struct Fixture {
    tables: MemoryTables,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { tables: MemoryTables::default() }
    }

    fn call(&mut self, action: &str, body: Value) -> Result<Value, ApiError> {
        let mut ctx = RequestContext {
            now: chrono::Utc::now(),
            account: "acct".to_string(),
            request_id: "r".to_string(),
            tables: &mut self.tables,
            quotas: Quotas::sandbox_defaults(),
        };
        VpcService.handle(&mut ctx, action, VERSION, &body)
    }

    fn vpc(&mut self) -> String {
        let answer = self.call("CreateVpc", json!({"CidrBlock": "10.0.0.0/16", "VpcName": "main"})).unwrap();
        answer["Vpc"]["VpcId"].as_str().unwrap().to_string()
    }

    fn group(&mut self, vpc: &str, name: &str) -> String {
        let answer = self.call("CreateSecurityGroup", json!({"VpcId": vpc, "SecurityGroupName": name})).unwrap();
        answer["SecurityGroupId"].as_str().unwrap().to_string()
    }
}

fn ssh_rule(group: &str, cidr: &str) -> Value {
    json!({"SecurityGroupId": group, "Direction": "in", "Protocol": "tcp", "CidrBlock": cidr,
        "PortRangeFrom": 22, "PortRangeTo": 22, "Description": "ssh"})
}

#[test]
fn vpc_lifecycle_and_dependency_errors() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    let subnet = f.call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.1.0/24"})).unwrap();
    let subnet_id = subnet["Subnet"]["SubnetId"].as_str().unwrap().to_string();
    assert_eq!(subnet["Subnet"]["GatewayIp"], "10.0.1.1");
    let err = f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap_err();
    assert_eq!(err.code, "DependencyViolation.Subnet");
    assert!(err.message.contains(&subnet_id));
    f.call("DeleteSubnet", json!({"SubnetId": subnet_id})).unwrap();
    let group = f.group(&vpc, "web");
    assert_eq!(f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap_err().code, "DependencyViolation.SecurityGroup");
    f.call("DeleteSecurityGroup", json!({"SecurityGroupId": group})).unwrap();
    f.call("ModifyVpc", json!({"VpcId": vpc, "VpcName": "renamed"})).unwrap();
    let set = f.call("DescribeVpcs", json!({"VpcId": [vpc]})).unwrap();
    assert_eq!(set["VpcSet"][0]["VpcName"], "renamed");
    assert!(set["VpcSet"][0].get(ACCOUNT_FIELD).is_none(), "the owner field is internal");
    f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap();
    assert_eq!(f.call("DescribeVpcs", json!({"VpcId": [vpc]})).unwrap()["VpcSet"], json!([]));
    assert_eq!(f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap_err().status, 404);
}

#[test]
fn answers_keep_the_api_field_names_in_their_order() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let described = f.call("DescribeVpcs", json!({"VpcId": vpc})).unwrap();
    assert_eq!(
        keys(&described["VpcSet"][0]),
        ["VpcId", "VpcName", "CidrBlock", "IsDefault", "State", "CreateTime", "ClientToken"]
    );
    let subnet = f.call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.1.0/24"})).unwrap();
    assert_eq!(
        keys(&subnet["Subnet"]),
        [
            "SubnetId",
            "SubnetName",
            "VpcId",
            "CidrBlock",
            "SubnetType",
            "AvailabilityZone",
            "GatewayIp",
            "DhcpIpFrom",
            "DhcpIpTo",
            "AvailableIpNumber",
            "State",
            "CreateTime",
            "UsedBy",
            "ClientToken",
        ]
    );
    let group = f.group(&vpc, "web");
    let entry = f.call("AuthorizeSecurityGroupEntry", ssh_rule(&group, "192.168.0.0/24")).unwrap();
    assert_eq!(keys(&entry), ["Return", "SecurityGroupEntryId"]);
    let described = f.call("DescribeSecurityGroups", json!({"SecurityGroupId": [group]})).unwrap();
    let group = &described["SecurityGroupSet"][0];
    assert_eq!(
        keys(group),
        [
            "SecurityGroupId",
            "SecurityGroupName",
            "Description",
            "VpcId",
            "SecurityGroupType",
            "ServiceManaged",
            "CreateTime",
            "UsedBy",
            "ClientToken",
            "SecurityGroupEntrySet",
        ]
    );
    assert_eq!(
        keys(&group["SecurityGroupEntrySet"][0]),
        [
            "SecurityGroupEntryId",
            "SecurityGroupId",
            "Direction",
            "Protocol",
            "CidrBlock",
            "Description",
            "CreateTime",
            "ClientToken",
            "PortRangeFrom",
            "PortRangeTo",
        ]
    );
}

#[test]
fn subnet_cidrs_must_fit_the_vpc_and_not_overlap() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    let outside = f.call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.1.0.0/24"})).unwrap_err();
    assert_eq!(outside.code, "InvalidParameterValue");
    f.call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.0.0/20"})).unwrap();
    let overlap = f.call("CreateSubnet", json!({"VpcId": vpc, "CidrBlock": "10.0.4.0/24"})).unwrap_err();
    assert_eq!(overlap.code, "InvalidSubnet.Conflict");
    let host_bits = f.call("CreateVpc", json!({"CidrBlock": "10.0.0.1/16"})).unwrap_err();
    assert!(host_bits.message.contains("host bits"), "{}", host_bits.message);
}

#[test]
fn rules_duplicates_are_refused_and_outbound_is_open_by_default() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    let group = f.group(&vpc, "web");
    let described = f.call("DescribeSecurityGroups", json!({"SecurityGroupId": [group]})).unwrap();
    assert_eq!(described["SecurityGroupSet"][0]["SecurityGroupEntrySet"], json!([]), "no egress rule is needed");
    let entry = f.call("AuthorizeSecurityGroupEntry", ssh_rule(&group, "192.168.0.0/24")).unwrap();
    let entry_id = entry["SecurityGroupEntryId"].as_str().unwrap().to_string();
    let duplicate = f.call("AuthorizeSecurityGroupEntry", ssh_rule(&group, "192.168.0.0/24")).unwrap_err();
    assert_eq!(duplicate.code, "SecurityGroupEntry.Duplicate");
    assert!(duplicate.message.contains(&entry_id));
    // Another CIDR, or egress, is another rule.
    f.call("AuthorizeSecurityGroupEntry", ssh_rule(&group, "192.168.1.0/24")).unwrap();
    let mut egress = ssh_rule(&group, "192.168.0.0/24");
    egress["Direction"] = json!("out");
    f.call("AuthorizeSecurityGroupEntry", egress).unwrap();
    // Validation.
    let mut no_ports = ssh_rule(&group, "0.0.0.0/0");
    no_ports.as_object_mut().unwrap().remove("PortRangeTo");
    assert_eq!(f.call("AuthorizeSecurityGroupEntry", no_ports).unwrap_err().code, "MissingParameter");
    let mut bad_range = ssh_rule(&group, "0.0.0.0/0");
    bad_range["PortRangeFrom"] = json!(100);
    bad_range["PortRangeTo"] = json!(10);
    assert_eq!(f.call("AuthorizeSecurityGroupEntry", bad_range).unwrap_err().code, "InvalidParameterValue");
    // Description in place, then revoke.
    f.call(
        "ModifySecurityGroupEntry",
        json!({"SecurityGroupId": group, "SecurityGroupEntryId": entry_id, "Description": "office"}),
    )
    .unwrap();
    let described = f.call("DescribeSecurityGroups", json!({"SecurityGroupId": [group]})).unwrap();
    let entries = described["SecurityGroupSet"][0]["SecurityGroupEntrySet"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().any(|e| e["SecurityGroupEntryId"] == json!(entry_id) && e["Description"] == "office"));
    f.call("RevokeSecurityGroupEntry", json!({"SecurityGroupId": group, "SecurityGroupEntryId": entry_id})).unwrap();
    let again = f.call("RevokeSecurityGroupEntry", json!({"SecurityGroupId": group, "SecurityGroupEntryId": entry_id}));
    assert_eq!(again.unwrap_err().code, "InvalidSecurityGroupEntry.NotFound");
}

#[test]
fn ksckmr_is_made_by_the_service_and_kept_while_used() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    let reserved =
        f.call("CreateSecurityGroup", json!({"VpcId": vpc, "SecurityGroupName": KMR_GROUP_NAME})).unwrap_err();
    assert!(reserved.message.contains("reserved"), "{}", reserved.message);
    let now = chrono::Utc::now();
    let group = ensure_kmr_group(&mut f.tables, "acct", &vpc, "ksc-1", now).unwrap();
    assert_eq!(ensure_kmr_group(&mut f.tables, "acct", &vpc, "ksc-2", now).unwrap(), group, "one per VPC");
    assert!(ensure_kmr_group(&mut f.tables, "other", &vpc, "ksc-3", now).is_err(), "another account's VPC");
    let found = f
        .call("DescribeSecurityGroups", json!({"Filter": [{"Name": "vpc-id", "Value": [vpc]}, {"Name": "security-group-name", "Value": [KMR_GROUP_NAME]}]}))
        .unwrap();
    assert_eq!(found["SecurityGroupSet"][0]["SecurityGroupId"], json!(group));
    assert_eq!(found["SecurityGroupSet"][0]["SecurityGroupEntrySet"][0]["CidrBlock"], "10.0.0.0/16");
    let err = f.call("DeleteSecurityGroup", json!({"SecurityGroupId": group})).unwrap_err();
    assert_eq!(err.code, "SecurityGroup.InUse");
    assert!(err.message.contains("ksc-1") && err.message.contains("ksc-2"));
    assert_eq!(f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap_err().code, "DependencyViolation.SecurityGroup");
    let rename =
        f.call("ModifySecurityGroup", json!({"SecurityGroupId": group, "SecurityGroupName": "x"})).unwrap_err();
    assert_eq!(rename.code, "OperationDenied.ServiceManaged");
    set_used(&mut f.tables, SECURITY_GROUPS, &group, "ksc-1", false).unwrap();
    set_used(&mut f.tables, SECURITY_GROUPS, &group, "ksc-2", false).unwrap();
    // Unused, the service's group goes with its VPC.
    f.call("DeleteVpc", json!({"VpcId": vpc})).unwrap();
    assert!(f.tables.list(SECURITY_GROUPS).is_empty());
    assert!(f.tables.list(SECURITY_GROUP_ENTRIES).is_empty());
}

#[test]
fn group_names_are_unique_per_vpc_and_describe_filters_by_token() {
    let mut f = Fixture::new();
    let vpc = f.vpc();
    f.group(&vpc, "web");
    let dup = f.call("CreateSecurityGroup", json!({"VpcId": vpc, "SecurityGroupName": "web"})).unwrap_err();
    assert_eq!(dup.code, "SecurityGroupName.Duplicate");
    f.call("CreateSecurityGroup", json!({"VpcId": vpc, "SecurityGroupName": "db", "ClientToken": "t-db"})).unwrap();
    let found =
        f.call("DescribeSecurityGroups", json!({"Filter": [{"Name": "client-token", "Value": ["t-db"]}]})).unwrap();
    assert_eq!(found["SecurityGroupSet"].as_array().unwrap().len(), 1);
    assert_eq!(found["SecurityGroupSet"][0]["SecurityGroupName"], "db");
    let bad = f.call("DescribeSecurityGroups", json!({"Filter": [{"Name": "colour", "Value": ["red"]}]})).unwrap_err();
    assert_eq!(bad.code, "InvalidParameterValue");
}

#[test]
fn cidr_arithmetic() {
    let big = Cidr::parse("10.0.0.0/16").unwrap();
    let small = Cidr::parse("10.0.3.0/24").unwrap();
    assert!(big.contains(&small) && !small.contains(&big) && small.overlaps(&big));
    assert!(!Cidr::parse("10.1.0.0/16").unwrap().overlaps(&big));
    assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
    assert!(Cidr::parse("10.0.0.0/33").is_err());
    assert!(Cidr::parse("nonsense").is_err());
}

#[test]
fn vpcs_peer_once_and_never_when_their_blocks_overlap() {
    let mut f = Fixture::new();
    let main = f.vpc();
    let make = |f: &mut Fixture, cidr: &str| {
        let answer = f.call("CreateVpc", json!({"CidrBlock": cidr})).unwrap();
        answer["Vpc"]["VpcId"].as_str().unwrap().to_string()
    };
    let overlapping = make(&mut f, "10.0.128.0/17");
    let office = make(&mut f, "192.168.0.0/16");
    let peer =
        |f: &mut Fixture, a: &str, b: &str| f.call("CreateVpcPeeringConnection", json!({"VpcId": a, "PeerVpcId": b}));
    assert_eq!(peer(&mut f, &main, &overlapping).unwrap_err().code, "InvalidVpcPeeringConnection.CidrOverlap");
    assert_eq!(peer(&mut f, &main, &main).unwrap_err().code, "InvalidVpcPeeringConnection.SameVpc");
    let made = peer(&mut f, &main, &office).unwrap();
    let id = made["VpcPeeringConnection"]["VpcPeeringConnectionId"].as_str().unwrap().to_string();
    assert_eq!(made["VpcPeeringConnection"]["State"], "active");
    assert_eq!(peer(&mut f, &office, &main).unwrap_err().code, "VpcPeeringConnection.Duplicate");
    let listed =
        f.call("DescribeVpcPeeringConnections", json!({"Filter": [{"Name": "vpc-id", "Value": [office]}]})).unwrap();
    assert_eq!(listed["VpcPeeringConnectionSet"].as_array().map(Vec::len), Some(1), "either side matches");
    f.call("DeleteVpcPeeringConnection", json!({"VpcPeeringConnectionId": id})).unwrap();
    let gone = f.call("DeleteVpcPeeringConnection", json!({"VpcPeeringConnectionId": id})).unwrap_err();
    assert_eq!(gone.code, "InvalidVpcPeeringConnection.NotFound");
}
