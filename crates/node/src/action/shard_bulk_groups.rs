//! The coordinating node's bookkeeping for items whose primary is on another node: items are
//! grouped by target shard (one shard-level request each, items in request order), and the
//! per-shard answers are put back at the items' positions in the original request, as
//! Elasticsearch's `TransportBulkAction` does with its `BulkShardRequest`s.
//!
//! Pure data; must not depend on the transport, the node or the cluster state.

use quarry_types::EsError;

/// The items of one request for one shard, with their positions in the request.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardGroup<T> {
    pub index: String,
    pub shard: u32,
    /// Position of each item in the original request, ascending.
    pub slots: Vec<usize>,
    pub items: Vec<T>,
}

/// Items grouped by shard, groups in order of their first item.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardGroups<T> {
    groups: Vec<ShardGroup<T>>,
}

impl<T> Default for ShardGroups<T> {
    fn default() -> Self {
        ShardGroups { groups: Vec::new() }
    }
}

impl<T> ShardGroups<T> {
    /// Adds the item at position `slot` of the request to the group of `index`/`shard`.
    pub fn add(&mut self, index: &str, shard: u32, slot: usize, item: T) {
        let group = match self
            .groups
            .iter()
            .position(|g| g.shard == shard && g.index == index)
        {
            Some(i) => &mut self.groups[i],
            None => {
                self.groups.push(ShardGroup {
                    index: index.to_string(),
                    shard,
                    slots: Vec::new(),
                    items: Vec::new(),
                });
                let last = self.groups.len() - 1;
                &mut self.groups[last]
            }
        };
        group.slots.push(slot);
        group.items.push(item);
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn into_groups(self) -> Vec<ShardGroup<T>> {
        self.groups
    }
}

/// Pairs a group's answer with the group's positions: each item gets its own result, or the
/// group's error when the shard-level request failed as a whole. An answer with a different
/// number of results fails every item of the group.
pub fn results_by_slot<R>(
    slots: &[usize],
    outcome: Result<Vec<R>, EsError>,
) -> Vec<(usize, Result<R, EsError>)> {
    match outcome {
        Ok(results) if results.len() == slots.len() => slots
            .iter()
            .copied()
            .zip(results.into_iter().map(Ok))
            .collect(),
        Ok(results) => {
            let e = EsError::illegal_state(format!(
                "shard bulk response has [{}] results for [{}] items",
                results.len(),
                slots.len()
            ));
            slots.iter().map(|s| (*s, Err(e.clone()))).collect()
        }
        Err(e) => slots.iter().map(|s| (*s, Err(e.clone()))).collect(),
    }
}

/// Puts the groups' results back in request order: the item at `slot` is filled by
/// `fill(&mut slots[slot], result)`; positions of local items stay untouched.
pub fn merge_into<S, R>(
    slots: &mut [S],
    results: Vec<(usize, Result<R, EsError>)>,
    mut fill: impl FnMut(&mut S, Result<R, EsError>),
) {
    for (slot, result) in results {
        if let Some(cell) = slots.get_mut(slot) {
            fill(cell, result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_grouped_per_shard_in_request_order() {
        let mut g = ShardGroups::default();
        assert!(g.is_empty());
        g.add("a", 1, 0, "a1-0");
        g.add("a", 2, 2, "a2-2");
        g.add("b", 1, 3, "b1-3");
        g.add("a", 1, 5, "a1-5");
        g.add("a", 2, 6, "a2-6");
        let groups = g.into_groups();
        let shape: Vec<(&str, u32, Vec<usize>, Vec<&str>)> = groups
            .iter()
            .map(|g| (g.index.as_str(), g.shard, g.slots.clone(), g.items.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("a", 1, vec![0, 5], vec!["a1-0", "a1-5"]),
                ("a", 2, vec![2, 6], vec!["a2-2", "a2-6"]),
                ("b", 1, vec![3], vec!["b1-3"]),
            ]
        );
    }

    #[test]
    fn results_return_to_their_original_positions() {
        // Slots 1 and 4 were local and already answered.
        let mut out: Vec<Option<Result<&str, EsError>>> = vec![None; 6];
        out[1] = Some(Ok("local-1"));
        out[4] = Some(Ok("local-4"));
        let mut results = results_by_slot(&[0, 5], Ok(vec!["r0", "r5"]));
        results.extend(results_by_slot(
            &[2, 3],
            Err(EsError::unavailable_shards("down")),
        ));
        merge_into(&mut out, results, |cell, r| *cell = Some(r));
        let rendered: Vec<String> = out
            .into_iter()
            .map(|r| match r {
                Some(Ok(v)) => v.to_string(),
                Some(Err(e)) => e.error_type,
                None => "missing".into(),
            })
            .collect();
        assert_eq!(
            rendered,
            vec![
                "r0",
                "local-1",
                "unavailable_shards_exception",
                "unavailable_shards_exception",
                "local-4",
                "r5"
            ]
        );
    }

    #[test]
    fn a_short_answer_fails_the_whole_group() {
        let r = results_by_slot(&[3, 7], Ok(vec!["only-one"]));
        assert_eq!(r.len(), 2);
        assert!(r
            .iter()
            .all(|(_, r)| r.as_ref().is_err_and(|e| e.status == 500)));
        assert_eq!(r[1].0, 7);
    }
}
