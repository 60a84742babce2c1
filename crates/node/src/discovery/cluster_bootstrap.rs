//! Bootstrapping a brand-new cluster, once (Elasticsearch's `ClusterBootstrapService`): the
//! pure decision whether this node bootstraps now, and with which initial voting configuration.
//!
//! Rules, in order:
//! 1. A node whose data path records a cluster (cluster UUID / non-empty last-accepted voting
//!    configuration) never bootstraps again.
//! 2. `discovery.type: single-node`: a master-eligible node bootstraps alone, at once.
//! 3. Only a master-eligible node with a non-empty `cluster.initial_master_nodes` bootstraps.
//!    Quarry never performs Elasticsearch's development-mode "best-effort" bootstrap when
//!    discovery is unconfigured: with nothing configured Quarry already defaults to
//!    `single-node`, so an explicit `multi-node` node without the list only ever joins an
//!    existing cluster (guessing a configuration could form two clusters).
//! 4. Each entry matches a node by name, transport address (`ip:port`) or host (`ip`); an
//!    entry matching several nodes, or a node matching several entries, cancels bootstrapping
//!    (as Elasticsearch). The local node must match an entry. Peers already locked into a
//!    cluster (they report a cluster UUID) never vote for a new one and are not matched.
//! 5. Quarry's extra safety rule: if a discovered, not-yet-bootstrapped master-eligible peer
//!    reports a different list whose majorities could be disjoint from ours (see
//!    [`lists_may_have_disjoint_quorums`]), wait and warn: those two lists could bootstrap two
//!    clusters. Identical lists, and lists whose majorities always intersect (e.g. `[a,b,c]`
//!    and `[a,b,c,d]`), are allowed.
//! 6. Bootstrap once a majority of the entries is matched; the voting configuration is the
//!    matched node ids plus a `{bootstrap-placeholder}-<entry>` per unmatched entry, so an
//!    election needs a majority of the *whole* list.
//!
//! Safety argument: an election needs a quorum of the bootstrapped configuration, whose
//! quorums are majorities of the listed entries. If every two lists in use have intersecting
//! majorities (identical lists being the supported setup), any two bootstrap quorums share a
//! node and at most one cluster can win (the shared voter orders them by term). Lists whose
//! majorities can be disjoint are caught by rule 5 whenever their nodes see each other before
//! bootstrapping; two groups that never see each other cannot be told apart from "the other
//! listed nodes are down", so no quorum-based rule can protect that misconfiguration: set the
//! same list on every master-eligible node, as Elasticsearch documents.
//!
//! Owns the decision only; must not do I/O or track time.

use quarry_cluster::DiscoveryNode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Prefix of the voting-configuration entry standing for a listed node not yet discovered.
pub const BOOTSTRAP_PLACEHOLDER_PREFIX: &str = "{bootstrap-placeholder}-";

/// Whether a voting-configuration entry is a bootstrap placeholder.
pub fn is_bootstrap_placeholder(node_id: &str) -> bool {
    node_id.starts_with(BOOTSTRAP_PLACEHOLDER_PREFIX)
}

/// A set of master-eligible node ids whose majority decides elections and commits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotingConfiguration {
    pub node_ids: BTreeSet<String>,
}

impl VotingConfiguration {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(ids: I) -> Self {
        VotingConfiguration {
            node_ids: ids.into_iter().map(Into::into).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.node_ids.is_empty()
    }

    /// Whether `votes` (node ids) contain a strict majority of this configuration.
    pub fn has_quorum(&self, votes: &BTreeSet<String>) -> bool {
        let granted = self.node_ids.intersection(votes).count();
        granted * 2 > self.node_ids.len()
    }
}

/// A master-eligible peer found by discovery, with what it reported about bootstrapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredPeer {
    pub node: DiscoveryNode,
    /// The peer's `cluster.initial_master_nodes`.
    pub initial_master_nodes: Vec<String>,
    /// The cluster the peer is locked into, if any.
    pub cluster_uuid: Option<String>,
}

/// The settings the bootstrap rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootstrapSettings {
    /// `discovery.type: single-node`.
    pub single_node: bool,
    /// `cluster.initial_master_nodes`.
    pub initial_master_nodes: Vec<String>,
}

/// Everything [`decide_bootstrap`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct BootstrapInput<'a> {
    pub settings: &'a BootstrapSettings,
    pub local_node: &'a DiscoveryNode,
    /// The data path records a cluster UUID or a last-accepted voting configuration.
    pub already_bootstrapped: bool,
    /// Master-eligible peers found by the `PeerFinder` (the local node excluded).
    pub discovered: &'a [DiscoveredPeer],
}

/// The outcome of [`decide_bootstrap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapDecision {
    /// Bootstrap now with this initial voting configuration.
    Bootstrap(VotingConfiguration),
    /// Not yet; decide again when the found peers change.
    Wait(WaitReason),
    /// Never, on this node with these settings (log once, stop asking).
    Never(NeverReason),
}

/// Why bootstrapping has to wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitReason {
    #[error("have matched {matched:?} of [cluster.initial_master_nodes] {required:?}, need at least {needed} of them; still missing {missing:?}")]
    QuorumNotDiscovered {
        required: Vec<String>,
        matched: Vec<String>,
        missing: Vec<String>,
        needed: usize,
    },
    #[error("node [{node}] has [cluster.initial_master_nodes] set to {theirs:?}, which could bootstrap a separate cluster alongside this node's {ours:?}; set the same list on every master-eligible node")]
    ConflictingInitialMasterNodes {
        node: String,
        ours: Vec<String>,
        theirs: Vec<String>,
    },
}

/// Why this node will never bootstrap.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeverReason {
    #[error(
        "this node is locked into a cluster and will not attempt further cluster bootstrapping"
    )]
    AlreadyBootstrapped,
    #[error("this node is not master-eligible")]
    NotMasterEligible,
    #[error("[cluster.initial_master_nodes] is empty on this node")]
    NoInitialMasterNodes,
    #[error("setting [cluster.initial_master_nodes] contains duplicates: {0:?}")]
    DuplicateRequirements(Vec<String>),
    #[error(
        "skipping cluster bootstrapping as local node does not match bootstrap requirements: {0:?}"
    )]
    LocalNodeNotListed(Vec<String>),
    #[error(
        "bootstrapping cancelled: requirement [{requirement}] matches multiple nodes: {nodes:?}"
    )]
    RequirementMatchesMultipleNodes {
        requirement: String,
        nodes: Vec<String>,
    },
    #[error(
        "bootstrapping cancelled: node [{node}] matches multiple requirements: {requirements:?}"
    )]
    NodeMatchesMultipleRequirements {
        node: String,
        requirements: Vec<String>,
    },
}

/// Whether `entry` of `cluster.initial_master_nodes` names `node`: its name, its transport
/// address, or the host part of its transport address.
pub fn matches_requirement(node: &DiscoveryNode, entry: &str) -> bool {
    node.name == entry
        || node.transport_address == entry
        || host_of(&node.transport_address) == entry
}

fn host_of(address: &str) -> &str {
    let host = match address.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => address,
    };
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Decides whether the local node bootstraps now. See the module documentation.
pub fn decide_bootstrap(input: BootstrapInput<'_>) -> BootstrapDecision {
    use BootstrapDecision::{Bootstrap, Never, Wait};
    let local = input.local_node;
    if input.already_bootstrapped {
        return Never(NeverReason::AlreadyBootstrapped);
    }
    if !local.is_master_eligible() {
        return Never(NeverReason::NotMasterEligible);
    }
    if input.settings.single_node {
        return Bootstrap(VotingConfiguration::new([local.id.0.clone()]));
    }
    let requirements = &input.settings.initial_master_nodes;
    if requirements.is_empty() {
        return Never(NeverReason::NoInitialMasterNodes);
    }
    if requirements.iter().collect::<BTreeSet<_>>().len() != requirements.len() {
        return Never(NeverReason::DuplicateRequirements(requirements.clone()));
    }
    // The nodes that may vote in a new cluster: this one and the free master-eligible peers.
    let mut candidates: Vec<&DiscoveryNode> = vec![local];
    for peer in input.discovered {
        if peer.cluster_uuid.is_none()
            && peer.node.is_master_eligible()
            && peer.node.id != local.id
            && !candidates.iter().any(|n| n.id == peer.node.id)
        {
            candidates.push(&peer.node);
        }
    }
    let matched = match match_requirements(requirements, &candidates) {
        Ok(m) => m,
        Err(reason) => return Never(reason),
    };
    if !matched.iter().any(|(_, node)| node.id == local.id) {
        return Never(NeverReason::LocalNodeNotListed(requirements.clone()));
    }
    let ours = canonical_list(requirements, &candidates);
    for peer in input.discovered {
        if peer.cluster_uuid.is_some() || peer.initial_master_nodes.is_empty() {
            continue;
        }
        let theirs = canonical_list(&peer.initial_master_nodes, &candidates);
        if lists_may_have_disjoint_quorums(&ours, &theirs) {
            return Wait(WaitReason::ConflictingInitialMasterNodes {
                node: peer.node.name.clone(),
                ours: requirements.clone(),
                theirs: peer.initial_master_nodes.clone(),
            });
        }
    }
    let needed = requirements.len() / 2 + 1;
    if matched.len() < needed {
        let matched_entries: Vec<String> = matched.iter().map(|(e, _)| e.clone()).collect();
        return Wait(WaitReason::QuorumNotDiscovered {
            required: requirements.clone(),
            missing: requirements
                .iter()
                .filter(|r| !matched_entries.contains(r))
                .cloned()
                .collect(),
            matched: matched_entries,
            needed,
        });
    }
    let ids = requirements
        .iter()
        .map(|entry| match matched.iter().find(|(e, _)| e == entry) {
            Some((_, node)) => node.id.0.clone(),
            None => format!("{BOOTSTRAP_PLACEHOLDER_PREFIX}{entry}"),
        });
    Bootstrap(VotingConfiguration::new(ids))
}

/// Pairs each requirement with the one candidate it matches (unmatched ones are left out).
fn match_requirements<'n>(
    requirements: &[String],
    candidates: &[&'n DiscoveryNode],
) -> Result<Vec<(String, &'n DiscoveryNode)>, NeverReason> {
    let mut matched: Vec<(String, &DiscoveryNode)> = Vec::new();
    for requirement in requirements {
        let nodes: Vec<&DiscoveryNode> = candidates
            .iter()
            .copied()
            .filter(|n| matches_requirement(n, requirement))
            .collect();
        match nodes.as_slice() {
            [] => {}
            [node] => {
                if matched.iter().any(|(_, n)| n.id == node.id) {
                    return Err(NeverReason::NodeMatchesMultipleRequirements {
                        node: node.name.clone(),
                        requirements: requirements
                            .iter()
                            .filter(|r| matches_requirement(node, r))
                            .cloned()
                            .collect(),
                    });
                }
                matched.push((requirement.clone(), node));
            }
            many => {
                return Err(NeverReason::RequirementMatchesMultipleNodes {
                    requirement: requirement.clone(),
                    nodes: many.iter().map(|n| n.name.clone()).collect(),
                })
            }
        }
    }
    Ok(matched)
}

/// A list with every entry that names a known node replaced by that node's id, so that lists
/// naming the same nodes differently compare equal. Unknown entries stay as text (two
/// different texts are treated as different nodes, which can only make the check stricter).
fn canonical_list(entries: &[String], known: &[&DiscoveryNode]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|entry| {
            let nodes: Vec<_> = known
                .iter()
                .filter(|n| matches_requirement(n, entry))
                .collect();
            match nodes.as_slice() {
                [node] => format!("id:{}", node.id.0),
                _ => format!("entry:{entry}"),
            }
        })
        .collect()
}

/// Whether some majority of `a` and some majority of `b` have no member in common, i.e.
/// whether bootstraps from these two lists could be won by disjoint groups of nodes.
pub fn lists_may_have_disjoint_quorums(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(b).count();
    let only_a = a.len() - shared;
    let only_b = b.len() - shared;
    let quorum_a = a.len() / 2 + 1;
    let quorum_b = b.len() / 2 + 1;
    // Fill each majority with its own exclusive members first; the rest must come from the
    // shared members, and they can be kept apart iff the shared members suffice for both.
    quorum_a.saturating_sub(only_a) + quorum_b.saturating_sub(only_b) <= shared
}
