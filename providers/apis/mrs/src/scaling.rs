//! Auto-scaling policies (research.md §1.3): task node groups only; min/max capacity 0–500;
//! resource plans (daily windows of at least 30 minutes); rules with a trigger and a cool-down;
//! scripts run around a scale. [`AutoScalingPolicy::check`] applies the service's rules, so
//! the provider refuses at plan time what the service would refuse.

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AutoScalingPolicy {
    pub auto_scaling_enable: bool,
    pub min_capacity: u32,
    pub max_capacity: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources_plans: Vec<ResourcesPlan>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec_scripts: Vec<ExecScript>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResourcesPlan {
    /// `daily`.
    pub period_type: String,
    /// `HH:mm`.
    pub start_time: String,
    pub end_time: String,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// `scale_out` | `scale_in`.
    pub adjustment_type: String,
    pub cool_down_minutes: u32,
    pub scaling_adjustment: u32,
    pub trigger: Trigger,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trigger {
    pub metric_name: String,
    pub metric_value: String,
    /// `LT` | `GT` | `LTOE` | `GTOE`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comparison_operator: String,
    pub evaluation_periods: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExecScript {
    pub name: String,
    pub uri: String,
    #[serde(default)]
    pub parameters: String,
    pub nodes: Vec<String>,
    #[serde(default)]
    pub active_master: bool,
    /// `before_scale_out` | `before_scale_in` | `after_scale_out` | `after_scale_in`.
    pub action_stage: String,
    /// `continue` | `errorout`.
    pub fail_action: String,
}

/// `POST /v1.1/{pid}/autoscaling-policy/{id}`: the policy of one node group.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScalingPolicyRequest {
    pub node_group: String,
    #[serde(default = "default_pool")]
    pub resource_pool_name: String,
    pub auto_scaling_policy: AutoScalingPolicy,
}

fn default_pool() -> String {
    "default".into()
}

fn minutes(hhmm: &str) -> Option<u32> {
    let (h, m) = hhmm.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && hhmm.len() == 5).then_some(h * 60 + m)
}

/// One broken rule: where (the API's field path, `rules[0].trigger.metric_value`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

/// The node groups a policy may govern: task groups only (core nodes hold HDFS data, the
/// master count never changes).
pub fn check_node_group(group: &str) -> Result<(), String> {
    if group.starts_with("task_node")
        || (!group.starts_with("core_node") && !group.starts_with("master_node") && group.starts_with("node_group"))
    {
        Ok(())
    } else {
        Err(format!("`{group}` is not a task node group: MRS auto-scales task nodes only"))
    }
}

/// The most nodes a policy may ask for.
pub const MAX_CAPACITY: u32 = 500;
/// The longest cool-down, in minutes (one week).
pub const MAX_COOL_DOWN_MINUTES: u32 = 10_080;
/// The cool-down MRS applies when a rule names none.
pub const DEFAULT_COOL_DOWN_MINUTES: u32 = 20;
/// Five-minute periods a trigger's threshold must hold, at most (one day).
pub const MAX_EVALUATION_PERIODS: u32 = 288;
pub const COMPARISON_OPERATORS: &[&str] = &["LT", "GT", "LTOE", "GTOE"];
pub const ADJUSTMENT_TYPES: &[&str] = &["scale_out", "scale_in"];
pub const ACTION_STAGES: &[&str] = &["before_scale_out", "before_scale_in", "after_scale_out", "after_scale_in"];
pub const FAIL_ACTIONS: &[&str] = &["continue", "errorout"];
pub const SCRIPT_NODES: &[&str] = &["Master", "Core", "Task"];

fn is_name(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.chars().count()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A metric value: a whole number or one with at most two decimals.
fn is_metric_value(value: &str) -> bool {
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    let whole = whole.strip_prefix('-').unwrap_or(whole);
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && decimals.len() <= 2
        && decimals.chars().all(|c| c.is_ascii_digit())
        && !(value.contains('.') && decimals.is_empty())
}

impl AutoScalingPolicy {
    /// The service's rules; the first broken one, naming its field.
    pub fn check(&self) -> Result<(), String> {
        match self.problems().into_iter().next() {
            None => Ok(()),
            Some(p) => Err(format!("{}: {}", p.path, p.message)),
        }
    }

    /// Every broken rule, each with its field.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |path: String, message: String| out.push(Problem { path, message });
        let capacity = |at: &str, min: u32, max: u32, push: &mut dyn FnMut(String, String)| {
            if max > MAX_CAPACITY {
                push(format!("{at}max_capacity"), format!("max_capacity {max} is above {MAX_CAPACITY}"));
            }
            if min > max {
                push(format!("{at}min_capacity"), format!("min_capacity {min} is above max_capacity {max}"));
            }
        };
        capacity("", self.min_capacity, self.max_capacity, &mut push);
        for (i, plan) in self.resources_plans.iter().enumerate() {
            let at = format!("resources_plans[{i}].");
            if plan.period_type != "daily" {
                push(format!("{at}period_type"), format!("period_type `{}` must be `daily`", plan.period_type));
            }
            capacity(&at, plan.min_capacity, plan.max_capacity, &mut push);
            match (minutes(&plan.start_time), minutes(&plan.end_time)) {
                (None, _) => push(format!("{at}start_time"), format!("start_time `{}` is not HH:mm", plan.start_time)),
                (_, None) => push(format!("{at}end_time"), format!("end_time `{}` is not HH:mm", plan.end_time)),
                (Some(start), Some(end)) if end < start + 30 => push(
                    format!("{at}end_time"),
                    format!("the window {}–{} is shorter than 30 minutes", plan.start_time, plan.end_time),
                ),
                _ => {}
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("rules[{i}].");
            if !is_name(&rule.name, 64) {
                push(format!("{at}name"), format!("name `{}` must be 1–64 of letters, digits, `_`, `-`", rule.name));
            } else if !names.insert(rule.name.as_str()) {
                push(format!("{at}name"), format!("name `{}` is used by another rule of the group", rule.name));
            }
            if rule.description.chars().count() > 1024 {
                push(format!("{at}description"), "description is longer than 1024 characters".into());
            }
            if !ADJUSTMENT_TYPES.contains(&rule.adjustment_type.as_str()) {
                push(
                    format!("{at}adjustment_type"),
                    format!("adjustment_type `{}` must be scale_out or scale_in", rule.adjustment_type),
                );
            }
            if rule.cool_down_minutes > MAX_COOL_DOWN_MINUTES {
                push(
                    format!("{at}cool_down_minutes"),
                    format!("cool_down_minutes {} is above {MAX_COOL_DOWN_MINUTES} (one week)", rule.cool_down_minutes),
                );
            }
            if !(1..=100).contains(&rule.scaling_adjustment) {
                push(
                    format!("{at}scaling_adjustment"),
                    format!("scaling_adjustment {} is outside 1–100 nodes", rule.scaling_adjustment),
                );
            }
            let trigger = &rule.trigger;
            if trigger.metric_name.is_empty() || trigger.metric_name.chars().count() > 64 {
                push(format!("{at}trigger.metric_name"), "metric_name must be 1–64 characters".into());
            }
            if !is_metric_value(&trigger.metric_value) {
                push(
                    format!("{at}trigger.metric_value"),
                    format!("metric_value `{}` must be a number with at most two decimals", trigger.metric_value),
                );
            }
            if !COMPARISON_OPERATORS.contains(&trigger.comparison_operator.as_str()) {
                push(
                    format!("{at}trigger.comparison_operator"),
                    format!("comparison_operator `{}` must be LT, GT, LTOE or GTOE", trigger.comparison_operator),
                );
            }
            if !(1..=MAX_EVALUATION_PERIODS).contains(&trigger.evaluation_periods) {
                push(
                    format!("{at}trigger.evaluation_periods"),
                    format!(
                        "evaluation_periods {} is outside 1–{MAX_EVALUATION_PERIODS} five-minute periods",
                        trigger.evaluation_periods
                    ),
                );
            }
        }
        for (i, script) in self.exec_scripts.iter().enumerate() {
            let at = format!("exec_scripts[{i}].");
            if !is_name(&script.name, 64) {
                push(format!("{at}name"), format!("name `{}` must be 1–64 of letters, digits, `_`, `-`", script.name));
            }
            if !(script.uri.starts_with("obs://") || script.uri.starts_with("s3a://")) || !script.uri.ends_with(".sh") {
                push(format!("{at}uri"), format!("uri `{}` must be a `.sh` script on OBS (`obs://...`)", script.uri));
            }
            if script.nodes.is_empty() {
                push(format!("{at}nodes"), "nodes must name at least one of Master, Core, Task".into());
            }
            for node in &script.nodes {
                if !SCRIPT_NODES.contains(&node.as_str()) {
                    push(format!("{at}nodes"), format!("`{node}` is not Master, Core or Task"));
                }
            }
            if !ACTION_STAGES.contains(&script.action_stage.as_str()) {
                push(format!("{at}action_stage"), format!("action_stage `{}` is not a stage", script.action_stage));
            }
            if !FAIL_ACTIONS.contains(&script.fail_action.as_str()) {
                push(
                    format!("{at}fail_action"),
                    format!("fail_action `{}` must be continue or errorout", script.fail_action),
                );
            } else if script.action_stage == "after_scale_in" && script.fail_action != "continue" {
                push(
                    format!("{at}fail_action"),
                    "fail_action must be `continue` after_scale_in (the nodes are already gone)".into(),
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str) -> Rule {
        Rule {
            name: name.into(),
            description: String::new(),
            adjustment_type: "scale_out".into(),
            cool_down_minutes: 20,
            scaling_adjustment: 1,
            trigger: Trigger {
                metric_name: "YARNAppRunning".into(),
                metric_value: "75".into(),
                comparison_operator: "GT".into(),
                evaluation_periods: 1,
            },
        }
    }

    #[test]
    fn a_policy_is_checked_as_the_service_checks_it() {
        let mut policy = AutoScalingPolicy {
            auto_scaling_enable: true,
            min_capacity: 0,
            max_capacity: 10,
            rules: vec![rule("up")],
            ..Default::default()
        };
        assert_eq!(policy.check(), Ok(()));
        policy.rules.push(rule("up"));
        assert!(policy.check().unwrap_err().contains("used by another rule"));
        policy.rules.pop();
        policy.min_capacity = 11;
        assert!(policy.check().unwrap_err().contains("above max_capacity"));
        policy.min_capacity = 0;
        policy.resources_plans.push(ResourcesPlan {
            period_type: "daily".into(),
            start_time: "09:00".into(),
            end_time: "09:20".into(),
            min_capacity: 1,
            max_capacity: 2,
        });
        assert!(policy.check().unwrap_err().contains("shorter than 30 minutes"));
        policy.resources_plans[0].end_time = "10:00".into();
        policy.exec_scripts.push(ExecScript {
            name: "s".into(),
            uri: "obs://b/s.sh".into(),
            parameters: String::new(),
            nodes: vec!["Task".into()],
            active_master: false,
            action_stage: "after_scale_in".into(),
            fail_action: "errorout".into(),
        });
        assert!(policy.check().unwrap_err().contains("after_scale_in"));
        policy.exec_scripts.clear();
        policy.rules[0].trigger.metric_value = "75.555".into();
        policy.rules[0].trigger.evaluation_periods = 289;
        let problems = policy.problems();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["rules[0].trigger.metric_value", "rules[0].trigger.evaluation_periods"]);
        assert!(is_metric_value("75") && is_metric_value("0.25") && !is_metric_value("1.") && !is_metric_value("x"));
        assert!(check_node_group("task_node_analysis_group").is_ok());
        assert!(check_node_group("core_node_analysis_group").unwrap_err().contains("task nodes only"));
    }
}
