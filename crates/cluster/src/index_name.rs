//! Index and alias name rules (`MetadataCreateIndexService.validateIndexOrAliasName` and
//! `validateIndexName`), with Elasticsearch's exact messages.
//!
//! Owns: static name checks. Must not look at the cluster state (existence checks belong to
//! `apply`).

use quarry_types::EsError;

/// Longest index name in UTF-8 bytes.
pub const MAX_INDEX_NAME_BYTES: usize = 255;

/// Characters that may not appear in an index or alias name, rendered in the order
/// Elasticsearch's message shows them.
pub const INVALID_FILENAME_CHARS_MESSAGE: &str = "[ , \", *, \\, <, |, ,, >, /, ?]";
const INVALID_FILENAME_CHARS: [char; 10] = ['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ','];

/// The checks shared by index and alias names; `Err(reason)` without the `Invalid index name`
/// prefix.
pub fn validate_index_or_alias_name(name: &str) -> Result<(), String> {
    if name.chars().any(|c| INVALID_FILENAME_CHARS.contains(&c)) {
        return Err(format!(
            "must not contain the following characters {INVALID_FILENAME_CHARS_MESSAGE}"
        ));
    }
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.contains('#') {
        return Err("must not contain '#'".into());
    }
    if name.contains(':') {
        return Err("must not contain ':'".into());
    }
    if name.starts_with(['_', '-', '+']) {
        return Err("must not start with '_', '-', or '+'".into());
    }
    let bytes = name.len();
    if bytes > MAX_INDEX_NAME_BYTES {
        return Err(format!(
            "index name is too long, ({bytes} > {MAX_INDEX_NAME_BYTES})"
        ));
    }
    if name == "." || name == ".." {
        return Err("must not be '.' or '..'".into());
    }
    Ok(())
}

/// Validates a new index name: `invalid_index_name_exception` on failure.
pub fn validate_index_name(name: &str) -> Result<(), EsError> {
    validate_index_or_alias_name(name)
        .map_err(|reason| EsError::invalid_index_name(name, &reason))?;
    if name.to_lowercase() != name {
        return Err(EsError::invalid_index_name(name, "must be lowercase"));
    }
    Ok(())
}

/// Validates an alias name (`AliasValidator.validateAliasStandalone`): the shared rules, as
/// `invalid_alias_name_exception`.
pub fn validate_alias_name(alias: &str) -> Result<(), EsError> {
    if alias.trim().is_empty() {
        return Err(EsError::illegal_argument("alias name is required"));
    }
    validate_index_or_alias_name(alias).map_err(|reason| {
        EsError::new(
            "invalid_alias_name_exception",
            400,
            format!("Invalid alias name [{alias}], {reason}"),
        )
        .with("index_uuid", "_na_")
        .with("index", alias.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(name: &str) -> String {
        validate_index_name(name).unwrap_err().reason
    }

    #[test]
    fn accepts_ordinary_names() {
        for ok in ["logs", "logs-2024.01.01", ".hidden", "a_b", "é"] {
            assert!(validate_index_name(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_with_elasticsearch_messages() {
        assert_eq!(
            reason("Logs"),
            "Invalid index name [Logs], must be lowercase"
        );
        assert_eq!(
            reason("a*b"),
            "Invalid index name [a*b], must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]"
        );
        assert_eq!(reason("a b"), reason("a b"));
        assert!(reason("a,b").contains("must not contain the following characters"));
        assert_eq!(
            reason("a#b"),
            "Invalid index name [a#b], must not contain '#'"
        );
        assert_eq!(
            reason("a:b"),
            "Invalid index name [a:b], must not contain ':'"
        );
        assert_eq!(
            reason("_x"),
            "Invalid index name [_x], must not start with '_', '-', or '+'"
        );
        assert_eq!(
            reason("-x"),
            "Invalid index name [-x], must not start with '_', '-', or '+'"
        );
        assert_eq!(
            reason("+x"),
            "Invalid index name [+x], must not start with '_', '-', or '+'"
        );
        assert_eq!(
            reason("."),
            "Invalid index name [.], must not be '.' or '..'"
        );
        assert_eq!(
            reason(".."),
            "Invalid index name [..], must not be '.' or '..'"
        );
        let long = "a".repeat(256);
        assert_eq!(
            reason(&long),
            format!("Invalid index name [{long}], index name is too long, (256 > 255)")
        );
        let e = validate_index_name("A").unwrap_err();
        assert_eq!(e.error_type, "invalid_index_name_exception");
        assert_eq!(e.status, 400);
    }

    #[test]
    fn alias_names_use_their_own_exception() {
        let e = validate_alias_name("a*").unwrap_err();
        assert_eq!(e.error_type, "invalid_alias_name_exception");
        assert!(validate_alias_name("Upper-Is-Fine").is_ok());
    }
}
