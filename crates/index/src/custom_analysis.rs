//! Building analyzers from Elasticsearch analysis definitions: the built-in analyzer types
//! (`standard`, `simple`, `stop`, `pattern`, language analyzers) with their parameters, and
//! `custom` analyzers and normalizers assembled from tokenizers, token filters and char filters
//! defined inline or under `index.analysis.{tokenizer,filter,char_filter}`.
//!
//! Owns: the name -> component resolution and its Elasticsearch error messages. Must not hold
//! the registry (that is `analysis`) or know about shards.

use crate::analysis_components::{
    CharFilter, EsTokenizer, SimpleFilter, TokenizerKind, DEFAULT_MAX_TOKEN_LENGTH,
    ENGLISH_STOP_WORDS,
};
use quarry_types::{EsError, Settings};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, Stemmer, StopWordFilter, TextAnalyzer,
};

#[derive(Clone)]
pub(crate) enum FilterSpec {
    Lowercase,
    AsciiFolding,
    Stemmer(Language),
    StopLanguage(Language),
    Simple(SimpleFilter),
}

/// Language analyzers built in, with their stemmer language.
pub(crate) const LANGUAGE_ANALYZERS: &[(&str, Language)] = &[
    ("english", Language::English),
    ("french", Language::French),
    ("german", Language::German),
    ("spanish", Language::Spanish),
    ("italian", Language::Italian),
    ("portuguese", Language::Portuguese),
    ("dutch", Language::Dutch),
    ("russian", Language::Russian),
    ("swedish", Language::Swedish),
    ("danish", Language::Danish),
    ("norwegian", Language::Norwegian),
    ("finnish", Language::Finnish),
    ("hungarian", Language::Hungarian),
];

pub(crate) fn build(tokenizer: EsTokenizer, filters: Vec<FilterSpec>) -> TextAnalyzer {
    let mut b = TextAnalyzer::builder(tokenizer).dynamic();
    for f in filters {
        b = match f {
            FilterSpec::Lowercase => b.filter_dynamic(LowerCaser),
            FilterSpec::AsciiFolding => b.filter_dynamic(AsciiFoldingFilter),
            FilterSpec::Stemmer(lang) => b.filter_dynamic(Stemmer::new(lang)),
            FilterSpec::StopLanguage(lang) => match StopWordFilter::new(lang) {
                Some(stop) => b.filter_dynamic(stop),
                None => b,
            },
            FilterSpec::Simple(s) => b.filter_dynamic(s),
        };
    }
    b.build()
}

fn standard_tokenizer(params: &Map<String, Value>) -> Result<EsTokenizer, EsError> {
    let max_token_length = param_usize(params, "max_token_length", DEFAULT_MAX_TOKEN_LENGTH)?;
    Ok(EsTokenizer::new(TokenizerKind::Standard {
        max_token_length,
    }))
}

/// A built-in analyzer type, configured by `params` (`stopwords`, `max_token_length`, `pattern`).
pub(crate) fn builtin_analyzer(
    kind: &str,
    params: &Map<String, Value>,
) -> Result<TextAnalyzer, EsError> {
    let stop = |default: &str| -> Result<Vec<FilterSpec>, EsError> {
        stop_filter(
            params
                .get("stopwords")
                .unwrap_or(&Value::String(default.into())),
            false,
        )
    };
    Ok(match kind {
        "standard" => {
            let mut filters = vec![FilterSpec::Lowercase];
            filters.extend(stop("_none_")?);
            build(standard_tokenizer(params)?, filters)
        }
        "simple" => build(EsTokenizer::new(TokenizerKind::Lowercase), vec![]),
        "whitespace" => build(
            EsTokenizer::new(TokenizerKind::Whitespace {
                max_token_length: param_usize(
                    params,
                    "max_token_length",
                    DEFAULT_MAX_TOKEN_LENGTH,
                )?,
            }),
            vec![],
        ),
        "keyword" => build(EsTokenizer::new(TokenizerKind::Keyword), vec![]),
        "stop" => build(
            EsTokenizer::new(TokenizerKind::Lowercase),
            stop("_english_")?,
        ),
        "pattern" => {
            let lowercase = param_bool(params, "lowercase", true);
            let pattern = compile(
                params
                    .get("pattern")
                    .and_then(Value::as_str)
                    .unwrap_or(r"\W+"),
            )?;
            build(
                EsTokenizer::new(TokenizerKind::Pattern {
                    pattern,
                    group: -1,
                    lowercase,
                }),
                stop("_none_")?,
            )
        }
        other => {
            let Some((_, lang)) = LANGUAGE_ANALYZERS.iter().find(|(n, _)| *n == other) else {
                return Err(EsError::illegal_argument(format!(
                    "failed to find analyzer type [{other}]"
                )));
            };
            let mut filters = Vec::new();
            if *lang == Language::English {
                filters.push(FilterSpec::Simple(SimpleFilter::EnglishPossessive));
            }
            filters.push(FilterSpec::Lowercase);
            filters.extend(match params.get("stopwords") {
                Some(v) => stop_filter(v, false)?,
                None => vec![FilterSpec::StopLanguage(*lang)],
            });
            filters.push(FilterSpec::Stemmer(*lang));
            build(standard_tokenizer(params)?, filters)
        }
    })
}

/// The `stopwords` parameter: `_english_`, `_none_`, `_<language>_` or a list of words.
fn stop_filter(v: &Value, ignore_case: bool) -> Result<Vec<FilterSpec>, EsError> {
    let words: Vec<String> = match v {
        Value::String(s) if s == "_none_" => return Ok(vec![]),
        Value::String(s) if s.starts_with('_') && s.ends_with('_') && s.len() > 2 => {
            let lang = &s[1..s.len() - 1];
            if lang == "english" {
                ENGLISH_STOP_WORDS.iter().map(|w| w.to_string()).collect()
            } else {
                return match LANGUAGE_ANALYZERS.iter().find(|(n, _)| *n == lang) {
                    Some((_, l)) => Ok(vec![FilterSpec::StopLanguage(*l)]),
                    None => Err(EsError::illegal_argument(format!(
                        "unknown stopwords set [{s}]"
                    ))),
                };
            }
        }
        Value::String(s) => s
            .split(',')
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        other => {
            return Err(EsError::illegal_argument(format!(
                "invalid stopwords [{other}]"
            )))
        }
    };
    let words: HashSet<String> = words
        .into_iter()
        .map(|w| if ignore_case { w.to_lowercase() } else { w })
        .collect();
    Ok(vec![FilterSpec::Simple(SimpleFilter::Stop {
        words: Arc::new(words),
        ignore_case,
    })])
}

fn stemmer_language(name: &str) -> Option<FilterSpec> {
    let n = name.to_ascii_lowercase();
    let base = n
        .trim_start_matches("light_")
        .trim_start_matches("minimal_");
    if base == "possessive_english" {
        return Some(FilterSpec::Simple(SimpleFilter::EnglishPossessive));
    }
    let lang = match base {
        "english" | "porter" | "porter2" | "lovins" | "kstem" => Language::English,
        "german2" => Language::German,
        "nynorsk" => Language::Norwegian,
        other => match LANGUAGE_ANALYZERS.iter().find(|(n, _)| *n == other) {
            Some((_, l)) => *l,
            None => match other {
                "romanian" => Language::Romanian,
                "turkish" => Language::Turkish,
                "arabic" => Language::Arabic,
                "greek" => Language::Greek,
                _ => return None,
            },
        },
    };
    Some(FilterSpec::Stemmer(lang))
}

pub(crate) struct Ctx<'a> {
    pub(crate) tokenizers: &'a BTreeMap<String, Map<String, Value>>,
    pub(crate) filters: &'a BTreeMap<String, Map<String, Value>>,
    pub(crate) char_filters: &'a BTreeMap<String, Map<String, Value>>,
}

impl Ctx<'_> {
    /// A `custom` analyzer (or a normalizer: keyword tokenizer, no `tokenizer` parameter).
    pub(crate) fn custom(
        &self,
        name: &str,
        params: &Map<String, Value>,
        normalizer: bool,
    ) -> Result<TextAnalyzer, EsError> {
        let mut tokenizer = if normalizer {
            EsTokenizer::new(TokenizerKind::Keyword)
        } else {
            let t = params
                .get("tokenizer")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    EsError::illegal_argument(format!(
                        "analyzer [{name}] must specify either an analyzer type, or a tokenizer"
                    ))
                })?;
            self.tokenizer(t).map_err(|e| {
                e.unwrap_or_else(|| {
                    EsError::illegal_argument(format!(
                        "Custom Analyzer [{name}] failed to find tokenizer under name [{t}]"
                    ))
                })
            })?
        };
        for cf in string_list(params.get("char_filter")) {
            let filter = self.char_filter(&cf)?.ok_or_else(|| {
                EsError::illegal_argument(format!(
                    "Custom Analyzer [{name}] failed to find char_filter under name [{cf}]"
                ))
            })?;
            tokenizer.char_filters.push(filter);
        }
        let mut filters = Vec::new();
        for f in string_list(params.get("filter")) {
            let spec = self.filter(&f)?.ok_or_else(|| {
                EsError::illegal_argument(format!(
                    "Custom Analyzer [{name}] failed to find filter under name [{f}]"
                ))
            })?;
            filters.extend(spec);
        }
        Ok(build(tokenizer, filters))
    }

    /// `Err(None)` when the name is unknown.
    fn tokenizer(&self, name: &str) -> Result<EsTokenizer, Option<EsError>> {
        let empty = Map::new();
        let (kind, params) = match self.tokenizers.get(name) {
            Some(p) => (p.get("type").and_then(Value::as_str).unwrap_or(name), p),
            None => (name, &empty),
        };
        let gram = |d_min: usize, d_max: usize| -> Result<(usize, usize), EsError> {
            Ok((
                param_usize(params, "min_gram", d_min)?,
                param_usize(params, "max_gram", d_max)?,
            ))
        };
        let kind = match kind {
            "standard" | "classic" | "uax_url_email" => {
                standard_tokenizer(params).map_err(Some)?.kind
            }
            "letter" => TokenizerKind::Letter,
            "lowercase" => TokenizerKind::Lowercase,
            "whitespace" => TokenizerKind::Whitespace {
                max_token_length: param_usize(params, "max_token_length", DEFAULT_MAX_TOKEN_LENGTH)
                    .map_err(Some)?,
            },
            "keyword" => TokenizerKind::Keyword,
            "pattern" => TokenizerKind::Pattern {
                pattern: compile(
                    params
                        .get("pattern")
                        .and_then(Value::as_str)
                        .unwrap_or(r"\W+"),
                )
                .map_err(Some)?,
                group: param_i64(params, "group", -1).map_err(Some)?,
                lowercase: false,
            },
            "ngram" | "nGram" => {
                let (min_gram, max_gram) = gram(1, 2).map_err(Some)?;
                TokenizerKind::Ngram { min_gram, max_gram }
            }
            "edge_ngram" | "edgeNGram" => {
                let (min_gram, max_gram) = gram(1, 2).map_err(Some)?;
                TokenizerKind::EdgeNgram { min_gram, max_gram }
            }
            other if self.tokenizers.contains_key(name) => {
                return Err(Some(EsError::illegal_argument(format!(
                    "Unknown tokenizer type [{other}] for [{name}]"
                ))))
            }
            _ => return Err(None),
        };
        Ok(EsTokenizer::new(kind))
    }

    fn filter(&self, name: &str) -> Result<Option<Vec<FilterSpec>>, EsError> {
        let empty = Map::new();
        let (kind, params) = match self.filters.get(name) {
            Some(p) => (p.get("type").and_then(Value::as_str).unwrap_or(name), p),
            None => (name, &empty),
        };
        let spec = match kind {
            "lowercase" => vec![FilterSpec::Lowercase],
            "uppercase" => vec![FilterSpec::Simple(SimpleFilter::Uppercase)],
            "asciifolding" => vec![FilterSpec::AsciiFolding],
            "trim" => vec![FilterSpec::Simple(SimpleFilter::Trim)],
            "porter_stem" | "kstem" => vec![FilterSpec::Stemmer(Language::English)],
            "stemmer" | "snowball" => {
                let lang = params
                    .get("language")
                    .or_else(|| params.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("english");
                match stemmer_language(lang) {
                    Some(s) => vec![s],
                    None => {
                        return Err(EsError::illegal_argument(format!(
                            "Unknown stemmer language [{lang}]"
                        )))
                    }
                }
            }
            "stop" => stop_filter(
                params
                    .get("stopwords")
                    .unwrap_or(&Value::String("_english_".into())),
                param_bool(params, "ignore_case", false),
            )?,
            "length" => vec![FilterSpec::Simple(SimpleFilter::Length {
                min: param_usize(params, "min", 0)?,
                max: param_usize(params, "max", i32::MAX as usize)?,
            })],
            "truncate" => vec![FilterSpec::Simple(SimpleFilter::Truncate {
                length: param_usize(params, "length", 10)?,
            })],
            other if self.filters.contains_key(name) => {
                return Err(EsError::illegal_argument(format!(
                    "Unknown filter type [{other}] for [{name}]"
                )))
            }
            _ => return Ok(None),
        };
        Ok(Some(spec))
    }

    fn char_filter(&self, name: &str) -> Result<Option<CharFilter>, EsError> {
        let empty = Map::new();
        let (kind, params) = match self.char_filters.get(name) {
            Some(p) => (p.get("type").and_then(Value::as_str).unwrap_or(name), p),
            None => (name, &empty),
        };
        Ok(Some(match kind {
            "html_strip" => CharFilter::HtmlStrip,
            "mapping" => {
                let mut rules = Vec::new();
                for rule in string_list(params.get("mappings")) {
                    let (from, to) = rule.split_once("=>").ok_or_else(|| {
                        EsError::illegal_argument(format!("Invalid Mapping Rule : [{rule}]"))
                    })?;
                    rules.push((from.trim().to_string(), to.trim().to_string()));
                }
                CharFilter::Mapping(Arc::new(rules))
            }
            "pattern_replace" => CharFilter::PatternReplace {
                pattern: compile(params.get("pattern").and_then(Value::as_str).unwrap_or(""))?,
                replacement: params
                    .get("replacement")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            },
            other if self.char_filters.contains_key(name) => {
                return Err(EsError::illegal_argument(format!(
                    "Unknown char_filter type [{other}] for [{name}]"
                )))
            }
            _ => return Ok(None),
        }))
    }
}

fn compile(pattern: &str) -> Result<Regex, EsError> {
    Regex::new(pattern)
        .map_err(|e| EsError::illegal_argument(format!("invalid pattern [{pattern}]: {e}")))
}

/// `index.analysis.<kind>.<name>.<param>` (or without `index.`) grouped by name. Flat array
/// elements (`filter.0`, `filter.1`) are gathered back into arrays.
pub(crate) fn groups(settings: &Settings, kind: &str) -> BTreeMap<String, Map<String, Value>> {
    let mut out: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for prefix in [
        format!("analysis.{kind}."),
        format!("index.analysis.{kind}."),
    ] {
        for (key, value) in settings.with_prefix(&prefix) {
            let Some((name, param)) = key[prefix.len()..].split_once('.') else {
                continue;
            };
            let params = out.entry(name.to_string()).or_default();
            match param.rsplit_once('.') {
                Some((base, idx)) if idx.chars().all(|c| c.is_ascii_digit()) => {
                    let entry = params
                        .entry(base.to_string())
                        .or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(items) = entry {
                        items.push(value.clone());
                    }
                }
                _ => {
                    params.insert(param.to_string(), value.clone());
                }
            }
        }
    }
    out
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn param_i64(params: &Map<String, Value>, key: &str, default: i64) -> Result<i64, EsError> {
    match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                EsError::illegal_argument(format!(
                    "Failed to parse value [{v}] for setting [{key}]"
                ))
            }),
    }
}

fn param_usize(params: &Map<String, Value>, key: &str, default: usize) -> Result<usize, EsError> {
    let v = param_i64(params, key, default as i64)?;
    usize::try_from(v)
        .map_err(|_| EsError::illegal_argument(format!("[{key}] must be positive, got [{v}]")))
}

fn param_bool(params: &Map<String, Value>, key: &str, default: bool) -> bool {
    match params.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => default,
    }
}
