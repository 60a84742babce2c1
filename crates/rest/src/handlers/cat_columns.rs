//! The column tables of the `_cat` APIs, in Elasticsearch's order with its aliases, alignment
//! (`text-align:right` only where Elasticsearch declares it: `epoch` and `count`, for example,
//! are left-aligned) and `help` descriptions. Order matters: default columns print in it, and
//! `h` wildcards expand in it.

use crate::format::cat_table::CatColumn;

/// A default, left-aligned column.
const fn c(name: &'static str, aliases: &'static [&'static str], d: &'static str) -> CatColumn {
    CatColumn::new(name, aliases, d)
}

/// A default, right-aligned column.
const fn r(name: &'static str, aliases: &'static [&'static str], d: &'static str) -> CatColumn {
    CatColumn::new(name, aliases, d).right()
}

const EPOCH: CatColumn = c("epoch", &["t", "time"], "seconds since 1970-01-01 00:00:00");
const TIMESTAMP: CatColumn = c("timestamp", &["ts", "hms", "hhmmss"], "time in HH:MM:SS");

pub const HEALTH: &[CatColumn] = &[
    EPOCH,
    TIMESTAMP,
    c("cluster", &["cl"], "cluster name"),
    c("status", &["st"], "health status"),
    r("node.total", &["nt", "nodeTotal"], "total number of nodes"),
    r(
        "node.data",
        &["nd", "nodeData"],
        "number of nodes that can store data",
    ),
    r(
        "shards",
        &["t", "sh", "shards.total", "shardsTotal"],
        "total number of shards",
    ),
    r(
        "pri",
        &["p", "shards.primary", "shardsPrimary"],
        "number of primary shards",
    ),
    r(
        "relo",
        &["r", "shards.relocating", "shardsRelocating"],
        "number of relocating nodes",
    ),
    r(
        "init",
        &["i", "shards.initializing", "shardsInitializing"],
        "number of initializing nodes",
    ),
    r(
        "unassign",
        &["u", "shards.unassigned", "shardsUnassigned"],
        "number of unassigned shards",
    ),
    r(
        "unassign.pri",
        &["up", "shards.unassigned.primary", "shardsUnassignedPrimary"],
        "number of unassigned primary shards",
    ),
    r(
        "pending_tasks",
        &["pt", "pendingTasks"],
        "number of pending tasks",
    ),
    r(
        "max_task_wait_time",
        &["mtwt", "maxTaskWaitTime"],
        "wait time of longest task pending",
    ),
    r(
        "active_shards_percent",
        &["asp", "activeShardsPercent"],
        "active number of shards in percent",
    ),
];

pub const INDICES: &[CatColumn] = &[
    c("health", &["h"], "current health status"),
    c("status", &["s"], "open/close status"),
    c("index", &["i", "idx"], "index name"),
    c("uuid", &["id", "uuid"], "index uuid"),
    r(
        "pri",
        &["p", "shards.primary", "shardsPrimary"],
        "number of primary shards",
    ),
    r(
        "rep",
        &["r", "shards.replica", "shardsReplica"],
        "number of replica shards",
    ),
    r("docs.count", &["dc", "docsCount"], "available docs"),
    r("docs.deleted", &["dd", "docsDeleted"], "deleted docs"),
    c(
        "creation.date",
        &["cd"],
        "index creation date (millisecond value)",
    )
    .hidden(),
    c(
        "creation.date.string",
        &["cds"],
        "index creation date (as string)",
    )
    .hidden(),
    r(
        "store.size",
        &["ss", "storeSize"],
        "store size of primaries & replicas",
    )
    .with_pri(),
    r("pri.store.size", &[], "store size of primaries"),
    r("dataset.size", &[], "total size of dataset"),
];

pub const SHARDS: &[CatColumn] = &[
    c("index", &["i", "idx"], "index name"),
    c("shard", &["s", "sh"], "shard name"),
    c(
        "prirep",
        &["p", "pr", "primaryOrReplica"],
        "primary or replica",
    ),
    c("state", &["st"], "shard state"),
    r("docs", &["d", "dc"], "number of docs in shard"),
    r(
        "store",
        &["sto"],
        "store size of shard (how much disk it uses)",
    ),
    r("dataset", &[], "total size of dataset"),
    c("ip", &[], "ip of node where it lives"),
    c("id", &[], "unique id of node where it lives").hidden(),
    c("node", &["n"], "name of node where it lives"),
    c("sync_id", &["sync_id"], "sync id").hidden(),
    c(
        "unassigned.reason",
        &["ur"],
        "reason shard became unassigned",
    )
    .hidden(),
    c(
        "unassigned.at",
        &["ua"],
        "time shard became unassigned (UTC)",
    )
    .hidden(),
    r("unassigned.for", &["uf"], "time has been unassigned").hidden(),
    c(
        "unassigned.details",
        &["ud"],
        "additional details as to why the shard became unassigned",
    )
    .hidden(),
    c("recoverysource.type", &["rs"], "recovery source type").hidden(),
    r("seq_no.max", &["sqm", "maxSeqNo"], "max sequence number").hidden(),
    r(
        "seq_no.local_checkpoint",
        &["sql", "localCheckpoint"],
        "local checkpoint",
    )
    .hidden(),
    r(
        "seq_no.global_checkpoint",
        &["sqg", "globalCheckpoint"],
        "global checkpoint",
    )
    .hidden(),
    r(
        "docs.deleted",
        &["dd", "docsDeleted"],
        "number of deleted docs in shard",
    )
    .hidden(),
];

pub const NODES: &[CatColumn] = &[
    c("id", &["id", "nodeId"], "unique node id").hidden(),
    c("pid", &["p"], "process id").hidden(),
    c("ip", &["i"], "ip address"),
    c("port", &["po"], "bound transport port").hidden(),
    c("http_address", &["http"], "bound http address").hidden(),
    c("version", &["v"], "es version").hidden(),
    c("flavor", &["f"], "es distribution flavor").hidden(),
    c("type", &["t"], "es distribution type").hidden(),
    c("build", &["b"], "es build hash").hidden(),
    r("disk.total", &["dt", "diskTotal"], "total disk space").hidden(),
    r("disk.used", &["du", "diskUsed"], "used disk space").hidden(),
    r(
        "disk.avail",
        &["d", "da", "disk", "diskAvail"],
        "available disk space",
    )
    .hidden(),
    r(
        "disk.used_percent",
        &["dup", "diskUsedPercent"],
        "used disk space percentage",
    )
    .hidden(),
    r("heap.current", &["hc", "heapCurrent"], "used heap").hidden(),
    r("heap.percent", &["hp", "heapPercent"], "used heap ratio"),
    r("heap.max", &["hm", "heapMax"], "max configured heap").hidden(),
    r("ram.current", &["rc", "ramCurrent"], "used machine memory").hidden(),
    r(
        "ram.percent",
        &["rp", "ramPercent"],
        "used machine memory ratio",
    ),
    r("ram.max", &["rm", "ramMax"], "total machine memory").hidden(),
    r(
        "file_desc.current",
        &["fdc", "fileDescriptorCurrent"],
        "used file descriptors",
    )
    .hidden(),
    r(
        "file_desc.percent",
        &["fdp", "fileDescriptorPercent"],
        "used file descriptor ratio",
    )
    .hidden(),
    r(
        "file_desc.max",
        &["fdm", "fileDescriptorMax"],
        "max file descriptors",
    )
    .hidden(),
    r("cpu", &["cpu"], "recent cpu usage"),
    r("load_1m", &["l"], "1m load avg"),
    r("load_5m", &["l"], "5m load avg"),
    r("load_15m", &["l"], "15m load avg"),
    r("uptime", &["u"], "node uptime").hidden(),
    c(
        "node.role",
        &["r", "role", "nodeRole"],
        "m:master eligible node, d:data node, i:ingest node, -:coordinating node only",
    ),
    c("master", &["m"], "*:current master"),
    c("name", &["n"], "node name"),
];

pub const COUNT: &[CatColumn] = &[
    EPOCH,
    TIMESTAMP,
    c(
        "count",
        &["dc", "docs.count", "docsCount"],
        "the document count",
    ),
];

pub const ALIASES: &[CatColumn] = &[
    c("alias", &["a"], "alias name"),
    c("index", &["i", "idx"], "index alias points to"),
    c("filter", &["f", "fi"], "filter"),
    c("routing.index", &["ri", "routingIndex"], "index routing"),
    c("routing.search", &["rs", "routingSearch"], "search routing"),
    c("is_write_index", &["w", "isWriteIndex"], "write index"),
];

pub const MASTER: &[CatColumn] = &[
    c("id", &[], "node id"),
    c("host", &["h"], "host name"),
    c("ip", &[], "ip address"),
    c("node", &["n"], "node name"),
];

pub const ALLOCATION: &[CatColumn] = &[
    r("shards", &["s"], "number of shards on node"),
    r(
        "shards.undesired",
        &[],
        "number of shards that are scheduled to be moved elsewhere in the cluster",
    )
    .hidden(),
    r(
        "disk.indices",
        &["di", "diskIndices"],
        "disk used by ES indices",
    ),
    r(
        "disk.used",
        &["du", "diskUsed"],
        "disk used (total, not just ES)",
    ),
    r("disk.avail", &["da", "diskAvail"], "disk available"),
    r(
        "disk.total",
        &["dt", "diskTotal"],
        "total capacity of all volumes",
    ),
    r("disk.percent", &["dp", "diskPercent"], "percent disk used"),
    c("host", &["h"], "host of node"),
    c("ip", &[], "ip of node"),
    c("node", &["n"], "name of node"),
    c("node.role", &["r", "role", "nodeRole"], "node roles").hidden(),
];

pub const NODEATTRS: &[CatColumn] = &[
    c("node", &["name"], "node name"),
    c("id", &["id", "nodeId"], "unique node id").hidden(),
    c("pid", &["p"], "process id").hidden(),
    c("host", &["h"], "host name"),
    c("ip", &["i"], "ip address"),
    c("port", &["po"], "bound transport port").hidden(),
    c("attr", &["attr.name"], "attribute description"),
    c("value", &["attr.value"], "attribute value"),
];

pub const PENDING_TASKS: &[CatColumn] = &[
    r("insertOrder", &["o"], "task insertion order"),
    r("timeInQueue", &["t"], "how long task has been in queue"),
    c("priority", &["p"], "task priority"),
    c("source", &["s"], "task source"),
];

/// Columns holding byte counts: rendered human-readable unless `bytes=` fixes the unit.
pub const BYTE_COLUMNS: &[&str] = &[
    "disk.indices",
    "store.size",
    "pri.store.size",
    "dataset.size",
    "store",
    "dataset",
    "disk.total",
    "disk.used",
    "disk.avail",
    "heap.current",
    "heap.max",
    "ram.current",
    "ram.max",
];

/// Columns holding durations in milliseconds: human-readable unless `time=` fixes the unit.
pub const MILLIS_COLUMNS: &[&str] = &["uptime", "unassigned.for", "timeInQueue"];
