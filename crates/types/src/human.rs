//! Human-readable sizes and durations exactly as Elasticsearch prints them (`ByteSizeValue` and
//! `TimeValue` `toString()`): the largest unit the value reaches, one decimal *truncated* (not
//! rounded), and a `.0` dropped: `1.2kb`, `10mb`, `512b`, `1.5s`, `10ms`, `2m`.

/// `1234` -> `"1.2kb"`, `10485760` -> `"10mb"`, `512` -> `"512b"`.
pub fn bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 50, "pb"),
        (1 << 40, "tb"),
        (1 << 30, "gb"),
        (1 << 20, "mb"),
        (1 << 10, "kb"),
    ];
    for (size, suffix) in UNITS {
        if n >= size {
            return format_one_decimal(n as f64 / size as f64) + suffix;
        }
    }
    format!("{n}b")
}

/// A signed byte count: negative values (Elasticsearch's "unknown", `-1`) print as `-1b`.
pub fn bytes_signed(n: i64) -> String {
    if n < 0 {
        format!("{n}b")
    } else {
        bytes(n as u64)
    }
}

/// A duration in milliseconds: `1500` -> `"1.5s"`, `10` -> `"10ms"`, `120000` -> `"2m"`,
/// `0` -> `"0s"`; negative values print as the bare number (`-1`).
pub fn millis(ms: i64) -> String {
    if ms < 0 {
        return ms.to_string();
    }
    nanos((ms as u64).saturating_mul(1_000_000))
}

/// A duration in nanoseconds, with the units down to `nanos` and `micros`.
pub fn nanos(ns: u64) -> String {
    if ns == 0 {
        return "0s".to_string();
    }
    const UNITS: [(u64, &str); 6] = [
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "micros"),
    ];
    for (size, suffix) in UNITS {
        if ns >= size {
            return format_one_decimal(ns as f64 / size as f64) + suffix;
        }
    }
    format!("{ns}nanos")
}

/// Elasticsearch's `format1Decimals`: the shortest decimal form of `value`, cut (not rounded)
/// after one fractional digit, with a zero fraction removed.
fn format_one_decimal(value: f64) -> String {
    let text = format!("{value}");
    match text.split_once('.') {
        None => text,
        Some((int, frac)) => match frac.chars().next() {
            Some(d) if d != '0' => format!("{int}.{d}"),
            _ => int.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_like_byte_size_value() {
        assert_eq!(bytes(0), "0b");
        assert_eq!(bytes(512), "512b");
        assert_eq!(bytes(1023), "1023b");
        assert_eq!(bytes(1024), "1kb");
        assert_eq!(bytes(1234), "1.2kb");
        assert_eq!(bytes(2047), "1.9kb"); // truncated, not rounded
        assert_eq!(bytes(10 * 1024 * 1024), "10mb");
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5gb");
        assert_eq!(bytes(3 << 40), "3tb");
        assert_eq!(bytes(5 << 50), "5pb");
        assert_eq!(bytes_signed(-1), "-1b");
        assert_eq!(bytes(225), "225b");
        assert_eq!(bytes(6_234), "6kb");
    }

    #[test]
    fn durations_like_time_value() {
        assert_eq!(millis(0), "0s");
        assert_eq!(millis(10), "10ms");
        assert_eq!(millis(999), "999ms");
        assert_eq!(millis(1000), "1s");
        assert_eq!(millis(60_000), "1m");
        assert_eq!(millis(59_950), "59.9s");
        assert_eq!(millis(500), "500ms");
        assert_eq!(millis(1500), "1.5s");
        assert_eq!(millis(1999), "1.9s");
        assert_eq!(millis(120_000), "2m");
        assert_eq!(millis(90 * 60_000), "1.5h");
        assert_eq!(millis(3 * 86_400_000), "3d");
        assert_eq!(millis(-1), "-1");
        assert_eq!(nanos(1500), "1.5micros");
        assert_eq!(nanos(15), "15nanos");
    }
}
