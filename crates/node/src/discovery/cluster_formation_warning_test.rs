use super::cluster_bootstrap::VotingConfiguration;
use super::cluster_formation_warning::*;
use quarry_cluster::DiscoveryNode;
use quarry_types::NodeId;

fn node(name: &str, master: bool) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("id-{name}")),
        name: name.into(),
        ephemeral_id: "e".into(),
        transport_address: format!("10.0.0.{}:9300", name.trim_start_matches('n')),
        http_address: String::new(),
        roles: if master {
            ["master", "data"].iter().map(|s| s.to_string()).collect()
        } else {
            ["data"].iter().map(|s| s.to_string()).collect()
        },
        attributes: Default::default(),
    }
}

fn state<'a>(
    local: &'a DiscoveryNode,
    found: &'a [DiscoveryNode],
    initial: &'a [String],
    accepted: &'a VotingConfiguration,
    committed: &'a VotingConfiguration,
    resolved: &'a [String],
) -> ClusterFormationState<'a> {
    ClusterFormationState {
        initial_master_nodes: initial,
        local_node: local,
        last_accepted_master_nodes: &[],
        last_accepted_configuration: accepted,
        last_committed_configuration: committed,
        resolved_addresses: resolved,
        found_peers: found,
        current_term: 3,
        last_accepted_term: 2,
        last_accepted_version: 7,
    }
}

#[test]
fn empty_initial_master_nodes_is_named() {
    let local = node("n1", true);
    let empty = VotingConfiguration::default();
    let resolved = vec!["10.0.0.2:9300".to_string()];
    let text =
        describe_cluster_formation_failure(&state(&local, &[], &[], &empty, &empty, &resolved));
    assert_eq!(
        text,
        "master not discovered yet, this node has not previously joined a bootstrapped cluster, and \
         [cluster.initial_master_nodes] is empty on this node: have discovered [{n1}{id-n1}{10.0.0.1:9300}{dm}]; \
         discovery will continue using [10.0.0.2:9300] from hosts providers and [] from last-known cluster state; \
         node term 3, last-accepted version 7 in term 2"
    );
}

#[test]
fn bootstrap_requirements_say_how_many_are_missing() {
    let local = node("n1", true);
    let empty = VotingConfiguration::default();
    let initial: Vec<String> = ["n1", "n2", "n3", "n4", "n5"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = [node("n2", true)];
    let text =
        describe_cluster_formation_failure(&state(&local, &found, &initial, &empty, &empty, &[]));
    assert!(text.contains(
        "this node must discover master-eligible nodes [n1, n2, n3, n4, n5] to bootstrap a cluster \
         (a quorum of 3; 1 more needed from [n3, n4, n5]): have discovered [{n1}"
    ), "{text}");
    assert!(text.contains("{n2}{id-n2}"), "{text}");
}

#[test]
fn election_quorum_is_described_from_the_voting_configuration() {
    let local = node("n1", true);
    let config = VotingConfiguration::new(["id-n1", "id-n2", "id-n3"]);
    let text = describe_cluster_formation_failure(&state(&local, &[], &[], &config, &config, &[]));
    assert!(text.starts_with(
        "master not discovered or elected yet, an election requires at least 2 nodes with ids from \
         [id-n1, id-n2, id-n3], have only discovered non-quorum (1 more needed) [{n1}"
    ), "{text}");
    let found = [node("n3", true)];
    let text =
        describe_cluster_formation_failure(&state(&local, &found, &[], &config, &config, &[]));
    assert!(text.contains("have discovered possible quorum"), "{text}");
}

#[test]
fn joint_configurations_are_both_described() {
    let local = node("n1", true);
    let accepted = VotingConfiguration::new(["id-n1", "id-n2"]);
    let committed = VotingConfiguration::new(["id-n1"]);
    let text =
        describe_cluster_formation_failure(&state(&local, &[], &[], &accepted, &committed, &[]));
    assert!(
        text.contains("requires two nodes with ids [id-n1, id-n2] and a node with id [id-n1]"),
        "{text}"
    );
}

#[test]
fn non_master_node_only_lists_what_it_found() {
    let local = node("n9", false);
    let empty = VotingConfiguration::default();
    let text = describe_cluster_formation_failure(&state(&local, &[], &[], &empty, &empty, &[]));
    assert!(
        text.starts_with(
            "master not discovered yet: have discovered [{n9}{id-n9}{10.0.0.9:9300}{d}]"
        ),
        "{text}"
    );
}

#[test]
fn placeholders_are_not_listed_as_ids() {
    let config = VotingConfiguration::new(["id-n1", "id-n2", "{bootstrap-placeholder}-n3"]);
    assert_eq!(describe_quorum(&config), "2 nodes with ids [id-n1, id-n2]");
}
