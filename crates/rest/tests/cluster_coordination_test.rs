//! Single-node behaviour of the coordination APIs against Elasticsearch 8: `_cat/master`,
//! `_cat/nodeattrs`, `_cluster/pending_tasks` and `_cat/pending_tasks`, the voting config
//! exclusion APIs (parameter checks, recorded exclusions, timeouts, clearing) and
//! `metadata.cluster_coordination` in `GET _cluster/state`.

mod support;

use quarry_node::{Node, NodeConfig};
use serde_json::json;

async fn start_with_attributes(attributes: &[(&str, &str)]) -> support::TestNode {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = NodeConfig::for_test(dir.path().to_path_buf());
    config.attributes = attributes
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let node = Node::start(config).await.expect("node starts");
    support::TestNode {
        router: quarry_rest::router(node.clone()),
        node,
        dir,
    }
}

#[tokio::test]
async fn cat_master_shows_the_elected_master() {
    let n = support::start().await;
    let id = n.node.node_id.clone();
    let r = n.call("GET", "/_cat/master", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, format!("{id} 127.0.0.1 127.0.0.1 node-1\n"));
    let r = n.call("GET", "/_cat/master?v&h=ip,node", None).await;
    assert_eq!(r.text, "ip        node\n127.0.0.1 node-1\n");
    let (status, v) = n.json("GET", "/_cat/master?format=json", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!([{"id": id, "host": "127.0.0.1", "ip": "127.0.0.1", "node": "node-1"}])
    );
    let r = n.call("GET", "/_cat/master?help", None).await;
    let names: Vec<&str> = r
        .text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, vec!["id", "host", "ip", "node"]);
    // OpenSearch's name for the same table.
    let r = n.call("GET", "/_cat/cluster_manager?h=node", None).await;
    assert_eq!(r.text, "node-1\n");
}

#[tokio::test]
async fn cat_nodeattrs_lists_one_row_per_attribute() {
    let n = start_with_attributes(&[("zone", "z1"), ("rack_id", "r7")]).await;
    let (status, v) = n
        .json("GET", "/_cat/nodeattrs?format=json&s=attr", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        v,
        json!([
            {"node": "node-1", "host": "127.0.0.1", "ip": "127.0.0.1", "attr": "rack_id", "value": "r7"},
            {"node": "node-1", "host": "127.0.0.1", "ip": "127.0.0.1", "attr": "zone", "value": "z1"},
        ])
    );
    let r = n
        .call("GET", "/_cat/nodeattrs?v&h=node,attr,value&s=attr", None)
        .await;
    assert_eq!(
        r.text,
        "node   attr    value\nnode-1 rack_id r7\nnode-1 zone    z1\n"
    );
    // The optional columns: id (4 characters unless full_id), pid and port.
    let id = n.node.node_id.clone();
    let (_, v) = n
        .json(
            "GET",
            "/_cat/nodeattrs?format=json&h=id,pid,port&full_id=true",
            None,
        )
        .await;
    assert_eq!(v[0]["id"], json!(id));
    assert_eq!(v[0]["pid"], json!(std::process::id().to_string()));
    assert_eq!(v[0]["port"], json!("9300"));
    let (_, v) = n
        .json("GET", "/_cat/nodeattrs?format=json&h=id", None)
        .await;
    assert_eq!(v[0]["id"], json!(id.chars().take(4).collect::<String>()));
    // A node without attributes has no rows.
    let plain = support::start().await;
    let r = plain.call("GET", "/_cat/nodeattrs", None).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
}

#[tokio::test]
async fn pending_tasks_are_empty_as_the_master_queues_nothing() {
    let n = support::start().await;
    let (status, v) = n.json("GET", "/_cluster/pending_tasks", None).await;
    assert_eq!(status, 200);
    assert_eq!(v, json!({"tasks": []}));
    let r = n.call("GET", "/_cat/pending_tasks", None).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
    let r = n.call("GET", "/_cat/pending_tasks?v", None).await;
    assert_eq!(r.text, "insertOrder timeInQueue priority source\n");
    let (_, v) = n.json("GET", "/_cat/pending_tasks?format=json", None).await;
    assert_eq!(v, json!([]));
}

#[tokio::test]
async fn voting_config_exclusions_need_exactly_one_of_node_ids_and_node_names() {
    let n = support::start().await;
    for uri in [
        "/_cluster/voting_config_exclusions",
        "/_cluster/voting_config_exclusions?node_ids=a&node_names=b",
    ] {
        let (status, v) = n.json("POST", uri, None).await;
        assert_eq!(status, 400, "{uri}: {v}");
        assert_eq!(v["error"]["type"], "illegal_argument_exception");
        assert_eq!(
            v["error"]["reason"],
            "You must set [node_names] or [node_ids] but not both"
        );
    }
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/voting_config_exclusions?node_ids=a&timeout=-1",
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["reason"], "timeout [-1] must be non-negative");
    let (status, v) = n
        .json("POST", "/_cluster/voting_config_exclusions?node=a", None)
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, _) = n
        .json(
            "DELETE",
            "/_cluster/voting_config_exclusions?wait_for_removal=maybe",
            None,
        )
        .await;
    assert_eq!(status, 400);
}

async fn coordination(n: &support::TestNode) -> serde_json::Value {
    let (status, v) = n
        .json(
            "GET",
            "/_cluster/state?filter_path=metadata.cluster_coordination",
            None,
        )
        .await;
    assert_eq!(status, 200);
    v["metadata"]["cluster_coordination"].clone()
}

#[tokio::test]
async fn cluster_state_shows_the_single_node_voting_configuration() {
    let n = support::start().await;
    let id = n.node.node_id.clone();
    let expected = json!({
        "term": 0,
        "last_committed_config": [id],
        "last_accepted_config": [id],
        "voting_config_exclusions": [],
    });
    assert_eq!(coordination(&n).await, expected);
    let (_, v) = n.json("GET", "/_cluster/state/metadata", None).await;
    assert_eq!(v["metadata"]["cluster_coordination"], expected);
    let (_, v) = n.json("GET", "/_cluster/state", None).await;
    assert_eq!(v["metadata"]["cluster_coordination"], expected);
}

#[tokio::test]
async fn exclusions_of_unknown_nodes_are_recorded_and_cleared() {
    let n = support::start().await;
    let r = n
        .call(
            "POST",
            "/_cluster/voting_config_exclusions?node_ids=nodeId",
            None,
        )
        .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
    let r = n
        .call(
            "POST",
            "/_cluster/voting_config_exclusions?node_names=nodeName,nodeId",
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        coordination(&n).await["voting_config_exclusions"],
        json!([
            {"node_id": "nodeId", "node_name": "_absent_"},
            {"node_id": "_absent_", "node_name": "nodeName"},
            {"node_id": "_absent_", "node_name": "nodeId"},
        ])
    );
    // None of them is in the cluster: clearing does not wait.
    let r = n
        .call("DELETE", "/_cluster/voting_config_exclusions", None)
        .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
    assert_eq!(
        coordination(&n).await["voting_config_exclusions"],
        json!([])
    );
}

#[tokio::test]
async fn excluding_the_only_master_times_out_and_clearing_without_waiting_works() {
    let n = support::start().await;
    let id = n.node.node_id.clone();
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/voting_config_exclusions?node_names=node-1&timeout=0s",
            None,
        )
        .await;
    assert_eq!(status, 500, "{v}");
    assert_eq!(v["error"]["type"], "timeout_exception");
    assert_eq!(
        v["error"]["reason"],
        format!(
            "timed out waiting for voting config exclusions [{{{id}}}{{node-1}}] to take effect"
        )
    );
    // The exclusion stays recorded, and the node stays the voting configuration.
    let c = coordination(&n).await;
    assert_eq!(
        c["voting_config_exclusions"],
        json!([{"node_id": id, "node_name": "node-1"}])
    );
    assert_eq!(c["last_committed_config"], json!([id]));
    let r = n
        .call(
            "DELETE",
            "/_cluster/voting_config_exclusions?wait_for_removal=false",
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        coordination(&n).await["voting_config_exclusions"],
        json!([])
    );
}

#[tokio::test]
async fn the_number_of_exclusions_is_limited_by_the_cluster_setting() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/_cluster/settings",
            Some(json!({"persistent": {"cluster.max_voting_config_exclusions": 2}})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = n
        .json(
            "POST",
            "/_cluster/voting_config_exclusions?node_ids=a",
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/voting_config_exclusions?node_ids=b,c",
            None,
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["type"], "illegal_argument_exception");
    assert_eq!(
        v["error"]["reason"],
        "add voting config exclusions request for nodes with ids [b, c] would add [2] exclusions to the existing [1] which would exceed the maximum of [2] set by [cluster.max_voting_config_exclusions]"
    );
    assert_eq!(
        coordination(&n).await["voting_config_exclusions"],
        json!([{"node_id": "a", "node_name": "_absent_"}])
    );
}
