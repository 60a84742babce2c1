use super::*;
use serde_json::json;

fn parse(body: Value, params: &[(&str, &str)]) -> Result<SearchRequest, EsError> {
    let p: HashMap<String, String> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parse_search_request(Some(&body), &p, DEFAULT_MAX_RESULT_WINDOW)
}

#[test]
fn unknown_keys_and_negative_sizes() {
    let e = parse(json!({"foo": {}}), &[]).unwrap_err();
    assert_eq!(
        (e.error_type.as_str(), e.reason.as_str()),
        (
            "parsing_exception",
            "Unknown key for a START_OBJECT in [foo]."
        )
    );
    assert_eq!(
        parse(json!({"foo": 1}), &[]).unwrap_err().reason,
        "Unknown key for a VALUE_NUMBER in [foo]."
    );
    let e = parse(json!({"size": -1}), &[]).unwrap_err();
    assert_eq!(e.reason, "[size] parameter cannot be negative, found [-1]");
    assert_eq!(
        parse(json!({"from": -2}), &[]).unwrap_err().reason,
        "[from] parameter cannot be negative, found [-2]"
    );
}

#[test]
fn result_window() {
    let e = parse(json!({"from": 10000, "size": 1}), &[]).unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert!(e.reason.starts_with("Result window is too large, from + size must be less than or equal to: [10000] but was [10001]."));
    assert!(parse(json!({"from": 9990, "size": 10}), &[]).is_ok());
}

#[test]
fn url_parameters_override() {
    let r = parse(
        json!({"size": 3}),
        &[
            ("size", "5"),
            ("from", "2"),
            ("q", "title:fox"),
            ("sort", "n:desc"),
            ("_source", "false"),
            ("track_total_hits", "false"),
        ],
    )
    .unwrap();
    assert_eq!((r.from, r.size), (2, 5));
    assert!(matches!(r.query, QueryAst::QueryString(_)));
    assert_eq!(r.sort.len(), 1);
    assert!(!r.source.fetch);
    assert_eq!(r.track_total_hits, None);
    let r = parse(
        json!({"track_total_hits": 100, "aggregations": {"a": {"max": {"field": "n"}}}}),
        &[],
    )
    .unwrap();
    assert_eq!(r.track_total_hits, Some(100));
    assert!(r.aggs.is_some());
}

#[test]
fn search_after_must_match_sort() {
    let e = parse(json!({"sort": ["a", "b"], "search_after": [1]}), &[]).unwrap_err();
    assert_eq!(e.reason, "search_after has 1 value(s) but sort has 2.");
}
