//! The readable companions Elasticsearch adds to index settings when a request asks for
//! `human=true`: `index.creation_date_string` (ISO-8601, UTC) beside `index.creation_date` and
//! `index.version.created_string` (`8.15.0`) beside `index.version.created`.
//!
//! Owns: rendering those two values. Must not change stored settings.

use quarry_types::Settings;

/// `settings` plus the human-readable creation date and created version, when present.
pub fn add_human_readable_settings(settings: &Settings) -> Settings {
    let mut out = settings.clone();
    if let Some(id) = settings
        .get_str("index.version.created")
        .and_then(|v| v.parse::<u64>().ok())
    {
        out.insert(
            "index.version.created_string".to_string(),
            serde_json::Value::String(release_version(id)),
        );
    }
    if let Some(ms) = settings
        .get_str("index.creation_date")
        .and_then(|v| v.parse::<i64>().ok())
    {
        out.insert(
            "index.creation_date_string".to_string(),
            serde_json::Value::String(java_instant_string(ms)),
        );
    }
    out
}

/// An Elasticsearch version id (`8150099`) as its release version (`8.15.0`).
pub fn release_version(id: u64) -> String {
    format!(
        "{}.{}.{}",
        id / 1_000_000,
        id / 10_000 % 100,
        id / 100 % 100
    )
}

/// Epoch millis as Java's `ZonedDateTime.toString()` in UTC prints them: seconds only when
/// not zero (or millis are not), millis only when not zero (`2024-01-31T12:00Z`,
/// `2024-01-31T12:00:05.120Z`).
pub fn java_instant_string(ms: i64) -> String {
    let iso = quarry_types::date::format_iso_millis(ms);
    // iso is `yyyy-MM-ddTHH:mm:ss.SSSZ`
    let (minutes, rest) = iso.split_at(16);
    let seconds = &rest[1..3];
    let millis = &rest[4..7];
    if millis != "000" {
        format!("{minutes}:{seconds}.{millis}Z")
    } else if seconds != "00" {
        format!("{minutes}:{seconds}Z")
    } else {
        format!("{minutes}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn adds_date_and_version_strings() {
        let s = Settings::from_json(
            &json!({"index.creation_date": "1706702405120", "index.version.created": "8150099"}),
        )
        .unwrap();
        let h = add_human_readable_settings(&s);
        assert_eq!(
            h.get_str("index.creation_date_string").as_deref(),
            Some("2024-01-31T12:00:05.120Z")
        );
        assert_eq!(
            h.get_str("index.version.created_string").as_deref(),
            Some("8.15.0")
        );
    }

    #[test]
    fn java_style_instant_drops_zero_fields() {
        assert_eq!(java_instant_string(1_706_702_400_000), "2024-01-31T12:00Z");
        assert_eq!(
            java_instant_string(1_706_702_405_000),
            "2024-01-31T12:00:05Z"
        );
    }
}
