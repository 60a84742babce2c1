//! Elasticsearch char filters (`html_strip`, `mapping`, `pattern_replace`): rewrite text before
//! tokenization while remembering, for every output byte, where it came from in the original
//! text, so token offsets still point into the original value (as Lucene's `CharFilter`s do).
//!
//! Owns: char filters and offset correction. Must not tokenize or read settings.

use regex::Regex;
use std::sync::Arc;

/// A char filter, applied to the text before tokenization.
#[derive(Clone, Debug)]
pub enum CharFilter {
    HtmlStrip,
    /// `mapping`: longest match first.
    Mapping(Arc<Vec<(String, String)>>),
    PatternReplace {
        pattern: Regex,
        replacement: String,
    },
}

/// Text after char filters, with each output byte's original start and end offsets.
pub(crate) struct FilteredText {
    pub(crate) text: String,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl FilteredText {
    pub(crate) fn identity(text: &str) -> Self {
        FilteredText {
            text: text.to_string(),
            starts: (0..text.len()).collect(),
            ends: (1..=text.len()).collect(),
        }
    }

    fn push_original(&mut self, c: char, orig_start: usize, orig_end: usize) {
        let mut buf = [0u8; 4];
        self.push_replacement(c.encode_utf8(&mut buf), orig_start, orig_end);
    }

    fn push_replacement(&mut self, s: &str, orig_start: usize, orig_end: usize) {
        self.text.push_str(s);
        for _ in 0..s.len() {
            self.starts.push(orig_start);
            self.ends.push(orig_end);
        }
    }

    /// Original offsets of the filtered byte range `[start, end)`.
    pub(crate) fn original_range(
        &self,
        start: usize,
        end: usize,
        original_len: usize,
    ) -> (usize, usize) {
        let s = self.starts.get(start).copied().unwrap_or(original_len);
        let e = if end == 0 {
            s
        } else {
            self.ends.get(end - 1).copied().unwrap_or(original_len)
        };
        (s, e.max(s))
    }

    /// Applies one char filter; offsets keep pointing into the original text.
    pub(crate) fn apply(self, filter: &CharFilter) -> FilteredText {
        let mut out = FilteredText {
            text: String::new(),
            starts: Vec::new(),
            ends: Vec::new(),
        };
        let src = &self.text;
        let orig = |i: usize| {
            self.starts
                .get(i)
                .copied()
                .unwrap_or_else(|| self.ends.last().copied().unwrap_or(0))
        };
        let orig_end = |i: usize| if i == 0 { orig(0) } else { self.ends[i - 1] };
        match filter {
            CharFilter::HtmlStrip => {
                let mut i = 0;
                while i < src.len() {
                    let rest = &src[i..];
                    if rest.starts_with('<') {
                        if let Some(close) = rest.find('>') {
                            let tag = rest[1..close].trim_start_matches('/').to_ascii_lowercase();
                            let name: String = tag
                                .chars()
                                .take_while(|c| c.is_ascii_alphanumeric())
                                .collect();
                            if !name.is_empty() || tag.starts_with('!') {
                                if is_block_tag(&name) {
                                    out.push_replacement("\n", orig(i), orig_end(i + close + 1));
                                }
                                i += close + 1;
                                continue;
                            }
                        }
                    }
                    if rest.starts_with('&') {
                        if let Some(semi) = rest[..rest.len().min(10)].find(';') {
                            if let Some(decoded) = decode_entity(&rest[1..semi]) {
                                let mut buf = [0u8; 4];
                                out.push_replacement(
                                    decoded.encode_utf8(&mut buf),
                                    orig(i),
                                    orig_end(i + semi + 1),
                                );
                                i += semi + 1;
                                continue;
                            }
                        }
                    }
                    let c = rest.chars().next().unwrap_or(' ');
                    out.push_original(c, orig(i), orig_end(i + c.len_utf8()));
                    i += c.len_utf8();
                }
            }
            CharFilter::Mapping(rules) => {
                let mut i = 0;
                'outer: while i < src.len() {
                    let rest = &src[i..];
                    if let Some((from, to)) = rules
                        .iter()
                        .filter(|(from, _)| !from.is_empty() && rest.starts_with(from.as_str()))
                        .max_by_key(|(f, _)| f.len())
                    {
                        out.push_replacement(to, orig(i), orig_end(i + from.len()));
                        i += from.len();
                        continue 'outer;
                    }
                    let c = rest.chars().next().unwrap_or(' ');
                    out.push_original(c, orig(i), orig_end(i + c.len_utf8()));
                    i += c.len_utf8();
                }
            }
            CharFilter::PatternReplace {
                pattern,
                replacement,
            } => {
                let mut last = 0;
                for caps in pattern.captures_iter(src) {
                    let Some(m) = caps.get(0) else { continue };
                    for (off, c) in src[last..m.start()].char_indices() {
                        let i = last + off;
                        out.push_original(c, orig(i), orig_end(i + c.len_utf8()));
                    }
                    let mut expanded = String::new();
                    caps.expand(replacement, &mut expanded);
                    out.push_replacement(&expanded, orig(m.start()), orig_end(m.end()));
                    last = m.end();
                }
                for (off, c) in src[last..].char_indices() {
                    let i = last + off;
                    out.push_original(c, orig(i), orig_end(i + c.len_utf8()));
                }
            }
        }
        out
    }
}

fn is_block_tag(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "blockquote"
            | "pre"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "title"
    )
}

fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}
