//! Targeted scenarios on `SimCluster` itself (the random ones are in `fixed_seeds.rs`).

use quarry_sim::proposals::update_cluster_settings;
use quarry_sim::SimCluster;
use std::time::Duration;

const PROPOSAL_TIMEOUT: Duration = Duration::from_secs(5);

/// Advances until some node is master; returns it.
async fn wait_for_leader(cluster: &mut SimCluster, not: Option<usize>) -> usize {
    for _ in 0..300 {
        if let Some(leader) = cluster.agreed_leader().filter(|&l| Some(l) != not) {
            return leader;
        }
        cluster.advance(Duration::from_millis(100)).await.unwrap();
    }
    panic!("no master elected in 30 s of virtual time");
}

/// Advances until every live node has applied at least `version`.
async fn wait_for_version(cluster: &mut SimCluster, version: u64) {
    for _ in 0..300 {
        let behind = cluster
            .live_nodes()
            .into_iter()
            .filter_map(|i| cluster.applied_state(i))
            .any(|s| s.version < version);
        if !behind {
            return;
        }
        cluster.advance(Duration::from_millis(100)).await.unwrap();
    }
    panic!("version {version} not applied everywhere within 30 s of virtual time");
}

#[tokio::test(start_paused = true)]
async fn a_killed_master_is_replaced_and_comes_back_from_its_storage() {
    let mut cluster = SimCluster::new(11, 3).await.unwrap();
    let first = wait_for_leader(&mut cluster, None).await;
    let first_term = cluster.max_term();
    let before = cluster
        .propose_from_leader(update_cluster_settings("a", "1").command, PROPOSAL_TIMEOUT)
        .await
        .unwrap();

    cluster.kill(first).await.unwrap();
    assert!(!cluster.is_up(first));
    let second = wait_for_leader(&mut cluster, Some(first)).await;
    assert!(cluster.max_term() > first_term);
    let after = cluster
        .propose_from_leader(update_cluster_settings("b", "2").command, PROPOSAL_TIMEOUT)
        .await
        .unwrap();
    assert!(after.version > before.version);

    // The old master restarts from its own log and snapshot and catches up.
    cluster.restart(first).await.unwrap();
    wait_for_version(&mut cluster, after.version).await;
    let state = cluster.applied_state(first).unwrap();
    assert_eq!(
        state
            .metadata
            .persistent_settings
            .get_str("cluster.metadata.a"),
        Some("1".into())
    );
    assert_eq!(*state, *cluster.applied_state(second).unwrap());
    assert_eq!(cluster.invariants().leaders_by_term().len(), 2);
    cluster.shutdown().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_master_in_a_minority_cannot_commit_and_the_majority_moves_on() {
    let mut cluster = SimCluster::new(12, 5).await.unwrap();
    let master = wait_for_leader(&mut cluster, None).await;
    let others: Vec<usize> = (0..5).filter(|&i| i != master).collect();
    let buddy = others[0];
    cluster.partition(&[master, buddy], &others[1..]);

    let old_master = cluster.coordinator(master).unwrap().clone();
    let stuck = old_master.propose(update_cluster_settings("lost", "x").command);
    let stuck = tokio::time::timeout(PROPOSAL_TIMEOUT, stuck).await;
    assert!(!matches!(stuck, Ok(Ok(_))), "a minority committed");

    let new_master = wait_for_leader_among(&mut cluster, &others[1..]).await;
    let kept = cluster
        .coordinator(new_master)
        .unwrap()
        .propose(update_cluster_settings("kept", "y").command)
        .await
        .unwrap();

    cluster.heal();
    wait_for_version(&mut cluster, kept.version).await;
    for i in 0..5 {
        let state = cluster.applied_state(i).unwrap();
        assert_eq!(
            state
                .metadata
                .persistent_settings
                .get_str("cluster.metadata.lost"),
            None
        );
        assert!(state.version >= kept.version);
    }
    cluster.shutdown().await.unwrap();
}

/// Advances until one of `nodes` is master in a term above every other node's.
async fn wait_for_leader_among(cluster: &mut SimCluster, nodes: &[usize]) -> usize {
    for _ in 0..300 {
        if let Some(leader) = cluster.leader().filter(|l| nodes.contains(l)) {
            return leader;
        }
        cluster.advance(Duration::from_millis(100)).await.unwrap();
    }
    panic!("the majority elected no master");
}

#[tokio::test(start_paused = true)]
async fn a_bridge_node_does_not_cause_two_masters_in_a_term() {
    let mut cluster = SimCluster::new(13, 3).await.unwrap();
    wait_for_leader(&mut cluster, None).await;
    // 0 and 2 cannot talk; 1 talks to both.
    cluster.partition(&[0], &[2]);
    cluster.advance(Duration::from_secs(20)).await.unwrap();
    cluster.heal();
    let leader = wait_for_leader(&mut cluster, None).await;
    let state = cluster
        .propose_from_leader(update_cluster_settings("c", "3").command, PROPOSAL_TIMEOUT)
        .await
        .unwrap();
    wait_for_version(&mut cluster, state.version).await;
    assert!(cluster.is_up(leader));
    cluster.shutdown().await.unwrap();
}
