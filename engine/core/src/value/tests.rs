use super::*;

#[test]
fn sensitive_marks_round_trip_through_paths() {
    let value = Value::object([
        ("a".to_string(), Value::string("x").mark_sensitive()),
        ("b".to_string(), Value::List(Type::Number, vec![Value::int(1), Value::int(2).mark_sensitive()])),
    ]);
    let (bare, paths) = value.clone().unmark_deep();
    assert!(!bare.contains_sensitive());
    assert_eq!(paths.len(), 2);
    assert_eq!(bare.mark_paths(&paths), value);
}

#[test]
fn json_round_trip_with_type() {
    let ty = Type::Object([("n".to_string(), Type::Number), ("s".to_string(), Type::set(Type::String))].into());
    let json = serde_json::json!({"n": 3, "s": ["b", "a", "b"]});
    let value = Value::from_json(&json, &ty).unwrap();
    assert_eq!(value.to_json(), serde_json::json!({"n": 3, "s": ["a", "b"]}));
}

#[test]
fn numbers_stay_exact() {
    let n = Number::parse("9007199254740993").unwrap();
    assert_eq!(n.to_string(), "9007199254740993");
    assert_eq!(n.add(&Number::from(0)).to_string(), "9007199254740993");
    let big = Number::parse("100000000000").unwrap();
    assert_eq!(big.mul(&big).to_string(), "10000000000000000000000");
    assert_eq!(Number::parse("1e21").unwrap().to_string(), "1000000000000000000000");
    assert_eq!(Number::parse("0.1").unwrap().add(&Number::parse("0.2").unwrap()), Number::parse("0.3").unwrap());
    assert_eq!(Number::parse("123456789.123456789").unwrap().to_string(), "123456789.123456789");
    assert_eq!(Number::from(7).div(&Number::from(2)).to_string(), "3.5");
    assert_eq!(Number::from(i64::MAX).add(&Number::from(1)).to_string(), "9223372036854775808");
}

#[test]
fn number_edge_cases() {
    assert_eq!(Number::from(0).neg().to_string(), "-0");
    assert_eq!(Number::from(-1).div(&Number::from(0)).to_string(), "-Inf");
    assert!(Number::from(1).div(&Number::from(0)).to_json().is_none());
    assert_eq!(Number::from(7).rem(&Number::from(-3)), Some(Number::from(1)));
    assert_eq!(Number::from(5).rem(&Number::from(0)), Some(Number::from(5)));
    assert_eq!(Number::parse(".5").unwrap().to_string(), "0.5");
    for bad in [" 1", "0x10", "1_000", "abc", "", "-", "1.", "+1"] {
        assert!(Number::parse(bad).is_none(), "{bad:?} should not parse");
    }
    assert_eq!(Number::parse("1.5").unwrap().floor(), Number::from(1));
    assert_eq!(Number::parse("-1.5").unwrap().ceil().to_string(), "-1");
    assert_eq!(Number::from_f64(0.1).to_string(), "0.1");
    assert!(Number::from(-2) < Number::from(1).div(&Number::from(0)));
    assert_eq!(Number::parse("12").unwrap().to_json(), Some(serde_json::Number::from(12)));
}

#[test]
fn numbers_are_512_bit_floats_printed_shortest() {
    let third = Number::from(1).div(&Number::parse("3").unwrap());
    assert_eq!(third.to_string(), format!("0.{}5", "3".repeat(154)));
    let huge = "123456789012345678901234567890123456789012345678901234567890";
    assert_eq!(Number::parse(huge).unwrap().to_string(), huge);
    assert_eq!(Number::from_f64(2f64.sqrt()).to_string(), "1.4142135623730951");
    assert_eq!(Number::parse("1e-3").unwrap().mul(&Number::parse("1000").unwrap()), Number::from(1));
    assert_eq!(Number::parse("2.5").unwrap().to_f64(), 2.5);
    assert_eq!(Number::parse("-7.25").unwrap().trunc(), Number::from(-7));
    assert_eq!(Number::parse("1e400000").unwrap().to_string(), "+Inf");
    assert!(Number::parse("1e-400000").unwrap().is_zero());
}

#[test]
fn every_number_reads_back_from_its_text() {
    let third = Number::from(1).div(&Number::from(3));
    let samples = [
        third.clone(),
        third.mul(&Number::from_f64(0.1)),
        Number::from_f64(0.1),
        Number::from_f64(2f64.sqrt()),
        Number::from_f64(1e-300),
        Number::parse("1e300").unwrap().div(&Number::from(7)),
        Number::from(-7).div(&Number::from(3)),
    ];
    for n in samples {
        assert_eq!(Number::parse(&n.to_string()).as_ref(), Some(&n), "{n}");
    }
}
