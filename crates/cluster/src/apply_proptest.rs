//! Property: any sequence of commands keeps `validate()` true, and no two copies of a shard
//! ever share a node.

use crate::command_strategy::{op, to_command};
use crate::{apply, ApplyContext, ClusterState};
use proptest::prelude::*;
use std::collections::BTreeSet;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_commands_keep_the_state_valid(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = ClusterState::new("prop", "uuid");
        for (step, op) in ops.iter().enumerate() {
            let Some(cmd) = to_command(&s, op) else { continue };
            let mut ctx = ApplyContext::seeded(step as i64 * 70_000, format!("step{step}"));
            if let Ok(next) = apply(&s, cmd, &mut ctx) {
                s = next;
            }
            prop_assert!(s.validate().is_ok(), "step {step} {op:?}: {:?}", s.validate());
            for table in s.routing_table.indices.values() {
                for copies in table.shards.values() {
                    let mut nodes = BTreeSet::new();
                    for c in copies.iter().filter_map(|c| c.current_node.clone()) {
                        prop_assert!(nodes.insert(c), "two copies on one node");
                    }
                }
            }
        }
    }
}
