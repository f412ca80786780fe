use super::*;

fn planned(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    let mut map = attributes(&Value::Object(BTreeMap::new()), &schema().block);
    for (k, v) in pairs {
        map.insert(k.to_string(), v.clone());
    }
    map
}

fn errors(d: &Diagnostics) -> String {
    d.iter()
        .map(|d| format!("{}: {}\n", d.attribute.as_ref().map(ToString::to_string).unwrap_or_default(), d.summary))
        .collect()
}

#[test]
fn the_services_rules_are_plan_errors_at_their_attribute() {
    let ok = planned(&[
        ("name", Value::string("wc")),
        ("type", Value::string("MapReduce")),
        ("program_path", Value::string("obs://jobs/wc.jar")),
    ]);
    assert!(!check(&ok).has_errors(), "{}", errors(&check(&ok)));
    let bad = planned(&[
        ("name", Value::string("word count")),
        ("type", Value::string("MapReduce")),
        ("program_path", Value::string("obs://jobs/wc.jar && rm")),
    ]);
    let text = errors(&check(&bad));
    assert!(text.contains("name: job name `word count`"), "{text}");
    assert!(text.contains("program_path: the program path"), "{text}");
    let no_program = planned(&[("name", Value::string("wc")), ("type", Value::string("SparkSubmit"))]);
    assert!(errors(&check(&no_program)).contains("type: a SparkSubmit job needs `program_path`"));
    let sql_elsewhere =
        planned(&[("name", Value::string("wc")), ("type", Value::string("Flink")), ("sql", Value::string("select 1"))]);
    assert!(errors(&check(&sql_elsewhere)).contains("sql: `sql` is for SparkSql and HiveSql jobs"));
    // Unknown values are not judged yet.
    let unknown = planned(&[("name", Value::Unknown(Type::String)), ("type", Value::Unknown(Type::String))]);
    assert!(!check(&unknown).has_errors());
}

#[test]
fn arguments_are_the_program_then_args_input_output_and_sql() {
    let job = planned(&[
        ("program_path", Value::string("obs://jobs/wc.jar")),
        ("args", Value::List(Type::String, vec![Value::string("wordcount")])),
        ("input", Value::string("obs://in")),
        ("output", Value::string("obs://out")),
    ]);
    assert_eq!(arguments(&job), ["obs://jobs/wc.jar", "wordcount", "obs://in", "obs://out"]);
    let sql = planned(&[("sql", Value::string("select 1"))]);
    assert_eq!(arguments(&sql), ["-e", "select 1"]);
}
