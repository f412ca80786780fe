use serde_json::json;

use crate::security_group::AuthorizeSecurityGroupEntryRequest;
use crate::vpc::DescribeVpcsRequest;

#[test]
fn ids_and_filter_values_may_come_as_one_string() {
    let request: DescribeVpcsRequest =
        serde_json::from_value(json!({"VpcId": "vpc-1", "Filter": [{"Name": "vpc-name", "Value": "a"}]})).unwrap();
    assert_eq!(request.vpc_id, ["vpc-1"]);
    assert_eq!(request.filter[0].value, ["a"]);
    let none: DescribeVpcsRequest = serde_json::from_value(json!({"VpcId": null})).unwrap();
    assert!(none.vpc_id.is_empty());
}

#[test]
fn ports_may_come_as_numeric_strings() {
    let request: AuthorizeSecurityGroupEntryRequest =
        serde_json::from_value(json!({"PortRangeFrom": "22", "PortRangeTo": 23, "IcmpType": null})).unwrap();
    assert_eq!((request.port_range_from, request.port_range_to, request.icmp_type), (Some(22), Some(23), None));
    let bad = serde_json::from_value::<AuthorizeSecurityGroupEntryRequest>(json!({"PortRangeFrom": "x"}));
    assert!(bad.unwrap_err().to_string().contains("`x` is not an integer"));
}

#[test]
fn absent_optional_fields_stay_out_of_requests() {
    let body = serde_json::to_value(DescribeVpcsRequest { vpc_id: vec!["vpc-1".into()], filter: vec![] }).unwrap();
    assert_eq!(body, json!({"VpcId": ["vpc-1"]}));
}
