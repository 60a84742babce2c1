//! How one JSON value becomes the indexed value of a leaf field of a given Elasticsearch type,
//! with Elasticsearch's coercion rules: numeric strings, truncated decimals for integer types,
//! range checks, the boolean spellings, date formats, IPs, `ignore_above`, normalizers.
//!
//! Owns: per-type value conversion and its error texts (the `caused_by` of
//! `document_parsing_exception`). Must not walk documents or change mappings (that is `mapper`).

use crate::analysis::AnalysisRegistry;
use crate::json_source::JsonValue;
use crate::layout::IndexedValue;
use base64::Engine;
use quarry_types::date::{date_from_number, parse_date};
use quarry_types::mapping::{FieldMapping, FieldType};
use serde_json::Value;
use std::net::IpAddr;

/// What to do with one value of a leaf field.
#[derive(Debug, Clone, PartialEq)]
pub enum LeafOutcome {
    Index(IndexedValue),
    /// Not indexed and recorded in `_ignored` (`ignore_above`).
    Ignored,
    /// Valid but not indexed (binary values, null without `null_value`).
    Skip,
}

/// Converts one non-array value. `Err` carries the cause text of the parsing failure.
pub fn leaf_outcome(
    fm: &FieldMapping,
    value: &JsonValue,
    default_analyzer: &str,
    analysis: Option<&AnalysisRegistry>,
) -> Result<LeafOutcome, String> {
    if matches!(value, JsonValue::Null) {
        return match fm.null_value().map(json_to_value) {
            Some(v) if !matches!(v, JsonValue::Null) => {
                leaf_outcome(fm, &v, default_analyzer, analysis)
            }
            _ => Ok(LeafOutcome::Skip),
        };
    }
    if let JsonValue::Object(_) = value {
        return Err(format!(
            "Can't get text on a START_OBJECT for field of type [{}]",
            fm.field_type.name()
        ));
    }
    let ft = fm.field_type;
    let indexed = match ft {
        FieldType::Text | FieldType::MatchOnlyText => IndexedValue::Text {
            analyzer: fm.analyzer().unwrap_or(default_analyzer).to_string(),
            text: scalar_text(value)?,
        },
        FieldType::Keyword
        | FieldType::ConstantKeyword
        | FieldType::Wildcard
        | FieldType::Flattened => {
            let text = scalar_text(value)?;
            if fm
                .ignore_above()
                .is_some_and(|limit| text.chars().count() > limit)
            {
                return Ok(LeafOutcome::Ignored);
            }
            let normalized = match (
                fm.params.get("normalizer").and_then(Value::as_str),
                analysis,
            ) {
                (Some(n), Some(a)) => a.normalize(n, &text).unwrap_or(text),
                _ => text,
            };
            IndexedValue::Keyword(normalized)
        }
        FieldType::Long | FieldType::Integer | FieldType::Short | FieldType::Byte => {
            IndexedValue::Long(parse_integer(value, ft, fm.coerce())? as i64)
        }
        FieldType::UnsignedLong => IndexedValue::UnsignedLong(parse_unsigned_long(value)?),
        FieldType::Double | FieldType::Float | FieldType::HalfFloat => {
            IndexedValue::Double(parse_float(value, ft, fm.coerce())?)
        }
        FieldType::ScaledFloat => {
            let v = parse_float(value, ft, fm.coerce())?;
            let factor = fm.scaling_factor().unwrap_or(1.0);
            IndexedValue::Double((v * factor).round() / factor)
        }
        FieldType::Boolean => IndexedValue::Boolean(parse_boolean(value)?),
        FieldType::Date | FieldType::DateNanos => {
            IndexedValue::Date(parse_date_value(value, fm.format())?)
        }
        FieldType::Ip => {
            let text = scalar_text(value)?;
            let ip: IpAddr = text
                .parse()
                .map_err(|_| format!("'{text}' is not an IP string literal."))?;
            IndexedValue::Ip(ip)
        }
        FieldType::Binary => {
            let text = scalar_text(value)?;
            let engine = base64::engine::general_purpose::STANDARD;
            let no_pad = base64::engine::general_purpose::STANDARD_NO_PAD;
            if engine.decode(text.as_bytes()).is_err() && no_pad.decode(text.as_bytes()).is_err() {
                return Err(format!("Failed to decode base64 value [{text}]"));
            }
            return Ok(LeafOutcome::Skip);
        }
        FieldType::Object | FieldType::Nested => return Err("object fields take objects".into()),
    };
    Ok(LeafOutcome::Index(indexed))
}

/// A mapping parameter value (`null_value`) as a document value.
pub fn json_to_value(v: &Value) -> JsonValue {
    match v {
        Value::Null => JsonValue::Null,
        Value::Bool(b) => JsonValue::Bool(*b),
        Value::Number(n) => JsonValue::Number {
            raw: n.to_string(),
            is_integer: n.is_i64() || n.is_u64(),
        },
        Value::String(s) => JsonValue::String(s.clone()),
        Value::Array(_) | Value::Object(_) => JsonValue::String(v.to_string()),
    }
}

fn scalar_text(value: &JsonValue) -> Result<String, String> {
    match value {
        JsonValue::String(s) => Ok(s.clone()),
        JsonValue::Number { raw, .. } => Ok(raw.clone()),
        JsonValue::Bool(b) => Ok(b.to_string()),
        _ => Err("Can't get text on a START_ARRAY".into()),
    }
}

fn integer_bounds(ft: FieldType) -> (i128, i128, &'static str) {
    match ft {
        FieldType::Byte => (i8::MIN.into(), i8::MAX.into(), "a byte"),
        FieldType::Short => (i16::MIN.into(), i16::MAX.into(), "a short"),
        FieldType::Integer => (i32::MIN.into(), i32::MAX.into(), "an integer"),
        FieldType::UnsignedLong => (0, u64::MAX.into(), "an unsigned long"),
        _ => (i64::MIN.into(), i64::MAX.into(), "a long"),
    }
}

/// Integer types: JSON integers, decimals truncated and numeric strings when `coerce`, range-checked.
fn parse_integer(value: &JsonValue, ft: FieldType, coerce: bool) -> Result<i128, String> {
    let raw = match value {
        JsonValue::Number { raw, .. } => raw.as_str(),
        JsonValue::String(s) if coerce => s.trim(),
        JsonValue::String(s) => {
            return Err(format!(
                "[coerce] is set to false, cannot parse string value [{s}]"
            ))
        }
        JsonValue::Bool(b) => {
            return Err(format!(
                "Current token (VALUE_{}) not numeric",
                b.to_string().to_uppercase()
            ))
        }
        _ => return Err("Current token not numeric".into()),
    };
    let (min, max, name) = integer_bounds(ft);
    let parsed = match raw.parse::<i128>() {
        Ok(v) => v,
        Err(_) => {
            let f: f64 = raw
                .parse()
                .map_err(|_| format!("For input string: \"{raw}\""))?;
            if !f.is_finite() {
                return Err(format!("Value [{raw}] is out of range for {name}"));
            }
            if f.fract() != 0.0 && !coerce {
                return Err(format!("Value [{raw}] has a decimal part"));
            }
            let t = f.trunc();
            if t < min as f64 || t > max as f64 {
                return Err(format!("Value [{raw}] is out of range for {name}"));
            }
            t as i128
        }
    };
    if parsed < min || parsed > max {
        return Err(format!("Value [{raw}] is out of range for {name}"));
    }
    Ok(parsed)
}

/// `unsigned_long` (Elasticsearch's `UnsignedLongFieldMapper.parseUnsignedLong`): numbers and
/// numeric strings, read exactly; a value with a non-zero decimal part is rejected, never
/// truncated (`1.0` and `1e3` are whole numbers and accepted).
fn parse_unsigned_long(value: &JsonValue) -> Result<u64, String> {
    let raw = match value {
        JsonValue::Number { raw, .. } => raw.as_str(),
        JsonValue::String(s) => s.as_str(),
        JsonValue::Bool(b) => {
            return Err(format!(
                "Current token (VALUE_{}) not numeric",
                b.to_string().to_uppercase()
            ))
        }
        _ => return Err("Current token not numeric".into()),
    };
    let out_of_range = || format!("Value [{raw}] is out of range for an unsigned long");
    let (negative, whole) = exact_whole_number(raw)?;
    if negative && whole != 0 {
        return Err(out_of_range());
    }
    u64::try_from(whole).map_err(|_| out_of_range())
}

/// Reads a decimal literal (`-12.50e1`) exactly: its sign and its value when it is a whole
/// number; `has a decimal part` otherwise.
fn exact_whole_number(raw: &str) -> Result<(bool, u128), String> {
    let invalid = || format!("For input string: \"{raw}\"");
    let (negative, body) = match raw.as_bytes().first() {
        Some(b'-') => (true, &raw[1..]),
        Some(b'+') => (false, &raw[1..]),
        _ => (false, raw),
    };
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (
            &body[..i],
            body[i + 1..].parse::<i32>().map_err(|_| invalid())?,
        ),
        None => (body, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty())
        || !digits_ok(int_part)
        || !digits_ok(frac_part)
    {
        return Err(invalid());
    }
    // All digits, with the decimal point moved by the exponent.
    let digits = format!("{int_part}{frac_part}");
    let point = int_part.len() as i64 + i64::from(exponent);
    let (whole, fraction) = if point <= 0 {
        ("", digits.as_str())
    } else if point as usize >= digits.len() {
        (digits.as_str(), "")
    } else {
        digits.split_at(point as usize)
    };
    if fraction.bytes().any(|b| b != b'0') {
        return Err(format!("Value \"{raw}\" has a decimal part"));
    }
    let zeros = (point as usize).saturating_sub(digits.len());
    let whole = whole.trim_start_matches('0');
    if whole.len() + zeros > 39 {
        return Err(format!(
            "Value [{raw}] is out of range for an unsigned long"
        ));
    }
    let mut value: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    for _ in 0..zeros {
        value = value
            .checked_mul(10)
            .ok_or_else(|| format!("Value [{raw}] is out of range for an unsigned long"))?;
    }
    Ok((negative, value))
}

fn parse_float(value: &JsonValue, ft: FieldType, coerce: bool) -> Result<f64, String> {
    let raw = match value {
        JsonValue::Number { raw, .. } => raw.as_str(),
        JsonValue::String(s) if coerce => s.trim(),
        JsonValue::String(s) => {
            return Err(format!(
                "[coerce] is set to false, cannot parse string value [{s}]"
            ))
        }
        JsonValue::Bool(b) => {
            return Err(format!(
                "Current token (VALUE_{}) not numeric",
                b.to_string().to_uppercase()
            ))
        }
        _ => return Err("Current token not numeric".into()),
    };
    let v: f64 = raw
        .parse()
        .map_err(|_| format!("For input string: \"{raw}\""))?;
    let limit = match ft {
        FieldType::Float => f32::MAX as f64,
        FieldType::HalfFloat => 65504.0,
        _ => f64::MAX,
    };
    if !v.is_finite() || v.abs() > limit {
        return Err(format!(
            "[{}] supports only finite values, but got [{raw}]",
            ft.name()
        ));
    }
    Ok(v)
}

fn parse_boolean(value: &JsonValue) -> Result<bool, String> {
    match value {
        JsonValue::Bool(b) => Ok(*b),
        JsonValue::String(s) if s == "true" => Ok(true),
        JsonValue::String(s) if s == "false" || s.is_empty() => Ok(false),
        other => Err(format!(
            "Failed to parse value [{}] as only [true] or [false] are allowed.",
            other.preview()
        )),
    }
}

fn parse_date_value(value: &JsonValue, format: Option<&str>) -> Result<i64, String> {
    match value {
        JsonValue::String(s) => parse_date(s, format),
        JsonValue::Number { raw, .. } => {
            let f: f64 = raw
                .parse()
                .map_err(|_| format!("failed to parse date field [{raw}]"))?;
            Ok(date_from_number(f, format))
        }
        other => Err(format!("failed to parse date field [{}]", other.preview())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(raw: &str) -> JsonValue {
        JsonValue::Number {
            raw: raw.into(),
            is_integer: !raw.contains(['.', 'e', 'E']),
        }
    }
    fn outcome(fm: &FieldMapping, v: JsonValue) -> Result<LeafOutcome, String> {
        leaf_outcome(fm, &v, "standard", None)
    }

    #[test]
    fn integers_coerce_truncate_and_range_check() {
        let long = FieldMapping::of(FieldType::Long);
        assert_eq!(
            outcome(&long, JsonValue::String("5".into())),
            Ok(LeafOutcome::Index(IndexedValue::Long(5)))
        );
        assert_eq!(
            outcome(&long, num("5.9")),
            Ok(LeafOutcome::Index(IndexedValue::Long(5)))
        );
        assert_eq!(
            outcome(&long, JsonValue::String("abc".into())),
            Err("For input string: \"abc\"".into())
        );
        let byte = FieldMapping::of(FieldType::Byte);
        assert_eq!(
            outcome(&byte, num("300")),
            Err("Value [300] is out of range for a byte".into())
        );
        let strict = FieldMapping::of(FieldType::Integer).with_param("coerce", json!(false));
        assert!(outcome(&strict, JsonValue::String("5".into())).is_err());
        assert!(outcome(&strict, num("1.5")).is_err());
        let ul = FieldMapping::of(FieldType::UnsignedLong);
        assert_eq!(
            outcome(&ul, num("18446744073709551615")),
            Ok(LeafOutcome::Index(IndexedValue::UnsignedLong(u64::MAX)))
        );
        for (raw, expected) in [("1.0", 1), ("1e3", 1000), ("2.50e1", 25), ("0.0", 0)] {
            assert_eq!(
                outcome(&ul, JsonValue::String(raw.into())),
                Ok(LeafOutcome::Index(IndexedValue::UnsignedLong(expected))),
                "{raw}"
            );
        }
        assert_eq!(
            outcome(&ul, JsonValue::String("10223372036854775807.23".into())),
            Err("Value \"10223372036854775807.23\" has a decimal part".into())
        );
        assert_eq!(
            outcome(&ul, num("1.5")),
            Err("Value \"1.5\" has a decimal part".into())
        );
        assert!(outcome(&ul, num("-1"))
            .unwrap_err()
            .contains("out of range"));
        assert!(outcome(&ul, num("18446744073709551616"))
            .unwrap_err()
            .contains("out of range"));
        assert_eq!(
            outcome(&ul, JsonValue::String("abc".into())),
            Err("For input string: \"abc\"".into())
        );
    }

    #[test]
    fn booleans_dates_ips_keywords() {
        let b = FieldMapping::of(FieldType::Boolean);
        assert_eq!(
            outcome(&b, JsonValue::String("".into())),
            Ok(LeafOutcome::Index(IndexedValue::Boolean(false)))
        );
        assert!(outcome(&b, JsonValue::String("yes".into())).is_err());
        let d = FieldMapping::of(FieldType::Date);
        assert_eq!(
            outcome(&d, num("1000")),
            Ok(LeafOutcome::Index(IndexedValue::Date(1000)))
        );
        assert_eq!(
            outcome(&d, JsonValue::String("1970-01-02".into())),
            Ok(LeafOutcome::Index(IndexedValue::Date(86_400_000)))
        );
        let ip = FieldMapping::of(FieldType::Ip);
        assert!(outcome(&ip, JsonValue::String("1.2.3".into()))
            .unwrap_err()
            .contains("not an IP string literal"));
        let kw = FieldMapping::of(FieldType::Keyword)
            .with_param("ignore_above", json!(3))
            .with_param("null_value", json!("NULL"));
        assert_eq!(
            outcome(&kw, JsonValue::String("abcd".into())),
            Ok(LeafOutcome::Ignored)
        );
        assert_eq!(
            outcome(&kw, num("12")),
            Ok(LeafOutcome::Index(IndexedValue::Keyword("12".into())))
        );
        // null_value is longer than ignore_above here, so it is ignored too.
        assert_eq!(outcome(&kw, JsonValue::Null), Ok(LeafOutcome::Ignored));
    }
}
