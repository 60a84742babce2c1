use super::*;
use crate::test_support::*;
use crate::{apply, ClusterCommand};
use serde_json::json;

fn actions(v: serde_json::Value) -> ClusterCommand {
    ClusterCommand::UpdateAliases(AliasAction::parse_actions(&v).unwrap())
}

fn base() -> ClusterState {
    create(&create(&cluster(&["n1"]), "a1", 1, 0), "a2", 1, 0)
}

#[test]
fn add_with_wildcards_and_remove() {
    let s = run(
        &base(),
        actions(json!({"actions": [{"add": {"index": "a*", "alias": "all"}}]})),
    );
    assert!(s.index("a1").unwrap().aliases.contains_key("all"));
    assert!(s.index("a2").unwrap().aliases.contains_key("all"));
    assert_eq!(s.index("a1").unwrap().aliases_version, 2);
    let s = run(
        &s,
        actions(json!({"actions": [{"remove": {"index": "a1", "alias": "all"}}]})),
    );
    assert!(!s.index("a1").unwrap().aliases.contains_key("all"));
}

#[test]
fn actions_are_atomic() {
    let s = base();
    let cmd = actions(json!({"actions": [
        {"add": {"index": "a1", "alias": "x"}},
        {"add": {"index": "missing", "alias": "y"}}
    ]}));
    let e = apply(&s, cmd, &mut ctx()).unwrap_err();
    assert_eq!(e.error_type, "index_not_found_exception");
    assert!(s.index("a1").unwrap().aliases.is_empty());
}

#[test]
fn errors_match_elasticsearch() {
    let s = base();
    let e = apply(
        &s,
        actions(json!({"actions": [{"remove": {"index": "a1", "alias": "nope"}}]})),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.reason.as_str()),
        (404, "aliases [nope] missing")
    );
    let e = apply(
        &s,
        actions(json!({"actions": [{"add": {"index": "a1", "alias": "a2"}}]})),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(e.error_type, "invalid_alias_name_exception");
    let two_writers = actions(
        json!({"actions": [{"add": {"index": "a1", "alias": "w", "is_write_index": true}},
        {"add": {"index": "a2", "alias": "w", "is_write_index": true}}]}),
    );
    let e = apply(&s, two_writers, &mut ctx()).unwrap_err();
    assert!(e.reason.contains("has more than one write index"));
    let must =
        actions(json!({"actions": [{"add": {"index": "a1", "alias": "z", "must_exist": true}}]}));
    assert!(apply(&s, must, &mut ctx()).is_err());
}

#[test]
fn switching_the_write_index_in_one_request() {
    let s = run(
        &base(),
        actions(
            json!({"actions": [{"add": {"index": "a1", "alias": "w", "is_write_index": true}}]}),
        ),
    );
    let s = run(
        &s,
        actions(json!({"actions": [
            {"add": {"index": "a1", "alias": "w", "is_write_index": false}},
            {"add": {"index": "a2", "alias": "w", "is_write_index": true}}
        ]})),
    );
    let w = crate::resolve_write_index(&s, "w").unwrap().unwrap();
    assert_eq!(w.index, "a2");
}

#[test]
fn remove_index_deletes_and_refuses_aliases() {
    let s = run(
        &base(),
        actions(json!({"actions": [{"add": {"index": "a1", "alias": "al"}}]})),
    );
    let e = apply(
        &s,
        actions(json!({"actions": [{"remove_index": {"index": "al"}}]})),
        &mut ctx(),
    )
    .unwrap_err();
    assert!(e.reason.contains("matches an alias"));
    let s = run(
        &s,
        actions(json!({"actions": [{"remove_index": {"index": "a2"}}]})),
    );
    assert!(s.index("a2").is_none() && s.routing_table.index("a2").is_none());
}

#[test]
fn remove_index_goes_first_so_an_alias_can_take_its_name() {
    let s = run(
        &base(),
        actions(json!({"actions": [
            {"add": {"index": "a2", "aliases": ["a1", "w"]}},
            {"remove_index": {"index": "a1"}}
        ]})),
    );
    assert!(s.index("a1").is_none());
    assert!(s.index("a2").unwrap().aliases.contains_key("a1"));
    assert!(s.index("a2").unwrap().aliases.contains_key("w"));
}
