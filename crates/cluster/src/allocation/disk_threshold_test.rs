use super::*;
use crate::allocation::DecisionType;
use crate::test_support::{cluster, create, run, start_all};
use crate::ClusterCommand;
use quarry_types::NodeId;
use serde_json::json;

fn usage(used_percent: u64) -> DiskUsage {
    DiskUsage {
        total_bytes: 100_000,
        free_bytes: 100_000 - used_percent * 1_000,
    }
}

fn report(s: &ClusterState, node: &str, used_percent: u64) -> ClusterState {
    run(
        s,
        ClusterCommand::UpdateDiskUsage {
            node: NodeId(node.into()),
            usage: usage(used_percent),
        },
    )
}

fn settings(s: &ClusterState, v: serde_json::Value) -> Result<ClusterState, quarry_types::EsError> {
    crate::apply(
        s,
        crate::test_support::persistent_settings(v),
        &mut crate::test_support::ctx(),
    )
}

#[test]
fn watermarks_parse_as_percentages_ratios_or_free_bytes() {
    assert_eq!(
        Watermark::parse("85%").unwrap(),
        Watermark::UsedPercent(85.0)
    );
    assert_eq!(
        Watermark::parse("0.5").unwrap(),
        Watermark::UsedPercent(50.0)
    );
    assert_eq!(
        Watermark::parse("10kb").unwrap(),
        Watermark::FreeBytes(10_240)
    );
    assert!(Watermark::parse("120%").is_err());
    let free = Watermark::FreeBytes(20_000);
    assert!(free.exceeded_by(&usage(85)));
    assert!(!free.exceeded_by(&usage(70)));
}

#[test]
fn low_keeps_replicas_away_high_keeps_everything_away() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "a", 1, 0));
    let s = report(&s, "n2", 87);
    let s = create(&s, "b", 1, 1);
    let alloc = Allocation::of(&s);
    let n2 = s.nodes[&NodeId("n2".into())].clone();
    let copies = s
        .routing_table
        .shard_copies(&quarry_types::ShardId::new("b", 0));
    // A brand-new primary may go above low, a replica may not.
    let replica = copies.iter().find(|c| !c.primary).unwrap().clone();
    let d = disk_threshold(&alloc, &replica, &n2);
    assert_eq!(d.decision, DecisionType::No, "{}", d.explanation);
    assert!(
        d.explanation.contains("above the low watermark"),
        "{}",
        d.explanation
    );
    let mut fresh = copies.iter().find(|c| c.primary).unwrap().clone();
    fresh.move_to_unassigned(crate::UnassignedInfo::new("INDEX_CREATED", 0));
    let s_fresh = create(&s, "c", 1, 0);
    let c_primary = s_fresh
        .routing_table
        .shard_copies(&quarry_types::ShardId::new("c", 0))[0]
        .clone();
    let mut unassigned_c = c_primary.clone();
    unassigned_c.move_to_unassigned(crate::UnassignedInfo::new("INDEX_CREATED", 0));
    let alloc = Allocation::of(&s_fresh);
    assert_eq!(
        disk_threshold(&alloc, &unassigned_c, &n2).decision,
        DecisionType::Yes
    );
    let s = report(&s_fresh, "n2", 92);
    let alloc = Allocation::of(&s);
    let d = disk_threshold(&alloc, &unassigned_c, &n2);
    assert_eq!(d.decision, DecisionType::No);
    assert!(d.explanation.contains("high watermark"));
    // Disabled: everything passes.
    let off = settings(
        &s,
        json!({"cluster.routing.allocation.disk.threshold_enabled": false}),
    )
    .unwrap();
    assert_eq!(
        disk_threshold(&Allocation::of(&off), &unassigned_c, &n2).decision,
        DecisionType::Yes
    );
}

#[test]
fn above_high_replicas_move_away_and_flood_stage_blocks_until_below_high() {
    let s = start_all(&create(&cluster(&["n1", "n2", "n3"]), "logs", 2, 1));
    // A one-shard index pinned to n3 gets the flood-stage block.
    let s = start_all(&run(
        &s,
        crate::test_support::create_cmd(
            "pinned",
            json!({"number_of_shards": 1, "number_of_replicas": 0, "routing.allocation.require._name": "n3"}),
        ),
    ));
    let on_n3 = |s: &ClusterState| {
        s.routing_table
            .all_copies()
            .filter(|c| c.current_node == Some(NodeId("n3".into())) && !c.primary)
            .count()
    };
    assert!(on_n3(&s) > 0, "the balancer put replicas on n3");
    let s = start_all(&report(&s, "n3", 96));
    assert_eq!(on_n3(&s), 0, "replicas stay above high");
    let s = start_all(&report(&s, "n3", 97));
    assert_eq!(
        s.index("pinned")
            .unwrap()
            .settings
            .get_str(BLOCK)
            .as_deref(),
        Some("true")
    );
    // Between high and flood stage: still blocked; below high: released.
    let s = report(&s, "n3", 92);
    assert_eq!(
        s.index("pinned")
            .unwrap()
            .settings
            .get_str(BLOCK)
            .as_deref(),
        Some("true")
    );
    let s = report(&s, "n3", 50);
    assert_eq!(s.index("pinned").unwrap().settings.get_str(BLOCK), None);
}

#[test]
fn a_single_data_node_ignores_watermarks_unless_asked() {
    let s = start_all(&create(&cluster(&["n1"]), "a", 1, 0));
    let s = report(&s, "n1", 99);
    assert_eq!(Watermarks::of(&s), None);
    assert_eq!(s.index("a").unwrap().settings.get_str(BLOCK), None);
    let s = settings(
        &s,
        json!({"cluster.routing.allocation.disk.watermark.enable_for_single_data_node": true}),
    )
    .unwrap();
    assert!(Watermarks::of(&s).is_some());
    assert_eq!(
        s.index("a").unwrap().settings.get_str(BLOCK).as_deref(),
        Some("true")
    );
}

#[test]
fn mixed_watermark_kinds_are_refused() {
    let s = cluster(&["n1"]);
    let e = settings(
        &s,
        json!({"cluster.routing.allocation.disk.watermark.low": "80%",
               "cluster.routing.allocation.disk.watermark.high": "5gb"}),
    )
    .unwrap_err();
    assert!(e.reason.contains("as percentage or bytes"), "{}", e.reason);
    assert!(settings(
        &s,
        json!({"cluster.routing.allocation.disk.watermark.low": "10gb",
               "cluster.routing.allocation.disk.watermark.high": "5gb",
               "cluster.routing.allocation.disk.watermark.flood_stage": "1gb"}),
    )
    .is_ok());
}
