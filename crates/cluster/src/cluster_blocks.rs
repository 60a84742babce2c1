//! The `blocks` section of `GET _cluster/state` (Elasticsearch's `ClusterBlocks`): the blocks
//! that index settings (`index.blocks.*`), a closed index and the cluster settings
//! (`cluster.blocks.*`) put in place, with Elasticsearch's ids, descriptions and levels.
//!
//! Pure rendering over the state; owns no state and enforces nothing (the write and read paths
//! check the same settings).

use crate::cluster_state::ClusterState;
use serde_json::{json, Map, Value};

/// (setting, id, description, levels) of the blocks settings create.
const INDEX_BLOCKS: &[(&str, u32, &str, &[&str])] = &[
    (
        "index.blocks.read_only",
        5,
        "index read-only (api)",
        &["write", "metadata_write"],
    ),
    ("index.blocks.read", 7, "index read (api)", &["read"]),
    ("index.blocks.write", 8, "index write (api)", &["write"]),
    (
        "index.blocks.metadata",
        9,
        "index metadata (api)",
        &["metadata_read", "metadata_write"],
    ),
    (
        "index.blocks.read_only_allow_delete",
        12,
        "disk usage exceeded flood-stage watermark, index has read-only-allow-delete block",
        &["write", "metadata_write"],
    ),
];

const CLUSTER_BLOCKS: &[(&str, u32, &str, &[&str])] = &[
    (
        "cluster.blocks.read_only",
        6,
        "cluster read-only (api)",
        &["write", "metadata_write"],
    ),
    (
        "cluster.blocks.read_only_allow_delete",
        13,
        "cluster read-only / allow delete (api)",
        &["write", "metadata_write"],
    ),
];

/// The block that stops writes to `meta`, as Elasticsearch reports it in a
/// `cluster_block_exception`: `index [x] blocked by: [STATUS/id/description];` and its HTTP
/// status (429 for the flood-stage block, which clears by itself; 403 otherwise).
pub fn index_write_block(meta: &crate::IndexMetadata) -> Option<(String, u16)> {
    let (id, description, status, name) = INDEX_BLOCKS
        .iter()
        .filter(|(_, _, _, levels)| levels.contains(&"write"))
        .filter(|(key, ..)| is_true(meta.settings.get_str(key)))
        .map(|(key, id, description, _)| {
            if *key == "index.blocks.read_only_allow_delete" {
                (*id, *description, 429, "TOO_MANY_REQUESTS")
            } else {
                (*id, *description, 403, "FORBIDDEN")
            }
        })
        .next()?;
    Some((
        format!(
            "index [{}] blocked by: [{name}/{id}/{description}];",
            meta.name
        ),
        status,
    ))
}

fn block(id: u32, description: &str, levels: &[&str]) -> (String, Value) {
    (
        id.to_string(),
        json!({"description": description, "retryable": false, "levels": levels}),
    )
}

fn is_true(value: Option<String>) -> bool {
    value.is_some_and(|v| v == "true")
}

/// The `blocks` object for the given indices (all when `indices` is `None`).
pub fn blocks_json(state: &ClusterState, indices: Option<&[String]>) -> Value {
    let mut out = Map::new();
    let global: Map<String, Value> = CLUSTER_BLOCKS
        .iter()
        .filter(|(key, ..)| is_true(state.metadata.cluster_setting(key)))
        .map(|(_, id, description, levels)| block(*id, description, levels))
        .collect();
    if !global.is_empty() {
        out.insert("global".into(), Value::Object(global));
    }
    let mut per_index = Map::new();
    for (name, meta) in &state.metadata.indices {
        if indices.is_some_and(|wanted| !wanted.contains(name)) {
            continue;
        }
        let mut blocks: Map<String, Value> = INDEX_BLOCKS
            .iter()
            .filter(|(key, ..)| is_true(meta.settings.get_str(key)))
            .map(|(_, id, description, levels)| block(*id, description, levels))
            .collect();
        if !meta.is_open() {
            let (id, value) = block(4, "index closed", &["read", "write"]);
            blocks.insert(id, value);
        }
        if !blocks.is_empty() {
            per_index.insert(name.clone(), Value::Object(blocks));
        }
    }
    if !per_index.is_empty() {
        out.insert("indices".into(), Value::Object(per_index));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{cluster, create, run};
    use crate::ClusterCommand;
    use quarry_types::Settings;

    #[test]
    fn index_settings_and_closed_indices_show_as_blocks() {
        let s = create(&create(&cluster(&["n1"]), "a", 1, 0), "b", 1, 0);
        assert_eq!(blocks_json(&s, None), json!({}));
        let s = run(
            &s,
            ClusterCommand::UpdateIndexSettings {
                indices: vec!["a".into()],
                settings: Settings::from_json(
                    &json!({"index.blocks.read_only_allow_delete": true}),
                )
                .unwrap(),
                preserve_existing: false,
            },
        );
        let s = run(
            &s,
            ClusterCommand::UpdateIndexSettings {
                indices: vec!["b".into()],
                settings: Settings::from_json(&json!({"index.blocks.write": "true"})).unwrap(),
                preserve_existing: false,
            },
        );
        let (reason, status) = index_write_block(s.index("b").unwrap()).unwrap();
        assert_eq!(
            (reason.as_str(), status),
            (
                "index [b] blocked by: [FORBIDDEN/8/index write (api)];",
                403
            )
        );
        let s = run(&s, ClusterCommand::CloseIndices(vec!["b".into()]));
        let v = blocks_json(&s, None);
        assert_eq!(
            v["indices"]["a"]["12"]["levels"],
            json!(["write", "metadata_write"])
        );
        assert_eq!(v["indices"]["b"]["8"]["description"], "index write (api)");
        assert_eq!(v["indices"]["b"]["4"]["description"], "index closed");
        let (reason, status) = index_write_block(s.index("a").unwrap()).unwrap();
        assert_eq!(status, 429);
        assert_eq!(reason, "index [a] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];");
        let only_b = blocks_json(&s, Some(&["b".to_string()]));
        assert!(only_b["indices"].get("a").is_none());
    }
}
