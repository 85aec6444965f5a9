"""Per-stage latency of one recommendation on the real data, next to an in-process numpy floor.

Usage: python benchmarks/latency.py [--profiles 1000] [--k 10]
Needs a home where `movierec-tui setup` has run (MOVIEREC_HOME or the default). Random profiles:
demographics plus 0-20 ratings of movies drawn by popularity. Prints p50/p99 per stage, with and
without filters; the numpy brute-force search over the same vectors is the floor Milvus is
compared against, measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from movierec_tui.config import load_settings
from movierec_tui.data_loader.dataset import AGE_BUCKETS, GENRES, OCCUPATIONS
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile


def random_profiles(rng: np.random.Generator, movie_ids: np.ndarray, popularity: np.ndarray, n: int, filtered: bool):
    p = popularity / popularity.sum()
    for _ in range(n):
        count = int(rng.integers(0, 21))
        rated = rng.choice(movie_ids, size=count, replace=False, p=p)
        profile = Profile(
            gender=str(rng.choice(["M", "F"])),
            age=int(rng.choice(list(AGE_BUCKETS))),
            occupation=int(rng.integers(len(OCCUPATIONS))),
            ratings={int(m): int(rng.integers(1, 6)) for m in rated},
        )
        if filtered:
            profile.genres_out = [str(rng.choice(GENRES))]
            if rng.random() < 0.5:
                profile.genres_in = [str(rng.choice(GENRES))]
            start = int(rng.integers(1930, 1995))
            profile.year_min, profile.year_max = start, start + int(rng.integers(5, 40))
        yield profile


def numpy_floor(vectors: np.ndarray, movie_ids: np.ndarray, vector: np.ndarray, profile: Profile, k: int) -> list[int]:
    scores = vectors @ vector
    excluded = np.isin(movie_ids, list({*profile.ratings, *profile.dismissed}))
    scores[excluded] = -np.inf
    top = np.argpartition(-scores, k)[:k]
    return movie_ids[top[np.argsort(-scores[top])]].tolist()


def percentiles(values: list[float]) -> tuple[float, float]:
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    settings = load_settings()
    rng = np.random.default_rng(0)
    with Recommender(settings) as recommender:
        cards = recommender.backends.cards.all_cards()
        movie_ids = np.array([c.movie_id for c in cards], dtype=np.int64)
        popularity = np.array([c.rating_count for c in cards], dtype=np.float64) + 1
        table = recommender.movies
        for warm in random_profiles(rng, movie_ids, popularity, 20, True):
            recommender.recommend(warm, args.k)
        rows = []
        for filtered in (False, True):
            stages: dict[str, list[float]] = {
                "encode": [], "match": [], "search": [], "cards": [], "total": [], "numpy": []
            }
            for profile in random_profiles(rng, movie_ids, popularity, args.profiles, filtered):
                recommender.recommend(profile, args.k)
                t = recommender.last_timings
                for name in ("encode", "match", "search", "cards", "total"):
                    stages[name].append(getattr(t, name))
                vector, _ = recommender.encoder.encode(profile.gender, profile.age, profile.occupation, profile.ratings)
                started = time.perf_counter()
                numpy_floor(table.vectors, table.movie_ids, vector, profile, args.k)
                stages["numpy"].append((time.perf_counter() - started) * 1e3)
            label = "with filters" if filtered else "no filters"
            for name, values in stages.items():
                p50, p99 = percentiles(values)
                rows.append((label, name, p50, p99))
            search_p50 = percentiles(stages["search"])[0]
            rows.append((label, "search / numpy", search_p50 / percentiles(stages["numpy"])[0], None))
    out = Table(title=f"{args.profiles} random profiles, k={args.k}, Milvus {settings.effective_milvus_uri}")
    for column in ("profiles", "stage", "p50 ms", "p99 ms"):
        out.add_column(column, justify="right" if "ms" in column else "left")
    for label, name, p50, p99 in rows:
        if p99 is None:
            out.add_row(label, name, f"{p50:.1f}x", "")
        else:
            out.add_row(label, name, f"{p50:.3f}", f"{p99:.3f}")
    Console().print(out)


if __name__ == "__main__":
    main()
