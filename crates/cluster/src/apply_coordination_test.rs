//! `apply` for the coordination metadata: recorded voting configurations and exclusions.

use super::*;
use crate::coordination_metadata::VotingConfigExclusion;
use crate::test_support::*;

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn set_voting_configuration_records_sorted_configs_and_ignores_older_terms() {
    let s = cluster(&["n1"]);
    let s1 = run(
        &s,
        ClusterCommand::SetVotingConfiguration {
            term: 3,
            committed: ids(&["b", "a", "b"]),
            accepted: ids(&["c", "a"]),
        },
    );
    let c = &s1.metadata.coordination;
    assert_eq!(c.term, 3);
    assert_eq!(c.last_committed_config, ids(&["a", "b"]));
    assert_eq!(c.last_accepted_config, ids(&["a", "c"]));
    assert_eq!(s1.version, s.version + 1);
    let stale = run(
        &s1,
        ClusterCommand::SetVotingConfiguration {
            term: 2,
            committed: ids(&["x"]),
            accepted: ids(&["x"]),
        },
    );
    assert_eq!(stale, s1);
    // The same record again changes nothing, not even the version.
    let again = run(
        &s1,
        ClusterCommand::SetVotingConfiguration {
            term: 3,
            committed: ids(&["a", "b"]),
            accepted: ids(&["c", "a"]),
        },
    );
    assert_eq!(again.version, s1.version);
}

#[test]
fn exclusions_are_added_once_in_order_and_cleared() {
    let s = cluster(&["n1"]);
    let a = VotingConfigExclusion::new("id-a", "a");
    let b = VotingConfigExclusion::new("_absent_", "b");
    let s1 = run(
        &s,
        ClusterCommand::AddVotingConfigExclusions(vec![a.clone(), b.clone(), a.clone()]),
    );
    assert_eq!(
        s1.metadata.coordination.voting_config_exclusions,
        vec![a.clone(), b.clone()]
    );
    let s2 = run(
        &s1,
        ClusterCommand::AddVotingConfigExclusions(vec![b.clone()]),
    );
    assert_eq!(s2.version, s1.version, "nothing new to add");
    let s3 = run(&s2, ClusterCommand::ClearVotingConfigExclusions);
    assert!(s3.metadata.coordination.voting_config_exclusions.is_empty());
    assert_eq!(s3.version, s2.version + 1);
    s3.validate().unwrap();
}

#[test]
fn an_exclusion_naming_nothing_is_rejected() {
    let s = cluster(&["n1"]);
    let e = apply(
        &s,
        ClusterCommand::AddVotingConfigExclusions(vec![VotingConfigExclusion::new(
            "_absent_", "_absent_",
        )]),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
}

#[test]
fn coordination_metadata_renders_as_elasticsearch_and_old_states_still_parse() {
    let s = run(
        &cluster(&["n1"]),
        ClusterCommand::AddVotingConfigExclusions(vec![VotingConfigExclusion::new("x", "y")]),
    );
    assert_eq!(
        s.to_json()["metadata"]["cluster_coordination"],
        serde_json::json!({
            "term": 0,
            "last_committed_config": [],
            "last_accepted_config": [],
            "voting_config_exclusions": [{"node_id": "x", "node_name": "y"}],
        })
    );
    // A state persisted before the coordination metadata existed.
    let mut old = serde_json::to_value(cluster(&["n1"])).unwrap();
    old["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("coordination");
    let parsed: ClusterState = serde_json::from_value(old).unwrap();
    assert_eq!(parsed.metadata.coordination, Default::default());
}
