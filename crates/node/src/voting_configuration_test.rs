use super::*;
use quarry_cluster::{apply, ApplyContext, VotingConfigExclusion};
use quarry_types::NodeId;

fn node(id: &str, master: bool) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(id.into()),
        name: format!("name-{id}"),
        ephemeral_id: format!("e-{id}"),
        transport_address: format!("{id}:9300"),
        http_address: String::new(),
        roles: if master {
            ["master", "data"].iter().map(|s| s.to_string()).collect()
        } else {
            ["data"].iter().map(|s| s.to_string()).collect()
        },
        attributes: Default::default(),
    }
}

fn state(nodes: &[DiscoveryNode]) -> ClusterState {
    let mut s = ClusterState::new("c", "u");
    for (i, n) in nodes.iter().enumerate() {
        s = apply(
            &s,
            ClusterCommand::AddNode(n.clone()),
            &mut ApplyContext::seeded(0, format!("add-{i}")),
        )
        .expect("node added");
    }
    s
}

fn raft(ids: &[&str]) -> BTreeSet<RaftNodeId> {
    ids.iter().map(|id| raft_id_for(id)).collect()
}

#[test]
fn desired_voters_counts_master_eligible_nodes_and_the_joining_one() {
    let s = state(&[node("a", true), node("b", true), node("d", false)]);
    let master = raft_id_for("a");
    // a and b: two master-eligible nodes give a one-node configuration (the master).
    assert_eq!(
        desired_voters(&s, master, &raft(&["a"]), None),
        raft(&["a"])
    );
    // c joins: three voters.
    let c = node("c", true);
    assert_eq!(
        desired_voters(&s, master, &raft(&["a"]), Some(&c)),
        raft(&["a", "b", "c"])
    );
    // A data node joining changes nothing.
    assert_eq!(
        desired_voters(&s, master, &raft(&["a"]), Some(&node("e", false))),
        raft(&["a"])
    );
}

#[test]
fn desired_voters_drops_excluded_nodes_and_honours_auto_shrink() {
    let five = ["a", "b", "c", "d", "e"];
    let nodes: Vec<DiscoveryNode> = five.iter().map(|id| node(id, true)).collect();
    let s = state(&nodes);
    let master = raft_id_for("a");
    let s = apply(
        &s,
        ClusterCommand::AddVotingConfigExclusions(vec![
            VotingConfigExclusion::new("d", "name-d"),
            VotingConfigExclusion::new("_absent_", "name-unknown"),
            VotingConfigExclusion::new("e", "name-e"),
        ]),
        &mut ApplyContext::seeded(0, "x"),
    )
    .expect("exclusions added");
    assert_eq!(
        desired_voters(&s, master, &raft(&five), None),
        raft(&["a", "b", "c"])
    );

    // Two of five voters left the cluster: auto-shrink gives the three live ones, without
    // it the five stay.
    let s = state(&nodes[..3]);
    assert_eq!(
        desired_voters(&s, master, &raft(&five), None),
        raft(&["a", "b", "c"])
    );
    let s = apply(
        &s,
        ClusterCommand::UpdateClusterSettings {
            persistent: quarry_types::Settings::from_json(
                &serde_json::json!({"cluster.auto_shrink_voting_configuration": false}),
            )
            .expect("settings"),
            transient: Default::default(),
        },
        &mut ApplyContext::seeded(0, "y"),
    )
    .expect("settings applied");
    assert_eq!(desired_voters(&s, master, &raft(&five), None), raft(&five));
}

#[test]
fn the_record_names_voters_by_node_id_once_all_are_known() {
    let s = state(&[node("a", true), node("b", true)]);
    let voters = raft(&["a", "b", "z"]);
    assert_eq!(
        voting_configuration_record(&s, 2, &voters, &BTreeSet::new()),
        None,
        "z is unknown"
    );
    let known: BTreeSet<String> = ["z".to_string()].into();
    let record = voting_configuration_record(&s, 2, &voters, &known).expect("a record");
    let expected = vec!["a".to_string(), "b".to_string(), "z".to_string()];
    assert_eq!(
        record,
        ClusterCommand::SetVotingConfiguration {
            term: 2,
            committed: expected.clone(),
            accepted: expected,
        }
    );
    let s = apply(&s, record, &mut ApplyContext::seeded(0, "r")).expect("recorded");
    // Recorded: nothing more to propose, and z is now known from the record itself.
    assert_eq!(
        voting_configuration_record(&s, 2, &voters, &BTreeSet::new()),
        None
    );
    assert!(voting_configuration_record(&s, 3, &voters, &BTreeSet::new()).is_some());
}
