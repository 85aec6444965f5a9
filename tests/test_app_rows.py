"""The rows under the cards ("Because you loved X", "Hidden gems") on the real stack, as
tests/test_app.py does it: the real Recommender over the synthetic home, driven with keys. Where a
row's search must fail or wait, the double sits below the engine, at the store (`RowsMilvus`)."""

from __future__ import annotations

import threading
import time

import pytest
from test_app import card_ids, run, say, settle, snapshot_app, until

from movierec_tui.app.main import MovieRecApp
from movierec_tui.app.refresh import PANEL_FALLBACK_SECONDS
from movierec_tui.app.rows import ROW_K
from movierec_tui.engine import Recommender
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.errors import MilvusUnavailable
from movierec_tui.stores.milvus_store import MilvusStore
from movierec_tui.widgets.movie_row import MovieRow
from movierec_tui.widgets.profile_panel import RatingsList
from movierec_tui.widgets.screens import DetailsScreen
from movierec_tui.wording import display_title, title_with_year

SIZE = (120, 40)
TASTE = ("back", "Alien 5", "loved Star Wars", "Toy Story 4")  # two 5s (Star Wars the latest), one 4


class RowsMilvus(MilvusStore):
    """The real Milvus store; the rows' request once a movie is loved (`Recommender.rows`: a query
    vector per row, so more than one, where the cards' search sends one) can be made to fail
    (`fail_rows`) or to wait (`rows_gate`). TASTE loves two movies."""

    def __init__(self, uri: str, token: str = "") -> None:
        super().__init__(uri, token)
        self.fail_rows = False
        self.rows_gate = threading.Event()
        self.rows_gate.set()

    def search_many(self, vectors, limit, search_filter=None):
        if len(vectors) > 1:
            self.rows_gate.wait(timeout=10)
            if self.fail_rows:
                raise MilvusUnavailable(f"Milvus at {self.uri} is not reachable (switched off by the test)")
        return super().search_many(vectors, limit, search_filter)


@pytest.fixture()
def rows_milvus(ready, recommender):
    milvus = RowsMilvus(ready.effective_milvus_uri, ready.milvus_token)
    backends = recommender.backends
    yield Recommender(ready, Backends(backends.redis, backends.cards, milvus)), milvus
    milvus.rows_gate.set()
    milvus.close()


def row(app: MovieRecApp, name: str) -> MovieRow:
    return app.query_one(f"#row-{name}", MovieRow)


def row_ids(app: MovieRecApp, name: str) -> list[int]:
    return [r.card.movie_id for r in row(app, name).recommendations]


def shown_rows(app: MovieRecApp) -> list[str]:
    return [r.id for r in app.query(MovieRow) if r.display and "-unused" not in r.classes]


def on_screen(app: MovieRecApp) -> list[int]:
    """Every movie in the cards and the rows shown."""
    return card_ids(app) + [m for r in app.query(MovieRow) if r.id in shown_rows(app) for m in row_ids(app, r.id[4:])]


def test_rows_are_titled_by_the_loved_movies_and_never_repeat_a_movie(recommender, synthetic) -> None:
    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert row(app, "loved-1").message.startswith("Rate a movie 4★")  # nothing loved yet
            assert len(row_ids(app, "gems")) == ROW_K
            for text in TASTE:
                await say(pilot, text)
            assert shown_rows(app) == ["row-loved-1", "row-loved-2", "row-gems"]
            assert row(app, "loved-1").title == "Because you loved Star Wars: Episode IV - A New Hope (1977)"
            assert row(app, "loved-2").title == "Because you loved Alien (1979)"
            assert row(app, "gems").title == "Hidden gems"
            everything = on_screen(app)
            assert len(everything) == app.k + 3 * ROW_K and len(set(everything)) == len(everything)
            assert not set(everything) & set(app.profile.ratings)
            # like Star Wars: mostly its cluster (the cards took that cluster's best already)
            star_wars_cluster = synthetic.movie_cluster[next(iter(app.profile.ratings))]
            assert synthetic.cluster_share(row_ids(app, "loved-1"), star_wars_cluster) >= 0.7

            await pilot.resize_terminal(80, 24)  # one "because you loved" row at 24 lines
            await settle(pilot)
            assert shown_rows(app) == ["row-loved-1", "row-gems"]
            assert [r.size.height for r in app.query(MovieRow) if r.id in shown_rows(app)] == [2, 2]
            everything = on_screen(app)
            assert len(set(everything)) == len(everything) == app.k + 2 * ROW_K

    run(scenario())


def test_keys_on_a_row_act_on_its_highlighted_movie(recommender) -> None:
    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for text in TASTE:
                await say(pilot, text)
            app.cards.focus()
            await pilot.press("tab")  # from the cards to the first row
            assert app.focused is row(app, "loved-1")
            await pilot.press("down", "down")
            assert app.focused is row(app, "gems")
            await pilot.press("down")  # the last row keeps the focus
            assert app.focused is row(app, "gems")
            await pilot.press("up", "up")
            assert app.focused is row(app, "loved-1")

            await pilot.press("right", "right")
            loved = row(app, "loved-1")
            target = loved.current.card
            assert loved.index == 2 and target.movie_id == row_ids(app, "loved-1")[2]
            await pilot.press("4")
            await settle(pilot)
            assert app.profile.ratings[target.movie_id] == 4
            assert target.movie_id not in on_screen(app)
            assert app.focused is loved and loved.index == 2  # on the movie that took its place

            target = loved.current.card
            await pilot.press("w")
            await settle(pilot)
            assert target.movie_id in app.profile.watchlist and target.movie_id not in on_screen(app)

            target = loved.current.card
            before = len(app.chat_log.messages)
            await pilot.press("y")
            await settle(pilot)
            said = app.chat_log.messages[before:][0].text.plain
            assert display_title(target.title) in said and "#3 in “Because you loved Star Wars" in said

            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailsScreen) and app.screen.details.card.movie_id == target.movie_id
            await pilot.press("escape")
            await settle(pilot)

            await pilot.press("m")
            await settle(pilot)
            assert app.more_like is not None and app.more_like.movie_id == target.movie_id
            assert len(set(on_screen(app))) == len(on_screen(app))  # the rows leave out "more like" too

            app.query_one("#row-gems", MovieRow).focus()
            await pilot.press("end")
            gem = row(app, "gems").current.card
            assert gem.movie_id == row_ids(app, "gems")[-1]
            await pilot.press("x")
            await settle(pilot)
            assert gem.movie_id in app.profile.dismissed and gem.movie_id not in on_screen(app)

    run(scenario())


def test_failing_rows_say_so_and_the_rest_of_the_screen_works(rows_milvus, caplog) -> None:
    engine, milvus = rows_milvus

    async def scenario() -> None:
        app = MovieRecApp(engine, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            milvus.fail_rows = True
            for text in TASTE:
                await say(pilot, text)
            for name in ("loved-1", "loved-2", "gems"):
                assert row(app, name).message.startswith("⚠ Milvus is not reachable")
                assert not row_ids(app, name)
                assert "⚠ Milvus is not reachable" in str(row(app, name).render())
            assert row(app, "loved-1").title == "Because you loved Star Wars: Episode IV - A New Hope (1977)"
            assert len(card_ids(app)) == app.k
            assert not app.query_one("#banner").display  # the cards are live; only the rows say it
            assert app.rows.retry_timer is not None
            # An unreachable store is expected (a restart, the stores closing on a hang-up): one line in
            # the log naming it, no traceback.
            failed = [r for r in caplog.records if r.getMessage().startswith("the rows' search failed")]
            assert failed and not any(r.exc_info for r in failed)
            milvus.fail_rows = False
            app.rows.retry_timer.stop()
            app.rows.retry()  # what the retry timer does
            await settle(pilot)
            for name in ("loved-1", "loved-2", "gems"):
                assert len(row_ids(app, name)) == ROW_K and not row(app, name).message.startswith("⚠")
            assert len(set(on_screen(app))) == len(on_screen(app))

    run(scenario())


def test_a_rated_movie_leaves_the_rows_with_the_new_cards_before_their_search(rows_milvus) -> None:
    """The new cards are painted first, in a frame of their own: the rated movie leaves the rows in it,
    the profile panel shows the rating with the new rows (their frame), and does not wait past
    PANEL_FALLBACK_SECONDS for slow rows."""
    engine, milvus = rows_milvus

    async def scenario() -> None:
        app = MovieRecApp(engine, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for text in TASTE:
                await say(pilot, text)
            ratings = app.query_one(RatingsList)
            gems = row(app, "gems")
            gems.focus()
            target = gems.current.card.movie_id
            painted = app.refresher.painted_generation
            milvus.rows_gate.clear()  # the rows' search waits; the cards' does not
            await pilot.press("5")
            await until(pilot, lambda: app.refresher.painted_generation > painted)
            assert app.rows.due and target not in row_ids(app, "gems")
            assert target not in card_ids(app) and app.profile.ratings[target] == 5
            assert target not in ratings.movie_ids  # not in the cards' frame
            milvus.rows_gate.set()
            await settle(pilot)
            assert not app.rows.due and app.rows.painted_generation == app.refresher.painted_generation
            assert row(app, "loved-1").title == f"Because you loved {title_with_year(app.catalog[target])}"
            assert ratings.movie_ids[0] == target

            target, started = gems.current.card.movie_id, time.monotonic()
            milvus.rows_gate.clear()  # rows slower than the panel's fallback
            await pilot.press("4")
            await until(pilot, lambda: target in ratings.movie_ids)
            assert app.rows.due and time.monotonic() - started >= PANEL_FALLBACK_SECONDS
            milvus.rows_gate.set()
            await settle(pilot)

    run(scenario())


# -- snapshots: a row focused, its highlighted movie on the strip --------------------------------


async def _rows_session(pilot) -> None:
    await settle(pilot)
    for text in TASTE:
        await say(pilot, text)
    pilot.app.cards.focus()
    await pilot.press("tab", "right")
    await settle(pilot)


def test_snapshot_rows_80x24(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(80, 24), run_before=_rows_session)


def test_snapshot_rows_120x40(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(120, 40), run_before=_rows_session)
