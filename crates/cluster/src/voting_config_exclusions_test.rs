use super::*;
use crate::test_support::*;
use crate::ClusterCommand;

fn request(ids: &[&str], names: &[&str]) -> Result<AddVotingConfigExclusionsRequest, EsError> {
    AddVotingConfigExclusionsRequest::new(
        ids.iter().map(|s| s.to_string()).collect(),
        names.iter().map(|s| s.to_string()).collect(),
    )
}

fn state() -> ClusterState {
    let s = cluster(&["m1", "m2"]);
    run(&s, ClusterCommand::AddNode(node("d1", &["data"])))
}

#[test]
fn exactly_one_of_ids_and_names() {
    for (ids, names) in [(&[][..], &[][..]), (&["a"][..], &["b"][..])] {
        let e = request(ids, names).unwrap_err();
        assert_eq!(e.error_type, "illegal_argument_exception");
        assert_eq!(
            e.reason,
            "You must set [node_names] or [node_ids] but not both"
        );
    }
    assert!(request(&["a"], &[]).is_ok());
    assert!(request(&[], &["a"]).is_ok());
}

#[test]
fn known_master_eligible_nodes_by_id_or_name_unknown_ones_with_absent_marker() {
    let s = state();
    let by_id = request(&["m1", "d1", "ghost", "m1"], &[])
        .unwrap()
        .resolve(&s);
    assert_eq!(
        by_id,
        vec![
            VotingConfigExclusion::new("m1", "m1"),
            VotingConfigExclusion::new("ghost", "_absent_"),
        ]
    );
    let by_name = request(&[], &["m2", "phantom"]).unwrap().resolve(&s);
    assert_eq!(
        by_name,
        vec![
            VotingConfigExclusion::new("m2", "m2"),
            VotingConfigExclusion::new("_absent_", "phantom"),
        ]
    );
}

#[test]
fn existing_exclusions_are_not_added_twice_and_the_maximum_is_enforced() {
    let s = run(
        &state(),
        ClusterCommand::AddVotingConfigExclusions(vec![VotingConfigExclusion::new("m1", "m1")]),
    );
    let r = request(&["m1", "m2"], &[]).unwrap();
    assert_eq!(
        r.resolve_and_check_maximum(&s, 2).unwrap(),
        vec![VotingConfigExclusion::new("m2", "m2")]
    );
    let e = r.resolve_and_check_maximum(&s, 1).unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(
        e.reason,
        "add voting config exclusions request for nodes with ids [m1, m2] would add [1] exclusions to the existing [1] which would exceed the maximum of [1] set by [cluster.max_voting_config_exclusions]"
    );
    let e = request(&[], &["a", "b"])
        .unwrap()
        .resolve_and_check_maximum(&s, 2)
        .unwrap_err();
    assert!(
        e.reason.starts_with(
            "add voting config exclusions request for nodes named [a, b] would add [2]"
        ),
        "{}",
        e.reason
    );
}

#[test]
fn maximum_comes_from_cluster_settings_then_node_settings_then_default() {
    let mut s = state();
    assert_eq!(max_voting_config_exclusions(&s, None).unwrap(), 10);
    assert_eq!(max_voting_config_exclusions(&s, Some("4")).unwrap(), 4);
    s.metadata
        .persistent_settings
        .insert(MAX_VOTING_CONFIG_EXCLUSIONS, "2".into());
    assert_eq!(max_voting_config_exclusions(&s, Some("4")).unwrap(), 2);
    s.metadata
        .transient_settings
        .insert(MAX_VOTING_CONFIG_EXCLUSIONS, "0".into());
    assert!(max_voting_config_exclusions(&s, None).is_err());
}
