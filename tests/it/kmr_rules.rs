//! Two `kmr_security_group_rule`s that describe one entry of a group are refused at plan
//! time, naming both: while the group is still to be created (its id unknown, the same
//! reference in both rules) and once it exists.

use crate::support::Workdir;

fn squeezed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

const NETWORK: &str = r#"
resource "kmr_vpc" "main" {
  name       = "main"
  cidr_block = "172.16.0.0/16"
}

resource "kmr_security_group" "web" {
  vpc_id = kmr_vpc.main.id
  name   = "web"
}

resource "kmr_security_group_rule" "office" {
  security_group_id = kmr_security_group.web.id
  direction         = "ingress"
  protocol          = "tcp"
  port_from         = 22
  port_to           = 22
  cidrs             = ["203.0.113.0/24", "10.0.0.0/8"]
}

# Rules that differ by their ports only are no duplicates.
resource "kmr_security_group_rule" "ports" {
  count             = 2
  security_group_id = kmr_security_group.web.id
  direction         = "ingress"
  protocol          = "tcp"
  port_from         = 8000 + count.index
  port_to           = 8000 + count.index
  cidrs             = ["10.0.0.0/8"]
}
"#;

fn rule(name: &str, cidrs: &str) -> String {
    format!(
        "\nresource \"kmr_security_group_rule\" \"{name}\" {{\n  security_group_id = kmr_security_group.web.id\n  direction         = \"ingress\"\n  protocol          = \"tcp\"\n  port_from         = 22\n  port_to           = 22\n  cidrs             = {cidrs}\n}}\n"
    )
}

#[test]
fn two_rules_for_one_entry_are_refused_at_plan_naming_both_before_and_after_the_group_exists() {
    let w = Workdir::new();
    // The group is created by this plan: its id is unknown, yet both rules name it with
    // the same reference.
    w.write("main.hcl", &format!("{NETWORK}{}", rule("ssh", r#"["10.0.0.0/8"]"#)));
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let err = squeezed(&out.stderr);
    assert!(
        err.contains("`kmr_security_group_rule.ssh` duplicates `kmr_security_group_rule.office`"),
        "{}",
        out.stderr
    );
    assert!(err.contains(r#"both list "10.0.0.0/8" in `cidrs`"#), "{}", out.stderr);
    assert!(err.contains("`kmr_security_group_rule.office` is declared here"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("duplicates `").count(), 1, "{}", out.stderr);

    // Apply the network without the duplicate, then add it again: the group's id is known.
    w.write("main.hcl", &format!("{NETWORK}{}", rule("ssh", r#"["192.0.2.0/24"]"#)));
    w.ok(&["apply", "-auto-approve"]);
    w.write(
        "main.hcl",
        &format!("{NETWORK}{}{}", rule("ssh", r#"["192.0.2.0/24"]"#), rule("again", r#"["192.0.2.0/24"]"#)),
    );
    let out = w.corral(&["plan"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let err = squeezed(&out.stderr);
    assert!(err.contains("`kmr_security_group_rule.again` duplicates `kmr_security_group_rule.ssh`"), "{}", out.stderr);
    assert!(err.contains(r#"both list "192.0.2.0/24""#), "{}", out.stderr);
    // The provider sees the entry in the group too, and names it.
    assert!(err.contains("already has this rule as entry sge-"), "{}", out.stderr);
    assert_eq!(out.stderr.matches("duplicates `").count(), 1, "told once: {}", out.stderr);
    // Without the duplicate, nothing to do.
    w.write("main.hcl", &format!("{NETWORK}{}", rule("ssh", r#"["192.0.2.0/24"]"#)));
    let out = w.corral(&["plan", "-detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}
