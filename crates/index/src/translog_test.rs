use super::*;
use proptest::prelude::*;

fn index_op(i: i64) -> TranslogOperation {
    TranslogOperation::Index {
        id: format!("doc-{i}"),
        routing: (i % 3 == 0).then(|| format!("r{i}")),
        source: format!("{{\"n\":{i}}}").into_bytes(),
        seq_no: i,
        primary_term: 1,
        version: 1 + i % 2,
    }
}

fn op(i: i64) -> TranslogOperation {
    match i % 5 {
        3 => TranslogOperation::Delete {
            id: format!("doc-{}", i - 1),
            seq_no: i,
            primary_term: 2,
            version: 7,
        },
        4 => TranslogOperation::NoOp {
            seq_no: i,
            primary_term: 2,
            reason: "gap".into(),
        },
        _ => index_op(i),
    }
}

#[test]
fn operations_survive_reopen_and_are_filtered_by_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let (mut t, ops) = Translog::open(dir.path(), Durability::Request, -1).unwrap();
    assert!(ops.is_empty());
    for i in 0..10 {
        t.add(&op(i)).unwrap();
    }
    assert_eq!(t.stats().operations, 10);
    drop(t);
    let (t, ops) = Translog::open(dir.path(), Durability::Request, 4).unwrap();
    assert_eq!(ops, (5..10).map(op).collect::<Vec<_>>());
    assert_eq!(t.stats().operations, 10);
    assert_eq!(t.current_generation(), 2);
}

#[test]
fn roll_and_trim_remove_committed_generations_only() {
    let dir = tempfile::tempdir().unwrap();
    let (mut t, _) = Translog::open(dir.path(), Durability::Async, -1).unwrap();
    for i in 0..5 {
        t.add(&op(i)).unwrap();
    }
    t.roll_generation().unwrap();
    for i in 5..8 {
        t.add(&op(i)).unwrap();
    }
    t.roll_generation().unwrap();
    t.trim_below(4).unwrap();
    assert_eq!(t.stats().operations, 3);
    t.sync().unwrap();
    drop(t);
    let (t, ops) = Translog::open(dir.path(), Durability::Async, -1).unwrap();
    assert_eq!(ops, (5..8).map(op).collect::<Vec<_>>());
    assert_eq!(list_generations(dir.path()).unwrap().len(), 3);
    drop(t);
}

#[test]
fn corruption_in_an_older_generation_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (mut t, _) = Translog::open(dir.path(), Durability::Request, -1).unwrap();
    t.add(&op(0)).unwrap();
    t.add(&op(1)).unwrap();
    drop(t);
    // Reopening starts generation 2, so generation 1 is no longer the tail.
    drop(Translog::open(dir.path(), Durability::Request, -1).unwrap());
    let path = generation_path(dir.path(), 1);
    let mut bytes = fs::read(&path).unwrap();
    bytes[HEADER_LEN + 2] ^= 0xff;
    fs::write(&path, bytes).unwrap();
    let err = Translog::open(dir.path(), Durability::Request, -1).unwrap_err();
    assert!(matches!(err, IndexError::TranslogCorrupted(_)), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever happens to the tail of the newest generation, reopening yields a prefix of the
    /// operations that were written: never a wrong or reordered operation.
    #[test]
    fn damaged_tail_yields_a_prefix(n in 1i64..30, cut in any::<prop::sample::Index>(), flip in any::<Option<(prop::sample::Index, u8)>>()) {
        let dir = tempfile::tempdir().unwrap();
        let (mut t, _) = Translog::open(dir.path(), Durability::Async, -1).unwrap();
        let written: Vec<TranslogOperation> = (0..n).map(op).collect();
        for o in &written {
            t.add(o).unwrap();
        }
        t.sync().unwrap();
        drop(t);
        let path = generation_path(dir.path(), 1);
        let mut bytes = fs::read(&path).unwrap();
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep);
        if let Some((at, mask)) = flip {
            if !bytes.is_empty() && mask != 0 {
                let i = at.index(bytes.len());
                bytes[i] ^= mask;
            }
        }
        fs::write(&path, &bytes).unwrap();
        let (mut t, ops) = Translog::open(dir.path(), Durability::Async, -1).unwrap();
        prop_assert!(ops.len() <= written.len());
        prop_assert_eq!(&ops[..], &written[..ops.len()]);
        // The log stays usable: new operations follow the surviving prefix after another reopen.
        let extra = op(1000);
        t.add(&extra).unwrap();
        t.sync().unwrap();
        drop(t);
        let (_t, again) = Translog::open(dir.path(), Durability::Async, -1).unwrap();
        let mut expected = ops.clone();
        expected.push(extra);
        prop_assert_eq!(again, expected);
    }
}
