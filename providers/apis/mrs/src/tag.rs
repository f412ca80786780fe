//! Tags: `{key, value}` pairs (at most 10 per cluster; key ≤ 36, value ≤ 43 characters, none
//! of `= * < > \ , | /`, no leading or trailing space), the v1.1 batch action and list
//! answers.

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// `POST /v1.1/{pid}/clusters/{id}/tags/action`: `action` is `create` or `delete`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagsAction {
    pub action: String,
    pub tags: Vec<Tag>,
}

pub const ACTION_CREATE: &str = "create";
pub const ACTION_DELETE: &str = "delete";

/// `POST /v1.1/{pid}/clusters/{id}/tags`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagBody {
    pub tag: Tag,
}

/// `GET /v1.1/{pid}/clusters/{id}/tags`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TagList {
    pub tags: Vec<Tag>,
}

const FORBIDDEN: &[char] = &['=', '*', '<', '>', '\\', ',', '|', '/'];

/// The service's rules for one tag.
pub fn check_tag(tag: &Tag) -> Result<(), String> {
    for (what, text, max) in [("key", &tag.key, 36), ("value", &tag.value, 43)] {
        if what == "key" && text.is_empty() {
            return Err("a tag key cannot be empty".into());
        }
        if text.chars().count() > max {
            return Err(format!("tag {what} `{text}` is longer than {max} characters"));
        }
        if let Some(bad) = text.chars().find(|c| FORBIDDEN.contains(c)) {
            return Err(format!("tag {what} `{text}` contains `{bad}` (none of = * < > \\ , | / are allowed)"));
        }
        if text.trim() != text.as_str() {
            return Err(format!("tag {what} `{text}` starts or ends with a space"));
        }
    }
    Ok(())
}

/// Tags as v1.1 cluster details write them: `k=v,k2=v2`.
pub fn to_v11(tags: &[Tag]) -> String {
    tags.iter().map(|t| format!("{}={}", t.key, t.value)).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_the_service_rules() {
        let tag = |k: &str, v: &str| Tag { key: k.into(), value: v.into() };
        assert!(check_tag(&tag("env", "dev")).is_ok());
        assert!(check_tag(&tag("", "x")).is_err());
        assert!(check_tag(&tag("a=b", "x")).unwrap_err().contains("`=`"));
        assert!(check_tag(&tag(&"k".repeat(37), "x")).unwrap_err().contains("36"));
        assert!(check_tag(&tag("env", " dev")).unwrap_err().contains("space"));
        assert_eq!(to_v11(&[tag("a", "1"), tag("b", "")]), "a=1,b=");
    }
}
