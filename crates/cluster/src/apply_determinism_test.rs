//! Property: two nodes applying the same committed commands with the same seeds (the Raft log
//! id, as `coordination::state_machine` does) reach byte-identical states, also when one of
//! them receives the commands in their wire form (JSON) and restarts midway from a
//! serialized snapshot of its state.

use crate::command_strategy::{op, to_command};
use crate::{apply, ApplyContext, ClusterCommand, ClusterState};
use proptest::prelude::*;

fn serialized(state: &ClusterState) -> String {
    serde_json::to_string(state).expect("a cluster state serializes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn two_nodes_applying_the_same_commands_reach_identical_states(
        ops in proptest::collection::vec(op(), 1..80),
        snapshot_at in 0usize..80,
        term in 1u64..5,
    ) {
        // The master's state and a follower's.
        let mut master = ClusterState::new("prop", "uuid");
        let mut follower = master.clone();
        for (index, op) in ops.iter().enumerate() {
            let Some(command) = to_command(&master, op) else { continue };
            // What the follower decodes from the log entry.
            let wire = serde_json::to_string(&command).expect("a command serializes");
            let received: ClusterCommand = serde_json::from_str(&wire).expect("a command parses");
            prop_assert_eq!(&received, &command);
            let now = 1_700_000_000_000 + index as i64 * 61_000;
            let log_id = format!("{term}-1-{index}");
            let on_master = apply(&master, command, &mut ApplyContext::seeded(now, log_id.clone()));
            let on_follower = apply(&follower, received, &mut ApplyContext::seeded(now, log_id));
            match (on_master, on_follower) {
                (Ok(a), Ok(b)) => {
                    master = a;
                    follower = b;
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "step {index} {op:?}: {a:?} vs {b:?}"),
            }
            if index == snapshot_at {
                // The follower restarts from (or is sent) a snapshot of its state.
                follower = serde_json::from_str(&serialized(&follower)).expect("snapshot parses");
            }
            prop_assert_eq!(serialized(&master), serialized(&follower), "after step {} {:?}", index, op);
            prop_assert!(master.validate().is_ok(), "step {index}: {:?}", master.validate());
        }
    }
}
