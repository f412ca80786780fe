use corral_core::value::{Path, PathStep, Type, Value};

use super::*;

fn config(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn report(diagnostics: &Diagnostics) -> Vec<(String, String)> {
    diagnostics
        .iter()
        .map(|d| (d.attribute.as_ref().map(ToString::to_string).unwrap_or_default(), d.summary.clone()))
        .collect()
}

#[test]
fn each_check_names_the_attribute_it_is_about() {
    let config = config(&[
        ("billing", Value::string("yearly")),
        ("port_from", Value::int(70000)),
        ("name", Value::string("x")),
        ("cidr", Value::string("10.0.0.1/16")),
        ("cidrs", Value::List(Type::String, vec![Value::string("192.168.0.0/24"), Value::string("nonsense")])),
        ("eip", Value::string("1.2.3.4")),
    ]);
    let mut checks = Checks::new("kmr_thing", &config);
    checks
        .one_of("billing", &["on_demand", "monthly", "trial"])
        .int_between("port_from", 1, 65535)
        .length_between("name", 2, 64)
        .matches("name", &regex::Regex::new("^[a-z]+$").unwrap(), "lower-case letters")
        .cidr_v4("cidr")
        .cidrs_v4("cidrs")
        .requires("eip", "subnet_id", "an EIP is bound in a subnet")
        .conflicts("name", "eip");
    let found = report(&checks.finish());
    assert_eq!(
        found,
        vec![
            (
                "billing".into(),
                "`billing` of `kmr_thing` must be one of `on_demand`, `monthly`, `trial`, not `yearly`".into()
            ),
            ("port_from".into(), "`port_from` of `kmr_thing` must be a whole number from 1 to 65535, not 70000".into()),
            ("name".into(), "`name` of `kmr_thing` must have 2 to 64 characters, not 1".into()),
            (
                "cidr".into(),
                "`cidr` of `kmr_thing`: `10.0.0.1/16` has host bits set; the block is `10.0.0.0/16`".into()
            ),
            (
                "cidrs[1]".into(),
                "`cidrs[1]` of `kmr_thing`: `nonsense` is not an IPv4 CIDR block like `10.0.0.0/16`".into()
            ),
            ("eip".into(), "`eip` of `kmr_thing` needs `subnet_id`: an EIP is bound in a subnet".into()),
            ("name".into(), "`name` and `eip` of `kmr_thing` cannot both be set".into()),
        ]
    );
    let diagnostics = {
        let mut checks = Checks::new("kmr_thing", &config);
        checks.cidrs_v4("cidrs");
        checks.finish()
    };
    assert_eq!(diagnostics.0[0].attribute, Some(Path(vec![PathStep::Attr("cidrs".into()), PathStep::Index(1)])));
}

#[test]
fn unknown_and_null_values_pass_until_they_are_known() {
    let config = config(&[
        ("billing", Value::Unknown(Type::String)),
        ("port_from", Value::Null(Type::Number)),
        ("cidrs", Value::Unknown(Type::list(Type::String))),
    ]);
    let mut checks = Checks::new("kmr_thing", &config);
    checks.one_of("billing", &["a"]).int_between("port_from", 1, 2).cidrs_v4("cidrs").cidr_v4("missing");
    assert!(checks.finish().is_empty());
}

#[test]
fn valid_values_pass() {
    assert_eq!(cidr_v4_problem("10.0.0.0/16"), None);
    assert_eq!(cidr_v4_problem("0.0.0.0/0"), None);
    assert!(cidr_v4_problem("10.0.0.0/33").is_some());
    assert!(cidr_v4_problem("10.0.0.0").is_some());
}

#[test]
fn required_attributes_are_named_and_set_ones_pass() {
    let config = config(&[("version", Value::string("5.3.0")), ("vpc_id", Value::Null(Type::String))]);
    let mut checks = Checks::new("kmr_thing", &config);
    checks.required(&["version", "vpc_id", "subnet_id"], Some("or name a source"));
    let diagnostics = checks.finish();
    assert_eq!(
        report(&diagnostics),
        vec![
            ("vpc_id".into(), "`vpc_id` of `kmr_thing` is required".into()),
            ("subnet_id".into(), "`subnet_id` of `kmr_thing` is required".into()),
        ]
    );
    assert!(diagnostics.iter().all(|d| d.help.as_deref() == Some("or name a source")));
}

#[test]
fn the_cidr_parser_refuses_what_the_check_refuses() {
    assert_eq!(parse_cidr_v4("10.0.0.0/16").map(|n| n.prefix_len()), Ok(16));
    for bad in ["10.0.0.0/33", "10.0.0.1/16", "10.0.0.0", "010.0.0.0/8", "10.0.0.0/+8", "::/0"] {
        assert!(parse_cidr_v4(bad).is_err(), "{bad}");
        assert_eq!(cidr_v4_problem(bad), parse_cidr_v4(bad).err());
    }
}
