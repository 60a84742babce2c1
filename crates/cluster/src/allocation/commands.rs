//! `POST _cluster/reroute` allocation commands as data (Elasticsearch's `AllocationCommand`s:
//! `move`, `cancel`, `allocate_replica`, `allocate_stale_primary`, `allocate_empty_primary`),
//! their parser with Elasticsearch's errors, node resolution (id, name, address, `_master`,
//! wildcards) and the `explanations` entries `?explain=true` returns. Executing them is
//! `command_execution`.
//!
//! Owns: the command vocabulary and request-body parsing. Must not change any state.

use super::Decision;
use crate::cluster_state::{ClusterState, DiscoveryNode};
use quarry_types::xcontent::token_name;
use quarry_types::EsError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// One reroute command. Node fields hold what the user wrote until the node layer resolves
/// them to ids (`resolve_nodes`); execution resolves again, so either works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationCommand {
    Move {
        index: String,
        shard: u32,
        from_node: String,
        to_node: String,
    },
    Cancel {
        index: String,
        shard: u32,
        node: String,
        allow_primary: bool,
    },
    AllocateReplica {
        index: String,
        shard: u32,
        node: String,
    },
    AllocateStalePrimary {
        index: String,
        shard: u32,
        node: String,
        accept_data_loss: bool,
    },
    AllocateEmptyPrimary {
        index: String,
        shard: u32,
        node: String,
        accept_data_loss: bool,
    },
}

impl AllocationCommand {
    /// The command's name in request bodies and explanations.
    pub fn name(&self) -> &'static str {
        match self {
            AllocationCommand::Move { .. } => "move",
            AllocationCommand::Cancel { .. } => "cancel",
            AllocationCommand::AllocateReplica { .. } => "allocate_replica",
            AllocationCommand::AllocateStalePrimary { .. } => "allocate_stale_primary",
            AllocationCommand::AllocateEmptyPrimary { .. } => "allocate_empty_primary",
        }
    }

    /// The command's parameters as Elasticsearch prints them in `explanations[].parameters`.
    pub fn parameters(&self) -> Value {
        match self {
            AllocationCommand::Move {
                index,
                shard,
                from_node,
                to_node,
            } => {
                json!({"index": index, "shard": shard, "from_node": from_node, "to_node": to_node})
            }
            AllocationCommand::Cancel {
                index,
                shard,
                node,
                allow_primary,
            } => {
                json!({"index": index, "shard": shard, "node": node, "allow_primary": allow_primary})
            }
            AllocationCommand::AllocateReplica { index, shard, node } => {
                json!({"index": index, "shard": shard, "node": node})
            }
            AllocationCommand::AllocateStalePrimary {
                index,
                shard,
                node,
                accept_data_loss,
            }
            | AllocationCommand::AllocateEmptyPrimary {
                index,
                shard,
                node,
                accept_data_loss,
            } => {
                json!({"index": index, "shard": shard, "node": node, "accept_data_loss": accept_data_loss})
            }
        }
    }

    /// Replaces every node field that `resolve` maps (names to ids); fields it cannot resolve
    /// are kept, so execution reports them the way Elasticsearch does.
    pub fn resolve_nodes(&mut self, resolve: impl Fn(&str) -> Option<String>) {
        let fields: Vec<&mut String> = match self {
            AllocationCommand::Move {
                from_node, to_node, ..
            } => vec![from_node, to_node],
            AllocationCommand::Cancel { node, .. }
            | AllocationCommand::AllocateReplica { node, .. }
            | AllocationCommand::AllocateStalePrimary { node, .. }
            | AllocationCommand::AllocateEmptyPrimary { node, .. } => vec![node],
        };
        for field in fields {
            if let Some(id) = resolve(field) {
                *field = id;
            }
        }
    }
}

/// The `explanations` entry of one command (Elasticsearch's `RerouteExplanation`).
#[derive(Debug, Clone, PartialEq)]
pub struct RerouteExplanation {
    pub command: AllocationCommand,
    pub decisions: Vec<Decision>,
    /// Whether the command changed (or would change) the routing; false when it was rejected.
    pub applied: bool,
}

impl RerouteExplanation {
    pub fn to_json(&self) -> Value {
        json!({
            "command": self.command.name(),
            "parameters": self.command.parameters(),
            "decisions": self.decisions.iter().map(|d| json!({
                "decider": d.decider, "decision": d.decision, "explanation": d.explanation,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Elasticsearch's `ElasticsearchParseException`.
fn parse_exception(reason: impl Into<String>) -> EsError {
    EsError::new("parse_exception", 400, reason)
}

/// Parses a `POST _cluster/reroute` body: `{"commands": [...], "dry_run": bool}`. Returns the
/// commands and the body's `dry_run` (which overrides the query parameter, as in
/// Elasticsearch).
pub fn parse_reroute_body(body: &Value) -> Result<(Vec<AllocationCommand>, Option<bool>), EsError> {
    let obj = body
        .as_object()
        .ok_or_else(|| EsError::x_content_parse("[cluster_reroute] Expected START_OBJECT"))?;
    let mut commands = Vec::new();
    let mut dry_run = None;
    for (key, value) in obj {
        match key.as_str() {
            "commands" => {
                commands = parse_commands(value).map_err(|e| {
                    EsError::x_content_parse("[cluster_reroute] failed to parse field [commands]")
                        .caused_by(e)
                })?
            }
            "dry_run" => dry_run = Some(bool_value("cluster_reroute", key, value)?),
            other => {
                return Err(EsError::x_content_parse(format!(
                    "[cluster_reroute] unknown field [{other}]"
                )))
            }
        }
    }
    Ok((commands, dry_run))
}

/// Parses the `commands` array: each entry is `{"<command name>": {fields}}`.
pub fn parse_commands(value: &Value) -> Result<Vec<AllocationCommand>, EsError> {
    let items = value
        .as_array()
        .ok_or_else(|| parse_exception("commands should follow with an array element"))?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let obj = item.as_object().ok_or_else(|| {
            parse_exception(format!(
                "allocation command is malformed, got [{}] instead",
                token_name(item)
            ))
        })?;
        let mut entries = obj.iter();
        let Some((name, def)) = entries.next() else {
            return Err(parse_exception(
                "allocation command is malformed, got [END_OBJECT] instead",
            ));
        };
        if entries.next().is_some() {
            return Err(parse_exception("allocation command is malformed, done parsing a command, but didn't get END_OBJECT, got [FIELD_NAME] instead"));
        }
        let fields = def.as_object().ok_or_else(|| {
            parse_exception(format!(
                "[{name}] command does not support complex json tokens [{}]",
                token_name(def)
            ))
        })?;
        out.push(match name.as_str() {
            "move" | "cancel" => parse_move_or_cancel(name, fields)?,
            "allocate_replica" | "allocate_stale_primary" | "allocate_empty_primary" => {
                parse_allocate(name, fields)?
            }
            other => {
                return Err(EsError::new(
                    "named_object_not_found_exception",
                    400,
                    format!("unknown field [{other}]"),
                ))
            }
        });
    }
    Ok(out)
}

fn text_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn int_value(parser: &str, key: &str, v: &Value) -> Result<i64, EsError> {
    let bad = || {
        EsError::x_content_parse(format!("[{parser}] failed to parse field [{key}]")).caused_by(
            EsError::illegal_argument(format!(
                "For input string: \"{}\"",
                text_value(v).unwrap_or_default()
            )),
        )
    };
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => s.trim().parse().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn bool_value(parser: &str, key: &str, v: &Value) -> Result<bool, EsError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => Err(
            EsError::x_content_parse(format!("[{parser}] failed to parse field [{key}]"))
                .caused_by(EsError::illegal_argument(format!(
                    "Failed to parse value [{}] as only [true] or [false] are allowed.",
                    text_value(other).unwrap_or_default()
                ))),
        ),
    }
}

/// `move` and `cancel` (hand-written parsers in Elasticsearch, with `parse_exception`s).
fn parse_move_or_cancel(
    name: &str,
    fields: &Map<String, Value>,
) -> Result<AllocationCommand, EsError> {
    let mut index = None;
    let mut shard: i64 = -1;
    let mut node = None;
    let mut from_node = None;
    let mut to_node = None;
    let mut allow_primary = false;
    for (key, value) in fields {
        if value.is_object() || value.is_array() {
            return Err(parse_exception(format!(
                "[{name}] command does not support complex json tokens [{}]",
                token_name(value)
            )));
        }
        match (name, key.as_str()) {
            (_, "index") => index = text_value(value),
            (_, "shard") => shard = int_value(name, key, value)?,
            ("move", "from_node" | "fromNode") => from_node = text_value(value),
            ("move", "to_node" | "toNode") => to_node = text_value(value),
            ("cancel", "node") => node = text_value(value),
            ("cancel", "allow_primary" | "allowPrimary") => {
                allow_primary = bool_value(name, key, value)?
            }
            _ => {
                return Err(parse_exception(format!(
                    "[{name}] command does not support field [{key}]"
                )))
            }
        }
    }
    let missing =
        |what: &str| parse_exception(format!("[{name}] command missing the {what} parameter"));
    let index = index.ok_or_else(|| missing("index"))?;
    let shard = u32::try_from(shard).map_err(|_| missing("shard"))?;
    if name == "move" {
        Ok(AllocationCommand::Move {
            index,
            shard,
            from_node: from_node.ok_or_else(|| missing("from_node"))?,
            to_node: to_node.ok_or_else(|| missing("to_node"))?,
        })
    } else {
        Ok(AllocationCommand::Cancel {
            index,
            shard,
            node: node.ok_or_else(|| missing("node"))?,
            allow_primary,
        })
    }
}

/// The `allocate_*` commands (Elasticsearch's `ObjectParser`s, with `x_content_parse_exception`
/// for unknown fields and `illegal_argument_exception` for missing arguments).
fn parse_allocate(name: &str, fields: &Map<String, Value>) -> Result<AllocationCommand, EsError> {
    let primary = name != "allocate_replica";
    let mut index = None;
    let mut shard: i64 = -1;
    let mut node = None;
    let mut accept_data_loss = false;
    for (key, value) in fields {
        let string = || match value {
            Value::String(s) => Ok(s.clone()),
            other => Err(EsError::x_content_parse(format!(
                "[{name}] {key} doesn't support values of type: {}",
                token_name(other)
            ))),
        };
        match key.as_str() {
            "index" => index = Some(string()?),
            "shard" => shard = int_value(name, key, value)?,
            "node" => node = Some(string()?),
            "accept_data_loss" if primary => accept_data_loss = bool_value(name, key, value)?,
            other => {
                return Err(EsError::x_content_parse(format!(
                    "[{name}] unknown field [{other}]"
                )))
            }
        }
    }
    let index =
        index.ok_or_else(|| EsError::illegal_argument("Argument [index] must be defined"))?;
    let shard = u32::try_from(shard).map_err(|_| {
        EsError::illegal_argument("Argument [shard] must be defined and non-negative")
    })?;
    let node = node.ok_or_else(|| EsError::illegal_argument("Argument [node] must be defined"))?;
    Ok(match name {
        "allocate_replica" => AllocationCommand::AllocateReplica { index, shard, node },
        "allocate_stale_primary" => AllocationCommand::AllocateStalePrimary {
            index,
            shard,
            node,
            accept_data_loss,
        },
        _ => AllocationCommand::AllocateEmptyPrimary {
            index,
            shard,
            node,
            accept_data_loss,
        },
    })
}

fn host_of(node: &DiscoveryNode) -> &str {
    node.transport_address
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(&node.transport_address)
}

/// Elasticsearch's `DiscoveryNodes.resolveNode`: exactly one node by id, name, transport
/// address or host, `_master`, or a wildcard pattern on id and name.
pub fn resolve_node<'a>(state: &'a ClusterState, text: &str) -> Result<&'a DiscoveryNode, EsError> {
    let matches: Vec<&DiscoveryNode> =
        if let Some(n) = state.nodes.values().find(|n| n.id.0 == text) {
            vec![n]
        } else if text == "_master" {
            state
                .master_node
                .as_ref()
                .and_then(|m| state.nodes.get(m))
                .into_iter()
                .collect()
        } else {
            state
                .nodes
                .values()
                .filter(|n| {
                    n.name == text
                        || n.transport_address == text
                        || host_of(n) == text
                        || (text.contains('*')
                            && (crate::templates::simple_match(text, &n.name)
                                || crate::templates::simple_match(text, &n.id.0)))
                })
                .collect()
        };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(EsError::illegal_argument(format!(
            "failed to resolve [{text}], no matching nodes"
        ))),
        many => Err(EsError::illegal_argument(format!(
            "resolved [{text}] into [{}] nodes, where expected to be resolved to a single node",
            many.len()
        ))),
    }
}

/// A node as Elasticsearch's `DiscoveryNode.toString()` prints it in command errors:
/// `{name}{id}{ephemeral id}{host}{address}{roles}` and the attributes.
pub fn describe_node(node: &DiscoveryNode) -> String {
    let mut s = format!(
        "{{{}}}{{{}}}{{{}}}{{{}}}{{{}}}",
        node.name,
        node.id,
        node.ephemeral_id,
        host_of(node),
        node.transport_address
    );
    let roles = DiscoveryNode::role_letters(&node.roles);
    if !roles.is_empty() {
        s.push_str(&format!("{{{roles}}}"));
    }
    if !node.attributes.is_empty() {
        let attrs: Vec<String> = node
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        s.push_str(&format!("{{{}}}", attrs.join(", ")));
    }
    s
}

/// A combined decision as Elasticsearch's `Decision.Multi.toString()`: `[NO(why)][YES(why)]`.
pub fn describe_decisions(decisions: &[Decision]) -> String {
    decisions
        .iter()
        .map(|d| {
            let t = match d.decision {
                super::DecisionType::Yes => "YES",
                super::DecisionType::No => "NO",
                super::DecisionType::Throttle => "THROTTLE",
            };
            format!("[{t}({})]", d.explanation)
        })
        .collect()
}

#[cfg(test)]
#[path = "commands_test.rs"]
mod commands_test;
