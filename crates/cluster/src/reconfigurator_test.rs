use super::*;
use proptest::prelude::*;

fn ids(v: &[u32]) -> BTreeSet<u32> {
    v.iter().copied().collect()
}

fn run(
    live: &[u32],
    excluded: &[u32],
    master: u32,
    current: &[u32],
    auto_shrink: bool,
) -> Vec<u32> {
    reconfigure(&ReconfigureInput {
        live_master_eligible: &ids(live),
        excluded: &ids(excluded),
        master: &master,
        current: &ids(current),
        auto_shrink,
    })
    .into_iter()
    .collect()
}

#[test]
fn three_voters_with_one_lost_keep_the_three_node_configuration() {
    assert_eq!(run(&[1, 2], &[], 1, &[1, 2, 3], true), vec![1, 2, 3]);
}

#[test]
fn five_voters_with_two_lost_shrink_to_the_three_live_ones() {
    assert_eq!(
        run(&[1, 3, 5], &[], 3, &[1, 2, 3, 4, 5], true),
        vec![1, 3, 5]
    );
}

#[test]
fn without_auto_shrink_five_voters_stay_five() {
    assert_eq!(
        run(&[1, 3, 5], &[], 3, &[1, 2, 3, 4, 5], false),
        vec![1, 2, 3, 4, 5]
    );
}

#[test]
fn four_live_nodes_get_three_voters_preferring_master_and_current_members() {
    // 4 joined the three-node cluster: it stays out.
    assert_eq!(run(&[1, 2, 3, 4], &[], 2, &[1, 2, 3], true), vec![1, 2, 3]);
    // The master is kept even when it is not a member yet.
    assert_eq!(run(&[1, 2, 3, 4], &[], 4, &[1, 2, 3], true), vec![1, 2, 4]);
}

#[test]
fn the_configuration_grows_as_master_eligible_nodes_join() {
    assert_eq!(run(&[1, 2], &[], 1, &[1], true), vec![1]);
    assert_eq!(run(&[1, 2, 3], &[], 1, &[1], true), vec![1, 2, 3]);
    assert_eq!(
        run(&[1, 2, 3, 4, 5], &[], 1, &[1, 2, 3], true),
        vec![1, 2, 3, 4, 5]
    );
}

#[test]
fn excluded_nodes_are_removed() {
    assert_eq!(
        run(&[1, 2, 3, 4, 5], &[4, 5], 1, &[1, 2, 3, 4, 5], true),
        vec![1, 2, 3]
    );
    // Excluding a node that is not a member keeps it out when it joins.
    assert_eq!(
        run(&[1, 2, 3, 4, 5], &[5], 1, &[1, 2, 3], true),
        vec![1, 2, 3]
    );
    // Below three: an explicit exclusion may shrink the configuration further.
    assert_eq!(run(&[1, 2, 3], &[3], 1, &[1, 2, 3], true), vec![1]);
}

#[test]
fn a_configuration_without_a_live_quorum_is_not_chosen() {
    // Only the master is live: every 3-node configuration has one live member of three.
    assert_eq!(
        run(&[1], &[], 1, &[1, 2, 3, 4, 5], true),
        vec![1, 2, 3, 4, 5]
    );
    // Two live of five: {1, 2, 3} has a live majority, so it is the answer (as in
    // Elasticsearch); Raft's joint consensus still needs the old majority to commit it.
    assert_eq!(run(&[1, 2], &[], 1, &[1, 2, 3, 4, 5], true), vec![1, 2, 3]);
}

#[test]
fn auto_shrink_setting_defaults_to_true() {
    let mut state = ClusterState::new("c", "u");
    assert!(auto_shrink_voting_configuration(&state));
    state
        .metadata
        .persistent_settings
        .insert(AUTO_SHRINK_VOTING_CONFIGURATION, "false".into());
    assert!(!auto_shrink_voting_configuration(&state));
}

proptest! {
    /// Whatever the input, the answer is odd (or the unchanged current configuration), holds no
    /// excluded node unless it is the current one, and keeps the master when it may.
    #[test]
    fn the_result_is_odd_has_a_live_quorum_and_keeps_the_master(
        live in proptest::collection::btree_set(0u32..9, 0..9),
        excluded in proptest::collection::btree_set(0u32..9, 0..3),
        current in proptest::collection::btree_set(0u32..9, 1..8),
        master in 0u32..9,
        auto_shrink in any::<bool>(),
    ) {
        let result = reconfigure(&ReconfigureInput {
            live_master_eligible: &live,
            excluded: &excluded,
            master: &master,
            current: &current,
            auto_shrink,
        });
        if result != current {
            let mut all_live = live.clone();
            all_live.insert(master);
            prop_assert!(has_quorum(&result, &all_live));
            prop_assert!(result.iter().all(|id| !excluded.contains(id)));
            if !excluded.contains(&master) {
                prop_assert!(result.contains(&master));
            }
            if auto_shrink {
                prop_assert!(result.len() % 2 == 1, "{result:?}");
            }
        }
    }
}

#[test]
fn two_to_one_master_eligible_node_works_only_through_exclusions() {
    // Three voters, one gone: the configuration stays {1, 2, 3}, so stopping node 2 as well
    // would leave no quorum...
    assert_eq!(run(&[1, 2], &[], 1, &[1, 2, 3], true), vec![1, 2, 3]);
    // ...unless nodes 2 and 3 are excluded first: then node 1 alone is the configuration and
    // node 2 can be stopped.
    assert_eq!(run(&[1, 2], &[2, 3], 1, &[1, 2, 3], true), vec![1]);
}
