"""The Recommender facade: Profile -> user vector -> Milvus search -> re-rank -> cards + reasons.

Milvus finds the CANDIDATES movies closest to the user vector that pass the profile's filters; they
are then ordered by the match, the cosine nudged by the follow-up model (model/followup.py). The
re-ranking only reorders what the filtered search returned; the best movies by the match are
nearly always among the cosine's top 50 (`benchmarks/quality_probes.py --probe model` measures
the share; docs/benchmarks.md). More candidates would cost search time for little: each hit
Milvus Lite returns adds about 0.02-0.05 ms.

Everything above this layer (CLI, TUI, servers) talks to this class only; it owns the model, the
stores and the title index so that those never leak into UI code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from movierec_tui.catalogue import LIKED_THRESHOLD
from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.model.artifacts import MovieTable
from movierec_tui.model.encoder import ModelMissing, UserEncoder, UserEncoding
from movierec_tui.model.features import demographic_indices
from movierec_tui.model.followup import CANDIDATES, FollowUpModel, ProfileRows, blend
from movierec_tui.onboarding import ADAPTIVE_POOL
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends, open_backends
from movierec_tui.stores.cards import UNAVAILABLE, MovieCard
from movierec_tui.stores.milvus_store import SearchFilter
from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.wording import demographic_reason, title_with_year


@dataclass(frozen=True)
class Recommendation:
    card: MovieCard
    score: float  # the match: the cosine nudged by the follow-up model, in cosine units
    predicted_rating: float  # the rating head's guess, clipped to 1..5
    reason: str  # one line, e.g. "because you liked Alien (1979)"
    because_of: int | None  # the rated movie id behind the reason, if any


@dataclass
class Timings:
    """Milliseconds spent in each stage of the last `recommend` call."""

    encode: float = 0.0  # the user tower
    match: float = 0.0  # the follow-up model's scores and the blend, over the whole movie table
    search: float = 0.0  # Milvus's filtered candidates, re-ranked by the match
    cards: float = 0.0
    total: float = 0.0


class Recommender:
    def __init__(self, settings: Settings, backends: Backends | None = None) -> None:
        # A process with a Recommender serves one person: its numpy work per rating is a few small
        # products, where OpenBLAS's second thread only spins (benchmarks/app_cpu.py: 176 -> 75 ms
        # of CPU per chat rating with one thread). Process-wide, on purpose: it is what a served
        # session's CPU is made of. Paddle's own threads (OpenMP) are not affected.
        threadpool_limits(1, user_api="blas")
        self.settings = settings
        self.encoder = UserEncoder(settings.model_dir)
        self.movies = MovieTable.load(settings.model_dir)
        try:
            self.followup = FollowUpModel.load(settings.model_dir)
        except FileNotFoundError:
            raise ModelMissing(
                f"the model in {settings.model_dir} is from an older version; run `movierec-tui setup` again"
            ) from None
        self.followup_weight = float(self.encoder.info.train_config["followup_weight"])
        self.backends = backends or open_backends(settings)
        self.backends.milvus.ensure_loaded()
        self._titles: TitleIndex | None = None
        self._card_cache: dict[int, MovieCard] = {}
        self.cards_down: Exception | None = None  # Redis failed; cards come from memory until a probe
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
    def titles(self) -> TitleIndex:
        """Built on first use from every card (one pipelined read), then kept."""
        if self._titles is None:
            cards = self.backends.cards.all_cards()
            self._card_cache.update((c.movie_id, c) for c in cards)
            self._titles = TitleIndex(TitleEntry(c.movie_id, c.title, c.year, c.rating_count) for c in cards)
        return self._titles

    def cards(self, movie_ids: list[int]) -> dict[int, MovieCard]:
        """Cards from Redis in one round trip, remembered so a Redis outage can fall back on them.

        If Redis is unreachable and every card asked for was loaded before (the app loads them all at
        start), they come from memory and `cards_down` says why; Redis is not asked again until
        `probe_cards` finds it back. A card never loaded still raises the Redis error."""
        if self.cards_down is not None and all(m in self._card_cache for m in movie_ids):
            return {m: self._card_cache[m] for m in movie_ids}
        try:
            found = self.backends.cards.get_cards(movie_ids)
        except UNAVAILABLE as exc:
            if not all(m in self._card_cache for m in movie_ids):
                raise
            self.cards_down = exc
            return {m: self._card_cache[m] for m in movie_ids}
        self._card_cache.update(found)
        return found

    def probe_cards(self) -> bool:
        """Whether Redis answers again (then cards are read from it again)."""
        try:
            self.backends.redis.client.ping()
        except UNAVAILABLE as exc:
            self.cards_down = exc
            return False
        self.cards_down = None
        return True

    def seed_movies(
        self, n: int = 8, exclude: set[int] | frozenset[int] = frozenset(), profile: Profile | None = None
    ) -> list[MovieCard]:
        """Well-known movies to ask a new person about, not in `exclude` (nor rated or dismissed).

        With a profile: the ADAPTIVE_POOL most rated, best match for the profile first, so that
        each answer steers the next question. Measured against asking in plain popularity order
        (docs/benchmarks.md, onboarding), the answers it collects rank better. Without one (before
        the model can be asked): the most rated first.
        """
        self.titles  # noqa: B018  (fills the card cache with every card)
        cards = sorted(self._card_cache.values(), key=lambda c: (-c.rating_count, c.movie_id))
        if profile is None:
            return [c for c in cards if c.movie_id not in exclude][:n]
        known = {*exclude, *profile.ratings, *profile.dismissed}
        pool = [c for c in cards[:ADAPTIVE_POOL] if c.movie_id not in known]
        _, _, match = self.scores(profile)
        rows = self.movies.index_of(np.array([c.movie_id for c in pool], dtype=np.int64))
        fit = np.where(rows >= 0, match[rows], -np.inf)
        return [pool[i] for i in np.argsort(-fit, kind="stable")[:n]]

    def scores(self, profile: Profile) -> tuple[UserEncoding, np.ndarray, np.ndarray]:
        """The profile's encoding, and the cosine and the match of every movie in the movie table
        (rows as in `self.movies`)."""
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        return user, *self._match(profile, user)

    def _match(self, profile: Profile, user: UserEncoding) -> tuple[np.ndarray, np.ndarray]:
        """Cosines and matches over the movie table: arithmetic in memory, well under a millisecond."""
        cosines = self.movies.vectors @ user.vector
        rated = len(profile.ratings)
        followup = self.followup.scores(ProfileRows(
            *demographic_indices(profile.gender, profile.age, profile.occupation),
            self.encoder.features.rows_for(np.fromiter(profile.ratings, dtype=np.int64, count=rated)),
            np.fromiter(profile.ratings.values(), dtype=np.float32, count=rated),
        ))  # fmt: skip
        return cosines, blend(cosines, followup, self.followup_weight)

    def recommend(self, profile: Profile, k: int = 10) -> list[Recommendation]:
        started = time.perf_counter()
        user = self.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        encoded = time.perf_counter()
        cosines, match = self._match(profile, user)
        matched = time.perf_counter()
        search_filter = SearchFilter(
            exclude_ids=tuple(sorted({*profile.ratings, *profile.dismissed})),
            genres_any=tuple(profile.genres_in),
            genres_none=tuple(profile.genres_out),
            year_min=profile.year_min,
            year_max=profile.year_max,
        )
        candidates = self.backends.milvus.search(user.vector, max(k, CANDIDATES), search_filter)
        rows = self.movies.index_of(np.array([m for m, _ in candidates], dtype=np.int64))
        rescored = [
            (movie_id, float(match[row]) if row >= 0 else cosine)
            for (movie_id, cosine), row in zip(candidates, rows, strict=True)
        ]
        hits = sorted(rescored, key=lambda hit: -hit[1])[:k]
        searched = time.perf_counter()
        # One round trip for the results and the rated movies the reasons name (unless cached).
        rated = [m for m in profile.ratings if m not in self._card_cache]
        cards = self.cards([movie_id for movie_id, _ in hits] + rated)
        fetched = time.perf_counter()
        results = self._explain(profile, hits, cards, user, cosines)
        done = time.perf_counter()
        self.last_timings = Timings(
            encode=(encoded - started) * 1e3,
            match=(matched - encoded) * 1e3,
            search=(searched - matched) * 1e3,
            cards=(fetched - searched) * 1e3,
            total=(done - started) * 1e3,
        )
        return results

    def _explain(
        self, profile: Profile, hits: list[tuple[int, float]], cards: dict[int, MovieCard], user: UserEncoding,
        cosines: np.ndarray,
    ) -> list[Recommendation]:
        liked = [m for m, r in profile.ratings.items() if r >= LIKED_THRESHOLD]
        liked_rows = self.movies.index_of(np.array(liked, dtype=np.int64)) if liked else np.array([], dtype=np.int64)
        liked = [m for m, row in zip(liked, liked_rows, strict=True) if row >= 0]
        liked_vectors = self.movies.vectors[liked_rows[liked_rows >= 0]]
        hit_ids = np.array([m for m, _ in hits], dtype=np.int64)
        hit_rows = self.movies.index_of(hit_ids) if len(hits) else np.array([], dtype=np.int64)
        similarity = self.movies.vectors[hit_rows] @ liked_vectors.T if liked else None
        liked_cards = {m: card for m in liked if (card := cards.get(m) or self._card_cache.get(m)) is not None}
        info = self.encoder.info
        results = []
        for i, (movie_id, score) in enumerate(hits):
            card = cards.get(movie_id)
            if card is None:
                continue
            predicted = info.rating_offset + user.bias
            if hit_rows[i] >= 0:
                row = hit_rows[i]
                predicted += info.rating_scale * float(cosines[row]) + float(self.movies.bias[row])
                predicted += float(self.movies.rating_factors[row] @ user.factors)
            because_of: int | None = None
            if similarity is not None:
                because_of = liked[int(np.argmax(similarity[i]))]
            if because_of is not None and because_of in liked_cards:
                anchor = liked_cards[because_of]
                reason = f"because you liked {title_with_year(anchor)}"
            else:
                reason = demographic_reason(profile)
            results.append(
                Recommendation(card, score, float(np.clip(predicted, 1.0, 5.0)), reason, because_of)
            )
        return results
