use super::*;

#[test]
fn murmur3_matches_elasticsearch_vectors() {
    // Murmur3HashFunctionTests.testKnownValues
    let vectors: [(u32, &str); 7] = [
        (0x5a0cb7c3, "hell"),
        (0xd7c31989, "hello"),
        (0x22ab2984, "hello w"),
        (0xdf0ca123, "hello wo"),
        (0xe7744d61, "hello wor"),
        (0xe07db09c, "The quick brown fox jumps over the lazy dog"),
        (0x4e63d2ad, "The quick brown fox jumps over the lazy cog"),
    ];
    for (expected, input) in vectors {
        assert_eq!(murmur3_hash(input), expected as i32, "{input}");
    }
}

#[test]
fn default_routing_num_shards_matches_elasticsearch() {
    for (shards, expected) in [
        (1, 1024),
        (2, 1024),
        (3, 768),
        (5, 640),
        (8, 1024),
        (1024, 2048),
    ] {
        assert_eq!(default_routing_num_shards(shards), expected, "{shards}");
    }
}

#[test]
fn shard_numbers_match_elasticsearch_bwc_vectors() {
    // OperationRoutingTests.testBWC: 8 shards, routing_num_shards = number_of_shards.
    let vectors = [
        ("sEERfFzPSI", 1),
        ("cNRiIrjzYd", 7),
        ("BgfLBXUyWT", 5),
        ("cnepjZhQnb", 3),
        ("OKCmuYkeCK", 6),
        ("OutXGRQUja", 5),
        ("yCdyocKWou", 1),
        ("KXuNWWNgVj", 2),
        ("DGJOYrpESx", 4),
        ("upLDybdTGs", 5),
        ("hswhrppvDH", 0),
        ("qoZALVcite", 7),
        ("AITyyoyLLs", 4),
    ];
    for (key, expected) in vectors {
        assert_eq!(shard_id_for(key, None, 8, 8, 1), expected, "id {key}");
        assert_eq!(
            shard_id_for("other", Some(key), 8, 8, 1),
            expected,
            "routing {key}"
        );
    }
}

#[test]
fn partitioned_routing_matches_elasticsearch_vectors() {
    // OperationRoutingTests.testPartitionedIndexBWC: 6 shards, partition size 2.
    let bwc = [
        ("a", "a_0", 3),
        ("a", "a_1", 2),
        ("a", "a_2", 2),
        ("a", "a_3", 3),
        ("b", "b_0", 5),
        ("b", "b_1", 0),
        ("c", "c_2", 3),
        ("c", "c_3", 4),
        ("d", "d_0", 3),
        ("d", "d_1", 4),
    ];
    for (routing, id, expected) in bwc {
        assert_eq!(
            shard_id_for(id, Some(routing), 6, 6, 2),
            expected,
            "{routing}/{id}"
        );
    }
    // testPartitionedIndexShrunk: 4 shards, 8 routing shards, partition size 3.
    let shrunk = [
        ("a", "a_0", 1),
        ("a", "a_1", 2),
        ("a", "a_4", 1),
        ("b", "b_0", 0),
        ("b", "b_4", 3),
        ("c", "c_0", 1),
        ("c", "c_2", 0),
        ("d", "d_0", 2),
        ("d", "d_2", 3),
    ];
    for (routing, id, expected) in shrunk {
        assert_eq!(
            shard_id_for(id, Some(routing), 4, 8, 3),
            expected,
            "{routing}/{id}"
        );
    }
}

#[test]
fn floor_mod_handles_negative_hashes() {
    assert_eq!(hash_to_shard_id(-1, 1024, 1), 0);
    assert_eq!(hash_to_shard_id(-1, 1024, 2), 1);
    // floorMod(-2^31, 640) = 512; 512 / 128 = 4
    assert_eq!(hash_to_shard_id(i32::MIN, 640, 5), 4);
}

#[test]
fn every_id_lands_in_range() {
    for i in 0..500 {
        let id = format!("doc-{i}");
        let s = shard_id_for(&id, None, 5, 640, 1);
        assert!(s < 5);
    }
}
