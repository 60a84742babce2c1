//! `_cat` tables as Elasticsearch's `RestTable` renders them.
//!
//! A handler describes its columns ([`CatColumn`]: name, aliases, shown by default or not,
//! right-aligned or not, description) and hands over one JSON object per row, with byte counts
//! and durations wrapped by [`bytes_value`] / [`millis_value`]; [`render`] applies the common
//! parameters:
//!
//! - `h`: columns to show, by name or alias, with `*` wildcards; unknown names are skipped, as
//!   in Elasticsearch. Without `h`, the default columns.
//! - `s`: sort keys (`name`, `alias`, `name:desc`); an unknown key is an error.
//! - `v`: a header line. `help`: the column table instead of data.
//! - `format` (or the `Accept` header): `text` (padded columns, one space apart, columns
//!   declared right-aligned padded on the left, the last column unpadded), `json` (an array of
//!   objects, every value a string or null), `yaml`.
//! - `bytes` / `time`: fixed units for byte and time cells instead of human-readable values.
//! - `ts=false`: hides the `epoch` and `timestamp` columns.
//! - `pri`: with `h`, adds the `pri.<column>` sibling (primaries only) after each requested
//!   column that has one.
//!
//! The writers for each format live in `cat_output`.

use super::cat_output::{render_help, render_json, render_text, render_yaml};
use super::human;
use quarry_types::EsError;
use serde_json::{Map, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// One column of a `_cat` table. How a value renders depends on the value itself, as in
/// Elasticsearch where a cell holds a `ByteSizeValue` or a `TimeValue`: wrap byte counts with
/// [`bytes_value`] and durations with [`millis_value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatColumn {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// Shown when `h` is not given.
    pub default: bool,
    /// Right-aligned in text output (numbers).
    pub align_right: bool,
    /// Shown by `help` (`not available` when empty).
    pub description: &'static str,
    /// Has a `pri.<name>` sibling column (primaries only), shown next to it when the column is
    /// asked for with `h` and the request says `pri=true`.
    pub pri_sibling: bool,
}

impl CatColumn {
    /// A default, left-aligned column.
    pub const fn new(
        name: &'static str,
        aliases: &'static [&'static str],
        description: &'static str,
    ) -> Self {
        CatColumn {
            name,
            aliases,
            default: true,
            align_right: false,
            description,
            pri_sibling: false,
        }
    }
    /// Right-aligned (numbers, sizes, durations).
    pub const fn right(mut self) -> Self {
        self.align_right = true;
        self
    }
    /// Not shown unless asked for with `h`.
    pub const fn hidden(mut self) -> Self {
        self.default = false;
        self
    }
    /// Has a `pri.<name>` sibling column (see [`CatColumn::pri_sibling`]).
    pub const fn with_pri(mut self) -> Self {
        self.pri_sibling = true;
        self
    }
    /// With a `help` description.
    pub const fn desc(mut self, description: &'static str) -> Self {
        self.description = description;
        self
    }
}

const BYTES_KEY: &str = "$bytes";
const MILLIS_KEY: &str = "$millis";

/// A cell holding a byte count: printed human-readable (`1.2kb`) unless `bytes=` fixes the
/// unit, sorted by the number.
pub fn bytes_value(bytes: i64) -> Value {
    let mut m = Map::new();
    m.insert(BYTES_KEY.to_string(), Value::from(bytes));
    Value::Object(m)
}

/// A cell holding a duration in milliseconds: printed human-readable (`1.5s`) unless `time=`
/// fixes the unit, sorted by the number.
pub fn millis_value(millis: i64) -> Value {
    let mut m = Map::new();
    m.insert(MILLIS_KEY.to_string(), Value::from(millis));
    Value::Object(m)
}

/// A typed cell: the marker key and the number, if `value` is one.
fn typed_cell(value: &Value) -> Option<(&'static str, i64)> {
    let obj = value.as_object()?;
    if obj.len() != 1 {
        return None;
    }
    [BYTES_KEY, MILLIS_KEY]
        .into_iter()
        .find_map(|k| obj.get(k).and_then(Value::as_i64).map(|n| (k, n)))
}

/// The output format of a `_cat` response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CatFormat {
    #[default]
    Text,
    Json,
    Yaml,
}

impl CatFormat {
    /// `format=` values; anything unrecognised is plain text, as in Elasticsearch.
    pub fn from_param(format: &str) -> CatFormat {
        match format.trim().to_ascii_lowercase().as_str() {
            "json" => CatFormat::Json,
            "yaml" => CatFormat::Yaml,
            _ => CatFormat::Text,
        }
    }

    /// The first media type of an `Accept` header: JSON (also the vendor type) or YAML, else text.
    pub fn from_accept(accept: &str) -> CatFormat {
        let first = accept
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let media = first.split(';').next().unwrap_or("").trim();
        match media {
            "application/json" | "application/vnd.elasticsearch+json" => CatFormat::Json,
            "application/yaml" | "application/vnd.elasticsearch+yaml" => CatFormat::Yaml,
            _ => CatFormat::Text,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            CatFormat::Text => TEXT_CONTENT_TYPE,
            CatFormat::Json => "application/json",
            CatFormat::Yaml => "application/yaml",
        }
    }
}

/// Elasticsearch's plain-text content type.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; charset=UTF-8";

/// The common `_cat` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatParams {
    pub v: bool,
    pub h: Option<Vec<String>>,
    pub s: Option<Vec<String>>,
    pub format: CatFormat,
    pub bytes: Option<String>,
    pub time: Option<String>,
    pub help: bool,
    /// `ts`, default true: show `epoch` and `timestamp`.
    pub ts: bool,
    /// `pri`: add the `pri.` sibling of each requested column that has one.
    pub pri: bool,
}

impl Default for CatParams {
    fn default() -> Self {
        CatParams {
            v: false,
            h: None,
            s: None,
            format: CatFormat::Text,
            bytes: None,
            time: None,
            help: false,
            ts: true,
            pri: false,
        }
    }
}

impl CatParams {
    /// Reads the parameters from the query string (text output unless `format` says otherwise).
    pub fn from_query(params: &BTreeMap<String, String>) -> Result<CatParams, EsError> {
        CatParams::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), None)
    }

    /// Reads the parameters from the query string pairs; `accept` is the `Accept` header, used
    /// when there is no `format`. A bad boolean is an `illegal_argument_exception`.
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
        accept: Option<&str>,
    ) -> Result<CatParams, EsError> {
        let mut out = CatParams::default();
        let mut format = None;
        for (key, value) in params {
            match key {
                "v" => out.v = parse_flag(value)?,
                "help" => out.help = parse_flag(value)?,
                "ts" => out.ts = parse_flag(value)?,
                "pri" => out.pri = parse_flag(value)?,
                "h" => out.h = Some(split_list(value)),
                "s" => out.s = Some(split_list(value)),
                "format" => format = Some(CatFormat::from_param(value)),
                "bytes" => out.bytes = Some(value.to_string()),
                "time" => out.time = Some(value.to_string()),
                _ => {}
            }
        }
        out.format = format
            .or_else(|| accept.map(CatFormat::from_accept))
            .unwrap_or_default();
        Ok(out)
    }
}

/// `?v` and `?v=true` are true, `?v=false` false, anything else an error.
fn parse_flag(value: &str) -> Result<bool, EsError> {
    match value {
        "" | "true" => Ok(true),
        "false" => Ok(false),
        other => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{other}] as only [true] or [false] are allowed."
        ))),
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A column chosen for display, and the header text it is shown under (the alias when asked by
/// alias).
pub(super) struct DisplayHeader<'c> {
    pub(super) column: &'c CatColumn,
    pub(super) display: String,
}

/// Renders a `_cat` response: the body and its content type.
pub fn render(
    rows: &[Map<String, Value>],
    columns: &[CatColumn],
    params: &CatParams,
) -> Result<(String, &'static str), EsError> {
    if params.help {
        return Ok((render_help(columns), TEXT_CONTENT_TYPE));
    }
    let order = row_order(rows, columns, params)?;
    let headers = display_headers(columns, params);
    let cells: Vec<Vec<Option<String>>> = order
        .iter()
        .map(|&r| {
            headers
                .iter()
                .map(|h| render_cell(rows[r].get(h.column.name), params))
                .collect()
        })
        .collect();
    let body = match params.format {
        CatFormat::Text => render_text(&headers, &cells, params.v),
        CatFormat::Json => render_json(&headers, &cells),
        CatFormat::Yaml => render_yaml(&headers, &cells),
    };
    Ok((body, params.format.content_type()))
}

fn find_column<'c>(columns: &'c [CatColumn], name: &str) -> Option<&'c CatColumn> {
    columns.iter().find(|c| c.name == name)
}

fn display_headers<'c>(columns: &'c [CatColumn], params: &CatParams) -> Vec<DisplayHeader<'c>> {
    let shown_by_ts = |c: &CatColumn| params.ts || (c.name != "epoch" && c.name != "timestamp");
    let Some(requested) = &params.h else {
        return columns
            .iter()
            .filter(|c| c.default && shown_by_ts(c))
            .map(|c| DisplayHeader {
                column: c,
                display: c.name.to_string(),
            })
            .collect();
    };
    // Expand wildcards against names and aliases, keeping first-seen order without repeats.
    let mut wanted: Vec<String> = Vec::new();
    for h in requested {
        if h.contains('*') {
            for c in columns {
                let hit = super::filter_path::simple_match(h, c.name)
                    || c.aliases
                        .iter()
                        .any(|a| super::filter_path::simple_match(h, a));
                if hit && !wanted.iter().any(|w| w == c.name) {
                    wanted.push(c.name.to_string());
                }
            }
        } else if !wanted.contains(h) {
            wanted.push(h.clone());
        }
    }
    let mut out = Vec::new();
    for w in &wanted {
        let found = match find_column(columns, w) {
            Some(c) => Some((c, w.clone())),
            None => columns
                .iter()
                .find(|c| c.aliases.contains(&w.as_str()))
                .map(|c| (c, w.clone())),
        };
        let Some((column, display)) = found else {
            continue;
        };
        if !shown_by_ts(column) {
            continue;
        }
        let sibling = if column.pri_sibling && params.pri {
            let name = format!("pri.{}", column.name);
            find_column(columns, &name).map(|c| DisplayHeader {
                column: c,
                display: format!("pri.{display}"),
            })
        } else {
            None
        };
        out.push(DisplayHeader { column, display });
        out.extend(sibling);
    }
    out
}

/// Row indexes in display order: as given, or stably sorted by `s`.
fn row_order(
    rows: &[Map<String, Value>],
    columns: &[CatColumn],
    params: &CatParams,
) -> Result<Vec<usize>, EsError> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let Some(keys) = &params.s else {
        return Ok(order);
    };
    let mut sort_keys: Vec<(&str, bool)> = Vec::new();
    for key in keys {
        let (name, reverse) = if let Some(n) = key.strip_suffix(":desc") {
            (n, true)
        } else if let Some(n) = key.strip_suffix(":asc") {
            (n, false)
        } else {
            (key.as_str(), false)
        };
        let column = find_column(columns, name)
            .or_else(|| columns.iter().find(|c| c.aliases.contains(&name)))
            .ok_or_else(|| {
                EsError::new(
                    "unsupported_operation_exception",
                    500,
                    format!("Unable to sort by unknown sort key `{name}`"),
                )
            })?;
        sort_keys.push((column.name, reverse));
    }
    order.sort_by(|&a, &b| {
        for &(name, reverse) in &sort_keys {
            let ord = compare_cells(rows[a].get(name), rows[b].get(name));
            if ord != Ordering::Equal {
                return if reverse { ord.reverse() } else { ord };
            }
        }
        Ordering::Equal
    });
    Ok(order)
}

/// Nulls first; numbers by value; strings and booleans naturally; mixed types by their text.
fn compare_cells(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    let typed = |v: Option<&Value>| v.and_then(typed_cell).map(|(_, n)| Value::from(n));
    let (ta, tb) = (typed(a), typed(b));
    let a = ta.as_ref().or(a);
    let b = tb.as_ref().or(b);
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ => {
                let (fx, fy) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                fx.partial_cmp(&fy).unwrap_or(Ordering::Equal)
            }
        },
        (Some(Value::String(x)), Some(Value::String(y))) => x.cmp(y),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x), Some(y)) => plain_text(x).cmp(&plain_text(y)),
    }
}

fn plain_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A cell's text, or `None` for a missing/null value.
fn render_cell(value: Option<&Value>, params: &CatParams) -> Option<String> {
    let value = value.filter(|v| !v.is_null())?;
    Some(match typed_cell(value) {
        Some((BYTES_KEY, n)) => render_bytes(n, params.bytes.as_deref()),
        Some((_, n)) => render_millis(n, params.time.as_deref()),
        None => plain_text(value),
    })
}

fn render_bytes(n: i64, unit: Option<&str>) -> String {
    let divisor: i64 = match unit {
        Some("b") => 1,
        Some("k" | "kb") => 1 << 10,
        Some("m" | "mb") => 1 << 20,
        Some("g" | "gb") => 1 << 30,
        Some("t" | "tb") => 1 << 40,
        Some("p" | "pb") => 1 << 50,
        _ => return human::bytes_signed(n),
    };
    (n / divisor).to_string()
}

fn render_millis(ms: i64, unit: Option<&str>) -> String {
    match unit {
        Some("nanos") => ms.saturating_mul(1_000_000).to_string(),
        Some("micros") => ms.saturating_mul(1_000).to_string(),
        Some("ms") => ms.to_string(),
        Some("s") => (ms / 1_000).to_string(),
        Some("m") => (ms / 60_000).to_string(),
        Some("h") => (ms / 3_600_000).to_string(),
        Some("d") => (ms / 86_400_000).to_string(),
        _ => human::millis(ms),
    }
}
