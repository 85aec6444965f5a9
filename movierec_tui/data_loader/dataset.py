"""The in-memory dataset every later step (cards, training, evaluation) consumes, whichever
MovieLens release (or own data) it was read from.

Ratings are kept as parallel numpy arrays rather than objects: 32 million Python objects would cost
minutes and gigabytes, while the training and evaluation code wants arrays anyway. What a release
does not know is None (a user's demographics, a movie's year), never a made-up default: the model
treats "unknown" as a value of its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

# The shared vocabulary lives in catalogue.py (importable without this loader); re-exported here.
from movierec_tui.catalogue import AGE_BUCKETS, GENDERS, GENRES, LIKED_THRESHOLD, OCCUPATIONS  # noqa: F401

# ml-latest and ML-20M+ spell it without the apostrophe; the app's canonical name has it.
GENRE_ALIASES: dict[str, str] = {"Children": "Children's"}
NO_GENRES = "(no genres listed)"  # what ml-latest writes for a movie without genres
RATING_MIN, RATING_MAX = 0.5, 5.0  # half stars; whole-star releases use 1.0..5.0


@dataclass(frozen=True, slots=True)
class Movie:
    movie_id: int
    title: str  # as shipped, without the "(year)" suffix, e.g. "Matrix, The"
    year: int | None  # None: the title carries no year
    genres: tuple[str, ...]  # may be empty ("(no genres listed)"); may go beyond GENRES


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    gender: str | None  # "M", "F" or None (unknown)
    age: int | None  # an AGE_BUCKETS key or None
    occupation: int | None  # an OCCUPATIONS code or None
    zip_code: str = ""


@dataclass(slots=True)
class Ratings:
    """Parallel arrays, one entry per rating, in file order."""

    user_ids: np.ndarray  # int32
    movie_ids: np.ndarray  # int32
    ratings: np.ndarray  # float32, 0.5..5.0 in half stars
    timestamps: np.ndarray  # int64, seconds since epoch

    def __len__(self) -> int:
        return len(self.ratings)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """What the catalogue is, for `status`, the app's header and "the catalogue ends in 2000" hints."""

    name: str  # "MovieLens 1M", "MovieLens 32M", "your own data"
    movies: int
    year_min: int | None  # None when no movie has a year
    year_max: int | None

    def years(self) -> str:
        if self.year_min is None or self.year_max is None:
            return "no years"
        return f"{self.year_min}-{self.year_max}"

    def describe(self) -> str:
        """ "MovieLens 1M, 3,883 movies, 1919-2000"."""
        return f"{self.name}, {self.movies:,} movies, {self.years()}"

    def to_meta(self) -> dict[str, str]:
        """The fields setup records in the Redis `meta` hash."""
        return {
            "catalogue_name": self.name,
            "catalogue_movies": str(self.movies),
            "catalogue_year_min": "" if self.year_min is None else str(self.year_min),
            "catalogue_year_max": "" if self.year_max is None else str(self.year_max),
        }

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> Catalogue | None:
        """The catalogue recorded by setup, or None for a home set up before it was recorded."""
        if "catalogue_name" not in meta:
            return None
        try:
            movies = int(meta.get("catalogue_movies") or 0)
            low, high = meta.get("catalogue_year_min") or "", meta.get("catalogue_year_max") or ""
            return cls(meta["catalogue_name"], movies, int(low) if low else None, int(high) if high else None)
        except ValueError:
            return None


def describe_catalogue(movies: dict[int, Movie], name: str) -> Catalogue:
    years = [m.year for m in movies.values() if m.year is not None]
    return Catalogue(name, len(movies), min(years) if years else None, max(years) if years else None)


def catalogue_genres(movies: Iterable[Movie] | dict[int, Movie]) -> list[str]:
    """The catalogue's genre list: the canonical GENRES present first (in that order), then any other
    genre sorted by name. Every consumer that needs a genre order (model features, filters) uses it."""
    values = movies.values() if isinstance(movies, dict) else movies
    present = {genre for movie in values for genre in movie.genres}
    return [g for g in GENRES if g in present] + sorted(present.difference(GENRES))


def duplicate_titles(movies: dict[int, Movie]) -> list[tuple[str, int | None, list[int]]]:
    """(title, year, ids) for every title and year shared by several movies, e.g. ML-100K's two
    "Chasers (1994)". Setup warns about them; `--rate "id:N=5"` reaches each one."""
    groups: dict[tuple[str, int | None], list[int]] = {}
    for movie in movies.values():
        groups.setdefault((movie.title.casefold(), movie.year), []).append(movie.movie_id)
    return [
        (movies[ids[0]].title, year, sorted(ids))
        for (_, year), ids in sorted(groups.items(), key=lambda kv: min(kv[1]))
        if len(ids) > 1
    ]


@dataclass(slots=True)
class Dataset:
    users: dict[int, User]
    movies: dict[int, Movie]
    ratings: Ratings
    source: str = ""  # where it was loaded from, for messages only
    fingerprint: str = field(default="")
    links: dict[int, str] = field(default_factory=dict)  # movie id -> IMDb id "tt0114709", where known
    catalogue: Catalogue | None = None  # filled in from the movies when not given

    def __post_init__(self) -> None:
        if self.catalogue is None:
            self.catalogue = describe_catalogue(self.movies, "MovieLens-format data")
        if not self.fingerprint:
            self.fingerprint = content_fingerprint(self)


def content_fingerprint(dataset: Dataset) -> str:
    """A hash of the content, not of the archive bytes.

    Two archives with the same ratings in a different line order are the same dataset, so the rating
    arrays are sorted before hashing; this keeps `setup` from retraining on a re-packed copy (or on
    the same ratings in another layout: ML-1M as .dat or as ml-latest CSVs hashes the same).
    """
    return fingerprint_of(dataset.users, dataset.movies, dataset.ratings)


def pair_keys(user_ids: np.ndarray, movie_ids: np.ndarray) -> np.ndarray:
    """One int64 per (user, movie), ordered as (user, movie): ids are int32, so no overflow."""
    return user_ids.astype(np.int64) * (int(movie_ids.max(initial=0)) + 1) + movie_ids


def fingerprint_of(
    users: dict[int, User], movies: dict[int, Movie], r: Ratings, order: np.ndarray | None = None
) -> str:
    """`content_fingerprint`'s hash; `order` is the ratings sorted by (user, movie) when the caller
    has it already (the loader sorts them to find a pair rated twice)."""
    digest = hashlib.sha256()
    if order is None:
        order = np.argsort(pair_keys(r.user_ids, r.movie_ids))  # pairs are unique: any sort is the same
    values = np.asarray(r.ratings, dtype=np.float64)
    if np.array_equal(values, np.rint(values)):  # whole stars hash as before half stars: ML-1M keeps its fingerprint
        stars = values
    else:
        digest.update(b"half stars")
        stars = np.rint(values * 2)
    del values
    for array in (r.user_ids, r.movie_ids, stars, r.timestamps):
        digest.update(array[order].astype("<i8"))
    for movie_id in sorted(movies):
        movie = movies[movie_id]
        digest.update(f"{movie_id}|{movie.title}|{movie.year}|{','.join(movie.genres)}\n".encode())
    for user_id in sorted(users):
        user = users[user_id]
        digest.update(f"{user_id}|{user.gender}|{user.age}|{user.occupation}\n".encode())
    return digest.hexdigest()[:16]
