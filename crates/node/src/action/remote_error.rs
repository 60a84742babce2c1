//! Elasticsearch errors across the transport: a handler's [`EsError`] travels back as the
//! message of [`TransportError::Remote`] and is rebuilt on the sending node with its type,
//! reason, status, metadata (`index`, `shard`, `index_uuid`...) and `caused_by` chain, so a
//! request served by another node fails with the same error envelope as a local one. Transport
//! failures without a remote error map to Elasticsearch's transport exceptions.
//!
//! Owns the error wire format only; must not depend on actions or the cluster state.

use crate::transport::TransportError;
use quarry_types::EsError;
use serde_json::{Map, Value};

/// The wire form of `e`: its JSON object (`type`, `reason`, metadata, `caused_by`) plus `status`.
pub fn encode_error(e: &EsError) -> String {
    let mut v = e.to_json();
    v["status"] = serde_json::json!(e.status);
    v.to_string()
}

/// Rebuilds the error [`encode_error`] produced; any other message becomes an internal error.
pub fn decode_error(message: &str) -> EsError {
    match serde_json::from_str::<Value>(message) {
        Ok(Value::Object(obj)) if obj.get("type").and_then(Value::as_str).is_some() => {
            error_from_object(obj, 500)
        }
        _ => EsError::internal(message.to_string()),
    }
}

fn error_from_object(obj: Map<String, Value>, default_status: u16) -> EsError {
    let mut e = EsError::new("exception", default_status, "");
    for (key, value) in obj {
        match key.as_str() {
            "type" => e.error_type = value.as_str().unwrap_or("exception").to_string(),
            "reason" => e.reason = value.as_str().unwrap_or_default().to_string(),
            "status" => {
                e.status = value
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(default_status)
            }
            "caused_by" => {
                if let Value::Object(cause) = value {
                    e.caused_by = Some(Box::new(error_from_object(cause, 500)));
                }
            }
            _ => {
                e.metadata.insert(key, value);
            }
        }
    }
    e
}

/// The error a request fails with when the transport could not deliver it or its response.
pub fn error_from_transport(e: TransportError) -> EsError {
    match e {
        TransportError::Remote { message, .. } => decode_error(&message),
        TransportError::ConnectFailed { .. } | TransportError::HandshakeRefused { .. } => {
            EsError::new("connect_transport_exception", 500, e.to_string())
        }
        TransportError::Disconnected { .. } => {
            EsError::new("node_disconnected_exception", 500, e.to_string())
        }
        TransportError::Timeout { .. } => {
            EsError::new("receive_timeout_transport_exception", 500, e.to_string())
        }
        TransportError::ActionNotFound { .. } => {
            EsError::new("action_not_found_transport_exception", 500, e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_with_metadata_and_causes() {
        let e = EsError::version_conflict("idx", "1", "version conflict, document already exists")
            .caused_by(EsError::illegal_argument("inner"));
        let back = decode_error(&encode_error(&e));
        assert_eq!(back, e.clone().with_status_of_cause_reset());
        assert_eq!(back.to_envelope(), e.to_envelope());
        assert_eq!(back.stack_trace(), e.stack_trace());
    }

    #[test]
    fn plain_messages_become_internal_errors() {
        let e = decode_error("boom");
        assert_eq!((e.error_type.as_str(), e.status), ("exception", 500));
        assert_eq!(e.reason, "boom");
    }

    #[test]
    fn transport_failures_map_to_transport_exceptions() {
        let e = error_from_transport(TransportError::Disconnected {
            address: "a:1".into(),
        });
        assert_eq!(e.error_type, "node_disconnected_exception");
        let remote = error_from_transport(TransportError::Remote {
            address: "a:1".into(),
            action: "x".into(),
            message: encode_error(&EsError::index_not_found("i")),
        });
        assert_eq!(remote, EsError::index_not_found("i"));
    }

    trait ResetCause {
        fn with_status_of_cause_reset(self) -> Self;
    }

    impl ResetCause for EsError {
        /// A nested cause carries no status on the wire (it is not rendered); it comes back 500.
        fn with_status_of_cause_reset(mut self) -> Self {
            if let Some(cause) = self.caused_by.as_mut() {
                cause.status = 500;
            }
            self
        }
    }
}
