//! Names and conventions shared by both transports: the handshake's action name, and the one
//! handler failure the transports recognise, "no handler for this action". A
//! [`super::RequestHandler`] that does not know an action returns
//! `Err(action_not_found_message(action))`; both transports turn it into
//! [`super::TransportError::ActionNotFound`] on the sending side, as Elasticsearch answers an
//! unknown action with `ActionNotFoundTransportException`.
//!
//! Owns these conventions only; depends on nothing but the transport error type.

use super::TransportError;

/// Action name of the connection handshake (used in errors and logs; Elasticsearch's own name).
pub const HANDSHAKE_ACTION: &str = "internal:transport/handshake";

/// Elasticsearch's error type for an unknown action, used as the message prefix.
pub const ACTION_NOT_FOUND_TYPE: &str = "action_not_found_transport_exception";

/// The error a [`super::RequestHandler`] returns for an action it has no handler for.
pub fn action_not_found_message(action: &str) -> String {
    format!("{ACTION_NOT_FOUND_TYPE}: No handler for action [{action}]")
}

/// Whether a handler error message says the action is unknown.
pub fn is_action_not_found(message: &str) -> bool {
    message.starts_with(ACTION_NOT_FOUND_TYPE)
}

/// The sending side's error for a handler failure `message` of `action` at `address`.
pub fn remote_handler_error(address: &str, action: &str, message: String) -> TransportError {
    if is_action_not_found(&message) {
        TransportError::ActionNotFound {
            address: address.to_string(),
            action: action.to_string(),
        }
    } else {
        TransportError::Remote {
            address: address.to_string(),
            action: action.to_string(),
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_round_trips() {
        let message = action_not_found_message("internal:x");
        assert!(message.contains("[internal:x]"));
        assert!(is_action_not_found(&message));
        assert!(!is_action_not_found("illegal_argument_exception: bad"));
        assert!(matches!(
            remote_handler_error("a", "internal:x", message),
            TransportError::ActionNotFound { .. }
        ));
        assert!(matches!(
            remote_handler_error("a", "internal:x", "boom".into()),
            TransportError::Remote { message, .. } if message == "boom"
        ));
    }
}
