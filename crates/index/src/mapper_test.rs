use super::*;
use serde_json::json;
use tantivy::schema::OwnedValue;

fn mapping(v: Value) -> Mapping {
    Mapping::parse(&v).unwrap()
}

fn parse(m: &Mapping, doc: &str) -> Result<ParsedDocument, EsError> {
    DocumentParser::new(m).parse(Some("1"), doc.as_bytes())
}

#[test]
fn mapped_fields_multi_fields_and_arrays() {
    let m = mapping(json!({"properties": {
        "title": {"type": "text", "analyzer": "english", "fields": {"raw": {"type": "keyword"}}},
        "tags": {"type": "keyword", "ignore_above": 5},
        "user": {"properties": {"age": {"type": "integer"}}},
        "ok": {"type": "boolean"},
        "at": {"type": "date"},
        "ip": {"type": "ip"},
        "secret": {"type": "keyword", "index": false},
        "meta": {"type": "object", "enabled": false},
    }}));
    let p = parse(
        &m,
        r#"{"title":"Running dogs","tags":["a","toolong",null],"user":{"age":"42"},"ok":"true",
        "at":"2020-01-01","ip":"::1","secret":"s","meta":{"anything":[1,{"x":2}]}}"#,
    )
    .unwrap();
    assert!(p.dynamic_update.is_none());
    let b = &p.builder;
    assert_eq!(
        b.values_at("title"),
        vec![OwnedValue::Str("Running dogs".into())]
    );
    assert_eq!(b.text_analyzers_at("title"), vec!["english"]);
    assert_eq!(
        b.values_at("title.raw"),
        vec![OwnedValue::Str("Running dogs".into())]
    );
    assert_eq!(b.values_at("tags"), vec![OwnedValue::Str("a".into())]);
    assert_eq!(b.ignored(), ["tags"]);
    assert_eq!(b.values_at("user.age"), vec![OwnedValue::I64(42)]);
    assert_eq!(b.values_at("ok"), vec![OwnedValue::Bool(true)]);
    assert_eq!(b.values_at("at"), vec![OwnedValue::I64(1_577_836_800_000)]);
    assert_eq!(b.values_at("ip").len(), 1);
    assert!(b.values_at("secret").is_empty());
    assert!(b.values_at("meta.anything").is_empty());
}

#[test]
fn dynamic_true_maps_new_fields_like_elasticsearch() {
    let m = Mapping::default();
    let p = parse(
        &m,
        r#"{"name":"x","n":1,"f":1.5,"b":false,"d":"2020-01-01T00:00:00Z","o":{"k":"v"},"a.b":2,
        "nul":null,"empty":[],"list":[null,3]}"#,
    )
    .unwrap();
    let update = p.dynamic_update.unwrap();
    assert_eq!(
        update.to_json(),
        json!({"properties": {
            "a": {"properties": {"b": {"type": "long"}}},
            "b": {"type": "boolean"},
            "d": {"type": "date"},
            "f": {"type": "float"},
            "list": {"type": "long"},
            "n": {"type": "long"},
            "name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
            "o": {"properties": {"k": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}}}
        }})
    );
    assert_eq!(
        p.builder.values_at("name.keyword"),
        vec![OwnedValue::Str("x".into())]
    );
    assert_eq!(p.builder.values_at("a.b"), vec![OwnedValue::I64(2)]);
    assert_eq!(p.builder.values_at("list"), vec![OwnedValue::I64(3)]);
    // The update merges cleanly into the mapping it was computed against.
    let mut merged = m.clone();
    merged.merge(&update).unwrap();
    assert!(parse(&merged, r#"{"name":"y","o":{"k":"w"}}"#)
        .unwrap()
        .dynamic_update
        .is_none());
}

#[test]
fn dynamic_false_and_strict_honoured_per_object() {
    let m = mapping(json!({"dynamic": "strict", "properties": {
        "known": {"type": "keyword"},
        "loose": {"type": "object", "dynamic": false},
        "open": {"type": "object", "dynamic": true},
    }}));
    let e = parse(&m, r#"{"foo": 1}"#).unwrap_err();
    assert_eq!(e.error_type, "strict_dynamic_mapping_exception");
    assert_eq!(e.status, 400);
    assert_eq!(
        e.reason,
        "[1:9] mapping set to strict, dynamic introduction of [foo] within [_doc] is not allowed"
    );
    let p = parse(&m, r#"{"known":"k","loose":{"x":1},"open":{"y":"z"}}"#).unwrap();
    assert!(p.builder.values_at("loose.x").is_empty());
    let update = p.dynamic_update.unwrap();
    assert!(update.field("open.y").is_some() && update.field("loose.x").is_none());
    let m = mapping(json!({"properties": {"o": {"type": "object", "dynamic": "strict"}}}));
    let e = parse(&m, "{\"o\": {\n  \"z\": true}}").unwrap_err();
    assert_eq!(
        e.reason,
        "[2:8] mapping set to strict, dynamic introduction of [z] within [o] is not allowed"
    );
}

#[test]
fn bad_values_are_document_parsing_errors_with_location_and_preview() {
    let m = mapping(
        json!({"properties": {"age": {"type": "long"}, "b": {"type": "byte"},
        "lenient": {"type": "integer", "ignore_malformed": true}, "obj": {"properties": {}}}}),
    );
    let e = parse(&m, r#"{"name":"x","age":"abc"}"#).unwrap_err();
    assert_eq!(e.error_type, "document_parsing_exception");
    assert_eq!(
        e.reason,
        "[1:19] failed to parse field [age] of type [long] in document with id '1'. Preview of field's value: 'abc'"
    );
    let e = parse(&m, r#"{"b":300}"#).unwrap_err();
    assert_eq!(
        e.caused_by.unwrap().reason,
        "Value [300] is out of range for a byte"
    );
    let p = parse(&m, r#"{"lenient":"x","name":"n"}"#).unwrap();
    assert_eq!(p.builder.ignored(), ["lenient"]);
    let e = parse(&m, r#"{"obj":5}"#).unwrap_err();
    assert!(e.reason.contains(
        "object mapping for [obj] tried to parse field [obj] as object, but found a concrete value"
    ));
    let e = parse(&m, r#"{"age": }"#).unwrap_err();
    assert_eq!(e.error_type, "document_parsing_exception");
    assert!(
        e.reason
            .starts_with("[1:9] failed to parse: Unexpected character"),
        "{}",
        e.reason
    );
    assert_eq!(
        parse(&m, "[1]").unwrap_err().error_type,
        "document_parsing_exception"
    );
    assert_eq!(
        parse(&m, "").unwrap_err().reason,
        "failed to parse, document is empty"
    );
    let e = parse(&m, r#"{"_id":"x"}"#).unwrap_err();
    assert!(e
        .reason
        .contains("Field [_id] is a metadata field and cannot be added inside a document"));
}

#[test]
fn copy_to_null_value_and_normalizer() {
    let settings = quarry_types::Settings::from_json(
        &json!({"index.analysis.normalizer.lc.filter": ["lowercase"]}),
    )
    .unwrap();
    let analysis = AnalysisRegistry::from_settings(&settings).unwrap();
    let m = mapping(json!({"properties": {
        "first": {"type": "keyword", "copy_to": "all", "normalizer": "lc"},
        "all": {"type": "text"},
        "status": {"type": "keyword", "null_value": "NONE"},
    }}));
    let p = DocumentParser::new(&m)
        .with_analysis(&analysis)
        .parse(Some("1"), br#"{"first":"John","status":null}"#)
        .unwrap();
    assert_eq!(
        p.builder.values_at("first"),
        vec![OwnedValue::Str("john".into())]
    );
    assert_eq!(
        p.builder.values_at("all"),
        vec![OwnedValue::Str("John".into())]
    );
    assert_eq!(
        p.builder.values_at("status"),
        vec![OwnedValue::Str("NONE".into())]
    );
}

#[test]
fn nested_objects_limit_counts_every_nested_document() {
    let m = mapping(json!({"properties": {"n": {"type": "nested"}}}));
    let doc = br#"{"n": [{"a": 1}, {"a": 2}, {"a": 3}]}"#;
    let parser = DocumentParser::new(&m);
    assert!(parser.with_nested_objects_limit(3).parse(None, doc).is_ok());
    let e = parser
        .with_nested_objects_limit(2)
        .parse(None, doc)
        .unwrap_err();
    assert_eq!(e.error_type, "document_parsing_exception");
    assert!(e.reason.contains(
        "The number of nested documents has exceeded the allowed limit of [2]. This limit can be set by changing the [index.mapping.nested_objects.limit] index level setting."
    ));
    assert!(parser.parse(None, doc).is_ok());
}

#[test]
fn field_names_of_only_dots_are_rejected() {
    let m = mapping(json!({}));
    for doc in [r#"{".": 1}"#, r#"{"..": 1}"#, r#"{"foo": {".": 1}}"#] {
        let e = parse(&m, doc).unwrap_err();
        assert!(
            e.reason
                .ends_with("failed to parse: field name cannot contain only dots"),
            "{}",
            e.reason
        );
    }
}
