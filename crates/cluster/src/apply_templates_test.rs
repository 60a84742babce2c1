use super::*;
use crate::test_support::*;
use crate::{apply, ClusterCommand};
use serde_json::json;

fn put(name: &str, body: serde_json::Value, create: bool) -> ClusterCommand {
    ClusterCommand::PutIndexTemplate {
        name: name.into(),
        template: ComposableIndexTemplate::parse(&body).unwrap(),
        create,
    }
}

#[test]
fn same_priority_overlap_is_refused_with_elasticsearch_message() {
    let s = run(
        &cluster(&["n1"]),
        put("a", json!({"index_patterns": ["x*"]}), false),
    );
    let e = apply(
        &s,
        put("b", json!({"index_patterns": ["x*"]}), false),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "index template [b] has index patterns [x*] matching patterns from existing templates [a] with patterns (a => [x*]) that have the same priority [0], multiple index templates may not match during index creation, please use a different priority"
    );
    let s = run(
        &s,
        put("b", json!({"index_patterns": ["x*"], "priority": 1}), false),
    );
    assert_eq!(s.metadata.index_templates.len(), 2);
    let e = apply(
        &s,
        put("b", json!({"index_patterns": ["y*"]}), true),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(e.reason, "index template [b] already exists");
}

#[test]
fn missing_components_and_deletion_rules() {
    let s = cluster(&["n1"]);
    let e = apply(
        &s,
        put(
            "t",
            json!({"index_patterns": ["x*"], "composed_of": ["c"]}),
            false,
        ),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "index template [t] specifies component templates [c] that do not exist"
    );
    let comp = ComponentTemplate::parse(&json!({"template": {}})).unwrap();
    let s = run(
        &s,
        ClusterCommand::PutComponentTemplate {
            name: "c".into(),
            template: comp,
            create: false,
        },
    );
    let s = run(
        &s,
        put(
            "t",
            json!({"index_patterns": ["x*"], "composed_of": ["c"]}),
            false,
        ),
    );
    let e = apply(
        &s,
        ClusterCommand::DeleteComponentTemplate("c".into()),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "component templates [c] cannot be removed as they are still in use by index templates [t]"
    );
    let e = apply(
        &s,
        ClusterCommand::DeleteIndexTemplate("nope".into()),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(
        (e.status, e.reason.as_str()),
        (404, "index_template [nope] missing")
    );
    let s = run(&s, ClusterCommand::DeleteIndexTemplate("t".into()));
    let s = run(&s, ClusterCommand::DeleteComponentTemplate("c".into()));
    assert!(s.metadata.index_templates.is_empty() && s.metadata.component_templates.is_empty());
}

#[test]
fn cluster_settings_update_and_reset() {
    let s = cluster(&["n1"]);
    let cmd = |p: serde_json::Value, t: serde_json::Value| ClusterCommand::UpdateClusterSettings {
        persistent: Settings::from_json(&p).unwrap(),
        transient: Settings::from_json(&t).unwrap(),
    };
    let s = run(
        &s,
        cmd(
            json!({"cluster": {"routing": {"allocation": {"enable": "primaries"}}}}),
            json!({"indices.recovery.max_bytes_per_sec": "50mb"}),
        ),
    );
    assert_eq!(
        s.metadata
            .cluster_setting("cluster.routing.allocation.enable")
            .as_deref(),
        Some("primaries")
    );
    assert_eq!(
        s.metadata
            .transient_settings
            .get_str("indices.recovery.max_bytes_per_sec")
            .as_deref(),
        Some("50mb")
    );
    let s = run(
        &s,
        cmd(
            json!({"cluster.routing.allocation.enable": null}),
            json!({}),
        ),
    );
    assert!(s
        .metadata
        .cluster_setting("cluster.routing.allocation.enable")
        .is_none());
    let e = apply(&s, cmd(json!({"bogus.key": 1}), json!({})), &mut ctx()).unwrap_err();
    assert_eq!(e.reason, "persistent setting [bogus.key], not recognized");
}
