//! The building blocks of Elasticsearch analyzers as tantivy pieces (char filters are in
//! `char_filter`): tokenizers (`standard` on UAX#29, `letter`, `lowercase`,
//! `whitespace`, `keyword`, `pattern`, `ngram`, `edge_ngram`) and the token filters tantivy does
//! not ship (`uppercase`, `trim`, `length`, `truncate`, `stop` with `ignore_case`,
//! `english_possessive`).
//!
//! Tokenizers work eagerly on the whole value (values are small; char filters need the whole
//! text) and report byte offsets into the original text. Owns: components only. Must not read
//! settings (that is `analysis`) or know about shards.

pub use crate::char_filter::CharFilter;
use crate::char_filter::FilteredText;
use regex::Regex;
use std::collections::HashSet;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};
use unicode_segmentation::UnicodeSegmentation;

/// Lucene's default maximum token length of the standard tokenizer.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 255;

/// English stop words (Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, ES `_english_`).
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// How text is split into tokens.
#[derive(Clone, Debug)]
pub enum TokenizerKind {
    /// UAX#29 words containing a letter or digit; longer tokens are split every `max_token_length` chars.
    Standard {
        max_token_length: usize,
    },
    Letter,
    /// Letters, lowercased.
    Lowercase,
    Whitespace {
        max_token_length: usize,
    },
    Keyword,
    /// Splits on the pattern (`group == -1`) or emits the given capture group of each match.
    Pattern {
        pattern: Regex,
        group: i64,
        lowercase: bool,
    },
    Ngram {
        min_gram: usize,
        max_gram: usize,
    },
    EdgeNgram {
        min_gram: usize,
        max_gram: usize,
    },
}

/// A tokenizer with its char filters.
#[derive(Clone, Debug)]
pub struct EsTokenizer {
    pub char_filters: Vec<CharFilter>,
    pub kind: TokenizerKind,
}

impl EsTokenizer {
    pub fn new(kind: TokenizerKind) -> Self {
        EsTokenizer {
            char_filters: Vec::new(),
            kind,
        }
    }

    /// Tokens of `text` with byte offsets into `text`.
    pub fn tokenize(&self, text: &str) -> Vec<Token> {
        let mut filtered = FilteredText::identity(text);
        for f in &self.char_filters {
            filtered = filtered.apply(f);
        }
        let spans = split(&self.kind, &filtered.text);
        spans
            .into_iter()
            .enumerate()
            .map(|(position, (start, end, token_text))| {
                let (offset_from, offset_to) = filtered.original_range(start, end, text.len());
                Token {
                    offset_from,
                    offset_to,
                    position,
                    text: token_text,
                    position_length: 1,
                }
            })
            .collect()
    }
}

/// Splits text into `(start, end, text)` spans.
fn split(kind: &TokenizerKind, text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    match kind {
        TokenizerKind::Standard { max_token_length } => {
            for (start, word) in text.split_word_bound_indices() {
                if word.chars().any(char::is_alphanumeric) {
                    push_chunked(&mut out, start, word, *max_token_length);
                }
            }
        }
        TokenizerKind::Letter | TokenizerKind::Lowercase => {
            let lower = matches!(kind, TokenizerKind::Lowercase);
            let mut start = None;
            for (i, c) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                match (c.is_alphabetic() && i < text.len(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        let word = &text[s..i];
                        out.push((
                            s,
                            i,
                            if lower {
                                word.to_lowercase()
                            } else {
                                word.to_string()
                            },
                        ));
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        TokenizerKind::Whitespace { max_token_length } => {
            let mut start = None;
            for (i, c) in text
                .char_indices()
                .chain(std::iter::once((text.len(), ' ')))
            {
                match (!c.is_whitespace() && i < text.len(), start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        push_chunked(&mut out, s, &text[s..i], *max_token_length);
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        TokenizerKind::Keyword => out.push((0, text.len(), text.to_string())),
        TokenizerKind::Pattern {
            pattern,
            group,
            lowercase,
        } => {
            let case = |s: &str| {
                if *lowercase {
                    s.to_lowercase()
                } else {
                    s.to_string()
                }
            };
            if *group < 0 {
                let mut last = 0;
                for m in pattern.find_iter(text) {
                    if m.start() > last {
                        out.push((last, m.start(), case(&text[last..m.start()])));
                    }
                    last = m.end();
                }
                if last < text.len() {
                    out.push((last, text.len(), case(&text[last..])));
                }
            } else {
                for caps in pattern.captures_iter(text) {
                    if let Some(m) = caps.get(*group as usize) {
                        if !m.as_str().is_empty() {
                            out.push((m.start(), m.end(), case(m.as_str())));
                        }
                    }
                }
            }
        }
        TokenizerKind::Ngram { min_gram, max_gram }
        | TokenizerKind::EdgeNgram { min_gram, max_gram } => {
            let edge = matches!(kind, TokenizerKind::EdgeNgram { .. });
            let bounds: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(text.len()))
                .collect();
            let n = bounds.len() - 1;
            let starts = if edge { n.min(1) } else { n };
            for s in 0..starts {
                for len in *min_gram..=*max_gram {
                    if len == 0 || s + len > n {
                        break;
                    }
                    let (a, b) = (bounds[s], bounds[s + len]);
                    out.push((a, b, text[a..b].to_string()));
                }
            }
        }
    }
    out
}

fn push_chunked(out: &mut Vec<(usize, usize, String)>, start: usize, word: &str, max_chars: usize) {
    if max_chars == 0 || word.chars().count() <= max_chars {
        out.push((start, start + word.len(), word.to_string()));
        return;
    }
    let mut chunk_start = 0;
    let mut count = 0;
    for (i, _) in word.char_indices() {
        if count == max_chars {
            out.push((
                start + chunk_start,
                start + i,
                word[chunk_start..i].to_string(),
            ));
            chunk_start = i;
            count = 0;
        }
        count += 1;
    }
    out.push((
        start + chunk_start,
        start + word.len(),
        word[chunk_start..].to_string(),
    ));
}

impl Tokenizer for EsTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: self.tokenize(text),
            next: 0,
        }
    }
}

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }
    fn token_mut(&mut self) -> &mut Token {
        let i = self.next.saturating_sub(1);
        &mut self.tokens[i]
    }
}

/// Per-token filters tantivy does not provide. Each keeps or drops a token (no token is added).
#[derive(Clone, Debug)]
pub enum SimpleFilter {
    Uppercase,
    Trim,
    Length {
        min: usize,
        max: usize,
    },
    Truncate {
        length: usize,
    },
    Stop {
        words: Arc<HashSet<String>>,
        ignore_case: bool,
    },
    /// Removes a trailing `'s` (`english_possessive_stemmer`).
    EnglishPossessive,
}

impl SimpleFilter {
    /// Rewrites the token in place; `false` drops it.
    fn apply(&self, token: &mut Token) -> bool {
        match self {
            SimpleFilter::Uppercase => {
                token.text = token.text.to_uppercase();
                true
            }
            SimpleFilter::Trim => {
                let t = token.text.trim();
                if t.len() != token.text.len() {
                    token.text = t.to_string();
                }
                true
            }
            SimpleFilter::Length { min, max } => {
                let n = token.text.chars().count();
                n >= *min && n <= *max
            }
            SimpleFilter::Truncate { length } => {
                if let Some((i, _)) = token.text.char_indices().nth(*length) {
                    token.text.truncate(i);
                }
                true
            }
            SimpleFilter::Stop { words, ignore_case } => {
                if *ignore_case {
                    !words.contains(&token.text.to_lowercase())
                } else {
                    !words.contains(&token.text)
                }
            }
            SimpleFilter::EnglishPossessive => {
                for suffix in [
                    "'s",
                    "\u{2019}s",
                    "\u{ff07}s",
                    "'S",
                    "\u{2019}S",
                    "\u{ff07}S",
                ] {
                    if let Some(stripped) = token.text.strip_suffix(suffix) {
                        token.text = stripped.to_string();
                        break;
                    }
                }
                true
            }
        }
    }
}

impl TokenFilter for SimpleFilter {
    type Tokenizer<T: Tokenizer> = SimpleFilterTokenizer<T>;
    fn transform<T: Tokenizer>(self, inner: T) -> SimpleFilterTokenizer<T> {
        SimpleFilterTokenizer {
            filter: self,
            inner,
        }
    }
}

#[derive(Clone)]
pub struct SimpleFilterTokenizer<T> {
    filter: SimpleFilter,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SimpleFilterTokenizer<T> {
    type TokenStream<'a> = SimpleFilterStream<'a, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SimpleFilterStream {
            filter: &self.filter,
            inner: self.inner.token_stream(text),
        }
    }
}

pub struct SimpleFilterStream<'a, S> {
    filter: &'a SimpleFilter,
    inner: S,
}

impl<S: TokenStream> TokenStream for SimpleFilterStream<'_, S> {
    fn advance(&mut self) -> bool {
        while self.inner.advance() {
            if self.filter.apply(self.inner.token_mut()) {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.inner.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}
