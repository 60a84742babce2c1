use super::*;
use serde_json::json;

#[test]
fn simple_match_follows_elasticsearch() {
    assert!(simple_match("logs-*", "logs-2024"));
    assert!(simple_match("*", "anything"));
    assert!(simple_match("*-prod-*", "a-prod-b"));
    assert!(!simple_match("logs-*", "metrics"));
    assert!(simple_match("exact", "exact"));
    assert!(!simple_match("exact", "exact2"));
}

#[test]
fn overlap_detection() {
    assert!(patterns_overlap("x*", "x*"));
    assert!(patterns_overlap("x*", "*y"));
    assert!(patterns_overlap("logs-*", "logs-a*"));
    assert!(!patterns_overlap("logs-*", "metrics-*"));
    assert!(!patterns_overlap("abc", "abd"));
    assert!(patterns_overlap("a*c", "ab*"));
}

#[test]
fn parse_requires_patterns_and_rejects_unknown_fields() {
    let e = ComposableIndexTemplate::parse(&json!({"priority": 1})).unwrap_err();
    assert_eq!(e.error_type, "action_request_validation_exception");
    assert!(e.reason.contains("index patterns are missing"));
    let e =
        ComposableIndexTemplate::parse(&json!({"index_patterns": ["a*"], "bogus": 1})).unwrap_err();
    assert!(e.reason.contains("unknown field [bogus]"));
    let t = ComposableIndexTemplate::parse(&json!({
        "index_patterns": "a*",
        "template": {"settings": {"number_of_shards": 2}, "mappings": {"properties": {"f": {"type": "keyword"}}}},
        "priority": 5
    }))
    .unwrap();
    assert_eq!(t.index_patterns, vec!["a*"]);
    assert_eq!(
        t.template
            .as_ref()
            .unwrap()
            .settings
            .get_str("index.number_of_shards")
            .as_deref(),
        Some("2")
    );
    assert_eq!(t.priority_or_zero(), 5);
}

#[test]
fn invalid_settings_in_template_are_refused() {
    let e = ComposableIndexTemplate::parse(
        &json!({"index_patterns": ["a*"], "template": {"settings": {"index.nope": 1}}}),
    )
    .unwrap_err();
    assert!(e.reason.starts_with("unknown setting [index.nope]"));
}

#[test]
fn matching_picks_highest_priority_and_composes_in_order() {
    let mut templates = BTreeMap::new();
    let low = ComposableIndexTemplate::parse(&json!({"index_patterns": ["logs-*"], "priority": 1}))
        .unwrap();
    let high = ComposableIndexTemplate::parse(&json!({
        "index_patterns": ["logs-*"], "priority": 10, "composed_of": ["c1"],
        "template": {"settings": {"number_of_replicas": 0}}
    }))
    .unwrap();
    templates.insert("low".to_string(), low);
    templates.insert("high".to_string(), high);
    let (name, t) = find_matching_template(&templates, "logs-1", false).unwrap();
    assert_eq!(name, "high");
    let mut components = BTreeMap::new();
    components.insert(
        "c1".to_string(),
        ComponentTemplate::parse(
            &json!({"template": {"settings": {"number_of_replicas": 3, "number_of_shards": 2},
            "mappings": {"properties": {"a": {"type": "long"}}}}}),
        )
        .unwrap(),
    );
    let (settings, mappings, _) = resolve_template_parts(t, &components);
    assert_eq!(
        settings.get_str("index.number_of_replicas").as_deref(),
        Some("0")
    );
    assert_eq!(
        settings.get_str("index.number_of_shards").as_deref(),
        Some("2")
    );
    assert_eq!(mappings.len(), 1);
    assert!(find_matching_template(&templates, "metrics", false).is_none());
}

#[test]
fn conflicts_need_same_priority() {
    let mut templates = BTreeMap::new();
    templates.insert(
        "a".to_string(),
        ComposableIndexTemplate::parse(&json!({"index_patterns": ["x*"]})).unwrap(),
    );
    let c = find_conflicting_templates(&templates, "b", &["x*".to_string()], 0);
    assert_eq!(c.get("a"), Some(&vec!["x*".to_string()]));
    assert!(find_conflicting_templates(&templates, "b", &["x*".to_string()], 1).is_empty());
    assert!(find_conflicting_templates(&templates, "a", &["x*".to_string()], 0).is_empty());
}

#[test]
fn template_aliases_are_stored_as_alias_metadata() {
    let t = ComposableIndexTemplate::parse(&json!({
        "index_patterns": ["t-*"],
        "template": {"aliases": {"a": {}, "b": {"routing": "r"}, "c": {"filter": {"term": {"u": "x"}}}}}
    }))
    .unwrap();
    let rendered = t.to_json();
    let aliases = &rendered["template"]["aliases"];
    assert_eq!(aliases["a"], json!({}));
    assert_eq!(
        aliases["b"],
        json!({"index_routing": "r", "search_routing": "r"})
    );
    assert_eq!(aliases["c"]["filter"]["term"]["u"], "x");
}
