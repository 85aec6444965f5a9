"""`FairPump` (widgets/fair_pump.py) in the real app: a pump whose handling keeps its own queue filled
gives the loop its turns, and a long run of that is logged with what kept the queue filled.

The cycle is a callback that posts itself again with `call_later` (Textual's `Callback` message, the
kind a frozen session's main screen was handling, issue 15). A marker the loop runs at its next turn
tells how far the cycle got before the loop turned: with Textual's pump alone, only after the whole
cycle (the keys, the timers and the SIGHUP handler all wait as long).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from functools import partial

import pytest
from test_app import SIZE, run, settle
from textual import events
from textual.geometry import Size

from movierec_tui.app import MovieRecApp
from movierec_tui.widgets import fair_pump
from movierec_tui.widgets.fair_pump import KEEPS_HANDLING, LONG_RUN, TURN_EVERY
from movierec_tui.widgets.screens import EarlyClosingPalette

CYCLE = LONG_RUN + 10 * TURN_EVERY


@pytest.mark.parametrize("pump", ["the main screen", "the palette", "the app"])
def test_a_pump_that_keeps_its_own_queue_filled_lets_the_loop_turn(recommender, pump, caplog) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            if pump == "the palette":
                app.action_command_palette()
                await pilot.pause(0.3)
                assert isinstance(app.screen, EarlyClosingPalette)
            target = app if pump == "the app" else app.screen
            handled = 0

            def post_the_next() -> None:
                nonlocal handled
                handled += 1
                if handled < CYCLE:
                    target.call_later(post_the_next)

            turns: list[int] = []  # how many the cycle had handled at each turn of the loop
            loop = asyncio.get_running_loop()

            def count_the_turn() -> None:
                turns.append(handled)
                if handled < CYCLE:
                    loop.call_soon(count_the_turn)

            with caplog.at_level(logging.WARNING, logger=fair_pump.__name__):
                target.call_later(post_the_next)
                loop.call_soon(count_the_turn)
                while handled < CYCLE:
                    await asyncio.sleep(0.05)
            assert turns[0] <= 2 * TURN_EVERY  # the loop turned early in the cycle, not after it
            widest = max(later - earlier for earlier, later in itertools.pairwise(turns))
            assert widest <= 2 * TURN_EVERY  # ... and all through it
            logged = [record.getMessage() for record in caplog.records if record.name == fair_pump.__name__]
            assert len(logged) == 1, logged  # once for the run, not at every turn after the mark
            the_callback = r"Callback\(test_a_pump.*post_the_next\) x"
            named = re.search(rf"{KEEPS_HANDLING}: (\d+) in a row .*{the_callback}", logged[0])
            assert named and LONG_RUN <= int(named[1]) < LONG_RUN + TURN_EVERY, logged[0]

    run(scenario())


def test_keys_sent_faster_than_the_app_handles_them_are_a_backlog_not_a_logged_cycle(recommender, caplog,
                                                                                      monkeypatch) -> None:  # fmt: skip
    """A client that sends keys faster than the app handles them (the fuzzer on a slow machine) keeps
    the app's queue filled from outside: the loop still gets its turns, but that is no cycle to log."""
    monkeypatch.setattr(fair_pump, "LONG_RUN", 4 * TURN_EVERY)  # a backlog of keys ten times that
    keys = 10 * fair_pump.LONG_RUN

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            backlog: list[int] = []  # the keys still queued at each turn of the loop
            loop = asyncio.get_running_loop()

            def count_the_turn() -> None:
                backlog.append(app._message_queue.qsize())
                if backlog[-1]:
                    loop.call_soon(count_the_turn)

            with caplog.at_level(logging.WARNING, logger=fair_pump.__name__):
                for _ in range(keys):
                    app.post_message(events.Key("f20", None))  # bound to nothing: each one handled and let go
                loop.call_soon(count_the_turn)
                while app._message_queue.qsize():
                    await asyncio.sleep(0.05)
                await pilot.pause(0.1)
            assert backlog[0] >= keys - 2 * TURN_EVERY  # the loop turned early in the backlog
            assert len(backlog) >= keys // (2 * TURN_EVERY)  # ... and all through it
            logged = [record.getMessage() for record in caplog.records if record.name == fair_pump.__name__]
            assert not logged, logged

    run(scenario())


def test_a_run_names_a_resize_by_its_size_and_a_callback_by_what_it_calls() -> None:
    """What the log line tallies: resizes back and forth between two sizes read apart from a backlog of
    many window changes (a run of 12,256 resizes on the main screen, 2026-12-06, said only "Resize")."""
    assert fair_pump.kind_of(events.Resize(Size(75, 22), Size(75, 22))) == "Resize(75x22)"
    assert fair_pump.kind_of(events.Callback(callback=partial(print, "x"))) == "Callback(print)"
    assert fair_pump.kind_of(events.Key("a", "a")) == "Key"
