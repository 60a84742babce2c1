//! The voting configuration a master should aim for (Elasticsearch's `Reconfigurator`), as a
//! pure function over ids.
//!
//! Rules, in Elasticsearch's words and order:
//! - candidates are the live master-eligible nodes and the members of the current configuration,
//!   minus the excluded (retired) nodes;
//! - they are ranked: the current master first, then live nodes, then current members, then by
//!   id (a stable tie-break);
//! - the size is the number of live candidates rounded down to odd, but with
//!   `cluster.auto_shrink_voting_configuration` (default true) never below 3 once the current
//!   configuration has 3 or more non-excluded members (never below 1 otherwise), and without
//!   auto-shrink never below the current number of non-excluded members;
//! - a configuration without a live majority is never chosen: the current one is kept instead.
//!
//! So 3 voters with one lost stay 3 (2 of 3 is still a quorum), 5 voters with two lost shrink to
//! the 3 live ones (so one more loss is survivable), and excluding 2 of 5 live nodes leaves 3.
//!
//! Generic over the id type: the node layer works with Raft ids, tests with small numbers.
//! Owns: the decision only. Must not read settings or state (the caller passes them in).

use crate::cluster_state::ClusterState;
use std::collections::BTreeSet;

/// `cluster.auto_shrink_voting_configuration`.
pub const AUTO_SHRINK_VOTING_CONFIGURATION: &str = "cluster.auto_shrink_voting_configuration";

/// What the master knows when it reconsiders the voting configuration.
#[derive(Debug, Clone)]
pub struct ReconfigureInput<'a, Id> {
    /// Master-eligible nodes in the cluster state (the master among them).
    pub live_master_eligible: &'a BTreeSet<Id>,
    /// Nodes with a voting configuration exclusion.
    pub excluded: &'a BTreeSet<Id>,
    pub master: &'a Id,
    pub current: &'a BTreeSet<Id>,
    pub auto_shrink: bool,
}

/// Elasticsearch's `roundDownToOdd`.
fn round_down_to_odd(size: usize) -> usize {
    if size.is_multiple_of(2) {
        size.saturating_sub(1)
    } else {
        size
    }
}

/// Whether `live` holds a strict majority of `config`.
pub fn has_quorum<Id: Ord>(config: &BTreeSet<Id>, live: &BTreeSet<Id>) -> bool {
    config.iter().filter(|id| live.contains(id)).count() * 2 > config.len()
}

/// The optimal voting configuration (see the module docs); `current` when the optimum has no
/// live quorum.
pub fn reconfigure<Id: Ord + Clone>(input: &ReconfigureInput<'_, Id>) -> BTreeSet<Id> {
    let mut live = input.live_master_eligible.clone();
    live.insert(input.master.clone());
    // (not master, not live, not in current config, id): ascending = most preferred first.
    let mut candidates: Vec<(bool, bool, bool, Id)> = live
        .iter()
        .filter(|id| !input.excluded.contains(id))
        .map(|id| {
            (
                id != input.master,
                false,
                !input.current.contains(id),
                id.clone(),
            )
        })
        .chain(
            input
                .current
                .iter()
                .filter(|id| !live.contains(id) && !input.excluded.contains(id))
                .map(|id| (true, true, false, id.clone())),
        )
        .collect();
    candidates.sort();
    let non_excluded_config_size = candidates.iter().filter(|c| !c.2).count();
    let minimum = if !input.auto_shrink {
        non_excluded_config_size
    } else if non_excluded_config_size < 3 {
        1
    } else {
        3
    };
    let live_candidates = candidates.iter().filter(|c| !c.1).count();
    let target = round_down_to_odd(live_candidates).max(minimum);
    let config: BTreeSet<Id> = candidates
        .into_iter()
        .take(target)
        .map(|(_, _, _, id)| id)
        .collect();
    if has_quorum(&config, &live) {
        config
    } else {
        input.current.clone()
    }
}

/// `cluster.auto_shrink_voting_configuration` from the cluster settings (transient over
/// persistent), default true; an unparsable value counts as the default.
pub fn auto_shrink_voting_configuration(state: &ClusterState) -> bool {
    state
        .metadata
        .cluster_setting(AUTO_SHRINK_VOTING_CONFIGURATION)
        .map(|v| v != "false")
        .unwrap_or(true)
}

#[cfg(test)]
#[path = "reconfigurator_test.rs"]
mod reconfigurator_test;
