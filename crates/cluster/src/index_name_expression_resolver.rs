//! Resolves a request's index expression (`logs,metrics-*,-metrics-old,_all`, aliases) into
//! concrete index names under `IndicesOptions`, the way Elasticsearch's
//! `IndexNameExpressionResolver` does; and resolves the write index behind an alias.
//!
//! Owns: expression semantics. Must not change state. Date math (`<logs-{now/d}>`) is not
//! supported and is refused with an error.

use crate::cluster_state::ClusterState;
use crate::index_metadata::{AliasMetadata, IndexMetadata};
use crate::templates::simple_match;
use quarry_types::EsError;
use std::collections::BTreeSet;

/// `expand_wildcards` states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpandWildcards {
    pub open: bool,
    pub closed: bool,
    pub hidden: bool,
}

impl ExpandWildcards {
    pub const OPEN: ExpandWildcards = ExpandWildcards {
        open: true,
        closed: false,
        hidden: false,
    };
    pub const OPEN_CLOSED: ExpandWildcards = ExpandWildcards {
        open: true,
        closed: true,
        hidden: false,
    };
    pub const CLOSED: ExpandWildcards = ExpandWildcards {
        open: false,
        closed: true,
        hidden: false,
    };
    pub const ALL: ExpandWildcards = ExpandWildcards {
        open: true,
        closed: true,
        hidden: true,
    };
    pub const NONE: ExpandWildcards = ExpandWildcards {
        open: false,
        closed: false,
        hidden: false,
    };

    /// Parses `open,closed,hidden,all,none`.
    pub fn parse(text: &str) -> Result<ExpandWildcards, EsError> {
        let mut out = ExpandWildcards::NONE;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "open" => out.open = true,
                "closed" => out.closed = true,
                "hidden" => out.hidden = true,
                "all" => out = ExpandWildcards::ALL,
                "none" => out = ExpandWildcards::NONE,
                other => {
                    return Err(EsError::illegal_argument(format!(
                        "No enum constant org.elasticsearch.action.support.IndicesOptions.WildcardStates.{}",
                        other.to_ascii_uppercase()
                    )))
                }
            }
        }
        Ok(out)
    }
}

/// Elasticsearch `IndicesOptions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicesOptions {
    pub ignore_unavailable: bool,
    pub allow_no_indices: bool,
    pub expand_wildcards: ExpandWildcards,
    /// A closed index named explicitly is an error (`index_closed_exception`).
    pub forbid_closed_indices: bool,
    /// Aliases do not resolve (`DELETE /{index}`): a wildcard skips them and an alias named
    /// explicitly is an error unless `ignore_unavailable`.
    pub ignore_aliases: bool,
}

impl IndicesOptions {
    const fn new(
        ignore: bool,
        allow_no: bool,
        expand: ExpandWildcards,
        forbid_closed: bool,
    ) -> Self {
        IndicesOptions {
            ignore_unavailable: ignore,
            allow_no_indices: allow_no,
            expand_wildcards: expand,
            forbid_closed_indices: forbid_closed,
            ignore_aliases: false,
        }
    }
    /// `_search`, `_count`, `_refresh`, `_flush`, `_msearch`: open only, closed forbidden.
    pub const fn strict_expand_open_forbid_closed() -> Self {
        Self::new(false, true, ExpandWildcards::OPEN, true)
    }
    /// `GET idx`, `GET _mapping`, `GET _settings`, `_close`.
    pub const fn strict_expand_open() -> Self {
        Self::new(false, true, ExpandWildcards::OPEN, false)
    }
    /// Open and closed.
    pub const fn strict_expand() -> Self {
        Self::new(false, true, ExpandWildcards::OPEN_CLOSED, false)
    }
    /// `DELETE idx`: open and closed, aliases ignored.
    pub const fn for_delete_index() -> Self {
        let mut o = Self::new(false, true, ExpandWildcards::OPEN_CLOSED, false);
        o.ignore_aliases = true;
        o
    }
    /// `_open`: wildcards expand to closed indices.
    pub const fn for_open_index() -> Self {
        Self::new(false, true, ExpandWildcards::CLOSED, false)
    }
    /// `PUT _mapping`, `PUT _settings`: open and closed, no-match is an error.
    pub const fn strict_expand_no_empty() -> Self {
        Self::new(false, false, ExpandWildcards::OPEN_CLOSED, false)
    }
    /// `_cluster/health`, `_cat/*`: lenient, hidden included.
    pub const fn lenient_expand_hidden() -> Self {
        Self::new(true, true, ExpandWildcards::ALL, false)
    }
    pub const fn lenient_expand_open() -> Self {
        Self::new(true, true, ExpandWildcards::OPEN, false)
    }

    /// Applies the request parameters over `self` (`ignore_unavailable`, `allow_no_indices`,
    /// `expand_wildcards`), each given as its query-string text.
    pub fn with_params(
        mut self,
        ignore_unavailable: Option<&str>,
        allow_no_indices: Option<&str>,
        expand_wildcards: Option<&str>,
    ) -> Result<Self, EsError> {
        let parse_bool = |name: &str, v: &str| match v {
            "" | "true" => Ok(true),
            "false" => Ok(false),
            other => Err(EsError::illegal_argument(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            )))
            .map_err(|e: EsError| e.with("parameter", name.to_string())),
        };
        if let Some(v) = ignore_unavailable {
            self.ignore_unavailable = parse_bool("ignore_unavailable", v)?;
        }
        if let Some(v) = allow_no_indices {
            self.allow_no_indices = parse_bool("allow_no_indices", v)?;
        }
        if let Some(v) = expand_wildcards {
            self.expand_wildcards = ExpandWildcards::parse(v)?;
        }
        Ok(self)
    }
}

/// Hidden for wildcard purposes: `index.hidden: true` or a name starting with `.`.
fn index_is_hidden(meta: &IndexMetadata) -> bool {
    meta.is_hidden() || meta.name.starts_with('.')
}

fn wildcard_accepts(meta: &IndexMetadata, pattern: &str, expand: ExpandWildcards) -> bool {
    let state_ok = if meta.is_open() {
        expand.open
    } else {
        expand.closed
    };
    let hidden_ok = !index_is_hidden(meta) || expand.hidden || pattern.starts_with('.');
    state_ok && hidden_ok
}

fn alias_is_hidden(state: &ClusterState, alias: &str) -> bool {
    state
        .metadata
        .alias_indices(alias)
        .iter()
        .any(|i| i.aliases.get(alias).and_then(|a| a.is_hidden) == Some(true))
}

/// Expands a `*` pattern over indices and aliases.
fn expand_wildcard(
    state: &ClusterState,
    pattern: &str,
    options: &IndicesOptions,
) -> BTreeSet<String> {
    let expand = options.expand_wildcards;
    let mut out = BTreeSet::new();
    for meta in state.metadata.indices.values() {
        if simple_match(pattern, &meta.name) && wildcard_accepts(meta, pattern, expand) {
            out.insert(meta.name.clone());
        }
    }
    let aliases = if options.ignore_aliases {
        BTreeSet::new()
    } else {
        state.metadata.all_aliases()
    };
    for alias in aliases {
        if !simple_match(pattern, &alias) {
            continue;
        }
        if alias_is_hidden(state, &alias) && !expand.hidden && !pattern.starts_with('.') {
            continue;
        }
        for meta in state.metadata.alias_indices(&alias) {
            let state_ok = if meta.is_open() {
                expand.open
            } else {
                expand.closed
            };
            if state_ok {
                out.insert(meta.name.clone());
            }
        }
    }
    out
}

/// Resolves `expressions` (already split on commas; empty = `_all`) to concrete index names,
/// sorted.
pub fn concrete_indices(
    state: &ClusterState,
    expressions: &[String],
    options: &IndicesOptions,
) -> Result<Vec<String>, EsError> {
    let exprs: Vec<&str> = expressions
        .iter()
        .flat_map(|e| e.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let is_all = exprs.is_empty() || (exprs.len() == 1 && exprs[0] == "_all");
    let exprs = if is_all { vec!["*"] } else { exprs };
    let mut result: BTreeSet<String> = BTreeSet::new();
    let mut seen_wildcard = false;
    for expr in &exprs {
        if expr.starts_with('<') && expr.ends_with('>') {
            return Err(EsError::unsupported("date math index names"));
        }
        // A leading `_` is reserved for APIs: such an expression names an API that does not
        // exist, which Elasticsearch reports apart from a missing index.
        if expr.starts_with('_') && *expr != "_all" {
            return Err(EsError::invalid_index_name(
                expr,
                "must not start with '_'.",
            ));
        }
        if let Some(excluded) = expr.strip_prefix('-').filter(|_| seen_wildcard) {
            if excluded.contains('*') {
                result.retain(|name| !simple_match(excluded, name));
            } else {
                let gone = resolve_name(state, excluded);
                result.retain(|name| name != excluded && !gone.contains(name));
            }
            continue;
        }
        if expr.contains('*') {
            seen_wildcard = true;
            let matched = expand_wildcard(state, expr, options);
            if matched.is_empty() && !options.allow_no_indices {
                return Err(EsError::index_not_found(expr));
            }
            result.extend(matched);
            continue;
        }
        if let Some(meta) = state.index(expr) {
            if !meta.is_open() && options.forbid_closed_indices {
                if options.ignore_unavailable {
                    continue;
                }
                return Err(EsError::index_closed(expr));
            }
            result.insert(meta.name.clone());
        } else if state.metadata.has_alias(expr) && options.ignore_aliases {
            if !options.ignore_unavailable {
                return Err(EsError::illegal_argument(format!(
                    "The provided expression [{expr}] matches an alias, specify the corresponding concrete indices instead."
                )));
            }
        } else if state.metadata.has_alias(expr) {
            for meta in state.metadata.alias_indices(expr) {
                if meta.is_open() || !options.forbid_closed_indices {
                    result.insert(meta.name.clone());
                }
            }
        } else if !options.ignore_unavailable {
            return Err(EsError::index_not_found(expr));
        }
    }
    if result.is_empty() && !options.allow_no_indices {
        let name = if is_all {
            "_all".to_string()
        } else {
            exprs.join(",")
        };
        return Err(EsError::index_not_found(&name));
    }
    Ok(result.into_iter().collect())
}

/// A name as index or alias -> the index names it stands for.
fn resolve_name(state: &ClusterState, name: &str) -> BTreeSet<String> {
    if state.index(name).is_some() {
        return std::iter::once(name.to_string()).collect();
    }
    state
        .metadata
        .alias_indices(name)
        .iter()
        .map(|m| m.name.clone())
        .collect()
}

/// Where a write to `name` goes.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteIndex {
    pub index: String,
    /// The alias the write came through (its `index_routing` applies).
    pub alias: Option<(String, AliasMetadata)>,
}

/// Resolves the target of a write: an index itself, or the write index of an alias.
/// `Ok(None)` when nothing has that name (the caller may auto-create the index).
pub fn resolve_write_index(
    state: &ClusterState,
    name: &str,
) -> Result<Option<WriteIndex>, EsError> {
    if let Some(meta) = state.index(name) {
        if !meta.is_open() {
            return Err(EsError::index_closed(name));
        }
        return Ok(Some(WriteIndex {
            index: meta.name.clone(),
            alias: None,
        }));
    }
    let members = state.metadata.alias_indices(name);
    if members.is_empty() {
        return Ok(None);
    }
    let no_write_index = || {
        EsError::illegal_argument(format!(
            "no write index is defined for alias [{name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index"
        ))
    };
    let alias_of = |m: &IndexMetadata| m.aliases.get(name).cloned().unwrap_or_default();
    let chosen = if let Some(writer) = members
        .iter()
        .find(|m| m.aliases.get(name).and_then(|a| a.is_write_index) == Some(true))
    {
        writer
    } else if members.len() == 1 && alias_of(members[0]).is_write_index != Some(false) {
        members[0]
    } else {
        return Err(no_write_index());
    };
    if !chosen.is_open() {
        return Err(EsError::index_closed(&chosen.name));
    }
    Ok(Some(WriteIndex {
        index: chosen.name.clone(),
        alias: Some((name.to_string(), alias_of(chosen))),
    }))
}

/// The alias filters that apply when `index` is searched through `expressions`: `None` when
/// the index is reached directly, by a wildcard on index names, or by an alias without a
/// filter (no filtering); otherwise the filters of the aliases that reached it.
pub fn alias_filters(
    state: &ClusterState,
    expressions: &[String],
    index: &str,
) -> Option<Vec<serde_json::Value>> {
    let meta = state.index(index)?;
    let mut filters = Vec::new();
    for expr in expressions.iter().flat_map(|e| e.split(',')).map(str::trim) {
        if expr.is_empty() || expr == "_all" || expr.starts_with('-') {
            return None;
        }
        if expr == index || (expr.contains('*') && simple_match(expr, index)) {
            return None;
        }
        for (alias, alias_meta) in &meta.aliases {
            let reached = alias == expr || (expr.contains('*') && simple_match(expr, alias));
            if reached {
                match &alias_meta.filter {
                    Some(f) => filters.push(f.clone()),
                    None => return None,
                }
            }
        }
    }
    if filters.is_empty() {
        None
    } else {
        Some(filters)
    }
}

/// The search routing an alias imposes on `index` (`search_routing`), if any.
pub fn alias_search_routing(
    state: &ClusterState,
    expressions: &[String],
    index: &str,
) -> Option<String> {
    let meta = state.index(index)?;
    let mut values = BTreeSet::new();
    for expr in expressions.iter().flat_map(|e| e.split(',')).map(str::trim) {
        if expr == index {
            return None;
        }
        if let Some(a) = meta.aliases.get(expr) {
            match &a.search_routing {
                Some(r) => values.extend(r.split(',').map(|s| s.trim().to_string())),
                None => return None,
            }
        }
    }
    if values.is_empty() {
        None
    } else {
        Some(values.into_iter().collect::<Vec<_>>().join(","))
    }
}

#[cfg(test)]
#[path = "index_name_expression_resolver_test.rs"]
mod index_name_expression_resolver_test;
