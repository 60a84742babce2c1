//! Value checks for the dynamic allocation settings, cluster and index level, with
//! Elasticsearch's messages: `PUT _cluster/settings` and `PUT {index}/_settings` refuse a value
//! the deciders could not read instead of silently ignoring it.
//!
//! Pure; owns only the checks. Must not store anything (the callers do).

use quarry_types::{EsError, Settings};
use serde_json::Value;

fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn one_of(value: &str, allowed: &[&str], label: &str) -> Result<(), EsError> {
    if allowed.contains(&value.to_ascii_lowercase().as_str()) {
        Ok(())
    } else {
        Err(EsError::illegal_argument(format!(
            "Illegal {label} value [{}]",
            value.to_ascii_uppercase()
        )))
    }
}

fn int_at_least(key: &str, value: &str, min: i64) -> Result<(), EsError> {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= min => Ok(()),
        Ok(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{value}] for setting [{key}] must be >= {min}"
        ))),
        Err(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{value}] for setting [{key}]"
        ))),
    }
}

fn float_at_least(key: &str, value: &str, min: f64) -> Result<(), EsError> {
    match value.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n >= min => Ok(()),
        Ok(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{value}] for setting [{key}] must be >= {min:?}"
        ))),
        Err(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{value}] for setting [{key}]"
        ))),
    }
}

fn boolean(key: &str, value: &str) -> Result<(), EsError> {
    match value {
        "true" | "false" => Ok(()),
        _ => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{value}] as only [true] or [false] are allowed. for setting [{key}]"
        ))),
    }
}

/// Checks one allocation-related key (cluster- or index-level); other keys pass.
pub fn check_allocation_setting(key: &str, value: &Value) -> Result<(), EsError> {
    let Some(v) = text(value) else {
        return Ok(()); // null resets
    };
    match key {
        "cluster.routing.allocation.enable" | "index.routing.allocation.enable" => one_of(
            &v,
            &["all", "primaries", "new_primaries", "none"],
            "allocation.enable",
        ),
        "cluster.routing.rebalance.enable" | "index.routing.rebalance.enable" => one_of(
            &v,
            &["all", "primaries", "replicas", "none"],
            "rebalance.enable",
        ),
        "cluster.routing.allocation.allow_rebalance" => {
            let allowed = ["always", "indices_primaries_active", "indices_all_active"];
            if allowed.contains(&v.to_ascii_lowercase().as_str()) {
                Ok(())
            } else {
                Err(EsError::illegal_argument(format!(
                    "Illegal value for [cluster.routing.allocation.allow_rebalance]: [{v}]"
                )))
            }
        }
        "cluster.routing.allocation.cluster_concurrent_rebalance"
        | "cluster.routing.allocation.total_shards_per_node"
        | "index.routing.allocation.total_shards_per_node" => int_at_least(key, &v, -1),
        "cluster.routing.allocation.node_concurrent_recoveries"
        | "cluster.routing.allocation.node_concurrent_incoming_recoveries"
        | "cluster.routing.allocation.node_concurrent_outgoing_recoveries"
        | "cluster.routing.allocation.node_initial_primaries_recoveries" => {
            int_at_least(key, &v, 0)
        }
        "cluster.routing.allocation.balance.shard"
        | "cluster.routing.allocation.balance.index"
        | "cluster.routing.allocation.balance.threshold" => float_at_least(key, &v, 0.0),
        "cluster.routing.allocation.same_shard.host" => boolean(key, &v),
        _ => Ok(()),
    }
}

/// Checks every allocation key of `settings`.
pub fn check_allocation_settings(settings: &Settings) -> Result<(), EsError> {
    for (key, value) in &settings.0 {
        check_allocation_setting(key, value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enumerations_and_numbers_are_checked() {
        let ok = [
            ("cluster.routing.allocation.enable", json!("primaries")),
            ("index.routing.allocation.enable", json!("new_primaries")),
            ("cluster.routing.rebalance.enable", json!("replicas")),
            (
                "cluster.routing.allocation.allow_rebalance",
                json!("always"),
            ),
            (
                "cluster.routing.allocation.cluster_concurrent_rebalance",
                json!(-1),
            ),
            ("cluster.routing.allocation.balance.threshold", json!("1.5")),
            ("cluster.routing.allocation.same_shard.host", json!(true)),
            ("cluster.routing.allocation.enable", Value::Null),
        ];
        for (k, v) in ok {
            assert!(check_allocation_setting(k, &v).is_ok(), "{k}={v}");
        }
        let e = check_allocation_setting("cluster.routing.allocation.enable", &json!("sometimes"))
            .unwrap_err();
        assert_eq!(e.reason, "Illegal allocation.enable value [SOMETIMES]");
        let e = check_allocation_setting(
            "cluster.routing.allocation.node_concurrent_recoveries",
            &json!("-3"),
        )
        .unwrap_err();
        assert!(e.reason.contains("must be >= 0"), "{}", e.reason);
        assert!(check_allocation_setting(
            "cluster.routing.allocation.allow_rebalance",
            &json!("never")
        )
        .is_err());
        assert!(check_allocation_setting(
            "index.routing.allocation.total_shards_per_node",
            &json!("x")
        )
        .is_err());
    }
}
