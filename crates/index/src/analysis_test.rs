use super::*;
use serde_json::json;

fn registry(settings: Value) -> Result<AnalysisRegistry, EsError> {
    AnalysisRegistry::from_settings(&Settings::from_json(&settings).unwrap())
}

fn terms(r: &AnalysisRegistry, analyzer: &str, text: &str) -> Vec<String> {
    r.try_analyze(analyzer, text)
        .unwrap()
        .into_iter()
        .map(|t| t.token)
        .collect()
}

#[test]
fn standard_splits_on_word_boundaries_and_lowercases() {
    let r = registry(json!({})).unwrap();
    let tokens = r
        .try_analyze("standard", "The 2 QUICK Brown-Foxes jumped! café's über.")
        .unwrap();
    let texts: Vec<&str> = tokens.iter().map(|t| t.token.as_str()).collect();
    assert_eq!(
        texts,
        ["the", "2", "quick", "brown", "foxes", "jumped", "café's", "über"]
    );
    assert_eq!(
        (
            tokens[2].start_offset,
            tokens[2].end_offset,
            tokens[2].position
        ),
        (6, 11, 2)
    );
    // Offsets count UTF-16 units: "é" is one unit.
    assert_eq!((tokens[6].start_offset, tokens[6].end_offset), (32, 38));
    assert_eq!(terms(&r, "standard", "3.14 e-mail"), ["3.14", "e", "mail"]);
}

#[test]
fn standard_splits_long_tokens_at_max_token_length() {
    let r = registry(
        json!({"index.analysis.analyzer.short": {"type": "standard", "max_token_length": 5}}),
    )
    .unwrap();
    assert_eq!(
        terms(&r, "short", "abcdefghijkl xy"),
        ["abcde", "fghij", "kl", "xy"]
    );
}

#[test]
fn simple_whitespace_keyword_stop_and_english() {
    let r = registry(json!({})).unwrap();
    assert_eq!(
        terms(&r, "simple", "Hello, WORLD 42x"),
        ["hello", "world", "x"]
    );
    assert_eq!(terms(&r, "whitespace", "Hello, WORLD"), ["Hello,", "WORLD"]);
    assert_eq!(terms(&r, "keyword", "Hello, WORLD"), ["Hello, WORLD"]);
    assert_eq!(
        terms(&r, "stop", "The quick and the dead"),
        ["quick", "dead"]
    );
    let english = r
        .try_analyze("english", "The dog's running quickly")
        .unwrap();
    let texts: Vec<&str> = english.iter().map(|t| t.token.as_str()).collect();
    assert_eq!(texts, ["dog", "run", "quick"]);
    // A removed stop word leaves a position gap, as in Lucene.
    assert_eq!(english[0].position, 1);
}

#[test]
fn custom_analyzer_with_custom_filters_and_char_filters() {
    let r = registry(json!({"index": {"analysis": {
        "analyzer": {"my": {"type": "custom", "tokenizer": "whitespace", "char_filter": ["html_strip", "dash"],
                             "filter": ["lowercase", "asciifolding", "my_stop", "min3"]}},
        "filter": {"my_stop": {"type": "stop", "stopwords": ["foo"]}, "min3": {"type": "length", "min": 3}},
        "char_filter": {"dash": {"type": "mapping", "mappings": ["- => _"]}},
        "normalizer": {"lc": {"type": "custom", "filter": ["lowercase", "asciifolding"]}}
    }}}))
    .unwrap();
    assert!(r.names().contains(&"my".to_string()));
    let tokens = r.try_analyze("my", "<b>Crème</b> FOO a-b-c x").unwrap();
    let texts: Vec<&str> = tokens.iter().map(|t| t.token.as_str()).collect();
    assert_eq!(texts, ["creme", "a_b_c"]);
    // Offsets point into the original text, tags included.
    assert_eq!((tokens[0].start_offset, tokens[0].end_offset), (3, 8));
    assert_eq!(
        r.normalize("lc", "ÉLAN Vital").as_deref(),
        Some("elan vital")
    );
    assert_eq!(r.normalize("lowercase", "ABC").as_deref(), Some("abc"));
}

#[test]
fn flat_array_settings_and_default_analyzer() {
    let r = registry(json!({
        "index.analysis.analyzer.default.tokenizer": "keyword",
        "index.analysis.analyzer.default.filter.0": "uppercase",
    }))
    .unwrap();
    assert_eq!(r.default_analyzer(), "default");
    assert_eq!(terms(&r, "default", "a b"), ["A B"]);
}

#[test]
fn unknown_components_are_illegal_arguments_like_elasticsearch() {
    let e = registry(json!({"index.analysis.analyzer.a": {"tokenizer": "nope"}})).unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert_eq!(
        e.reason,
        "Custom Analyzer [a] failed to find tokenizer under name [nope]"
    );
    let e = registry(
        json!({"index.analysis.analyzer.a": {"tokenizer": "standard", "filter": ["zzz"]}}),
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "Custom Analyzer [a] failed to find filter under name [zzz]"
    );
    let e = registry(json!({"index.analysis.analyzer.a": {"type": "bogus"}})).unwrap_err();
    assert_eq!(e.reason, "Unknown analyzer type [bogus] for [a]");
    let r = registry(json!({})).unwrap();
    assert_eq!(
        r.try_analyze("nope", "x").unwrap_err().reason,
        "failed to find analyzer [nope]"
    );
}

#[test]
fn ngram_and_pattern_tokenizers() {
    let r = registry(json!({"index.analysis": {
        "analyzer": {"ng": {"tokenizer": "ng"}, "eg": {"tokenizer": "eg"}, "p": {"type": "pattern", "pattern": ","}},
        "tokenizer": {"ng": {"type": "ngram", "min_gram": 1, "max_gram": 2}, "eg": {"type": "edge_ngram", "min_gram": 2, "max_gram": 3}}
    }}))
    .unwrap();
    assert_eq!(terms(&r, "ng", "abc"), ["a", "ab", "b", "bc", "c"]);
    assert_eq!(terms(&r, "eg", "abcd"), ["ab", "abc"]);
    assert_eq!(terms(&r, "p", "A,b,,C"), ["a", "b", "c"]);
}

#[test]
fn registered_analyzers_index_through_tantivy() {
    let r = registry(json!({})).unwrap();
    let layout = crate::layout::ShardLayout::build(&r.names());
    let index = tantivy::Index::create_in_ram(layout.schema.clone());
    r.register_on(&index);
    assert!(index.tokenizers().get("english").is_some());
    assert!(index.tokenizers().get(RAW_TOKENIZER).is_some());
}
