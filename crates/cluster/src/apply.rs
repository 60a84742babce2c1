//! `apply(state, command, ctx) -> new state`: the one place cluster state changes. Validates the
//! command, builds the next state, runs `reroute` where Elasticsearch would (index created,
//! node joined or left, replicas changed, shard started or failed, explicit reroute), bumps the
//! per-index metadata versions that changed, then the state version and uuid, and checks
//! `validate()` before returning.
//!
//! A command that changes nothing (a stale `ShardStarted`, a repeated `ElectMaster`) returns
//! the same state with the same version.
//!
//! Owns: the transition function and node/shard lifecycle commands. Index, alias and template
//! commands live in `apply_index`, `apply_aliases` and `apply_templates`. Pure: time and ids
//! come from `ApplyContext`.

use crate::allocation::{fail_shard_copy, normalize_in_sync_allocations, reroute};
use crate::cluster_command::ClusterCommand;
use crate::cluster_state::ClusterState;
use crate::coordination_metadata::{normalized_config, MISSING_VALUE_MARKER};
use crate::shard_routing::{reason, UnassignedInfo};
use crate::{apply_aliases, apply_index, apply_templates};
use quarry_types::EsError;

/// Time and id source for one `apply`.
pub struct ApplyContext<'a> {
    pub now_millis: i64,
    next_id: Box<dyn FnMut() -> String + 'a>,
}

impl<'a> ApplyContext<'a> {
    /// Uses `next_id` for allocation ids and state uuids.
    pub fn new(now_millis: i64, next_id: impl FnMut() -> String + 'a) -> Self {
        ApplyContext {
            now_millis,
            next_id: Box::new(next_id),
        }
    }

    /// Deterministic ids derived from `seed`: every node applying the same command with the
    /// same seed gets the same ids. The seed must be unique per applied command (for example
    /// the Raft log id `term-index`), or allocation ids would repeat. 22 URL-safe characters, like
    /// Elasticsearch's base64 UUIDs.
    pub fn seeded(now_millis: i64, seed: impl Into<String>) -> ApplyContext<'static> {
        let seed = seed.into();
        let mut counter: u64 = 0;
        ApplyContext::new(now_millis, move || {
            counter += 1;
            seeded_id(&seed, counter)
        })
    }

    pub fn next_id(&mut self) -> String {
        (self.next_id)()
    }
}

fn seeded_id(seed: &str, counter: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let input = format!("{seed}/{counter}");
    let hash = murmur3::murmur3_x64_128(&mut input.as_bytes(), 0)
        .expect("reading from an in-memory byte slice cannot fail");
    (0..22)
        .map(|i| ALPHABET[((hash >> (i * 6)) & 0x3f) as usize] as char)
        .collect()
}

/// The cluster UUID of a state that no bootstrap has committed yet (Elasticsearch's `_na_`).
pub const UNBOOTSTRAPPED_CLUSTER_UUID: &str = "_na_";

/// Applies `cmd` to `state`.
pub fn apply(
    state: &ClusterState,
    cmd: ClusterCommand,
    ctx: &mut ApplyContext,
) -> Result<ClusterState, EsError> {
    let mut next = state.clone();
    let now = ctx.now_millis;
    let needs_reroute = match cmd {
        ClusterCommand::AddNode(node) => {
            if let Some(existing) = next.nodes.values().find(|n| {
                n.id != node.id
                    && n.transport_address == node.transport_address
                    && !node.transport_address.is_empty()
            }) {
                return Err(EsError::illegal_argument(format!(
                    "failed to add node [{}]: found existing node [{}] with the same transport address [{}]",
                    node.id, existing.id, node.transport_address
                )));
            }
            next.nodes.insert(node.id.clone(), node);
            true
        }
        ClusterCommand::RemoveNode(node_id) => {
            if next.nodes.remove(&node_id).is_none() {
                return Ok(state.clone());
            }
            next.disk_usages.remove(&node_id);
            if next.master_node.as_ref() == Some(&node_id) {
                next.master_node = None;
            }
            let on_node: Vec<_> = next
                .routing_table
                .shards_on_node(&node_id)
                .into_iter()
                .filter_map(|c| {
                    // On the leaving node as relocation target: fail (cancel) the target only.
                    let id = if c.current_node.as_ref() == Some(&node_id) {
                        c.allocation_id.clone()
                    } else {
                        c.relocation_id.clone()
                    };
                    id.map(|a| (c.shard_id.clone(), a, c.primary))
                })
                .collect();
            // Replicas first, then primaries, so a primary can still be promoted from a replica
            // elsewhere.
            let mut ordered = on_node;
            ordered.sort_by_key(|(_, _, primary)| *primary);
            for (shard_id, allocation_id, _) in ordered {
                let info = UnassignedInfo::new(reason::NODE_LEFT, now)
                    .with_details(format!("node_left [{node_id}]"));
                fail_shard_copy(&mut next, &shard_id, &allocation_id, info);
            }
            true
        }
        ClusterCommand::Bootstrap { cluster_uuid } => {
            if next.cluster_uuid != UNBOOTSTRAPPED_CLUSTER_UUID {
                return Ok(state.clone());
            }
            if cluster_uuid.is_empty() || cluster_uuid == UNBOOTSTRAPPED_CLUSTER_UUID {
                return Err(EsError::illegal_argument(format!(
                    "invalid cluster uuid [{cluster_uuid}]"
                )));
            }
            next.cluster_uuid = cluster_uuid;
            false
        }
        ClusterCommand::ElectMaster(node_id) => {
            if !next.nodes.contains_key(&node_id) {
                return Err(EsError::illegal_argument(format!(
                    "cannot elect [{node_id}] as master: not a member of the cluster"
                )));
            }
            next.master_node = Some(node_id);
            false
        }
        ClusterCommand::ShardStarted {
            shard_id,
            allocation_id,
        } => {
            let Some(copies) = next.routing_table.shard_copies_mut(&shard_id) else {
                return Ok(state.clone());
            };
            if let Some(copy) = copies
                .iter_mut()
                .find(|c| c.allocation_id.as_ref() == Some(&allocation_id) && c.initializing())
            {
                copy.start();
            } else if let Some(copy) = copies
                .iter_mut()
                .find(|c| c.relocation_id.as_ref() == Some(&allocation_id) && c.relocating())
            {
                copy.complete_relocation();
            } else {
                return Ok(state.clone());
            }
            true
        }
        ClusterCommand::ShardFailed {
            shard_id,
            allocation_id,
            reason: why,
        } => {
            let info = UnassignedInfo::new(reason::ALLOCATION_FAILED, now)
                .with_details(format!("failed shard on node: {why}"));
            if !fail_shard_copy(&mut next, &shard_id, &allocation_id, info) {
                return Ok(state.clone());
            }
            true
        }
        ClusterCommand::Reroute => true,
        ClusterCommand::UpdateDiskUsage { node, usage } => {
            if !next.nodes.contains_key(&node) {
                return Ok(state.clone());
            }
            next.disk_usages.insert(node, usage);
            crate::allocation::disk_threshold::apply_flood_stage(&mut next);
            true
        }
        ClusterCommand::RerouteCommands {
            commands,
            retry_failed,
        } => {
            use crate::allocation::command_execution::{
                execute_commands, reset_failed_allocations,
            };
            if retry_failed {
                reset_failed_allocations(&mut next);
            }
            let mut gen = || ctx.next_id();
            execute_commands(&mut next, &commands, false, now, &mut gen)?;
            true
        }
        ClusterCommand::CreateIndex {
            name,
            uuid,
            settings,
            mappings,
            aliases,
            creation_date,
        } => {
            apply_index::create_index(
                &mut next,
                &name,
                &uuid,
                &settings,
                mappings.as_ref(),
                aliases.as_ref(),
                creation_date,
                now,
            )?;
            true
        }
        ClusterCommand::DeleteIndices(indices) => {
            apply_index::delete_indices(&mut next, &indices)?;
            false
        }
        ClusterCommand::PutMapping { indices, mapping } => {
            apply_index::put_mapping(&mut next, &indices, &mapping)?;
            false
        }
        ClusterCommand::UpdateIndexSettings {
            indices,
            settings,
            preserve_existing,
        } => {
            apply_index::update_settings(&mut next, &indices, &settings, preserve_existing, now)?;
            true
        }
        ClusterCommand::OpenIndices(indices) => {
            apply_index::set_state(&mut next, &indices, crate::index_metadata::IndexState::Open)?;
            true
        }
        ClusterCommand::CloseIndices(indices) => {
            apply_index::set_state(
                &mut next,
                &indices,
                crate::index_metadata::IndexState::Close,
            )?;
            false
        }
        ClusterCommand::UpdateAliases(actions) => {
            apply_aliases::update_aliases(&mut next, &actions)?;
            false
        }
        ClusterCommand::PutIndexTemplate {
            name,
            template,
            create,
        } => {
            apply_templates::put_index_template(&mut next, &name, template, create)?;
            false
        }
        ClusterCommand::DeleteIndexTemplate(name) => {
            apply_templates::delete_index_template(&mut next, &name)?;
            false
        }
        ClusterCommand::PutComponentTemplate {
            name,
            template,
            create,
        } => {
            apply_templates::put_component_template(&mut next, &name, template, create)?;
            false
        }
        ClusterCommand::DeleteComponentTemplate(name) => {
            apply_templates::delete_component_template(&mut next, &name)?;
            false
        }
        ClusterCommand::UpdateClusterSettings {
            persistent,
            transient,
        } => {
            apply_templates::update_cluster_settings(&mut next, &persistent, &transient)?;
            let mut merged = next.metadata.persistent_settings.clone();
            merged.merge(&next.metadata.transient_settings);
            crate::allocation::disk_threshold::check_watermark_settings(&merged)
                .map_err(EsError::illegal_argument)?;
            crate::allocation::disk_threshold::apply_flood_stage(&mut next);
            true
        }
        ClusterCommand::SetVotingConfiguration {
            term,
            committed,
            accepted,
        } => {
            let coordination = &mut next.metadata.coordination;
            if term < coordination.term {
                return Ok(state.clone());
            }
            coordination.term = term;
            coordination.last_committed_config = normalized_config(&committed);
            coordination.last_accepted_config = normalized_config(&accepted);
            false
        }
        ClusterCommand::AddVotingConfigExclusions(exclusions) => {
            let existing = &mut next.metadata.coordination.voting_config_exclusions;
            for exclusion in exclusions {
                if exclusion.node_id.is_empty()
                    || exclusion.node_name.is_empty()
                    || exclusion.node_id == MISSING_VALUE_MARKER
                        && exclusion.node_name == MISSING_VALUE_MARKER
                {
                    return Err(EsError::illegal_argument(format!(
                        "invalid voting config exclusion {}",
                        exclusion.describe()
                    )));
                }
                if !existing.contains(&exclusion) {
                    existing.push(exclusion);
                }
            }
            false
        }
        ClusterCommand::ClearVotingConfigExclusions => {
            next.metadata.coordination.voting_config_exclusions.clear();
            false
        }
    };
    if needs_reroute {
        apply_index::auto_expand_replicas(&mut next, now);
        let mut gen = || ctx.next_id();
        next = reroute(&next, now, &mut gen);
    } else {
        // (`reroute` ends with the same normalisation.)
        normalize_in_sync_allocations(&mut next);
    }
    bump_index_versions(state, &mut next);
    if next.same_as(state) {
        return Ok(next);
    }
    next.version = state.version + 1;
    next.state_uuid = ctx.next_id();
    next.validate_since(Some(state))
        .map_err(|e| EsError::illegal_state(format!("cluster state invariant violated: {e}")))?;
    Ok(next)
}

/// Bumps `version`, `mapping_version`, `settings_version`, `aliases_version` of every index
/// whose metadata changed.
fn bump_index_versions(prev: &ClusterState, next: &mut ClusterState) {
    for (name, shared) in next.metadata.indices.iter_mut() {
        let Some(old) = prev
            .metadata
            .indices
            .get(name)
            .filter(|o| o.uuid == shared.uuid)
        else {
            continue;
        };
        // Unchanged since the previous state: nothing to compare or bump.
        if std::sync::Arc::ptr_eq(shared, old) {
            continue;
        }
        let meta = std::sync::Arc::make_mut(shared);
        let mut changed = false;
        if meta.mapping != old.mapping {
            meta.mapping_version = old.mapping_version + 1;
            changed = true;
        }
        if meta.settings != old.settings {
            meta.settings_version = old.settings_version + 1;
            changed = true;
        }
        if meta.aliases != old.aliases {
            meta.aliases_version = old.aliases_version + 1;
            changed = true;
        }
        if changed
            || meta.state != old.state
            || meta.primary_terms != old.primary_terms
            || meta.in_sync_allocation_ids != old.in_sync_allocation_ids
        {
            meta.version = old.version + 1;
        }
    }
}

#[cfg(test)]
#[path = "apply_coordination_test.rs"]
mod apply_coordination_test;
#[cfg(test)]
#[path = "apply_test.rs"]
mod apply_test;
