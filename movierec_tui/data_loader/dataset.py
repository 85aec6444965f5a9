"""The in-memory MovieLens dataset every later step (cards, training, evaluation) consumes.

Ratings are kept as parallel numpy arrays rather than objects: a million Python objects would cost
seconds and hundreds of megabytes, while the training and evaluation code wants arrays anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

AGE_BUCKETS: dict[int, str] = {
    1: "Under 18",
    18: "18-24",
    25: "25-34",
    35: "35-44",
    45: "45-49",
    50: "50-55",
    56: "56+",
}

OCCUPATIONS: dict[int, str] = {
    0: "other",
    1: "academic/educator",
    2: "artist",
    3: "clerical/admin",
    4: "college/grad student",
    5: "customer service",
    6: "doctor/health care",
    7: "executive/managerial",
    8: "farmer",
    9: "homemaker",
    10: "K-12 student",
    11: "lawyer",
    12: "programmer",
    13: "retired",
    14: "sales/marketing",
    15: "scientist",
    16: "self-employed",
    17: "technician/engineer",
    18: "tradesman/craftsman",
    19: "unemployed",
    20: "writer",
}

GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

GENDERS: tuple[str, ...] = ("M", "F")


@dataclass(frozen=True, slots=True)
class Movie:
    movie_id: int
    title: str  # as shipped, without the "(year)" suffix, e.g. "Matrix, The"
    year: int
    genres: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    gender: str  # "M" or "F"
    age: int  # one of AGE_BUCKETS
    occupation: int  # one of OCCUPATIONS
    zip_code: str


@dataclass(slots=True)
class Ratings:
    """Parallel arrays, one entry per rating, in file order."""

    user_ids: np.ndarray  # int32
    movie_ids: np.ndarray  # int32
    ratings: np.ndarray  # int8, 1..5
    timestamps: np.ndarray  # int64, seconds since epoch

    def __len__(self) -> int:
        return len(self.ratings)


@dataclass(slots=True)
class Dataset:
    users: dict[int, User]
    movies: dict[int, Movie]
    ratings: Ratings
    source: str = ""  # where it was loaded from, for messages only
    fingerprint: str = field(default="")

    def __post_init__(self) -> None:
        if not self.fingerprint:
            self.fingerprint = content_fingerprint(self)


def content_fingerprint(dataset: Dataset) -> str:
    """A hash of the content, not of the archive bytes.

    Two archives with the same ratings in a different line order are the same dataset, so the rating
    arrays are sorted before hashing; this keeps `setup` from retraining on a re-packed copy.
    """
    digest = hashlib.sha256()
    r = dataset.ratings
    order = np.lexsort((r.movie_ids, r.user_ids))
    for array in (r.user_ids[order], r.movie_ids[order], r.ratings[order], r.timestamps[order]):
        digest.update(np.ascontiguousarray(array).astype("<i8").tobytes())
    for movie_id in sorted(dataset.movies):
        movie = dataset.movies[movie_id]
        digest.update(f"{movie_id}|{movie.title}|{movie.year}|{','.join(movie.genres)}\n".encode())
    for user_id in sorted(dataset.users):
        user = dataset.users[user_id]
        digest.update(f"{user_id}|{user.gender}|{user.age}|{user.occupation}\n".encode())
    return digest.hexdigest()[:16]
