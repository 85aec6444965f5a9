"""Writing a dataset in the ml-latest layout (movies.csv, ratings.csv, links.csv), as GroupLens ships
ML-20M/25M/32M: titles carry "(year)", genres say "Children" and "(no genres listed)", ratings are
"4.0"/"3.5". `benchmarks/scale.py` writes its generated catalogues with it, and the tests check
that ML-1M written this way loads into the same model inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from movierec_tui.data_loader.dataset import NO_GENRES, Movie, Ratings

_LATEST_SPELLING = {"Children's": "Children"}
RATINGS_CHUNK = 2_000_000  # rows per to_csv call: bounds the memory of the formatted text


def latest_title(movie: Movie) -> str:
    return movie.title if movie.year is None else f"{movie.title} ({movie.year})"


def write_latest(folder: Path, movies: dict[int, Movie], ratings: Ratings, links: dict[int, str] | None = None) -> Path:
    """Write movies.csv, ratings.csv and (if `links`) links.csv into `folder`; returns `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ordered = [movies[m] for m in sorted(movies)]
    pd.DataFrame(
        {
            "movieId": [m.movie_id for m in ordered],
            "title": [latest_title(m) for m in ordered],
            "genres": ["|".join(_LATEST_SPELLING.get(g, g) for g in m.genres) or NO_GENRES for m in ordered],
        }
    ).to_csv(folder / "movies.csv", index=False, lineterminator="\n")
    write_latest_ratings(folder / "ratings.csv", ratings)
    if links is not None:
        pd.DataFrame(
            {
                "movieId": sorted(links),
                "imdbId": [links[m].removeprefix("tt") for m in sorted(links)],
                "tmdbId": "",
            }
        ).to_csv(folder / "links.csv", index=False, lineterminator="\n")
    return folder


def write_latest_ratings(path: Path, ratings: Ratings) -> None:
    """ratings.csv with its header, written by pyarrow (about ten times faster than `to_csv` with
    float formatting: 32 million lines in about half a minute); the ratings go through a dictionary
    of the ten half-star labels, so "4.0" is written as GroupLens writes it."""
    labels = pa.array([f"{half / 2:.1f}" for half in range(11)])
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    with path.open("wb") as out:
        out.write(b"userId,movieId,rating,timestamp\n")
        for start in range(0, len(ratings), RATINGS_CHUNK):
            stop = start + RATINGS_CHUNK
            halves = np.rint(np.asarray(ratings.ratings[start:stop], dtype=np.float64) * 2).astype(np.int8)
            table = pa.table(
                {
                    "userId": ratings.user_ids[start:stop],
                    "movieId": ratings.movie_ids[start:stop],
                    "rating": pa.DictionaryArray.from_arrays(pa.array(halves), labels),
                    "timestamp": ratings.timestamps[start:stop],
                }
            )
            pa_csv.write_csv(table, out, options)
