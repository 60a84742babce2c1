//! Document APIs behaving like Elasticsearch in the corners the YAML conformance suites probe:
//! `require_alias`, bulk metadata (`op_type`, empty `_id`, malformed lines, `pipeline`,
//! `_source`), `error_trace` stack traces, stored fields, `_source.enabled: false`, get
//! versions, create with external versions, nested-object limits and mget field names.

mod support;

async fn bulk(n: &support::TestNode, uri: &str, lines: &[&str]) -> serde_json::Value {
    let body = lines.join("\n") + "\n";
    let r = n.call("POST", uri, Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

#[tokio::test]
async fn require_alias_rejects_concrete_and_missing_targets() {
    let n = support::start().await;
    let r = n
        .call("POST", "/plain/_doc?require_alias=true", Some(r#"{"a":1}"#))
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        r.json()["error"]["reason"],
        "no such index [plain] and [require_alias] request flag is [true] and [plain] is not an alias"
    );
    assert_eq!(n.call("GET", "/plain", None).await.status, 404);
    let r = n
        .call(
            "POST",
            "/plain/_update/1?require_alias=true",
            Some(r#"{"doc":{"a":1},"doc_as_upsert":true}"#),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = n
        .call("PUT", "/backing", Some(r#"{"aliases":{"the_alias":{}}}"#))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = n
        .call(
            "POST",
            "/the_alias/_doc?require_alias=true",
            Some(r#"{"a":1}"#),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let v = bulk(
        &n,
        "/_bulk?require_alias=true",
        &[
            r#"{"index":{"_index":"not_created"}}"#,
            r#"{"f":1}"#,
            r#"{"index":{"_index":"created","require_alias":false}}"#,
            r#"{"f":2}"#,
            r#"{"index":{"_index":"the_alias"}}"#,
            r#"{"f":3}"#,
        ],
    )
    .await;
    assert_eq!(v["errors"], true);
    assert_eq!(v["items"][0]["index"]["status"], 404);
    assert_eq!(v["items"][1]["index"]["result"], "created");
    assert_eq!(v["items"][2]["index"]["result"], "created");
    assert_eq!(n.call("GET", "/not_created", None).await.status, 404);
}

#[tokio::test]
async fn bulk_metadata_op_type_empty_id_pipeline_and_malformed_lines() {
    let n = support::start().await;
    let v = bulk(
        &n,
        "/_bulk?refresh=true",
        &[
            r#"{"index":{"_index":"t","_id":""}}"#,
            r#"{"f":1}"#,
            r#"{"index":{"_index":"t","op_type":"create"}}"#,
            r#"{"f":2}"#,
            r#"{"index":{"_index":"t","_id":"p","pipeline":"nope"}}"#,
            r#"{"f":3}"#,
        ],
    )
    .await;
    let err = &v["items"][0]["index"]["error"];
    assert_eq!(err["type"], "illegal_argument_exception");
    assert_eq!(err["reason"], "if _id is specified it must not be empty");
    assert_eq!(v["items"][1]["create"]["result"], "created");
    assert_eq!(v["items"][2]["index"]["status"], 400);
    assert_eq!(
        v["items"][2]["index"]["error"]["reason"],
        "pipeline with id [nope] does not exist"
    );
    let body = "{\"index\":{\"_index\":\"t\",\"_id\":\"x\"}}\n{\"f\":1}\n{}\n";
    let r = n.call("POST", "/_bulk", Some(body)).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["reason"],
        "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]"
    );
    let r = n
        .call("PUT", "/t/_doc/q?pipeline=nope", Some(r#"{"f":1}"#))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn error_trace_adds_stack_traces_to_item_errors() {
    let n = support::start().await;
    let lines = [
        r#"{"update":{"_index":"missing_idx","_id":"123"}}"#,
        r#"{"doc":{"f":1}}"#,
    ];
    let v = bulk(&n, "/_bulk?error_trace=true", &lines).await;
    let err = &v["items"][0]["update"]["error"];
    assert_eq!(err["type"], "document_missing_exception");
    assert_eq!(
        err["stack_trace"],
        "[missing_idx][[missing_idx][0]] DocumentMissingException[[123]: document missing]"
    );
    let v = bulk(&n, "/_bulk", &lines).await;
    assert!(v["items"][0]["update"]["error"]
        .get("stack_trace")
        .is_none());

    let r = n
        .call(
            "POST",
            "/nowhere/_mget?error_trace=true",
            Some(r#"{"ids":[1]}"#),
        )
        .await;
    let err = &r.json()["docs"][0]["error"];
    assert_eq!(err["root_cause"][0]["type"], "index_not_found_exception");
    let trace = err["stack_trace"].as_str().unwrap();
    assert!(
        trace.contains("[nowhere] IndexNotFoundException"),
        "{trace}"
    );
    assert_eq!(err["root_cause"][0]["stack_trace"], err["stack_trace"]);
}

#[tokio::test]
async fn bulk_update_metadata_source_returns_get_source() {
    let n = support::start().await;
    n.call(
        "PUT",
        "/s/_doc/1?refresh=true",
        Some(r#"{"foo":"a","bar":"b"}"#),
    )
    .await;
    let v = bulk(
        &n,
        "/_bulk",
        &[
            r#"{"update":{"_index":"s","_id":"1","_source":{"includes":"bar"}}}"#,
            r#"{"doc":{"foo":"z"}}"#,
        ],
    )
    .await;
    assert_eq!(
        v["items"][0]["update"]["get"]["_source"],
        serde_json::json!({"bar": "b"})
    );
    let v = bulk(
        &n,
        "/s/_bulk?_source_includes=foo",
        &[r#"{"update":{"_id":"1"}}"#, r#"{"doc":{"foo":"y"}}"#],
    )
    .await;
    assert_eq!(
        v["items"][0]["update"]["get"]["_source"],
        serde_json::json!({"foo": "y"})
    );
}

#[tokio::test]
async fn stored_fields_disabled_source_and_get_versions() {
    let n = support::start().await;
    let mapping = r#"{"mappings":{"properties":{"foo":{"type":"keyword","store":true},"count":{"type":"integer","store":true}}}}"#;
    assert_eq!(n.call("PUT", "/sf", Some(mapping)).await.status, 200);
    n.call("PUT", "/sf/_doc/1", Some(r#"{"foo":"bar","count":1}"#))
        .await;
    let v = n
        .call("GET", "/sf/_doc/1?stored_fields=foo,count", None)
        .await
        .json();
    assert_eq!(
        v["fields"],
        serde_json::json!({"foo": ["bar"], "count": [1]})
    );
    assert!(v.get("_source").is_none());
    let v = n
        .call("GET", "/sf/_doc/1?stored_fields=foo,_source", None)
        .await
        .json();
    assert_eq!(v["_source"]["foo"], "bar");
    let r = n
        .call(
            "POST",
            "/sf/_mget",
            Some(r#"{"docs":[{"_id":"1","stored_fields":["foo"]},{"_id":"1","_routing":"x"}]}"#),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let v = n
        .call(
            "POST",
            "/sf/_mget",
            Some(r#"{"docs":[{"_id":"1","stored_fields":["foo"]}]}"#),
        )
        .await
        .json();
    assert_eq!(v["docs"][0]["fields"]["foo"], serde_json::json!(["bar"]));
    assert_eq!(
        n.call("GET", "/sf/_doc/1?version=2", None).await.status,
        409
    );
    assert_eq!(
        n.call("GET", "/sf/_doc/1?version=1", None).await.status,
        200
    );

    let off = r#"{"mappings":{"_source":{"enabled":false}}}"#;
    assert_eq!(n.call("PUT", "/nosrc", Some(off)).await.status, 200);
    n.call("PUT", "/nosrc/_doc/1", Some(r#"{"foo":"bar"}"#))
        .await;
    let v = n.call("GET", "/nosrc/_doc/1", None).await.json();
    assert_eq!(v["found"], true);
    assert!(v.get("_source").is_none());
    let r = n.call("GET", "/nosrc/_source/1", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["reason"], "Source not found [nosrc]/[1]");
}

#[tokio::test]
async fn get_source_refresh_makes_unrefreshed_docs_visible() {
    let n = support::start().await;
    let settings = r#"{"settings":{"refresh_interval":-1}}"#;
    assert_eq!(n.call("PUT", "/rt", Some(settings)).await.status, 200);
    n.call("PUT", "/rt/_doc/1", Some(r#"{"foo":"bar"}"#)).await;
    assert_eq!(
        n.call("GET", "/rt/_source/1?realtime=false", None)
            .await
            .status,
        404
    );
    let r = n
        .call("GET", "/rt/_source/1?realtime=false&refresh=true", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn create_with_external_version_and_nested_limit_fail() {
    let n = support::start().await;
    let r = n
        .call(
            "PUT",
            "/c/_create/1?version_type=external&version=5",
            Some(r#"{"a":1}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["reason"],
        "Validation Failed: 1: create operations only support internal versioning. use index instead;"
    );
    let body = r#"{"settings":{"index.mapping.nested_objects.limit":2},"mappings":{"properties":{"n":{"type":"nested"}}}}"#;
    assert_eq!(n.call("PUT", "/nest", Some(body)).await.status, 200);
    let ok = n
        .call("PUT", "/nest/_create/1", Some(r#"{"n":[{"a":1},{"a":2}]}"#))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let r = n
        .call(
            "PUT",
            "/nest/_create/2",
            Some(r#"{"n":[{"a":1},{"a":2},{"a":3}]}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r
        .text
        .contains("The number of nested documents has exceeded the allowed limit of [2]."));
}

#[tokio::test]
async fn update_unknown_fields_suggest_the_closest_name() {
    let n = support::start().await;
    let r = n
        .call(
            "POST",
            "/u/_update/1",
            Some(r#"{"dac":{"a":1},"upsert":{"a":1}}"#),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["reason"],
        "[1:2] [UpdateRequest] unknown field [dac] did you mean [doc]?"
    );
}

#[tokio::test]
async fn top_level_error_trace_is_a_one_line_java_style_trace() {
    let n = support::start().await;
    let r = n.call("GET", "/nope/_doc/1?error_trace=true", None).await;
    let v = r.json();
    assert_eq!(
        v["error"]["stack_trace"],
        "[nope] IndexNotFoundException[no such index [nope]]"
    );
    assert_eq!(
        v["error"]["root_cause"][0]["stack_trace"],
        v["error"]["stack_trace"]
    );
}
