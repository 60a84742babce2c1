"""The official Python clients against a live node: elasticsearch-py 9 and opensearch-py.

Each client does the round trip users do first: create an index, index a document, get it,
refresh, search, bulk-index with the helper, count, delete.
"""
import pytest

elasticsearch = pytest.importorskip("elasticsearch")
opensearchpy = pytest.importorskip("opensearchpy")

from elasticsearch import Elasticsearch, NotFoundError, helpers  # noqa: E402
from opensearchpy import OpenSearch  # noqa: E402
from opensearchpy import helpers as os_helpers  # noqa: E402
from opensearchpy.exceptions import NotFoundError as OsNotFoundError  # noqa: E402


@pytest.fixture
def es(base_url):
    client = Elasticsearch(base_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def osc(base_url):
    client = OpenSearch(hosts=[base_url], timeout=30)
    yield client
    client.close()


def test_es_info_passes_the_product_check(es):
    info = es.info()
    assert info["version"]["number"].split(".")[0] in ("7", "8", "9")
    assert "cluster_name" in info


def test_es_document_round_trip(es, index_name):
    es.indices.create(
        index=index_name,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings={"properties": {"title": {"type": "text"}, "n": {"type": "integer"}}},
    )
    try:
        assert es.indices.exists(index=index_name)
        resp = es.index(index=index_name, id="1", document={"title": "hello world", "n": 1})
        assert resp["result"] == "created"
        got = es.get(index=index_name, id="1")
        assert got["found"] is True
        assert got["_source"] == {"title": "hello world", "n": 1}

        es.indices.refresh(index=index_name)
        hits = es.search(index=index_name, query={"match": {"title": "hello"}})["hits"]
        assert hits["total"]["value"] == 1
        assert hits["hits"][0]["_id"] == "1"

        actions = ({"_index": index_name, "_id": str(i), "_source": {"title": f"doc {i}", "n": i}} for i in range(2, 52))
        ok, errors = helpers.bulk(es, actions, refresh="true")
        assert ok == 50 and not errors
        assert es.count(index=index_name)["count"] == 51
        top = es.search(index=index_name, query={"range": {"n": {"gte": 50}}}, sort=[{"n": "asc"}])
        assert [h["_id"] for h in top["hits"]["hits"]] == ["50", "51"]

        assert es.delete(index=index_name, id="1")["result"] == "deleted"
        with pytest.raises(NotFoundError):
            es.get(index=index_name, id="1")
    finally:
        es.indices.delete(index=index_name, ignore_unavailable=True)
    assert not es.indices.exists(index=index_name)


def test_es_missing_index_is_a_404(es, index_name):
    with pytest.raises(NotFoundError) as e:
        es.get(index=index_name, id="x")
    assert e.value.meta.status == 404


def test_opensearch_document_round_trip(osc, index_name):
    osc.indices.create(index=index_name, body={"settings": {"number_of_shards": 1, "number_of_replicas": 0}})
    try:
        resp = osc.index(index=index_name, id="1", body={"title": "hello world", "n": 1})
        assert resp["result"] == "created"
        assert osc.get(index=index_name, id="1")["_source"]["title"] == "hello world"

        osc.indices.refresh(index=index_name)
        hits = osc.search(index=index_name, body={"query": {"match": {"title": "world"}}})["hits"]
        assert hits["total"]["value"] == 1

        actions = ({"_index": index_name, "_id": str(i), "_source": {"title": f"doc {i}", "n": i}} for i in range(2, 22))
        ok, errors = os_helpers.bulk(osc, actions, refresh="true")
        assert ok == 20 and not errors
        assert osc.count(index=index_name)["count"] == 21

        assert osc.delete(index=index_name, id="1")["result"] == "deleted"
        with pytest.raises(OsNotFoundError):
            osc.get(index=index_name, id="1")
    finally:
        osc.indices.delete(index=index_name, ignore_unavailable=True)
