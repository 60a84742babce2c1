//! `POST _aliases`: add, remove and remove_index actions applied atomically (all or nothing),
//! with index wildcards resolved against the current state.
//!
//! Owns: alias changes. Must not touch routing.

use crate::apply_index::{alias_clashes_with_index, delete_indices};
use crate::cluster_command::AliasAction;
use crate::cluster_state::ClusterState;
use crate::index_metadata::AliasMetadata;
use crate::index_name::validate_alias_name;
use crate::index_name_expression_resolver::{concrete_indices, IndicesOptions};
use crate::templates::simple_match;
use quarry_types::EsError;

fn resolve(state: &ClusterState, indices: &[String]) -> Result<Vec<String>, EsError> {
    concrete_indices(state, indices, &IndicesOptions::strict_expand_no_empty())
}

fn aliases_missing(aliases: &[String]) -> EsError {
    let list = aliases.join(",");
    EsError::new(
        "aliases_not_found_exception",
        404,
        format!("aliases [{list}] missing"),
    )
    .with("resource.type", "aliases")
    .with("resource.id", list)
}

/// Applies every action to a working copy; `state` changes only if all succeed.
pub fn update_aliases(state: &mut ClusterState, actions: &[AliasAction]) -> Result<(), EsError> {
    let mut work = state.clone();
    // As in Elasticsearch, indices named by `remove_index` go first, so an `add` in the same
    // request may take over the name of a removed index as an alias.
    let (removals, others): (Vec<&AliasAction>, Vec<&AliasAction>) = actions
        .iter()
        .partition(|a| matches!(a, AliasAction::RemoveIndex { .. }));
    for action in removals.into_iter().chain(others) {
        match action {
            AliasAction::Add {
                indices,
                aliases,
                filter,
                index_routing,
                search_routing,
                is_write_index,
                is_hidden,
                must_exist,
            } => {
                let targets = resolve(&work, indices)?;
                for alias in aliases {
                    validate_alias_name(alias)?;
                    if work.index(alias).is_some() {
                        return Err(alias_clashes_with_index(alias));
                    }
                    if filter.as_ref().is_some_and(|f| !f.is_object()) {
                        return Err(EsError::illegal_argument(format!(
                            "failed to parse filter for alias [{alias}]"
                        )));
                    }
                    if index_routing.as_deref().is_some_and(|r| r.contains(',')) {
                        return Err(EsError::illegal_argument(format!(
                            "alias [{alias}] has several index routing values associated with it"
                        )));
                    }
                    for index in &targets {
                        let exists = work
                            .index(index)
                            .is_some_and(|m| m.aliases.contains_key(alias));
                        if *must_exist == Some(true) && !exists {
                            return Err(EsError::resource_not_found(format!(
                                "required alias [{alias}] does not exist"
                            )));
                        }
                        let meta = AliasMetadata {
                            filter: filter.clone(),
                            index_routing: index_routing.clone(),
                            search_routing: search_routing.clone(),
                            is_write_index: *is_write_index,
                            is_hidden: *is_hidden,
                        };
                        if let Some(m) = work
                            .metadata
                            .indices
                            .get_mut(index)
                            .map(std::sync::Arc::make_mut)
                        {
                            m.aliases.insert(alias.clone(), meta);
                        }
                    }
                }
            }
            AliasAction::Remove {
                indices,
                aliases,
                must_exist,
            } => {
                let targets = resolve(&work, indices)?;
                let mut removed_any = false;
                for index in &targets {
                    let Some(m) = work
                        .metadata
                        .indices
                        .get_mut(index)
                        .map(std::sync::Arc::make_mut)
                    else {
                        continue;
                    };
                    for alias in aliases {
                        let matching: Vec<String> = m
                            .aliases
                            .keys()
                            .filter(|a| {
                                *a == alias
                                    || (alias.contains('*') && simple_match(alias, a))
                                    || alias == "_all"
                            })
                            .cloned()
                            .collect();
                        if matching.is_empty() && *must_exist == Some(true) {
                            return Err(EsError::resource_not_found(format!(
                                "required alias [{alias}] does not exist"
                            )));
                        }
                        for a in matching {
                            m.aliases.remove(&a);
                            removed_any = true;
                        }
                    }
                }
                if !removed_any && *must_exist != Some(false) {
                    return Err(aliases_missing(aliases));
                }
            }
            AliasAction::RemoveIndex { indices } => {
                for expr in indices {
                    if work.index(expr).is_none() && work.metadata.has_alias(expr) {
                        return Err(EsError::illegal_argument(format!(
                            "The provided expression [{expr}] matches an alias, specify the corresponding concrete indices instead."
                        )));
                    }
                }
                let targets = resolve(&work, indices)?;
                delete_indices(&mut work, &targets)?;
            }
        }
    }
    // Each alias may have at most one write index.
    for alias in work.metadata.all_aliases() {
        let writers: Vec<String> = work
            .metadata
            .alias_indices(&alias)
            .iter()
            .filter(|m| m.aliases.get(&alias).and_then(|a| a.is_write_index) == Some(true))
            .map(|m| m.name.clone())
            .collect();
        if writers.len() > 1 {
            return Err(EsError::illegal_state(format!(
                "alias [{alias}] has more than one write index [{}]",
                writers.join(",")
            )));
        }
    }
    *state = work;
    Ok(())
}

#[cfg(test)]
#[path = "apply_aliases_test.rs"]
mod apply_aliases_test;
