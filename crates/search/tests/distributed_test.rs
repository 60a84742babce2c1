//! The coordinator's merge of local and remote shard answers: a search whose shards answer
//! partly locally (query phase, fetched after the reduce) and partly from "other nodes"
//! (query-and-fetch, hits and aggregations through a serialized round trip) equals the same
//! search run locally on all shards.

mod common;
use common::{docs, Fixture};
use quarry_search::distributed::{
    query_and_fetch, reduce_distributed, FetchedShardResult, GatheredSearch,
    IntermediateAggregationResults, ShardAnswer, ShardFailure,
};
use quarry_search::{execute_query_phase, parse_search_request, SearchRequest};
use quarry_types::EsError;
use serde_json::{json, Value};
use std::collections::HashMap;

fn many() -> Vec<Value> {
    (0..60)
        .map(|i| {
            let mut d = docs()[i % 6].clone();
            d["n"] = json!((i * 7) % 23);
            d
        })
        .collect()
}

/// What crossing the wire does to a remote answer: hits become JSON text, aggregations postcard.
fn over_the_wire(mut r: FetchedShardResult) -> FetchedShardResult {
    for h in &mut r.hits {
        h.hit = serde_json::from_str(&h.hit.to_string()).unwrap();
    }
    r.aggregations = r.aggregations.map(|a| {
        let bytes = postcard::to_stdvec(&a).unwrap();
        postcard::from_bytes::<IntermediateAggregationResults>(&bytes).unwrap()
    });
    r
}

/// Shard 0 local, the others remote; `failed` shards answer with an error instead.
fn merged(
    f: &Fixture,
    req: &SearchRequest,
    failed: &[usize],
    allow_partial: bool,
) -> Result<quarry_search::SearchResponseParts, EsError> {
    let targets = f.targets();
    let now = quarry_search::now_millis();
    let mut answers = Vec::new();
    let mut failures = Vec::new();
    // Remote answers first: the merge must not depend on arrival order.
    for (i, t) in targets.iter().enumerate().skip(1).rev() {
        if failed.contains(&i) {
            failures.push(ShardFailure {
                index: "test".into(),
                shard: i as u32,
                error: EsError::illegal_argument("boom"),
            });
            continue;
        }
        let r = query_and_fetch(t, i, req, now).unwrap();
        answers.push(ShardAnswer::Fetched(over_the_wire(r)));
    }
    let local = execute_query_phase(&targets[0], 0, req, now).unwrap();
    answers.push(ShardAnswer::Local {
        target: &targets[0],
        result: local,
    });
    let gathered = GatheredSearch {
        answers,
        failures,
        shards_total: targets.len(),
        allow_partial,
    };
    reduce_distributed(req, gathered, Some((&f.mapping, "standard")))
}

#[test]
fn local_and_remote_answers_merge_like_a_local_search() {
    let f = Fixture::new(&many(), 3);
    for body in [
        json!({"sort": [{"n": "desc"}, {"tag": "asc"}], "from": 4, "size": 12}),
        json!({"query": {"match": {"title": "dog"}}, "size": 50}),
        json!({"sort": ["n"], "size": 7, "_source": ["tag"], "track_total_hits": 5}),
        json!({"size": 3, "aggs": {
            "tags": {"terms": {"field": "tag"}},
            "avg_n": {"avg": {"field": "n"}},
            "max_price": {"max": {"field": "price"}}
        }}),
    ] {
        let req = parse_search_request(Some(&body), &HashMap::new(), 10_000).unwrap();
        let local = quarry_search::execute_search(&f.targets(), &req).unwrap();
        let distributed = merged(&f, &req, &[], true).unwrap();
        assert_eq!(distributed, local, "{body}");
    }
}

#[test]
fn failed_shards_are_counted_and_listed() {
    let f = Fixture::new(&many(), 3);
    let req = parse_search_request(Some(&json!({"size": 100})), &HashMap::new(), 10_000).unwrap();
    let r = merged(&f, &req, &[2], true).unwrap();
    assert_eq!(
        (r.shards_total, r.shards_successful, r.shards_failed),
        (3, 2, 1)
    );
    assert_eq!(r.total_hits, 40);
    assert_eq!(r.failures[0]["shard"], 2);
    assert_eq!(r.failures[0]["reason"]["reason"], "boom");
    let e = merged(&f, &req, &[2], false).unwrap_err();
    assert_eq!(e.error_type, "search_phase_execution_exception");
}

#[test]
fn no_answer_at_all_is_an_error_and_missing_shards_count_as_failed() {
    let f = Fixture::new(&many(), 3);
    let req = parse_search_request(None, &HashMap::new(), 10_000).unwrap();
    let gathered = GatheredSearch {
        answers: Vec::new(),
        failures: Vec::new(),
        shards_total: 2,
        allow_partial: true,
    };
    let e = reduce_distributed(&req, gathered, None).unwrap_err();
    assert_eq!(e.reason, "all shards failed");
    assert_eq!(e.status, 503);
    // One shard answered, one had no copy: failed but not listed.
    let targets = f.targets();
    let r = query_and_fetch(&targets[1], 0, &req, 0).unwrap();
    let gathered = GatheredSearch {
        answers: vec![ShardAnswer::Fetched(r)],
        failures: Vec::new(),
        shards_total: 2,
        allow_partial: true,
    };
    let parts = reduce_distributed(&req, gathered, None).unwrap();
    assert_eq!((parts.shards_successful, parts.shards_failed), (1, 1));
    assert!(parts.failures.is_empty());
    assert_eq!(parts.total_hits, 20);
}
