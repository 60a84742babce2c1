//! Test fixture: small tantivy shards built with the real layout and a minimal mapper.
#![allow(dead_code)]

use quarry_index::layout::{
    DocumentBuilder, DocumentMeta, IndexedValue, ShardLayout, RAW_TOKENIZER,
};
use quarry_search::fetch_phase::values_at;
use quarry_search::{execute_search, parse_search_request, SearchResponseParts, ShardTarget};
use quarry_types::date::parse_date;
use quarry_types::{FieldType, Mapping};
use serde_json::{json, Value};
use std::collections::HashMap;
use tantivy::tokenizer::{LowerCaser, RawTokenizer, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, Searcher};

pub fn analyze(_analyzer: &str, text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub fn mapping() -> Mapping {
    Mapping::parse(&json!({"properties": {
        "title": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        "tag": {"type": "keyword"},
        "n": {"type": "long"},
        "price": {"type": "double"},
        "ok": {"type": "boolean"},
        "date": {"type": "date"},
        "ip": {"type": "ip"},
        "user": {"properties": {"name": {"type": "keyword"}}}
    }}))
    .unwrap()
}

fn indexed_values(ft: FieldType, v: &Value) -> Vec<IndexedValue> {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match ft {
        FieldType::Text => vec![IndexedValue::Text {
            analyzer: "standard".into(),
            text,
        }],
        FieldType::Keyword => vec![IndexedValue::Keyword(text)],
        FieldType::Long => vec![IndexedValue::Long(v.as_i64().unwrap())],
        FieldType::Double => vec![IndexedValue::Double(v.as_f64().unwrap())],
        FieldType::Boolean => vec![IndexedValue::Boolean(v.as_bool().unwrap())],
        FieldType::Date => vec![IndexedValue::Date(parse_date(&text, None).unwrap())],
        FieldType::Ip => vec![IndexedValue::Ip(text.parse().unwrap())],
        _ => vec![],
    }
}

pub struct Shard {
    pub index: Index,
    pub layout: ShardLayout,
    pub searcher: Searcher,
}

/// Builds one shard holding `docs` (id, source).
pub fn build_shard(mapping: &Mapping, docs: &[(String, Value)]) -> Shard {
    let layout = ShardLayout::build(&["standard".to_string()]);
    let index = Index::create_in_ram(layout.schema.clone());
    index
        .tokenizers()
        .register(RAW_TOKENIZER, TextAnalyzer::from(RawTokenizer::default()));
    index.tokenizers().register(
        "standard",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    let mut w: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
    for (seq, (id, source)) in docs.iter().enumerate() {
        let mut b = DocumentBuilder::new();
        for (path, fm) in mapping.leaves() {
            let mut values = values_at(source, &path);
            if values.is_empty() {
                // A multi-field (`title.keyword`) takes its parent's values.
                if let Some((parent, _)) = path.rsplit_once('.') {
                    if mapping
                        .field(parent)
                        .is_some_and(|p| !p.field_type.is_object())
                    {
                        values = values_at(source, parent);
                    }
                }
            }
            for v in values {
                for iv in indexed_values(fm.field_type, &v) {
                    b.add(&path, iv);
                }
            }
        }
        let bytes = serde_json::to_vec(source).unwrap();
        let meta = DocumentMeta {
            id,
            source: &bytes,
            routing: None,
            seq_no: seq as i64,
            version: 1,
            primary_term: 1,
        };
        w.add_document(b.build(&layout, &meta)).unwrap();
    }
    w.commit().unwrap();
    let searcher = index.reader().unwrap().searcher();
    Shard {
        index,
        layout,
        searcher,
    }
}

pub struct Fixture {
    pub mapping: Mapping,
    pub shards: Vec<Shard>,
}

impl Fixture {
    /// Splits `docs` round-robin over `n` shards.
    pub fn new(docs: &[Value], n: usize) -> Fixture {
        let mapping = mapping();
        let mut parts: Vec<Vec<(String, Value)>> = vec![Vec::new(); n];
        for (i, d) in docs.iter().enumerate() {
            parts[i % n].push((i.to_string(), d.clone()));
        }
        let shards = parts.iter().map(|p| build_shard(&mapping, p)).collect();
        Fixture { mapping, shards }
    }

    pub fn targets(&self) -> Vec<ShardTarget<'_>> {
        self.shards
            .iter()
            .enumerate()
            .map(|(i, s)| {
                ShardTarget::new(
                    "test",
                    i as u32,
                    &s.searcher,
                    &s.layout,
                    &self.mapping,
                    &analyze,
                )
            })
            .collect()
    }

    pub fn search(&self, body: Value) -> Result<SearchResponseParts, quarry_types::EsError> {
        let req = parse_search_request(Some(&body), &HashMap::new(), 10_000)?;
        execute_search(&self.targets(), &req)
    }

    /// Ids of the hits, in order.
    pub fn ids(&self, body: Value) -> Vec<String> {
        let r = self.search(body).unwrap();
        r.hits
            .iter()
            .map(|h| h["_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Sorted ids of every match of `query`.
    pub fn matching(&self, query: Value) -> Vec<String> {
        let mut ids = self.ids(json!({"query": query, "size": 100}));
        ids.sort_by_key(|s| s.parse::<u32>().unwrap_or(u32::MAX));
        ids
    }
}

pub fn docs() -> Vec<Value> {
    vec![
        json!({"title": "Quick brown fox", "tag": "red", "n": 5, "price": 1.5, "ok": true, "date": "2024-01-01T00:00:00Z", "ip": "10.0.0.1", "user": {"name": "alice"}}),
        json!({"title": "Lazy dog sleeps", "tag": "blue", "n": 10, "price": 2.0, "ok": false, "date": "2024-01-02T12:00:00Z", "ip": "10.0.0.20"}),
        json!({"title": "The quick dog", "tag": "red", "n": -3, "price": 0.25, "date": "2023-12-31T23:59:59Z", "ip": "192.168.1.1", "user": {"name": "bob"}}),
        json!({"title": "Brown bear", "tag": "Green", "n": 42, "ok": true, "ip": "2001:db8::1"}),
        json!({"title": "fox and dog", "tag": ["red", "blue"], "n": [7, 1], "price": 9.75, "date": "2024-02-01"}),
        json!({"tag": "none"}),
    ]
}
