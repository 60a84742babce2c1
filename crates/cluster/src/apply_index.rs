//! Index lifecycle commands: create (name checks, composable templates, settings, mappings,
//! aliases, routing entries), delete, put mapping, update settings (including replica count
//! changes and `auto_expand_replicas`), open and close.
//!
//! Closed indices keep their routing entries, as Elasticsearch 8 does for replicated closed
//! indices: the copies stay where they are and the node layer closes their engines when it sees
//! `IndexState::Close`; reopening needs no reallocation.
//!
//! Owns: the metadata side of index commands. Must not choose nodes (reroute runs afterwards in
//! `apply`).

use crate::cluster_state::ClusterState;
use crate::index_metadata::{AliasMetadata, IndexMetadata, IndexState};
use crate::index_name::{validate_alias_name, validate_index_name};
use crate::index_settings::{
    build_create_settings, get_bool, get_u32, normalize_prefix, validate_update,
};
use crate::operation_routing::default_routing_num_shards;
use crate::routing_table::IndexRoutingTable;
use crate::shard_routing::{reason, ShardRouting, UnassignedInfo};
use crate::templates::{find_matching_template, resolve_template_parts};
use quarry_types::settings::value_as_setting_string;
use quarry_types::{EsError, Mapping, Settings, ShardId};
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses one alias definition (`{"filter":..., "routing":..., "is_write_index":...}`).
pub fn parse_alias_definition(alias: &str, def: &Value) -> Result<AliasMetadata, EsError> {
    let empty = serde_json::Map::new();
    let obj = match def {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => {
            return Err(EsError::x_content_parse(format!(
                "[aliases] alias [{alias}] must be an object"
            )))
        }
    };
    let routing = obj.get("routing").and_then(value_as_setting_string);
    let mut out = AliasMetadata {
        filter: obj.get("filter").filter(|f| !f.is_null()).cloned(),
        index_routing: obj
            .get("index_routing")
            .and_then(value_as_setting_string)
            .or_else(|| routing.clone()),
        search_routing: obj
            .get("search_routing")
            .and_then(value_as_setting_string)
            .or(routing),
        is_write_index: obj.get("is_write_index").and_then(Value::as_bool),
        is_hidden: obj.get("is_hidden").and_then(Value::as_bool),
    };
    if let Some(f) = &out.filter {
        if !f.is_object() {
            return Err(EsError::illegal_argument(format!(
                "failed to parse filter for alias [{alias}]"
            )));
        }
    }
    if out
        .index_routing
        .as_deref()
        .is_some_and(|r| r.contains(','))
    {
        return Err(EsError::illegal_argument(format!(
            "alias [{alias}] has several index routing values associated with it"
        )));
    }
    if out.search_routing.as_deref() == Some("") {
        out.search_routing = None;
    }
    Ok(out)
}

/// The `invalid_alias_name_exception` for an alias that clashes with an index.
pub fn alias_clashes_with_index(alias: &str) -> EsError {
    EsError::new(
        "invalid_alias_name_exception",
        400,
        format!("Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias"),
    )
    .with("index_uuid", "_na_")
    .with("index", alias.to_string())
}

/// Checks that `alias` would not get two write indices if `index` became one.
pub fn check_single_write_index(
    state: &ClusterState,
    alias: &str,
    index: &str,
) -> Result<(), EsError> {
    let others: Vec<String> = state
        .metadata
        .alias_indices(alias)
        .iter()
        .filter(|m| {
            m.name != index && m.aliases.get(alias).and_then(|a| a.is_write_index) == Some(true)
        })
        .map(|m| m.name.clone())
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(EsError::illegal_state(format!(
            "alias [{alias}] has more than one write index [{},{index}]",
            others.join(",")
        )))
    }
}

#[allow(clippy::too_many_arguments)]
pub fn create_index(
    state: &mut ClusterState,
    name: &str,
    uuid: &str,
    settings: &Settings,
    mappings: Option<&Value>,
    aliases: Option<&Value>,
    creation_date: i64,
    now: i64,
) -> Result<(), EsError> {
    validate_index_name(name)?;
    if let Some(existing) = state.index(name) {
        return Err(EsError::resource_already_exists(name, &existing.uuid));
    }
    if state.metadata.has_alias(name) {
        return Err(EsError::invalid_index_name(name, "already exists as alias"));
    }
    let request_settings = normalize_prefix(settings);
    let hidden = get_bool(&request_settings, "index.hidden").unwrap_or(false);
    let (mut merged, template_mappings, template_aliases) =
        match find_matching_template(&state.metadata.index_templates, name, hidden) {
            Some((_, t)) => resolve_template_parts(t, &state.metadata.component_templates),
            None => (Settings::new(), Vec::new(), BTreeMap::new()),
        };
    merged.merge(&request_settings);
    let stored = build_create_settings(&merged, name, uuid, creation_date)?;
    let number_of_shards = get_u32(&stored, "index.number_of_shards").unwrap_or(1);
    let number_of_replicas = get_u32(&stored, "index.number_of_replicas").unwrap_or(1);
    let routing_num_shards = get_u32(&stored, "index.number_of_routing_shards")
        .unwrap_or_else(|| default_routing_num_shards(number_of_shards));

    let sources: Vec<Value> = template_mappings.iter().chain(mappings).cloned().collect();
    let mapping = crate::template_mappings::merge_template_mappings(&sources)?;

    let mut alias_defs: BTreeMap<String, Value> = template_aliases;
    if let Some(a) = aliases.filter(|a| !a.is_null()) {
        let obj = a
            .as_object()
            .ok_or_else(|| EsError::x_content_parse("[aliases] must be an object"))?;
        for (k, v) in obj {
            alias_defs.insert(k.clone(), v.clone());
        }
    }
    let mut alias_meta = BTreeMap::new();
    for (alias, def) in &alias_defs {
        validate_alias_name(alias)?;
        if alias == name || state.index(alias).is_some() {
            return Err(alias_clashes_with_index(alias));
        }
        let meta = parse_alias_definition(alias, def)?;
        if meta.is_write_index == Some(true) {
            check_single_write_index(state, alias, name)?;
        }
        alias_meta.insert(alias.clone(), meta);
    }

    let meta = IndexMetadata {
        name: name.to_string(),
        uuid: uuid.to_string(),
        state: IndexState::Open,
        settings: stored,
        number_of_shards,
        number_of_replicas,
        routing_num_shards,
        mapping,
        aliases: alias_meta,
        primary_terms: vec![0; number_of_shards as usize],
        in_sync_allocation_ids: (0..number_of_shards)
            .map(|s| (s, Default::default()))
            .collect(),
        creation_date,
        version: 1,
        mapping_version: 1,
        settings_version: 1,
        aliases_version: 1,
    };
    let info = UnassignedInfo::new(reason::INDEX_CREATED, now);
    state.routing_table.indices.insert(
        name.to_string(),
        std::sync::Arc::new(IndexRoutingTable::new_unassigned(
            name,
            number_of_shards,
            number_of_replicas,
            &info,
        )),
    );
    state
        .metadata
        .indices
        .insert(name.to_string(), std::sync::Arc::new(meta));
    Ok(())
}

fn require_indices(state: &ClusterState, indices: &[String]) -> Result<(), EsError> {
    match indices.iter().find(|i| state.index(i).is_none()) {
        Some(missing) => Err(EsError::index_not_found(missing)),
        None => Ok(()),
    }
}

pub fn delete_indices(state: &mut ClusterState, indices: &[String]) -> Result<(), EsError> {
    require_indices(state, indices)?;
    for name in indices {
        state.metadata.indices.remove(name);
        state.routing_table.indices.remove(name);
    }
    Ok(())
}

pub fn put_mapping(
    state: &mut ClusterState,
    indices: &[String],
    mapping: &Mapping,
) -> Result<(), EsError> {
    require_indices(state, indices)?;
    let mut updated = Vec::new();
    for name in indices {
        let mut m = state.metadata.indices[name].mapping.clone();
        m.merge(mapping)?;
        updated.push((name.clone(), m));
    }
    for (name, m) in updated {
        if let Some(meta) = state
            .metadata
            .indices
            .get_mut(&name)
            .map(std::sync::Arc::make_mut)
        {
            meta.mapping = m;
        }
    }
    Ok(())
}

pub fn update_settings(
    state: &mut ClusterState,
    indices: &[String],
    settings: &Settings,
    preserve_existing: bool,
    now: i64,
) -> Result<(), EsError> {
    require_indices(state, indices)?;
    let open: Vec<String> = indices
        .iter()
        .filter_map(|i| state.index(i))
        .filter(|m| m.is_open())
        .map(|m| format!("[{}/{}]", m.name, m.uuid))
        .collect();
    let update = validate_update(settings, &open)?;
    for (k, v) in &update.0 {
        crate::allocation::allocation_settings::check_allocation_setting(k, v)?;
    }
    for name in indices {
        let Some(meta) = state
            .metadata
            .indices
            .get_mut(name)
            .map(std::sync::Arc::make_mut)
        else {
            continue;
        };
        for (k, v) in &update.0 {
            if v.is_null() {
                meta.settings.remove(k);
            } else if !(preserve_existing && meta.settings.get(k).is_some()) {
                let stored = value_as_setting_string(v)
                    .map(Value::String)
                    .unwrap_or_else(|| v.clone());
                meta.settings.insert(k.clone(), stored);
            }
        }
        if meta.settings.get("index.number_of_replicas").is_none() {
            meta.settings
                .insert("index.number_of_replicas", Value::String("1".into()));
        }
        let replicas = get_u32(&meta.settings, "index.number_of_replicas").unwrap_or(1);
        set_number_of_replicas(state, name, replicas, now);
    }
    Ok(())
}

/// Changes an index's replica count: adds unassigned `REPLICA_ADDED` copies or removes
/// replicas (unassigned first, then initializing, then started).
pub fn set_number_of_replicas(state: &mut ClusterState, index: &str, replicas: u32, now: i64) {
    let Some(meta) = state
        .metadata
        .indices
        .get_mut(index)
        .map(std::sync::Arc::make_mut)
    else {
        return;
    };
    if meta.number_of_replicas == replicas {
        return;
    }
    meta.number_of_replicas = replicas;
    meta.settings.insert(
        "index.number_of_replicas",
        Value::String(replicas.to_string()),
    );
    let Some(table) = state
        .routing_table
        .indices
        .get_mut(index)
        .map(std::sync::Arc::make_mut)
    else {
        return;
    };
    for (shard, copies) in table.shards.iter_mut() {
        while copies.len() < replicas as usize + 1 {
            copies.push(ShardRouting::new_unassigned(
                ShardId::new(index, *shard),
                false,
                UnassignedInfo::new(reason::REPLICA_ADDED, now),
            ));
        }
        while copies.len() > replicas as usize + 1 {
            let victim = copies
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.primary)
                .min_by_key(|(_, c)| match c.state {
                    crate::shard_routing::ShardRoutingState::Unassigned => 0,
                    crate::shard_routing::ShardRoutingState::Initializing => 1,
                    _ => 2,
                })
                .map(|(i, _)| i);
            match victim {
                Some(i) => {
                    copies.remove(i);
                }
                None => break,
            }
        }
    }
}

/// `index.auto_expand_replicas`: replicas follow the number of data nodes, within bounds.
pub fn auto_expand_replicas(state: &mut ClusterState, now: i64) {
    let data_nodes = state.data_nodes().count() as u32;
    let changes: Vec<(String, u32)> = state
        .metadata
        .indices
        .values()
        .filter_map(|m| {
            let (min, max) = m.auto_expand_replicas()?;
            let max = max.unwrap_or(u32::MAX);
            let wanted = data_nodes.saturating_sub(1).clamp(min, max.max(min));
            (wanted != m.number_of_replicas).then(|| (m.name.clone(), wanted))
        })
        .collect();
    for (index, replicas) in changes {
        set_number_of_replicas(state, &index, replicas, now);
    }
}

pub fn set_state(
    state: &mut ClusterState,
    indices: &[String],
    target: IndexState,
) -> Result<(), EsError> {
    require_indices(state, indices)?;
    for name in indices {
        if let Some(meta) = state
            .metadata
            .indices
            .get_mut(name)
            .map(std::sync::Arc::make_mut)
        {
            meta.state = target;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "apply_index_test.rs"]
mod apply_index_test;
