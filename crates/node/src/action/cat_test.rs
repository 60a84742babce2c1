//! Unit tests of the `_cat` row decisions.

use super::*;
use quarry_cluster::UnassignedInfo;
use quarry_types::ShardId;

#[test]
fn health_filter_matches_known_health_and_keeps_unknown_only_for_red() {
    use HealthStatus::*;
    assert!(health_filter_keeps(None, None));
    assert!(health_filter_keeps(Some(Green), Some(Green)));
    assert!(!health_filter_keeps(Some(Green), Some(Yellow)));
    assert!(!health_filter_keeps(Some(Yellow), None));
    assert!(health_filter_keeps(Some(Red), None));
}

#[test]
fn roles_are_abbreviated_and_sorted_like_elasticsearch() {
    let roles: BTreeSet<String> = ["master", "data", "ingest", "data_frozen", "ml"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(role_abbreviations(&roles), "dfilm");
    assert_eq!(role_abbreviations(&BTreeSet::new()), "-");
}

#[test]
fn timestamp_is_utc_hours_minutes_seconds() {
    assert_eq!(hms(0), "00:00:00");
    assert_eq!(hms(86_400 + 3_661), "01:01:01");
}

#[test]
fn unassigned_copy_reports_reason_age_and_recovery_source() {
    let mut info = UnassignedInfo::new("INDEX_CREATED", 1_000);
    info.details = Some("boom".into());
    let replica = ShardRouting::new_unassigned(ShardId::new("i", 0), false, info.clone());
    let r = shard_row(&replica, None, None, 4_000);
    assert_eq!(r["state"], "UNASSIGNED");
    assert_eq!(r["prirep"], "r");
    assert_eq!(r["unassigned.reason"], "INDEX_CREATED");
    assert_eq!(r["unassigned.for"], 3_000);
    assert_eq!(r["unassigned.details"], "boom");
    assert_eq!(r["unassigned.at"], "1970-01-01T00:00:01.000Z");
    assert_eq!(r["recoverysource.type"], "peer");
    assert!(r["node"].is_null() && r["docs"].is_null());
    let primary = ShardRouting::new_unassigned(ShardId::new("i", 0), true, info);
    assert_eq!(
        shard_row(&primary, None, None, 0)["recoverysource.type"],
        "empty_store"
    );
    let reopened = ShardRouting::new_unassigned(
        ShardId::new("i", 0),
        true,
        UnassignedInfo::new("INDEX_REOPENED", 0),
    );
    assert_eq!(
        shard_row(&reopened, None, None, 0)["recoverysource.type"],
        "existing_store"
    );
}

#[test]
fn timestamp_cells_give_epoch_seconds_and_utc_time() {
    let cells = timestamp_cells(1_475_868_259_999);
    assert_eq!(cells["epoch"], 1_475_868_259);
    assert_eq!(cells["timestamp"], "19:24:19");
}

#[test]
fn relocating_copy_names_its_target_and_the_target_has_its_own_row() {
    use quarry_types::{AllocationId, NodeId};
    let mut copy = ShardRouting::new_unassigned(
        ShardId::new("i", 0),
        true,
        UnassignedInfo::new("INDEX_CREATED", 0),
    );
    copy.initialize(NodeId("src-id".into()), AllocationId("a".into()));
    copy.start();
    copy.relocate(NodeId("dst-id".into()), AllocationId("b".into()));
    let target = CopyLocation {
        ip: "10.0.0.2".into(),
        node_id: "dst-id".into(),
        node_name: "dst".into(),
        relocation_target: None,
    };
    let source = CopyLocation {
        ip: "10.0.0.1".into(),
        node_id: "src-id".into(),
        node_name: "src".into(),
        relocation_target: Some(Box::new(target.clone())),
    };
    let r = shard_row(&copy, Some(&source), None, 0);
    assert_eq!(r["state"], "RELOCATING");
    assert_eq!(r["node"], "src -> 10.0.0.2 dst-id dst");
    assert_eq!(r["id"], "src-id");
    let t = relocation_target_row(&copy, &target, 0);
    assert_eq!(t["state"], "INITIALIZING");
    assert_eq!(t["node"], "dst");
    assert_eq!(t["ip"], "10.0.0.2");
    assert_eq!(t["prirep"], "p");
    assert_eq!(t["recoverysource.type"], "peer");
    assert!(t["unassigned.reason"].is_null());
}
