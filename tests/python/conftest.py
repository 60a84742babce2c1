"""Shared fixtures for the client tests: the node's base URL and a unique index name.

The node is started by scripts/test-all.sh, which exports QUARRY_URL. Run by hand with:

    QUARRY_URL=http://127.0.0.1:9200 .venv/bin/python -m pytest tests/python
"""
import json
import os
import time
import urllib.error
import urllib.request
import uuid

import pytest

DEFAULT_URL = "http://127.0.0.1:9200"


def _wait_for_node(url, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    last_error = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as resp:
                if resp.status == 200:
                    return json.loads(resp.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as e:
            last_error = e
        time.sleep(0.25)
    raise RuntimeError(f"no node answering GET / at {url} after {timeout_s}s: {last_error}")


@pytest.fixture(scope="session")
def base_url():
    """The node's base URL (QUARRY_URL), once GET / answers."""
    url = os.environ.get("QUARRY_URL", DEFAULT_URL).rstrip("/")
    _wait_for_node(url)
    return url


@pytest.fixture(scope="session")
def node_info(base_url):
    """The JSON of GET /."""
    return _wait_for_node(base_url)


@pytest.fixture
def index_name(request):
    """A fresh index name per test (lower-case, unique)."""
    test = request.node.name.lower().replace("[", "-").replace("]", "")
    return f"pytest-{test[:40]}-{uuid.uuid4().hex[:8]}"
