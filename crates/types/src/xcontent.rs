//! Names Elasticsearch's XContent parser gives JSON tokens, for parse error messages
//! (`Expected START_OBJECT but found [VALUE_STRING]`). Pure.

use serde_json::Value;

/// The XContent token name of a JSON value.
pub fn token_name(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_xcontent() {
        assert_eq!(token_name(&json!({})), "START_OBJECT");
        assert_eq!(token_name(&json!([1])), "START_ARRAY");
        assert_eq!(token_name(&json!(1.5)), "VALUE_NUMBER");
        assert_eq!(token_name(&json!(null)), "VALUE_NULL");
    }
}
