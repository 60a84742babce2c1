//! Per-segment readers of a field's doc values: every fast column stored under
//! `_k.<escaped path>` (a JSON path may hold a string column and a numeric one), read per doc.
//! Used by sorting, `docvalue_fields` and by collecting ids.
//!
//! Owns: column access and value decoding. Must not depend on the DSL or request types.

use quarry_index::layout::ShardLayout;
use quarry_types::EsError;
use tantivy::columnar::{Column, DynamicColumn, StrColumn};
use tantivy::{DocId, SegmentReader};

/// One raw value of a doc.
#[derive(Debug, Clone, PartialEq)]
pub enum DocValue {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl DocValue {
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            DocValue::I64(v) => Some(*v as f64),
            DocValue::U64(v) => Some(*v as f64),
            DocValue::F64(v) => Some(*v),
            DocValue::Bool(b) => Some(f64::from(u8::from(*b))),
            DocValue::Str(_) => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            DocValue::I64(v) => Some(*v),
            DocValue::U64(v) => i64::try_from(*v).ok(),
            DocValue::F64(v) => Some(*v as i64),
            DocValue::Bool(b) => Some(i64::from(*b)),
            DocValue::Str(_) => None,
        }
    }
}

enum ColumnReader {
    Str(StrColumn),
    I64(Column<i64>),
    U64(Column<u64>),
    F64(Column<f64>),
    Bool(Column<bool>),
}

/// All doc-value columns of one path in one segment.
pub struct PathValues {
    columns: Vec<ColumnReader>,
}

impl PathValues {
    pub fn open(segment: &SegmentReader, path: &str) -> Result<PathValues, EsError> {
        let name = ShardLayout::fast_column_name(path);
        let handles = segment
            .fast_fields()
            .dynamic_column_handles(&name)
            .map_err(|e| EsError::internal(format!("reading doc values of [{path}]: {e}")))?;
        let mut columns = Vec::new();
        for h in handles {
            let col = h
                .open()
                .map_err(|e| EsError::internal(format!("reading doc values of [{path}]: {e}")))?;
            match col {
                DynamicColumn::Str(c) => columns.push(ColumnReader::Str(c)),
                DynamicColumn::I64(c) => columns.push(ColumnReader::I64(c)),
                DynamicColumn::U64(c) => columns.push(ColumnReader::U64(c)),
                DynamicColumn::F64(c) => columns.push(ColumnReader::F64(c)),
                DynamicColumn::Bool(c) => columns.push(ColumnReader::Bool(c)),
                _ => {}
            }
        }
        Ok(PathValues { columns })
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Every value of `doc`, strings in dictionary order.
    pub fn values(&self, doc: DocId) -> Vec<DocValue> {
        let mut out = Vec::new();
        for col in &self.columns {
            match col {
                ColumnReader::Str(c) => {
                    for ord in c.term_ords(doc) {
                        let mut s = String::new();
                        if let Ok(true) = c.ord_to_str(ord, &mut s) {
                            out.push(DocValue::Str(s));
                        }
                    }
                }
                ColumnReader::I64(c) => out.extend(c.values_for_doc(doc).map(DocValue::I64)),
                ColumnReader::U64(c) => out.extend(c.values_for_doc(doc).map(DocValue::U64)),
                ColumnReader::F64(c) => out.extend(c.values_for_doc(doc).map(DocValue::F64)),
                ColumnReader::Bool(c) => out.extend(c.values_for_doc(doc).map(DocValue::Bool)),
            }
        }
        out
    }
}
