"""Resuming: a plain start reopens the profile used last, per profile namespace (one per SSH key when
served), on the real stack. Each test's apps use a namespace of their own in the shared test Redis,
as `serve ssh` gives each key one (CardStore's profile_namespace), so nothing leaks between tests."""

from __future__ import annotations

import uuid

import pytest
from test_app import run, say, settle

from movierec_tui.app.main import MovieRecApp
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends, open_backends
from movierec_tui.stores.cards import CardStore

SIZE = (120, 40)


@pytest.fixture(scope="module")
def backends(ready):
    with open_backends(ready) as opened:
        yield opened


@pytest.fixture()
def for_key(ready, backends):
    """`for_key(key)`: a Recommender whose saved profiles live in that SSH key's namespace."""
    run_id = uuid.uuid4().hex[:8]  # a test Redis kept between runs (MOVIEREC_TEST_REDIS_URL) starts empty too

    def make(key: str) -> Recommender:
        cards = CardStore(backends.cards.client, f"ssh-{key}-{run_id}")
        return Recommender(ready, Backends(backends.redis, cards, backends.milvus))

    return make


def bot_said(app: MovieRecApp) -> list[str]:
    return [m.text.plain for m in app.chat_log.messages if m.role == "bot"]


def test_a_plain_start_reopens_the_profile_used_last_and_says_how_to_start_fresh(for_key) -> None:
    engine = for_key("alice")

    async def first_visit() -> None:
        app = MovieRecApp(engine, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile == Profile() and app.profile_sync.saved_as is None  # nothing to resume
            assert not any("Welcome back" in m for m in bot_said(app))
            await say(pilot, "back")
            await say(pilot, "loved star wars")
            await say(pilot, "save alice")
            await say(pilot, "alien 4")  # autosaved
            assert engine.profiles.last() == "alice"

    async def second_visit() -> None:
        app = MovieRecApp(engine, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile_sync.saved_as == "alice" and len(app.profile.ratings) == 2
            welcome = "Welcome back — resumed profile alice (2 ratings). Say new profile to start fresh"
            assert any(m.startswith(welcome) for m in bot_said(app))
            await say(pilot, "new profile")
            assert app.profile == Profile() and app.profile_sync.saved_as is None
            assert len(engine.profiles.load("alice").ratings) == 2  # kept as it was

    async def without_resume() -> None:  # what tests and embedders get by default
        app = MovieRecApp(engine, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile == Profile() and app.profile_sync.saved_as is None

    run(first_visit())
    run(second_visit())
    run(without_resume())


def test_each_ssh_key_gets_its_own_last_profile_back(for_key) -> None:
    alice, bob = for_key("alice"), for_key("bob")
    alice.profiles.save("films", Profile(ratings={1: 5.0}))
    alice.profiles.save("series", Profile(ratings={2: 4.0, 3: 4.5}))
    bob.profiles.save("films", Profile(ratings={4: 2.0, 5: 3.0, 6: 5.0}))

    async def opened_with(engine: Recommender, name: str) -> None:
        app = MovieRecApp(engine, profile_name=name, cursor_blink=False)  # --profile NAME
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)

    async def scenario() -> None:
        await opened_with(alice, "films")  # remembered as the last one, as a load is
        await opened_with(bob, "films")
        app = MovieRecApp(alice, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile.ratings == {1: 5.0}
            await say(pilot, "load series")  # loading one makes it the last
            assert alice.profiles.last() == "series"
        app = MovieRecApp(bob, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile_sync.saved_as == "films" and app.profile.ratings == {4: 2.0, 5: 3.0, 6: 5.0}
        app = MovieRecApp(alice, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile_sync.saved_as == "series" and app.profile.ratings == {2: 4.0, 3: 4.5}

    run(scenario())


def test_a_last_profile_that_is_gone_or_unreadable_starts_fresh_without_its_name(for_key) -> None:
    gone, broken = for_key("gone"), for_key("broken")
    gone.profiles.remember_last("deleted-since")
    broken.backends.cards.save_profile("mangled", '{"age": "old"}')
    broken.profiles.remember_last("mangled")

    async def scenario(engine: Recommender, expected: str) -> None:
        app = MovieRecApp(engine, cursor_blink=False, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile == Profile() and app.profile_sync.saved_as is None  # no autosave over it
            assert any(expected in m and "Starting with a fresh profile" in m for m in bot_said(app))

    run(scenario(gone, "There is no saved profile named 'deleted-since'."))
    run(scenario(broken, "The saved profile 'mangled' is unreadable"))


def test_the_command_resumes_unless_a_profile_is_named(isolated_env, monkeypatch) -> None:
    from typer.testing import CliRunner

    from movierec_tui import cli, launch

    opened: list[MovieRecApp] = []
    monkeypatch.setattr(MovieRecApp, "run", lambda self: opened.append(self))
    monkeypatch.setattr(launch, "has_terminal", lambda: True)  # CliRunner's stdin is not one
    for args in ([], ["--profile", "alice"]):
        result = CliRunner().invoke(cli.app, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    assert [app.resume for app in opened] == [True, False]
