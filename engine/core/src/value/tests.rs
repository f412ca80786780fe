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
fn eq_unmarked_agrees_with_unmark_deep() {
    let marked = Value::object([
        ("a".to_string(), Value::string("x").mark_sensitive()),
        ("b".to_string(), Value::List(Type::Number, vec![Value::int(1), Value::int(2).mark_sensitive()])),
        ("m".to_string(), Value::Map(Type::String, [("k".to_string(), Value::string("v"))].into()).mark_sensitive()),
    ]);
    let bare = marked.clone().unmark_deep().0;
    let other = Value::object([
        ("a".to_string(), Value::string("x")),
        ("b".to_string(), Value::List(Type::Number, vec![Value::int(1), Value::int(3)])),
        ("m".to_string(), Value::Map(Type::String, [("k".to_string(), Value::string("v"))].into())),
    ]);
    let pairs = [(&marked, &bare), (&bare, &marked), (&marked, &marked), (&marked, &other), (&other, &bare)];
    for (a, b) in pairs {
        assert_eq!(a.eq_unmarked(b), a.clone().unmark_deep().0 == b.clone().unmark_deep().0);
    }
    assert!(marked.eq_unmarked(&bare));
    assert!(!marked.eq_unmarked(&other));
    assert!(!Value::List(Type::String, vec![]).eq_unmarked(&Value::List(Type::Number, vec![])));
}

#[test]
fn json_round_trip_with_type() {
    let ty = Type::Object([("n".to_string(), Type::Number), ("s".to_string(), Type::set(Type::String))].into());
    let json = serde_json::json!({"n": 3, "s": ["b", "a", "b"]});
    let value = Value::from_json(&json, &ty).unwrap();
    assert_eq!(value.to_json(), serde_json::json!({"n": 3, "s": ["a", "b"]}));
}

#[test]
fn objects_decode_whatever_the_order_of_their_json_attributes() {
    let ty = Type::Object(
        [("a", Type::String), ("b", Type::String), ("c", Type::Bool), ("z", Type::Number)]
            .into_iter()
            .map(|(k, t)| (k.to_string(), t))
            .collect(),
    );
    let expected = Value::object([
        ("a".to_string(), Value::Null(Type::String)),
        ("b".to_string(), Value::string("x")),
        ("c".to_string(), Value::Null(Type::Bool)),
        ("z".to_string(), Value::int(1)),
    ]);
    // Reversed, with an attribute the type no longer has, and in the type's order.
    let mut reversed = serde_json::Map::new();
    for (k, v) in [("z", serde_json::json!(1)), ("extra", serde_json::json!(true)), ("b", serde_json::json!("x"))] {
        reversed.insert(k.to_string(), v);
    }
    reversed.insert("a".to_string(), serde_json::Value::Null);
    let sorted = serde_json::json!({"a": null, "b": "x", "extra": true, "z": 1});
    for json in [serde_json::Value::Object(reversed), sorted] {
        assert_eq!(Value::from_json(&json, &ty).unwrap(), expected, "{json}");
    }
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

/// The machine-word shortcuts give exactly what the 512-bit paths give: the same
/// representation (mantissa, exponent, sign of zero), text, parse and order.
#[test]
fn machine_word_integers_match_the_general_paths() {
    use bigdecimal::BigDecimal;
    let exact = |d: BigDecimal| format!("{:?}", Number::from_big_decimal(d));
    let mut ints: Vec<i64> = vec![
        0,
        1,
        -1,
        2,
        3,
        7,
        10,
        100,
        1000,
        -1000,
        1 << 31,
        (1 << 53) + 1,
        1 << 62,
        -(1 << 62),
        123_456_789,
        1_000_000_000_000_000_000,
        i64::MAX,
        i64::MAX - 1,
        i64::MIN,
        i64::MIN + 1,
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..40 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ints.push((seed as i64) >> (seed % 60));
    }
    for &i in &ints {
        let n = Number::from(i);
        assert_eq!(format!("{n:?}"), exact(BigDecimal::from(i)), "from {i}");
        assert_eq!(n.to_string(), n.general_text(), "text of {i}");
        assert_eq!(n.to_string(), i.to_string());
        assert_eq!(n.to_i64(), Some(i));
        let parsed = Number::parse(&i.to_string()).unwrap();
        assert_eq!(format!("{parsed:?}"), format!("{:?}", Number::parse_general(&i.to_string()).unwrap()), "{i}");
        for &j in &ints {
            let m = Number::from(j);
            let (a, b) = (BigDecimal::from(i), BigDecimal::from(j));
            assert_eq!(format!("{:?}", n.add(&m)), exact(&a + &b), "{i} + {j}");
            assert_eq!(format!("{:?}", n.sub(&m)), exact(&a - &b), "{i} - {j}");
            if i != 0 && j != 0 {
                assert_eq!(format!("{:?}", n.mul(&m)), exact(&a * &b), "{i} * {j}");
            }
            if i != 0 && j != 0 && i128::from(i) % i128::from(j) == 0 {
                assert_eq!(format!("{:?}", n.div(&m)), exact(&a / &b), "{i} / {j}");
            }
            assert_eq!(n.cmp(&m), a.cmp(&b), "{i} <=> {j}");
        }
    }
    for text in ["0", "-0", "0000", "-0000", "007", "9999999999999999999", "18446744073709551615", "-12"] {
        let (fast, general) = (Number::parse(text).unwrap(), Number::parse_general(text).unwrap());
        assert_eq!(format!("{fast:?}"), format!("{general:?}"), "{text}");
        assert_eq!(fast.to_string(), general.general_text(), "{text}");
    }
    // Signs of zero results, as the general paths give them.
    assert_eq!(Number::from(-3).mul(&Number::from(0)).to_string(), "-0");
    assert_eq!(Number::from(0).neg().mul(&Number::from(5)).to_string(), "-0");
    assert_eq!(Number::from(0).div(&Number::from(-2)).to_string(), "-0");
    assert_eq!(Number::from(3).add(&Number::from(-3)).to_string(), "0");
    assert_eq!(Number::from(0).neg().add(&Number::from(0).neg()).to_string(), "-0");
    assert_eq!(Number::from(0).neg().add(&Number::from(4)).to_string(), "4");
    assert_eq!(Number::from(0).neg().cmp(&Number::from(0)), std::cmp::Ordering::Equal);
}

#[test]
fn unmarking_reports_every_mark_in_walk_order() {
    let inner = Value::object([("k".to_string(), Value::string("v").mark_sensitive())]).mark_sensitive();
    let value = Value::object([
        ("a".to_string(), inner),
        ("b".to_string(), Value::string("plain")),
        ("m".to_string(), Value::Map(Type::String, [("x".to_string(), Value::string("1").mark_sensitive())].into())),
        ("t".to_string(), Value::Tuple(vec![Value::int(1), Value::Tuple(vec![Value::int(2).mark_sensitive()])])),
    ]);
    let (bare, paths) = value.clone().unmark_deep();
    assert!(!bare.contains_sensitive());
    let texts: Vec<String> = paths.iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["a", "a.k", "m[\"x\"]", "t[1][0]"].map(str::to_string));
    assert_eq!(bare.mark_paths(&paths), value);
}
