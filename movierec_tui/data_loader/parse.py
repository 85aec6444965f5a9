"""Loading any MovieLens release, or own data, into a `Dataset`: find the files, tell the layout,
read each file with pandas, check it in bulk, and build the arrays and records.

Any bad line stops loading with `file:line: what is wrong` (a DataError); nothing is written by
this module, so a failure leaves whatever setup had before untouched.

| layout      | files                                                 | users            | ratings      |
|-------------|-------------------------------------------------------|------------------|--------------|
| ML-100K     | u.data (tab), u.item ('|', 19 genre flags), u.user     | raw age, names   | 1..5         |
| ML-1M       | ratings.dat, movies.dat, users.dat ('::', latin-1)     | codes            | 1..5         |
| ML-10M      | ratings.dat, movies.dat ('::')                         | none             | 0.5..5       |
| ml-latest   | ratings.csv, movies.csv, links.csv (ML-20M/25M/32M)    | none             | 0.5..5       |
| own data    | ratings.csv, movies.csv, users.csv (optional)          | optional, either | 0.5..5       |
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from movierec_tui.data_loader import records
from movierec_tui.data_loader.dataset import Dataset, Movie, Ratings, User, describe_catalogue, fingerprint_of
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.ratings import check_values, read_ratings
from movierec_tui.data_loader.sources import ML_1M, ML_10M, ML_100K, SourceFile, find_dataset
from movierec_tui.data_loader.table import clip, csv_header

LATEST_RATINGS = ("userid", "movieid", "rating", "timestamp")
OWN_RATINGS = ("user_id", "movie_id", "rating", "timestamp")
OWN_DATA = "your own data"


def load_dataset(path: Path) -> Dataset:
    """Load and validate the dataset at `path`: a release's zip, its extracted folder, or a folder
    of own data (see the README's formats table)."""
    path = Path(path)
    found = find_dataset(path)
    files = found.files
    links: dict[int, str] = {}
    if found.layout is ML_100K:
        movies = records.u_item_movies(files["u.item"])
        users = records.u_user_users(files["u.user"]) if "u.user" in files else None
        rows = read_ratings(files["u.data"], "\t")
        ratings_file, strict_users, name = files["u.data"], users is not None, found.release_name("")
    elif found.layout in (ML_1M, ML_10M):
        movies = records.dat_movies(files["movies.dat"])
        users = records.dat_users(files["users.dat"]) if found.layout is ML_1M else None
        rows = read_ratings(files["ratings.dat"], "::")
        ratings_file, strict_users, name = files["ratings.dat"], users is not None, found.release_name("")
    else:
        ratings_file = files["ratings.csv"]
        own = _is_own_data(ratings_file)
        movies = _csv_movies(files["movies.csv"])
        users = records.own_users(files["users.csv"]) if own and "users.csv" in files else None
        if not own and "links.csv" in files:
            links = records.latest_links(files["links.csv"], movies)
        rows = read_ratings(ratings_file, ",", OWN_RATINGS if own else LATEST_RATINGS)
        strict_users = False  # own data: users.csv gives demographics to those who have them
        name = OWN_DATA if own else found.release_name("MovieLens (latest format)")
    movie_ids = np.array(sorted(movies), dtype=np.int64)
    known_users = np.array(sorted(users), dtype=np.int64) if strict_users and users is not None else None
    order = check_values(ratings_file, rows, movie_ids, known_users, "the users file")
    ratings = Ratings(  # no copies when the fast path read them in these types already
        user_ids=rows.user_ids.astype(np.int32, copy=False),
        movie_ids=rows.movie_ids.astype(np.int32, copy=False),
        ratings=rows.ratings.astype(np.float32, copy=False),
        timestamps=np.ascontiguousarray(rows.timestamps, dtype=np.int64),
    )
    del rows, files, found, ratings_file  # the file's bytes (up to a gigabyte) are not needed any more
    everyone = _all_users(users, ratings.user_ids)
    return Dataset(
        users=everyone,
        movies=movies,
        ratings=ratings,
        source=str(path),
        fingerprint=fingerprint_of(everyone, movies, ratings, order),
        links=links,
        catalogue=describe_catalogue(movies, name),
    )


def _is_own_data(source: SourceFile) -> bool:
    """ratings.csv's header says which: MovieLens' camelCase, or own data's snake_case."""
    head = source.data.removeprefix(b"\xef\xbb\xbf")[:200].decode("latin-1").partition("\n")[0]
    names, _ = csv_header(source, head)
    if tuple(names) == OWN_RATINGS:
        return True
    if tuple(names) == LATEST_RATINGS or not source.data.strip():
        return False
    expected = "userId,movieId,rating,timestamp (MovieLens) or user_id,movie_id,rating,timestamp (own data)"
    raise DataError(source.name, 1, f"header must be {expected}, got {clip(head.rstrip())!r}")


def _csv_movies(source: SourceFile) -> dict[int, Movie]:
    """movies.csv in ml-latest's layout (movieId,title,genres) or own data's (movie_id,title,year,genres)."""
    head = source.data.removeprefix(b"\xef\xbb\xbf")[:200].decode("latin-1").partition("\n")[0]
    names, _ = csv_header(source, head)
    reader: Callable[[SourceFile], dict[int, Movie]] = (
        records.latest_movies if names[:1] == ["movieid"] else records.own_movies
    )
    return reader(source)


def _all_users(users: dict[int, User] | None, rated_by: np.ndarray) -> dict[int, User]:
    """The users file's users, plus every user who only appears in the ratings (demographics unknown)."""
    everyone = dict(users or {})
    for user_id in np.sort(pd.unique(rated_by)).tolist():
        if user_id not in everyone:
            everyone[user_id] = User(user_id, None, None, None, "")
    return everyone

