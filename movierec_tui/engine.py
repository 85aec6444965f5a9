"""The Recommender facade: Profile -> user vector -> Milvus search -> cards + reasons.

Milvus returns the k movies that pass the profile's filters with the best model score (cosine /
temperature + the movie's popularity logit, one inner product: `MovieTable.query`), in order;
nothing is re-ranked afterwards, so the served ranking is the model's, and a request's work is one
forward pass and one search.

Everything above this layer (CLI, TUI, servers) talks to this class only; it owns the model, the
stores and the title index so that those never leak into UI code. What the UI needs of the model
(`more_like`, `score_of`, `similar_to`) and of Redis (`profiles`, `catalogue_cards`, `cards`) is asked
of it, and a store that is down surfaces as one exception type, :data:`StoreUnavailable`, that names
the store: callers never need to know the Redis or Milvus client libraries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from movierec_tui.batch_search import search_grouped
from movierec_tui.catalogue import LIKED_THRESHOLD
from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.model.artifacts import MovieTable
from movierec_tui.model.encoder import ModelMissing, UserEncoder, UserEncoding
from movierec_tui.model.likeness import LIKENESS_CANDIDATES
from movierec_tui.onboarding import ADAPTIVE_POOL
from movierec_tui.profile import Profile
from movierec_tui.saved_profiles import (  # re-exported: the layers above import them from the engine
    KEPT_ON_DISK as KEPT_ON_DISK,
)
from movierec_tui.saved_profiles import SAVED_IN_REDIS as SAVED_IN_REDIS
from movierec_tui.saved_profiles import SavedProfiles
from movierec_tui.saved_profiles import UnreadableProfile as UnreadableProfile
from movierec_tui.stores.backends import Backends, open_backends, open_redis_for
from movierec_tui.stores.cards import UNAVAILABLE, CardStore, MovieCard
from movierec_tui.stores.errors import StoreError
from movierec_tui.stores.journal import ProfileJournal
from movierec_tui.stores.milvus_store import SearchFilter
from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.wording import demographic_reason, plural, title_with_year

# What a store that is down raises, named for the layers above (which do not import stores/): the
# stores' StoreError. Every pymilvus and redis-py failure leaves stores/ as one of its subclasses,
# MilvusUnavailable or RedisUnavailable, whose `store` says which ("milvus" or "redis") and whose
# message is one line for a person.
StoreUnavailable = StoreError

log = logging.getLogger(__name__)


# "more like X" orders movies by their similarity to X (model/likeness.py) as the details pane shows
# it, to two decimals; the profile orders only movies whose similarity is equal at that precision.
SIMILARITY_DECIMALS = 2
# "Hidden gems": the profile's own recommendations with the mainstream dial (Profile.novelty) turned
# this far towards the less known; its own search, so it ranks what the dial ranks.
HIDDEN_GEMS_NOVELTY = 0.8


def search_filter_for(profile: Profile, also_exclude: set[int] | frozenset[int] = frozenset()) -> SearchFilter:
    """What Milvus must leave out for this profile, inside the search so that a page still has k cards:
    its filters, and what it rated, dismissed or listed (watchlist, seen)."""
    return SearchFilter(
        exclude_ids=tuple(sorted({*profile.listed, *also_exclude})),
        genres_any=tuple(profile.genres_in),
        genres_none=tuple(profile.genres_out),
        year_min=profile.year_min,
        year_max=profile.year_max,
    )


def passes_filters(profile: Profile, card: MovieCard) -> bool:
    """What the search's filter (`search_filter_for`) does in Milvus, for one card in memory."""
    genres = set(card.genres)
    if genres & set(profile.genres_out) or (profile.genres_in and not genres & set(profile.genres_in)):
        return False
    if profile.year_min is None and profile.year_max is None:
        return True
    year = card.year
    return year is not None and (profile.year_min or year) <= year <= (profile.year_max or year)


class Preloaded(Protocol):
    """What a process that forks app sessions (serve's zygote) loaded once for all of them, before the
    first fork: each session then shares it instead of building its own (its model and its catalogue
    were most of a session's start). Each part is handed out only while it is still current."""

    def model(self, model_dir: Path) -> tuple[UserEncoder, MovieTable] | None:
        """The encoder and movie table of the model in `model_dir`, if that is the model loaded."""
        ...

    def catalogue(self, meta: dict[str, str]) -> tuple[list[MovieCard], TitleIndex] | None:
        """Every card and the title index, if Redis's `meta` record says the cards are the ones read."""
        ...


def title_index(cards: list[MovieCard]) -> TitleIndex:
    return TitleIndex(TitleEntry(c.movie_id, c.title, c.year, c.rating_count) for c in cards)


class Library:
    """The catalogue's titles and IMDb links and the saved profiles, from Redis alone: what importing
    and exporting ratings need, without loading the model or opening Milvus (seconds saved, and an
    import works while the index is being rebuilt). Raises StoreUnavailable while Redis is down and
    ModelMissing before setup wrote the cards."""

    def __init__(self, settings: Settings) -> None:
        self._redis = open_redis_for(settings)
        store = CardStore(self._redis.client, settings.profile_namespace, settings.profile_ttl)
        self._store = store
        self.profiles = SavedProfiles(store, ProfileJournal(settings.journal_dir))
        self._titles: TitleIndex | None = None
        self._links: dict[int, str] = {}

    @property
    def titles(self) -> TitleIndex:
        if self._titles is None:
            cards = self._store.all_cards()
            if not cards:
                raise ModelMissing("no movie catalogue yet; run `movierec-tui setup` first")
            self._titles = title_index(cards)
            self._links = {c.movie_id: c.imdb_id for c in cards if c.imdb_id}
        return self._titles

    @property
    def imdb_links(self) -> dict[int, str]:
        """As Recommender.imdb_links."""
        self.titles  # noqa: B018  (reads every card once)
        return self._links

    def close(self) -> None:
        self._redis.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class ModelScore:
    """The model's view of one movie for a profile, listed or not (`Recommender.score_of`)."""

    score: float  # the match the ranking uses (Recommender.scores)
    rank: int  # 1 + how many movies match better (rated and filtered ones included)
    total: int  # movies in the model
    anchor: tuple[MovieCard, float] | None  # the liked movie most like it, with their similarity
    place: int = 0  # 1 + how many movies the profile could be shown (unrated, not dismissed, passing
    # its filters, as far as their cards are known) match better: where the ranking puts it


@dataclass(frozen=True)
class Recommendation:
    card: MovieCard
    score: float  # the match of Milvus's hit (ordered as the model's score; `_answer`); more_like: likeness
    predicted_rating: float  # the rating head's guess, clipped to 1..5
    reason: str  # one line, true of the profile: "because you liked Alien (1979)", "similar to Heat (1995)"
    because_of: int | None  # the liked movie (rated 4 or more) the reason names, if any


@dataclass
class Timings:
    """Milliseconds spent in each stage of the last `recommend` call."""

    encode: float = 0.0  # the user tower
    match: float = 0.0  # the search vector from the user vector
    search: float = 0.0  # Milvus's filtered search
    cards: float = 0.0
    total: float = 0.0

    @classmethod
    def between(
        cls, started: float, encoded: float, matched: float, searched: float, fetched: float, done: float
    ) -> Timings:
        """From the perf_counter at the start and at the end of each stage."""
        stages = (encoded - started, matched - encoded, searched - matched, fetched - searched, done - started)
        return cls(*(seconds * 1e3 for seconds in stages))


_blas_limited = False  # inherited by a fork, as the limit itself is


def limit_blas_to_one_thread() -> None:
    """A process with a Recommender serves one person: its numpy work per rating is a few small
    products, where OpenBLAS's second thread only spins (benchmarks/app_cpu.py: 176 -> 75 ms of CPU
    per chat rating with one thread). Process-wide, on purpose: it is what a served session's CPU is
    made of. Paddle's own threads (OpenMP) are not affected. Done once per process, and by the
    session zygote before it forks the apps, which inherit both the limit and this flag: in a fresh
    fork the call restarted OpenBLAS's thread pool, whose worker then spun for ~0.1 s of CPU, a quarter
    of a served app's start (benchmarks/served_cpu.py)."""
    global _blas_limited
    if not _blas_limited:
        threadpool_limits(1, user_api="blas")
        _blas_limited = True


class Recommender:
    def __init__(
        self, settings: Settings, backends: Backends | None = None, preloaded: Preloaded | None = None
    ) -> None:
        limit_blas_to_one_thread()
        self.settings = settings
        self.preloaded = preloaded
        model = preloaded.model(settings.model_dir) if preloaded is not None else None
        if model is not None:
            self.encoder, self.movies = model
        else:
            self.encoder = UserEncoder(settings.model_dir)
            try:
                self.movies = MovieTable.load(settings.model_dir)
            except (FileNotFoundError, KeyError):
                raise ModelMissing(
                    f"the model in {settings.model_dir} is from an older version; run `movierec-tui setup` again"
                ) from None
        self.backends = backends or open_backends(settings)
        self.backends.milvus.ensure_loaded()
        self.profiles = SavedProfiles(self.backends.cards, ProfileJournal(settings.journal_dir))
        self._titles: TitleIndex | None = None
        self._card_cache: dict[int, MovieCard] = {}
        self.cards_down: StoreError | None = None  # Redis failed; cards come from memory until a probe
        self.last_timings = Timings()
        self._catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue | None:
        """What the catalogue is (name, movie count, years), as setup recorded it; None for a home set
        up before setup recorded it. Read once: it changes only with a new setup."""
        if self._catalogue is None:
            try:
                self._catalogue = Catalogue.from_meta(self.backends.cards.meta())
            except UNAVAILABLE:  # Redis is down: the header and hints do without it
                return None
        return self._catalogue

    def close(self) -> None:
        self.backends.close()

    def __enter__(self) -> Recommender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def model_version(self) -> str:
        """The installed model's version, e.g. "6dd541f3-ab2696" (dataset and training config)."""
        return self.encoder.info.version

    @property
    def titles(self) -> TitleIndex:
        """Built on first use from every card (one pipelined read), then kept."""
        if self._titles is None:
            shared = self.preloaded.catalogue(self.backends.cards.meta()) if self.preloaded is not None else None
            if shared is not None:
                cards, self._titles = shared
            else:
                cards = self.backends.cards.all_cards()
                self._titles = title_index(cards)
            self._card_cache.update((c.movie_id, c) for c in cards)
        return self._titles

    @property
    def imdb_links(self) -> dict[int, str]:
        """Movie id -> IMDb id ("tt0114709") for every movie whose release ships links.csv; empty for
        ML-1M (and for cards written before setup kept the links). Imports match by it first."""
        self.titles  # noqa: B018  (fills the card cache with every card)
        return {m: card.imdb_id for m, card in self._card_cache.items() if card.imdb_id}

    def cards(self, movie_ids: list[int]) -> dict[int, MovieCard]:
        """Cards from Redis in one round trip, remembered so a Redis outage can fall back on them.

        If Redis is unreachable and every card asked for was loaded before (the app loads them all at
        start), they come from memory and `cards_down` says why; Redis is not asked again until
        `probe_cards` finds it back. A card never loaded raises RedisUnavailable."""
        if self.cards_down is not None and all(m in self._card_cache for m in movie_ids):
            return {m: self._card_cache[m] for m in movie_ids}
        try:
            found = self.backends.cards.get_cards(movie_ids)
        except StoreError as exc:
            if not all(m in self._card_cache for m in movie_ids):
                raise
            self.cards_down = exc
            return {m: self._card_cache[m] for m in movie_ids}
        self._card_cache.update(found)
        return found

    def catalogue_cards(self) -> dict[int, MovieCard]:
        """The card of every movie the model knows, e.g. for a UI to keep: from the one read of every
        card that builds the title index, not a second one (3,883 cards parsed again by each of 16
        sessions starting together)."""
        self.titles  # noqa: B018  (fills the card cache with every card, once)
        movie_ids = [int(m) for m in self.movies.movie_ids]
        if all(m in self._card_cache for m in movie_ids):
            return {m: self._card_cache[m] for m in movie_ids}
        return self.cards(movie_ids)

    def probe_cards(self) -> bool:
        """Whether Redis answers again (then cards are read from it again)."""
        try:
            self.backends.cards.ping()
        except StoreError as exc:
            self.cards_down = exc
            return False
        self.cards_down = None
        return True

    def seed_movies(
        self, n: int = 8, exclude: set[int] | frozenset[int] = frozenset(), profile: Profile | None = None
    ) -> list[MovieCard]:
        """Well-known movies to ask a new person about, not in `exclude` (nor rated, dismissed or listed).

        With a profile: the ADAPTIVE_POOL most rated, best match for the profile first, so that
        each answer steers the next question. Measured against asking in plain popularity order
        (docs/benchmarks.md, onboarding), the answers it collects rank better. Without one (before
        the model can be asked): the most rated first.
        """
        self.titles  # noqa: B018  (fills the card cache with every card)
        cards = sorted(self._card_cache.values(), key=lambda c: (-c.rating_count, c.movie_id))
        if profile is None:
            return [c for c in cards if c.movie_id not in exclude][:n]
        known = {*exclude, *profile.listed}
        pool = [c for c in cards[:ADAPTIVE_POOL] if c.movie_id not in known]
        _, _, match = self.scores(profile)
        rows = self.movies.index_of(np.array([c.movie_id for c in pool], dtype=np.int64))
        fit = np.where(rows >= 0, match[rows], -np.inf)
        return [pool[i] for i in np.argsort(-fit, kind="stable")[:n]]

    def scores(self, profile: Profile) -> tuple[UserEncoding, np.ndarray, np.ndarray]:
        """The profile's encoding, and the cosine and the match of every movie in the movie table
        (rows as in `self.movies`): O(movies x 256). The match is what Milvus ranks by and returns
        as a hit's score (`MovieTable.match`, at the profile's mainstream dial), so it orders movies
        as the served list does."""
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        return user, self.movies.vectors @ user.vector, self.movies.match(*user.query_parts(), profile.novelty)

    def recommend(
        self, profile: Profile, k: int = 10, *, exclude: Collection[int] = frozenset()
    ) -> list[Recommendation]:
        """The profile's best `k`, leaving out what it rated, dismissed or listed and `exclude` (movies
        already on screen elsewhere); `last_timings` says where the time went."""
        results, self.last_timings = self._recommend(profile, k, exclude)
        return results

    def _recommend(
        self, profile: Profile, k: int, exclude: Collection[int]
    ) -> tuple[list[Recommendation], Timings]:
        started = time.perf_counter()
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        encoded = time.perf_counter()
        query = self.movies.query(*user.query_parts(), profile.novelty)  # model/dislikes.py, model/dial.py
        matched = time.perf_counter()
        hits = self.backends.milvus.search(query, k, search_filter_for(profile, frozenset(exclude)))
        searched = time.perf_counter()
        # One round trip for the results and the rated movies the reasons name (unless cached).
        rated = [m for m in profile.ratings if m not in self._card_cache]
        cards = self.cards([movie_id for movie_id, _ in hits] + rated)
        fetched = time.perf_counter()
        results = self._answer(profile, user, query, hits, cards)
        done = time.perf_counter()
        return results, Timings.between(started, encoded, matched, searched, fetched, done)

    def recommend_many(self, profiles: Sequence[Profile], k: int = 10) -> list[tuple[list[Recommendation], Timings]]:
        """What `recommend` answers for each profile, with the time each stage took for it, for many
        profiles at once (`recommend --batch`): the same movies, order, scores and reasons.

        The work that `recommend` repeats per profile is shared: profiles with the same filters are
        searched in one Milvus request of many query vectors (batch_search.py), and every card is
        read in one round trip. Each profile is still encoded on its own: a forward pass over many
        profiles is faster but not bit for bit the one-profile pass (the batch's matrix products
        add in another order), and equal answers come first. A profile's timings are its own
        stages', plus its share of its group's search and of the cards' read."""
        if not profiles:
            return []
        encode, match, users, queries = [], [], [], []
        for profile in profiles:
            started = time.perf_counter()
            user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
            encoded = time.perf_counter()
            queries.append(self.movies.query(*user.query_parts(), profile.novelty))
            users.append(user)
            encode.append(encoded - started)
            match.append(time.perf_counter() - encoded)
        filters = [search_filter_for(profile) for profile in profiles]
        hits, search = search_grouped(self.backends.milvus, self.movies, self._card_cache, filters, queries, k)
        started = time.perf_counter()
        wanted = {m for found in hits for m, _ in found}
        wanted.update(m for profile in profiles for m in profile.ratings if m not in self._card_cache)
        cards = self.cards(sorted(wanted))
        cards_share = (time.perf_counter() - started) / len(profiles)
        answers = []
        for i, profile in enumerate(profiles):
            started = time.perf_counter()
            results = self._answer(profile, users[i], queries[i], hits[i], cards)
            stages = (encode[i], match[i], search[i], cards_share, time.perf_counter() - started)
            timings = Timings(*(seconds * 1e3 for seconds in stages[:4]), total=sum(stages) * 1e3)
            answers.append((results, timings))
        return answers

    def more_like(
        self, movie_id: int, profile: Profile, k: int = 10, *, exclude: Collection[int] = frozenset()
    ) -> list[Recommendation]:
        """The movies most like `movie_id`, within the profile's filters, leaving out it and what the
        profile rated, dismissed or listed: ordered by their likeness to it (model/likeness.py), the
        similarity the details pane's "closest matches" show (`similar_to`).

        Its likeness query is the query of the same filtered Milvus search `recommend` makes with
        the person's; the LIKENESS_CANDIDATES it finds are re-ranked by the likeness itself. The
        profile is a tie-break only: its match (at its mainstream dial) orders movies whose
        similarity is the same to two decimals (as the pane shows it), so a fan of comedies and a
        fan of westerns see the same list for "more like Alien", apart from near-ties. The
        reason on every card says what it is ("similar to Alien (1979)"), not "because you liked" a
        movie the profile may not have rated. An unknown movie (no vector) gives no results.
        `exclude`: movies also to leave out (on screen elsewhere)."""
        results, self.last_timings = self._more_like(movie_id, profile, k, exclude)
        return results

    def _more_like(
        self, movie_id: int, profile: Profile, k: int, exclude: Collection[int]
    ) -> tuple[list[Recommendation], Timings]:
        started = time.perf_counter()
        row = self._row_of(movie_id)
        if row < 0:
            return [], Timings()
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        encoded = time.perf_counter()
        cosines = self.movies.vectors @ user.vector
        match = self.movies.match(*user.query_parts(), profile.novelty)
        matched = time.perf_counter()
        leave_out = search_filter_for(profile, {movie_id, *exclude})
        wanted = max(k, LIKENESS_CANDIDATES)
        candidates = self.backends.milvus.search(self.movies.likeness_query(row), wanted, leave_out)
        hits = self._by_likeness(row, [m for m, _ in candidates], match)[:k]
        searched = time.perf_counter()
        cards = self.cards([m for m, _, _ in hits] + ([] if movie_id in self._card_cache else [movie_id]))
        fetched = time.perf_counter()
        results = self._like_results(movie_id, hits, user, cosines, cards)
        done = time.perf_counter()
        return results, Timings.between(started, encoded, matched, searched, fetched, done)

    def _by_likeness(self, row: int, candidates: list[int], match: np.ndarray) -> list[tuple[int, int, float]]:
        """`candidates` (movie ids, from a search by the likeness to the movie at `row`) as "more like"
        orders them: by their similarity to it as shown (SIMILARITY_DECIMALS), the profile's `match`
        among equals; each as (movie id, its table row, the similarity)."""
        rows = self.movies.index_of(np.array(candidates, dtype=np.int64))
        rows = rows[rows >= 0]
        similarity = self.movies.likeness().between(row, rows)
        shown = np.round(similarity, SIMILARITY_DECIMALS)
        order = sorted(range(len(rows)), key=lambda i: (-shown[i], -match[rows[i]]))
        return [(int(self.movies.movie_ids[rows[i]]), int(rows[i]), float(similarity[i])) for i in order]

    def _like_results(
        self, movie_id: int, hits: list[tuple[int, int, float]], user: UserEncoding, cosines: np.ndarray,
        cards: dict[int, MovieCard],
    ) -> list[Recommendation]:
        """The recommendations of "more like `movie_id`" for its ordered `hits`, with the cards read."""
        like = cards.get(movie_id) or self._card_cache.get(movie_id)
        reason = f"similar to {title_with_year(like)}" if like is not None else "similar"
        return [
            Recommendation(cards[m], similar, self._predicted(user, cosines, hit_row), reason, None)
            for m, hit_row, similar in hits
            if m in cards
        ]

    # -- the rows under the person's picks (app/rows.py) ------------------------------------------------

    def loved(self, profile: Profile, n: int) -> list[int]:
        """Up to `n` movies the profile rated LIKED_THRESHOLD or more that the model knows, to make
        "because you loved X" rows of: the highest rating first, the most recently rated among equal
        ratings (the ratings are kept in the order they were given). Touches no store."""
        order = {movie_id: place for place, movie_id in enumerate(profile.ratings)}
        liked = [m for m, r in profile.ratings.items() if r >= LIKED_THRESHOLD and self._row_of(m) >= 0]
        return sorted(liked, key=lambda m: (-profile.ratings[m], -order[m]))[:n]

    def rows(
        self, profile: Profile, loved: Sequence[int], k: int = 10, *, exclude: Collection[int] = frozenset()
    ) -> list[list[Recommendation]]:
        """The rows under the person's picks: a "because you loved X" row for each X of `loved` (what
        `more_like(X)` shows; empty for a movie the model does not know), then the hidden gems (the
        profile's own picks with the mainstream dial at HIDDEN_GEMS_NOVELTY), each without what the
        profile rated, dismissed or listed, nor `exclude` (the cards on screen), nor the movies of the
        rows before it. Leaves `last_timings` to the person's picks: the rows are searched besides
        them, in another thread.

        One Milvus request (a query vector per row) and one Redis round trip for them all, not a
        search and a read per row: with many sessions on one machine every round trip waits its
        turn for a CPU, and the rows are the last part of a rating's repaint. The rows share one
        filter (the profile's and `exclude`); what the rows above a row show is dropped from its hits
        here, and it asks for as many more hits as those rows hold. Where the index is exact (FLAT,
        up to FLAT_MAX_ROWS movies) a row is then what a search of its own with the rows above in its
        filter finds (`tests/test_engine.py` compares them)."""
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        cosines = self.movies.vectors @ user.vector
        match = self.movies.match(*user.query_parts(), profile.novelty)
        anchors = {movie_id: row for movie_id in loved if (row := self._row_of(movie_id)) >= 0}
        gems_query = self.movies.query(*user.query_parts(), HIDDEN_GEMS_NOVELTY)
        queries = [self.movies.likeness_query(row) for row in anchors.values()] + [gems_query]
        wanted = max(k, LIKENESS_CANDIDATES)  # a loved row's candidates, as more_like asks for them
        leave_out = search_filter_for(profile, {*exclude, *loved})
        found = self.backends.milvus.search_many(queries, wanted + k * len(anchors), leave_out)
        taken: set[int] = set()
        liked_hits: dict[int, list[tuple[int, int, float]]] = {}
        for (movie_id, row), hits in zip(anchors.items(), found, strict=False):
            liked_hits[movie_id] = self._by_likeness(row, [m for m, _ in hits if m not in taken][:wanted], match)[:k]
            taken.update(m for m, _, _ in liked_hits[movie_id])
        gems_hits = [(m, score) for m, score in found[-1] if m not in taken][:k]
        named = [m for m in [*profile.ratings, *anchors] if m not in self._card_cache]
        cards = self.cards(list(dict.fromkeys([*taken, *(m for m, _ in gems_hits), *named])))
        rows = [self._like_results(m, liked_hits.get(m, []), user, cosines, cards) for m in loved]
        return [*rows, self._answer(profile, user, gems_query, gems_hits, cards)]

    def score_of(self, profile: Profile, movie_id: int) -> ModelScore | None:
        """The model's view of one movie for this profile, whether it is listed or not: the match the
        ranking uses, scored in memory for every movie (a forward pass and arithmetic on the movie
        table), and the liked movie closest to it. None if the model has no vector for it. Touches
        no store: the anchor's card comes from the cards read before."""
        row = self._row_of(movie_id)
        if row < 0:
            return None
        _, _, scores = self.scores(profile)
        score = float(scores[row])
        rank = int((scores > score).sum()) + 1
        closest = self._closest(self._liked_rows(profile), row)
        anchor_card = self._card_cache.get(closest[0]) if closest is not None else None
        anchor = (anchor_card, closest[1]) if anchor_card is not None and closest is not None else None
        place = int((scores[self._shown_rows(profile)] > score).sum()) + 1
        return ModelScore(score, rank, len(self.movies.vectors), anchor, place)

    def _shown_rows(self, profile: Profile) -> np.ndarray:
        """Whether each movie of the table could be recommended to `profile` (what the search's
        filter lets through), judged from the cards read before; a movie without one counts."""
        hidden = profile.listed  # the search's exclusion: rated, dismissed, watchlist, seen
        return np.array([
            m not in hidden and ((card := self._card_cache.get(m)) is None or passes_filters(profile, card))
            for m in self.movies.movie_ids.tolist()
        ], dtype=bool)  # fmt: skip

    def similar_to(self, movie_id: int, n: int = 8) -> list[tuple[MovieCard, float]]:
        """The `n` movies most like it (model/likeness.py), best first, with their similarity; only
        movies whose card was read before (the whole catalogue, once `catalogue_cards` or `titles`
        ran). Exact, over every movie. No store."""
        row = self._row_of(movie_id)
        if row < 0:
            return []
        sims = self.movies.likeness().between(row)
        sims[row] = -np.inf
        out = []
        for i in np.argsort(-sims)[: n * 2]:
            card = self._card_cache.get(int(self.movies.movie_ids[i]))
            if card is not None:
                out.append((card, float(sims[i])))
            if len(out) == n:
                break
        return out

    def likeness(self, movie_id: int, to: int) -> tuple[float, int] | None:
        """How like movie `to` movie `movie_id` is: their likeness (what `more_like` and
        `similar_to` rank by) and its place among all movies by it (1: the closest). None if
        either has no vector. Touches no store."""
        row, to_row = self._row_of(movie_id), self._row_of(to)
        if row < 0 or to_row < 0:
            return None
        every = self.movies.likeness().between(to_row)
        every[to_row] = -np.inf
        return float(every[row]), int((every > every[row]).sum()) + 1

    def _predicted(self, user: UserEncoding, cosines: np.ndarray, row: int) -> float:
        """The rating head's guess for the movie at `row`, clipped to 1..5 (-1: unknown, the user's mean)."""
        info = self.encoder.info
        predicted = info.rating_offset + user.bias
        if row >= 0:
            predicted += info.rating_scale * float(cosines[row]) + float(self.movies.bias[row])
            predicted += float(self.movies.rating_factors[row] @ user.factors)
        return min(max(predicted, 1.0), 5.0)  # a float already: np.clip cost ~10 us per card

    def _row_of(self, movie_id: int) -> int:
        return int(self.movies.index_of(np.array([movie_id], dtype=np.int64))[0])

    def _answer(
        self,
        profile: Profile,
        user: UserEncoding,
        query: np.ndarray,
        hits: list[tuple[int, float]],
        cards: dict[int, MovieCard],
    ) -> list[Recommendation]:
        """The recommendations for the search's hits: the cards, their reasons and predicted ratings.

        A hit's score is its match computed here (`MovieTable.match_of`), the number Milvus computed
        to rank it, to float32 precision: Milvus's own differs in its last bits between a request
        of one query and one of many (`recommend_many`), and between Milvus versions; this one is
        the same on every path. The hits are ordered by it (Milvus's order where equal)."""
        hit_rows = self.movies.index_of(np.array([m for m, _ in hits], dtype=np.int64))
        scores = np.array([score for _, score in hits], dtype=np.float64)
        scores[hit_rows >= 0] = self.movies.match_of(query, hit_rows[hit_rows >= 0])
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        hits = [(hits[i][0], float(scores[i])) for i in order]
        hit_rows = hit_rows[order]
        cosines = np.zeros(len(self.movies.movie_ids), dtype=np.float32)
        known = hit_rows[hit_rows >= 0]
        cosines[known] = self.movies.vectors[known] @ user.vector
        return self._explain(profile, hits, cards, user, cosines)

    def _explain(
        self, profile: Profile, hits: list[tuple[int, float]], cards: dict[int, MovieCard], user: UserEncoding,
        cosines: np.ndarray,
    ) -> list[Recommendation]:
        """The cards with their reasons: "because you liked X" names the movie rated LIKED_THRESHOLD
        or more most like the card's movie (model/likeness.py), the anchor `score_of` names for "why";
        with nothing liked, what the ranking does rest on (the ratings, or who the person is)."""
        liked = self._liked_rows(profile)
        hit_rows = self.movies.index_of(np.array([m for m, _ in hits], dtype=np.int64))
        results = []
        for (movie_id, score), row in zip(hits, hit_rows, strict=True):
            card = cards.get(movie_id)
            if card is None:
                continue
            closest = self._closest(liked, int(row))
            anchor = (cards.get(closest[0]) or self._card_cache.get(closest[0])) if closest else None
            if anchor is not None:
                reason = f"because you liked {title_with_year(anchor)}"
            elif closest is not None:  # its card could not be read
                reason = "because of the movies you liked"
            elif profile.ratings:
                reason = f"from your {plural(len(profile.ratings), 'rating')} (none {LIKED_THRESHOLD:g}★ or more)"
            else:
                reason = demographic_reason(profile)
            because_of = anchor.movie_id if anchor is not None else None
            results.append(Recommendation(card, score, self._predicted(user, cosines, int(row)), reason, because_of))
        return results

    def _liked_rows(self, profile: Profile) -> tuple[np.ndarray, np.ndarray]:
        """The movies the profile liked (rated LIKED_THRESHOLD or more) that the model knows, and their
        rows in the movie table."""
        liked = np.array([m for m, r in profile.ratings.items() if r >= LIKED_THRESHOLD], dtype=np.int64)
        rows = self.movies.index_of(liked)
        return liked[rows >= 0], rows[rows >= 0]

    def _closest(self, liked: tuple[np.ndarray, np.ndarray], row: int) -> tuple[int, float] | None:
        """Of the liked movies, the one most like movie `row` (model/likeness.py), with their
        similarity; None when nothing is liked or the movie has no vector."""
        ids, rows = liked
        if row < 0 or not len(ids):
            return None
        similarity = self.movies.likeness().between(row, rows)
        best = int(np.argmax(similarity))
        return int(ids[best]), float(similarity[best])
