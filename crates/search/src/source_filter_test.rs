use super::*;
use serde_json::json;

fn f(v: Value) -> SourceFilter {
    SourceFilter::parse(&v).unwrap()
}

#[test]
fn includes_excludes_and_wildcards() {
    let src = json!({"a": 1, "obj": {"name": "x", "age": 3, "deep": {"name": "y"}}, "tags": ["t1"], "list": [{"name": "n1", "v": 1}, {"v": 2}]});
    assert_eq!(f(json!("a")).filter(&src), json!({"a": 1}));
    assert_eq!(
        f(json!(["obj.*"])).filter(&src),
        json!({"obj": {"name": "x", "age": 3, "deep": {"name": "y"}}})
    );
    assert_eq!(
        f(json!("*.name")).filter(&src),
        json!({"obj": {"name": "x", "deep": {"name": "y"}}, "list": [{"name": "n1"}]})
    );
    assert_eq!(
        f(json!({"excludes": ["obj"]})).filter(&src),
        json!({"a": 1, "tags": ["t1"], "list": [{"name": "n1", "v": 1}, {"v": 2}]})
    );
    assert_eq!(
        f(json!({"includes": ["obj"], "excludes": ["obj.deep"]})).filter(&src),
        json!({"obj": {"name": "x", "age": 3}})
    );
    assert_eq!(f(json!("tags")).filter(&src), json!({"tags": ["t1"]}));
    assert_eq!(
        f(json!("list.v")).filter(&src),
        json!({"list": [{"v": 1}, {"v": 2}]})
    );
    assert!(!f(json!(false)).fetch);
}

#[test]
fn url_form() {
    let p = SourceFilter::from_params(Some("a,b"), None, Some("c")).unwrap();
    assert_eq!((p.includes.len(), p.excludes.len()), (2, 1));
    assert!(
        !SourceFilter::from_params(Some("false"), None, None)
            .unwrap()
            .fetch
    );
    assert!(SourceFilter::from_params(None, None, None).is_none());
}
