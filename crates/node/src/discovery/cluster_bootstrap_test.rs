use super::cluster_bootstrap::*;
use quarry_cluster::DiscoveryNode;
use quarry_types::NodeId;
use std::collections::BTreeSet;

fn node(n: usize) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("id-{n}")),
        name: format!("n{n}"),
        ephemeral_id: String::new(),
        transport_address: format!("10.0.0.{n}:9300"),
        http_address: String::new(),
        roles: ["master", "data"].iter().map(|s| s.to_string()).collect(),
        attributes: Default::default(),
    }
}

fn list(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|s| s.to_string()).collect()
}

fn peer(n: usize, initial: &[&str]) -> DiscoveredPeer {
    DiscoveredPeer {
        node: node(n),
        initial_master_nodes: list(initial),
        cluster_uuid: None,
    }
}

fn decide(local: usize, initial: &[&str], discovered: &[DiscoveredPeer]) -> BootstrapDecision {
    let settings = BootstrapSettings {
        single_node: false,
        initial_master_nodes: list(initial),
    };
    let local = node(local);
    decide_bootstrap(BootstrapInput {
        settings: &settings,
        local_node: &local,
        already_bootstrapped: false,
        discovered,
    })
}

#[test]
fn single_node_bootstraps_alone_at_once() {
    let settings = BootstrapSettings {
        single_node: true,
        initial_master_nodes: vec![],
    };
    let local = node(1);
    let input = BootstrapInput {
        settings: &settings,
        local_node: &local,
        already_bootstrapped: false,
        discovered: &[],
    };
    assert_eq!(
        decide_bootstrap(input),
        BootstrapDecision::Bootstrap(VotingConfiguration::new(["id-1"]))
    );
    let joined = BootstrapInput {
        already_bootstrapped: true,
        ..input
    };
    assert_eq!(
        decide_bootstrap(joined),
        BootstrapDecision::Never(NeverReason::AlreadyBootstrapped)
    );
}

#[test]
fn a_node_that_joined_a_cluster_never_bootstraps() {
    let settings = BootstrapSettings {
        single_node: false,
        initial_master_nodes: list(&["n1"]),
    };
    let local = node(1);
    let decision = decide_bootstrap(BootstrapInput {
        settings: &settings,
        local_node: &local,
        already_bootstrapped: true,
        discovered: &[],
    });
    assert_eq!(
        decision,
        BootstrapDecision::Never(NeverReason::AlreadyBootstrapped)
    );
}

#[test]
fn nodes_that_are_not_master_eligible_or_unlisted_never_bootstrap() {
    let settings = BootstrapSettings {
        single_node: false,
        initial_master_nodes: list(&["n1"]),
    };
    let mut data_only = node(1);
    data_only.roles = ["data"].iter().map(|s| s.to_string()).collect();
    let decision = decide_bootstrap(BootstrapInput {
        settings: &settings,
        local_node: &data_only,
        already_bootstrapped: false,
        discovered: &[],
    });
    assert_eq!(
        decision,
        BootstrapDecision::Never(NeverReason::NotMasterEligible)
    );
    assert_eq!(
        decide(1, &[], &[]),
        BootstrapDecision::Never(NeverReason::NoInitialMasterNodes)
    );
    assert!(matches!(
        decide(1, &["n2", "n3"], &[peer(2, &[])]),
        BootstrapDecision::Never(NeverReason::LocalNodeNotListed(_))
    ));
}

#[test]
fn bootstraps_with_a_quorum_of_the_list_and_placeholders_for_the_rest() {
    let initial = ["n1", "n2", "n3"];
    assert!(matches!(
        decide(1, &initial, &[]),
        BootstrapDecision::Wait(WaitReason::QuorumNotDiscovered { needed: 2, .. })
    ));
    assert_eq!(
        decide(1, &initial, &[peer(2, &initial)]),
        BootstrapDecision::Bootstrap(VotingConfiguration::new([
            "id-1",
            "id-2",
            "{bootstrap-placeholder}-n3"
        ]))
    );
    assert_eq!(
        decide(1, &initial, &[peer(2, &initial), peer(3, &initial)]),
        BootstrapDecision::Bootstrap(VotingConfiguration::new(["id-1", "id-2", "id-3"]))
    );
    // Two of four is not a majority.
    assert!(matches!(
        decide(1, &["n1", "n2", "n3", "n4"], &[peer(2, &[])]),
        BootstrapDecision::Wait(WaitReason::QuorumNotDiscovered { needed: 3, .. })
    ));
}

#[test]
fn entries_match_names_addresses_and_hosts() {
    let initial = ["n1", "10.0.0.2:9300", "10.0.0.3"];
    assert_eq!(
        decide(1, &initial, &[peer(2, &[]), peer(3, &[])]),
        BootstrapDecision::Bootstrap(VotingConfiguration::new(["id-1", "id-2", "id-3"]))
    );
    assert!(matches_requirement(&node(1), "10.0.0.1"));
    let mut v6 = node(1);
    v6.transport_address = "[::1]:9300".into();
    assert!(matches_requirement(&v6, "::1"));
    assert!(matches_requirement(&v6, "[::1]:9300"));
}

#[test]
fn ambiguous_requirements_cancel_bootstrapping() {
    assert!(matches!(
        decide(1, &["n1", "n1"], &[]),
        BootstrapDecision::Never(NeverReason::DuplicateRequirements(_))
    ));
    assert!(matches!(
        decide(1, &["n1", "10.0.0.1"], &[]),
        BootstrapDecision::Never(NeverReason::NodeMatchesMultipleRequirements { .. })
    ));
    let mut same_host = peer(2, &[]);
    same_host.node.transport_address = "10.0.0.1:9301".into();
    assert!(matches!(
        decide(1, &["10.0.0.1", "n3"], &[same_host]),
        BootstrapDecision::Never(NeverReason::RequirementMatchesMultipleNodes { .. })
    ));
}

#[test]
fn peers_locked_into_a_cluster_are_not_counted() {
    let initial = ["n1", "n2", "n3"];
    let mut joined = peer(2, &["n2", "n9"]);
    joined.cluster_uuid = Some("other".into());
    assert!(matches!(
        decide(1, &initial, &[joined]),
        BootstrapDecision::Wait(WaitReason::QuorumNotDiscovered { .. })
    ));
}

#[test]
fn conflicting_lists_block_bootstrapping_while_compatible_ones_do_not() {
    // [n1,n2,n3] vs [n3,n4]: {n1,n2} and {n3,n4} are disjoint majorities.
    let decision = decide(
        1,
        &["n1", "n2", "n3"],
        &[peer(2, &["n1", "n2", "n3"]), peer(4, &["n3", "n4"])],
    );
    assert!(
        matches!(decision, BootstrapDecision::Wait(WaitReason::ConflictingInitialMasterNodes { ref node, .. }) if node == "n4"),
        "{decision:?}"
    );
    // A superset whose majorities always meet ours is fine.
    assert!(matches!(
        decide(
            1,
            &["n1", "n2", "n3"],
            &[peer(2, &["n1", "n2", "n3", "n4"])]
        ),
        BootstrapDecision::Bootstrap(_)
    ));
    // The same nodes named differently are the same list.
    assert!(matches!(
        decide(
            1,
            &["n1", "n2", "n3"],
            &[peer(2, &["10.0.0.1", "10.0.0.2:9300", "n3"])]
        ),
        BootstrapDecision::Bootstrap(_)
    ));
}

#[test]
fn disjoint_quorum_check_matches_brute_force() {
    let universe = ["a", "b", "c", "d", "e"];
    let subsets: Vec<BTreeSet<String>> = (1u32..32)
        .map(|mask| {
            universe
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| s.to_string())
                .collect()
        })
        .collect();
    let majorities = |set: &BTreeSet<String>| -> Vec<BTreeSet<String>> {
        subsets
            .iter()
            .filter(|s| s.is_subset(set) && s.len() * 2 > set.len())
            .cloned()
            .collect()
    };
    for a in &subsets {
        for b in &subsets {
            let brute = majorities(a)
                .iter()
                .any(|qa| majorities(b).iter().any(|qb| qa.is_disjoint(qb)));
            assert_eq!(lists_may_have_disjoint_quorums(a, b), brute, "{a:?} {b:?}");
        }
    }
}

const NODES: usize = 4;

/// Whether some node of `group` bootstraps when the nodes of `group` discover exactly each
/// other, each node `i` having the list `lists[i]` (a bit mask over the four nodes).
fn group_bootstraps(lists: &[u8; NODES], group: u8) -> Option<VotingConfiguration> {
    let names = |mask: u8| -> Vec<String> {
        (0..NODES)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| format!("n{i}"))
            .collect()
    };
    for local in (0..NODES).filter(|i| group & (1 << i) != 0) {
        let discovered: Vec<DiscoveredPeer> = (0..NODES)
            .filter(|i| *i != local && group & (1 << i) != 0)
            .map(|i| DiscoveredPeer {
                node: node(i),
                initial_master_nodes: names(lists[i]),
                cluster_uuid: None,
            })
            .collect();
        let settings = BootstrapSettings {
            single_node: false,
            initial_master_nodes: names(lists[local]),
        };
        let local_node = node(local);
        if let BootstrapDecision::Bootstrap(config) = decide_bootstrap(BootstrapInput {
            settings: &settings,
            local_node: &local_node,
            already_bootstrapped: false,
            discovered: &discovered,
        }) {
            return Some(config);
        }
    }
    None
}

fn mask_set(mask: u8) -> BTreeSet<String> {
    (0..NODES)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| i.to_string())
        .collect()
}

/// Every assignment of lists (any subset of the four nodes, or none) to four master-eligible
/// nodes, and every pair of disjoint groups of them (a partition, or nodes started apart):
/// when every two lists in use have intersecting majorities, never do both groups bootstrap.
#[test]
fn overlapping_lists_never_bootstrap_two_disjoint_groups() {
    let mut checked = 0usize;
    let mut bootstraps = 0usize;
    for code in 0..(16u32.pow(NODES as u32)) {
        let lists: [u8; NODES] = std::array::from_fn(|i| ((code >> (4 * i)) & 0xF) as u8);
        let in_use: Vec<BTreeSet<String>> = lists
            .iter()
            .filter(|m| **m != 0)
            .map(|m| mask_set(*m))
            .collect();
        let compatible = in_use.iter().all(|a| {
            in_use
                .iter()
                .all(|b| !lists_may_have_disjoint_quorums(a, b))
        });
        if !compatible {
            continue;
        }
        let by_group: Vec<bool> = (0u8..16)
            .map(|g| g != 0 && group_bootstraps(&lists, g).is_some())
            .collect();
        for g1 in 1u8..16 {
            if by_group[g1 as usize] {
                bootstraps += 1;
            }
            for g2 in 1u8..16 {
                if g1 & g2 == 0 {
                    checked += 1;
                    assert!(
                        !(by_group[g1 as usize] && by_group[g2 as usize]),
                        "lists {lists:?}: groups {g1:#06b} and {g2:#06b} both bootstrap"
                    );
                }
            }
        }
    }
    assert!(
        checked > 10_000 && bootstraps > 1_000,
        "{checked} {bootstraps}"
    );
}

/// Any lists at all, including conflicting ones, when all four nodes see each other before
/// deciding: every configuration bootstrapped has majorities meeting every other one.
#[test]
fn nodes_that_see_each_other_never_bootstrap_conflicting_configurations() {
    for code in 0..(16u32.pow(NODES as u32)) {
        let lists: [u8; NODES] = std::array::from_fn(|i| ((code >> (4 * i)) & 0xF) as u8);
        let mut configs: Vec<BTreeSet<String>> = Vec::new();
        for local in 0..NODES {
            if let Some(config) = decide_with_all(&lists, local) {
                // Placeholders never vote: a quorum must come from the real members.
                configs.push(config.node_ids.into_iter().collect());
            }
        }
        for a in &configs {
            for b in &configs {
                assert!(
                    !configs_may_have_disjoint_quorums(a, b),
                    "lists {lists:?}: {a:?} and {b:?}"
                );
            }
        }
    }
}

fn decide_with_all(lists: &[u8; NODES], local: usize) -> Option<VotingConfiguration> {
    let names = |mask: u8| -> Vec<String> {
        (0..NODES)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| format!("n{i}"))
            .collect()
    };
    let discovered: Vec<DiscoveredPeer> = (0..NODES)
        .filter(|i| *i != local)
        .map(|i| DiscoveredPeer {
            node: node(i),
            initial_master_nodes: names(lists[i]),
            cluster_uuid: None,
        })
        .collect();
    let settings = BootstrapSettings {
        single_node: false,
        initial_master_nodes: names(lists[local]),
    };
    let local_node = node(local);
    match decide_bootstrap(BootstrapInput {
        settings: &settings,
        local_node: &local_node,
        already_bootstrapped: false,
        discovered: &discovered,
    }) {
        BootstrapDecision::Bootstrap(config) => Some(config),
        _ => None,
    }
}

/// Whether two voting configurations admit disjoint winning vote sets (placeholders never vote).
fn configs_may_have_disjoint_quorums(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    let real = |c: &BTreeSet<String>| -> Vec<String> {
        c.iter()
            .filter(|id| !is_bootstrap_placeholder(id))
            .cloned()
            .collect()
    };
    let winning = |c: &BTreeSet<String>| -> Vec<BTreeSet<String>> {
        let members = real(c);
        (1u32..(1 << members.len()))
            .map(|mask| {
                members
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, m)| m.clone())
                    .collect::<BTreeSet<String>>()
            })
            .filter(|votes| votes.len() * 2 > c.len())
            .collect()
    };
    winning(a)
        .iter()
        .any(|qa| winning(b).iter().any(|qb| qa.is_disjoint(qb)))
}

/// The documented limit: lists whose majorities can be disjoint, on nodes that never see each
/// other, cannot be told apart from "the other listed nodes are down". This is why every
/// master-eligible node must be given the same list.
#[test]
fn partitioned_conflicting_lists_are_the_documented_limit() {
    let lists: [u8; NODES] = [0b0111, 0b0111, 0b1100, 0b1100]; // [n0,n1,n2] x2, [n2,n3] x2
    assert!(group_bootstraps(&lists, 0b0011).is_some());
    assert!(group_bootstraps(&lists, 0b1100).is_some());
    // Once they see each other, nobody bootstraps with these lists.
    assert!(group_bootstraps(&lists, 0b1111).is_none());
    assert!(group_bootstraps(&lists, 0b0111).is_none());
}
