//! Writing a selected, ordered `_cat` table: padded plain text as Elasticsearch's `RestTable`
//! prints it (one space between columns, right-aligned columns padded on the left, the last
//! column never padded on the right), JSON, YAML, and the `help` listing.

use super::cat_table::{CatColumn, DisplayHeader};
use serde_json::{Map, Value};

/// Java `String.length()`: UTF-16 code units.
fn text_width(s: &str) -> usize {
    s.encode_utf16().count()
}

fn pad_into(out: &mut String, text: &str, width: usize, align_right: bool, is_last: bool) {
    let fill = width.saturating_sub(text_width(text));
    if align_right && fill > 0 {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(text);
    } else {
        out.push_str(text);
        if !is_last {
            out.extend(std::iter::repeat_n(' ', fill));
        }
    }
}

pub(super) fn render_text(
    headers: &[DisplayHeader],
    cells: &[Vec<Option<String>>],
    verbose: bool,
) -> String {
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| if verbose { text_width(&h.display) } else { 0 })
        .collect();
    for row in cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.as_deref().map(text_width).unwrap_or(0));
        }
    }
    let last = headers.len().saturating_sub(1);
    let mut out = String::new();
    let mut write_line = |texts: &mut dyn Iterator<Item = &str>| {
        for (i, (text, h)) in texts.zip(headers).enumerate() {
            pad_into(&mut out, text, widths[i], h.column.align_right, i == last);
            if i != last {
                out.push(' ');
            }
        }
        out.push('\n');
    };
    if verbose {
        write_line(&mut headers.iter().map(|h| h.display.as_str()));
    }
    for row in cells {
        write_line(&mut row.iter().map(|c| c.as_deref().unwrap_or("")));
    }
    out
}

pub(super) fn render_json(headers: &[DisplayHeader], cells: &[Vec<Option<String>>]) -> String {
    let rows: Vec<Value> = cells
        .iter()
        .map(|row| {
            let mut obj = Map::new();
            for (h, cell) in headers.iter().zip(row) {
                obj.insert(
                    h.display.clone(),
                    cell.clone().map(Value::String).unwrap_or(Value::Null),
                );
            }
            Value::Object(obj)
        })
        .collect();
    Value::Array(rows).to_string()
}

/// YAML as Elasticsearch's (Jackson) writer prints it: a `---` document, double-quoted strings.
pub(super) fn render_yaml(headers: &[DisplayHeader], cells: &[Vec<Option<String>>]) -> String {
    if cells.is_empty() {
        return "--- []\n".to_string();
    }
    let mut out = String::from("---\n");
    for row in cells {
        if headers.is_empty() {
            out.push_str("- {}\n");
            continue;
        }
        for (i, (h, cell)) in headers.iter().zip(row).enumerate() {
            out.push_str(if i == 0 { "- " } else { "  " });
            out.push_str(&yaml_key(&h.display));
            out.push_str(": ");
            match cell {
                Some(text) => out.push_str(&Value::String(text.clone()).to_string()),
                None => out.push_str("null"),
            }
            out.push('\n');
        }
    }
    out
}

fn yaml_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !key.starts_with('-');
    if plain {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}

/// `help`: one line per column, `name | aliases | description`, every field padded.
pub(super) fn render_help(columns: &[CatColumn]) -> String {
    let aliases: Vec<String> = columns.iter().map(|c| c.aliases.join(",")).collect();
    let descs: Vec<&str> = columns
        .iter()
        .map(|c| {
            if c.description.is_empty() {
                "not available"
            } else {
                c.description
            }
        })
        .collect();
    let w0 = columns
        .iter()
        .map(|c| text_width(c.name))
        .max()
        .unwrap_or(0);
    let w1 = aliases.iter().map(|a| text_width(a)).max().unwrap_or(0);
    let w2 = descs.iter().map(|d| text_width(d)).max().unwrap_or(0);
    let mut out = String::new();
    for (i, c) in columns.iter().enumerate() {
        pad_into(&mut out, c.name, w0, false, false);
        out.push_str(" | ");
        pad_into(&mut out, &aliases[i], w1, false, false);
        out.push_str(" | ");
        pad_into(&mut out, descs[i], w2, false, false);
        out.push('\n');
    }
    out
}
