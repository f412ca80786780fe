use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::addr::{AbsResourceInstance, Target};
use crate::plan::{Action, ActionReason, OutputChange, Plan, PlanBasis, PlanOptions, ResourceChange};
use crate::secret::WorkspaceKey;
use crate::value::{Number, Path, PathStep, Type, Value};

fn key() -> WorkspaceKey {
    WorkspaceKey::from_bytes(&[3; 32]).unwrap()
}

fn obj(attrs: &[(&str, Value)]) -> Value {
    Value::object(attrs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn change(addr: &str, action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
    let addr: AbsResourceInstance = addr.parse().unwrap();
    ResourceChange {
        provider: "provider[\"corral/testing\"]".to_string(),
        type_name: addr.resource.type_name.clone(),
        addr,
        action,
        reason: None,
        before,
        after,
        replace_paths: Vec::new(),
        create_before_destroy: false,
        private: None,
        deposed: None,
        dependencies: Vec::new(),
    }
}

fn sample_plan() -> Plan {
    let tags = Value::Map(Type::String, [("env".to_string(), Value::string("dev"))].into());
    let mut replaced = change(
        "module.net[\"eu\"].testing_thing.b[0]",
        Action::DeleteThenCreate,
        Some(obj(&[("id", Value::string("old")), ("name", Value::string("x"))])),
        Some(obj(&[("id", Value::Unknown(Type::String)), ("name", Value::string("y"))])),
    );
    replaced.reason = Some(ActionReason::ReplaceBecauseCannotUpdate);
    replaced.replace_paths = vec![Path::attr("name")];
    replaced.private = Some(vec![0, 1, 254]);
    let mut deleted = change(
        "testing_thing.gone",
        Action::Delete,
        Some(obj(&[("id", Value::string("g")), ("secret", Value::string("s").mark_sensitive())])),
        None,
    );
    deleted.reason = Some(ActionReason::DeleteBecauseNoResourceConfig);
    Plan {
        basis: PlanBasis {
            workspace: "default".to_string(),
            state_lineage: uuid::Uuid::from_u128(0x1234),
            state_serial: 7,
            config_hash: "abc123".to_string(),
        },
        timestamp: Some("2026-01-02T03:04:05Z".to_string()),
        options: PlanOptions {
            destroy: false,
            refresh: true,
            targets: vec!["module.net".parse::<Target>().unwrap(), "testing_thing.a".parse().unwrap()],
            excludes: vec!["testing_thing.b[1]".parse().unwrap()],
            replace: vec!["testing_thing.a[\"k\"]".parse().unwrap()],
            generate_config: false,
            refresh_only: false,
            skip_authz_check: false,
        },
        variables: [
            ("region".to_string(), Value::string("eu")),
            ("password".to_string(), Value::string("hunter2").mark_sensitive()),
        ]
        .into(),
        write_only_variables: Default::default(),
        imports: Default::default(),
        changes: vec![
            change(
                "testing_thing.a",
                Action::Create,
                None,
                Some(obj(&[
                    ("id", Value::Unknown(Type::String)),
                    ("name", Value::string("a")),
                    ("tags", tags.clone()),
                    ("size", Value::Number(Number::from_f64(1.5))),
                ])),
            ),
            change(
                "data.testing_thing.d",
                Action::NoOp,
                Some(obj(&[("id", Value::string("d"))])),
                Some(obj(&[("id", Value::string("d"))])),
            ),
            replaced,
            deleted,
        ],
        output_changes: vec![OutputChange {
            name: "ip".to_string(),
            action: Action::Update,
            before: Some(Value::string("1.1.1.1")),
            after: Some(Value::Unknown(Type::String)),
            sensitive: true,
        }],
        drift: vec![change(
            "testing_thing.c",
            Action::Update,
            Some(obj(&[("payload", Value::string("p"))])),
            Some(obj(&[("payload", Value::string("edited"))])),
        )],
        checks: vec![crate::runtime::CheckResult {
            module: crate::addr::ModuleInstance::root(),
            name: "health".to_string(),
            status: crate::runtime::CheckStatus::Fail,
            problems: vec!["the service is down".to_string()],
        }],
        deferred: Vec::new(),
    }
}

#[test]
fn check_results_are_in_plan_json_as_terraform_writes_them() {
    let json = plan_to_json(&sample_plan(), None, &Default::default());
    assert_eq!(
        json["checks"],
        serde_json::json!([{
            "address": {"kind": "check", "name": "health", "to_display": "check.health"},
            "status": "fail",
            "instances": [{
                "address": {"to_display": "check.health"},
                "status": "fail",
                "problems": [{"message": "the service is down"}],
            }],
        }])
    );
}

#[test]
fn plan_json_is_terraform_shaped() {
    let mut json = plan_to_json(&sample_plan(), None, &Default::default());
    // The version changes with every release; the snapshot is about the shape.
    json["corral_version"] = "[VERSION]".into();
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn plan_json_marks_unknowns_and_sensitive_values() {
    let json = plan_to_json(&sample_plan(), None, &Default::default());
    let create = &json["resource_changes"][0];
    assert_eq!(create["change"]["after"]["id"], serde_json::Value::Null);
    assert_eq!(create["change"]["after_unknown"], serde_json::json!({"id": true, "tags": {}}));
    let delete = &json["resource_changes"][3];
    // Written in the clear, as Terraform does, with a mask.
    assert_eq!(delete["change"]["before"]["secret"], "s");
    assert_eq!(delete["change"]["before_sensitive"], serde_json::json!({"secret": true}));
    assert_eq!(delete["change"]["after_unknown"], false);
    assert_eq!(delete["action_reason"], "delete_because_no_resource_config");
    assert_eq!(json["resource_changes"][2]["index"], 0);
    assert_eq!(json["resource_changes"][2]["module_address"], "module.net[\"eu\"]");
    assert_eq!(json["resource_changes"][2]["change"]["replace_paths"], serde_json::json!([["name"]]));
    assert_eq!(json["resource_changes"][1]["mode"], "data");
    assert_eq!(json["applyable"], true);
}

#[test]
fn plan_file_round_trips_a_plan() {
    let plan = sample_plan();
    let bytes = write_plan_file(&plan, &key());
    assert_eq!(read_plan_file(&bytes, &key()).unwrap(), plan);
}

/// A plan that imports one object (and updates it) and forgets another.
fn importing_plan() -> Plan {
    let mut plan = sample_plan();
    let thing = obj(&[("id", Value::string("t-1")), ("payload", Value::string("p"))]);
    let updated = obj(&[("id", Value::string("t-1")), ("payload", Value::string("q"))]);
    plan.changes = vec![
        change("testing_thing.i", Action::Update, Some(thing.clone()), Some(updated)),
        change("testing_thing.f", Action::Forget, Some(thing), None),
    ];
    plan.imports = [("testing_thing.i".parse().unwrap(), "t-1".to_string())].into();
    plan
}

#[test]
fn imports_and_forgotten_objects_are_in_plan_json_and_plan_files() {
    let json = plan_to_json(&importing_plan(), None, &Default::default());
    let imported = &json["resource_changes"][0];
    assert_eq!(imported["change"]["importing"], serde_json::json!({"id": "t-1"}));
    assert_eq!(imported["change"]["actions"], serde_json::json!(["update"]));
    let forgotten = &json["resource_changes"][1];
    assert_eq!(forgotten["change"]["actions"], serde_json::json!(["forget"]));
    assert!(forgotten["change"].get("importing").is_none());
    let planned = serde_json::to_string(&json["planned_values"]).unwrap();
    assert!(!planned.contains("testing_thing.f"), "a forgotten object is not planned: {planned}");

    let plan = importing_plan();
    let key = key();
    assert_eq!(read_plan_file(&write_plan_file(&plan, &key), &key).unwrap(), plan);
}

#[test]
fn deferred_objects_are_in_plan_files_and_in_plan_json() {
    use crate::plan::{DeferredChange, DeferredReason};
    let mut plan = sample_plan();
    plan.deferred = vec![
        DeferredChange {
            address: r#"module.m["a"].testing_thing.t"#.to_string(),
            module: r#"module.m["a"]"#.to_string(),
            resource: Some(crate::addr::ResourceAddr::managed("testing_thing", "t")),
            reason: DeferredReason::InstanceCountUnknown,
            detail: "for_each depends on testing_thing.c, known after apply".to_string(),
            existing: vec![r#"module.m["a"].testing_thing.t["x"]"#.parse().unwrap()],
        },
        DeferredChange {
            address: "output.ids".to_string(),
            module: String::new(),
            resource: None,
            reason: DeferredReason::DeferredPrereq,
            detail: "depends on deferred testing_thing.t".to_string(),
            existing: Vec::new(),
        },
    ];
    let key = key();
    assert_eq!(read_plan_file(&write_plan_file(&plan, &key), &key).unwrap(), plan);
    let json = plan_to_json(&plan, None, &Default::default());
    assert_eq!(json["complete"], false);
    let deferred = json["deferred_changes"].as_array().unwrap();
    assert_eq!(deferred.len(), 1, "outputs are not resources: {deferred:?}");
    assert_eq!(deferred[0]["reason"], "instance_count_unknown");
    assert_eq!(deferred[0]["resource_change"]["module_address"], r#"module.m["a"]"#);
    assert_eq!(deferred[0]["resource_change"]["change"]["actions"], serde_json::json!(["create"]));
}

#[test]
fn plan_file_keeps_values_json_cannot_hold() {
    let tricky = Value::Tuple(vec![
        Value::Number(Number::from_f64(-0.0)),
        Value::Number(Number::from_f64(f64::INFINITY)),
        Value::Number(Number::from_f64(0.1)),
        Value::Number(Number::parse("170141183460469231731687303715884105727").unwrap()),
        // Two unknown elements of a set stay two.
        Value::Set(Type::String, vec![Value::Unknown(Type::String), Value::Unknown(Type::String)]),
        Value::Sensitive(Box::new(Value::Unknown(Type::Number))),
        Value::Null(Type::list(Type::Bool)),
    ]);
    let mut plan = sample_plan();
    plan.variables.insert("tricky".to_string(), tricky);
    assert_eq!(read_plan_file(&write_plan_file(&plan, &key()), &key()).unwrap(), plan);
}

#[test]
fn plan_file_errors_say_what_is_wrong() {
    assert!(matches!(read_plan_file(b"not json", &key()), Err(PlanFileError::NotAPlanFile { .. })));
    assert!(matches!(read_plan_file(b"{\"format\": \"other\"}", &key()), Err(PlanFileError::NotAPlanFile { .. })));
    let bytes = write_plan_file(&sample_plan(), &key());
    let mut document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    document["format_version"] = 99.into();
    let error = read_plan_file(&serde_json::to_vec(&document).unwrap(), &key()).unwrap_err();
    assert!(matches!(error, PlanFileError::UnsupportedVersion { found: 99, supported: PLAN_FILE_VERSION }));
    // Version 1 files (no MAC, secrets in the clear) are not read.
    document["format_version"] = 1.into();
    let error = read_plan_file(&serde_json::to_vec(&document).unwrap(), &key()).unwrap_err();
    assert!(matches!(error, PlanFileError::UnsupportedVersion { found: 1, .. }));
}

#[test]
fn an_edited_plan_file_or_another_workspaces_key_is_refused() {
    let bytes = write_plan_file(&sample_plan(), &key());
    let text = String::from_utf8(bytes.clone()).unwrap();
    // A no-op turned into a delete.
    assert!(text.contains("\"action\": \"no-op\""), "{text}");
    let edited = text.replacen("\"action\": \"no-op\"", "\"action\": \"delete\"", 1);
    assert!(matches!(read_plan_file(edited.as_bytes(), &key()), Err(PlanFileError::Tampered)));
    // Re-serialised (same content, other bytes) still changes what the MAC covers.
    let mut document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    document["plan"]["basis"]["state_serial"] = 8.into();
    assert!(matches!(read_plan_file(&serde_json::to_vec(&document).unwrap(), &key()), Err(PlanFileError::Tampered)));
    document["mac"] = "nonsense".into();
    assert!(matches!(read_plan_file(&serde_json::to_vec(&document).unwrap(), &key()), Err(PlanFileError::Tampered)));
    let other = WorkspaceKey::from_bytes(&[4; 32]).unwrap();
    assert!(matches!(read_plan_file(&bytes, &other), Err(PlanFileError::Tampered)));
}

#[test]
fn a_plan_file_holds_no_secret_in_the_clear_and_no_write_only_variable_at_all() {
    let mut plan = sample_plan();
    plan.variables.insert("admin_pw".to_string(), Value::string("Sup3rSecretPw!").mark_sensitive());
    plan.write_only_variables.insert("admin_pw".to_string(), "hmac-sha256:00".to_string());
    plan.output_changes[0].after = Some(Value::string("out-secret"));
    plan.output_changes[0].sensitive = true;
    let bytes = write_plan_file(&plan, &key());
    let text = String::from_utf8(bytes.clone()).unwrap();
    for secret in ["Sup3rSecretPw!", "hunter2", "out-secret"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("\"region\""), "non-sensitive values stay readable: {text}");
    assert!(!text.contains("0001fe"), "provider private data is sealed too: {text}");
    let read = read_plan_file(&bytes, &key()).unwrap();
    assert!(!read.variables.contains_key("admin_pw"));
    assert_eq!(read.write_only_variables, plan.write_only_variables);
    assert_eq!(read.variables["password"], plan.variables["password"], "sensitive values are sealed, not lost");
    assert_eq!(read.output_changes, plan.output_changes);
    assert_eq!(read.changes, plan.changes);
    let json = plan_to_json(&plan, None, &Default::default()).to_string();
    assert!(!json.contains("Sup3rSecretPw!"), "{json}");
    assert_eq!(
        plan_to_json(&plan, None, &Default::default())["variables"]["password"],
        serde_json::json!({"value": "hunter2", "sensitive": true})
    );
}

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![Just(Type::Bool), Just(Type::Number), Just(Type::String)];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z]{1,3}", inner.clone(), 0..3).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Number::from_f64),
        Just(Number::from_f64(-0.0)),
        Just(Number::from_f64(f64::NEG_INFINITY)),
    ]
}

/// A well-typed value of `ty`, with nulls, unknowns and sensitive marks at any depth.
fn arb_value(ty: Type) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty.clone() {
        Type::Dynamic => Just(Value::null()).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => "\\PC{0,6}".prop_map(Value::String).boxed(),
        Type::List(elem) => prop::collection::vec(arb_value(*elem.clone()), 0..3)
            .prop_map(move |items| Value::List(*elem.clone(), items))
            .boxed(),
        Type::Set(elem) => prop::collection::vec(arb_value(*elem.clone()), 0..3)
            .prop_map(move |items| Value::new_set(*elem.clone(), items))
            .boxed(),
        Type::Map(elem) => prop::collection::btree_map("[a-z]{0,3}", arb_value(*elem.clone()), 0..3)
            .prop_map(move |items| Value::Map(*elem.clone(), items))
            .boxed(),
        Type::Object(attrs) => {
            let parts: Vec<BoxedStrategy<(String, Value)>> = attrs
                .into_iter()
                .map(|(name, attr_ty)| arb_value(attr_ty).prop_map(move |v| (name.clone(), v)).boxed())
                .collect();
            parts.prop_map(|entries| Value::Object(entries.into_iter().collect::<BTreeMap<_, _>>())).boxed()
        }
        Type::Tuple(elems) => {
            let parts: Vec<BoxedStrategy<Value>> = elems.into_iter().map(arb_value).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
    };
    let null_ty = ty.clone();
    let unknown_ty = ty;
    let plain = prop_oneof![
        6 => known,
        1 => Just(Value::Null(null_ty)),
        1 => Just(Value::Unknown(unknown_ty)),
    ];
    (plain, prop::bool::weighted(0.15)).prop_map(|(v, sensitive)| v.marked_if(sensitive)).boxed()
}

fn arb_typed_value() -> impl Strategy<Value = Value> {
    arb_type().prop_flat_map(arb_value)
}

proptest! {
    #[test]
    fn plan_file_round_trips_any_value(before in arb_typed_value(), after in arb_typed_value()) {
        let mut plan = sample_plan();
        plan.variables.insert("v".to_string(), before.clone());
        plan.changes[0].before = Some(before.clone());
        plan.changes[0].after = Some(after.clone());
        plan.output_changes[0].after = Some(after);
        let read = read_plan_file(&write_plan_file(&plan, &key()), &key()).unwrap();
        prop_assert_eq!(read, plan);
    }
}

#[test]
fn path_json_uses_terraform_steps() {
    let path = Path(vec![PathStep::Attr("rules".into()), PathStep::Index(2), PathStep::Key("k".into())]);
    assert_eq!(path_to_json(&path), serde_json::json!(["rules", 2, "k"]));
}

fn config_expr(text: &str) -> crate::config::Expr {
    crate::lang::parse_expr(text, crate::diag::FileId(0)).unwrap()
}

fn reference_texts_of(text: &str) -> Vec<String> {
    crate::lang::references(&config_expr(text)).iter().flat_map(json_config::reference_texts).collect()
}

#[test]
fn references_are_listed_as_terraform_lists_them() {
    assert_eq!(reference_texts_of("var.x"), ["var.x"]);
    assert_eq!(reference_texts_of("var.x.y[0]"), ["var.x.y[0]", "var.x.y", "var.x"]);
    assert_eq!(reference_texts_of("kmr_vpc.main.id"), ["kmr_vpc.main.id", "kmr_vpc.main"]);
    assert_eq!(reference_texts_of("kmr_vpc.main[0].id"), ["kmr_vpc.main[0].id", "kmr_vpc.main[0]", "kmr_vpc.main"]);
    assert_eq!(reference_texts_of("data.kmr_cluster.c.id"), ["data.kmr_cluster.c.id", "data.kmr_cluster.c"]);
    assert_eq!(reference_texts_of("module.net.vpc_id"), ["module.net.vpc_id", "module.net"]);
    assert_eq!(reference_texts_of("module.net[\"eu\"].vpc_id"), ["module.net[\"eu\"].vpc_id", "module.net[\"eu\"]"]);
    assert_eq!(reference_texts_of("module.net[0]"), ["module.net[0]", "module.net"]);
    assert_eq!(reference_texts_of("each.value.port"), ["each.value.port", "each.value"]);
    assert_eq!(reference_texts_of("count.index"), ["count.index"]);
    assert_eq!(reference_texts_of("t.a[*].name"), ["t.a"]);
    assert_eq!(reference_texts_of("\"${var.a}-${local.b}\""), ["var.a", "local.b"]);
    assert_eq!(reference_texts_of("[for s in var.list : s.id]"), ["var.list"]);
}

#[test]
fn constants_are_what_evaluates_without_references_or_functions() {
    let constant = |text: &str| json_config::constant(&config_expr(text)).map(|v| v.to_json());
    assert_eq!(constant("\"ingress\""), Some(serde_json::json!("ingress")));
    assert_eq!(constant("[for i in [1, 2] : i * 2]"), Some(serde_json::json!([2, 4])));
    assert_eq!(constant("{ ssh = 22 }"), Some(serde_json::json!({"ssh": 22})));
    assert_eq!(constant("null"), Some(serde_json::Value::Null));
    // As Terraform evaluates with no context: no functions, no references.
    assert_eq!(constant("upper(\"abc\")"), None);
    assert_eq!(constant("var.x"), None);
    assert_eq!(constant("\"a-${var.x}\""), None);
}
