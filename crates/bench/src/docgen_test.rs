//! Tests of the document generator: determinism, valid JSON, value ranges, bulk framing.

use super::*;
use serde_json::Value;

#[test]
fn same_seed_gives_identical_documents() {
    let a: Vec<String> = DocGenerator::new(7, 1000)
        .take(1000)
        .map(|d| d.to_json())
        .collect();
    let b: Vec<String> = DocGenerator::new(7, 1000)
        .take(1000)
        .map(|d| d.to_json())
        .collect();
    assert_eq!(a, b);
    let c: Vec<String> = DocGenerator::new(8, 1000)
        .take(1000)
        .map(|d| d.to_json())
        .collect();
    assert_ne!(a, c);
}

#[test]
fn documents_are_valid_json_with_the_track_fields() {
    for doc in DocGenerator::new(DEFAULT_SEED, 5000).take(5000) {
        let json = doc.to_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        let o = v.as_object().unwrap();
        assert_eq!(
            o.keys().cloned().collect::<Vec<_>>(),
            ["@timestamp", "clientip", "request", "status", "size"]
        );
        let ts = o["@timestamp"].as_i64().unwrap();
        assert!((START..START + SPAN + 60).contains(&ts), "{ts}");
        let ip: std::net::Ipv4Addr = o["clientip"].as_str().unwrap().parse().unwrap();
        assert_eq!(ip, doc.clientip);
        let req = o["request"].as_str().unwrap();
        assert!(
            req.starts_with("GET /") || req.starts_with("POST /") || req.starts_with("HEAD /"),
            "{req}"
        );
        assert!(
            req.ends_with(" HTTP/1.0") || req.ends_with(" HTTP/1.1"),
            "{req}"
        );
        let status = o["status"].as_u64().unwrap();
        let size = o["size"].as_u64().unwrap();
        assert!([200, 304, 404, 206, 301, 400, 500].contains(&status));
        if status == 304 || status == 404 {
            assert_eq!(size, 0);
        } else {
            assert!((100..=60_000).contains(&size));
        }
    }
}

#[test]
fn timestamps_spread_over_the_corpus() {
    let docs: Vec<LogDoc> = DocGenerator::new(1, 10_000).take(10_000).collect();
    assert!(docs[0].timestamp < START + 60);
    assert!(docs[9_999].timestamp > START + SPAN - 1000);
}

#[test]
fn weighted_pick_roughly_follows_weights() {
    let mut r = SplitMix64::new(3);
    let n = 100_000;
    let ok = (0..n).filter(|_| r.weighted(&STATUSES) == 200).count();
    assert!((75_000..85_000).contains(&ok), "{ok}");
    let mut r = SplitMix64::new(3);
    assert!((0..10_000).all(|_| (5..=9).contains(&r.range(5, 9))));
}

#[test]
fn bulk_corpus_frames_batches_and_counts_bytes() {
    let c = bulk_corpus(DEFAULT_SEED, 12_345, 5_000, "logs");
    assert_eq!(c.bodies.len(), 3);
    let mut lines = 0;
    let mut sources = Vec::new();
    for body in &c.bodies {
        let text = std::str::from_utf8(body).unwrap();
        assert!(text.ends_with('\n'));
        for (i, line) in text.lines().enumerate() {
            let v: Value = serde_json::from_str(line).unwrap();
            if i % 2 == 0 {
                assert_eq!(v["index"]["_index"], "logs");
            } else {
                sources.push(line.to_string());
            }
            lines += 1;
        }
    }
    assert_eq!(lines, 2 * 12_345);
    let expected: Vec<String> = DocGenerator::new(DEFAULT_SEED, 12_345)
        .take(12_345)
        .map(|d| d.to_json())
        .collect();
    assert_eq!(sources, expected);
    let src: u64 = expected.iter().map(|s| s.len() as u64 + 1).sum();
    assert_eq!(c.source_bytes, src);
    assert_eq!(
        c.bulk_bytes,
        c.bodies.iter().map(|b| b.len() as u64).sum::<u64>()
    );
}

#[test]
fn index_body_matches_the_rally_track_mapping() {
    let b = index_body("1s");
    assert_eq!(b["settings"]["index.translog.durability"], "request");
    assert_eq!(b["settings"]["index.number_of_shards"], 1);
    assert_eq!(
        b["mappings"]["properties"]["request"]["fields"]["raw"]["type"],
        "keyword"
    );
}
