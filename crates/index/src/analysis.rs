//! Elasticsearch analysis for one index: the built-in analyzers (`standard`, `simple`,
//! `whitespace`, `keyword`, `stop`, `pattern`, `english` and other language analyzers) and the
//! custom analyzers and normalizers of `index.analysis.*`, as tantivy `TextAnalyzer`s registered
//! under their Elasticsearch names. Used to index text and by the search side (match queries,
//! `_analyze`).
//!
//! Owns: turning analysis settings into analyzers, and their error messages. Must not know about
//! mappings or shards (components live in `analysis_components`, their assembly in
//! `custom_analysis`).

use crate::custom_analysis::{builtin_analyzer, groups, Ctx, LANGUAGE_ANALYZERS};
use crate::layout::RAW_TOKENIZER;
use quarry_types::{EsError, Settings};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

/// One token as `_analyze` reports it (offsets in UTF-16 code units, like Elasticsearch).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Token {
    pub token: String,
    pub start_offset: usize,
    pub end_offset: usize,
    pub position: usize,
}

/// The analyzers and normalizers of one index.
#[derive(Clone)]
pub struct AnalysisRegistry {
    analyzers: BTreeMap<String, TextAnalyzer>,
    normalizers: BTreeMap<String, TextAnalyzer>,
}

impl std::fmt::Debug for AnalysisRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisRegistry")
            .field("analyzers", &self.analyzers.keys().collect::<Vec<_>>())
            .field("normalizers", &self.normalizers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl AnalysisRegistry {
    /// The built-in analyzers plus those defined in `index.analysis.*`.
    pub fn from_settings(settings: &Settings) -> Result<AnalysisRegistry, EsError> {
        let mut analyzers = BTreeMap::new();
        for name in [
            "standard",
            "simple",
            "whitespace",
            "keyword",
            "stop",
            "pattern",
        ] {
            analyzers.insert(name.to_string(), builtin_analyzer(name, &Map::new())?);
        }
        for (name, _) in LANGUAGE_ANALYZERS {
            analyzers.insert(name.to_string(), builtin_analyzer(name, &Map::new())?);
        }
        let custom_tokenizers = groups(settings, "tokenizer");
        let custom_filters = groups(settings, "filter");
        let custom_char_filters = groups(settings, "char_filter");
        let ctx = Ctx {
            tokenizers: &custom_tokenizers,
            filters: &custom_filters,
            char_filters: &custom_char_filters,
        };
        for (name, params) in groups(settings, "analyzer") {
            let analyzer = match params.get("type").and_then(Value::as_str) {
                Some("custom") => ctx.custom(&name, &params, false)?,
                None if params.contains_key("tokenizer") => ctx.custom(&name, &params, false)?,
                None => {
                    return Err(EsError::illegal_argument(format!(
                        "analyzer [{name}] must specify either an analyzer type, or a tokenizer"
                    )))
                }
                Some(t) => builtin_analyzer(t, &params).map_err(|_| {
                    EsError::illegal_argument(format!("Unknown analyzer type [{t}] for [{name}]"))
                })?,
            };
            analyzers.insert(name, analyzer);
        }
        let mut normalizers = BTreeMap::new();
        normalizers.insert(
            "lowercase".to_string(),
            TextAnalyzer::builder(RawTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
        for (name, params) in groups(settings, "normalizer") {
            normalizers.insert(name.clone(), ctx.custom(&name, &params, true)?);
        }
        Ok(AnalysisRegistry {
            analyzers,
            normalizers,
        })
    }

    /// Names of every analyzer (built-in and custom), sorted.
    pub fn names(&self) -> Vec<String> {
        self.analyzers.keys().cloned().collect()
    }

    /// The analyzer text fields use when the mapping names none: a custom `default`, else `standard`.
    pub fn default_analyzer(&self) -> &str {
        if self.analyzers.contains_key("default") {
            "default"
        } else {
            "standard"
        }
    }

    pub fn get(&self, name: &str) -> Option<TextAnalyzer> {
        self.analyzers.get(name).cloned()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.analyzers.contains_key(name)
    }

    pub fn has_normalizer(&self, name: &str) -> bool {
        self.normalizers.contains_key(name)
    }

    /// Registers every analyzer, and the `raw` tokenizer of `_k`, on a tantivy index.
    pub fn register_on(&self, index: &tantivy::Index) {
        let manager = index.tokenizers();
        manager.register(RAW_TOKENIZER, TextAnalyzer::from(RawTokenizer::default()));
        for (name, analyzer) in &self.analyzers {
            manager.register(name, analyzer.clone());
        }
    }

    /// Tokens of `text`; empty when the analyzer does not exist (see [`Self::try_analyze`]).
    pub fn analyze(&self, analyzer: &str, text: &str) -> Vec<Token> {
        self.try_analyze(analyzer, text).unwrap_or_default()
    }

    /// Tokens of `text`, or `illegal_argument_exception` for an unknown analyzer.
    pub fn try_analyze(&self, analyzer: &str, text: &str) -> Result<Vec<Token>, EsError> {
        let mut a = self.get(analyzer).ok_or_else(|| {
            EsError::illegal_argument(format!("failed to find analyzer [{analyzer}]"))
        })?;
        Ok(run(&mut a, text))
    }

    /// Applies a normalizer to a keyword value (one token out); `None` if it does not exist.
    pub fn normalize(&self, normalizer: &str, text: &str) -> Option<String> {
        let mut a = self.normalizers.get(normalizer)?.clone();
        let mut stream = a.token_stream(text);
        let mut out = String::new();
        while let Some(t) = stream.next() {
            out.push_str(&t.text);
        }
        Some(out)
    }
}

fn run(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Token> {
    let utf16 = utf16_offsets(text);
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(Token {
            token: t.text.clone(),
            start_offset: utf16.get(t.offset_from).copied().unwrap_or(0),
            end_offset: utf16.get(t.offset_to).copied().unwrap_or(0),
            position: t.position,
        });
    }
    out
}

/// UTF-16 offset of every byte offset of `text` (index `len` included).
fn utf16_offsets(text: &str) -> Vec<usize> {
    let mut out = vec![0; text.len() + 1];
    let mut units = 0;
    for (i, c) in text.char_indices() {
        for slot in out.iter_mut().skip(i).take(c.len_utf8()) {
            *slot = units;
        }
        units += c.len_utf16();
    }
    out[text.len()] = units;
    out
}

#[cfg(test)]
#[path = "analysis_test.rs"]
mod analysis_test;
