//! The warning a node logs every `discovery.cluster_formation_warning_timeout` (10 s) while it
//! has no master, explaining why no cluster formed (Elasticsearch's
//! `ClusterFormationFailureHelper`): which master-eligible nodes it has discovered, which ones
//! `cluster.initial_master_nodes` or the last committed voting configuration require, how many
//! are missing, and where discovery keeps looking. The wording follows Elasticsearch's so that
//! its troubleshooting guides apply.
//!
//! Owns the text only; pure. The shell decides when to log it.

use super::cluster_bootstrap::{
    is_bootstrap_placeholder, matches_requirement, VotingConfiguration,
};
use crate::transport::TransportAddress;
use quarry_cluster::DiscoveryNode;
use std::collections::BTreeSet;

/// What the node knows while it has no master.
#[derive(Debug, Clone, Copy)]
pub struct ClusterFormationState<'a> {
    /// `cluster.initial_master_nodes` of this node.
    pub initial_master_nodes: &'a [String],
    pub local_node: &'a DiscoveryNode,
    /// Master-eligible nodes of the last-accepted cluster state.
    pub last_accepted_master_nodes: &'a [DiscoveryNode],
    /// Empty until the node has joined a bootstrapped cluster.
    pub last_accepted_configuration: &'a VotingConfiguration,
    pub last_committed_configuration: &'a VotingConfiguration,
    /// What the seed hosts providers resolved to in the last round.
    pub resolved_addresses: &'a [TransportAddress],
    /// Master-eligible peers found by discovery (the local node excluded).
    pub found_peers: &'a [DiscoveryNode],
    pub current_term: u64,
    pub last_accepted_term: u64,
    pub last_accepted_version: u64,
}

/// The warning text for `state`.
pub fn describe_cluster_formation_failure(state: &ClusterFormationState<'_>) -> String {
    // Like Elasticsearch, the local node counts among the discovered ones.
    let mut discovered: Vec<&DiscoveryNode> = vec![state.local_node];
    for peer in state.found_peers {
        if peer.id != state.local_node.id {
            discovered.push(peer);
        }
    }
    let discovered_text = describe_nodes(discovered.iter().copied());
    let continue_text = format!(
        "discovery will continue using {} from hosts providers and [{}] from last-known cluster state; node term {}, last-accepted version {} in term {}",
        format_list(state.resolved_addresses),
        describe_nodes(state.last_accepted_master_nodes.iter()),
        state.current_term,
        state.last_accepted_version,
        state.last_accepted_term
    );
    if !state.local_node.is_master_eligible() {
        return format!(
            "master not discovered yet: have discovered [{discovered_text}]; {continue_text}"
        );
    }
    if state.last_accepted_configuration.is_empty() {
        let bootstrapping = if state.initial_master_nodes.is_empty() {
            "[cluster.initial_master_nodes] is empty on this node".to_string()
        } else {
            describe_bootstrap_requirements(state.initial_master_nodes, &discovered)
        };
        return format!(
            "master not discovered yet, this node has not previously joined a bootstrapped cluster, and {bootstrapping}: have discovered [{discovered_text}]; {continue_text}"
        );
    }
    let accepted = state.last_accepted_configuration;
    let committed = state.last_committed_configuration;
    let quorum_text = if accepted == committed || committed.is_empty() {
        describe_quorum(accepted)
    } else {
        format!(
            "{} and {}",
            describe_quorum(accepted),
            describe_quorum(committed)
        )
    };
    let votes: BTreeSet<String> = discovered.iter().map(|n| n.id.0.clone()).collect();
    let possible =
        accepted.has_quorum(&votes) && (committed.is_empty() || committed.has_quorum(&votes));
    let missing = missing_for_quorum(accepted, &votes).max(missing_for_quorum(committed, &votes));
    let quorum_state = if possible {
        "have discovered possible quorum".to_string()
    } else {
        format!("have only discovered non-quorum ({missing} more needed)")
    };
    format!(
        "master not discovered or elected yet, an election requires {quorum_text}, {quorum_state} [{discovered_text}]; {continue_text}"
    )
}

/// "this node must discover master-eligible nodes [a, b, c] to bootstrap a cluster", plus
/// how many of them are still missing for a quorum.
fn describe_bootstrap_requirements(
    requirements: &[String],
    discovered: &[&DiscoveryNode],
) -> String {
    let matched: Vec<&String> = requirements
        .iter()
        .filter(|r| discovered.iter().any(|n| matches_requirement(n, r)))
        .collect();
    let unmatched: Vec<String> = requirements
        .iter()
        .filter(|r| !matched.contains(r))
        .cloned()
        .collect();
    let needed = requirements.len() / 2 + 1;
    let missing = needed.saturating_sub(matched.len());
    let mut text = format!(
        "this node must discover master-eligible nodes {} to bootstrap a cluster",
        format_list(requirements)
    );
    if missing > 0 {
        text.push_str(&format!(
            " (a quorum of {needed}; {missing} more needed from {})",
            format_list(&unmatched)
        ));
    }
    text
}

/// Elasticsearch's `describeQuorum`.
pub(super) fn describe_quorum(config: &VotingConfiguration) -> String {
    let required = config.node_ids.len() / 2 + 1;
    let real: Vec<String> = config
        .node_ids
        .iter()
        .filter(|id| !is_bootstrap_placeholder(id))
        .cloned()
        .collect();
    match config.node_ids.len() {
        1 => format!("a node with id {}", format_list(&real)),
        2 => format!("two nodes with ids {}", format_list(&real)),
        _ if required < real.len() => {
            format!(
                "at least {required} nodes with ids from {}",
                format_list(&real)
            )
        }
        _ => format!("{required} nodes with ids {}", format_list(&real)),
    }
}

fn missing_for_quorum(config: &VotingConfiguration, votes: &BTreeSet<String>) -> usize {
    if config.is_empty() {
        return 0;
    }
    let needed = config.node_ids.len() / 2 + 1;
    needed.saturating_sub(config.node_ids.intersection(votes).count())
}

/// `[a, b]`, as Java prints a list.
fn format_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// `{name}{id}{address}{roles}` per node, comma separated (Elasticsearch prints the same
/// fields plus ephemeral id and host name).
fn describe_nodes<'a>(nodes: impl Iterator<Item = &'a DiscoveryNode>) -> String {
    nodes
        .map(|n| {
            format!(
                "{{{}}}{{{}}}{{{}}}{{{}}}",
                n.name,
                n.id.0,
                n.transport_address,
                role_abbreviations(n)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Elasticsearch's one-letter role abbreviations, sorted (`cdfhilmrstw` for every role).
pub fn role_abbreviations(node: &DiscoveryNode) -> String {
    DiscoveryNode::role_letters(&node.roles)
}
