//! `ClusterCommand`: every change to the cluster state as data (what the master proposes and
//! every node applies), and `AliasAction` with the parser for `POST _aliases` bodies.
//!
//! Owns: the command vocabulary and request-body parsing for alias actions. Must not apply
//! anything (that is `apply`).

use crate::cluster_state::DiscoveryNode;
use crate::coordination_metadata::VotingConfigExclusion;
use crate::index_metadata::mapping_as_json;
use crate::templates::{ComponentTemplate, ComposableIndexTemplate};
use quarry_types::{AllocationId, EsError, Mapping, NodeId, Settings, ShardId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One `POST _aliases` action. Index names may hold wildcards; they are resolved against the
/// state when the command is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AliasAction {
    Add {
        indices: Vec<String>,
        aliases: Vec<String>,
        filter: Option<Value>,
        index_routing: Option<String>,
        search_routing: Option<String>,
        is_write_index: Option<bool>,
        is_hidden: Option<bool>,
        must_exist: Option<bool>,
    },
    Remove {
        indices: Vec<String>,
        aliases: Vec<String>,
        must_exist: Option<bool>,
    },
    RemoveIndex {
        indices: Vec<String>,
    },
}

fn names(
    obj: &serde_json::Map<String, Value>,
    one: &str,
    many: &str,
) -> Result<Vec<String>, EsError> {
    let mut out = Vec::new();
    for key in [one, many] {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => out.push(s.clone()),
            Some(Value::Array(items)) => {
                for i in items {
                    let s = i.as_str().ok_or_else(|| {
                        EsError::x_content_parse(format!("[{many}] must be an array of strings"))
                    })?;
                    out.push(s.to_string());
                }
            }
            Some(_) => {
                return Err(EsError::x_content_parse(format!(
                    "[{key}] must be a string"
                )))
            }
        }
    }
    Ok(out)
}

fn opt_string(obj: &serde_json::Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(quarry_types::settings::value_as_setting_string)
}

fn opt_bool(obj: &serde_json::Map<String, Value>, key: &str) -> Result<Option<bool>, EsError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
        Some(other) => Err(EsError::x_content_parse(format!(
            "Failed to parse value [{other}] as only [true] or [false] are allowed."
        ))),
    }
}

impl AliasAction {
    /// Parses `{"actions": [{"add": {...}}, {"remove": {...}}, {"remove_index": {...}}]}`.
    pub fn parse_actions(body: &Value) -> Result<Vec<AliasAction>, EsError> {
        let actions = body
            .get("actions")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                EsError::action_request_validation(&["No action specified".to_string()])
            })?;
        let mut out = Vec::new();
        for action in actions {
            let obj = action.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
                EsError::x_content_parse("[alias_action] expected exactly one action")
            })?;
            let (kind, def) = obj
                .iter()
                .next()
                .ok_or_else(|| EsError::x_content_parse("empty action"))?;
            let def = def
                .as_object()
                .ok_or_else(|| EsError::x_content_parse(format!("[{kind}] must be an object")))?;
            let indices = names(def, "index", "indices")?;
            let aliases = names(def, "alias", "aliases")?;
            if indices.is_empty() {
                return Err(EsError::illegal_argument(
                    "One of [index] or [indices] is required",
                ));
            }
            let parsed = match kind.as_str() {
                "add" => {
                    if aliases.is_empty() {
                        return Err(EsError::illegal_argument(
                            "One of [alias] or [aliases] is required",
                        ));
                    }
                    let routing = opt_string(def, "routing");
                    AliasAction::Add {
                        indices,
                        aliases,
                        filter: def.get("filter").filter(|f| !f.is_null()).cloned(),
                        index_routing: opt_string(def, "index_routing").or_else(|| routing.clone()),
                        search_routing: opt_string(def, "search_routing").or(routing),
                        is_write_index: opt_bool(def, "is_write_index")?,
                        is_hidden: opt_bool(def, "is_hidden")?,
                        must_exist: opt_bool(def, "must_exist")?,
                    }
                }
                "remove" => {
                    if aliases.is_empty() {
                        return Err(EsError::illegal_argument(
                            "One of [alias] or [aliases] is required",
                        ));
                    }
                    AliasAction::Remove {
                        indices,
                        aliases,
                        must_exist: opt_bool(def, "must_exist")?,
                    }
                }
                "remove_index" => AliasAction::RemoveIndex { indices },
                other => {
                    return Err(EsError::x_content_parse(format!(
                        "[alias_action] unknown field [{other}]"
                    )))
                }
            };
            out.push(parsed);
        }
        Ok(out)
    }
}

/// Every change to the cluster state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClusterCommand {
    AddNode(DiscoveryNode),
    RemoveNode(NodeId),
    ElectMaster(NodeId),
    /// The first command of a newly bootstrapped cluster: fixes its UUID (Elasticsearch's
    /// `cluster_uuid` becomes committed). Ignored when the state already has a UUID.
    Bootstrap {
        cluster_uuid: String,
    },
    CreateIndex {
        name: String,
        uuid: String,
        settings: Settings,
        mappings: Option<Value>,
        aliases: Option<Value>,
        creation_date: i64,
    },
    /// Concrete index names (resolve expressions first).
    DeleteIndices(Vec<String>),
    PutMapping {
        indices: Vec<String>,
        #[serde(with = "mapping_as_json")]
        mapping: Mapping,
    },
    UpdateIndexSettings {
        indices: Vec<String>,
        settings: Settings,
        preserve_existing: bool,
    },
    OpenIndices(Vec<String>),
    CloseIndices(Vec<String>),
    UpdateAliases(Vec<AliasAction>),
    PutIndexTemplate {
        name: String,
        template: ComposableIndexTemplate,
        create: bool,
    },
    /// A name or `*` pattern.
    DeleteIndexTemplate(String),
    PutComponentTemplate {
        name: String,
        template: ComponentTemplate,
        create: bool,
    },
    DeleteComponentTemplate(String),
    UpdateClusterSettings {
        persistent: Settings,
        transient: Settings,
    },
    ShardStarted {
        shard_id: ShardId,
        allocation_id: AllocationId,
    },
    ShardFailed {
        shard_id: ShardId,
        allocation_id: AllocationId,
        reason: String,
    },
    /// Runs allocation again (delayed replicas whose timeout passed, throttled shards).
    Reroute,
    /// A node reports its disk figures (watermarks, flood-stage blocks).
    UpdateDiskUsage {
        node: NodeId,
        usage: crate::allocation::disk_threshold::DiskUsage,
    },
    /// `POST _cluster/reroute` with commands (node fields resolved to ids by the caller):
    /// `retry_failed` resets failure counters, the commands run in order (the first rejected
    /// one fails the whole command), then allocation runs.
    RerouteCommands {
        commands: Vec<crate::allocation::commands::AllocationCommand>,
        retry_failed: bool,
    },
    /// The elected master records the voting configuration (node ids) after it changed the
    /// Raft membership, with its term. Ignored when `term` is older than the recorded one.
    SetVotingConfiguration {
        term: u64,
        committed: Vec<String>,
        accepted: Vec<String>,
    },
    /// `POST _cluster/voting_config_exclusions` (resolved; already present ones are skipped).
    AddVotingConfigExclusions(Vec<VotingConfigExclusion>),
    /// `DELETE _cluster/voting_config_exclusions`.
    ClearVotingConfigExclusions,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_alias_actions() {
        let body = json!({"actions": [
            {"add": {"index": "a", "alias": "x", "routing": "1", "is_write_index": true}},
            {"add": {"indices": ["b", "c*"], "aliases": ["y", "z"], "filter": {"term": {"u": 1}}}},
            {"remove": {"index": "a", "alias": "old", "must_exist": true}},
            {"remove_index": {"index": "gone"}}
        ]});
        let actions = AliasAction::parse_actions(&body).unwrap();
        assert_eq!(actions.len(), 4);
        match &actions[0] {
            AliasAction::Add {
                index_routing,
                search_routing,
                is_write_index,
                ..
            } => {
                assert_eq!(index_routing.as_deref(), Some("1"));
                assert_eq!(search_routing.as_deref(), Some("1"));
                assert_eq!(*is_write_index, Some(true));
            }
            other => panic!("{other:?}"),
        }
        match &actions[1] {
            AliasAction::Add {
                indices,
                aliases,
                filter,
                ..
            } => {
                assert_eq!(indices, &vec!["b".to_string(), "c*".to_string()]);
                assert_eq!(aliases.len(), 2);
                assert!(filter.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(actions[3], AliasAction::RemoveIndex { .. }));
    }

    #[test]
    fn rejects_bad_actions() {
        assert!(AliasAction::parse_actions(&json!({})).is_err());
        assert!(
            AliasAction::parse_actions(&json!({"actions": [{"add": {"alias": "x"}}]})).is_err()
        );
        assert!(
            AliasAction::parse_actions(&json!({"actions": [{"add": {"index": "x"}}]})).is_err()
        );
        assert!(AliasAction::parse_actions(
            &json!({"actions": [{"jump": {"index": "x", "alias": "y"}}]})
        )
        .is_err());
    }

    #[test]
    fn commands_serialize_for_replication() {
        let cmd = ClusterCommand::PutMapping {
            indices: vec!["a".into()],
            mapping: Mapping::parse(&json!({"properties": {"f": {"type": "text"}}})).unwrap(),
        };
        let text = serde_json::to_string(&cmd).unwrap();
        let back: ClusterCommand = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cmd);
    }
}
