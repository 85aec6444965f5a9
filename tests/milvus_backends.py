"""The two Milvus the store and engine tests run on: Milvus Lite in a temp dir, and a real Milvus
server when MOVIEREC_TEST_MILVUS_URI names one (`.ci/run` starts the standalone server 2.3.5).

Tests that take the `milvus_uri` fixture run once per backend; the server's runs carry the
`milvus_server` mark, so `pytest -m milvus_server` runs them alone, and they skip, saying how to run
them, when no server is given. On the server each test gets a database of its own (the URI's path
names it), so that one test's index swaps never drop another's collections.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from movierec_tui.stores.milvus_store import ALIAS

ENV_TEST_MILVUS_URI = "MOVIEREC_TEST_MILVUS_URI"
BACKENDS = ["lite", pytest.param("server", marks=pytest.mark.milvus_server)]


def server_uri() -> str:
    """The server's base URI, or skip the calling test with what to do."""
    uri = os.environ.get(ENV_TEST_MILVUS_URI, "").rstrip("/")
    if not uri:
        pytest.skip(f"no Milvus server: set {ENV_TEST_MILVUS_URI}=http://127.0.0.1:19530 to run it (.ci/run does)")
    return uri


@contextmanager
def server_database(label: str) -> Iterator[str]:
    """A fresh database on the test server; yields its URI and drops it with its collections."""
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    base = server_uri()
    name = f"t_{label}_{uuid.uuid4().hex[:8]}"
    # Connections of their own: pymilvus 2.5 shares one per address between clients, and closing
    # one client (another test's `inside`) would close the others.
    admin = MilvusClient(uri=base, timeout=60, alias=f"admin-{name}")
    admin.create_database(name)
    try:
        yield f"{base}/{name}"
    finally:
        inside = MilvusClient(uri=f"{base}/{name}", timeout=60, alias=f"inside-{name}")
        # The alias of an earlier version's index, if a test made one (listing aliases only works in
        # the default database on a 2.3 server).
        with suppress(MilvusException):
            inside.drop_alias(ALIAS)
        for collection in inside.list_collections():
            inside.drop_collection(collection)
        inside.close()
        admin.drop_database(name)
        admin.close()


def lite_server_process(data_file: Path, port: int) -> subprocess.Popen:
    """Milvus Lite's server for `data_file` on 127.0.0.1:port, in a process of its own, as `serve` runs
    it (SIGTERM stops it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "movierec_tui.serve.child", "milvus-lite", str(data_file), f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@contextmanager
def milvus_at(backend: str, folder: Path, label: str) -> Iterator[str]:
    """A URI for an empty Milvus: a Lite data file under `folder`, or a database on the server."""
    if backend == "lite":
        yield str(folder / f"{label}.db")
    else:
        with server_database(label) as uri:
            yield uri
