use super::*;
use crate::test_support::*;
use crate::{AliasAction, ClusterCommand};
use serde_json::json;

fn state() -> ClusterState {
    let mut s = cluster(&["n1"]);
    for name in ["logs-1", "logs-2", "metrics", ".internal"] {
        s = create(&s, name, 1, 0);
    }
    s = run(&s, create_cmd("secret", json!({"index.hidden": true})));
    s = run(&s, create_cmd("old", json!({})));
    s = run(&s, ClusterCommand::CloseIndices(vec!["old".into()]));
    s = run(
        &s,
        ClusterCommand::UpdateAliases(vec![AliasAction::Add {
            indices: vec!["logs-*".into()],
            aliases: vec!["all-logs".into()],
            filter: None,
            index_routing: None,
            search_routing: None,
            is_write_index: None,
            is_hidden: None,
            must_exist: None,
        }]),
    );
    s
}

fn resolve(s: &ClusterState, expr: &str, o: IndicesOptions) -> Result<Vec<String>, EsError> {
    let exprs: Vec<String> = if expr.is_empty() {
        vec![]
    } else {
        vec![expr.to_string()]
    };
    concrete_indices(s, &exprs, &o)
}

#[test]
fn all_and_wildcards_skip_hidden_and_closed() {
    let s = state();
    let o = IndicesOptions::strict_expand_open_forbid_closed();
    assert_eq!(
        resolve(&s, "", o).unwrap(),
        vec!["logs-1", "logs-2", "metrics"]
    );
    assert_eq!(
        resolve(&s, "_all", o).unwrap(),
        vec!["logs-1", "logs-2", "metrics"]
    );
    assert_eq!(
        resolve(&s, "*", o).unwrap(),
        vec!["logs-1", "logs-2", "metrics"]
    );
    assert_eq!(resolve(&s, ".*", o).unwrap(), vec![".internal"]);
    let all = IndicesOptions::strict_expand()
        .with_params(None, None, Some("all"))
        .unwrap();
    assert_eq!(
        resolve(&s, "*", all).unwrap(),
        vec![".internal", "logs-1", "logs-2", "metrics", "old", "secret"]
    );
    let closed = IndicesOptions::for_open_index();
    assert_eq!(resolve(&s, "*", closed).unwrap(), vec!["old"]);
}

#[test]
fn exclusions_and_comma_lists() {
    let s = state();
    let o = IndicesOptions::strict_expand_open_forbid_closed();
    assert_eq!(resolve(&s, "*,-logs-*", o).unwrap(), vec!["metrics"]);
    assert_eq!(resolve(&s, "logs-*,-logs-1", o).unwrap(), vec!["logs-2"]);
    assert_eq!(
        resolve(&s, "metrics,logs-1", o).unwrap(),
        vec!["logs-1", "metrics"]
    );
    // An exclusion before any wildcard is a literal name, which does not exist.
    assert_eq!(
        resolve(&s, "-metrics", o).unwrap_err().error_type,
        "index_not_found_exception"
    );
}

#[test]
fn missing_names_and_empty_wildcards() {
    let s = state();
    let o = IndicesOptions::strict_expand_open_forbid_closed();
    let e = resolve(&s, "nope", o).unwrap_err();
    assert_eq!((e.status, e.reason.as_str()), (404, "no such index [nope]"));
    assert!(resolve(&s, "nope*", o).unwrap().is_empty());
    let strict = o.with_params(None, Some("false"), None).unwrap();
    assert_eq!(
        resolve(&s, "nope*", strict).unwrap_err().reason,
        "no such index [nope*]"
    );
    let lenient = o.with_params(Some("true"), None, None).unwrap();
    assert_eq!(
        resolve(&s, "nope,metrics", lenient).unwrap(),
        vec!["metrics"]
    );
}

#[test]
fn closed_index_named_explicitly() {
    let s = state();
    let e = resolve(
        &s,
        "old",
        IndicesOptions::strict_expand_open_forbid_closed(),
    )
    .unwrap_err();
    assert_eq!(e.error_type, "index_closed_exception");
    assert_eq!(
        resolve(&s, "old", IndicesOptions::strict_expand()).unwrap(),
        vec!["old"]
    );
}

#[test]
fn aliases_expand_to_their_indices() {
    let s = state();
    let o = IndicesOptions::strict_expand_open_forbid_closed();
    assert_eq!(
        resolve(&s, "all-logs", o).unwrap(),
        vec!["logs-1", "logs-2"]
    );
    assert_eq!(resolve(&s, "all-*", o).unwrap(), vec!["logs-1", "logs-2"]);
    assert!(resolve(&s, "<logs-{now/d}>", o).is_err());
}

#[test]
fn delete_index_options_ignore_aliases() {
    let s = state();
    let o = IndicesOptions::for_delete_index();
    let err = resolve(&s, "all-logs", o).unwrap_err();
    assert!(err
        .to_string()
        .contains("The provided expression [all-logs] matches an alias"));
    let lenient = o.with_params(Some("true"), None, None).unwrap();
    assert!(resolve(&s, "all-logs", lenient).unwrap().is_empty());
    assert!(resolve(&s, "all-*", o).unwrap().is_empty());
    let strict = o.with_params(None, Some("false"), None).unwrap();
    assert!(resolve(&s, "all-*", strict).is_err());
    assert_eq!(resolve(&s, "logs-*", o).unwrap(), vec!["logs-1", "logs-2"]);
}

#[test]
fn expressions_starting_with_underscore_are_invalid_names() {
    let s = state();
    let lenient = IndicesOptions::lenient_expand_open();
    let err = resolve(&s, "_foo", lenient).unwrap_err();
    assert_eq!(err.error_type, "invalid_index_name_exception");
    assert_eq!(
        err.reason,
        "Invalid index name [_foo], must not start with '_'."
    );
    assert!(resolve(&s, "_all", lenient).is_ok());
}

#[test]
fn expand_wildcards_parsing() {
    assert_eq!(
        ExpandWildcards::parse("open,hidden").unwrap(),
        ExpandWildcards {
            open: true,
            closed: false,
            hidden: true
        }
    );
    assert_eq!(
        ExpandWildcards::parse("none").unwrap(),
        ExpandWildcards::NONE
    );
    assert!(ExpandWildcards::parse("bogus").is_err());
}

#[test]
fn write_index_resolution() {
    let s = state();
    assert_eq!(
        resolve_write_index(&s, "metrics").unwrap().unwrap().index,
        "metrics"
    );
    assert!(resolve_write_index(&s, "nothing").unwrap().is_none());
    let e = resolve_write_index(&s, "all-logs").unwrap_err();
    assert!(e
        .reason
        .starts_with("no write index is defined for alias [all-logs]."));
    assert_eq!(
        resolve_write_index(&s, "old").unwrap_err().error_type,
        "index_closed_exception"
    );
    let s = run(
        &s,
        ClusterCommand::UpdateAliases(vec![
            AliasAction::Add {
                indices: vec!["logs-2".into()],
                aliases: vec!["all-logs".into()],
                filter: None,
                index_routing: Some("r1".into()),
                search_routing: None,
                is_write_index: Some(true),
                is_hidden: None,
                must_exist: None,
            },
            AliasAction::Add {
                indices: vec!["metrics".into()],
                aliases: vec!["m".into()],
                filter: Some(json!({"term": {"a": 1}})),
                index_routing: None,
                search_routing: Some("1,2".into()),
                is_write_index: None,
                is_hidden: None,
                must_exist: None,
            },
        ]),
    );
    let w = resolve_write_index(&s, "all-logs").unwrap().unwrap();
    assert_eq!(w.index, "logs-2");
    assert_eq!(w.alias.unwrap().1.index_routing.as_deref(), Some("r1"));
    assert_eq!(
        resolve_write_index(&s, "m").unwrap().unwrap().index,
        "metrics"
    );
    assert_eq!(
        alias_filters(&s, &["m".into()], "metrics"),
        Some(vec![json!({"term": {"a": 1}})])
    );
    assert_eq!(alias_filters(&s, &["metrics".into()], "metrics"), None);
    assert_eq!(
        alias_search_routing(&s, &["m".into()], "metrics").as_deref(),
        Some("1,2")
    );
}
