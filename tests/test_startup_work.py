"""What a served session does before its first screen, counted (not timed): Redis round trips and
commands against a real Redis, the modules left to import after the zygote's, and what the zygote
loads once and hands to its forks only while it is current. The times these save are measured by
benchmarks/ssh_load.py (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import pytest
import redis
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.css.stylesheet import Stylesheet
from textual.widgets import Footer, Input, Static
from textual.widgets._footer import FooterKey
from threadpoolctl import threadpool_info, threadpool_limits

import movierec_tui
from movierec_tui import engine
from movierec_tui.app import MovieRecApp
from movierec_tui.config import Settings
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.serve import shared_css
from movierec_tui.serve.warm import load_warm_start
from movierec_tui.stores.cards import CardStore
from movierec_tui.widgets.footer import KeyFooter
from movierec_tui.widgets.theme import DARK

SOURCE_ROOT = Path(movierec_tui.__file__).resolve().parent.parent


def calls(client: redis.Redis, command: str) -> int:
    """How many times the server has run `command` (all clients, all databases)."""
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


def test_listing_profiles_among_thousands_of_cards_takes_a_few_round_trips(redis_server) -> None:
    """Each served session lists its profiles at start; among ML-1M's 3,883 card keys SCAN's default
    batch of 10 keys made that ~400 round trips."""
    url = redis_server.url.rsplit("/", 1)[0] + "/12"
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    try:
        with client.pipeline(transaction=False) as pipe:
            for movie_id in range(4000):
                pipe.hset(f"movie:{movie_id}", "title", "x")
            pipe.execute()
        store = CardStore(client, "ns")
        store.save_profile("mine", Profile().to_json())
        before = calls(client, "scan")
        assert store.profile_names() == ["mine"]
        assert calls(client, "scan") - before <= 10
    finally:
        client.flushdb()
        client.close()


def test_the_catalogue_is_read_from_redis_once_at_start(backends, ready: Settings) -> None:
    """The title index and the app's catalogue come from one read of every card, not two."""
    recommender = Recommender(ready, backends)
    client = backends.redis.client
    before = calls(client, "hgetall")
    titles, catalogue = recommender.titles, recommender.catalogue_cards()
    read = calls(client, "hgetall") - before
    assert len(titles) > 0 and len(catalogue) == len(recommender.movies.movie_ids)
    assert read <= len(catalogue) + 2  # every card once (and the meta record)


def test_the_zygote_imports_everything_the_app_needs_and_freezes_it(ready: Settings) -> None:
    """After the zygote's preparation a forked app imports nothing more to start (the app's own module
    was left out, 1.6 s per session), and the shared heap is frozen out of the collector's walks."""
    script = (
        "import gc, json, sys\n"
        "from movierec_tui.serve.zygote import prepare\n"
        "preloaded = prepare()\n"
        "before = set(sys.modules)\n"
        "from movierec_tui.app import MovieRecApp\n"
        "from movierec_tui.launch import run_app\n"
        "import movierec_tui.engine, movierec_tui.status, movierec_tui.stores.backends\n"
        "import grpc._channel, grpc._interceptor, textual.pilot, textual.scrollbar\n"  # first channel, App.run
        "from pymilvus.client.utils import SciPyHelper\n"
        "from movierec_tui.serve import shared_css\n"
        "print(json.dumps({'new': sorted(set(sys.modules) - before), 'frozen': gc.get_freeze_count(),\n"
        "                  'model': preloaded.model_parts is not None,\n"
        "                  'catalogue': preloaded.catalogue_parts is not None,\n"
        "                  'unit_rows': preloaded.model_parts[1]._unit_rows is not None,\n"
        "                  'sparse_checked': SciPyHelper._checked, 'css': len(shared_css._parsed)}))\n"
    )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEREC_")}
    env |= {"PYTHONPATH": str(SOURCE_ROOT), "MOVIEREC_HOME": str(ready.home), "MOVIEREC_REDIS_URL": ready.redis_url}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["new"] == []
    assert found["frozen"] > 100_000
    assert found["model"] and found["catalogue"]
    # What each app's first recommendation and first styling did alike (a sixth of its start): the
    # table's unit search rows, pymilvus's check for scipy.sparse (which executes the package anew),
    # the app's CSS parsed with both themes.
    assert found["unit_rows"] and found["sparse_checked"]
    assert found["css"] > 100


def test_preloaded_model_and_catalogue_are_shared_only_while_current(tmp_path: Path, backends, ready: Settings) -> None:
    warm = load_warm_start(ready)
    assert warm.model_parts is not None and warm.catalogue_parts is not None
    shared = Recommender(ready, backends, warm)
    alone = Recommender(ready, backends)
    assert shared.encoder is warm.model_parts[0] and shared.titles is warm.catalogue_parts[1]
    profile = Profile(ratings={int(shared.movies.movie_ids[0]): 5.0, int(shared.movies.movie_ids[3]): 4.0})
    assert [r.card for r in shared.recommend(profile, 10)] == [r.card for r in alone.recommend(profile, 10)]
    assert shared.catalogue_cards() == alone.catalogue_cards()

    meta = backends.cards.meta()
    assert warm.catalogue(meta) is not None
    assert warm.catalogue(meta | {"dataset_fingerprint": "another"}) is None  # setup wrote other cards
    assert warm.catalogue(meta | {"cards": "1"}) is None
    assert warm.model(tmp_path / "model") is None  # another home's model

    # A new model is a new directory renamed into place, as setup does: the preloaded one is stale.
    home = tmp_path / "home"
    shutil.copytree(ready.model_dir, home / "model")
    copied = load_warm_start(replace(ready, home=home))
    assert copied.model(home / "model") is not None
    shutil.copytree(home / "model", home / "model.new")
    shutil.rmtree(home / "model")
    (home / "model.new").rename(home / "model")
    assert copied.model(home / "model") is None


def test_the_zygote_limits_blas_threads_so_that_its_forks_do_not(
    monkeypatch: pytest.MonkeyPatch, backends, ready: Settings
) -> None:
    """Limiting OpenBLAS in a fresh fork restarted its thread pool, whose worker spun for ~0.1 s of
    CPU in every served app's start; the zygote's warm start sets the limit once and its forks
    inherit it (with the flag that says so), so a Recommender made afterwards sets nothing."""
    limits: list[int] = []

    def counted(limit: int, user_api: str) -> None:
        limits.append(limit)
        threadpool_limits(limit, user_api=user_api)

    monkeypatch.setattr(engine, "threadpool_limits", counted)
    monkeypatch.setattr(engine, "_blas_limited", False)  # as in a process that has not limited it yet
    warm = load_warm_start(ready)
    assert limits == [1]
    Recommender(ready, backends, warm)
    assert limits == [1]
    assert threadpool_info_blas_threads() == {1}


def threadpool_info_blas_threads() -> set[int]:
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


class Boxed(App[None]):
    """An app with CSS of its own, a widget with default CSS (Footer, FooterKey) and a theme set in
    `on_mount` (styled first with Textual's default theme, then with its own)."""

    CSS = "#box { background: $primary; height: 3; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static("boxed", id="box")
        yield Footer()

    def on_mount(self) -> None:
        self.register_theme(DARK)
        self.theme = DARK.name


def test_css_parsed_by_the_zygote_is_what_an_app_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app the zygote forks parsed the same CSS twice (before and after its theme); parsed once
    in the zygote, an app parses nothing and its widgets get the same styles."""

    async def styled() -> tuple[Color, Color]:
        app = Boxed()
        async with app.run_test(size=(60, 10)) as pilot:
            await pilot.pause()
            return app.query_one("#box").styles.background, app.query_one(Footer).styles.background

    alone = asyncio.run(styled())
    monkeypatch.setattr(Stylesheet, "_parse_rules", Stylesheet._parse_rules)  # undone after the test
    monkeypatch.setattr(shared_css, "_parsed", {})
    shared_css.install()
    assert shared_css.warm(Boxed, [DARK]) > 0
    parsed_by_app: list[object] = []
    parse = shared_css._parse_own_rules
    monkeypatch.setattr(shared_css, "_parse_own_rules", lambda *args: parsed_by_app.append(args[2]) or parse(*args))
    assert asyncio.run(styled()) == alone
    assert parsed_by_app == []


def test_the_first_screen_is_styled_once_in_the_apps_theme(
    backends, ready: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served app's start restyled every widget on the screen several times: once for the theme set
    on mount (re-reading the CSS too) and once for each layout class set on the app one at a time.
    Now the theme is the app's before there is a screen to style, and a change of size changes the
    layout's classes in one batch: one restyle of the screen."""
    whole_screen: list[str] = []
    css_refreshes: list[str] = []
    update_styles, refresh_css = App.update_styles, App.refresh_css

    def counting_update(app: App, node, animate: bool = True) -> None:
        if node is app:
            whole_screen.append(type(app).__name__)
        update_styles(app, node, animate)

    def counting_refresh(app: App, animate: bool = True) -> None:
        if app.screen_stack:  # the theme's own refresh comes before the first screen: it restyles nothing
            css_refreshes.append(type(app).__name__)
        refresh_css(app, animate)

    monkeypatch.setattr(App, "update_styles", counting_update)
    monkeypatch.setattr(App, "refresh_css", counting_refresh)

    async def start() -> tuple[int, int, int]:
        app = MovieRecApp(Recommender(ready, backends), served="ssh", cursor_blink=False)
        painted = asyncio.Event()
        app.startup.on_first_screen = painted.set
        async with app.run_test(size=(120, 40)) as pilot:
            await asyncio.wait_for(painted.wait(), 30)
            assert app.theme == DARK.name and app.screen.styles.background == Color.parse(DARK.background)
            at_start = (len(whole_screen), len(css_refreshes))
            await pilot.resize_terminal(60, 20)  # narrow, tiny and short: three layout classes change
            await pilot.pause()
            assert app.has_class("-narrow", "-tiny") and not app.has_class("-rows-tall", "-profile-visible")
            return *at_start, len(whole_screen) - at_start[0]

    restyled_at_start, css_read_again, restyled_by_resize = asyncio.run(start())
    assert css_read_again == 0
    assert restyled_at_start <= 1
    assert restyled_by_resize == 1


class KeyedInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+o", "app.bell", "Ring")]


class ThreeInputs(App[None]):
    """Two inputs with the same keys, a third with one more, and the footer the app uses."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield KeyedInput(id="third")
        yield KeyFooter()


def test_the_footer_is_rebuilt_only_when_its_keys_change() -> None:
    """Textual's footer builds a widget per key again whenever the focus moves; a served app's focus
    moves several times as it starts and after ratings, mostly between widgets with the same keys."""

    async def walk() -> None:
        app = ThreeInputs()
        async with app.run_test(size=(80, 10)) as pilot:
            app.query_one("#first").focus()
            await pilot.pause()
            keys = list(app.query(FooterKey))
            assert sorted(key.key for key in keys) == ["ctrl+p", "ctrl+q"]  # the palette's and the app's
            app.query_one("#second").focus()
            await pilot.pause()
            assert list(app.query(FooterKey)) == keys  # the same widgets: nothing rebuilt
            app.query_one("#third").focus()
            await pilot.pause()
            assert sorted(key.key for key in app.query(FooterKey)) == ["ctrl+o", "ctrl+p", "ctrl+q"]
            app.query_one("#first").focus()
            await pilot.pause()
            assert sorted(key.key for key in app.query(FooterKey)) == ["ctrl+p", "ctrl+q"]

    asyncio.run(walk())


def test_the_footers_keys_are_styled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's FooterKey starts compact and is then bound to the footer's `compact` (False): its class
    went on and off, and each time its style was worked out again. KeyFooter hands each bound key the
    footer's value before it mounts: none of them changes its class. The keys look as in Textual's
    footer: the bound ones not compact, the palette's key (not bound) compact."""
    toggled: list[str] = []
    watch = FooterKey._watch_compact

    def counting(key: FooterKey, compact: bool) -> None:
        if key.has_class("-compact") != compact:  # a change of class: the key is styled again
            toggled.append(key.key)
        watch(key, compact)

    monkeypatch.setattr(FooterKey, "_watch_compact", counting)

    async def walk() -> None:
        app = ThreeInputs()
        async with app.run_test(size=(80, 10)) as pilot:
            app.query_one("#third").focus()  # the footer composes its keys again
            await pilot.pause()
            compact = {key.key: (key.compact, key.has_class("-compact")) for key in app.query(FooterKey)}
            assert compact == {"ctrl+o": (False, False), "ctrl+q": (False, False), "ctrl+p": (True, True)}
            assert set(toggled) == {"ctrl+p"}  # its class as it mounts; the bound keys' never changed
            toggled.clear()
            app.query_one(KeyFooter).compact = True  # a compact footer still makes its keys compact
            await pilot.pause()
            assert all(key.compact and key.has_class("-compact") for key in app.query(FooterKey))
            assert sorted(toggled) == ["ctrl+o", "ctrl+q"]

    asyncio.run(walk())


def test_an_idle_app_walks_its_heap_only_when_something_new_is_old() -> None:
    """The idle full collection (app/startup.py) runs when an object has reached the old generation since
    the last one, not every 3 s of an idle app's life (16 served apps doing so cost a share of the CPU the
    others needed to start), and never while the person acts or types."""
    from types import SimpleNamespace

    from movierec_tui.app.startup import Startup

    app = SimpleNamespace(  # idle for long
        refresher=SimpleNamespace(in_flight=False), last_activity=0.0, chat_input=SimpleNamespace(typed_at=0.0)
    )
    startup = Startup(app)  # type: ignore[arg-type]
    full_passes = []
    gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and full_passes.append(1))
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic passes move anything meanwhile
    try:
        gc.collect()
        full_passes.clear()
        startup._idle_collect()
        assert full_passes == []  # nothing new in the old generation
        gc.collect(1)  # the middle generation's survivors move to the old one
        startup._idle_collect()
        assert full_passes == [1]
        startup._idle_collect()
        assert full_passes == [1]  # and not again until something else does
        app.last_activity = time.monotonic()
        gc.collect(1)
        startup._idle_collect()
        assert full_passes == [1]  # never while the person is active
        app.last_activity, app.chat_input.typed_at = 0.0, time.monotonic()
        startup._idle_collect()
        assert full_passes == [1]  # typing a message is activity too: no pass between two keys
        app.chat_input.typed_at = 0.0
        startup._idle_collect()
        assert full_passes == [1, 1]  # once the person stops
    finally:
        gc.callbacks.pop()
        if was_enabled:
            gc.enable()


def test_a_start_says_it_is_done_at_the_latest_after_the_limit(
    backends, ready: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A served app runs at a lower priority, and holds its place in the start queue, until its first
    screen is painted (`on_first_screen`). Rows that never paint must not keep it there: the call also
    comes FIRST_SCREEN_LIMIT seconds after the start (here 0.3 s), once. The rows' paint is what
    normally makes the call; here it is left out, as if their search kept failing."""
    from movierec_tui.app import rows, startup

    monkeypatch.setattr(startup, "FIRST_SCREEN_LIMIT", 0.3)
    monkeypatch.setattr(rows.Rows, "_painted", lambda self, generation: setattr(self, "painted_generation", generation))

    async def start() -> tuple[list[float], float]:
        app = MovieRecApp(Recommender(ready, backends), served="ssh", cursor_blink=False)
        calls: list[float] = []
        app.startup.on_first_screen = lambda: calls.append(time.monotonic())
        async with app.run_test(size=(120, 40)) as pilot:
            started = time.monotonic()
            for _ in range(300):
                if app.rows.painted_generation and calls:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause(0.5)  # time for a second call, if there were one
            return calls, started

    calls, started = asyncio.run(start())
    assert len(calls) == 1 and calls[0] - started < 10  # once, from the limit (the rows never said so)
