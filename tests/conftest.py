"""Shared fixtures: a real Redis (embedded Valkey, or MOVIEREC_TEST_REDIS_URL), a real Milvus Lite
in a temp dir (and a Milvus server given by MOVIEREC_TEST_MILVUS_URI, see milvus_backends.py), and a
real Paddle model trained on the synthetic MovieLens-format dataset."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace

import pytest
import redis
from milvus_backends import server_database
from synthetic import SyntheticDataset, write_synthetic

from movierec_tui.config import Settings, load_settings
from movierec_tui.engine import Recommender
from movierec_tui.model.train import TrainConfig
from movierec_tui.pipeline import Reporter, run_setup
from movierec_tui.stores.backends import open_backends
from movierec_tui.stores.redis_server import RedisConnection, start_embedded

# Small but enough for the planted clusters to be learned reliably.
TEST_TRAIN_CONFIG = TrainConfig(epochs=60, batch_size=64, learning_rate=5e-3)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticDataset:
    return write_synthetic(tmp_path_factory.mktemp("synthetic-ml"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):
    """The Redis every test uses: Debian's redis-server in CI's second pass, else embedded Valkey."""
    external = os.environ.get("MOVIEREC_TEST_REDIS_URL")
    if external:
        client = redis.Redis.from_url(external, decode_responses=True)
        client.flushdb()
        yield RedisConnection(client, external, embedded=False)
        client.flushdb()
        return
    connection = start_embedded(tmp_path_factory.mktemp("redis"))
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def home_settings(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisConnection) -> Settings:
    home = tmp_path_factory.mktemp("home")
    return load_settings(home, env={"MOVIEREC_REDIS_URL": redis_server.url})


@pytest.fixture(scope="session")
def ready(home_settings: Settings, synthetic: SyntheticDataset) -> Settings:
    """A home dir where setup has run on the synthetic dataset."""
    with open_backends(home_settings) as backends:
        run_setup(home_settings, backends, synthetic.path, Reporter(), TEST_TRAIN_CONFIG)
    return home_settings


@pytest.fixture(scope="module")
def recommender(ready: Settings):
    """One real Recommender on `ready` for a module of app tests (opening the stores and loading the
    model once per module; a module that needs another kind defines its own `recommender`)."""
    with Recommender(ready, open_backends(ready)) as opened:
        yield opened


@pytest.fixture(scope="session")
def ready_on_server(
    tmp_path_factory: pytest.TempPathFactory,
    ready: Settings,
    redis_server: RedisConnection,
    synthetic: SyntheticDataset,
):
    """`ready`'s model set up again with its vectors in the Milvus server (a database of its own) and its
    cards in Redis database 7; setup finds the model trained and only writes the cards and the index."""
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/7"
    cards = redis.Redis.from_url(redis_url)
    cards.flushdb()
    with server_database("engine") as milvus_uri:
        home = tmp_path_factory.mktemp("server-home")
        shutil.copytree(ready.model_dir, home / "model")
        settings = load_settings(home, env={"MOVIEREC_REDIS_URL": redis_url, "MOVIEREC_MILVUS_URI": milvus_uri})
        with open_backends(settings) as backends:
            result = run_setup(settings, backends, synthetic.path, Reporter(), TEST_TRAIN_CONFIG)
        assert "train" in result.skipped
        yield settings
    cards.flushdb()
    cards.close()


@pytest.fixture()
def backends(ready: Settings):
    with open_backends(ready) as opened:
        yield opened


@pytest.fixture()
def isolated_env(monkeypatch: pytest.MonkeyPatch, ready: Settings) -> Settings:
    """Point the CLI (run in-process) at the prepared home."""
    monkeypatch.setenv("MOVIEREC_HOME", str(ready.home))
    monkeypatch.setenv("MOVIEREC_REDIS_URL", ready.redis_url)
    monkeypatch.delenv("MOVIEREC_MILVUS_URI", raising=False)
    return ready


@pytest.fixture()
def own_home(tmp_path, ready: Settings) -> Settings:
    """`ready`'s settings on a home of the test's own with the same trained model: its journal of
    profile saves (HOME/journal) starts empty and is seen by no other test."""
    folder = tmp_path / "own-home"
    folder.mkdir()
    (folder / "model").symlink_to(ready.model_dir)
    return replace(ready, home=folder)
