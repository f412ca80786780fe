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

impl AutoScalingPolicy {
    /// The service's rules; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        let capacity = |what: &str, min: u32, max: u32| {
            if max > 500 {
                Err(format!("{what}max_capacity {max} is above 500"))
            } else if min > max {
                Err(format!("{what}min_capacity {min} is above max_capacity {max}"))
            } else {
                Ok(())
            }
        };
        capacity("", self.min_capacity, self.max_capacity)?;
        for (i, plan) in self.resources_plans.iter().enumerate() {
            let at = format!("resources_plans[{i}].");
            if plan.period_type != "daily" {
                return Err(format!("{at}period_type `{}` must be `daily`", plan.period_type));
            }
            capacity(&at, plan.min_capacity, plan.max_capacity)?;
            let (Some(start), Some(end)) = (minutes(&plan.start_time), minutes(&plan.end_time)) else {
                return Err(format!("{at}start_time/end_time must be HH:mm"));
            };
            if end < start + 30 {
                return Err(format!("{at}the window {}–{} is shorter than 30 minutes", plan.start_time, plan.end_time));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("rules[{i}].");
            let name_ok = (1..=64).contains(&rule.name.len())
                && rule.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !name_ok {
                return Err(format!("{at}name `{}` must be 1–64 of letters, digits, `_`, `-`", rule.name));
            }
            if !names.insert(rule.name.as_str()) {
                return Err(format!("{at}name `{}` is used twice", rule.name));
            }
            if !matches!(rule.adjustment_type.as_str(), "scale_out" | "scale_in") {
                return Err(format!("{at}adjustment_type `{}` must be scale_out or scale_in", rule.adjustment_type));
            }
            if rule.cool_down_minutes > 10_080 {
                return Err(format!("{at}cool_down_minutes {} is above 10080", rule.cool_down_minutes));
            }
            if !(1..=100).contains(&rule.scaling_adjustment) {
                return Err(format!("{at}scaling_adjustment {} is outside 1–100", rule.scaling_adjustment));
            }
            if !matches!(rule.trigger.comparison_operator.as_str(), "LT" | "GT" | "LTOE" | "GTOE") {
                return Err(format!("{at}trigger.comparison_operator must be LT, GT, LTOE or GTOE"));
            }
            if !(1..=288).contains(&rule.trigger.evaluation_periods) {
                return Err(format!(
                    "{at}trigger.evaluation_periods {} is outside 1–288",
                    rule.trigger.evaluation_periods
                ));
            }
        }
        for (i, script) in self.exec_scripts.iter().enumerate() {
            let at = format!("exec_scripts[{i}].");
            if !matches!(
                script.action_stage.as_str(),
                "before_scale_out" | "before_scale_in" | "after_scale_out" | "after_scale_in"
            ) {
                return Err(format!("{at}action_stage `{}` is not a stage", script.action_stage));
            }
            if !matches!(script.fail_action.as_str(), "continue" | "errorout") {
                return Err(format!("{at}fail_action `{}` must be continue or errorout", script.fail_action));
            }
            if script.action_stage == "after_scale_in" && script.fail_action != "continue" {
                return Err(format!("{at}fail_action must be `continue` after_scale_in"));
            }
        }
        Ok(())
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
        assert!(policy.check().unwrap_err().contains("used twice"));
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
    }
}
