//! The Quarry side of the single-node benchmark: create the index, send pre-built `_bulk`
//! bodies from several client threads (each with its own keep-alive connection, taking the
//! next body from a shared counter, like Rally's clients), refresh and read the index stats.

use crate::docgen::{index_body, BulkCorpus};
use crate::http::{check_bulk_response, Client};
use anyhow::{anyhow, bail, Context, Result};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Path every bulk request is sent to; action lines carry `_index`.
pub const BULK_PATH: &str = "/_bulk";
/// Per-request timeout of the load clients.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Figures of the load phase.
#[derive(Debug, Clone, Copy)]
pub struct LoadFigures {
    /// First bulk request sent to last bulk response read.
    pub load_secs: f64,
    pub requests: usize,
    /// Slowest single bulk request.
    pub max_request_secs: f64,
}

/// Creates the benchmark index (one shard, no replica, `translog.durability: request`).
pub fn create_index(addr: SocketAddr, index: &str, refresh_interval: &str) -> Result<()> {
    let mut c = Client::new(addr, Duration::from_secs(60));
    c.send_json_ok("PUT", &format!("/{index}"), &index_body(refresh_interval))
        .with_context(|| format!("creating index [{index}]"))?;
    let health = c.get(&format!(
        "/_cluster/health/{index}?wait_for_status=green&timeout=60s"
    ))?;
    if health.status != 200
        || health.json()?.get("status").and_then(|s| s.as_str()) != Some("green")
    {
        bail!(
            "index [{index}] did not become green: {} {}",
            health.status,
            health.text()
        );
    }
    Ok(())
}

/// Sends every body of `corpus` with `clients` concurrent connections.
pub fn bulk_load(addr: SocketAddr, corpus: &BulkCorpus, clients: usize) -> Result<LoadFigures> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let start = Instant::now();
    let results: Vec<Result<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut client = Client::new(addr, REQUEST_TIMEOUT);
                    let mut max = 0f64;
                    loop {
                        if failed.load(Ordering::Relaxed) {
                            return Ok(max);
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(body) = corpus.bodies.get(i) else {
                            return Ok(max);
                        };
                        let t = Instant::now();
                        let outcome = client
                            .request("POST", BULK_PATH, "application/x-ndjson", body)
                            .and_then(|resp| check_bulk_response(&resp))
                            .with_context(|| {
                                format!("bulk request {} of {}", i + 1, corpus.bodies.len())
                            });
                        if let Err(e) = outcome {
                            failed.store(true, Ordering::Relaxed);
                            return Err(e);
                        }
                        max = max.max(t.elapsed().as_secs_f64());
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("client thread panicked")))
            })
            .collect()
    });
    let load_secs = start.elapsed().as_secs_f64();
    let mut max_request_secs = 0f64;
    for r in results {
        max_request_secs = max_request_secs.max(r?);
    }
    Ok(LoadFigures {
        load_secs,
        requests: corpus.bodies.len(),
        max_request_secs,
    })
}

/// Refreshes the index and returns how long it took.
pub fn refresh(addr: SocketAddr, index: &str) -> Result<f64> {
    let mut c = Client::new(addr, REQUEST_TIMEOUT);
    let t = Instant::now();
    c.send_json_ok(
        "POST",
        &format!("/{index}/_refresh"),
        &serde_json::json!({}),
    )?;
    Ok(t.elapsed().as_secs_f64())
}

/// Document count and store size of the index's primaries from `GET /<index>/_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub docs_count: u64,
    pub store_size_bytes: u64,
}

pub fn index_stats(addr: SocketAddr, index: &str) -> Result<IndexStats> {
    let mut c = Client::new(addr, Duration::from_secs(60));
    let resp = c.get(&format!("/{index}/_stats"))?;
    if resp.status != 200 {
        bail!(
            "GET /{index}/_stats answered {}: {}",
            resp.status,
            resp.text()
        );
    }
    parse_index_stats(&resp.json()?, index)
}

/// Reads `primaries` of the index (falling back to `_all`) from a stats response.
pub fn parse_index_stats(v: &serde_json::Value, index: &str) -> Result<IndexStats> {
    let primaries = [
        v.pointer(&format!("/indices/{index}/primaries")),
        v.pointer("/_all/primaries"),
    ]
    .into_iter()
    .flatten()
    .next()
    .with_context(|| format!("stats response has no primaries: {v}"))?;
    let num = |ptr: &str| {
        primaries
            .pointer(ptr)
            .and_then(|n| n.as_u64())
            .with_context(|| format!("stats primaries have no {ptr}"))
    };
    Ok(IndexStats {
        docs_count: num("/docs/count")?,
        store_size_bytes: num("/store/size_in_bytes")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_stats() {
        let v = serde_json::json!({
            "_all": {"primaries": {"docs": {"count": 9}, "store": {"size_in_bytes": 99}}},
            "indices": {"logs": {"primaries": {"docs": {"count": 10}, "store": {"size_in_bytes": 100}}}}
        });
        assert_eq!(
            parse_index_stats(&v, "logs").unwrap(),
            IndexStats {
                docs_count: 10,
                store_size_bytes: 100
            }
        );
        assert_eq!(
            parse_index_stats(&v, "other").unwrap(),
            IndexStats {
                docs_count: 9,
                store_size_bytes: 99
            }
        );
        assert!(parse_index_stats(&serde_json::json!({}), "logs").is_err());
    }
}
