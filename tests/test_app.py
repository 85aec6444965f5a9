"""The Textual app: whole sessions with Pilot on the real stack (synthetic data), and snapshots.

Behaviour tests use the `ready` home (real Redis, Milvus Lite and the Paddle model trained on the
synthetic dataset) and drive the app only with keys and typed text. Snapshot tests use a small
in-memory catalogue behind the real `Recommender` code (fake stores and encoder, below), so the
pictures depend on the app's look only, not on model training or store versions.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest
from layout_passes import count_layout_passes
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import Input

from movierec_tui.app import MovieRecApp
from movierec_tui.app.commands import key_sections
from movierec_tui.app.refresh import describe_failure
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.engine import ModelScore, Recommendation, Recommender, Timings
from movierec_tui.profile import Profile
from movierec_tui.stores.cards import MovieCard
from movierec_tui.stores.errors import MilvusUnavailable, RedisUnavailable
from movierec_tui.titles import TitleEntry, TitleIndex, display_title
from movierec_tui.widgets.cards import CardList
from movierec_tui.widgets.chat_pane import MAX_MESSAGES, ChatInput, ChatLog, QuickReplies
from movierec_tui.widgets.keys import key_labels, key_rows
from movierec_tui.widgets.profile_panel import RatingsList
from movierec_tui.widgets.screens import DetailsScreen, HelpScreen, SearchResults, SearchScreen

SIZE = (120, 40)

# -- a small deterministic catalogue for snapshots ------------------------------------------------

FAKE_MOVIES = [
    # (title, year, genres, cluster)
    ("Star Wars: Episode IV - A New Hope", 1977, ("Action", "Adventure", "Sci-Fi"), 0),
    ("Alien", 1979, ("Horror", "Sci-Fi"), 0),
    ("Matrix, The", 1999, ("Action", "Sci-Fi", "Thriller"), 0),
    ("Blade Runner", 1982, ("Film-Noir", "Sci-Fi"), 0),
    ("Aliens", 1986, ("Action", "Sci-Fi", "Thriller"), 0),
    ("Terminator, The", 1984, ("Action", "Sci-Fi", "Thriller"), 0),
    ("Brazil", 1985, ("Sci-Fi",), 0),
    ("2001: A Space Odyssey", 1968, ("Drama", "Mystery", "Sci-Fi"), 0),
    ("Toy Story", 1995, ("Animation", "Children's", "Comedy"), 1),
    ("When Harry Met Sally...", 1989, ("Comedy", "Romance"), 1),
    ("Groundhog Day", 1993, ("Comedy", "Romance"), 1),
    ("Annie Hall", 1977, ("Comedy", "Romance"), 1),
    ("Some Like It Hot", 1959, ("Comedy", "Crime"), 1),
    ("Apartment, The", 1960, ("Comedy", "Drama"), 1),
    ("Clueless", 1995, ("Comedy", "Romance"), 1),
    ("Notting Hill", 1999, ("Comedy", "Romance"), 1),
    ("Scream", 1996, ("Horror", "Thriller"), 2),
    ("Shining, The", 1980, ("Horror",), 2),
    ("Exorcist, The", 1973, ("Horror",), 2),
    ("Halloween", 1978, ("Horror",), 2),
    ("Psycho", 1960, ("Horror", "Thriller"), 2),
    ("Jaws", 1975, ("Action", "Horror"), 2),
    ("Thing, The", 1982, ("Action", "Horror", "Sci-Fi"), 2),
    ("Carrie", 1976, ("Horror",), 2),
    ("Unforgiven", 1992, ("Western",), 3),
    ("Searchers, The", 1956, ("Western",), 3),
    ("High Noon", 1952, ("Western",), 3),
    ("Butch Cassidy and the Sundance Kid", 1969, ("Action", "Comedy", "Western"), 3),
    ("Dances with Wolves", 1990, ("Adventure", "Drama", "Western"), 3),
    ("Tombstone", 1993, ("Western",), 3),
    ("Rio Bravo", 1959, ("Action", "Western"), 3),
    ("Heat", 1995, ("Action", "Crime", "Thriller"), 3),
]


def fake_cards() -> list[MovieCard]:
    rng = np.random.default_rng(3)
    cards = []
    for i, (title, year, genres, _) in enumerate(FAKE_MOVIES):
        count = int(3000 / (1 + i % 8) + 40 * i)
        weights = np.array([1, 2, 5, 9, 8 - (i % 5)], dtype=float) + rng.random(5)
        histogram = tuple(int(x) for x in np.round(weights / weights.sum() * count))
        total = sum(histogram)
        mean = sum((k + 1) * n for k, n in enumerate(histogram)) / total
        cards.append(MovieCard(2 * i + 1, title, year, genres, round(mean, 4), total, histogram))  # type: ignore[arg-type]
    return cards


@dataclass
class FakeTable:
    """What the app reads of `Recommender.movies`: ids, vectors and `index_of`."""

    movie_ids: np.ndarray
    vectors: np.ndarray

    def index_of(self, movie_ids: np.ndarray) -> np.ndarray:
        positions = np.clip(np.searchsorted(self.movie_ids, movie_ids), 0, len(self.movie_ids) - 1)
        return np.where(self.movie_ids[positions] == movie_ids, positions, -1)


class FakeEncoder:
    """Ratings pull the user vector towards liked movies and away from disliked ones."""

    def __init__(self, table: FakeTable) -> None:
        self.table = table

    def encode(self, gender, age, occupation, ratings):
        vector = np.full(self.table.vectors.shape[1], 0.05, dtype=np.float32)
        vector[0] += 0.2 if gender == "M" else 0.0
        vector[1] += 0.2 if gender == "F" else 0.0
        vector[2] += 0.01 * (age or 25) / 10 + 0.01 * (occupation or 0)
        for movie_id, rating in ratings.items():
            row = int(self.table.index_of(np.array([movie_id]))[0])
            if row >= 0:
                vector += (rating - 2.8) * self.table.vectors[row]
        return vector / (np.linalg.norm(vector) + 1e-9), 0.1


class FakeProfiles:
    def __init__(self) -> None:
        self.saved: dict[str, Profile] = {}

    def save(self, name, profile):
        self.saved[name] = profile

    def load(self, name):
        return self.saved.get(name)

    def names(self):
        return sorted(self.saved)


class FakeRecommender:
    """The part of `Recommender` the app uses, over a fixed in-memory catalogue: brute-force cosine
    search with the same filters, reasons like the engine's. Independent of the model and the stores,
    so snapshots change only when the app's look does."""

    def __init__(self) -> None:
        cards = fake_cards()
        rng = np.random.default_rng(11)
        centres = rng.normal(size=(4, 16))
        vectors = np.stack([centres[c] + 0.45 * rng.normal(size=16) for *_, c in FAKE_MOVIES]).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        self.by_id = {c.movie_id: c for c in cards}
        self.movies = FakeTable(np.array(sorted(self.by_id), dtype=np.int64), vectors)
        self.encoder = FakeEncoder(self.movies)
        self.profiles = FakeProfiles()
        self.titles = TitleIndex(TitleEntry(c.movie_id, c.title, c.year, c.rating_count) for c in cards)
        self.last_timings = Timings()
        self.down = False
        self.cards_down = None  # the real engine's "Redis is down, cards from memory"
        self.catalogue = None  # what setup recorded; None keeps the snapshots' header as it was

    def cards(self, ids):
        return {i: self.by_id[i] for i in ids if i in self.by_id}

    def catalogue_cards(self):
        return dict(self.by_id)

    def more_like(self, movie_id, profile, k=10):
        query = Profile(ratings={movie_id: 5}, genres_in=profile.genres_in, genres_out=profile.genres_out,
                        year_min=profile.year_min, year_max=profile.year_max,
                        dismissed=sorted({*profile.dismissed, *profile.ratings}))  # fmt: skip
        return self.recommend(query, k)

    def score_of(self, profile, movie_id):
        vector, _ = self.encoder.encode(profile.gender, profile.age, profile.occupation, profile.ratings)
        scores = self.movies.vectors @ vector
        row = int(self.movies.index_of(np.array([movie_id]))[0])
        return ModelScore(float(scores[row]), int((scores > scores[row]).sum()) + 1, len(scores), None)

    def similar_to(self, movie_id, n=8):
        row = int(self.movies.index_of(np.array([movie_id]))[0])
        sims = self.movies.vectors @ self.movies.vectors[row]
        sims[row] = -np.inf
        return [(self.by_id[int(self.movies.movie_ids[i])], float(sims[i])) for i in np.argsort(-sims)[:n]]

    def seed_movies(self, n=8, exclude=frozenset(), profile=None):
        """A fixed spread of the catalogue; with a profile (the app steering its questions), the same
        order minus what was asked, rated or dismissed."""
        ranked = sorted(self.by_id.values(), key=lambda c: -c.rating_count)
        picks = [c for c in ranked if profile is not None or c.movie_id not in exclude]
        chosen = [picks[i] for i in (0, 8, 16, 24, 1, 9, 17, 25) if i < len(picks)]
        if profile is not None:
            known = {*exclude, *profile.ratings, *profile.dismissed}
            chosen = [c for c in chosen if c.movie_id not in known]
        return chosen[:n]

    def recommend(self, profile: Profile, k: int = 10) -> list[Recommendation]:
        if self.down:
            raise MilvusUnavailable("fake Milvus is down")
        vector, _ = self.encoder.encode(profile.gender, profile.age, profile.occupation, profile.ratings)
        scores = self.movies.vectors @ vector
        liked = [m for m, r in profile.ratings.items() if r >= 4]
        results = []
        for row in np.argsort(-scores):
            card = self.by_id[int(self.movies.movie_ids[row])]
            if card.movie_id in profile.ratings or card.movie_id in profile.dismissed:
                continue
            if profile.genres_in and not set(card.genres) & set(profile.genres_in):
                continue
            if set(card.genres) & set(profile.genres_out):
                continue
            if (profile.year_min or 0) > card.year or (profile.year_max or 9999) < card.year:
                continue
            because = (
                max(
                    liked,
                    key=lambda m: float(
                        self.movies.vectors[self.movies.index_of(np.array([m]))[0]] @ self.movies.vectors[row]
                    ),
                )
                if liked
                else None
            )
            reason = (
                f"because you liked {display_title(self.by_id[because].title)} ({self.by_id[because].year})"
                if because
                else "popular with everyone"
            )
            score = float(scores[row])
            results.append(Recommendation(card, score, float(np.clip(3.3 + 1.2 * score, 1, 5)), reason, because))
            if len(results) == k:
                break
        self.last_timings = Timings(total=1.0)
        return results


def snapshot_app(**kwargs) -> MovieRecApp:
    return MovieRecApp(FakeRecommender(), cursor_blink=False, show_timings=False, **kwargs)


# -- helpers --------------------------------------------------------------------------------------


async def settle(pilot) -> None:
    """Wait until every worker finished and the screen caught up (refreshes included)."""
    app = pilot.app
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.settled:
            break
        await asyncio.sleep(0.02)
    await pilot.pause()


def asked(app: MovieRecApp) -> str | None:
    question = app.conversation.question
    return question.kind if question is not None else None


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


def card_ids(app: MovieRecApp) -> list[int]:
    return [r.card.movie_id for r in app.cards.recommendations]


def messages(app: MovieRecApp, role: str) -> list[str]:
    return [m.text.plain for m in app.chat_log.messages if m.role == role]


def bot_messages(app: MovieRecApp) -> list[str]:
    return messages(app, "bot")


def shown(log: ChatLog) -> list[str]:
    """The chat log's lines as they are on screen."""
    return [log.render_line(y).text for y in range(log.scrollable_content_region.height)]


def run(coro) -> None:
    asyncio.run(coro)


# -- behaviour on the real stack ------------------------------------------------------------------


@pytest.fixture()
def recommender(ready, backends):
    return Recommender(ready, backends)


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
            assert app.more_like is None

            # why: one in the list, and one that is not
            top = app.refresher.results[0].card
            await say(pilot, f"why {top.title}?")
            assert "#1 in your picks" in bot_messages(app)[-1]
            await say(pilot, "why Unforgiven?")
            assert "not in your top 20" in bot_messages(app)[-1]

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
            assert app.conversation.question.movie.movie_id == steered
            await say(pilot, "skip")
            after_skip = app.conversation.question.movie.movie_id
            assert after_skip not in (first, steered)
            assert after_skip == recommender.seed_movies(1, exclude={first, steered}, profile=app.profile)[0].movie_id

    run(scenario())


def test_profile_flag_loads_and_bad_records_start_fresh(recommender) -> None:
    store = recommender.backends.cards
    store.save_profile("bob", Profile(gender="F", age=35, occupation=2, ratings={1: 5}).to_json())
    store.save_profile("broken", '{"gender": "[b]x[/i]"}')  # invalid, and markup if it were read as such

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


def test_store_outage_shows_a_banner_and_recovers() -> None:
    fake = FakeRecommender()

    async def scenario() -> None:
        app = MovieRecApp(fake, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = card_ids(app)
            fake.down = True
            app.chat_input.value = "loved alien"
            await pilot.press("enter")
            banner = app.query_one("#banner")
            await until(pilot, lambda: banner.display)
            assert banner.display and "not reachable" in str(banner.render())
            assert card_ids(app) == before  # the last cards stay
            assert app.profile.ratings  # the profile is kept in memory
            fake.down = False
            app.refresher.retry_timer.stop()
            app.refresher.retry()  # what the retry timer does
            await settle(pilot)
            assert not banner.display and card_ids(app) != before

    run(scenario())


def test_hostile_input_is_shown_verbatim_and_never_crashes() -> None:
    async def scenario() -> None:
        app = MovieRecApp(FakeRecommender(), cursor_blink=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            for text in ("[bold]x[/]", "[red", "\x1b[2J\x00\x07boom", "🙂" * 300, "x" * 100_000, "Heat 9"):
                await say(pilot, text)
            users = messages(app, "user")
            assert "[bold]x[/]" in users and "[red" in users
            assert all("\x1b" not in u and "\x00" not in u for u in users)
            assert app.is_running

    run(scenario())


def test_pasted_lines_are_separate_messages_and_enter_never_merges_type_ahead() -> None:
    async def scenario() -> None:
        app = MovieRecApp(FakeRecommender(), cursor_blink=False)
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


def test_typing_costs_no_layout_pass_and_long_text_scrolls_into_view() -> None:
    async def scenario() -> None:
        app = MovieRecApp(FakeRecommender(), cursor_blink=False)
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


def test_the_chat_log_mounts_nothing_per_message_and_keeps_its_place() -> None:
    """Messages are drawn by one widget: a long chat adds no widget and no layout pass. The log keeps
    the last MAX_MESSAGES, follows new ones, and stays on the lines being read when scrolled up."""

    async def scenario() -> None:
        app = snapshot_app()
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


def test_the_chat_log_wraps_to_its_width_and_shows_typed_text_as_typed() -> None:
    words = " ".join(f"word{n}" for n in range(20))

    async def scenario() -> None:
        app = snapshot_app()
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


def test_unchanged_chips_and_a_full_ratings_list_cost_no_layout_pass() -> None:
    """A layout pass only when a widget's size changes: the same quick replies again, or one more
    rating in a ratings list already at its max-height, take none; a list that grows takes one."""

    async def scenario() -> None:
        app = snapshot_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            ratings = app.query_one(RatingsList)
            names = {card.movie_id: card.title for card in fake_cards()}
            ids = list(names)
            passes = count_layout_passes(app)
            ratings.show({m: 4 for m in ids[:3]}, names)
            await until(pilot, lambda: passes)  # a loaded machine may run it a frame later
            await pilot.pause()
            assert len(passes) == 1  # it grew
            ratings.show({m: 4 for m in ids[:20]}, names)
            await until(pilot, lambda: ratings.outer_size.height == 14)  # grown to its max-height
            await pilot.pause()
            passes.clear()
            ratings.show({m: 4 for m in ids[:21]}, names)
            app.quick_replies.set_choices(list(app.quick_replies.choices))
            await pilot.pause()
            assert not passes and ratings.outer_size.height == 14 and ratings.show_vertical_scrollbar
            assert ratings.vertical_scrollbar.window_virtual_size == ratings.virtual_size.height >= 21

    run(scenario())


def test_typing_is_not_blocked_by_a_slow_search() -> None:
    """While a search hangs, messages are still echoed and typed, and the ratings made meanwhile are
    folded into one trailing refresh."""
    fake = FakeRecommender()
    recommend = fake.recommend
    gate = threading.Event()
    gate.set()

    def slow(*args, **kwargs):
        gate.wait(timeout=10)
        return recommend(*args, **kwargs)

    fake.recommend = slow

    async def scenario() -> None:
        app = MovieRecApp(fake, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            before = app.refresher.generation
            gate.clear()
            app.chat_input.focus()
            for text in ("loved alien", "hated scream", "loved heat"):
                app.chat_input.value = text
                await pilot.press("enter")
            await pilot.press(*"hello")
            assert app.chat_input.value == "hello"
            assert len(messages(app, "user")) == 3 and len(app.profile.ratings) == 3
            assert app.refresher.in_flight and app.refresher.generation == before + 1  # one search runs, the rest wait
            gate.set()
            await settle(pilot)
            assert app.refresher.generation == before + 2  # one trailing refresh for the two later ratings
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


def test_the_header_names_the_catalogue() -> None:
    recommender = FakeRecommender()
    recommender.catalogue = Catalogue("MovieLens 32M", 87585, 1874, 2023)
    app = MovieRecApp(recommender, cursor_blink=False, show_timings=False)
    assert app.sub_title == "MovieLens 32M, 87,585 movies, 1874-2023"
    assert snapshot_app().sub_title == MovieRecApp.SUB_TITLE  # a home set up before it was recorded


def test_input_cursor_does_not_blink_when_asked() -> None:
    async def scenario() -> None:
        app = snapshot_app()
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


def test_snapshot_main_80x24(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=_session)


def test_snapshot_main_120x40(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=_session)


def test_snapshot_first_question_120x40(snap_compare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=settle)


def test_snapshot_help(snap_compare) -> None:
    async def open_help(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=open_help)


def test_snapshot_details(snap_compare) -> None:
    async def open_details(pilot) -> None:
        await _session(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=open_details)


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
    monkeypatch.setattr(status, "collect_status", lambda settings, backends=None: {"ready": False})
    monkeypatch.setattr(pipeline, "run_setup", lambda *args, **kwargs: setups.append(args))
    result = CliRunner().invoke(cli.app, [], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Setup has not been done yet" in result.output
    assert len(setups) == 1 and setups[0][2] is None  # source=None: the official download
    assert len(opened) == 2


def test_command_palette_has_the_app_commands() -> None:
    async def scenario() -> None:
        app = snapshot_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            titles = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Save profile", "Load profile", "Reset profile", "Clear filters", "Toggle theme"} <= titles
            await pilot.press("ctrl+p")
            await pilot.press(*"toggle theme")
            from textual.command import CommandList

            commands = app.screen.query_one(CommandList)
            await until(pilot, lambda: commands.option_count > 0 and commands.highlighted is not None)
            assert "Toggle theme" in str(commands.get_option_at_index(commands.highlighted).prompt)
            await pilot.press("enter")
            await settle(pilot)
            assert app.theme == "movierec-light"

    run(scenario())


def test_quick_replies_of_an_earlier_message_go_once_the_person_moves_on() -> None:
    """"Did you mean" chips stay while they are the answer to the last message, not after it."""

    async def scenario() -> None:
        app = snapshot_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")  # no questions: nothing asked from here on
            await say(pilot, "Heet 5")
            offered = [c.label for c in app.quick_replies.choices]
            assert app.quick_replies.display and any("Heat" in label for label in offered), offered
            await say(pilot, "Jaws 4")
            assert app.profile.ratings and not app.quick_replies.choices and not app.quick_replies.display

    asyncio.run(scenario())
