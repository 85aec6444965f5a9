"""Per-stage latency of one recommendation on the real data, next to an in-process numpy floor.

Usage: python benchmarks/latency.py [--profiles 1000] [--k 10] [--milvus-uri http://host:19530] [--json FILE]
Needs a home where `movierec-tui setup` has run (MOVIEREC_HOME or the default). Random profiles:
demographics plus 0-20 ratings of movies drawn by popularity. Prints p50/p99 per stage, with and
without filters; the numpy brute-force search over the same vectors is the floor Milvus is
compared against, measured in the same run.

With --milvus-uri the same profiles also run against that Milvus (a server, whose index was written
from this home with `MOVIEREC_MILVUS_URI=... movierec-tui index`), alternating with the home's own
Milvus (Milvus Lite) profile by profile, so that both columns come from one run on the same load.
--json FILE also writes the numbers, for benchmarks/alternate.py (e.g. two checkouts, or two
versions of a library, that cannot share one process).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from movierec_tui.config import load_settings
from movierec_tui.data_loader.dataset import AGE_BUCKETS, GENRES, OCCUPATIONS
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile

STAGES = ("encode", "match", "search", "cards", "total")


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
    parser.add_argument("--milvus-uri", help="also run against this Milvus (e.g. a server), alternating")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    settings = load_settings()
    rng = np.random.default_rng(0)
    backends = {"Lite" if settings.uses_milvus_lite else "home's Milvus": Recommender(settings)}
    if args.milvus_uri:
        backends["server" if not args.milvus_uri.endswith(".db") else args.milvus_uri] = Recommender(
            settings.with_overrides(milvus_uri=args.milvus_uri)
        )
    first = next(iter(backends.values()))
    try:
        cards = first.backends.cards.all_cards()
        movie_ids = np.array([c.movie_id for c in cards], dtype=np.int64)
        popularity = np.array([c.rating_count for c in cards], dtype=np.float64) + 1
        table = first.movies
        for warm in random_profiles(rng, movie_ids, popularity, 20, True):
            for recommender in backends.values():
                recommender.recommend(warm, args.k)
        rows = []
        for filtered in (False, True):
            stages = {(name, stage): [] for name in backends for stage in STAGES}
            floor: list[float] = []
            for i, profile in enumerate(random_profiles(rng, movie_ids, popularity, args.profiles, filtered)):
                order = list(backends.items())
                for name, recommender in order[i % len(order):] + order[: i % len(order)]:
                    recommender.recommend(profile, args.k)
                    for stage in STAGES:
                        stages[name, stage].append(getattr(recommender.last_timings, stage))
                vector, _ = first.encoder.encode(profile.gender, profile.age, profile.occupation, profile.ratings)
                started = time.perf_counter()
                numpy_floor(table.vectors, table.movie_ids, vector, profile, args.k)
                floor.append((time.perf_counter() - started) * 1e3)
            label = "with filters" if filtered else "no filters"
            for stage in STAGES:
                rows.append((label, stage, [percentiles(stages[name, stage]) for name in backends]))
            rows.append((label, "numpy floor", [percentiles(floor)] * len(backends)))
    finally:
        for recommender in backends.values():
            recommender.close()
    where = ", ".join(f"{name}: {r.backends.milvus.uri}" for name, r in backends.items())
    if args.json:
        records = [
            {"profiles": label, "stage": stage, "milvus": name, "p50": p50, "p99": p99}
            for label, stage, values in rows
            for name, (p50, p99) in zip(backends, values, strict=True)
        ]
        args.json.write_text(json.dumps({"where": where, "records": records}, indent=1))
    out = Table(title=f"{args.profiles} random profiles, k={args.k}; {where}")
    out.add_column("profiles")
    out.add_column("stage")
    for name in backends:
        out.add_column(f"{name} p50 ms", justify="right")
        out.add_column(f"{name} p99 ms", justify="right")
    for label, stage, values in rows:
        out.add_row(label, stage, *[f"{v:.3f}" for p50_p99 in values for v in p50_p99])
    Console(width=160).print(out)


if __name__ == "__main__":
    main()
