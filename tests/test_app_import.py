"""Importing ratings from the app: the palette's "Import ratings…" asks for a path, imports the
certain matches into the current profile as one undoable edit and lists what it left out; a bad
file changes nothing; a served session is not offered it (it would read the server's files)."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import SIZE, bot_messages, run, settle, snapshot_app, until

from movierec_tui.engine import Recommender
from movierec_tui.stores.backends import open_backends
from movierec_tui.widgets.screens import TextPrompt

HEADER = "Date,Name,Year,Letterboxd URI,Rating\n"


@pytest.fixture(scope="module")
def engine(ready):
    with Recommender(ready, open_backends(ready)) as opened:
        yield opened


def import_in_the_app(engine, path: Path, then) -> None:
    """Open the app, import `path` through the palette's entry, then `await then(pilot, profile before)`."""

    async def scenario() -> None:
        app = snapshot_app(engine)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = app.profile
            [command] = [c for c in app.get_system_commands(app.screen) if c.title == "Import ratings…"]
            command.callback()  # what the palette runs when it is picked
            await until(pilot, lambda: isinstance(app.screen, TextPrompt) and app.screen.query("#prompt-input"))
            app.screen.query_one("#prompt-input").value = str(path)
            await pilot.press("enter")
            await settle(pilot)
            await then(pilot, before)

    run(scenario())


def test_import_from_the_palette_is_one_undoable_edit(engine, synthetic, tmp_path: Path) -> None:
    export = tmp_path / "ratings.csv"
    rows = ["2020-01-01,Toy Story,1995,u,4.5", "2020-01-02,scream,1996,u,1", "2020-01-03,Starship 5,,u,3",
            "2020-01-04,Blade Runner 2049,2017,u,4"]  # fmt: skip
    export.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    ids = {title.rsplit(" (", 1)[0]: m for m, title in synthetic.titles.items()}

    async def check(pilot, before) -> None:
        app = pilot.app
        assert app.profile.ratings == {ids["Toy Story"]: 4.5, ids["Scream"]: 1.0}
        said = "\n".join(bot_messages(app))
        assert "Imported from ratings.csv: 2 ratings" in said
        assert "Left out 2 rows of ratings.csv" in said
        assert "line 4: Starship 5: no year to confirm which movie; perhaps Starship 5" in said
        assert "line 5: Blade Runner 2049 (2017): no movie of that title" in said
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert app.profile == before

    import_in_the_app(engine, export, check)


def test_a_bad_file_imports_nothing_and_says_where(engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2020-01-01,Toy Story,1995,u,4.5\n2020-01-02,Scream,1996,u,9\n", encoding="utf-8")

    async def check(pilot, before) -> None:
        assert pilot.app.profile == before
        assert "Nothing imported: bad.csv:3: Rating '9' is not 0.5..5 in half stars" in bot_messages(pilot.app)

    import_in_the_app(engine, bad, check)


def test_a_served_session_is_not_offered_an_import(engine) -> None:
    async def scenario() -> None:
        app = snapshot_app(engine, served="ssh")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "Import ratings…" not in {c.title for c in app.get_system_commands(app.screen)}
        app = snapshot_app(engine)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "Import ratings…" in {c.title for c in app.get_system_commands(app.screen)}

    run(scenario())
