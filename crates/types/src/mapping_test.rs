use super::*;
use serde_json::json;

#[test]
fn parses_and_renders_round_trip() {
    let src = json!({"properties": {
        "title": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
        "user": {"properties": {"age": {"type": "integer"}}},
        "ts": {"type": "date", "format": "epoch_millis"}
    }});
    let m = Mapping::parse(&src).unwrap();
    assert_eq!(m.to_json(), src);
    assert_eq!(
        m.field("title.keyword").unwrap().field_type,
        FieldType::Keyword
    );
    assert_eq!(m.field("user.age").unwrap().field_type, FieldType::Integer);
    assert!(m.field("nope").is_none());
    let leaves: Vec<String> = m.leaves().into_iter().map(|(p, _)| p).collect();
    assert_eq!(leaves, vec!["title", "title.keyword", "ts", "user.age"]);
}

#[test]
fn unknown_type_and_parameter_are_mapper_parsing_errors() {
    let e = Mapping::parse(&json!({"properties": {"a": {"type": "foo"}}})).unwrap_err();
    assert_eq!(e.error_type, "mapper_parsing_exception");
    assert!(e
        .reason
        .contains("No handler for type [foo] declared on field [a]"));
    let e = Mapping::parse(&json!({"properties": {"a": {"type": "long", "analyzer": "x"}}}))
        .unwrap_err();
    assert!(e.reason.contains("unknown parameter [analyzer]"));
}

#[test]
fn merge_adds_fields_and_rejects_type_change() {
    let mut m = Mapping::parse(&json!({"properties": {"a": {"type": "long"}}})).unwrap();
    m.merge(&Mapping::parse(&json!({"properties": {"b": {"type": "keyword"}}})).unwrap())
        .unwrap();
    assert!(m.field("b").is_some());
    let before = m.clone();
    let e = m
        .merge(&Mapping::parse(&json!({"properties": {"a": {"type": "text"}}})).unwrap())
        .unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert_eq!(
        e.reason,
        "mapper [a] cannot be changed from type [long] to [text]"
    );
    assert_eq!(m, before);
}

#[test]
fn dotted_property_names_become_objects() {
    let m = Mapping::parse(&json!({"properties": {"a.b": {"type": "keyword"}}})).unwrap();
    assert_eq!(m.field("a.b").unwrap().field_type, FieldType::Keyword);
    assert_eq!(
        m.to_json(),
        json!({"properties": {"a": {"properties": {"b": {"type": "keyword"}}}}})
    );
}
