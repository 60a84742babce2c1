//! Turns a document's JSON source into the values to index, following the index mapping
//! (Elasticsearch's `DocumentParser`): walks objects and arrays, converts each leaf by its field
//! type, feeds multi-fields and `copy_to` targets, and maps unknown fields dynamically
//! (`dynamic: true|false|strict|runtime`, honoured per object). New fields are returned as a
//! mapping update for the caller to merge; nothing is written here, so a failing document leaves
//! no trace.
//!
//! Owns: the document walk and its error messages. Must not touch tantivy, the translog or the
//! cluster mapping (the caller merges `dynamic_update`).

use crate::analysis::AnalysisRegistry;
use crate::dynamic_mapping::{infer_field_mapping, insert_into_update};
use crate::field_value::{leaf_outcome, LeafOutcome};
use crate::json_source::{parse_json, JsonNode, JsonValue};
use crate::layout::{DocumentBuilder, IndexedValue};
use quarry_types::mapping::{Dynamic, FieldMapping, FieldType, Mapping};
use quarry_types::EsError;
use serde_json::Value;
use std::borrow::Cow;

/// The outcome of parsing one document.
#[derive(Debug)]
pub struct ParsedDocument {
    pub builder: DocumentBuilder,
    /// Only the fields this document introduced, to be merged into the index mapping.
    pub dynamic_update: Option<Mapping>,
}

/// Metadata fields that cannot appear inside a document.
const METADATA_FIELDS: &[&str] = &[
    "_id",
    "_index",
    "_routing",
    "_source",
    "_seq_no",
    "_version",
    "_primary_term",
    "_field_names",
    "_ignored",
    "_tier",
    "_nested_path",
    "_data_stream_timestamp",
    "_feature",
    "_doc_count",
];

/// Parses `source` with the `standard` default analyzer and no normalizers.
pub fn parse_document(mapping: &Mapping, source: &[u8]) -> Result<ParsedDocument, EsError> {
    DocumentParser::new(mapping).parse(None, source)
}

/// Parses documents against one mapping, optionally with the index's analysis (custom `default`
/// analyzer, keyword normalizers).
#[derive(Debug, Clone, Copy)]
pub struct DocumentParser<'a> {
    mapping: &'a Mapping,
    analysis: Option<&'a AnalysisRegistry>,
    /// `index.mapping.nested_objects.limit`; `None` = unchecked.
    nested_objects_limit: Option<usize>,
}

impl<'a> DocumentParser<'a> {
    pub fn new(mapping: &'a Mapping) -> Self {
        DocumentParser {
            mapping,
            analysis: None,
            nested_objects_limit: None,
        }
    }

    /// Fails documents holding more nested objects than `limit`, as Elasticsearch does.
    pub fn with_nested_objects_limit(mut self, limit: usize) -> Self {
        self.nested_objects_limit = Some(limit);
        self
    }

    pub fn with_analysis(mut self, analysis: &'a AnalysisRegistry) -> Self {
        self.analysis = Some(analysis);
        self
    }

    /// Parses one source; `id` only appears in error messages.
    pub fn parse(&self, id: Option<&str>, source: &[u8]) -> Result<ParsedDocument, EsError> {
        let root = match parse_json(source) {
            Ok(Some(root)) => root,
            Ok(None) => {
                return Err(EsError::document_parsing(
                    "failed to parse, document is empty",
                ))
            }
            Err(e) => {
                return Err(EsError::document_parsing(format!(
                    "[{}:{}] failed to parse: {}",
                    e.line, e.column, e.message
                ))
                .caused_by(EsError::json_parse(e.message)))
            }
        };
        let JsonValue::Object(fields) = &root.value else {
            return Err(EsError::document_parsing(format!(
                "[{}:{}] failed to parse: Malformed content, must start with an object",
                root.line, root.column
            )));
        };
        for (name, node) in fields {
            if METADATA_FIELDS.contains(&name.as_str()) {
                return Err(EsError::document_parsing(format!(
                    "[{}:{}] Field [{name}] is a metadata field and cannot be added inside a document. Use the index API request parameters.",
                    node.line, node.column
                )));
            }
        }
        let mut walk = Walk {
            mapping: self.mapping,
            analysis: self.analysis,
            default_analyzer: self
                .analysis
                .map(|a| a.default_analyzer())
                .unwrap_or("standard"),
            id,
            builder: DocumentBuilder::new(),
            update: Mapping::default(),
            has_update: false,
            nested_limit: self.nested_objects_limit,
            nested_count: 0,
        };
        let dynamic = self.mapping.dynamic.unwrap_or(Dynamic::True);
        walk.object("", fields, dynamic)?;
        Ok(ParsedDocument {
            builder: walk.builder,
            dynamic_update: walk.has_update.then_some(walk.update),
        })
    }
}

struct Walk<'a> {
    mapping: &'a Mapping,
    analysis: Option<&'a AnalysisRegistry>,
    default_analyzer: &'a str,
    id: Option<&'a str>,
    builder: DocumentBuilder,
    update: Mapping,
    has_update: bool,
    nested_limit: Option<usize>,
    nested_count: usize,
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

impl<'a> Walk<'a> {
    /// The mapping of `path`: borrowed from the index mapping (the common case, no copy) or
    /// cloned from this document's pending dynamic update.
    fn lookup(&self, path: &str) -> Option<Cow<'a, FieldMapping>> {
        let mapping: &'a Mapping = self.mapping;
        match mapping.field(path) {
            Some(fm) => Some(Cow::Borrowed(fm)),
            None => self.update.field(path).cloned().map(Cow::Owned),
        }
    }

    fn object(
        &mut self,
        prefix: &str,
        fields: &[(String, JsonNode)],
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        for (name, node) in fields {
            if !name.is_empty() && name.chars().all(|c| c == '.') {
                // Elasticsearch's `DotExpandingXContentParser`, wrapped by the document parser.
                let reason = "field name cannot contain only dots";
                return Err(EsError::document_parsing(format!(
                    "[{}:{}] failed to parse: {reason}",
                    node.line, node.column
                ))
                .caused_by(EsError::illegal_argument(reason)));
            }
            if name.trim().is_empty() || name.split('.').any(str::is_empty) {
                let reason = if name.is_empty() {
                    "field name cannot be an empty string".to_string()
                } else {
                    format!(
                        "field name [{name}] cannot contain only whitespace or empty path segments"
                    )
                };
                return Err(EsError::document_parsing(format!(
                    "[{}:{}] {reason}",
                    node.line, node.column
                )));
            }
            let parts: Vec<&str> = name.split('.').collect();
            self.dotted(prefix, &parts, node, dynamic)?;
        }
        Ok(())
    }

    /// A key like `a.b.c` is the object path `a` -> `b` -> field `c`.
    fn dotted(
        &mut self,
        prefix: &str,
        parts: &[&str],
        node: &JsonNode,
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        let [head, rest @ ..] = parts else {
            return Ok(());
        };
        if rest.is_empty() {
            return self.field(prefix, head, node, dynamic);
        }
        let path = join(prefix, head);
        let inner_dynamic = match self.lookup(&path) {
            Some(fm) if fm.field_type.is_object() => {
                if !fm.is_enabled() {
                    return Ok(());
                }
                fm.dynamic().unwrap_or(dynamic)
            }
            Some(fm) => {
                return Err(EsError::document_parsing(format!(
                    "[{}:{}] Could not dynamically add mapping for field [{}]. Existing mapping for [{path}] must be of type object but found [{}].",
                    node.line,
                    node.column,
                    join(&path, &rest.join(".")),
                    fm.field_type.name()
                )))
            }
            None => match dynamic {
                Dynamic::Strict => return Err(self.strict_error(prefix, head, node)),
                Dynamic::False | Dynamic::Runtime => return Ok(()),
                Dynamic::True => {
                    self.add_update(&path, FieldMapping::object());
                    dynamic
                }
            },
        };
        self.dotted(&path, rest, node, inner_dynamic)
    }

    fn field(
        &mut self,
        prefix: &str,
        name: &str,
        node: &JsonNode,
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        let path = join(prefix, name);
        let fm = match self.lookup(&path) {
            Some(fm) => fm,
            None => match dynamic {
                Dynamic::Strict => {
                    if matches!(&node.value, JsonValue::Null) {
                        return Ok(());
                    }
                    return Err(self.strict_error(prefix, name, node));
                }
                Dynamic::False | Dynamic::Runtime => return Ok(()),
                Dynamic::True => {
                    match infer_field_mapping(self.mapping, &path, name, &node.value) {
                        Some(fm) => {
                            self.add_update(&path, fm.clone());
                            Cow::Owned(fm)
                        }
                        None => return Ok(()),
                    }
                }
            },
        };
        if fm.field_type.is_object() {
            return self.object_value(&path, name, &fm, node, dynamic);
        }
        self.leaf(&path, &fm, node, true)
    }

    fn object_value(
        &mut self,
        path: &str,
        name: &str,
        fm: &FieldMapping,
        node: &JsonNode,
        dynamic: Dynamic,
    ) -> Result<(), EsError> {
        match &node.value {
            JsonValue::Object(fields) => {
                if fm.field_type == FieldType::Nested {
                    self.count_nested(node)?;
                }
                if fm.is_enabled() {
                    self.object(path, fields, fm.dynamic().unwrap_or(dynamic))?;
                }
                Ok(())
            }
            JsonValue::Array(items) => {
                for item in items {
                    self.object_value(path, name, fm, item, dynamic)?;
                }
                Ok(())
            }
            JsonValue::Null => Ok(()),
            _ if !fm.is_enabled() => Ok(()),
            _ => Err(EsError::document_parsing(format!(
                "[{}:{}] object mapping for [{path}] tried to parse field [{name}] as object, but found a concrete value",
                node.line, node.column
            ))),
        }
    }

    /// Counts one nested document against `index.mapping.nested_objects.limit`.
    fn count_nested(&mut self, node: &JsonNode) -> Result<(), EsError> {
        self.nested_count += 1;
        match self.nested_limit {
            Some(limit) if self.nested_count > limit => {
                let reason = format!(
                    "The number of nested documents has exceeded the allowed limit of [{limit}]. This limit can be set by changing the [index.mapping.nested_objects.limit] index level setting."
                );
                Err(EsError::document_parsing(format!(
                    "[{}:{}] failed to parse: {reason}",
                    node.line, node.column
                ))
                .caused_by(EsError::illegal_argument(reason)))
            }
            _ => Ok(()),
        }
    }

    /// Indexes the value(s) of a leaf field, its multi-fields and its `copy_to` targets.
    fn leaf(
        &mut self,
        path: &str,
        fm: &FieldMapping,
        node: &JsonNode,
        follow_copy_to: bool,
    ) -> Result<(), EsError> {
        if let JsonValue::Array(items) = &node.value {
            for item in items {
                self.leaf(path, fm, item, follow_copy_to)?;
            }
            return Ok(());
        }
        if fm.field_type == FieldType::Flattened {
            return self.flattened(path, path, &node.value);
        }
        match leaf_outcome(fm, &node.value, self.default_analyzer, self.analysis) {
            Ok(LeafOutcome::Index(value)) => {
                if fm.is_indexed() {
                    self.builder.add(path, value);
                } else {
                    self.builder.mark_present(path);
                }
            }
            Ok(LeafOutcome::Ignored) => self.builder.mark_ignored(path),
            Ok(LeafOutcome::Skip) => {}
            Err(_) if fm.ignore_malformed() => self.builder.mark_ignored(path),
            Err(cause) => return Err(self.field_error(path, fm, node, cause)),
        }
        for (sub, sub_fm) in &fm.fields {
            self.leaf(&format!("{path}.{sub}"), sub_fm, node, false)?;
        }
        if follow_copy_to {
            for target in copy_to_targets(fm) {
                if let Some(target_fm) = self.lookup(&target) {
                    if !target_fm.field_type.is_object() {
                        self.leaf(&target, &target_fm, node, false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `flattened`: every leaf value is a keyword at the root path and at `root.key.path`.
    fn flattened(&mut self, root: &str, path: &str, value: &JsonValue) -> Result<(), EsError> {
        match value {
            JsonValue::Object(fields) => {
                for (k, v) in fields {
                    self.flattened(root, &format!("{path}.{k}"), &v.value)?;
                }
            }
            JsonValue::Array(items) => {
                for item in items {
                    self.flattened(root, path, &item.value)?;
                }
            }
            JsonValue::Null => {}
            scalar => {
                let text = match scalar {
                    JsonValue::String(s) => s.clone(),
                    other => other.preview(),
                };
                self.builder.add(root, IndexedValue::Keyword(text.clone()));
                if path != root {
                    self.builder.add(path, IndexedValue::Keyword(text));
                }
            }
        }
        Ok(())
    }

    fn add_update(&mut self, path: &str, fm: FieldMapping) {
        insert_into_update(&mut self.update, self.mapping, path, fm);
        self.has_update = true;
    }

    fn strict_error(&self, prefix: &str, name: &str, node: &JsonNode) -> EsError {
        let within = if prefix.is_empty() { "_doc" } else { prefix };
        EsError::strict_dynamic_mapping(format!(
            "[{}:{}] mapping set to strict, dynamic introduction of [{name}] within [{within}] is not allowed",
            node.line, node.column
        ))
    }

    fn field_error(
        &self,
        path: &str,
        fm: &FieldMapping,
        node: &JsonNode,
        cause: String,
    ) -> EsError {
        let id = match self.id {
            Some(id) => format!(" in document with id '{id}'"),
            None => String::new(),
        };
        EsError::document_parsing(format!(
            "[{}:{}] failed to parse field [{path}] of type [{}]{id}. Preview of field's value: '{}'",
            node.line,
            node.column,
            fm.field_type.name(),
            node.value.preview()
        ))
        .caused_by(EsError::illegal_argument(cause))
    }
}

fn copy_to_targets(fm: &FieldMapping) -> Vec<String> {
    match fm.params.get("copy_to") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[path = "mapper_test.rs"]
mod mapper_test;
