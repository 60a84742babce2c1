//! Elasticsearch time values (`1s`, `500ms`, `2m`, `-1`) and byte sizes (`10mb`), parsed into
//! plain numbers. Pure functions.

use std::time::Duration;

/// Parses a time value. `-1` (or any negative) yields `None`, meaning "disabled".
pub fn parse_time_value(text: &str) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if t == "-1" || t.starts_with('-') {
        return Ok(None);
    }
    let units: [(&str, f64); 8] = [
        ("nanos", 1e-9),
        ("micros", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
        ("d", 86400.0),
        ("", f64::NAN),
    ];
    for (unit, factor) in units {
        if unit.is_empty() {
            break;
        }
        if let Some(num) = t.strip_suffix(unit) {
            // "ms" must not be read as "m" + "s": check the longer suffixes first (done by order).
            if unit == "s"
                && (num.ends_with('m') || num.ends_with("nano") || num.ends_with("micro"))
            {
                continue;
            }
            let n: f64 = num
                .trim()
                .parse()
                .map_err(|_| format!("failed to parse setting [{text}] as a time value"))?;
            return Ok(Some(Duration::from_secs_f64(n * factor)));
        }
    }
    if t == "0" {
        return Ok(Some(Duration::ZERO));
    }
    Err(format!(
        "failed to parse setting [{text}] with value [{text}] as a time value: unit is missing or unrecognized"
    ))
}

/// Parses a byte size (`100mb`, `1gb`, `512b`, or a bare number of bytes).
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let units: [(&str, u64); 6] = [
        ("pb", 1 << 50),
        ("tb", 1 << 40),
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("b", 1),
    ];
    for (unit, factor) in units {
        if let Some(num) = t.strip_suffix(unit) {
            let n: f64 = num
                .trim()
                .parse()
                .map_err(|_| format!("failed to parse [{text}] as a byte size value"))?;
            return Ok((n * factor as f64) as u64);
        }
    }
    t.parse::<u64>().map_err(|_| {
        format!("failed to parse [{text}] as a byte size value: unit is missing or unrecognized")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_values() {
        assert_eq!(
            parse_time_value("1s").unwrap(),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            parse_time_value("500ms").unwrap(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_time_value("2m").unwrap(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_time_value("-1").unwrap(), None);
        assert!(parse_time_value("abc").is_err());
        assert!(parse_time_value("10").is_err());
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("100mb").unwrap(), 100 << 20);
        assert_eq!(parse_byte_size("512").unwrap(), 512);
        assert!(parse_byte_size("x").is_err());
    }
}
