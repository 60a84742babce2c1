//! Deterministic generator of http_logs-like documents, shaped like the local Rally track's
//! `/work/shared/bench/rally-track/gen_docs.py` (same field names, value ranges and mapping), so
//! the figures are comparable with a Rally run against Elasticsearch.
//!
//! A document is `{"@timestamp":<epoch seconds>,"clientip":"a.b.c.d","request":"GET /dir/w_w.ext
//! HTTP/1.x","status":200,"size":1234}`. The PRNG is SplitMix64 with a fixed seed, so the same
//! `(seed, n)` always yields byte-identical documents: the Quarry load and the raw tantivy
//! baseline index exactly the same data.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// Seed used by every benchmark run.
pub const DEFAULT_SEED: u64 = 42;

/// 1998-05-01T00:00:00Z, the http_logs era.
const START: i64 = 893_980_800;
/// Ten days of logs.
const SPAN: i64 = 10 * 86_400;
const METHODS: [(&str, u32); 3] = [("GET", 18), ("POST", 1), ("HEAD", 1)];
const STATUSES: [(u16, u32); 7] = [
    (200, 80),
    (304, 10),
    (404, 6),
    (206, 1),
    (301, 1),
    (400, 1),
    (500, 1),
];
const DIRS: [&str; 10] = [
    "images", "english", "french", "spanish", "german", "news", "tickets", "teams", "history",
    "venues",
];
const EXTS: [&str; 6] = [".gif", ".html", ".jpg", ".htm", ".js", ".css"];
const WORDS: [&str; 20] = [
    "home", "index", "logo", "nav", "team", "match", "photo", "schedule", "result", "player",
    "stadium", "ticket", "bg", "button", "arrow", "mascot", "cup", "final", "group", "score",
];

/// The index body (settings + mappings) of the Rally track, with the benchmark's settings.
pub fn index_body(refresh_interval: &str) -> serde_json::Value {
    serde_json::json!({
        "settings": {
            "index.number_of_shards": 1,
            "index.number_of_replicas": 0,
            "index.refresh_interval": refresh_interval,
            "index.translog.durability": "request"
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "@timestamp": { "type": "date", "format": "strict_date_optional_time||epoch_second" },
                "clientip":   { "type": "ip" },
                "request":    { "type": "text", "fields": { "raw": { "type": "keyword", "ignore_above": 256 } } },
                "status":     { "type": "integer" },
                "size":       { "type": "integer" }
            }
        }
    })
}

/// SplitMix64: tiny, fast, good enough statistical quality for synthetic data.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is negligible for small `n`). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks from `(value, weight)` pairs proportionally to the weights.
    pub fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (value, w) in items {
            if r < *w {
                return *value;
            }
            r -= w;
        }
        items[items.len() - 1].0
    }
}

/// One generated log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogDoc {
    /// Epoch seconds.
    pub timestamp: i64,
    pub clientip: Ipv4Addr,
    pub request: String,
    pub status: u16,
    pub size: u32,
}

impl LogDoc {
    /// Appends the compact JSON source (no trailing newline), key order as in `gen_docs.py`.
    /// Every string value comes from fixed ASCII word lists, so no escaping is needed.
    pub fn write_json(&self, out: &mut String) {
        let _ = write!(
            out,
            r#"{{"@timestamp":{},"clientip":"{}","request":"{}","status":{},"size":{}}}"#,
            self.timestamp, self.clientip, self.request, self.status, self.size
        );
    }

    /// Parses a document written by [`LogDoc::write_json`] (what a raw tantivy application
    /// reading the corpus would do).
    pub fn from_json(text: &str) -> anyhow::Result<LogDoc> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(rename = "@timestamp")]
            timestamp: i64,
            clientip: Ipv4Addr,
            request: String,
            status: u16,
            size: u32,
        }
        let r: Raw = serde_json::from_str(text)?;
        Ok(LogDoc {
            timestamp: r.timestamp,
            clientip: r.clientip,
            request: r.request,
            status: r.status,
            size: r.size,
        })
    }

    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(128);
        self.write_json(&mut s);
        s
    }
}

/// Endless deterministic stream of documents for a corpus of `total` documents (the timestamps
/// spread over ten days across the whole corpus, mostly increasing, like real logs).
#[derive(Debug, Clone)]
pub struct DocGenerator {
    rng: SplitMix64,
    total: u64,
    next: u64,
}

impl DocGenerator {
    pub fn new(seed: u64, total: u64) -> Self {
        DocGenerator {
            rng: SplitMix64::new(seed),
            total: total.max(1),
            next: 0,
        }
    }

    pub fn next_doc(&mut self) -> LogDoc {
        let i = self.next as i64;
        self.next += 1;
        let r = &mut self.rng;
        let timestamp = START + (i * SPAN) / self.total as i64 + r.range(0, 59) as i64;
        let clientip = Ipv4Addr::new(
            r.range(1, 223) as u8,
            r.range(0, 255) as u8,
            r.range(0, 255) as u8,
            r.range(1, 254) as u8,
        );
        let (dir, w1, w2, ext) = (
            *r.pick(&DIRS),
            *r.pick(&WORDS),
            *r.pick(&WORDS),
            *r.pick(&EXTS),
        );
        let method = r.weighted(&METHODS);
        let minor = r.range(0, 1);
        let request = format!("{method} /{dir}/{w1}_{w2}{ext} HTTP/1.{minor}");
        let status = r.weighted(&STATUSES);
        let size = if status == 304 || status == 404 {
            0
        } else {
            r.range(100, 60_000) as u32
        };
        LogDoc {
            timestamp,
            clientip,
            request,
            status,
            size,
        }
    }
}

impl Iterator for DocGenerator {
    type Item = LogDoc;

    fn next(&mut self) -> Option<LogDoc> {
        Some(self.next_doc())
    }
}

/// The `_bulk` bodies for the whole corpus: `docs` documents in requests of `batch` documents.
#[derive(Debug, Default)]
pub struct BulkCorpus {
    pub bodies: Vec<Vec<u8>>,
    /// Bytes of document sources (one JSON line + newline per document), action lines excluded.
    pub source_bytes: u64,
    /// Bytes of all request bodies, action lines included.
    pub bulk_bytes: u64,
}

/// The `_bulk` action line (with newline) of every document: index into `index`, auto id.
pub fn action_line(index: &str) -> String {
    format!("{{\"index\":{{\"_index\":\"{index}\"}}}}\n")
}

/// Builds NDJSON `_bulk` bodies of `batch` documents, each preceded by [`action_line`].
pub fn bulk_corpus(seed: u64, docs: u64, batch: u64, index: &str) -> BulkCorpus {
    let action = action_line(index);
    let mut gen = DocGenerator::new(seed, docs);
    let mut corpus = BulkCorpus::default();
    let mut left = docs;
    let mut line = String::with_capacity(160);
    while left > 0 {
        let n = left.min(batch.max(1));
        let mut body = Vec::with_capacity(n as usize * (action.len() + 130));
        for _ in 0..n {
            line.clear();
            gen.next_doc().write_json(&mut line);
            line.push('\n');
            body.extend_from_slice(action.as_bytes());
            body.extend_from_slice(line.as_bytes());
            corpus.source_bytes += line.len() as u64;
        }
        corpus.bulk_bytes += body.len() as u64;
        corpus.bodies.push(body);
        left -= n;
    }
    corpus
}

#[cfg(test)]
#[path = "docgen_test.rs"]
mod docgen_test;
