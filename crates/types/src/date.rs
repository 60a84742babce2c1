//! Elasticsearch date formats: parsing date values into epoch milliseconds and printing them back.
//!
//! Supports `strict_date_optional_time`/`date_optional_time` (ISO 8601 with optional time, fraction
//! and zone), `epoch_millis`, `epoch_second`, `date`/`strict_date`, `basic_date`, and Java-style
//! patterns built from `yyyy MM dd HH mm ss SSS` and quoted literals, combined with `||`.
//! Pure functions, no time-zone database (offsets only).

/// The default format of a `date` field.
pub const DEFAULT_DATE_FORMAT: &str = "strict_date_optional_time||epoch_millis";

/// Parses `text` with the `||`-separated `format` (default [`DEFAULT_DATE_FORMAT`]) into epoch
/// milliseconds. The error text names the value and the format, as Elasticsearch does.
pub fn parse_date(text: &str, format: Option<&str>) -> Result<i64, String> {
    let format = format.unwrap_or(DEFAULT_DATE_FORMAT);
    for f in format.split("||") {
        if let Some(ms) = parse_with(text.trim(), f.trim()) {
            return Ok(ms);
        }
    }
    Err(format!(
        "failed to parse date field [{text}] with format [{format}]"
    ))
}

/// A JSON number given to a date field: epoch millis (or seconds with an `epoch_second` format).
pub fn date_from_number(n: f64, format: Option<&str>) -> i64 {
    let f = format.unwrap_or(DEFAULT_DATE_FORMAT);
    if !f.contains("epoch_millis") && f.contains("epoch_second") {
        (n * 1000.0) as i64
    } else {
        n as i64
    }
}

fn parse_with(text: &str, format: &str) -> Option<i64> {
    match format {
        "strict_date_optional_time"
        | "date_optional_time"
        | "strict_date_optional_time_nanos"
        | "iso8601"
        | "strict_date_time"
        | "date_time"
        | "strict_date_time_no_millis"
        | "date_time_no_millis"
        | "strict_date_hour_minute_second"
        | "date_hour_minute_second" => parse_iso(text),
        "epoch_millis" => parse_epoch(text, 1),
        "epoch_second" => parse_epoch(text, 1000),
        "date" | "strict_date" | "yyyy-MM-dd" => parse_pattern(text, "yyyy-MM-dd"),
        "basic_date" | "strict_basic_date" => parse_pattern(text, "yyyyMMdd"),
        "year" | "strict_year" => parse_pattern(text, "yyyy"),
        "year_month" | "strict_year_month" => parse_pattern(text, "yyyy-MM"),
        other => parse_pattern(text, other),
    }
}

fn parse_epoch(text: &str, factor: i64) -> Option<i64> {
    if text.is_empty()
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    Some((v * factor as f64) as i64)
}

/// ISO 8601: `yyyy[-MM[-dd]][(T| )HH[:mm[:ss[.fff]]]][Z|(+|-)HH[:]mm]`.
fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let mut i = 0;
    let year = read_num(b, &mut i, 4, 4)?;
    let (mut month, mut day) = (1, 1);
    if i < b.len() && b[i] == b'-' {
        i += 1;
        month = read_num(b, &mut i, 2, 2)?;
        if i < b.len() && b[i] == b'-' {
            i += 1;
            day = read_num(b, &mut i, 2, 2)?;
        }
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    if i < b.len() && (b[i] == b'T' || b[i] == b't') {
        i += 1;
        hour = read_num(b, &mut i, 2, 2)?;
        if i < b.len() && b[i] == b':' {
            i += 1;
            minute = read_num(b, &mut i, 2, 2)?;
            if i < b.len() && b[i] == b':' {
                i += 1;
                second = read_num(b, &mut i, 2, 2)?;
                if i < b.len() && (b[i] == b'.' || b[i] == b',') {
                    i += 1;
                    let start = i;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                    let frac = &text[start..i];
                    if frac.is_empty() || frac.len() > 9 {
                        return None;
                    }
                    let padded = format!("{frac:0<3}");
                    millis = padded[..3].parse().ok()?;
                }
            }
        }
    }
    let mut offset_minutes = 0i64;
    if i < b.len() {
        match b[i] {
            b'Z' | b'z' => i += 1,
            b'+' | b'-' => {
                let sign = if b[i] == b'-' { -1 } else { 1 };
                i += 1;
                let oh = read_num(b, &mut i, 2, 2)?;
                if i < b.len() && b[i] == b':' {
                    i += 1;
                }
                let om = if i < b.len() {
                    read_num(b, &mut i, 2, 2)?
                } else {
                    0
                };
                offset_minutes = sign * (oh * 60 + om);
            }
            _ => return None,
        }
    }
    if i != b.len() {
        return None;
    }
    to_millis(year, month, day, hour, minute, second, millis).map(|ms| ms - offset_minutes * 60_000)
}

fn read_num(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<i64> {
    let start = *i;
    while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i - start < min {
        return None;
    }
    std::str::from_utf8(&b[start..*i]).ok()?.parse().ok()
}

/// Java-style pattern: `yyyy`, `MM`, `dd`, `HH`, `mm`, `ss`, `SSS`, `'literal'`, other chars literal.
fn parse_pattern(text: &str, pattern: &str) -> Option<i64> {
    let t = text.as_bytes();
    let p: Vec<char> = pattern.chars().collect();
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut millis) =
        (1970, 1, 1, 0, 0, 0, 0);
    let mut ti = 0;
    let mut pi = 0;
    while pi < p.len() {
        let c = p[pi];
        if c == '\'' {
            pi += 1;
            while pi < p.len() && p[pi] != '\'' {
                if ti >= t.len() || t[ti] as char != p[pi] {
                    return None;
                }
                ti += 1;
                pi += 1;
            }
            pi += 1;
            continue;
        }
        let mut run = 1;
        while pi + run < p.len() && p[pi + run] == c {
            run += 1;
        }
        match c {
            'y' | 'u' => year = read_num(t, &mut ti, run.min(4), run.max(4))?,
            'M' => month = read_num(t, &mut ti, 1, 2.max(run))?,
            'd' => day = read_num(t, &mut ti, 1, 2.max(run))?,
            'H' => hour = read_num(t, &mut ti, 1, 2.max(run))?,
            'm' => minute = read_num(t, &mut ti, 1, 2.max(run))?,
            's' => second = read_num(t, &mut ti, 1, 2.max(run))?,
            'S' => {
                let start = ti;
                let v = read_num(t, &mut ti, 1, run)?;
                let digits = (ti - start) as u32;
                millis = if digits >= 3 {
                    v / 10i64.pow(digits - 3)
                } else {
                    v * 10i64.pow(3 - digits)
                };
            }
            _ => {
                for _ in 0..run {
                    if ti >= t.len() || t[ti] as char != c {
                        return None;
                    }
                    ti += 1;
                }
            }
        }
        pi += run;
    }
    if ti != t.len() {
        return None;
    }
    to_millis(year, month, day, hour, minute, second, millis)
}

fn to_millis(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Prints epoch millis as `strict_date_optional_time` in UTC: `2024-01-31T12:00:00.000Z`.
pub fn format_iso_millis(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Prints epoch millis with the first format of a `||` list (used for `key_as_string`, sort values).
pub fn format_date(ms: i64, format: Option<&str>) -> String {
    let first = format
        .unwrap_or(DEFAULT_DATE_FORMAT)
        .split("||")
        .next()
        .unwrap_or("");
    match first {
        "epoch_millis" => ms.to_string(),
        "epoch_second" => (ms / 1000).to_string(),
        "date" | "strict_date" | "yyyy-MM-dd" => format_iso_millis(ms)[..10].to_string(),
        _ => format_iso_millis(ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms() {
        assert_eq!(parse_date("1970-01-01", None), Ok(0));
        assert_eq!(parse_date("1970-01-02T00:00:00Z", None), Ok(86_400_000));
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00", None), Ok(0));
        assert_eq!(
            parse_date("2015-01-01T12:10:30.123Z", None),
            Ok(1_420_114_230_123)
        );
        assert_eq!(parse_date("1420114230123", None), Ok(1_420_114_230_123));
        assert!(parse_date("2015-13-01", None).is_err());
        assert!(parse_date("hello", None).is_err());
    }

    #[test]
    fn patterns_and_epoch_seconds() {
        assert_eq!(
            parse_date("2015/01/01 12:10:30", Some("yyyy/MM/dd HH:mm:ss")),
            Ok(1_420_114_230_000)
        );
        assert_eq!(
            parse_date("1420114230", Some("epoch_second")),
            Ok(1_420_114_230_000)
        );
        assert_eq!(
            parse_date("2015-01-01", Some("yyyy-MM-dd")),
            Ok(1_420_070_400_000)
        );
    }

    #[test]
    fn format_round_trips() {
        for ms in [0i64, 1_420_114_230_123, -86_400_001, 951_782_400_000] {
            assert_eq!(parse_date(&format_iso_millis(ms), None), Ok(ms));
        }
        assert_eq!(format_iso_millis(0), "1970-01-01T00:00:00.000Z");
    }
}
