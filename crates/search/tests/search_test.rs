//! End-to-end searches: sorting, paging, multi-shard equivalence, source filtering, hits shape.

mod common;
use common::{docs, Fixture};
use quarry_search::{collect_matching_ids, count, parse_query};
use serde_json::json;

#[test]
fn three_shards_return_the_same_hits_as_one() {
    let mut many = Vec::new();
    for i in 0..40 {
        let mut d = docs()[i % 6].clone();
        d["n"] = json!((i * 7) % 13);
        many.push(d);
    }
    let one = Fixture::new(&many, 1);
    let three = Fixture::new(&many, 3);
    for body in [
        json!({"sort": [{"n": "desc"}, {"tag": "asc"}], "size": 40}),
        json!({"query": {"match": {"title": "dog"}}, "sort": ["n", {"price": {"order": "desc"}}], "from": 3, "size": 7}),
        json!({"query": {"term": {"tag": "red"}}, "sort": [{"date": {"order": "asc", "missing": "_first"}}, "n"], "size": 40}),
    ] {
        let a = one.search(body.clone()).unwrap();
        let b = three.search(body.clone()).unwrap();
        let sorts = |r: &quarry_search::SearchResponseParts| {
            r.hits.iter().map(|h| h["sort"].clone()).collect::<Vec<_>>()
        };
        assert_eq!(sorts(&a), sorts(&b), "{body}");
        assert_eq!(a.total_hits, b.total_hits);
        assert_eq!(b.shards_total, 3);
    }
    // Same ids when the sort is total (ids are unique per position in `many`).
    let body = json!({"sort": [{"n": "asc"}, {"price": "asc"}, {"tag": "asc"}], "size": 5});
    assert_eq!(one.search(body.clone()).unwrap().hits.len(), 5);
}

#[test]
fn sort_by_keyword_and_long_with_missing() {
    let f = Fixture::new(&docs(), 2);
    assert_eq!(
        f.ids(json!({"sort": [{"n": "asc"}]})),
        ["2", "4", "0", "1", "3", "5"]
    );
    assert_eq!(
        f.ids(json!({"sort": [{"n": {"order": "desc"}}]})),
        ["3", "1", "4", "0", "2", "5"]
    );
    assert_eq!(
        f.ids(json!({"sort": [{"n": {"order": "asc", "missing": "_first"}}]}))[0],
        "5"
    );
    assert_eq!(
        f.ids(json!({"sort": [{"n": {"order": "asc", "mode": "max"}}]})),
        ["2", "0", "4", "1", "3", "5"]
    );
    assert_eq!(
        f.ids(json!({"sort": ["tag", "n"]})),
        ["3", "4", "1", "5", "2", "0"]
    );
    assert_eq!(
        f.ids(json!({"sort": [{"tag": "desc"}, {"n": "desc"}]})),
        ["4", "0", "2", "5", "1", "3"]
    );
    let r = f
        .search(json!({"sort": [{"n": "asc"}], "size": 6}))
        .unwrap();
    assert_eq!(r.hits[0]["sort"], json!([-3]));
    assert_eq!(r.hits[5]["sort"], json!([i64::MAX]));
    assert_eq!(r.hits[0]["_score"], serde_json::Value::Null);
    assert_eq!(r.max_score, None);
    let r = f
        .search(json!({"sort": [{"date": "desc"}], "size": 1}))
        .unwrap();
    assert_eq!(r.hits[0]["_id"], "4");
    let e = f.search(json!({"sort": ["nope"]})).unwrap_err();
    assert_eq!(
        e.caused_by.unwrap().reason,
        "No mapping found for [nope] in order to sort on"
    );
    assert!(f
        .search(json!({"sort": [{"nope": {"unmapped_type": "long"}}]}))
        .is_ok());
    let e = f.search(json!({"sort": ["title"]})).unwrap_err();
    assert!(e
        .caused_by
        .unwrap()
        .reason
        .starts_with("Text fields are not optimised"));
}

#[test]
fn paging_search_after_and_totals() {
    let f = Fixture::new(&docs(), 3);
    let all = f.ids(json!({"sort": ["n"], "size": 10}));
    assert_eq!(
        f.ids(json!({"sort": ["n"], "from": 2, "size": 2})),
        all[2..4].to_vec()
    );
    let r = f.search(json!({"sort": ["n"], "size": 2})).unwrap();
    let after = r.hits[1]["sort"].clone();
    assert_eq!(
        f.ids(json!({"sort": ["n"], "size": 2, "search_after": after})),
        all[2..4].to_vec()
    );
    let r = f.search(json!({"track_total_hits": 3, "size": 0})).unwrap();
    assert_eq!((r.total_hits, r.total_relation.as_str()), (3, "gte"));
    let body = r.to_json(1);
    assert_eq!(
        body["hits"]["total"],
        json!({"value": 3, "relation": "gte"})
    );
    let r = f.search(json!({"track_total_hits": false})).unwrap();
    assert!(r.to_json(1)["hits"].get("total").is_none());
    let r = f
        .search(json!({"query": {"match": {"title": "dog"}}, "min_score": 0.0001}))
        .unwrap();
    assert_eq!(r.total_hits, 3);
    assert!(r.max_score.unwrap() > 0.0);
}

#[test]
fn hit_shape_and_source_filtering() {
    let f = Fixture::new(&docs(), 1);
    let r = f
        .search(json!({"query": {"ids": {"values": ["0"]}}, "_source": ["title", "user.*"], "version": true, "seq_no_primary_term": true, "docvalue_fields": ["date", "ip", "n"]}))
        .unwrap();
    let h = &r.hits[0];
    assert_eq!(h["_index"], "test");
    assert_eq!(h["_id"], "0");
    assert_eq!(h["_version"], 1);
    assert_eq!(h["_seq_no"], 0);
    assert_eq!(h["_primary_term"], 1);
    assert_eq!(
        h["_source"],
        json!({"title": "Quick brown fox", "user": {"name": "alice"}})
    );
    assert_eq!(h["fields"]["date"], json!(["2024-01-01T00:00:00.000Z"]));
    assert_eq!(h["fields"]["ip"], json!(["10.0.0.1"]));
    assert_eq!(h["fields"]["n"], json!([5]));
    let r = f
        .search(json!({"query": {"ids": {"values": ["0"]}}, "_source": false}))
        .unwrap();
    assert!(r.hits[0].get("_source").is_none());
    let body = r.to_json(3);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["took", "timed_out", "_shards", "hits"]);
}

#[test]
fn count_and_collect_ids() {
    let f = Fixture::new(&docs(), 2);
    let q = parse_query(&json!({"term": {"tag": "red"}})).unwrap();
    assert_eq!(count(&f.targets(), &q).unwrap(), 3);
    let mut ids: Vec<String> = collect_matching_ids(&f.targets(), &q)
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["0", "2", "4"]);
}

#[test]
fn aggregations_terms_stats_and_date_histogram() {
    let f = Fixture::new(&docs(), 2);
    let r = f
        .search(json!({"size": 0, "aggs": {
            "tags": {"terms": {"field": "tag"}, "aggregations": {"max_n": {"max": {"field": "n"}}}},
            "avg_price": {"avg": {"field": "price"}},
            "days": {"date_histogram": {"field": "date", "calendar_interval": "day"}}
        }}))
        .unwrap();
    let aggs = r.aggregations.unwrap();
    let buckets = aggs["tags"]["buckets"].as_array().unwrap();
    assert_eq!(buckets[0]["key"], "red");
    assert_eq!(buckets[0]["doc_count"], 3);
    assert_eq!(buckets[0]["max_n"]["value"], 7.0);
    assert_eq!(
        aggs["avg_price"]["value"],
        json!((1.5 + 2.0 + 0.25 + 9.75) / 4.0)
    );
    let days = aggs["days"]["buckets"].as_array().unwrap();
    assert_eq!(days[0]["key_as_string"], "2023-12-31T00:00:00.000Z");
    assert_eq!(days[0]["key"], 1_703_980_800_000i64);
    let e = f.search(json!({"aggs": {"x": {"foo": {}}}})).unwrap_err();
    assert_eq!(e.reason, "Unknown aggregation type [foo]");
}
