use super::*;
use serde_json::json;

fn settings(v: Value) -> Settings {
    Settings::from_json(&v).unwrap()
}

#[test]
fn create_adds_prefix_defaults_and_private_values() {
    let s =
        build_create_settings(&settings(json!({"number_of_shards": 3})), "logs", "u1", 42).unwrap();
    assert_eq!(s.get_str("index.number_of_shards").as_deref(), Some("3"));
    assert_eq!(s.get_str("index.number_of_replicas").as_deref(), Some("1"));
    assert_eq!(s.get_str("index.uuid").as_deref(), Some("u1"));
    assert_eq!(s.get_str("index.creation_date").as_deref(), Some("42"));
    assert_eq!(s.get_str("index.provided_name").as_deref(), Some("logs"));
    assert_eq!(
        s.get_str("index.version.created").as_deref(),
        Some("8150099")
    );
}

#[test]
fn unknown_setting_uses_elasticsearch_message() {
    let e = build_create_settings(&settings(json!({"index.foo": 1})), "x", "u", 0).unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert_eq!(
        e.reason,
        "unknown setting [index.foo] please check that any required plugins are installed, or check the breaking changes documentation for removed settings"
    );
    let e = build_create_settings(&settings(json!({"foo": 1})), "x", "u", 0).unwrap_err();
    assert!(e.reason.starts_with("unknown setting [index.foo]"));
}

#[test]
fn number_of_shards_bounds() {
    let e = build_create_settings(&settings(json!({"index.number_of_shards": 0})), "x", "u", 0)
        .unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [0] for setting [index.number_of_shards] must be >= 1"
    );
    let e = build_create_settings(&settings(json!({"number_of_shards": "1025"})), "x", "u", 0)
        .unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [1025] for setting [index.number_of_shards] must be <= 1024"
    );
    let e = build_create_settings(&settings(json!({"number_of_replicas": -1})), "x", "u", 0)
        .unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [-1] for setting [index.number_of_replicas] must be >= 0"
    );
    let e = build_create_settings(&settings(json!({"number_of_shards": "abc"})), "x", "u", 0)
        .unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [abc] for setting [index.number_of_shards]"
    );
}

#[test]
fn prefixes_accept_anything_below_them() {
    let s = settings(
        json!({"analysis": {"analyzer": {"my": {"type": "standard"}}},
        "routing": {"allocation": {"require": {"zone": "a"}}}, "sort.field": "ts"}),
    );
    assert!(build_create_settings(&s, "x", "u", 0).is_ok());
    assert!(build_create_settings(&settings(json!({"index.analysis": 1})), "x", "u", 0).is_err());
}

#[test]
fn private_settings_are_refused_from_users() {
    let e = build_create_settings(&settings(json!({"index.uuid": "x"})), "x", "u", 0).unwrap_err();
    assert_eq!(
        e.reason,
        "private index setting [index.uuid] can not be set explicitly"
    );
    let e = validate_update(&settings(json!({"index.creation_date": 1})), &[]).unwrap_err();
    assert!(e
        .reason
        .contains("private index setting [index.creation_date]"));
}

#[test]
fn value_checks() {
    assert!(
        build_create_settings(&settings(json!({"refresh_interval": "5s"})), "x", "u", 0).is_ok()
    );
    assert!(
        build_create_settings(&settings(json!({"refresh_interval": "-1"})), "x", "u", 0).is_ok()
    );
    assert!(
        build_create_settings(&settings(json!({"refresh_interval": "abc"})), "x", "u", 0).is_err()
    );
    assert!(build_create_settings(
        &settings(json!({"translog.durability": "async"})),
        "x",
        "u",
        0
    )
    .is_ok());
    assert!(build_create_settings(
        &settings(json!({"translog.durability": "maybe"})),
        "x",
        "u",
        0
    )
    .is_err());
    let e = build_create_settings(&settings(json!({"hidden": "yes"})), "x", "u", 0).unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [yes] as only [true] or [false] are allowed."
    );
    assert!(build_create_settings(
        &settings(json!({"auto_expand_replicas": "0-all"})),
        "x",
        "u",
        0
    )
    .is_ok());
    assert!(
        build_create_settings(&settings(json!({"auto_expand_replicas": "x"})), "x", "u", 0)
            .is_err()
    );
}

#[test]
fn routing_shards_must_be_a_multiple() {
    let s = settings(json!({"number_of_shards": 3, "number_of_routing_shards": 8}));
    assert!(build_create_settings(&s, "x", "u", 0).is_err());
    let s = settings(json!({"number_of_shards": 2, "number_of_routing_shards": 8}));
    assert!(build_create_settings(&s, "x", "u", 0).is_ok());
}

#[test]
fn update_rules_follow_kinds() {
    let open = vec!["[logs/u1]".to_string()];
    assert!(validate_update(&settings(json!({"index.number_of_replicas": 2})), &open).is_ok());
    let e =
        validate_update(&settings(json!({"index.codec": "best_compression"})), &open).unwrap_err();
    assert_eq!(
        e.reason,
        "Can't update non dynamic settings [[index.codec]] for open indices [[logs/u1]]"
    );
    assert!(validate_update(&settings(json!({"index.codec": "best_compression"})), &[]).is_ok());
    let e = validate_update(&settings(json!({"number_of_shards": 2})), &[]).unwrap_err();
    assert_eq!(
        e.reason,
        "final index setting [index.number_of_shards], not updateable"
    );
    let e = validate_update(&settings(json!({"number_of_shards": 2})), &open).unwrap_err();
    assert!(e
        .reason
        .starts_with("Can't update non dynamic settings [[index.number_of_shards]]"));
    let e = validate_update(&settings(json!({"index.bogus": 2})), &open).unwrap_err();
    assert!(e.reason.starts_with("unknown setting [index.bogus]"));
}

#[test]
fn query_string_lenient_is_a_static_index_setting() {
    let s = settings(json!({"index.query_string.lenient": "true"}));
    assert!(validate_update(&s, &[]).is_ok());
    let open = vec!["[logs/u1]".to_string()];
    assert!(validate_update(&s, &open)
        .unwrap_err()
        .reason
        .starts_with("Can't update non dynamic settings [[index.query_string.lenient]]"));
}
