"""The Textual app: whole sessions with Pilot on the real stack (synthetic data), and snapshots.

Every test runs the real `Recommender` over the `ready` home: real Redis, Milvus Lite and the
Paddle model trained on the synthetic dataset (tests/synthetic.py), one instance for the module.
The app is driven only with keys and typed text. Where a test needs a store to fail or to be slow,
the double sits below the engine, at the store interface (`SwitchableMilvus`).

The snapshots show the synthetic catalogue as the trained model ranks it. Training is deterministic
(same seed, same data), so they change only when the look, the model or its training change; then
regenerate them (CONTRIBUTING.md) and look at every picture that changed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from types import SimpleNamespace

import pytest
from layout_passes import count_layout_passes
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.keys import _character_to_key
from textual.visual import Visual
from textual.widgets import Input, OptionList
from textual.widgets._toast import Toast

from movierec_tui.app import MovieRecApp
from movierec_tui.app.commands import key_sections
from movierec_tui.app.conversation import Question
from movierec_tui.app.details import details_of
from movierec_tui.app.refresh import describe_failure
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.errors import MilvusUnavailable, RedisUnavailable
from movierec_tui.stores.milvus_store import MilvusStore
from movierec_tui.widgets import dialog
from movierec_tui.widgets.cards import CardList, CardView
from movierec_tui.widgets.chat_pane import MAX_MESSAGES, ChatInput, ChatLog, QuickReplies
from movierec_tui.widgets.dialog import CLOSE_ACTIONS, MOST_DIALOGS, STACKED_TOO_DEEP, Dialog
from movierec_tui.widgets.keys import key_labels, key_rows
from movierec_tui.widgets.lists_screen import ListsScreen
from movierec_tui.widgets.profile_panel import RatingsList
from movierec_tui.widgets.quit_prompt import QuitPrompt
from movierec_tui.widgets.screens import (
    DetailsScreen,
    EarlyClosingPalette,
    HelpScreen,
    NamePrompt,
    ProfilesScreen,
    SearchResults,
    SearchScreen,
    TextPrompt,
)
from movierec_tui.widgets.theme import palette
from movierec_tui.wording import Choice, stars

SIZE = (120, 40)


# -- the stack --------------------------------------------------------------------------------------


class SwitchableMilvus(MilvusStore):
    """The real Milvus store, with two switches below the engine: `down` makes a search fail as a
    Milvus that went away does, and `gate` holds searches until it is set (a slow Milvus)."""

    def __init__(self, uri: str, token: str = "") -> None:
        super().__init__(uri, token)
        self.down = False
        self.gate = threading.Event()
        self.gate.set()

    def search(self, *args, **kwargs):
        self.gate.wait(timeout=10)
        if self.down:
            raise MilvusUnavailable(f"Milvus at {self.uri} is not reachable (switched off by the test)")
        return super().search(*args, **kwargs)


@pytest.fixture()
def switchable(ready, recommender):
    """A Recommender whose Milvus can be switched off or slowed down."""
    milvus = SwitchableMilvus(ready.effective_milvus_uri, ready.milvus_token)
    backends = recommender.backends
    engine = Recommender(ready, Backends(backends.redis, backends.cards, milvus))
    yield engine, milvus
    milvus.gate.set()
    milvus.close()


def snapshot_app(recommender: Recommender, **kwargs) -> MovieRecApp:
    return MovieRecApp(recommender, cursor_blink=False, show_timings=False, **kwargs)


# -- helpers --------------------------------------------------------------------------------------


async def settle(pilot, timeout: float = 30.0) -> None:
    """Wait until the app is loaded, every worker finished and no refresh is pending, and the screen
    caught up; fail if that does not happen within `timeout` seconds (a loaded machine is slow, a
    stuck app never settles)."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.settled:
            break
        if time.monotonic() > deadline:
            refresher = app.refresher
            raise AssertionError(
                f"the app did not settle in {timeout:.0f} s: ready={app.ready}, refresh in flight="
                f"{refresher.in_flight}, due={refresher.stale}, workers={[w.name for w in app.workers]}"
            )
        await asyncio.sleep(0.02)
    await pilot.pause()


async def until(pilot, predicate, timeout: float = 10.0) -> None:
    """Wait (without requiring the app to settle) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.01)


async def say(pilot, text: str) -> None:
    app = pilot.app
    app.chat_input.focus()
    app.chat_input.value = text
    await pilot.press("enter")
    await settle(pilot)


async def open_theme_picker(app: MovieRecApp, pilot) -> CommandList:
    """Textual's theme picker, as the palette's "Theme" opens it; its list of themes."""
    (themes,) = [c for c in app.get_system_commands(app.screen) if c.title == "Theme"]
    themes.callback()
    await settle(pilot)
    return app.screen.query_one(CommandList)


def asked(app: MovieRecApp) -> str | None:
    """The kind of question the app is waiting an answer to."""
    question = app.conversation.question
    return question.kind if question is not None else None


def card_ids(app: MovieRecApp) -> list[int]:
    return [r.card.movie_id for r in app.cards.recommendations]


def messages(app: MovieRecApp, role: str) -> list[str]:
    return [m.text.plain for m in app.chat_log.messages if m.role == role]


def bot_messages(app: MovieRecApp) -> list[str]:
    return messages(app, "bot")


def shown(log: ChatLog) -> list[str]:
    """The chat log's lines as they are on screen."""
    return [log.render_line(y).text for y in range(log.scrollable_content_region.height)]


def burst(app: MovieRecApp, text: str) -> None:
    """Every key of `text` handed to the app at once, as keys arrive from a paste into a terminal
    without bracketed paste, fast typing or type-ahead over SSH: none is handled before the next."""
    for character in text:
        app.post_message(events.Key(_character_to_key(character), character))


def run(coro) -> None:
    asyncio.run(coro)


# -- behaviour ------------------------------------------------------------------------------------


def test_a_whole_session(recommender, synthetic) -> None:
    """Answer the questions, rate movies, filter, explore, save and reload: on the real stack."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.ready and asked(app) == "age"
            assert len(card_ids(app)) == 20  # demographic picks before anything is known
            await say(pilot, "I'm 34")
            assert app.profile.age == 25 and asked(app) == "gender"
            # a quick reply works like typing: focus the chips, move right to "male", enter
            app.quick_replies.focus()
            await pilot.press("right", "enter")
            await settle(pilot)
            assert app.profile.gender == "M" and asked(app) == "occupation"
            await say(pilot, "programmer")
            assert app.profile.occupation == 12 and asked(app) == "seed"
            await say(pilot, "skip")
            assert asked(app) == "seed"
            await say(pilot, "back")  # enough questions
            assert not app.conversation.onboarding

            for title in ("Star Wars", "alien", "the matrix"):
                await say(pilot, f"loved {title}")
            assert len(app.profile.ratings) == 3
            ids = card_ids(app)
            assert synthetic.cluster_share(ids, 0) >= 0.8
            assert not set(ids) & set(app.profile.ratings)
            assert "because you liked" in app.refresher.results[0].reason

            # keys on the cards: tab to the list, rate the focused card, dismiss the next
            app.cards.focus()
            await pilot.pause()
            first = card_ids(app)[0]
            await pilot.press("4")
            await settle(pilot)
            assert app.profile.ratings[first] == 4 and first not in card_ids(app)
            second = card_ids(app)[0]
            await pilot.press("x")
            await settle(pilot)
            assert second in app.profile.dismissed and second not in card_ids(app)

            # a filter: only Drama/Western now, and the hint says what changed
            await say(pilot, "only westerns")
            ids = card_ids(app)
            assert ids and all("Western" in app.catalog[m].genres for m in ids)
            hint = str(app.query_one("#cards-hint").render())
            assert "only Western" in hint and "new" in hint
            await say(pilot, "clear filters")
            assert synthetic.cluster_share(card_ids(app), 0) >= 0.8

            # more like a horror movie, then back
            await say(pilot, "more like Scream")
            assert app.more_like is not None and synthetic.cluster_share(card_ids(app), 2) >= 0.6
            assert "More like" in str(app.query_one("#cards-title").render())
            app.cards.focus()
            await pilot.press("escape")
            await settle(pilot)
            assert app.more_like is None and "For you" in str(app.query_one("#cards-title").render())

            # why: one in the list, and one that is not
            top = app.refresher.results[0].card
            await say(pilot, f"why {top.title}?")
            assert "#1 in your picks" in bot_messages(app)[-1]
            await say(pilot, "why Unforgiven?")
            assert "not in your top 20" in bot_messages(app)[-1]
            second = app.refresher.results[1].card  # by the number the card shows
            await say(pilot, "why 2?")
            assert "#2 in your picks" in bot_messages(app)[-1] and second.title in bot_messages(app)[-1]

            # save, change, reload
            await say(pilot, "save alice")
            assert app.profile_sync.saved_as == "alice"
            saved = recommender.profiles.load("alice")
            assert saved.ratings == app.profile.ratings and saved.occupation == 12
            await say(pilot, "reset")
            assert app.profile == Profile() and app.conversation.onboarding
            await say(pilot, "load alice")
            assert app.profile.ratings == saved.ratings and app.profile.age == 25
            assert synthetic.cluster_share(card_ids(app), 0) >= 0.8

    run(scenario())


def test_tell_me_about_a_movie_opens_its_details(recommender) -> None:
    """ "tell me about Unforgiven" opens its details screen (it said "I didn't understand"), escape gives
    the chat back; a card by its number too, and a number no card shows is said so."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            await say(pilot, "tell me about Unforgiven")
            assert isinstance(app.screen, DetailsScreen) and app.screen.details.card.title == "Unforgiven"
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, DetailsScreen) and app.focused is app.chat_input
            second = app.refresher.results[1].card
            await say(pilot, "what's 2 about?")
            assert isinstance(app.screen, DetailsScreen) and app.screen.details.card == second
            await pilot.press("escape")
            await settle(pilot)
            await say(pilot, "tell me about 99")
            assert not isinstance(app.screen, DetailsScreen)
            assert bot_messages(app)[-1] == f"There is no card 99: the cards go from 1 to {len(card_ids(app))}."

    run(scenario())


def test_reasons_and_answers_are_true_of_the_profile(recommender, synthetic) -> None:
    """More like an unrated movie says "similar to" it and ranks by similarity to it (with m on a
    card too); why / why not answer from the scores."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            await say(pilot, "more like Alien")  # not rated
            assert "most like Alien (1979)" in bot_messages(app)[-1]
            closest = [round(similarity, 2) for _, similarity in recommender.similar_to(app.more_like.movie_id, 20)]
            assert [round(r.score, 2) for r in app.refresher.results] == closest
            assert all(r.reason == "similar to Alien (1979)" for r in app.refresher.results)
            # the number on a card is its similarity to Alien, and says so (in the person's picks: match)
            shown = [option.prompt.match_text for option in app.cards.options if isinstance(option.prompt, CardView)]
            assert shown[:3] == [f"sim {r.score:.2f}" for r in app.refresher.results[:3]]
            top = app.refresher.results[0].card
            await say(pilot, f"why {top.title}?")
            assert "is #1 in this list: similar to Alien (1979), similarity" in bot_messages(app)[-1]
            await say(pilot, "why Unforgiven?")
            assert "is not among the 20 most like Alien (1979): its similarity is" in bot_messages(app)[-1]
            app.cards.focus()
            await pilot.press("j", "m")  # more like the second card
            await settle(pilot)
            second = app.more_like
            assert second is not None and second.movie_id != app.catalog[1].movie_id
            scores = [r.score for r in app.refresher.results]
            assert [round(s, 2) for s in scores] == sorted((round(s, 2) for s in scores), reverse=True)
            assert all(r.reason.startswith("similar to ") for r in app.refresher.results)
            await pilot.press("enter")  # the details say the person's match, not the similarity
            await settle(pilot)
            details = app.screen.details
            assert details.score == pytest.approx(recommender.score_of(app.profile, details.card.movie_id).score)
            await pilot.press("escape", "escape")
            await settle(pilot)
            assert app.more_like is None

            await say(pilot, "loved Alien")
            assert all(r.reason == "because you liked Alien (1979)" for r in app.refresher.results)
            await say(pilot, "why not Scream?")
            answer = bot_messages(app)[-1]
            assert "Scream (1996) is not in your top 20" in answer and "most like it is Alien (1979)" in answer
            await say(pilot, "no horror")
            await say(pilot, "why not Scream?")
            assert "hidden by your filter: no Horror" in bot_messages(app)[-1]
            await say(pilot, "undo")
            assert bot_messages(app)[-1] == "↶ Undone: the genre filter."
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert bot_messages(app)[-1] == "↶ Undone: Alien (1979) 5★." and not app.profile.ratings

    run(scenario())


def test_each_seed_question_is_the_best_match_for_the_answers_so_far(recommender, synthetic) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for answer in ("I'm 34", "male", "programmer"):
                await say(pilot, answer)
            assert asked(app) == "seed"
            first = app.conversation.question.movie.movie_id
            expected = recommender.seed_movies(1, profile=app.profile)[0].movie_id
            assert first == expected
            await say(pilot, "5")
            assert app.profile.ratings == {first: 5} and asked(app) == "seed"
            steered = recommender.seed_movies(1, exclude={first}, profile=app.profile)[0].movie_id
            assert app.conversation.question == Question("seed", app.conversation.question.movie)
            assert app.conversation.question.movie.movie_id == steered
            await say(pilot, "skip")
            after_skip = app.conversation.question.movie.movie_id
            assert after_skip not in (first, steered)
            assert after_skip == recommender.seed_movies(1, exclude={first, steered}, profile=app.profile)[0].movie_id

    run(scenario())


def test_profile_flag_loads_and_bad_records_start_fresh(recommender) -> None:
    recommender.profiles.save("bob", Profile(gender="F", age=35, occupation=2, ratings={1: 5}))
    # Invalid, and markup if it were read as such; written below the engine, as a hand edit would be.
    recommender.backends.cards.save_profile("broken", '{"gender": "[b]x[/i]"}')

    async def scenario() -> None:
        app = MovieRecApp(recommender, profile_name="bob", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile.ratings == {1: 5} and app.profile.age == 35
            assert asked(app) == "seed"  # demographics known: straight to the movies
        app = MovieRecApp(recommender, profile_name="broken", cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.profile == Profile() and app.ready
            assert any("unreadable" in str(n.message) for n in app._notifications)
            assert card_ids(app)

    run(scenario())


def test_keyboard_only_details_search_help_and_panel(recommender, synthetic) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            # "?" in an empty input opens help; escape closes; in a non-empty input it is typed
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            app.chat_input.value = "why"
            app.chat_input.cursor_position = 3
            await pilot.press("question_mark")
            assert app.chat_input.value == "why?" and not isinstance(app.screen, HelpScreen)
            app.chat_input.value = ""
            # escape leaves the input for the cards; letters now act on cards
            await pilot.press("escape")
            assert app.focused is app.cards
            await pilot.press("j", "k", "j")
            assert app.cards.highlighted == 1
            second = card_ids(app)[1]
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailsScreen) and app.screen.details.card.movie_id == second
            assert len(app.screen.details.similar) == 8
            await pilot.press("5")
            await settle(pilot)
            assert app.profile.ratings[second] == 5
            await pilot.press("escape")
            # / finds a title; enter opens it; 3 rates it there
            await pilot.press("slash")
            assert isinstance(app.screen, SearchScreen)
            await pilot.press(*"shining")
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DetailsScreen)
            shining = app.screen.details.card
            assert shining.title == "Shining, The"
            await pilot.press("3", "escape")
            await settle(pilot)
            assert app.profile.ratings[shining.movie_id] == 3
            # the ratings list in the profile panel: re-rate and remove with keys
            ratings = app.query_one(RatingsList)
            ratings.focus()
            await pilot.press("home", "1")
            await settle(pilot)
            assert app.profile.ratings[shining.movie_id] == 1  # most recent first
            await pilot.press("delete")
            await settle(pilot)
            assert shining.movie_id not in app.profile.ratings
            # undo brings it back
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert app.profile.ratings[shining.movie_id] == 1
            # m on a card: more like it
            app.cards.focus()
            await pilot.press("m")
            await settle(pilot)
            assert app.more_like is not None

    run(scenario())


def test_opens_queued_in_one_burst_leave_one_details_dialog(recommender) -> None:
    """Enter pressed three times at once on the ratings list (a burst over SSH, a paste, a web tab's
    clicks): the keys all reach the list before the first details dialog opens, so three opens are
    queued. Each replaces the last: one dialog, not three stacked (every repaint draws through all of
    them: the fuzzer stacked them until a window change was not drawn in 30 s, issue 15). The same for
    the similar movies of an open dialog."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            await say(pilot, "loved Alien")
            await settle(pilot)
            app.query_one(RatingsList).focus()
            for where in ("the ratings list", "the similar movies"):
                for _ in range(3):
                    app.post_message(events.Key("enter", "\r"))
                await settle(pilot)
                dialogs = [type(screen).__name__ for screen in app.screen_stack[1:]]
                assert dialogs == ["DetailsScreen"], (where, dialogs)

    run(scenario())


def test_chat_lines_pasted_together_stack_no_dialog_on_one_of_its_kind(recommender) -> None:
    """"tell me about Alien" and "save" (which asks for a name) pasted three times: each line is handled
    after the one before opened its dialog. A second name prompt is not stacked on the first, and a
    details dialog not on the prompt (it was asked for before the prompt opened; it is said): the
    details and one prompt, not six dialogs."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            app.chat_input.post_message(events.Paste("tell me about Alien\nsave\n" * 3))
            await settle(pilot)
            dialogs = [type(screen).__name__ for screen in app.screen_stack[1:]]
            assert dialogs == ["DetailsScreen", "NamePrompt"], dialogs
            said = [str(note.message) for note in app._notifications]
            assert said.count("Not opened: Alien (1979), asked for while this dialog opened; close it first.") == 2

    run(scenario())


def test_store_outage_shows_a_banner_and_recovers(switchable) -> None:
    engine, milvus = switchable

    async def scenario() -> None:
        app = MovieRecApp(engine, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = card_ids(app)
            milvus.down = True
            app.chat_input.value = "loved alien"
            await pilot.press("enter")
            banner = app.query_one("#banner")
            await until(pilot, lambda: banner.display)
            assert "Milvus is not reachable" in str(banner.render())
            assert card_ids(app) == before  # the last cards stay
            assert app.profile.ratings  # the profile is kept in memory
            milvus.down = False
            app.refresher.retry_timer.stop()
            app.refresher.retry()  # what the retry timer does
            await settle(pilot)
            assert not banner.display and card_ids(app) != before

    run(scenario())


def test_hostile_input_is_shown_verbatim_and_never_crashes(recommender) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for text in ("[bold]x[/]", "[red", "\x1b[2J\x00\x07boom", "🙂" * 300, "x" * 100_000, "Heat 9"):
                await say(pilot, text)
            users = messages(app, "user")
            assert "[bold]x[/]" in users and "[red" in users
            assert all("\x1b" not in u and "\x00" not in u for u in users)
            assert app.is_running

    run(scenario())


def test_pasted_lines_are_separate_messages_and_enter_never_merges_type_ahead(recommender) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            app.chat_input.post_message(events.Paste("skip\nskip\r\nskip\nhel"))
            await settle(pilot)
            users = messages(app, "user")
            assert users[-3:] == ["skip", "skip", "skip"] and app.chat_input.value == "hel"
            # keys that arrive while the Enter is still being handled belong to the next message
            for key in ("enter", "s", "k", "i", "p", "enter"):
                app.chat_input.post_message(events.Key(key, key if len(key) == 1 else None))
            await settle(pilot)
            users = messages(app, "user")
            assert users[-2:] == ["hel", "skip"] and app.chat_input.value == ""

    run(scenario())


def test_a_burst_of_keys_is_text_and_keys_typed_during_help_are_kept(recommender) -> None:
    """A "?" at the end of a burst is typed, not a key for Help; keys typed right behind a "?" that
    opens Help, or while Help is open, end up in the input."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            app.chat_input.focus()
            for _ in range(3):
                burst(app, "why not Heat?")
                await until(pilot, lambda: app.chat_input.value.endswith("?") or isinstance(app.screen, HelpScreen))
                assert not isinstance(app.screen, HelpScreen) and app.chat_input.value == "why not Heat?"
                app.chat_input.value = ""
            burst(app, "?heat 4")  # help opens; what follows it is kept for the input
            await until(pilot, lambda: isinstance(app.screen, HelpScreen) and app.chat_input.value == "heat 4")
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen) and app.focused is app.chat_input
            app.chat_input.value = ""
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(*"alien")  # a printable key closes help and is typed
            assert not isinstance(app.screen, HelpScreen) and app.chat_input.value == "alien"
            await pilot.press("f1")  # f1 opens help even after text
            assert isinstance(app.screen, HelpScreen) and app.chat_input.value == "alien"
            burst(app, " 5 stars")  # a burst into the open help: the first key closes it, none is lost
            await until(pilot, lambda: app.chat_input.value == "alien 5 stars")
            assert not isinstance(app.screen, HelpScreen)

    run(scenario())


def test_focus_never_stays_on_a_hidden_widget_and_chips_are_reached_with_tab(recommender) -> None:
    """At 80x24 F2 shows the profile in place of the chat: the focus leaves the hidden chips for the
    cards, and Enter there opens a card instead of sending a chip nobody sees. Tab goes from the input
    to the chips (when there are some), on to the cards; shift+tab goes back."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert asked(app) == "age" and app.quick_replies.choices and app.focused is app.chat_input
            await pilot.press("tab")
            assert app.focused is app.quick_replies
            await pilot.press("right", "shift+tab")
            assert app.focused is app.chat_input
            await pilot.press("tab", "tab")
            assert app.focused is app.cards
            await pilot.press("shift+tab")
            assert app.focused is app.chat_input
            await pilot.press("tab")
            assert app.focused is app.quick_replies
            sent = len(messages(app, "user"))
            await pilot.press("f2")
            await settle(pilot)
            assert not app.query_one("#chat-pane").display and app.focused is app.cards
            await pilot.press("enter")
            await settle(pilot)
            assert len(messages(app, "user")) == sent and isinstance(app.screen, DetailsScreen)
            await pilot.press("escape", "f2")
            await settle(pilot)
            assert app.query_one("#chat-pane").display and not app.query_one("#profile-panel").display
            app.quick_replies.focus()
            await pilot.pause()
            app.quick_replies.set_choices([])  # chips that go take the focus nowhere: it goes to the input
            await pilot.pause()
            assert app.focused is app.chat_input
            app.quick_replies.set_choices([Choice("help", "help")])
            app.quick_replies.display = False  # chips nobody sees are never sent
            app.quick_replies.action_pick()
            await pilot.pause()
            assert len(messages(app, "user")) == sent

    run(scenario())


def test_the_panes_at_each_size_are_as_the_readme_says(recommender) -> None:
    """README: side by side from 100 columns (100x30, 120x40); below, the profile folds away and F2
    shows it in place of the chat; below 70 columns the chat and the cards stack."""

    def panes(app: MovieRecApp) -> dict[str, tuple[int, int]]:
        """Each pane shown: its (x, y) on screen."""
        found = {}
        for name in ("chat-pane", "cards-pane", "profile-panel"):
            widget = app.query_one(f"#{name}")
            if widget.display:
                found[name] = (widget.region.x, widget.region.y)
        return found

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for size in ((120, 40), (100, 30)):
                await pilot.resize_terminal(*size)
                await settle(pilot)
                shown = panes(app)
                assert list(shown) == ["chat-pane", "cards-pane", "profile-panel"]
                assert shown["chat-pane"][0] < shown["cards-pane"][0] < shown["profile-panel"][0]
            await pilot.resize_terminal(80, 24)
            await settle(pilot)
            shown = panes(app)
            assert list(shown) == ["chat-pane", "cards-pane"] and shown["chat-pane"][0] < shown["cards-pane"][0]
            await pilot.press("f2")
            await settle(pilot)
            assert list(panes(app)) == ["cards-pane", "profile-panel"]
            await pilot.press("f2")
            await pilot.resize_terminal(60, 24)
            await settle(pilot)
            shown = panes(app)
            assert list(shown) == ["chat-pane", "cards-pane"] and shown["chat-pane"][1] < shown["cards-pane"][1]

    run(scenario())


def test_a_window_crossing_a_layout_breakpoint_is_drawn_at_once_at_its_new_size(recommender) -> None:
    """Textual resizes the app at once and its screen 1/120 s later; the panes were fitted to the
    app's new width and drawn once at the screen's old one (62 to 100 columns: the three panes in 62
    columns, the cards 2 wide). Fitted at the screen's resize, every frame of the cards after a window
    change across a breakpoint is drawn at the new size."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=(62, 30)) as pilot:
            await settle(pilot)
            drawn: list[tuple[int, int]] = []  # (the cards' width, the screen's) at each drawing of the cards
            cards = app.cards
            draw = cards.render_lines
            screen = app.screen
            cards.render_lines = lambda crop: drawn.append((cards.size.width, screen.outer_size.width)) or draw(crop)
            for width in (100, 62, 130, 80, 40):
                drawn.clear()
                await pilot.resize_terminal(width, 30)
                await settle(pilot)
                assert drawn and {screen_width for _, screen_width in drawn} == {width}, (width, drawn)
                assert len({cards_width for cards_width, _ in drawn}) == 1, (width, drawn)  # the new layout's
            await pilot.press("f1")  # a dialog over the main screen (each is modal): it still follows the size
            await settle(pilot)
            await pilot.resize_terminal(120, 40)
            await settle(pilot)
            assert app.has_class("-profile-visible", "-rows-tall") and not app.has_class("-narrow")

    run(scenario())


def test_typing_costs_no_layout_pass_and_long_text_scrolls_into_view(recommender) -> None:
    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            passes = count_layout_passes(app)
            text = "a very long message that is much wider than the chat input box, ending here"
            await pilot.press(*(c if c != " " else "space" for c in text))
            await pilot.pause()
            assert app.chat_input.value == text and not passes
            shown = "".join(s.text for s in app.chat_input.render_line(0))
            assert "ending here" in shown and "a very long" not in shown and app.chat_input.scroll_x > 0

    run(scenario())


def test_the_chat_log_mounts_nothing_per_message_and_keeps_its_place(recommender) -> None:
    """Messages are drawn by one widget: a long chat adds no widget and no layout pass. The log keeps
    the last MAX_MESSAGES, follows new ones, and stays on the lines being read when scrolled up."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            log = app.chat_log
            for i in range(20):  # enough for the scrollbar, which takes one layout pass to appear
                log.add(f"warming up {i}")
            await pilot.pause()
            widgets = len(app.screen.query("*"))
            passes = count_layout_passes(app)
            for i in range(MAX_MESSAGES + 50):
                log.add(Text(f"you said {i}"), "user") if i % 2 else log.add(f"I answered {i}")
                if i % 20 == 0:
                    await pilot.pause()
            await pilot.pause()
            assert not passes and len(app.screen.query("*")) == widgets and not log.children
            assert len(log.messages) == MAX_MESSAGES and log.messages[0].text.plain == "I answered 50"
            assert log.is_vertical_scroll_end and shown(log)[-2].strip() == "you said 249"

            log.scroll_to(y=log.max_scroll_y // 2, animate=False)
            await pilot.pause()
            reading = shown(log)
            log.add("one more, which drops the oldest")
            await pilot.pause()
            assert shown(log) == reading and not log.is_vertical_scroll_end
            log.scroll_end(animate=False, immediate=True)
            log.add("the newest")
            await pilot.pause()
            assert log.is_vertical_scroll_end and "the newest" in shown(log)[-2]

    run(scenario())


def test_the_chat_log_wraps_to_its_width_and_shows_typed_text_as_typed(recommender) -> None:
    words = " ".join(f"word{n}" for n in range(20))

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            log = app.chat_log
            await say(pilot, "[bold]x[/] and [red]y")
            line = next(log.render_line(y) for y, text in enumerate(shown(log)) if "[bold]x[/] and [red]y" in text)
            assert not any(segment.style and segment.style.bold for segment in line)  # no markup applied
            log.add(words)

            for size in (SIZE, (80, 24), SIZE):
                await pilot.resize_terminal(*size)
                await settle(pilot)
                width = log.scrollable_content_region.width
                lines = shown(log)
                assert all(log.render_line(y).cell_length == width for y in range(len(lines)))
                wrapped = [text.strip(" ▌") for text in lines[lines.index(next(t for t in lines if "word0" in t)) :]]
                assert " ".join(t for t in wrapped if t) == words  # every word, in order, none cut
                assert len(log.messages[-1].lines) == sum(1 for t in wrapped if t)
                assert all(len(text.rstrip()) <= width - 2 for text in lines if text.startswith("▌"))  # the margin
                if size == SIZE:
                    wide = len(log.messages[-1].lines)
                else:
                    assert len(log.messages[-1].lines) > wide  # narrower pane, more lines

    run(scenario())


def test_unchanged_chips_and_new_ratings_cost_no_layout_pass(recommender) -> None:
    """A layout pass only when a widget's size changes: the ratings list has a fixed height, so a new
    rating takes none, before its lines fill it and after (where it scrolls); nor do the same quick
    replies again."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            ratings = app.query_one(RatingsList)
            names = {movie_id: card.title for movie_id, card in app.catalog.items()}
            ids = list(names)
            height = ratings.outer_size.height
            passes = count_layout_passes(app)
            for count in (1, 2, 3):
                ratings.show({m: 4 for m in ids[:count]}, names)
                await pilot.pause()
            assert not passes and ratings.outer_size.height == height == 14
            ratings.show({m: 4 for m in ids[:20]}, names)
            await until(pilot, lambda: ratings.show_vertical_scrollbar)  # more lines than it shows
            await pilot.pause()
            passes.clear()
            ratings.show({m: 4 for m in ids[:21]}, names)
            app.quick_replies.set_choices(list(app.quick_replies.choices))
            await pilot.pause()
            assert not passes and ratings.outer_size.height == 14 and ratings.show_vertical_scrollbar
            assert ratings.vertical_scrollbar.window_virtual_size == ratings.virtual_size.height >= 21

    run(scenario())


def test_a_new_rating_lays_out_its_own_line_only_and_a_changed_one_anew(recommender, monkeypatch) -> None:
    """The ratings list keeps the options of unchanged ratings (their text is laid out once), and
    one whose stars changed shows the new stars. After a new rating every line moves down one: the
    others are painted from what was laid out before (Textual's own cache of it is cleared by every
    `set_options`), each with its new position, which is where a mouse click on it goes."""
    laid_out: list[str] = []
    to_strips = Visual.to_strips.__func__

    def counting(cls, widget, visual, *args, **kwargs):
        if isinstance(widget, RatingsList):
            laid_out.append(str(getattr(visual, "plain", visual)))
        return to_strips(cls, widget, visual, *args, **kwargs)

    monkeypatch.setattr(Visual, "to_strips", classmethod(counting))

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            ratings = app.query_one(RatingsList)
            names = {movie_id: card.title for movie_id, card in app.catalog.items()}
            first, second, third = list(names)[:3]
            ratings.show({first: 4, second: 3}, names)
            kept = ratings.get_option(f"r{first}")
            await until(pilot, lambda: len(laid_out) >= 2)
            await pilot.pause()
            laid_out.clear()
            ratings.show({first: 4, second: 3, third: 5}, names)
            assert ratings.get_option(f"r{first}") is kept
            await until(pilot, lambda: laid_out)
            await pilot.pause()
            assert len(laid_out) == 1 and names[third] in laid_out[0]
            first_lines: dict[int, str] = {}  # by the option a click on the line selects (titles may wrap)
            for y in range(ratings.virtual_size.height):
                strip = ratings.render_line(y)
                (index,) = {segment.style.meta.get("option") for segment in strip if segment.style}
                first_lines.setdefault(index, strip.text)
            assert [first_lines[i].split(" ")[0] for i in range(3)] == [stars(5), stars(3), stars(4)]
            ratings.show({first: 2, second: 3, third: 5}, names)
            changed = ratings.get_option(f"r{first}")
            assert changed is not kept and str(changed.prompt).startswith(f"{stars(2)} {names[first]}")
            assert [o.id for o in ratings.options] == [f"r{third}", f"r{second}", f"r{first}"]

    run(scenario())


def test_typing_is_not_blocked_by_a_slow_search(switchable) -> None:
    """While a search hangs, messages are still echoed and typed, and the ratings made meanwhile are
    folded into one trailing refresh."""
    engine, milvus = switchable

    async def scenario() -> None:
        app = MovieRecApp(engine, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            refresher = app.refresher
            before = refresher.generation
            milvus.gate.clear()
            app.chat_input.focus()
            for text in ("loved alien", "hated scream", "loved unforgiven"):
                app.chat_input.value = text
                await pilot.press("enter")
            await pilot.press(*"hello")
            assert app.chat_input.value == "hello"
            assert len(messages(app, "user")) == 3 and len(app.profile.ratings) == 3
            assert refresher.in_flight and refresher.generation == before + 1  # one search running, the rest wait
            milvus.gate.set()
            await settle(pilot)
            assert refresher.generation == before + 2  # one trailing refresh for the two later ratings
            assert not set(card_ids(app)) & set(app.profile.ratings)

    run(scenario())


def test_the_help_is_made_from_the_bindings() -> None:
    """Every key of the app and its widgets is in the help, under what its binding says it does;
    the only ones left out are 2-5 (listed as "1-5"), home/end on the quick replies, j/k where they
    only do what the arrow keys do, and widget keys that run the app's own action (listed there)."""
    sections = key_sections(MovieRecApp)
    listed = {(key, what) for section in sections for keys, what in section.rows() for key in keys.split(", ")}
    for owner in (MovieRecApp, CardList, RatingsList, QuickReplies, ChatInput, DetailsScreen, SearchScreen,
                  SearchResults):  # fmt: skip
        for binding in owner.BINDINGS:
            if binding.tooltip:
                assert all((key, binding.tooltip) in listed for key in key_labels(binding)), (owner, binding)
            else:
                unlisted = binding.key in ("2", "3", "4", "5", "home", "end") or binding.action.startswith("app.")
                assert unlisted or binding.action in ("cursor_down", "cursor_up"), (owner, binding)
    anywhere = dict(sections[0].rows())
    assert anywhere["ctrl+s"] == "save the profile" and anywhere["?, f1"].startswith("this help")
    assert anywhere["tab, shift+tab"] == "next / previous pane"  # Textual's own keys, in our words
    assert anywhere["ctrl+q, ctrl+c, q"].startswith("quit")


def test_keys_with_the_same_help_share_a_row() -> None:
    bindings = [
        Binding("j", "down", tooltip="move"),
        Binding("k,up", "up", tooltip="move"),
        Binding("1", "rate(1)", key_display="1-5", tooltip="rate"),
        Binding("2", "rate(2)"),  # no help text: not listed
        Binding("question_mark", "help", tooltip="help"),
    ]
    assert key_rows(bindings) == [("j, k, ↑", "move"), ("1-5", "rate"), ("?", "help")]


def test_describe_failure_names_the_store() -> None:
    refused = RedisUnavailable("Redis at 127.0.0.1:9/0: a ping failed (Connection refused)")
    expected = "Redis is not reachable (Redis at 127.0.0.1:9/0: a ping failed (Connection refused))"
    assert describe_failure(refused) == expected
    assert describe_failure(MilvusUnavailable("x" * 300)) == f"Milvus is not reachable ({'x' * 120})"
    assert describe_failure(ValueError()) == "Recommendations failed"
    assert describe_failure(ValueError("bad\nvalue")) == "Recommendations failed (bad value)"


def test_the_header_names_the_catalogue(recommender) -> None:
    catalogue = recommender.catalogue  # what setup recorded
    assert catalogue is not None
    assert MovieRecApp(recommender).sub_title == catalogue.describe()
    assert Catalogue("MovieLens 32M", 87585, 1874, 2023).describe() == "MovieLens 32M, 87,585 movies, 1874-2023"


def test_input_cursor_does_not_blink_when_asked(recommender) -> None:
    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert all(not i.cursor_blink for i in app.query(Input))

    run(scenario())


# -- snapshots ------------------------------------------------------------------------------------


async def _session(pilot) -> None:
    """Answers and a few ratings, so the cards show reasons and the hint."""
    await settle(pilot)
    for text in ("34", "female", "programmer", "5", "skip", "4", "back", "no horror"):
        await say(pilot, text)
    pilot.app.cards.focus()
    await settle(pilot)


def test_snapshot_main_80x24(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(80, 24), run_before=_session)


def test_snapshot_main_100x30(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(100, 30), run_before=_session)


def test_snapshot_main_120x40(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(120, 40), run_before=_session)


def test_snapshot_first_question_120x40(snap_compare, recommender) -> None:
    assert snap_compare(snapshot_app(recommender), terminal_size=(120, 40), run_before=settle)


def test_snapshot_help(snap_compare, recommender) -> None:
    async def open_help(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")

    assert snap_compare(snapshot_app(recommender), terminal_size=(120, 40), run_before=open_help)


def test_snapshot_details(snap_compare, recommender) -> None:
    async def open_details(pilot) -> None:
        await _session(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_app(recommender), terminal_size=(120, 40), run_before=open_details)


# -- the command without a subcommand -------------------------------------------------------------


def test_cli_opens_the_app_and_sets_up_first_when_needed(isolated_env, monkeypatch) -> None:
    from typer.testing import CliRunner

    from movierec_tui import cli, launch, pipeline, status

    opened: list[MovieRecApp] = []
    monkeypatch.setattr(MovieRecApp, "run", lambda self: opened.append(self))
    monkeypatch.setattr(launch, "has_terminal", lambda: True)  # CliRunner's stdin is not one
    result = CliRunner().invoke(cli.app, ["--profile", "alice"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(opened) == 1 and opened[0].profile_name == "alice"

    setups: list[object] = []
    monkeypatch.setattr(status, "collect_status", lambda settings, backends=None: SimpleNamespace(ready=False))
    monkeypatch.setattr(pipeline, "run_setup", lambda *args, **kwargs: setups.append(args))
    result = CliRunner().invoke(cli.app, [], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Setup has not been done yet" in result.output
    assert len(setups) == 1 and setups[0][2] is None  # source=None: the official download
    assert len(opened) == 2


def test_command_palette_has_the_app_commands(recommender) -> None:
    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Save profile", "Load profile", "Reset profile", "Clear filters", "Toggle theme"} <= titles
            assert "Keys" not in titles  # Textual's key panel: see `palette_commands`
            await pilot.press("ctrl+p")
            await pilot.press(*"toggle theme")
            commands = app.screen.query_one(CommandList)
            await until(pilot, lambda: commands.option_count > 0 and commands.highlighted is not None)
            assert "Toggle theme" in str(commands.get_option_at_index(commands.highlighted).prompt)
            await pilot.press("enter")
            await settle(pilot)
            assert app.theme == "movierec-light"
            await open_theme_picker(app, pilot)  # as a Dialog (a plain CommandPalette broke)
            assert isinstance(app.screen, EarlyClosingPalette) and app.screen._placeholder == "Search for themes…"

    run(scenario())


def test_the_palette_and_the_theme_picker_never_stack_on_each_other(recommender) -> None:
    """ctrl+p over the theme picker, and "Theme" chosen again while a picker is open: neither opens a
    second one. Before, each ctrl+p then "Theme" stacked a palette and a picker more, and every repaint
    draws through the whole stack (a web tab's fuzzer, 2026-12-06: no repaint 30 s after a resize)."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await open_theme_picker(app, pilot)
            for _ in range(3):
                await pilot.press("ctrl+p")
                await settle(pilot)
                (themes,) = [c for c in app.get_system_commands(app.screen) if c.title == "Theme"]
                themes.callback()
                await settle(pilot)
            dialogs = [(type(screen).__name__, screen.id) for screen in app.screen_stack[1:]]
            assert dialogs == [("EarlyClosingPalette", EarlyClosingPalette.THEMES_ID)], dialogs

    run(scenario())


def test_a_dialog_opened_on_too_many_others_closes_at_once_and_says_so(recommender, caplog) -> None:
    """The floor under every path that could stack dialogs without end (each repaint draws through
    them all): the dialog past `MOST_DIALOGS` closes as it opens, with a line in the log that the
    fuzzer fails on; the ones under it stay, and the app goes on."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            with caplog.at_level(logging.WARNING, logger=dialog.__name__):
                for _ in range(MOST_DIALOGS + 2):
                    app.push_screen(HelpScreen(key_sections(type(app))))
                    await pilot.pause()
                await settle(pilot)
            assert len(app.screen_stack) == 1 + MOST_DIALOGS
            logged = [record.getMessage() for record in caplog.records if record.name == dialog.__name__]
            assert len(logged) == 2 and all(f"HelpScreen closed as it opened: 9 {STACKED_TOO_DEEP}" in line
                                            for line in logged), logged  # fmt: skip
            await pilot.press("escape")
            await settle(pilot)
            assert len(app.screen_stack) == MOST_DIALOGS and app.is_running

    run(scenario())


def test_every_theme_the_palette_offers_draws_the_app(recommender) -> None:
    """Textual's ANSI themes, one pick away in the palette's "Theme", name their colours as Rich
    cannot read them ("ansi_default"): choosing one ended the app with StyleSyntaxError (an SSH
    fuzzer, 2026-12-05). Now each theme draws the chat's choices, focused and not, the cards, a
    movie's details and the rows of Find, and the app goes on."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for theme in sorted(app.available_themes):
                app.theme = theme
                app.query_one(QuickReplies).focus()
                await settle(pilot)
                app.cards.focus()
                await pilot.press("enter")  # the highlighted movie's details
                await settle(pilot)
                await pilot.press("escape", "ctrl+f", *"the")  # Find's rows
                await settle(pilot)
                await pilot.press("escape")
                assert not isinstance(app.screen, Dialog), theme
            assert app.is_running

    run(scenario())


@pytest.mark.parametrize("between", ["the help over it", "closed in the same tick"])
def test_a_second_ctrl_p_never_opens_a_second_palette(recommender, between: str) -> None:
    """ctrl+p, F1, ctrl+p (Textual's `is_open` sees only the top screen), or escape then ctrl+p in one
    burst of keys (the closed palette not yet removed): a second palette with the same id ended the
    app with DuplicateIds (200 KB of random bytes on an SSH session found it)."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.action_command_palette()
            await pilot.pause(0.2)
            if between == "the help over it":
                await pilot.press("f1")
                await pilot.pause(0.2)
            else:
                app.screen.dismiss()
            app.action_command_palette()
            await pilot.pause(0.3)
            assert sum(isinstance(screen, CommandPalette) for screen in app.screen_stack) <= 1
        assert app.return_code in (0, None)

    run(scenario())  # a DuplicateIds in the app would be raised here


DIALOGS = ("help", "search", "details", "lists", "import", "name", "profiles", "quit", "palette", "themes")


def every_dialog(app: MovieRecApp) -> dict[str, Dialog]:
    """One of each dialog the app opens (`DIALOGS`), as the app would open it."""
    card = app.cards.recommendations[0].card
    return {
        "help": HelpScreen(key_sections(type(app))),
        "search": SearchScreen(lambda query: app.recommender.titles.search(query, 12), app._found_row),
        "details": DetailsScreen(details_of(app, card), palette(app)),
        "lists": ListsScreen(app.catalog, palette(app), app.profile),
        "import": TextPrompt("Import ratings", ""),
        "name": NamePrompt("Save the profile as"),
        "profiles": ProfilesScreen(["alice", "bob"]),
        "quit": QuitPrompt("alice", "3 ratings", "why", save=lambda name: None, cursor_blink=False),
        "palette": EarlyClosingPalette(id=EarlyClosingPalette.ID),
        "themes": EarlyClosingPalette.of_themes(),
    }


@pytest.mark.parametrize("kind", DIALOGS)
def test_a_dialog_closes_only_from_the_top_of_the_stack(recommender, kind: str) -> None:
    """Random keys over SSH (2026-12-05, in most sessions of a fuzzer and once in CI): a key of a burst
    queued for one dialog reached it after another had opened on top (escape for the palette, after F1
    opened the help over it), or after it had closed (two escapes). Textual's dismiss pops the *top*
    screen: it closed the dialog on top, left this one with its result given, and its next close gave
    it again (InvalidStateError, a traceback on the person's screen), or popped the main screen
    (ScreenStackError). A late close now does nothing, and the dialog's caller hears once."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            main = app.screen
            dialog = every_dialog(app)[kind]
            answers: list[object] = []
            app.push_screen(dialog, answers.append)
            await pilot.pause()
            help_screen = HelpScreen(key_sections(type(app)))
            on_top = help_screen if kind != "help" else SearchScreen(lambda _: [], app._found_row)
            app.push_screen(on_top)
            await pilot.pause()
            dialog.dismiss(None)  # the key of the burst that was queued for the dialog under
            await pilot.pause()
            assert app.screen is on_top and dialog in app.screen_stack and answers == []
            on_top.dismiss(None)
            await pilot.pause()
            assert app.screen is dialog
            dialog.dismiss(None)
            dialog.dismiss(None)  # the next key of the burst, the dialog not removed yet
            await pilot.pause()
            assert app.screen is main and len(app.screen_stack) == 1 and answers == [None]
            await say(pilot, "help")  # and the app goes on
            assert bot_messages(app)[-1].startswith("Here is what I understand:")

    run(scenario())


@pytest.mark.parametrize("closed_by", ["closing it", "the app's exit"])
@pytest.mark.parametrize("kind", DIALOGS)
def test_a_dialog_closed_before_it_was_shown_sets_nothing_up(recommender, kind: str, closed_by: str) -> None:
    """Random bytes over SSH (2026-12-05, a fuzzer): a dialog opened and closed in one burst (ctrl+s,
    escape), or opened as the app exits (ctrl+c right behind), still got its Mount; its set-up looked
    for its input, gone with it, and the session ended in NoMatches on the person's screen."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            main = app.screen
            app.push_screen(every_dialog(app)[kind])
            if closed_by == "the app's exit":
                app.exit()  # before the dialog's Mount is handled
                return  # run_test raises what the app raised on its way out
            app.pop_screen()  # before the dialog's Mount is handled
            await pilot.pause()
            await pilot.pause()
            assert app.screen is main and len(app.screen_stack) == 1
            await say(pilot, "help")  # and the app goes on
            assert bot_messages(app)[-1].startswith("Here is what I understand:")
        if closed_by == "the app's exit":
            assert app.return_code == 0  # an exception in a handler would have made it 1

    run(scenario())


@pytest.mark.parametrize("kind", DIALOGS)
def test_a_dialogs_keys_before_it_is_set_up_do_nothing_but_close_it(recommender, kind: str) -> None:
    """Keys over SSH (2026-12-05, a fuzzer): `/` then down in one burst ran the search's binding
    before its list was there (NoMatches on the person's screen); so did the details', the quit
    question's and the palette's. Keys that come before a dialog is set up now do nothing, except
    its close (`/` then escape leaves no search open); once it is set up its keys work."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            main = app.screen
            dialog = every_dialog(app)[kind]
            app.push_screen(dialog)
            bindings = [b for cls in type(dialog).__mro__ for b in cls.__dict__.get("BINDINGS", [])]
            actions = [b.action if isinstance(b, Binding) else b[1] for b in bindings]
            actions = [action for action in actions if not action.startswith("app.")]  # the dialog's own
            (close,) = {action for action in actions if action in CLOSE_ACTIONS}
            assert len(actions) > 1
            for action in actions:  # what the app does with a key of the burst (App._on_key)
                if action != close:
                    assert await app.run_action(action, dialog) is False
            await settle(pilot)
            assert app.screen is dialog
            await pilot.press("escape")  # set up: its keys work
            await pilot.pause()
            assert app.screen is main
            app.push_screen(every_dialog(app)[kind])
            assert await app.run_action(close, app.screen) is True
            await settle(pilot)
            assert app.screen is main and len(app.screen_stack) == 1

    run(scenario())


@pytest.mark.parametrize(("opener", "dialog_class", "field"), [("slash", SearchScreen, "#search-input"),
                                                          ("ctrl+p", EarlyClosingPalette, "CommandInput")])  # fmt: skip
def test_what_is_typed_right_behind_the_key_that_opens_a_dialog_goes_into_its_input(
    recommender, opener: str, dialog_class: type, field: str
) -> None:
    """`/heat` in one burst (a fast typist over SSH, or tmux send-keys) opened the search with its
    input empty: the letters had gone to the cards, focused then, and reached the app after the
    search opened, where its bindings found nothing for them. They are typed into it now."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.cards.focus()
            await pilot.pause()
            for key in [opener, *"heat"]:  # one burst: all read before the app handles the first
                app.post_message(events.Key(key, key if len(key) == 1 else None))
            await settle(pilot)
            assert isinstance(app.screen, dialog_class)
            assert app.screen.query_one(field, Input).value == "heat"
            await pilot.press("x")  # and keys typed once it is open go where they always went
            assert app.screen.query_one(field, Input).value == "heatx"

    run(scenario())


@pytest.mark.parametrize("kind", DIALOGS)
def test_a_click_read_before_the_window_shrank_does_nothing(recommender, kind: str) -> None:
    """Mouse clicks and window changes over SSH (2026-12-05, a fuzzer): a click on the palette's
    background, read while the window was 120x40, reached the palette after it shrank to 57x25;
    Textual's palette looked up the widget under the click, found no such cell and raised NoWidget
    (a traceback on the person's screen). A click on a cell the screen no longer has does nothing."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            dialog = every_dialog(app)[kind]
            app.push_screen(dialog)
            await settle(pilot)
            await pilot.resize_terminal(57, 25)
            await settle(pilot)
            x, y = SIZE[0] - 1, SIZE[1] - 1  # the bottom right cell of the window it had
            dialog.post_message(events.Click(dialog, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y))
            await settle(pilot)
            assert app.screen is dialog
            if isinstance(dialog, EarlyClosingPalette):  # a click on its background still closes it
                await pilot.click(offset=(0, 24))
            else:
                await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(app.screen, Dialog)

    run(scenario())


OPTION_LISTS = {"cards": (None, CardList), "ratings": (None, RatingsList), "search": ("search", SearchResults),
                "lists": ("lists", OptionList), "palette": ("palette", CommandList)}  # fmt: skip


async def shown_with_options(app: MovieRecApp, pilot, kind: str) -> OptionList:
    """The option list of `kind` shown with options: a movie on the watchlist and a rating first, so
    the lists and ratings have one each; the search and the palette show what "the" finds."""
    app.cards.focus()
    for key in ("w", "4"):
        await pilot.press(key)
        await settle(pilot)
    dialog_kind, list_class = OPTION_LISTS[kind]
    screen = app.screen
    if dialog_kind is not None:
        screen = every_dialog(app)[dialog_kind]
        app.push_screen(screen)
        await pilot.press(*("the" if dialog_kind in ("search", "palette") else ""))
        await settle(pilot)
    (options,) = [w for w in screen.query(list_class) if w.option_count]
    return options


@pytest.mark.parametrize("kind", OPTION_LISTS)
def test_a_click_on_an_option_the_list_no_longer_has_does_nothing(recommender, kind: str) -> None:
    """Keys, clicks and window changes over SSH (2026-12-05, a fuzzer, 2 of 16 asyncssh sessions): a
    click on the palette's list, drawn with more commands than the search had left in it, made
    Textual look up an option it no longer had (IndexError, a traceback on the person's screen). Any
    list whose options change while it is shown now ignores such a click, and still takes a click on
    an option it has."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = await shown_with_options(app, pilot, kind)
            screen = app.screen

            def click(option: int) -> events.Click:  # on the list's first line, as drawn with `option` there
                x, y = options.content_region.offset
                event = events.Click(options, 1, 0, 0, 0, 1, False, False, False, screen_x=x + 1, screen_y=y,
                                     style=Style(meta={"option": option}))  # fmt: skip
                event._set_forwarded()  # as the app's own are: else, bubbled up to it, it is sent on again
                return event

            options.post_message(click(options.option_count + 5))
            await settle(pilot)
            assert app.screen is screen and options.is_attached
            enabled = next(i for i in range(options.option_count) if not options.get_option_at_index(i).disabled)
            options.post_message(click(enabled))
            await settle(pilot)
            assert options.highlighted == enabled or not options.is_attached  # selected; a palette then runs it

    run(scenario())


@pytest.mark.parametrize("kind", ["search", "lists", "palette"])  # the cards keep a line at 12x4
def test_a_page_key_on_a_list_with_no_room_to_show_its_options_does_nothing(recommender, kind: str) -> None:
    """Page up and down look up where the highlighted option is drawn, which a list knows only once
    it has laid its options out with room for them. In a 12x4 window (and over SSH, the fuzzer of
    2026-12-05, on the palette's list) Textual raised KeyError and the app ended. Now the key does
    nothing until there is a page to move by; back at full size, it moves."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = await shown_with_options(app, pilot, kind)
            await pilot.resize_terminal(12, 4)
            await settle(pilot)
            assert not options.scrollable_content_region  # no room: the case itself
            options.action_page_down()
            options.action_page_up()
            await pilot.press("pagedown")
            await settle(pilot)
            await pilot.resize_terminal(*SIZE)
            await settle(pilot)
            options.highlighted = 0
            options.action_page_down()
            assert options.highlighted != 0 or options.option_count == 1

    run(scenario())


NARROW_LISTS = [*OPTION_LISTS, "themes", "no match"]


async def shown_in_narrow_test(app: MovieRecApp, pilot, kind: str) -> OptionList:
    """The list of `kind` shown with options ("no match": the cards saying no movie passes a filter)."""
    if kind == "themes":
        return await open_theme_picker(app, pilot)
    if kind == "no match":
        await say(pilot, "only westerns after 2008")
        assert not app.cards.recommendations and app.cards.option_count == 1  # the case itself
        return app.cards
    return await shown_with_options(app, pilot, kind)


@pytest.mark.parametrize("kind", NARROW_LISTS)
def test_a_list_too_narrow_for_any_text_waits_for_room(recommender, kind: str) -> None:
    """An option's text is wrapped to the list's width less its padding, and Rich cannot wrap to no
    width (ValueError: the app ended): the palette's and the themes' lists in a 4- or 6-column
    terminal, "No movie matches these filters" in a 2- or 3-column one. Now a list with no room for
    text draws blank lines, and lays its options out again once it has room."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            options = await shown_in_narrow_test(app, pilot, kind)
            for height in (24, 8):
                for width in range(8, 0, -1):
                    await pilot.resize_terminal(width, height)
                    await settle(pilot)
            await pilot.resize_terminal(*SIZE)
            await settle(pilot)
            assert options.option_count and options._lines  # laid out again, with room

    run(scenario())


def test_a_palette_closed_while_its_search_runs_shows_nothing_more(recommender) -> None:
    """The same fuzzer: a palette's search (or its busy timer) that outlived the palette set the flags
    that show its list and busy line after its widgets had gone, and Textual's watchers looked for
    them (NoMatches, a traceback on the person's screen). A closed palette no longer shows anything.
    The search also refills the list it holds, removed: the first version of the list's guard against
    laying text out with no room then looked up the list's styles, which Textual drops on removal
    (KeyError; the SSH fuzzer found it, seeds 3400 and 3402)."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            palette = EarlyClosingPalette(id=EarlyClosingPalette.ID)
            app.push_screen(palette)
            await settle(pilot)
            choices = palette.query_one(CommandList)
            await pilot.press("escape")
            await settle(pilot)
            assert not palette.query(CommandList)  # closed, its widgets removed
            palette._list_visible = not palette._list_visible  # what the outliving search did
            palette._show_busy = not palette._show_busy
            palette._refresh_command_list(choices, [], clear_current=True)
            await settle(pilot)
            assert not isinstance(app.screen, Dialog)

    run(scenario())


@pytest.mark.timeout(120)  # a toast with a negative wait never lets the app settle: a regression hangs, not passes
def test_a_toast_made_as_its_notification_runs_out_does_not_freeze_the_app(recommender) -> None:
    """Textual's toast waits its notification's time left, read when the toast is made (toasts are
    made again on every screen change). Made just after the notification ran out, the wait was
    negative and Textual's timer looped without end inside one turn of the event loop: the app froze
    (the SSH fuzzer, seed 3403, 2026-12-05). The app's notifications give such a toast a short wait:
    it goes, and the app goes on."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.notify("made by the app")
            await settle(pilot)
            (notification,) = app._notifications
            notification.raised_at -= notification.timeout + 0.001  # it ran out a moment ago
            assert notification.has_expired
            toast = Toast(notification)  # as Textual's toast rack makes it after its check, late
            assert toast._timeout > 0
            await app.screen.mount(toast)
            await settle(pilot)
            await until(pilot, lambda: not toast.is_attached)

    run(scenario())


TERMINAL_CHARACTERS = {"backspace": "\x7f", "enter": "\r", "tab": "\t", "slash": "/"}  # as Textual reads them


def typed_in_one_burst(app: MovieRecApp, keys: str) -> None:
    """`keys` (space-separated key names) posted to the app at once, as its driver does with the keys
    of one read from the terminal (a burst over SSH or the web); Pilot waits after each key."""
    for key in keys.split():
        app.post_message(events.Key(key, key if len(key) == 1 else TERMINAL_CHARACTERS.get(key)))


@pytest.mark.parametrize("dialog", ["chat", "find", "palette"])
def test_keys_typed_in_one_burst_take_effect_in_typing_order(recommender, dialog: str) -> None:
    """Textual's input inserts a character at once but runs a binding (backspace, the arrows) only
    after the key has bubbled up to the app: in a burst, "xyz", backspace, enter sent "xyz", and the
    backspace then deleted a letter typed after it (a served tab, 2026-12-05). Every key of the
    app's text inputs now takes effect in the order typed (`widgets/text_input.py`)."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            if dialog == "chat":
                await say(pilot, "back")
                typed_in_one_burst(app, "x y z backspace enter l o left left a")
                await settle(pilot)
                assert (app.chat_input.history[-1], app.chat_input.value) == ("xy", "alo")
                return
            await pilot.press("ctrl+f" if dialog == "find" else "ctrl+p")
            await settle(pilot)
            assert isinstance(app.screen, Dialog)
            field = app.screen.query_one(Input)
            await until(pilot, lambda: field.has_focus)
            typed_in_one_burst(app, "t x e left backspace h right")
            await settle(pilot)
            assert field.value == "the"
            results = app.screen.query_one(SearchResults if dialog == "find" else CommandList)
            await until(pilot, lambda: results.option_count > 1, timeout=20)
            first = results.highlighted
            await pilot.press("down")  # the dialog's key: the input's own (a scroll) does not apply to one line
            await settle(pilot)
            assert field.has_focus and results.highlighted != first

    run(scenario())


def test_quick_replies_of_an_earlier_message_go_once_the_person_moves_on(recommender) -> None:
    """"Did you mean" chips stay while they are the answer to the last message, not after it."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")  # no questions: nothing asked from here on
            await say(pilot, "Scrm 5")
            offered = [c.label for c in app.quick_replies.choices]
            assert app.quick_replies.display and any("Scream" in label for label in offered), offered
            await say(pilot, "Unforgiven 4")
            assert app.profile.ratings and not app.quick_replies.choices and not app.quick_replies.display

    asyncio.run(scenario())


def test_suggested_chips_go_on_the_next_message_also_while_a_question_is_open(recommender) -> None:
    """ "Do you want a filter for comedy?" offers "only comedy": picked (or anything else said), those
    chips go, though "How did you like X?" is still open; they stayed, offering the filter just set."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            await say(pilot, app.refresher.results[0].card.title)
            assert asked(app) == "movie" and app.quick_replies.choices
            await say(pilot, "a comedy")
            assert [c.value for c in app.quick_replies.choices] == ["only comedy", "no comedy", "help"]
            await say(pilot, "only comedy")
            assert list(app.profile.genres_in) == ["Comedy"] and asked(app) == "movie"
            assert not app.quick_replies.choices and not app.quick_replies.display

    run(scenario())


def test_the_chat_says_what_it_did_asks_before_a_guess_and_undo_says_what_it_took_back(recommender) -> None:
    """Issue 16: "I'm -5" once rated a movie silently, and undo only said "Undone."."""

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            alien = recommender.titles.resolve("Alien")
            shining = recommender.titles.resolve("Shining, The")
            await say(pilot, "Alien 4.5")
            assert app.profile.ratings == {alien.movie_id: 4.5}
            assert bot_messages(app)[-1] == "✓ Rated Alien (1979) 4.5★ — undo with ctrl+z"
            await say(pilot, "I'm -5")
            assert app.profile.ratings == {alien.movie_id: 4.5} and app.profile.age is None
            await say(pilot, "loved shin")  # the start of one title: asked about, not rated
            assert bot_messages(app)[-1] == "Did you mean The Shining (1980)? yes / no"
            assert shining.movie_id not in app.profile.ratings and asked(app) == "confirm"
            assert [c.value for c in app.quick_replies.choices] == ["yes", "no"]
            await say(pilot, "yes")
            assert app.profile.ratings[shining.movie_id] == 5
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert shining.movie_id not in app.profile.ratings
            assert bot_messages(app)[-1] == "↶ Undone: The Shining (1980) 5★."

    run(scenario())


def test_quick_replies_go_once_their_question_is_answered_by_any_means(recommender) -> None:
    """Rating chips for "How did you like X?" go when X is rated with a key on its card, or in the
    profile panel, not only by typing: a click on them later would rate X again."""

    async def scenario() -> None:
        app = snapshot_app(recommender)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            first = app.refresher.results[0].card
            await say(pilot, first.title)
            assert asked(app) == "movie" and app.quick_replies.choices
            await say(pilot, "why Alien?")  # the question is still open: its chips stay
            assert app.quick_replies.choices
            app.cards.focus()
            await pilot.press("home", "4")
            await settle(pilot)
            assert app.profile.ratings[first.movie_id] == 4
            assert asked(app) is None and not app.quick_replies.choices and not app.quick_replies.display
            await say(pilot, first.title)  # "You rated it ★★★★☆. Change it?"
            assert asked(app) == "movie" and app.quick_replies.choices
            app.query_one(RatingsList).focus()
            await pilot.press("home", "5")  # the latest rating first
            await settle(pilot)
            assert app.profile.ratings[first.movie_id] == 5
            assert asked(app) is None and not app.quick_replies.choices

    asyncio.run(scenario())
