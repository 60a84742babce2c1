//! Tests of `_cat` rendering against Elasticsearch's `RestTable` output.

use super::cat_table::{
    bytes_value, millis_value, render, CatColumn, CatFormat, CatParams, TEXT_CONTENT_TYPE,
};
use serde_json::{json, Map, Value};

const COLUMNS: &[CatColumn] = &[
    CatColumn::new("health", &["h"], "current health status"),
    CatColumn::new("index", &["i", "idx"], "index name"),
    CatColumn::new("docs.count", &["dc", "docsCount"], "available docs").right(),
    CatColumn::new("store.size", &["ss", "storeSize"], "store size")
        .right()
        .with_pri(),
    CatColumn::new("pri.store.size", &[], "store size of primaries").right(),
    CatColumn::new("uptime", &["u"], "").right().hidden(),
];

fn rows() -> Vec<Map<String, Value>> {
    let row = |health: &str,
               index: &str,
               docs: Value,
               size: Option<i64>,
               pri: Option<i64>,
               up: Option<i64>| {
        let mut m = Map::new();
        m.insert("health".into(), json!(health));
        m.insert("index".into(), json!(index));
        m.insert("docs.count".into(), docs);
        m.insert(
            "store.size".into(),
            size.map(bytes_value).unwrap_or(Value::Null),
        );
        m.insert(
            "pri.store.size".into(),
            pri.map(bytes_value).unwrap_or(Value::Null),
        );
        if let Some(ms) = up {
            m.insert("uptime".into(), millis_value(ms));
        }
        m
    };
    vec![
        row(
            "yellow",
            "logs-2024",
            json!(1200),
            Some(2_097_152),
            Some(1_048_576),
            Some(1500),
        ),
        row("green", "a", json!(7), Some(225), Some(225), Some(120_000)),
        row("red", "broken", Value::Null, None, None, None),
    ]
}

fn params(pairs: &[(&str, &str)]) -> CatParams {
    CatParams::from_params(pairs.iter().copied(), None).unwrap()
}

fn text(pairs: &[(&str, &str)]) -> String {
    let (body, ct) = render(&rows(), COLUMNS, &params(pairs)).unwrap();
    assert_eq!(ct, TEXT_CONTENT_TYPE);
    body
}

#[test]
fn text_pads_columns_right_aligns_numbers_and_leaves_the_last_column_unpadded() {
    assert_eq!(
        text(&[("v", "")]),
        "health index     docs.count store.size pri.store.size\n\
         yellow logs-2024       1200        2mb            1mb\n\
         green  a                  7       225b           225b\n\
         red    broken                                        \n"
    );
    assert_eq!(
        text(&[("h", "index,health")]),
        "logs-2024 yellow\n\
         a         green\n\
         broken    red\n"
    );
}

#[test]
fn h_accepts_aliases_and_wildcards_and_skips_unknown_names() {
    assert_eq!(
        text(&[("h", "i,dc"), ("v", "true")]),
        "i           dc\nlogs-2024 1200\na            7\nbroken        \n"
    );
    let body = text(&[("h", "*.size"), ("v", "")]);
    assert_eq!(body.lines().next(), Some("store.size pri.store.size"));
    // Unknown columns are ignored, as in Elasticsearch.
    assert_eq!(text(&[("h", "nope")]), "\n\n\n");
}

#[test]
fn sort_by_name_alias_and_direction() {
    let order = |s: &str| {
        text(&[("h", "index"), ("s", s)])
            .lines()
            .map(str::trim_end)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(order("index"), vec!["a", "broken", "logs-2024"]);
    assert_eq!(order("i:desc"), vec!["logs-2024", "broken", "a"]);
    // Numbers compare by value, nulls first.
    assert_eq!(order("docs.count"), vec!["broken", "a", "logs-2024"]);
    assert_eq!(
        order("store.size:desc,index"),
        vec!["logs-2024", "a", "broken"]
    );
    let err = render(&rows(), COLUMNS, &params(&[("s", "nope")])).unwrap_err();
    assert_eq!(err.error_type, "unsupported_operation_exception");
    assert_eq!(err.reason, "Unable to sort by unknown sort key `nope`");
}

#[test]
fn json_gives_string_values_and_nulls() {
    let (body, ct) = render(
        &rows(),
        COLUMNS,
        &params(&[("format", "json"), ("h", "index,dc,ss")]),
    )
    .unwrap();
    assert_eq!(ct, "application/json");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!([
            {"index": "logs-2024", "dc": "1200", "ss": "2mb"},
            {"index": "a", "dc": "7", "ss": "225b"},
            {"index": "broken", "dc": null, "ss": null}
        ])
    );
    // The Accept header decides when there is no format parameter.
    let p = CatParams::from_params(
        [("h", "index")],
        Some("application/vnd.elasticsearch+json; compatible-with=8"),
    )
    .unwrap();
    assert_eq!(p.format, CatFormat::Json);
    let p = CatParams::from_params([("format", "txt")], Some("application/json")).unwrap();
    assert_eq!(p.format, CatFormat::Text);
    let p = CatParams::from_params([], Some("text/plain,application/json")).unwrap();
    assert_eq!(p.format, CatFormat::Text);
}

#[test]
fn bytes_and_time_units() {
    assert_eq!(
        text(&[("h", "ss,u"), ("bytes", "b"), ("time", "ms")]),
        "2097152   1500\n    225 120000\n              \n"
    );
    assert_eq!(
        text(&[("h", "ss,u"), ("bytes", "kb")]),
        "2048 1.5s\n   0   2m\n         \n"
    );
}

#[test]
fn help_lists_columns_aliases_and_descriptions() {
    let (body, ct) = render(
        &rows(),
        COLUMNS,
        &params(&[("help", ""), ("format", "json")]),
    )
    .unwrap();
    assert_eq!(ct, TEXT_CONTENT_TYPE);
    let first = body.lines().next().unwrap();
    assert_eq!(
        first,
        "health         | h            | current health status  "
    );
    assert!(body.contains("uptime         | u            | not available          \n"));
}

#[test]
fn timestamps_hidden_with_ts_false() {
    const TS: &[CatColumn] = &[
        // Elasticsearch declares none of these right-aligned.
        CatColumn::new("epoch", &["t", "time"], "seconds since 1970-01-01 00:00:00"),
        CatColumn::new("timestamp", &["ts", "hms", "hhmmss"], "time in HH:MM:SS"),
        CatColumn::new("count", &["dc"], "the document count"),
    ];
    let r = vec![
        json!({"epoch": 1475868259, "timestamp": "15:24:20", "count": 121})
            .as_object()
            .cloned()
            .unwrap(),
    ];
    let (body, _) = render(&r, TS, &params(&[("v", "")])).unwrap();
    assert_eq!(
        body,
        "epoch      timestamp count\n1475868259 15:24:20  121\n"
    );
    let (body, _) = render(&r, TS, &params(&[("ts", "false")])).unwrap();
    assert_eq!(body, "121\n");
}

#[test]
fn yaml_output() {
    let (body, ct) = render(
        &rows()[..2],
        COLUMNS,
        &params(&[("format", "yaml"), ("h", "index,dc")]),
    )
    .unwrap();
    assert_eq!(ct, "application/yaml");
    assert_eq!(
        body,
        "---\n- index: \"logs-2024\"\n  dc: \"1200\"\n- index: \"a\"\n  dc: \"7\"\n"
    );
    let (body, _) = render(&[], COLUMNS, &params(&[("format", "yaml")])).unwrap();
    assert_eq!(body, "--- []\n");
}

#[test]
fn bad_boolean_parameter_is_an_illegal_argument() {
    let err = CatParams::from_params([("v", "yes")], None).unwrap_err();
    assert_eq!(err.error_type, "illegal_argument_exception");
    assert_eq!(err.status, 400);
}

#[test]
fn pri_adds_the_primaries_sibling_after_a_requested_column() {
    assert_eq!(
        text(&[
            ("h", "index,ss"),
            ("pri", "true"),
            ("bytes", "b"),
            ("v", "")
        ]),
        "index          ss  pri.ss\n\
         logs-2024 2097152 1048576\n\
         a             225     225\n\
         broken                   \n"
    );
    // Without `pri`, or without `h`, no sibling is added.
    assert_eq!(
        text(&[("h", "store.size"), ("bytes", "b")]),
        "2097152\n    225\n       \n"
    );
    let defaults = text(&[("pri", "true"), ("v", "")]);
    assert_eq!(
        defaults.lines().next(),
        Some("health index     docs.count store.size pri.store.size")
    );
    let err = CatParams::from_params([("pri", "maybe")], None).unwrap_err();
    assert_eq!(err.status, 400);
}
