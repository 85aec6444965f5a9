"""`SizedByTheApp` (widgets/screen_size.py) in the real app: two resizes of different sizes queued on
a screen, with other messages between them (the compositor's refreshes under an open batch of
updates, as in the web tab that stopped answering), end once handled; with Textual's screen alone
each posted itself again without end."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from test_app import SIZE, run, say, settle
from textual import events
from textual.geometry import Size
from textual.message import Message

from movierec_tui.app import MovieRecApp
from movierec_tui.widgets import fair_pump
from movierec_tui.widgets.screens import SearchScreen


@pytest.mark.parametrize("screen", ["the main screen", "under a dialog"])
def test_two_stale_resizes_queued_on_a_screen_end_at_the_apps_size(recommender, screen, monkeypatch) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            main = app.screen
            if screen == "under a dialog":
                await pilot.press("escape", "ctrl+f")
                await settle(pilot)
                assert isinstance(app.screen, SearchScreen)
            handled: Counter[str] = Counter()  # what the main screen's pump takes
            taking = fair_pump.FairPump._get_message

            async def counted(pump: fair_pump.FairPump) -> Message:
                message = await taking(pump)
                if pump is main:
                    handled[fair_pump.kind_of(message)] += 1
                return message

            monkeypatch.setattr(fair_pump.FairPump, "_get_message", counted)
            await pilot.pause(0.2)  # the pump now waits in the counted version
            with app.batch_update():  # refreshes post callbacks between the resizes, as in that tab
                for size in (Size(70, 18), Size(78, 28)):
                    main.post_message(events.Resize(size, size))
                    main.call_later(lambda: None)
                await asyncio.sleep(0.5)
            await settle(pilot)
            resizes = sum(count for kind, count in handled.items() if kind.startswith("Resize"))
            assert resizes <= 4, handled  # each handled once, not again and again
            assert main.size == app.size == Size(*SIZE)

    run(scenario())
