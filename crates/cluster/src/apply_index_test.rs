use super::*;
use crate::test_support::*;
use crate::{apply, ClusterCommand};
use serde_json::json;

fn try_run(s: &ClusterState, cmd: ClusterCommand) -> Result<ClusterState, EsError> {
    apply(s, cmd, &mut ctx())
}

#[test]
fn create_records_settings_mapping_and_aliases() {
    let s = cluster(&["n1"]);
    let cmd = ClusterCommand::CreateIndex {
        name: "logs".into(),
        uuid: "U1".into(),
        settings: Settings::from_json(&json!({"number_of_shards": 3, "refresh_interval": "5s"}))
            .unwrap(),
        mappings: Some(json!({"properties": {"msg": {"type": "text"}}})),
        aliases: Some(json!({"l": {}, "w": {"is_write_index": true, "routing": "7"}})),
        creation_date: 99,
    };
    let s = run(&s, cmd);
    let m = s.index("logs").unwrap();
    assert_eq!(
        (
            m.number_of_shards,
            m.number_of_replicas,
            m.routing_num_shards
        ),
        (3, 1, 768)
    );
    assert_eq!(m.settings.get_str("index.uuid").as_deref(), Some("U1"));
    assert_eq!(
        m.settings.get_str("index.refresh_interval").as_deref(),
        Some("5s")
    );
    assert!(m.mapping.field("msg").is_some());
    assert_eq!(m.aliases["w"].index_routing.as_deref(), Some("7"));
    assert_eq!(m.aliases["w"].search_routing.as_deref(), Some("7"));
    assert_eq!(m.aliases["w"].is_write_index, Some(true));
    assert_eq!(m.version, 1, "a new index starts at version 1");
    assert_eq!(m.primary_terms, vec![1, 1, 1]);
}

#[test]
fn create_rejects_duplicates_and_alias_clashes() {
    let s = create(&cluster(&["n1"]), "logs", 1, 0);
    let e = try_run(&s, create_cmd("logs", json!({}))).unwrap_err();
    assert_eq!(e.error_type, "resource_already_exists_exception");
    assert_eq!(e.reason, "index [logs/logs-uuid] already exists");
    let cmd = ClusterCommand::CreateIndex {
        name: "b".into(),
        uuid: "b".into(),
        settings: Settings::new(),
        mappings: None,
        aliases: Some(json!({"shared": {}})),
        creation_date: 0,
    };
    let s = run(&s, cmd);
    let e = try_run(&s, create_cmd("shared", json!({}))).unwrap_err();
    assert_eq!(
        e.reason,
        "Invalid index name [shared], already exists as alias"
    );
    let e = try_run(&s, create_cmd("Bad", json!({}))).unwrap_err();
    assert_eq!(e.reason, "Invalid index name [Bad], must be lowercase");
    let e = try_run(&s, create_cmd("x", json!({"index.number_of_shards": 0}))).unwrap_err();
    assert_eq!(
        e.reason,
        "Failed to parse value [0] for setting [index.number_of_shards] must be >= 1"
    );
}

#[test]
fn create_applies_matching_template_under_the_request() {
    let s = cluster(&["n1"]);
    let component = crate::ComponentTemplate::parse(&json!({"template": {
        "settings": {"number_of_shards": 2},
        "mappings": {"properties": {"a": {"type": "keyword"}}}
    }}))
    .unwrap();
    let s = run(
        &s,
        ClusterCommand::PutComponentTemplate {
            name: "c".into(),
            template: component,
            create: false,
        },
    );
    let template = crate::ComposableIndexTemplate::parse(&json!({
        "index_patterns": ["logs-*"], "composed_of": ["c"],
        "template": {"settings": {"number_of_replicas": 0}, "mappings": {"properties": {"b": {"type": "long"}}},
                     "aliases": {"all-logs": {}}}
    }))
    .unwrap();
    let s = run(
        &s,
        ClusterCommand::PutIndexTemplate {
            name: "t".into(),
            template,
            create: true,
        },
    );
    let cmd = ClusterCommand::CreateIndex {
        name: "logs-1".into(),
        uuid: "u".into(),
        settings: Settings::from_json(&json!({"number_of_replicas": 2})).unwrap(),
        mappings: Some(json!({"properties": {"c": {"type": "text"}}})),
        aliases: None,
        creation_date: 0,
    };
    let s = run(&s, cmd);
    let m = s.index("logs-1").unwrap();
    assert_eq!(m.number_of_shards, 2);
    assert_eq!(
        m.number_of_replicas, 2,
        "request settings win over the template"
    );
    for f in ["a", "b", "c"] {
        assert!(m.mapping.field(f).is_some(), "{f}");
    }
    assert!(m.aliases.contains_key("all-logs"));
    let s = create(&s, "other", 1, 0);
    assert!(s.index("other").unwrap().aliases.is_empty());
}

#[test]
fn put_mapping_merges_and_conflicts_are_atomic() {
    let s = create(&create(&cluster(&["n1"]), "a", 1, 0), "b", 1, 0);
    let m = Mapping::parse(&json!({"properties": {"f": {"type": "keyword"}}})).unwrap();
    let s = run(
        &s,
        ClusterCommand::PutMapping {
            indices: vec!["a".into(), "b".into()],
            mapping: m,
        },
    );
    assert_eq!(s.index("a").unwrap().mapping_version, 2);
    let conflict = Mapping::parse(&json!({"properties": {"f": {"type": "long"}}})).unwrap();
    assert!(try_run(
        &s,
        ClusterCommand::PutMapping {
            indices: vec!["a".into()],
            mapping: conflict
        }
    )
    .is_err());
    let e = try_run(
        &s,
        ClusterCommand::PutMapping {
            indices: vec!["zz".into()],
            mapping: Mapping::default(),
        },
    )
    .unwrap_err();
    assert_eq!(e.error_type, "index_not_found_exception");
}

#[test]
fn update_settings_changes_replicas_and_respects_kinds() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 0));
    let upd = |v| ClusterCommand::UpdateIndexSettings {
        indices: vec!["logs".into()],
        settings: Settings::from_json(&v).unwrap(),
        preserve_existing: false,
    };
    let s2 = run(&s, upd(json!({"index": {"number_of_replicas": 1}})));
    let m = s2.index("logs").unwrap();
    assert_eq!(m.number_of_replicas, 1);
    assert_eq!(m.settings_version, 2);
    let copies = &s2.routing_table.index("logs").unwrap().shards[&0];
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().any(|c| !c.primary && c.initializing()));
    let e = try_run(&s2, upd(json!({"index.codec": "best_compression"}))).unwrap_err();
    assert_eq!(
        e.reason,
        "Can't update non dynamic settings [[index.codec]] for open indices [[logs/logs-uuid]]"
    );
    let closed = run(&s2, ClusterCommand::CloseIndices(vec!["logs".into()]));
    let closed = run(&closed, upd(json!({"index.codec": "best_compression"})));
    assert_eq!(
        closed
            .index("logs")
            .unwrap()
            .settings
            .get_str("index.codec")
            .as_deref(),
        Some("best_compression")
    );
    let s3 = run(&s2, upd(json!({"index.number_of_replicas": 0})));
    assert_eq!(s3.routing_table.index("logs").unwrap().shards[&0].len(), 1);
    let preserve = ClusterCommand::UpdateIndexSettings {
        indices: vec!["logs".into()],
        settings: Settings::from_json(
            &json!({"index.number_of_replicas": 0, "index.refresh_interval": "9s"}),
        )
        .unwrap(),
        preserve_existing: true,
    };
    let s4 = run(&s2, preserve);
    assert_eq!(s4.index("logs").unwrap().number_of_replicas, 1);
    assert_eq!(
        s4.index("logs")
            .unwrap()
            .settings
            .get_str("index.refresh_interval")
            .as_deref(),
        Some("9s")
    );
}

#[test]
fn close_open_and_delete() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let closed = run(&s, ClusterCommand::CloseIndices(vec!["logs".into()]));
    assert_eq!(closed.index("logs").unwrap().state, IndexState::Close);
    assert!(
        closed.routing_table.index("logs").is_some(),
        "closed indices keep their copies"
    );
    let opened = run(&closed, ClusterCommand::OpenIndices(vec!["logs".into()]));
    assert!(opened.index("logs").unwrap().is_open());
    let gone = run(&opened, ClusterCommand::DeleteIndices(vec!["logs".into()]));
    assert!(gone.index("logs").is_none() && gone.routing_table.index("logs").is_none());
    let e = try_run(&gone, ClusterCommand::DeleteIndices(vec!["logs".into()])).unwrap_err();
    assert_eq!(e.reason, "no such index [logs]");
}
