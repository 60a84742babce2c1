//! Template and cluster-settings commands: put/delete composable index templates (with the
//! same-priority overlap rule and component existence checks), put/delete component templates
//! (refusing to delete one still in use), and persistent/transient cluster settings.
//!
//! Owns: metadata-only commands. Must not touch routing.

use crate::cluster_state::ClusterState;
use crate::templates::{
    find_conflicting_templates, simple_match, ComponentTemplate, ComposableIndexTemplate,
};
use quarry_types::{EsError, Settings};

pub fn put_index_template(
    state: &mut ClusterState,
    name: &str,
    template: ComposableIndexTemplate,
    create: bool,
) -> Result<(), EsError> {
    if create && state.metadata.index_templates.contains_key(name) {
        return Err(EsError::illegal_argument(format!(
            "index template [{name}] already exists"
        )));
    }
    if name.contains(' ') || name.contains(',') || name.contains('*') || name.is_empty() {
        return Err(EsError::illegal_argument(format!(
            "name must not contain a space, ',' or '*': [{name}]"
        )));
    }
    let missing: Vec<String> = template
        .composed_of
        .iter()
        .filter(|c| !state.metadata.component_templates.contains_key(*c))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(EsError::illegal_argument(format!(
            "index template [{name}] specifies component templates [{}] that do not exist",
            missing.join(", ")
        )));
    }
    let conflicts = find_conflicting_templates(
        &state.metadata.index_templates,
        name,
        &template.index_patterns,
        template.priority_or_zero(),
    );
    if !conflicts.is_empty() {
        let names: Vec<&str> = conflicts.keys().map(String::as_str).collect();
        let detail: Vec<String> = conflicts
            .iter()
            .map(|(n, p)| format!("{n} => [{}]", p.join(", ")))
            .collect();
        return Err(EsError::illegal_argument(format!(
            "index template [{name}] has index patterns [{}] matching patterns from existing templates [{}] with patterns ({}) that have the same priority [{}], multiple index templates may not match during index creation, please use a different priority",
            template.index_patterns.join(", "),
            names.join(","),
            detail.join(","),
            template.priority_or_zero()
        )));
    }
    state
        .metadata
        .index_templates
        .insert(name.to_string(), template);
    Ok(())
}

fn index_template_missing(name: &str) -> EsError {
    EsError::new(
        "index_template_missing_exception",
        404,
        format!("index_template [{name}] missing"),
    )
}

/// Deletes templates by name, comma list or `*` pattern.
pub fn delete_index_template(state: &mut ClusterState, name: &str) -> Result<(), EsError> {
    let mut doomed = Vec::new();
    for part in name.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let matched: Vec<String> = state
            .metadata
            .index_templates
            .keys()
            .filter(|k| *k == part || (part.contains('*') && simple_match(part, k)))
            .cloned()
            .collect();
        if matched.is_empty() && !part.contains('*') {
            return Err(index_template_missing(part));
        }
        doomed.extend(matched);
    }
    if doomed.is_empty() && !name.contains('*') {
        return Err(index_template_missing(name));
    }
    for t in doomed {
        state.metadata.index_templates.remove(&t);
    }
    Ok(())
}

pub fn put_component_template(
    state: &mut ClusterState,
    name: &str,
    template: ComponentTemplate,
    create: bool,
) -> Result<(), EsError> {
    if create && state.metadata.component_templates.contains_key(name) {
        return Err(EsError::illegal_argument(format!(
            "component template [{name}] already exists"
        )));
    }
    state
        .metadata
        .component_templates
        .insert(name.to_string(), template);
    Ok(())
}

/// Deletes component templates by name, comma list or pattern; refused while an index template
/// uses one of them.
pub fn delete_component_template(state: &mut ClusterState, name: &str) -> Result<(), EsError> {
    let mut doomed = Vec::new();
    for part in name.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let matched: Vec<String> = state
            .metadata
            .component_templates
            .keys()
            .filter(|k| *k == part || (part.contains('*') && simple_match(part, k)))
            .cloned()
            .collect();
        if matched.is_empty() && !part.contains('*') {
            return Err(EsError::resource_not_found(part.to_string())
                .with("resource.type", "component_template"));
        }
        doomed.extend(matched);
    }
    let users: Vec<String> = state
        .metadata
        .index_templates
        .iter()
        .filter(|(_, t)| t.composed_of.iter().any(|c| doomed.contains(c)))
        .map(|(n, _)| n.clone())
        .collect();
    if !users.is_empty() {
        let used: Vec<String> = doomed
            .iter()
            .filter(|c| {
                state
                    .metadata
                    .index_templates
                    .values()
                    .any(|t| t.composed_of.contains(c))
            })
            .cloned()
            .collect();
        return Err(EsError::illegal_argument(format!(
            "component templates [{}] cannot be removed as they are still in use by index templates [{}]",
            used.join(", "),
            users.join(", ")
        )));
    }
    for c in doomed {
        state.metadata.component_templates.remove(&c);
    }
    Ok(())
}

/// Top-level namespaces of cluster-scoped settings Quarry accepts.
const CLUSTER_SETTING_PREFIXES: &[&str] = &[
    "cluster.",
    "indices.",
    "search.",
    "action.",
    "logger.",
    "xpack.",
    "ingest.",
    "script.",
    "transport.",
    "http.",
    "persistent_tasks.",
    "snapshot.",
    "repositories.",
    "discovery.",
    "gateway.",
    "network.",
    "thread_pool.",
    "bootstrap.",
];

fn check_cluster_settings(settings: &Settings, scope: &str) -> Result<(), EsError> {
    for key in settings.0.keys() {
        if !CLUSTER_SETTING_PREFIXES.iter().any(|p| key.starts_with(p)) {
            return Err(EsError::illegal_argument(format!(
                "{scope} setting [{key}], not recognized"
            )));
        }
    }
    Ok(())
}

/// `PUT _cluster/settings`: null values reset a key.
pub fn update_cluster_settings(
    state: &mut ClusterState,
    persistent: &Settings,
    transient: &Settings,
) -> Result<(), EsError> {
    check_cluster_settings(persistent, "persistent")?;
    check_cluster_settings(transient, "transient")?;
    crate::allocation::allocation_settings::check_allocation_settings(persistent)?;
    crate::allocation::allocation_settings::check_allocation_settings(transient)?;
    state
        .metadata
        .persistent_settings
        .merge(&stringify(persistent));
    state
        .metadata
        .transient_settings
        .merge(&stringify(transient));
    Ok(())
}

fn stringify(settings: &Settings) -> Settings {
    let mut out = Settings::new();
    for (k, v) in &settings.0 {
        let v = if v.is_null() {
            v.clone()
        } else {
            quarry_types::settings::value_as_setting_string(v)
                .map(serde_json::Value::String)
                .unwrap_or_else(|| v.clone())
        };
        out.insert(k.clone(), v);
    }
    out
}

#[cfg(test)]
#[path = "apply_templates_test.rs"]
mod apply_templates_test;
