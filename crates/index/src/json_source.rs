//! A small JSON reader for document sources that keeps the `[line:column]` of every value, so
//! document-parsing errors can point at the offending value like Elasticsearch (Jackson) does,
//! and that rejects duplicate keys as Elasticsearch does.
//!
//! Owns: syntax only. Must not know about mappings.

/// One JSON value with the 1-based line and column where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode {
    pub line: usize,
    pub column: usize,
    pub value: JsonValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The number's text as written, and whether it has a fraction or exponent.
    Number {
        raw: String,
        is_integer: bool,
    },
    String(String),
    Array(Vec<JsonNode>),
    /// Keys in document order.
    Object(Vec<(String, JsonNode)>),
}

impl JsonValue {
    /// The value as Elasticsearch's preview shows it (`Preview of field's value: '...'`).
    pub fn preview(&self) -> String {
        match self {
            JsonValue::Null => "null".into(),
            JsonValue::Bool(b) => b.to_string(),
            JsonValue::Number { raw, .. } => raw.clone(),
            JsonValue::String(s) => s.clone(),
            JsonValue::Array(items) => {
                format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|n| n.value.preview())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
            JsonValue::Object(fields) => format!(
                "{{{}}}",
                fields
                    .iter()
                    .map(|(k, n)| format!("{k}={}", n.value.preview()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// A syntax error at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Deeper documents are rejected (Jackson allows 1000; recursion here must stay within small thread stacks).
const MAX_DEPTH: usize = 200;

/// Parses one JSON document (trailing whitespace allowed, nothing else).
pub fn parse_json(input: &[u8]) -> Result<Option<JsonNode>, JsonSyntaxError> {
    let text = std::str::from_utf8(input).map_err(|e| JsonSyntaxError {
        line: 1,
        column: e.valid_up_to() + 1,
        message: "Invalid UTF-8 start byte".into(),
    })?;
    let mut p = Parser {
        chars: text.char_indices().peekable(),
        text,
        line: 1,
        column: 1,
    };
    p.skip_ws();
    if p.peek().is_none() {
        return Ok(None);
    }
    let node = p.value(0)?;
    p.skip_ws();
    if let Some(c) = p.peek() {
        return Err(p.error(format!(
            "Unexpected character ('{c}' (code {})): expected end of input",
            c as u32
        )));
    }
    Ok(Some(node))
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    line: usize,
    column: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Option<char> {
        self.chars.peek().map(|(_, c)| *c)
    }

    fn bump(&mut self) -> Option<char> {
        let (_, c) = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, message: impl Into<String>) -> JsonSyntaxError {
        JsonSyntaxError {
            line: self.line,
            column: self.column,
            message: message.into(),
        }
    }

    fn unexpected(&mut self, expecting: &str) -> JsonSyntaxError {
        match self.peek() {
            Some(c) => self.error(format!(
                "Unexpected character ('{c}' (code {})): {expecting}",
                c as u32
            )),
            None => self.error(format!("Unexpected end-of-input: {expecting}")),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.bump();
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonNode, JsonSyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        self.skip_ws();
        let (line, column) = (self.line, self.column);
        let value = match self.peek() {
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some('"') => JsonValue::String(self.string()?),
            Some('t') => self.literal("true", JsonValue::Bool(true))?,
            Some('f') => self.literal("false", JsonValue::Bool(false))?,
            Some('n') => self.literal("null", JsonValue::Null)?,
            Some(c) if c == '-' || c.is_ascii_digit() => self.number()?,
            _ => {
                return Err(self.unexpected(
                    "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                ))
            }
        };
        Ok(JsonNode {
            line,
            column,
            value,
        })
    }

    fn literal(&mut self, word: &str, value: JsonValue) -> Result<JsonValue, JsonSyntaxError> {
        for expected in word.chars() {
            if self.peek() != Some(expected) {
                return Err(self.unexpected(&format!("was expecting '{word}'")));
            }
            self.bump();
        }
        if matches!(self.peek(), Some(c) if c.is_alphanumeric()) {
            return Err(self.error(format!("Unrecognized token: was expecting '{word}'")));
        }
        Ok(value)
    }

    fn number(&mut self) -> Result<JsonValue, JsonSyntaxError> {
        let start = self
            .chars
            .peek()
            .map(|(i, _)| *i)
            .unwrap_or(self.text.len());
        let mut end = start;
        let mut is_integer = true;
        let mut digits = 0;
        while let Some(&(i, c)) = self.chars.peek() {
            match c {
                '0'..='9' => digits += 1,
                '-' | '+' => {}
                '.' | 'e' | 'E' => is_integer = false,
                _ => break,
            }
            end = i + c.len_utf8();
            self.bump();
        }
        let raw = &self.text[start..end];
        if digits == 0 || raw.parse::<f64>().is_err() {
            return Err(self.error(format!("Invalid numeric value: [{raw}]")));
        }
        Ok(JsonValue::Number {
            raw: raw.to_string(),
            is_integer,
        })
    }

    fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.bump(); // opening quote
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("Unexpected end-of-input: was expecting closing quote for a string value")),
                Some('"') => return Ok(out),
                Some('\\') => {
                    let c = match self.bump() {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('/') => '/',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('u') => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) && self.peek() == Some('\\') {
                                self.bump();
                                if self.bump() != Some('u') {
                                    return Err(self.error("Invalid surrogate escape"));
                                }
                                let lo = self.hex4()?;
                                let code = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3ff);
                                char::from_u32(code).unwrap_or('\u{fffd}')
                            } else {
                                char::from_u32(hi).unwrap_or('\u{fffd}')
                            }
                        }
                        Some(other) => {
                            return Err(self.error(format!(
                                "Unrecognized character escape '{other}' (code {})",
                                other as u32
                            )))
                        }
                        None => return Err(self.error("Unexpected end-of-input in character escape sequence")),
                    };
                    out.push(c);
                }
                Some(c) if (c as u32) < 0x20 => {
                    return Err(self.error(format!(
                        "Illegal unquoted character ((CTRL-CHAR, code {})): has to be escaped using backslash to be included in string value",
                        c as u32
                    )))
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonSyntaxError> {
        let mut v = 0;
        for _ in 0..4 {
            let d = self.bump().and_then(|c| c.to_digit(16)).ok_or_else(|| {
                self.error("Unexpected character in unicode escape: expected a hex-digit for character escape sequence")
            })?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        self.bump();
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.bump();
            return Ok(JsonValue::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {
                    self.bump();
                    return Ok(JsonValue::Array(items));
                }
                _ => return Err(self.unexpected("was expecting comma to separate Array entries")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        self.bump();
        let mut fields: Vec<(String, JsonNode)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.bump();
            return Ok(JsonValue::Object(fields));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some('"') {
                return Err(self.unexpected("was expecting double-quote to start field name"));
            }
            let key = self.string()?;
            if fields.iter().any(|(k, _)| *k == key) {
                return Err(self.error(format!("Duplicate field '{key}'")));
            }
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(
                    self.unexpected("was expecting a colon to separate field name and value")
                );
            }
            self.bump();
            let value = self.value(depth + 1)?;
            fields.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {
                    self.bump();
                    return Ok(JsonValue::Object(fields));
                }
                _ => return Err(self.unexpected("was expecting comma to separate Object entries")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_line_and_column_of_each_value() {
        let node = parse_json(b"{\"a\": 1,\n \"b\": [\"x\", -2.5e3]}")
            .unwrap()
            .unwrap();
        let JsonValue::Object(fields) = node.value else {
            panic!()
        };
        assert_eq!((fields[0].1.line, fields[0].1.column), (1, 7));
        let JsonValue::Array(items) = &fields[1].1.value else {
            panic!()
        };
        assert_eq!((items[1].line, items[1].column), (2, 13));
        assert_eq!(
            items[1].value,
            JsonValue::Number {
                raw: "-2.5e3".into(),
                is_integer: false
            }
        );
    }

    #[test]
    fn strings_unescape_and_errors_point_at_the_problem() {
        let node = parse_json(br#"{"s":"a\"\u00e9\ud83d\ude00"}"#)
            .unwrap()
            .unwrap();
        let JsonValue::Object(fields) = node.value else {
            panic!()
        };
        assert_eq!(fields[0].1.value, JsonValue::String("a\"é😀".into()));
        let e = parse_json(b"{\"a\":1,}").unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
        assert!(e.message.contains("double-quote to start field name"));
        assert!(parse_json(b"{\"a\":1,\"a\":2}")
            .unwrap_err()
            .message
            .contains("Duplicate field 'a'"));
        assert!(parse_json(b"{} x").is_err());
        assert!(parse_json(b"  ").unwrap().is_none());
        assert!(parse_json(&[b'['; 5000]).is_err());
    }
}
