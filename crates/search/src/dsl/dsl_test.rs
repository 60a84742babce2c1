use super::query_string::{parse_query_string, QsNode, QsOccur};
use super::*;
use serde_json::json;

fn err(v: serde_json::Value) -> EsError {
    parse_query(&v).unwrap_err()
}

#[test]
fn elasticsearch_parse_errors() {
    let e = err(json!({"foo": {}}));
    assert_eq!(
        (e.error_type.as_str(), e.reason.as_str()),
        ("parsing_exception", "unknown query [foo]")
    );
    assert_eq!(
        err(json!({"match": {"a": "x", "b": "y"}})).reason,
        "[match] query doesn't support multiple fields, found [a] and [b]"
    );
    assert_eq!(
        err(json!({"bool": {"x": []}})).reason,
        "[bool] query does not support [x]"
    );
    assert_eq!(
        err(json!({"match_all": 5})).reason,
        "[match_all] query malformed, no start_object after query name"
    );
    assert_eq!(
        err(json!({"term": {"f": {"value": 1, "bogus": 2}}})).reason,
        "[term] query does not support [bogus]"
    );
    assert_eq!(
        err(json!({"range": {"f": {"gte": 1, "foo": 2}}})).reason,
        "[range] query does not support [foo]"
    );
    assert_eq!(
        err(json!({"match_all": {}, "term": {}})).error_type,
        "parsing_exception"
    );
    assert_eq!(
        err(json!({"terms": {"a": [1], "b": [2]}})).reason,
        "[terms] query does not support multiple fields, found [a] and [b]"
    );
}

#[test]
fn short_and_long_forms() {
    let short = parse_query(&json!({"term": {"user": "kimchy"}})).unwrap();
    let long = parse_query(&json!({"term": {"user": {"value": "kimchy"}}})).unwrap();
    assert_eq!(short, long);
    match parse_query(&json!({"match": {"title": {"query": "a b", "operator": "and", "minimum_should_match": 2}}})).unwrap() {
        QueryAst::Match(m) => {
            assert_eq!(m.operator, Operator::And);
            assert_eq!(m.minimum_should_match.as_deref(), Some("2"));
        }
        other => panic!("{other:?}"),
    }
    match parse_query(
        &json!({"multi_match": {"query": "x", "fields": ["a^2", "b"], "type": "most_fields"}}),
    )
    .unwrap()
    {
        QueryAst::MultiMatch(m) => {
            assert_eq!(
                m.fields,
                vec![("a".to_string(), 2.0), ("b".to_string(), 1.0)]
            );
            assert_eq!(m.match_type, MultiMatchType::MostFields);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bool_single_or_array_and_legacy_range() {
    let q = parse_query(&json!({"bool": {"must": {"match_all": {}}, "should": [{"term": {"a": 1}}, {"term": {"b": 2}}]}}))
        .unwrap();
    let QueryAst::Bool(b) = q else { panic!() };
    assert_eq!((b.must.len(), b.should.len()), (1, 2));
    let QueryAst::Range(r) =
        parse_query(&json!({"range": {"n": {"from": 1, "to": 5, "include_upper": false}}}))
            .unwrap()
    else {
        panic!()
    };
    assert_eq!((r.gte, r.lt), (Some(json!(1)), Some(json!(5))));
}

#[test]
fn query_string_syntax() {
    let n = parse_query_string("title:quick AND (fox OR dog) -cat", Operator::Or, false).unwrap();
    let QsNode::Bool(c) = n else { panic!("{n:?}") };
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].0, QsOccur::Must);
    assert_eq!(
        c[0].1,
        QsNode::Term {
            field: Some("title".into()),
            text: "quick".into()
        }
    );
    assert_eq!(c[1].0, QsOccur::Must);
    assert_eq!(c[2].0, QsOccur::MustNot);
    let p = parse_query_string("\"quick fox\"~2", Operator::Or, false).unwrap();
    assert_eq!(
        p,
        QsNode::Phrase {
            field: None,
            text: "quick fox".into(),
            slop: 2
        }
    );
    let r = parse_query_string("age:[10 TO *}", Operator::Or, false).unwrap();
    assert!(matches!(
        r,
        QsNode::Range {
            lower: Some(_),
            upper: None,
            include_lower: true,
            ..
        }
    ));
    let a = parse_query_string("a b", Operator::And, false).unwrap();
    let QsNode::Bool(c) = a else { panic!() };
    assert!(c.iter().all(|(o, _)| *o == QsOccur::Must));
    assert!(parse_query_string("title:(unclosed", Operator::Or, false).is_err());
    let s = parse_query_string("fox + -dog | cat*", Operator::Or, true).unwrap();
    assert!(matches!(s, QsNode::Bool(_)));
}
