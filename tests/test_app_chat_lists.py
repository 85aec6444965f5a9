"""The chat's part of issue 17 on the real stack (the real Recommender over the synthetic home, as
tests/test_app.py): a file dropped on the chat (its path typed or pasted, quoted, escaped or as a
file:// URL) is read, shown and imported only on a yes, as one undoable step; a bad path is one line
and changes nothing; the watchlist and the seen list by chat words, undone with undo and ctrl+z."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from test_app import bot_messages, card_ids, run, say, settle, snapshot_app

from movierec_tui.engine import Recommender
from movierec_tui.stores.backends import open_backends
from movierec_tui.widgets.lists_screen import ListsScreen

SIZE = (120, 40)
HEADER = "Date,Name,Year,Letterboxd URI,Rating\n"
ROWS = ["2020-01-01,Toy Story,1995,u,4.5", "2020-01-02,scream,1996,u,1", "2020-01-03,Starship 5,,u,3",
        "2020-01-04,Blade Runner 2049,2017,u,4"]  # fmt: skip


@pytest.fixture(scope="module")
def engine(ready):
    with Recommender(ready, open_backends(ready)) as opened:
        yield opened


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A Letterboxd ratings.csv in a folder whose name has a space, as people's folders do."""
    folder = tmp_path / "My Films"
    folder.mkdir()
    path = folder / "ratings.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


@asynccontextmanager
async def chatting(engine, **kwargs) -> AsyncIterator:
    """The app, loaded and past the questions: its pilot."""
    app = snapshot_app(engine, **kwargs)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await say(pilot, "back")
        yield pilot


def ids_of(synthetic) -> dict[str, int]:
    return {title.rsplit(" (", 1)[0]: m for m, title in synthetic.titles.items()}


def new_messages(app, before: int) -> list[str]:
    return [m.text.plain for m in app.chat_log.messages[before:] if m.role == "bot"]


def chips(app) -> list[str]:
    return [c.value for c in app.quick_replies.choices]


def test_a_dropped_path_is_shown_asked_imported_on_yes_and_undone_in_one_step(engine, synthetic, export) -> None:
    ids = ids_of(synthetic)

    async def scenario() -> None:
        async with chatting(engine) as pilot:
            app = pilot.app
            before = app.profile
            await say(pilot, f"'{export}'")  # quoted, as terminals paste a path with a space
            said = "\n".join(bot_messages(app))
            found = "ratings.csv: 4 rows: 2 matched, 1 ambiguous, 1 not in the catalogue."
            assert f"{found} Import 2 ratings? yes / no" in said
            assert app.profile == before and chips(app) == ["yes", "no"]  # nothing yet: asked first
            shown = len(app.chat_log.messages)
            await say(pilot, "yes")
            assert app.profile.ratings == {ids["Toy Story"]: 4.5, ids["Scream"]: 1.0}
            said = "\n".join(new_messages(app, shown))
            assert "Imported from ratings.csv: 2 ratings — undo with ctrl+z" in said
            assert "line 4: Starship 5: no year to confirm which movie" in said  # what was left out, never guessed
            await say(pilot, "undo")
            assert app.profile == before  # the whole import was one step
            assert "↶ Undone: Toy Story (1995) 4.5★ and Scream (1996) 1★." in bot_messages(app)

    run(scenario())


def test_a_dropped_path_answered_no_changes_nothing_and_several_files_go_together(engine, synthetic, export) -> None:
    watchlist = export.with_name("watchlist.csv")  # Letterboxd's export unzipped: dropped with ratings.csv
    watchlist.write_text("Date,Name,Year,Letterboxd URI\n2020-02-01,Alien,1979,u\n", encoding="utf-8")
    ids = ids_of(synthetic)

    async def scenario() -> None:
        async with chatting(engine) as pilot:
            app = pilot.app
            before = app.profile
            escaped = str(export).replace(" ", "\\ ")  # backslash escapes, as other terminals paste it
            await say(pilot, escaped)
            assert any("Import 2 ratings? yes / no" in m for m in bot_messages(app))
            await say(pilot, "no")
            assert app.profile == before and bot_messages(app)[-1] == "OK, nothing imported."
            as_url = "file://" + str(export).replace(" ", "%20")
            await say(pilot, as_url)
            assert any("Import 2 ratings? yes / no" in m for m in bot_messages(app)[-2:])
            await say(pilot, "I'm 34")  # anything else moves on from the offer
            await say(pilot, "yes")
            assert app.profile.ratings == {} and app.profile.age == 25
            before = app.profile
            await say(pilot, f"'{export}' '{watchlist}'")
            offer = "ratings.csv and watchlist.csv: 5 rows: 3 matched, 1 ambiguous, 1 not in the catalogue."
            assert f"{offer} Import 2 ratings, 1 watchlist movie? yes / no" in bot_messages(app)
            await say(pilot, "yes")
            assert app.profile.watchlist == [ids["Alien"]] and len(app.profile.ratings) == 2
            assert any("· ratings.csv:4: Starship 5" in m for m in bot_messages(app))  # which file, when several
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert app.profile == before

    run(scenario())


def test_a_bad_path_or_file_is_one_line_and_changes_nothing(engine, tmp_path: Path) -> None:
    notes = tmp_path / "notes.csv"
    notes.write_text("what,ever\n1,2\n", encoding="utf-8")
    missing = tmp_path / "nowhere" / "ratings.csv"

    async def scenario() -> None:
        async with chatting(engine) as pilot:
            app = pilot.app
            before = app.profile
            shown = len(app.chat_log.messages)
            await say(pilot, str(missing))
            assert new_messages(app, shown) == [f"No file at {missing}: nothing imported."]
            shown = len(app.chat_log.messages)
            await say(pilot, str(notes))
            [said] = new_messages(app, shown)
            assert said.startswith("Nothing imported: notes.csv:1: unknown header 'what,ever'")
            assert app.profile == before and app.conversation.question is None
            await say(pilot, "9/10")  # a rating with a slash: no path, no age
            assert app.profile == before and "4.5 stars for which movie?" in bot_messages(app)[-1]
        async with chatting(engine, served="ssh") as pilot:  # a served session would read the server's files
            app = pilot.app
            before = app.profile
            await say(pilot, str(notes))
            assert bot_messages(app)[-1].startswith("Importing a file works in the app on your own computer")
            assert app.profile == before

    run(scenario())


def test_the_watchlist_and_seen_by_chat_words_undone_by_undo_and_ctrl_z(engine, synthetic) -> None:
    ids = ids_of(synthetic)
    alien, toy = ids["Alien"], ids["Toy Story"]

    async def scenario() -> None:
        async with chatting(engine) as pilot:
            app = pilot.app
            await say(pilot, "my watchlist")
            assert bot_messages(app)[-1].startswith("Your watchlist: nothing yet (say “add Heat to my watchlist”")
            await say(pilot, "add Alien to my watchlist")
            assert app.profile.watchlist == [alien] and alien not in card_ids(app)
            assert bot_messages(app)[-1] == "✓ Put Alien (1979) on your watchlist — undo with ctrl+z"
            await say(pilot, "I've seen Toy Story")
            assert app.profile.seen == [toy] and toy not in card_ids(app)
            assert "✓ Marked Toy Story (1995) as seen — undo with ctrl+z" in bot_messages(app)[-2:]
            await say(pilot, "show watchlist")
            assert bot_messages(app)[-1].startswith("Your watchlist (1 movie, newest first): Alien (1979).")
            await say(pilot, "undo")
            assert app.profile.seen == [] and bot_messages(app)[-1] == "↶ Undone: Toy Story (1995) seen."
            await say(pilot, "remove Alien from my watchlist")
            assert app.profile.watchlist == []
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert app.profile.watchlist == [alien]
            assert bot_messages(app)[-1] == "↶ Undone: Alien (1979) off the watchlist."
            await say(pilot, "seen Alien")  # from the watchlist to the seen list
            assert (app.profile.watchlist, app.profile.seen) == ([], [alien])
            await say(pilot, "unsee Alien")
            assert app.profile.seen == []
            await say(pilot, "open my lists")
            assert isinstance(app.screen, ListsScreen)

    run(scenario())
