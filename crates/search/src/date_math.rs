//! Elasticsearch date math for query values: `now`, `now-1d/d`, `2024-01-01||+1M/M`, with the
//! rounding direction Elasticsearch uses for each range bound.
//!
//! Owns: the arithmetic in UTC (no time-zone database). Must not depend on tantivy or mappings.

use quarry_types::date::{civil_from_days, days_from_civil, parse_date};
use quarry_types::EsError;

const DAY: i64 = 86_400_000;

/// Parses a date query value into epoch millis. `round_up` selects the last millisecond of a
/// rounded unit (`gt`/`lte`) instead of the first (`gte`/`lt`), as Elasticsearch does.
pub fn parse_date_math(
    text: &str,
    format: Option<&str>,
    now_ms: i64,
    round_up: bool,
) -> Result<i64, EsError> {
    let (mut ms, math) = if let Some(rest) = text.strip_prefix("now") {
        (now_ms, rest)
    } else if let Some((base, math)) = text.split_once("||") {
        (parse_base(base, format, text)?, math)
    } else {
        return parse_base(text, format, text);
    };
    let b = math.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let op = b[i];
        i += 1;
        match op {
            b'/' => {
                let unit = *b.get(i).ok_or_else(|| bad_math(text))?;
                i += 1;
                ms = round(ms, unit, round_up).ok_or_else(|| bad_math(text))?;
            }
            b'+' | b'-' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let n: i64 = if start == i {
                    1
                } else {
                    math[start..i].parse().map_err(|_| bad_math(text))?
                };
                let n = if op == b'-' { -n } else { n };
                let unit = *b.get(i).ok_or_else(|| bad_math(text))?;
                i += 1;
                ms = add(ms, n, unit).ok_or_else(|| bad_math(text))?;
            }
            _ => return Err(bad_math(text)),
        }
    }
    Ok(ms)
}

fn parse_base(base: &str, format: Option<&str>, full: &str) -> Result<i64, EsError> {
    parse_date(base, format).map_err(|reason| {
        let fmt = format.unwrap_or(quarry_types::date::DEFAULT_DATE_FORMAT);
        EsError::new(
            "parse_exception",
            400,
            format!("failed to parse date field [{full}] with format [{fmt}]: [{reason}]"),
        )
    })
}

fn bad_math(text: &str) -> EsError {
    EsError::new(
        "parse_exception",
        400,
        format!("operator not supported for date math [{text}]"),
    )
}

fn add(ms: i64, n: i64, unit: u8) -> Option<i64> {
    Some(match unit {
        b'y' => add_months(ms, n.checked_mul(12)?),
        b'M' => add_months(ms, n),
        b'w' => ms + n * 7 * DAY,
        b'd' => ms + n * DAY,
        b'h' | b'H' => ms + n * 3_600_000,
        b'm' => ms + n * 60_000,
        b's' => ms + n * 1000,
        _ => return None,
    })
}

fn add_months(ms: i64, n: i64) -> i64 {
    let days = ms.div_euclid(DAY);
    let time = ms.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (m - 1) + n;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let max_day = days_in_month(ny, nm);
    days_from_civil(ny, nm, d.min(max_day)) * DAY + time
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    next - days_from_civil(y, m, 1)
}

fn round(ms: i64, unit: u8, up: bool) -> Option<i64> {
    let days = ms.div_euclid(DAY);
    let (y, m, _) = civil_from_days(days);
    let (start, next) = match unit {
        b'y' => (
            days_from_civil(y, 1, 1) * DAY,
            days_from_civil(y + 1, 1, 1) * DAY,
        ),
        b'M' => {
            let s = days_from_civil(y, m, 1) * DAY;
            (s, add_months(s, 1))
        }
        b'w' => {
            // Weeks start on Monday; 1970-01-01 was a Thursday.
            let monday = days - (days + 3).rem_euclid(7);
            (monday * DAY, (monday + 7) * DAY)
        }
        b'd' => (days * DAY, (days + 1) * DAY),
        b'h' | b'H' => (
            ms.div_euclid(3_600_000) * 3_600_000,
            (ms.div_euclid(3_600_000) + 1) * 3_600_000,
        ),
        b'm' => (
            ms.div_euclid(60_000) * 60_000,
            (ms.div_euclid(60_000) + 1) * 60_000,
        ),
        b's' => (ms.div_euclid(1000) * 1000, (ms.div_euclid(1000) + 1) * 1000),
        _ => return None,
    };
    Some(if up { next - 1 } else { start })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_420_114_230_123; // 2015-01-01T12:10:30.123Z

    #[test]
    fn now_arithmetic_and_rounding() {
        assert_eq!(parse_date_math("now", None, NOW, false), Ok(NOW));
        assert_eq!(parse_date_math("now-1d", None, NOW, false), Ok(NOW - DAY));
        assert_eq!(
            parse_date_math("now/d", None, NOW, false),
            Ok(1_420_070_400_000)
        );
        assert_eq!(
            parse_date_math("now/d", None, NOW, true),
            Ok(1_420_070_400_000 + DAY - 1)
        );
        assert_eq!(
            parse_date_math("now-1d/d", None, NOW, false),
            Ok(1_420_070_400_000 - DAY)
        );
    }

    #[test]
    fn anchored_math_and_months() {
        assert_eq!(
            parse_date_math("2015-01-31||+1M", None, 0, false),
            parse_date_math("2015-02-28", None, 0, false)
        );
        assert_eq!(
            parse_date_math("2015-03-15||/M", None, 0, false),
            parse_date_math("2015-03-01", None, 0, false)
        );
        assert_eq!(
            parse_date_math("2015-03-15||/y", None, 0, false),
            parse_date_math("2015-01-01", None, 0, false)
        );
        assert!(parse_date_math("now+1x", None, 0, false).is_err());
        assert_eq!(
            parse_date_math("bad", None, 0, false)
                .unwrap_err()
                .error_type,
            "parse_exception"
        );
    }
}
