"""Older official clients against a live node: elasticsearch-py 8.x and elasticsearch7 (7.17).

Both do a product check (7.17 with an extra GET /). Run inside their own virtualenvs, chosen by
QUARRY_LEGACY_CLIENT=es8|es7 (scripts/test-all.sh does this); skipped otherwise.
"""
import os

import pytest

LEGACY = os.environ.get("QUARRY_LEGACY_CLIENT", "")
if LEGACY not in ("es8", "es7"):
    pytest.skip("set QUARRY_LEGACY_CLIENT=es8 or es7 (run from .venv-es8 / .venv-es7)", allow_module_level=True)

if LEGACY == "es8":
    elasticsearch = pytest.importorskip("elasticsearch")
    from elasticsearch import Elasticsearch, NotFoundError, helpers

    assert elasticsearch.__versionstr__.startswith("8."), elasticsearch.__versionstr__

    def make_client(url):
        return Elasticsearch(url, request_timeout=30)

else:
    elasticsearch7 = pytest.importorskip("elasticsearch7")
    from elasticsearch7 import Elasticsearch, NotFoundError, helpers

    def make_client(url):
        return Elasticsearch([url], timeout=30)


@pytest.fixture
def es(base_url):
    client = make_client(base_url)
    yield client
    client.close()


def test_info(es):
    info = es.info()
    assert "version" in info and "number" in info["version"]
    assert info.get("tagline") == "You Know, for Search"


# Both clients (7.15+ and 8.x) take the typed keyword arguments; `body=` is deprecated.
def create_index(es, name):
    es.indices.create(index=name, settings={"number_of_shards": 1, "number_of_replicas": 0})


def index_doc(es, name, doc_id, doc):
    return es.index(index=name, id=doc_id, document=doc)


def search(es, name, query):
    return es.search(index=name, query=query)


def test_index_get_search_round_trip(es, index_name):
    create_index(es, index_name)
    try:
        assert index_doc(es, index_name, "1", {"title": "quick brown fox", "n": 1})["result"] == "created"
        assert es.get(index=index_name, id="1")["_source"]["title"] == "quick brown fox"
        ok, errors = helpers.bulk(
            es, ({"_index": index_name, "_id": str(i), "_source": {"title": f"doc {i}", "n": i}} for i in range(2, 12))
        )
        assert ok == 10 and not errors
        es.indices.refresh(index=index_name)
        hits = search(es, index_name, {"match": {"title": "fox"}})["hits"]
        assert hits["total"]["value"] == 1
        assert hits["hits"][0]["_id"] == "1"
        assert es.count(index=index_name)["count"] == 11
        es.delete(index=index_name, id="1")
        with pytest.raises(NotFoundError):
            es.get(index=index_name, id="1")
    finally:
        es.indices.delete(index=index_name, ignore_unavailable=True)
