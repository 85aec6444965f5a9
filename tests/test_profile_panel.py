"""The profile panel's ratings list: what a new rating repaints (it matters with many sessions on one
machine: `benchmarks/app_cpu.py` counts a rating's work)."""

from __future__ import annotations

import asyncio

from layout_passes import count_layout_passes
from textual.app import App
from textual.widgets import Static

from movierec_tui.widgets.profile_panel import RatingsList

NAMES = {n: f"Movie number {n}" for n in range(1, 10)}


class RatingsApp(App):
    CSS = "#profile-ratings { height: auto; max-height: 6; border: none; padding: 0; } #below { height: 1; }"

    def compose(self):
        yield RatingsList(id="profile-ratings")
        yield Static("below the list", id="below")

    def on_mount(self) -> None:
        self.query_one(RatingsList).show({}, NAMES)  # as the app starts: "nothing rated yet"


def test_a_rating_that_grows_the_list_paints_it_once_and_a_new_width_lays_it_out_again() -> None:
    async def run() -> None:
        app = RatingsApp()
        async with app.run_test(size=(40, 12)) as pilot:
            ratings = app.query_one(RatingsList)
            ratings.show({1: 4}, NAMES)
            await pilot.pause()
            drawn: list[int] = []  # the lines of the list drawn (a line not drawn since is kept by Textual)
            render_line = ratings.render_line
            ratings.render_line = lambda y: drawn.append(y) or render_line(y)  # type: ignore[method-assign]
            rated = {1: 4}
            for movie_id in (2, 3, 4):
                rated[movie_id] = 3
                passes = count_layout_passes(app)
                ratings.show(rated, NAMES)
                for _ in range(3):  # the layout pass, and any frame a resize of the list would ask for
                    await pilot.pause()
                assert passes and ratings.size.height == len(rated)  # it grew: a layout pass
                assert sorted(drawn) == list(range(len(rated)))  # once, in that pass's frame
                drawn.clear()
                lines = [render_line(y).text for y in range(ratings.size.height)]
                assert [line.split(" ", 1)[1].strip() for line in lines] == [NAMES[m] for m in reversed(rated)]
            await pilot.resize_terminal(30, 12)  # a new width: the lines are laid out for it
            await pilot.pause()
            await pilot.pause()
            assert all(render_line(y).cell_length == ratings.scrollable_content_region.width
                       for y in range(ratings.size.height))  # fmt: skip

    asyncio.run(run())
