//! Wrong keys are found when a provider is configured (issue 12): KMR, Kylin and Kyligence
//! check their keys with one read call, so `corral plan` of a fresh configuration, which
//! otherwise calls nothing, already says the keys are refused, and an apply stops before its
//! first create. Only a refusal of the keys fails: a throttled check is left to later calls.

use std::process::Command;

use crate::support::{Output, Workdir, copy_dir, fixtures};

/// A fixture of `provider` with a provider block signing with `access_key`/`secret_key`.
struct Keyed {
    w: Workdir,
    provider: &'static str,
}

impl Keyed {
    fn new(provider: &'static str, fixture: &str) -> Keyed {
        let w = Workdir::new();
        copy_dir(&fixtures().join(fixture), w.path());
        Keyed { w, provider }
    }

    fn keys(&self, access_key: &str, secret_key: &str) {
        let provider = self.provider;
        self.w.write(
            "keys.hcl",
            &format!(
                "provider \"{provider}\" {{\n  access_key = \"{access_key}\"\n  secret_key = \"{secret_key}\"\n}}\n"
            ),
        );
    }

    fn command(&self, args: &[&str], faults: Option<&str>) -> Command {
        let mut command = self.w.command(args);
        command.env(corral_sandbox::TIME_SCALE_VAR, "1");
        match faults {
            Some(faults) => command.env(corral_sandbox::FAULTS_VAR, faults),
            None => command.env_remove(corral_sandbox::FAULTS_VAR),
        };
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        Output::from(self.command(args, None).output().unwrap())
    }

    /// The run fails, saying the keys are refused, with `code`, and how to set them.
    fn refused(&self, args: &[&str], code: &str, key_var: &str) {
        let out = self.run(args);
        assert_ne!(out.code, 0, "corral {args:?} succeeded with wrong keys:\n{}", out.stdout);
        let says = [
            format!("the `{}` provider's keys are refused by http://127.0.0.1:", self.provider),
            format!("{code}: "),
            "`access_key` and `secret_key`".to_string(),
            key_var.to_string(),
        ];
        for needle in says {
            assert!(out.stderr.contains(&needle), "no `{needle}` in:\n{}", out.stderr);
        }
        assert!(!out.stdout.contains("to add"), "no plan with refused keys:\n{}", out.stdout);
    }

    /// Every object the sandbox holds, as `corral sandbox inspect` shows them.
    fn sandbox_objects(&self) -> Vec<serde_json::Value> {
        let out = self.run(&["sandbox", "inspect", "--json"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    }
}

fn wrong_secret_fails_plan_and_apply_before_any_create(provider: &'static str, fixture: &str, secret_var: &str) {
    let k = Keyed::new(provider, fixture);
    k.keys(corral_sandbox::DEFAULT_ACCESS_KEY, "wrong");
    k.refused(&["plan"], "SignatureDoesNotMatch", secret_var);
    k.refused(&["apply", "--auto-approve"], "SignatureDoesNotMatch", secret_var);
    assert_eq!(k.sandbox_objects(), Vec::<serde_json::Value>::new(), "the refused apply created nothing");

    // The right keys in the same block plan every create.
    k.keys(corral_sandbox::DEFAULT_ACCESS_KEY, corral_sandbox::DEFAULT_SECRET_KEY);
    let out = k.run(&["plan"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("to add, 0 to change, 0 to destroy"), "{}", out.stdout);
}

#[test]
fn a_wrong_kmr_secret_fails_plan_and_apply_before_any_create() {
    wrong_secret_fails_plan_and_apply_before_any_create("kmr", "kmr/peering", "KSYUN_SECRET_KEY");
}

#[test]
fn a_wrong_kylin_secret_fails_plan_and_apply_before_any_create() {
    wrong_secret_fails_plan_and_apply_before_any_create("kylin", "kylin/cluster", "KYLIN_SECRET_KEY");
}

#[test]
fn a_wrong_kyligence_secret_fails_plan_and_apply_before_any_create() {
    wrong_secret_fails_plan_and_apply_before_any_create("kyligence", "kyligence/stack", "KYLIGENCE_SECRET_KEY");
}

#[test]
fn an_unknown_access_key_is_refused_at_plan() {
    let k = Keyed::new("kylin", "kylin/cluster");
    k.keys("AKLTnobodyHasThisKey", "whatever");
    k.refused(&["plan"], "InvalidAccessKeyId", "KYLIN_ACCESS_KEY");
}

#[test]
fn a_throttled_key_check_does_not_fail_plan() {
    // Every call is throttled: the check, made once, meets a 429 and lets configure pass;
    // a fresh configuration's plan calls nothing else.
    let k = Keyed::new("kmr", "kmr/peering");
    k.keys(corral_sandbox::DEFAULT_ACCESS_KEY, corral_sandbox::DEFAULT_SECRET_KEY);
    let out = Output::from(k.command(&["plan"], Some("throttle_rate=1")).output().unwrap());
    assert_eq!(out.code, 0, "a throttled check failed plan:\n{}", out.stderr);
    assert!(out.stdout.contains("to add, 0 to change, 0 to destroy"), "{}", out.stdout);
}

/// The `mrs/cluster` fixture with its provider block signing with a wrong secret, and
/// `settings` (lines) besides.
fn mrs_with_a_wrong_secret(settings: &str) -> Keyed {
    let k = Keyed::new("mrs", "mrs/cluster");
    let main = k.w.path().join("main.hcl");
    let text = std::fs::read_to_string(&main).unwrap();
    let block = "provider \"mrs\" {\n  endpoint = var.endpoint\n}";
    assert!(text.contains(block), "the fixture's provider block changed");
    let keyed = format!(
        "provider \"mrs\" {{\n  endpoint   = var.endpoint\n{settings}  access_key = \"{}\"\n  secret_key = \"wrong\"\n}}",
        corral_sandbox::DEFAULT_ACCESS_KEY
    );
    std::fs::write(&main, text.replace(block, &keyed)).unwrap();
    k
}

#[test]
fn a_wrong_mrs_secret_is_refused_at_plan_as_for_every_provider() {
    // MRS reads its project from IAM while configured: that call finds the wrong secret.
    mrs_with_a_wrong_secret("").refused(&["plan"], "APIGW.0301", "HW_SECRET_KEY");
}

#[test]
fn with_a_project_id_set_a_wrong_mrs_or_iam_secret_is_still_refused_at_plan() {
    // No project to look up: the keys are checked with the same read call all the same.
    let k = mrs_with_a_wrong_secret("  project_id = \"0123456789abcdef\"\n");
    k.refused(&["plan"], "APIGW.0301", "HW_SECRET_KEY");

    let k = Keyed { w: Workdir::new(), provider: "iam" };
    let config = |secret: &str| {
        format!(
            "provider \"iam\" {{\n  project_id = \"0123456789abcdef\"\n  access_key = \"{}\"\n  secret_key = \"{secret}\"\n}}\n\nresource \"iam_group\" \"g\" {{\n  name = \"analysts\"\n}}\n",
            corral_sandbox::DEFAULT_ACCESS_KEY
        )
    };
    k.w.write("main.hcl", &config("wrong"));
    k.refused(&["plan"], "APIGW.0301", "HW_SECRET_KEY");
    k.refused(&["apply", "-auto-approve"], "APIGW.0301", "HW_SECRET_KEY");
    // The right keys pass the check (the made-up project would fail the permission check,
    // which reads the project's policies).
    k.w.write("main.hcl", &config(corral_sandbox::DEFAULT_SECRET_KEY));
    let out = k.run(&["plan", "--skip-authz-check"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("1 to add"), "{}", out.stdout);
}
