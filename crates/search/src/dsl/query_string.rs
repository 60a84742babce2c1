//! The syntax of `query_string` (Lucene classic, the common subset) and `simple_query_string`,
//! parsed into a small tree [`QsNode`] that `query_builder` resolves against the mapping.
//!
//! Supported: `term`, `field:term`, `"phrase"~slop`, `( ... )`, `field:( ... )`, `AND`/`&&`,
//! `OR`/`||`, `NOT`/`!`, `+`/`-`, `^boost`, wildcards `te*t`/`te?t`, `field:*` and `_exists_:f`,
//! ranges `[a TO b]`, `{a TO *}`, `>=5`, `<5`; for the simple form `+` (and), `|` (or), `-` (not).
//! Clause occurrence follows Lucene's `QueryParserBase.addClause`.
//!
//! Owns: syntax only. Must not depend on mappings or tantivy.

use super::Operator;
use quarry_types::EsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QsOccur {
    Must,
    Should,
    MustNot,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QsNode {
    /// A bare word, possibly containing `*`/`?` wildcards.
    Term {
        field: Option<String>,
        text: String,
    },
    Phrase {
        field: Option<String>,
        text: String,
        slop: u32,
    },
    Range {
        field: Option<String>,
        lower: Option<String>,
        upper: Option<String>,
        include_lower: bool,
        include_upper: bool,
    },
    Exists {
        field: String,
    },
    MatchAll,
    Bool(Vec<(QsOccur, QsNode)>),
    Boost(Box<QsNode>, f32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conj {
    None,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Required,
    Not,
}

/// Parses `text` with `default_operator`; `simple` selects the `simple_query_string` syntax.
pub fn parse_query_string(
    text: &str,
    default_operator: Operator,
    simple: bool,
) -> Result<QsNode, EsError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        pos: 0,
        op: default_operator,
        simple,
    };
    let node = p.parse_group(None)?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        if simple {
            return Ok(node);
        }
        return Err(fail(text, "Encountered \" \")\" \") \"\" "));
    }
    Ok(node)
}

fn fail(text: &str, detail: &str) -> EsError {
    EsError::new(
        "query_shard_exception",
        400,
        format!("Failed to parse query [{text}]"),
    )
    .caused_by(EsError::parsing(format!("Cannot parse '{text}': {detail}")))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    op: Operator,
    simple: bool,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn starts_with(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.pos + n <= self.chars.len()
            && self.chars[self.pos..self.pos + n]
                .iter()
                .copied()
                .eq(s.chars())
    }

    /// A keyword operator followed by whitespace or a paren.
    fn keyword(&mut self, word: &str) -> bool {
        if self.simple || !self.starts_with(word) {
            return false;
        }
        let after = self.chars.get(self.pos + word.len()).copied();
        if after.is_none_or(|c| c.is_whitespace() || c == '(') {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// Clauses until `)` or the end, combined with Lucene's occurrence rules.
    fn parse_group(&mut self, field: Option<&str>) -> Result<QsNode, EsError> {
        let mut clauses: Vec<(QsOccur, QsNode)> = Vec::new();
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            if c == ')' {
                break;
            }
            let mut conj = Conj::None;
            if self.keyword("AND")
                || self.starts_with("&&")
                || (self.simple && c == '+' && !clauses.is_empty())
            {
                if self.starts_with("&&") {
                    self.pos += 2;
                } else if self.simple {
                    self.pos += 1;
                }
                conj = Conj::And;
            } else if self.keyword("OR") || self.starts_with("||") || (self.simple && c == '|') {
                if self.starts_with("||") {
                    self.pos += 2;
                } else if self.simple {
                    self.pos += 1;
                }
                conj = Conj::Or;
            }
            self.skip_ws();
            let mut modifier = Modifier::None;
            if self.keyword("NOT") {
                modifier = Modifier::Not;
            } else if let Some(m) = self.peek() {
                if m == '+' || m == '-' || (m == '!' && !self.simple) {
                    self.pos += 1;
                    modifier = if m == '+' {
                        Modifier::Required
                    } else {
                        Modifier::Not
                    };
                }
            }
            self.skip_ws();
            if self.peek().is_none() || self.peek() == Some(')') {
                if self.simple {
                    break;
                }
                return Err(fail(&self.text(), "Encountered \"<EOF>\""));
            }
            let clause = self.parse_clause(field)?;
            add_clause(&mut clauses, conj, modifier, clause, self.op);
        }
        Ok(match clauses.len() {
            0 => QsNode::Bool(Vec::new()),
            1 if clauses[0].0 != QsOccur::MustNot => clauses.remove(0).1,
            _ => QsNode::Bool(clauses),
        })
    }

    fn parse_clause(&mut self, field: Option<&str>) -> Result<QsNode, EsError> {
        let mut field = field.map(str::to_string);
        let node = match self.peek() {
            Some('(') => self.parse_paren(field.as_deref())?,
            Some('"') => self.parse_phrase(field.clone())?,
            Some('[') | Some('{') if !self.simple => self.parse_range(field.clone())?,
            _ => {
                let word = self.read_word();
                if !self.simple && self.peek() == Some(':') && !word.is_empty() {
                    self.pos += 1;
                    field = Some(word);
                    self.skip_ws();
                    match self.peek() {
                        Some('(') => self.parse_paren(field.as_deref())?,
                        Some('"') => self.parse_phrase(field.clone())?,
                        Some('[') | Some('{') => self.parse_range(field.clone())?,
                        Some('>') | Some('<') => self.parse_comparison(field.clone()),
                        _ => {
                            let value = self.read_word();
                            if value.is_empty() {
                                return Err(fail(&self.text(), "Encountered \"<EOF>\""));
                            }
                            term_node(field, value)
                        }
                    }
                } else {
                    if word.is_empty() {
                        // A stray operator character: skip it.
                        self.pos += 1;
                        return Ok(QsNode::Bool(Vec::new()));
                    }
                    term_node(field, word)
                }
            }
        };
        Ok(self.parse_suffix(node))
    }

    fn parse_paren(&mut self, field: Option<&str>) -> Result<QsNode, EsError> {
        self.pos += 1;
        let inner = self.parse_group(field)?;
        if self.peek() == Some(')') {
            self.pos += 1;
        } else if !self.simple {
            return Err(fail(&self.text(), "Encountered \"<EOF>\""));
        }
        Ok(inner)
    }

    fn parse_phrase(&mut self, field: Option<String>) -> Result<QsNode, EsError> {
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    if self.simple {
                        break;
                    }
                    return Err(fail(&self.text(), "Lexical error: unterminated phrase"));
                }
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => {
                    self.pos += 1;
                    if let Some(c) = self.peek() {
                        text.push(c);
                        self.pos += 1;
                    }
                }
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
        let mut slop = 0;
        if self.peek() == Some('~') {
            self.pos += 1;
            slop = self.read_number().map(|n| n as u32).unwrap_or(0);
        }
        Ok(QsNode::Phrase { field, text, slop })
    }

    fn parse_range(&mut self, field: Option<String>) -> Result<QsNode, EsError> {
        let include_lower = self.peek() == Some('[');
        self.pos += 1;
        let mut body = String::new();
        let mut include_upper = true;
        loop {
            match self.peek() {
                None => return Err(fail(&self.text(), "Encountered \"<EOF>\"")),
                Some(']') => break,
                Some('}') => {
                    include_upper = false;
                    break;
                }
                Some(c) => {
                    body.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        let parts: Vec<&str> = body.split(" TO ").collect();
        if parts.len() != 2 {
            return Err(fail(&self.text(), "Encountered range without TO"));
        }
        let bound = |s: &str| {
            let s = s.trim().trim_matches('"');
            if s == "*" || s.is_empty() {
                None
            } else {
                Some(s.to_string())
            }
        };
        Ok(QsNode::Range {
            field,
            lower: bound(parts[0]),
            upper: bound(parts[1]),
            include_lower,
            include_upper,
        })
    }

    fn parse_comparison(&mut self, field: Option<String>) -> QsNode {
        let lower_side = self.peek() == Some('>');
        self.pos += 1;
        let inclusive = self.peek() == Some('=');
        if inclusive {
            self.pos += 1;
        }
        let value = self.read_word();
        if lower_side {
            QsNode::Range {
                field,
                lower: Some(value),
                upper: None,
                include_lower: inclusive,
                include_upper: true,
            }
        } else {
            QsNode::Range {
                field,
                lower: None,
                upper: Some(value),
                include_lower: true,
                include_upper: inclusive,
            }
        }
    }

    /// `^boost` and `~fuzziness` after a clause.
    fn parse_suffix(&mut self, mut node: QsNode) -> QsNode {
        loop {
            match self.peek() {
                Some('^') => {
                    self.pos += 1;
                    if let Some(b) = self.read_number() {
                        node = QsNode::Boost(Box::new(node), b as f32);
                    }
                }
                Some('~') => {
                    self.pos += 1;
                    let _ = self.read_number();
                }
                _ => return node,
            }
        }
    }

    fn read_number(&mut self) -> Option<f64> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            self.pos += 1;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    /// A word up to whitespace or a syntax character; backslash escapes the next char.
    fn read_word(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            let stop = if self.simple {
                c.is_whitespace()
                    || matches!(c, '(' | ')' | '"' | '|' | '+')
                    || (c == '~' && !out.is_empty())
            } else {
                c.is_whitespace()
                    || matches!(c, '(' | ')' | '"' | ':' | '^' | '[' | ']' | '{' | '}' | '~')
                    || (c == '&' && self.starts_with("&&"))
                    || (c == '|' && self.starts_with("||"))
            };
            if stop {
                break;
            }
            if c == '\\' {
                self.pos += 1;
                if let Some(e) = self.peek() {
                    out.push(e);
                    self.pos += 1;
                }
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
        out
    }
}

fn term_node(field: Option<String>, text: String) -> QsNode {
    match (field, text.as_str()) {
        (Some(f), _) if f == "_exists_" => QsNode::Exists { field: text },
        (None, "*") => QsNode::MatchAll,
        (Some(f), "*") if f == "*" => QsNode::MatchAll,
        (Some(f), "*") => QsNode::Exists { field: f },
        (field, _) => QsNode::Term { field, text },
    }
}

/// Lucene's `QueryParserBase.addClause`: a conjunction can upgrade the previous clause.
fn add_clause(
    clauses: &mut Vec<(QsOccur, QsNode)>,
    conj: Conj,
    modifier: Modifier,
    node: QsNode,
    op: Operator,
) {
    if let Some(prev) = clauses.last_mut() {
        if conj == Conj::And && prev.0 != QsOccur::MustNot {
            prev.0 = QsOccur::Must;
        }
        if op == Operator::And && conj == Conj::Or && prev.0 != QsOccur::MustNot {
            prev.0 = QsOccur::Should;
        }
    }
    let (required, prohibited) = match op {
        Operator::Or => {
            let prohibited = modifier == Modifier::Not;
            let required = modifier == Modifier::Required || (conj == Conj::And && !prohibited);
            (required, prohibited)
        }
        Operator::And => {
            let prohibited = modifier == Modifier::Not;
            (!prohibited && conj != Conj::Or, prohibited)
        }
    };
    let occur = if prohibited {
        QsOccur::MustNot
    } else if required {
        QsOccur::Must
    } else {
        QsOccur::Should
    };
    clauses.push((occur, node));
}
