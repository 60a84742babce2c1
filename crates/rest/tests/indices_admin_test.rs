//! Index administration over REST as Elasticsearch 8 behaves: deleting through aliases and
//! wildcards, reserved `_` names, `human` settings, typed mappings, flush validation, the
//! `PUT _alias` forms and body overrides, `GET _alias` inclusion/exclusion rules, `remove_index`
//! ordering and composable template merging.

mod support;

use serde_json::json;

async fn with_aliased_index() -> support::TestNode {
    let n = support::start().await;
    let (s, v) = n
        .json(
            "PUT",
            "/index",
            Some(json!({"aliases": {"alias": {}}, "settings": {"number_of_replicas": 0}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = n
        .json(
            "PUT",
            "/index2",
            Some(json!({"settings": {"number_of_replicas": 0}})),
        )
        .await;
    assert_eq!(s, 200);
    n
}

#[tokio::test]
async fn delete_index_ignores_aliases() {
    let n = with_aliased_index().await;
    let (s, v) = n.json("DELETE", "/alias", None).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("The provided expression [alias] matches an alias"));
    let (s, _) = n
        .json("DELETE", "/alias,index2?ignore_unavailable=true", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(n.call("HEAD", "/index", None).await.status, 200);
    assert_eq!(n.call("HEAD", "/index2", None).await.status, 404);

    // Wildcards (allowed once destructive_requires_name is off) skip aliases.
    let (s, _) = n
        .json(
            "PUT",
            "/_cluster/settings",
            Some(json!({"persistent": {"action.destructive_requires_name": false}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = n.json("DELETE", "/alia*", None).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = n
        .json("DELETE", "/alia*?allow_no_indices=false", None)
        .await;
    assert_eq!(s, 404, "{v}");
    assert_eq!(n.call("HEAD", "/index", None).await.status, 200);
}

#[tokio::test]
async fn names_starting_with_underscore_are_invalid() {
    let n = support::start().await;
    let (s, v) = n.json("GET", "/_foo", None).await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["type"], "invalid_index_name_exception");
    assert_eq!(
        v["error"]["reason"],
        "Invalid index name [_foo], must not start with '_'."
    );
}

#[tokio::test]
async fn human_settings_add_readable_date_and_version() {
    let n = with_aliased_index().await;
    let (_, v) = n.json("GET", "/index?human=true", None).await;
    let index = &v["index"]["settings"]["index"];
    assert!(index["creation_date_string"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(index["version"]["created_string"], "8.15.0");
    let (_, v) = n.json("GET", "/index", None).await;
    assert!(v["index"]["settings"]["index"]
        .get("creation_date_string")
        .is_none());
    let (_, v) = n
        .json("GET", "/index/_settings?human&flat_settings=true", None)
        .await;
    assert!(v["index"]["settings"]["index.creation_date_string"].is_string());
}

#[tokio::test]
async fn put_mapping_refuses_types_and_empty_field_names() {
    let n = with_aliased_index().await;
    let (s, v) = n
        .json(
            "PUT",
            "/index/_mapping",
            Some(json!({"_doc": {"properties": {"f": {"type": "keyword"}}}})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["type"], "illegal_argument_exception");
    assert_eq!(
        v["error"]["reason"],
        "Types cannot be provided in put mapping requests"
    );
    let (s, v) = n
        .json(
            "PUT",
            "/index/_mapping",
            Some(json!({"properties": {"": {"type": "keyword"}}})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["type"], "mapper_parsing_exception");
    assert_eq!(
        v["error"]["caused_by"]["type"],
        "illegal_argument_exception"
    );
}

#[tokio::test]
async fn force_flush_must_wait_if_ongoing() {
    let n = with_aliased_index().await;
    let (s, v) = n
        .json(
            "POST",
            "/index/_flush?force=true&wait_if_ongoing=false",
            None,
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["type"], "action_request_validation_exception");
    assert!(v["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("wait_if_ongoing must be true for a force flush"));
    let (s, _) = n.json("POST", "/index/_flush?force=true", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn put_alias_forms_and_body_overrides() {
    let n = with_aliased_index().await;
    let (s, v) = n
        .json("PUT", "/index/_alias", Some(json!({"alias": "a1"})))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = n
        .json("PUT", "/_alias/a2", Some(json!({"index": "index"})))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = n
        .json(
            "PUT",
            "/_alias",
            Some(json!({"index": "index,index2", "alias": "a3", "routing": "r"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = n
        .json(
            "PUT",
            "/unknown/_alias/ignored",
            Some(json!({"index": "index", "alias": "a4"})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = n.json("GET", "/index/_alias", None).await;
    let aliases = &v["index"]["aliases"];
    for a in ["a1", "a2", "a3", "a4"] {
        assert!(aliases.get(a).is_some(), "{a} missing in {v}");
    }
    assert_eq!(aliases["a3"]["index_routing"], "r");
    let (_, v) = n.json("GET", "/index2/_alias", None).await;
    assert!(v["index2"]["aliases"].get("a3").is_some());
}

#[tokio::test]
async fn get_alias_inclusions_and_exclusions() {
    let n = support::start().await;
    let (s, _) = n
        .json(
            "PUT",
            "/test_index",
            Some(json!({"aliases": {"test_alias_1": {}, "test_alias_2": {}, "test_blias_1": {}, "test_blias_2": {}, "test": {}}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = n
        .json(
            "GET",
            "/_alias/test_blias_2,test_alias*,-test_alias_1",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let a = &v["test_index"]["aliases"];
    assert!(a.get("test_alias_1").is_none() && a.get("test_alias_2").is_some());
    assert!(a.get("test_blias_2").is_some());

    let (s, v) = n
        .json(
            "GET",
            "/_alias/test_alias_1,test_blias_2,-test_alias*,-test_blias_2",
            None,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v, json!({}));

    let (s, v) = n
        .json(
            "GET",
            "/_alias/-test_alias_1,-non-existing,test_alias*,-test",
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(v["error"], "aliases [-non-existing,-test_alias_1] missing");
    assert!(v["test_index"]["aliases"].get("test_alias_1").is_some());

    let (s, v) = n
        .json("GET", "/_alias/-non-existent,-non-existent*,-another", None)
        .await;
    assert_eq!(s, 404);
    assert_eq!(v["error"], "alias [-non-existent] missing");

    let (s, v) = n.json("GET", "/test_index/_alias/test,zzz,aaa", None).await;
    assert_eq!(s, 404);
    assert_eq!(v["error"], "aliases [aaa,zzz] missing");
}

#[tokio::test]
async fn remove_index_lets_an_alias_take_its_name() {
    let n = support::start().await;
    n.json("PUT", "/test", None).await;
    n.json("PUT", "/test_2", None).await;
    let (s, v) = n
        .json(
            "POST",
            "/_aliases",
            Some(json!({"actions": [
                {"add": {"index": "test_2", "aliases": ["test", "test_write"]}},
                {"remove_index": {"index": "test"}}
            ]})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = n.json("GET", "/test", None).await;
    assert!(v.get("test_2").is_some(), "{v}");
}

#[tokio::test]
async fn composable_templates_merge_mappings_and_normalize_aliases() {
    let n = support::start().await;
    for (name, props) in [
        (
            "red",
            json!({"object1.red": {"type": "keyword"}, "object2.red": {"type": "keyword"}}),
        ),
        (
            "blue",
            json!({"object2.red": {"type": "text"}, "object1.blue": {"type": "text"}}),
        ),
    ] {
        let (s, v) = n
            .json(
                "PUT",
                &format!("/_component_template/{name}"),
                Some(json!({"template": {"mappings": {"properties": props}}})),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = n
        .json(
            "PUT",
            "/_index_template/purple",
            Some(json!({
                "index_patterns": ["purple-index"],
                "composed_of": ["red", "blue"],
                "template": {
                    "mappings": {"properties": {"object2.purple": {"type": "integer"}}},
                    "aliases": {"routed": {"routing": "b"}}
                }
            })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = n.json("GET", "/_index_template/purple", None).await;
    let routed = &v["index_templates"][0]["index_template"]["template"]["aliases"]["routed"];
    assert_eq!(routed["index_routing"], "b");
    assert_eq!(routed["search_routing"], "b");

    let (s, v) = n
        .json(
            "PUT",
            "/purple-index",
            Some(json!({"mappings": {"properties": {"object2.purple": {"type": "double"}}}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, v) = n.json("GET", "/purple-index/_mapping", None).await;
    let p = &v["purple-index"]["mappings"]["properties"];
    assert_eq!(p["object1"]["properties"]["red"]["type"], "keyword");
    assert_eq!(p["object2"]["properties"]["red"]["type"], "text");
    assert_eq!(p["object2"]["properties"]["purple"]["type"], "double");
}

#[tokio::test]
async fn query_string_lenient_is_settable_on_a_closed_index() {
    let n = with_aliased_index().await;
    let (s, _) = n.json("POST", "/index/_close", None).await;
    assert_eq!(s, 200);
    let (s, v) = n
        .json(
            "PUT",
            "/index/_settings",
            Some(json!({"settings": {"index.query_string.lenient": "true"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
}
