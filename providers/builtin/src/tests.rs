use super::*;

#[test]
fn registry_holds_testing_only_when_asked() {
    let without: Vec<String> = registry(false).names().map(str::to_string).collect();
    assert_eq!(without, ["corral", "terraform"]);
    let with: Vec<String> = registry(true).names().map(str::to_string).collect();
    assert_eq!(with, ["corral", "terraform", "testing"]);
    let schema = registry(true).get("testing").map(|f| f.schema()).unwrap();
    assert!(schema.resources.contains_key("testing_thing"));
    assert!(schema.data_sources.contains_key("testing_things"));
}
