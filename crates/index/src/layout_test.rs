use super::*;
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::tokenizer::{LowerCaser, RawTokenizer, SimpleTokenizer, TextAnalyzer};
use tantivy::Index;

fn index_with(docs: Vec<DocumentBuilder>) -> (Index, ShardLayout) {
    let layout = ShardLayout::build(&["standard".to_string()]);
    let index = Index::create_in_ram(layout.schema.clone());
    index
        .tokenizers()
        .register(RAW_TOKENIZER, TextAnalyzer::from(RawTokenizer::default()));
    index.tokenizers().register(
        "standard",
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
    let mut w: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
    for (i, b) in docs.into_iter().enumerate() {
        let id = i.to_string();
        let meta = DocumentMeta {
            id: &id,
            source: b"{}",
            routing: None,
            seq_no: i as i64,
            version: 1,
            primary_term: 1,
        };
        w.add_document(b.build(&layout, &meta)).unwrap();
    }
    w.commit().unwrap();
    (index, layout)
}

fn count(index: &Index, term: Term) -> usize {
    let searcher = index.reader().unwrap().searcher();
    searcher
        .search(&TermQuery::new(term, IndexRecordOption::Basic), &Count)
        .unwrap()
}

#[test]
fn dotted_paths_numbers_text_and_exists_are_findable() {
    let mut a = DocumentBuilder::new();
    a.add(
        "title",
        IndexedValue::Text {
            analyzer: "standard".into(),
            text: "Quick Fox".into(),
        },
    );
    a.add("title.keyword", IndexedValue::Keyword("Quick Fox".into()));
    a.add("price", IndexedValue::Double(5.0));
    a.add("ratio", IndexedValue::Double(0.5));
    a.add("user.age", IndexedValue::Long(42));
    a.add("ok", IndexedValue::Boolean(true));
    a.add("ip", IndexedValue::Ip("10.0.0.1".parse().unwrap()));
    let mut b = DocumentBuilder::new();
    b.add("title.keyword", IndexedValue::Keyword("other".into()));
    let (index, l) = index_with(vec![a, b]);
    assert_eq!(
        count(&index, l.keyword_term("title.keyword", "Quick Fox")),
        1
    );
    assert_eq!(
        count(&index, l.text_term("standard", "title", "fox").unwrap()),
        1
    );
    assert_eq!(count(&index, l.numeric_term("price", 5.0)), 1);
    assert_eq!(count(&index, l.numeric_term("ratio", 0.5)), 1);
    assert_eq!(count(&index, l.long_term("user.age", 42)), 1);
    assert_eq!(count(&index, l.bool_term("ok", true)), 1);
    assert_eq!(
        count(
            &index,
            l.keyword_term("ip", &encode_ip("10.0.0.1".parse().unwrap()))
        ),
        1
    );
    assert_eq!(count(&index, l.field_name_term("user")), 1);
    assert_eq!(count(&index, l.field_name_term("title.keyword")), 2);
    assert_eq!(count(&index, l.id_term("1")), 1);
}

#[test]
fn layout_recovers_from_schema() {
    let l = ShardLayout::build(&["standard".into(), "whitespace".into()]);
    let again = ShardLayout::from_schema(l.schema.clone()).unwrap();
    assert_eq!(
        again.text.keys().cloned().collect::<Vec<_>>(),
        vec!["standard", "whitespace"]
    );
}

#[test]
fn ip_encoding_round_trips_and_sorts() {
    let a: IpAddr = "10.0.0.2".parse().unwrap();
    let b: IpAddr = "10.0.0.10".parse().unwrap();
    assert!(encode_ip(a) < encode_ip(b));
    assert_eq!(decode_ip(&encode_ip(a)), Some(a));
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(decode_ip(&encode_ip(v6)), Some(v6));
}
