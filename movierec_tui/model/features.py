"""Static movie features and the id <-> row mapping shared by training, export and serving.

Movies are addressed by a dense row index (1..M, 0 = padding) inside the model; MovieLens ids have
gaps. The mapping, the catalogue's genre list and the title vocabulary are saved next to the
exported model because the serving side must turn a person's rated movie ids into exactly the rows
the model was trained on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import AGE_BUCKETS, OCCUPATIONS, Dataset, catalogue_genres

# Release years, bucketed finely where MovieLens 1M's catalogue is dense (the 1990s) and every two
# years after it, up to the newest releases (MovieLens 32M ends in 2023). A movie without a year
# has a bucket of its own (UNKNOWN_YEAR_BUCKET).
YEAR_EDGES = (
    1930, 1940, 1950, 1960, 1970, 1980, 1985, 1990, 1993, 1995, 1996, 1997, 1998, 1999, 2000,
    2002, 2004, 2006, 2008, 2010, 2012, 2014, 2016, 2018, 2020, 2022,
)  # fmt: skip
UNKNOWN_YEAR_BUCKET = len(YEAR_EDGES) + 1
YEAR_BUCKETS = len(YEAR_EDGES) + 2
MAX_TITLE_TOKENS = 8
AGE_INDEX = {age: i for i, age in enumerate(sorted(AGE_BUCKETS))}
# Each demographic field has one more index than it has values: "unknown" (a person who did not
# say, or a dataset without demographics) is a value the model learns, not a default bucket.
GENDER_SLOTS = 3  # M, F, unknown
AGE_SLOTS = len(AGE_BUCKETS) + 1
OCCUPATION_SLOTS = max(OCCUPATIONS) + 2
UNKNOWN_GENDER, UNKNOWN_AGE, UNKNOWN_OCCUPATION = GENDER_SLOTS - 1, AGE_SLOTS - 1, OCCUPATION_SLOTS - 1
_STOPWORDS = {"the", "a", "an", "of", "and", "in", "to", "la", "le", "les", "de", "on"}


def demographic_indices(gender: str | None, age: int | None, occupation: int | None) -> tuple[int, int, int]:
    """(gender, age, occupation) as the models' indices; None (or a value the model does not know)
    is each field's "unknown" index."""
    return (
        {"M": 0, "F": 1}.get(gender or "", UNKNOWN_GENDER),
        AGE_INDEX.get(age, UNKNOWN_AGE) if age is not None else UNKNOWN_AGE,
        occupation if occupation is not None and 0 <= occupation < UNKNOWN_OCCUPATION else UNKNOWN_OCCUPATION,
    )


def title_tokens(title: str) -> list[str]:
    return [t for t in re.findall(r"[a-z0-9]+", title.lower()) if t not in _STOPWORDS]


def year_bucket(year: int | None) -> int:
    if year is None:
        return UNKNOWN_YEAR_BUCKET
    return int(np.searchsorted(YEAR_EDGES, year, side="right"))


@dataclass
class MovieFeatures:
    movie_ids: np.ndarray  # int64 [M]; row i+1 of every table is movie_ids[i]
    genre_multi_hot: np.ndarray  # float32 [M+1, len(genres)]
    title_token_ids: np.ndarray  # int64 [M+1, MAX_TITLE_TOKENS], 0 = padding
    year_buckets: np.ndarray  # int64 [M+1]
    vocabulary: list[str]  # title tokens; id = position + 1
    genres: list[str]  # the catalogue's genre list: column j of genre_multi_hot is genres[j]

    @property
    def num_rows(self) -> int:
        return len(self.movie_ids) + 1

    def rows_for(self, movie_ids: np.ndarray) -> np.ndarray:
        """Map MovieLens ids to model rows; unknown ids map to 0 (padding, ignored by the model)."""
        positions = np.searchsorted(self.movie_ids, movie_ids)
        positions = np.minimum(positions, len(self.movie_ids) - 1)  # never negative; np.clip is slower
        found = self.movie_ids[positions] == movie_ids
        return np.where(found, positions + 1, 0).astype(np.int64)

    def save(self, directory: Path) -> None:
        np.savez(
            directory / "movie_features.npz",
            movie_ids=self.movie_ids,
            genre_multi_hot=self.genre_multi_hot,
            title_token_ids=self.title_token_ids,
            year_buckets=self.year_buckets,
        )
        (directory / "title_vocabulary.json").write_text(json.dumps(self.vocabulary), encoding="utf-8")
        (directory / "genres.json").write_text(json.dumps(self.genres), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> MovieFeatures:
        with np.load(directory / "movie_features.npz") as arrays:
            fields = {name: arrays[name] for name in arrays.files}
        vocabulary = json.loads((directory / "title_vocabulary.json").read_text(encoding="utf-8"))
        genres = json.loads((directory / "genres.json").read_text(encoding="utf-8"))
        return cls(vocabulary=vocabulary, genres=genres, **fields)


def build_movie_features(dataset: Dataset, min_token_count: int = 2) -> MovieFeatures:
    movie_ids = np.array(sorted(dataset.movies), dtype=np.int64)
    counts: dict[str, int] = {}
    tokens_by_movie = {}
    for movie_id in movie_ids:
        tokens = title_tokens(dataset.movies[int(movie_id)].title)
        tokens_by_movie[int(movie_id)] = tokens
        for token in set(tokens):
            counts[token] = counts.get(token, 0) + 1
    vocabulary = sorted(t for t, c in counts.items() if c >= min_token_count)
    token_id = {t: i + 1 for i, t in enumerate(vocabulary)}
    rows = len(movie_ids) + 1
    genres = catalogue_genres(dataset.movies)
    genre_multi_hot = np.zeros((rows, max(1, len(genres))), dtype=np.float32)
    title_token_ids = np.zeros((rows, MAX_TITLE_TOKENS), dtype=np.int64)
    year_buckets = np.zeros(rows, dtype=np.int64)
    genre_index = {g: i for i, g in enumerate(genres)}
    for row, movie_id in enumerate(movie_ids, start=1):
        movie = dataset.movies[int(movie_id)]
        for genre in movie.genres:
            genre_multi_hot[row, genre_index[genre]] = 1.0
        ids = [token_id[t] for t in tokens_by_movie[int(movie_id)] if t in token_id][:MAX_TITLE_TOKENS]
        title_token_ids[row, : len(ids)] = ids
        year_buckets[row] = year_bucket(movie.year)
    return MovieFeatures(movie_ids, genre_multi_hot, title_token_ids, year_buckets, vocabulary, genres)
