//! Pure response formatting shared by the handlers: `filter_path` response filtering, `_cat`
//! text/JSON/YAML tables, and Elasticsearch's human-readable byte sizes and durations.
//!
//! Owns: turning finished response values into the shapes Elasticsearch prints. Must not do I/O
//! or know about the cluster; handlers build the rows and values.

#![allow(clippy::result_large_err)] // EsError is the error type of every REST function.

mod cat_output;
pub mod cat_table;
pub mod filter_path;
pub use quarry_types::human;
pub mod human_fields;

#[cfg(test)]
mod cat_table_test;
#[cfg(test)]
mod filter_path_test;
