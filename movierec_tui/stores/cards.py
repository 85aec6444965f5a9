"""Movie cards, the `meta` record and saved profiles in Redis.

A card is everything the app shows about a movie, precomputed at setup so that rendering a screen
of recommendations is one pipelined round trip (HGETALL per id), not a query per card.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import redis

from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.stores.errors import RedisUnavailable, one_line

# What a Redis that stopped or cannot be reached raises: the CardStore's own error, and redis-py's
# for the callers that talk to the client directly (a ping).
UNAVAILABLE = (RedisUnavailable, redis.ConnectionError, redis.TimeoutError)

R = TypeVar("R")

CARD_PREFIX = "movie:"
PROFILE_PREFIX = "profile:"
LAST_PROFILE_KEY = "last-profile"  # the name of the profile a plain start reopens (+ "@" + namespace)
CORRUPT_PREFIX = "corrupt:"  # + the key of an unreadable record moved aside, + ":" + milliseconds
META_KEY = "meta"
WRITE_BATCH = 500
SCAN_BATCH = 1000  # keys SCAN looks at per round trip


def _glob_escape(text: str) -> str:
    """Redis SCAN MATCH treats *?[]\\ as pattern syntax; a namespace is literal text."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


@dataclass(frozen=True, slots=True)
class MovieCard:
    movie_id: int
    title: str  # MovieLens form, e.g. "Matrix, The"
    year: int | None  # None: the dataset gives no year
    genres: tuple[str, ...]
    mean_rating: float
    rating_count: int
    histogram: tuple[int, int, int, int, int]  # ratings per star 1..5; a half star counts with the star above
    imdb_id: str | None = None  # "tt0114709" where the release ships links.csv; imports match by it

    def to_hash(self) -> dict[str, str]:
        fields = {
            "title": self.title,
            "year": "" if self.year is None else str(self.year),
            "genres": "|".join(self.genres),
            "mean": f"{self.mean_rating:.4f}",
            "count": str(self.rating_count),
            "hist": ",".join(str(n) for n in self.histogram),
        }
        if self.imdb_id:
            fields["imdb"] = self.imdb_id
        return fields

    @classmethod
    def from_hash(cls, movie_id: int, fields: Mapping[str, str]) -> MovieCard:
        histogram = tuple(int(n) for n in fields["hist"].split(","))
        return cls(
            movie_id=movie_id,
            title=fields["title"],
            year=int(fields["year"]) if fields["year"] else None,
            genres=tuple(g for g in fields["genres"].split("|") if g),
            mean_rating=float(fields["mean"]),
            rating_count=int(fields["count"]),
            histogram=histogram,  # type: ignore[arg-type]
            imdb_id=fields.get("imdb") or None,  # absent from cards written before links were kept
        )


def build_cards(dataset: Dataset) -> list[MovieCard]:
    r = dataset.ratings
    movie_ids = np.array(sorted(dataset.movies), dtype=np.int64)
    position = np.searchsorted(movie_ids, r.movie_ids)
    # Half stars go to the star above (4.5 with the fives, 0.5 with the ones); the mean is exact.
    stars = np.clip(np.floor(r.ratings.astype(np.float64) + 0.5).astype(np.int64), 1, 5)
    histogram = np.bincount(position * 5 + stars - 1, minlength=len(movie_ids) * 5).reshape(-1, 5)
    counts = histogram.sum(axis=1)
    sums = np.bincount(position, weights=r.ratings.astype(np.float64), minlength=len(movie_ids))
    cards = []
    for i, movie_id in enumerate(movie_ids):
        movie = dataset.movies[int(movie_id)]
        cards.append(
            MovieCard(
                movie_id=int(movie_id),
                title=movie.title,
                year=movie.year,
                genres=movie.genres,
                mean_rating=float(sums[i] / counts[i]) if counts[i] else 0.0,
                rating_count=int(counts[i]),
                histogram=tuple(int(n) for n in histogram[i]),  # type: ignore[arg-type]
                imdb_id=dataset.links.get(int(movie_id)),
            )
        )
    return cards


def redis_step(what: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Any redis-py failure inside a CardStore method leaves it as RedisUnavailable naming `what`."""

    def decorate(method: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(method)
        def call(self: CardStore, *args: object, **kwargs: object) -> R:
            try:
                return method(self, *args, **kwargs)
            except redis.RedisError as exc:
                raise RedisUnavailable(
                    f"Redis at {describe_client(self.client)}: {what} failed ({one_line(exc) or type(exc).__name__}); "
                    "check that Redis is running (MOVIEREC_REDIS_URL, or the embedded one: restart movierec-tui)"
                ) from exc

        return call

    return decorate


def describe_client(client: redis.Redis) -> str:
    """host:port/db (or the socket path) of a client, for messages."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return str(kwargs["path"])
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


class CardStore:
    def __init__(self, client: redis.Redis, profile_namespace: str = "", profile_ttl: int = 0) -> None:
        """`profile_namespace` keeps the saved profiles of one served session (or one SSH key) apart from
        everyone else's in a shared Redis; "" is the local user's own space, `profile:NAME`.
        `profile_ttl` (seconds, 0 = forever) lets profiles nobody can come back to expire, such as
        those of anonymous sessions."""
        self.client = client
        self.profile_ttl = profile_ttl
        self.profile_prefix = f"profile@{profile_namespace}:" if profile_namespace else PROFILE_PREFIX
        self.last_profile_key = f"{LAST_PROFILE_KEY}@{profile_namespace}" if profile_namespace else LAST_PROFILE_KEY

    @redis_step("writing the movie cards")
    def write_cards(self, cards: Sequence[MovieCard], progress=None) -> None:
        """Pipelined batches; stale cards of movies no longer in the dataset are removed.

        Each batch is one MULTI/EXEC, so a writer killed mid-batch leaves every card whole (old or new),
        never deleted and not yet rewritten."""
        wanted = {f"{CARD_PREFIX}{c.movie_id}" for c in cards}
        for start in range(0, len(cards), WRITE_BATCH):
            pipe = self.client.pipeline(transaction=True)
            for card in cards[start : start + WRITE_BATCH]:
                key = f"{CARD_PREFIX}{card.movie_id}"
                pipe.delete(key)
                pipe.hset(key, mapping=card.to_hash())
            pipe.execute()
            if progress is not None:
                progress(min(start + WRITE_BATCH, len(cards)), len(cards))
        stale = [k for k in self.client.scan_iter(match=f"{CARD_PREFIX}*", count=SCAN_BATCH) if k not in wanted]
        if stale:
            self.client.delete(*stale)

    @redis_step("reading movie cards")
    def get_cards(self, movie_ids: Iterable[int]) -> dict[int, MovieCard]:
        """One round trip for any number of ids; ids without a card are left out."""
        ids = list(movie_ids)
        if not ids:
            return {}
        pipe = self.client.pipeline(transaction=False)
        for movie_id in ids:
            pipe.hgetall(f"{CARD_PREFIX}{movie_id}")
        return {
            movie_id: MovieCard.from_hash(movie_id, fields)
            for movie_id, fields in zip(ids, pipe.execute(), strict=True)
            if fields
        }

    @redis_step("reading the movie cards")
    def all_cards(self) -> list[MovieCard]:
        keys = self.client.scan_iter(match=f"{CARD_PREFIX}*", count=SCAN_BATCH)
        ids = sorted(int(k[len(CARD_PREFIX) :]) for k in keys)
        cards = self.get_cards(ids)
        return [cards[i] for i in ids if i in cards]

    @redis_step("counting the movie cards")
    def count(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=f"{CARD_PREFIX}*", count=SCAN_BATCH))

    @redis_step("reading the meta record")
    def meta(self) -> dict[str, str]:
        return self.client.hgetall(META_KEY)

    @redis_step("writing the meta record")
    def set_meta(self, **fields: str) -> None:
        self.client.hset(META_KEY, mapping=fields)

    def profile_key(self, name: str) -> str:
        """The Redis key of the profile saved as `name`, in this store's namespace."""
        return f"{self.profile_prefix}{name}"

    @redis_step("saving the profile")
    def save_profile(self, name: str, profile_json: str) -> None:
        self.client.set(self.profile_key(name), profile_json, ex=self.profile_ttl or None)

    @redis_step("loading the profile")
    def load_profile(self, name: str) -> str | None:
        return self.client.get(f"{self.profile_prefix}{name}")

    @redis_step("deleting the profile")
    def delete_profile(self, name: str) -> bool:
        """Whether there was a profile of that name to delete."""
        return bool(self.client.delete(f"{self.profile_prefix}{name}"))

    @redis_step("a ping")
    def ping(self) -> None:
        """Whether Redis answers: returns, or raises RedisUnavailable."""
        self.client.ping()

    @redis_step("moving an unreadable profile aside")
    def quarantine_profile(self, name: str, raw: str) -> str | None:
        """Move an unreadable record aside for inspection, so that no later save overwrites it.

        Renamed atomically, and only if it still holds `raw` (nobody saved a good one meanwhile);
        returns the key it is kept under, or None if it changed."""
        key = f"{self.profile_prefix}{name}"
        kept = f"{CORRUPT_PREFIX}{key}:{int(time.time() * 1000)}"
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(key)
                if pipe.get(key) != raw:
                    return None
                pipe.multi()
                pipe.rename(key, kept)
                pipe.execute()
            except redis.WatchError:
                return None
        return kept

    @redis_step("listing the saved profiles")
    def profile_names(self) -> list[str]:
        prefix = self.profile_prefix
        # The match is applied to each batch of the whole keyspace (every card is a key): at SCAN's
        # default of 10 keys a call, listing the profiles took ~400 round trips, a second of a served
        # session's start when 16 started together.
        matching = self.client.scan_iter(match=f"{_glob_escape(prefix)}*", count=SCAN_BATCH)
        return sorted(k[len(prefix) :] for k in matching)

    @redis_step("remembering the last profile")
    def remember_last_profile(self, name: str) -> None:
        """Within this store's namespace (one per SSH key when served), expiring with its profiles."""
        self.client.set(self.last_profile_key, name, ex=self.profile_ttl or None)

    @redis_step("reading the last profile's name")
    def last_profile_name(self) -> str | None:
        return self.client.get(self.last_profile_key)
