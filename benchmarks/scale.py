"""Setup and one recommendation at 1x, 5x, 10x and 32x the size of MovieLens 1M.

Usage: python benchmarks/scale.py --sizes 1,5,10,32 --out DIR [--source ml-1m.zip] [--epochs N]

For each size it writes an ml-latest-layout dataset (movies.csv, ratings.csv, links.csv) with
movies, users and ratings in proportion to ML-1M, capped at MovieLens 32M's 87,585 movies,
200,000 users and 32 million ratings. The shapes are fitted to ML-1M at run time (nothing derived
from it is kept in the repository): each movie's share of the ratings, each user's number of
ratings, rating values (movie quality + user leniency + noise, in half stars), release years,
genre combinations and title words. Then, each in its own home dir (own embedded Redis, own
Milvus Lite): the parser alone (time, peak memory), `movierec-tui setup --from` (wall time, peak
memory of its process tree), the size of the Milvus data dir, and `recommend` p50/p99 over random
profiles in a warm process. Prints a table and writes DIR/scale.png and DIR/scale.json.

Resumable per size: a finished size's numbers are kept in DIR/results-Nx.json and not measured
again, a generated dataset is reused, and `setup` itself skips the steps it has done.
`--generate-only` writes the datasets and measures the generator and the parser, nothing else;
`--retime` times `recommend` again on the sizes already measured (after a code change or a re-index).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import Movie, Ratings
from movierec_tui.data_loader.export import write_latest
from movierec_tui.data_loader.parse import load_dataset

ML_1M = {"movies": 3_883, "users": 6_040, "ratings": 1_000_209}
ML_32M = {"movies": 87_585, "users": 200_000, "ratings": 32_000_000}
FIRST_STAMP, LAST_STAMP = 789_652_009, 1_697_155_200  # 1995-01-09 .. 2023-10-13, ML-32M's span
DONE = ".complete"


# -- the shapes of ML-1M -------------------------------------------------------------------------------


@dataclass
class Shapes:
    """What is drawn from, fitted to ML-1M: log-normal movie popularity and user activity (beyond the
    20 ratings every MovieLens user has), movie quality and user leniency spreads, rating noise."""

    popularity_mu: float
    popularity_sigma: float
    activity_mu: float
    activity_sigma: float
    mean_rating: float
    quality_sigma: float
    leniency_sigma: float
    noise_sigma: float
    years: np.ndarray  # one per ML-1M movie: sampled as they are
    genres: list[tuple[str, ...]]  # one combination per ML-1M movie
    words: list[str]  # title words, with their ML-1M frequency by repetition


def fit_shapes(source: Path) -> Shapes:
    data = load_dataset(source)
    r = data.ratings
    movie_counts = np.bincount(r.movie_ids)[r.movie_ids.min() :]
    movie_counts = movie_counts[movie_counts > 0]
    user_counts = np.bincount(r.user_ids)
    user_counts = user_counts[user_counts > 0]
    ratings = r.ratings.astype(np.float64)
    mean = float(ratings.mean())
    movie_mean = np.bincount(r.movie_ids, weights=ratings) / np.maximum(np.bincount(r.movie_ids), 1)
    user_mean = np.bincount(r.user_ids, weights=ratings) / np.maximum(np.bincount(r.user_ids), 1)
    rated_movies, rated_users = np.bincount(r.movie_ids) >= 20, np.bincount(r.user_ids) > 0
    residual = ratings - movie_mean[r.movie_ids] - user_mean[r.user_ids] + mean
    extra = np.log(np.maximum(user_counts - 19, 1))  # ratings beyond the 20 every MovieLens user has
    movies = list(data.movies.values())
    words = [w for m in movies for w in re.findall(r"[A-Za-z][A-Za-z']+", m.title)]
    return Shapes(
        popularity_mu=float(np.log(movie_counts).mean()),
        popularity_sigma=float(np.log(movie_counts).std()),
        activity_mu=float(extra.mean()),
        activity_sigma=float(extra.std()),
        mean_rating=mean,
        quality_sigma=float(movie_mean[rated_movies].std()),
        leniency_sigma=float(user_mean[rated_users].std()),
        noise_sigma=float(residual.std()),
        years=np.array([m.year or 1995 for m in movies]),
        genres=[m.genres for m in movies],
        words=words,
    )


# -- the generator ---------------------------------------------------------------------------------------


def counts_for(size: float) -> dict[str, int]:
    return {key: min(round(ML_1M[key] * size), ML_32M[key]) for key in ML_1M}


def generate(shapes: Shapes, size: float, seed: int = 0) -> tuple[dict[int, Movie], Ratings, dict[int, str]]:
    """Movies, ratings and IMDb links of a catalogue `size` times ML-1M's, in the shapes of ML-1M."""
    rng = np.random.default_rng(seed)
    n = counts_for(size)
    movie_ids = np.sort(rng.choice(np.arange(1, n["movies"] * 3), size=n["movies"], replace=False))  # with gaps
    years = rng.choice(shapes.years, size=n["movies"])
    genre_picks = rng.integers(len(shapes.genres), size=n["movies"])
    word_picks = rng.integers(len(shapes.words), size=(n["movies"], 4))
    lengths = rng.integers(1, 5, size=n["movies"])
    no_genres = rng.random(n["movies"]) < 0.02  # ml-latest's "(no genres listed)"
    imax = rng.random(n["movies"]) < 0.01
    movies = {}
    for i, movie_id in enumerate(movie_ids.tolist()):
        title = " ".join(shapes.words[w] for w in word_picks[i, : lengths[i]]) + f" {movie_id}"
        genres = () if no_genres[i] else shapes.genres[genre_picks[i]] + (("IMAX",) if imax[i] else ())
        movies[movie_id] = Movie(movie_id, title, int(years[i]), genres)

    popularity = rng.lognormal(shapes.popularity_mu, shapes.popularity_sigma, n["movies"])
    cdf = np.cumsum(popularity / popularity.sum())
    activity = _activity(rng.lognormal(shapes.activity_mu, shapes.activity_sigma, n["users"]), n)
    user_of, drawn = _draw_ratings(rng, cdf, activity, n["movies"])

    quality = rng.normal(0.0, shapes.quality_sigma, n["movies"])
    leniency = rng.normal(0.0, shapes.leniency_sigma, n["users"])
    values = shapes.mean_rating + quality[drawn] + leniency[user_of] + rng.normal(0, shapes.noise_sigma, len(drawn))
    values = np.clip(np.rint(values * 2) / 2, 0.5, 5.0).astype(np.float32)
    begin = rng.integers(FIRST_STAMP, LAST_STAMP - 10**7, n["users"])
    stamps = begin[user_of] + rng.integers(0, 10**7, len(drawn))
    ratings = Ratings(
        user_ids=(user_of + 1).astype(np.int32),
        movie_ids=movie_ids[drawn].astype(np.int32),
        ratings=values,
        timestamps=stamps.astype(np.int64),
    )
    links = {int(m): f"tt{int(m) + 100000:07d}" for m in movie_ids}
    return movies, ratings, links


def _activity(extra: np.ndarray, n: dict[str, int]) -> np.ndarray:
    """Ratings per user: 20 (every MovieLens user has rated 20) plus a drawn extra, scaled so that the
    total is the catalogue's and no user rates more than a third of the movies."""
    cap = max(n["movies"] // 3 - 20, 1)
    budget = n["ratings"] - 20 * len(extra)
    for _ in range(5):  # capping the heaviest users frees ratings for the others
        free = extra < cap
        scale = (budget - cap * (~free).sum()) / max(extra[free].sum(), 1e-9)
        extra = np.where(free, extra * scale, cap)
        extra = np.minimum(extra, cap)
    return 20 + np.floor(extra).astype(np.int64)


def _draw_ratings(
    rng: np.random.Generator, cdf: np.ndarray, activity: np.ndarray, n_movies: int
) -> tuple[np.ndarray, np.ndarray]:
    """(user, movie) rows, each pair once, `activity[u]` rows per user, movies by popularity: drawn in
    bulk with replacement, repeats dropped, and the users left short drawn for again (a heavy user
    keeps hitting the same popular movies)."""
    users = np.empty(0, dtype=np.int64)
    movies = np.empty(0, dtype=np.int64)
    short = activity.copy()
    for round_ in range(8):
        wanting = np.flatnonzero(short > 0)
        if not len(wanting):
            break
        new_users = np.repeat(wanting, (short[wanting] * (1.3 + round_) + 3).astype(np.int64))
        new_movies = np.minimum(np.searchsorted(cdf, rng.random(len(new_users))), n_movies - 1)
        users, movies = np.concatenate((users, new_users)), np.concatenate((movies, new_movies))
        order = np.argsort(users, kind="stable")  # grouped by user; earlier draws first
        users, movies = users[order], movies[order]
        _, first = np.unique(users * n_movies + movies, return_index=True)
        once = np.zeros(len(users), dtype=bool)
        once[first] = True
        users, movies = users[once], movies[once]
        rank = np.arange(len(users)) - np.searchsorted(users, users)
        keep = rank < activity[users]
        users, movies = users[keep], movies[keep]
        short = activity - np.bincount(users, minlength=len(activity))
    return users, movies


# -- measuring ------------------------------------------------------------------------------------------


class PeakMemory:
    """The largest resident memory of a process and all its descendants, sampled every 0.2 s from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self, pid: int) -> list[int]:
        found, todo = [], [pid]
        while todo:
            current = todo.pop()
            found.append(current)
            for task in Path(f"/proc/{current}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    todo.extend(int(child) for child in task.read_text().split())
        return found

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree(self.pid)))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def run_measured(command: list[str], env: dict[str, str], log: Path) -> tuple[float, int]:
    """Wall seconds and peak memory (bytes, process tree) of `command`; its output goes to `log`."""
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        memory = PeakMemory(process.pid)
        code = process.wait()
        peak = memory.stop()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {code}; see {log}")
    return time.perf_counter() - started, peak


def folder_bytes(path: Path) -> int:
    """Bytes in a folder, or a file's size (Milvus Lite's data is one file)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


PARSE_SNIPPET = """
import json, resource, sys, time
from pathlib import Path
from movierec_tui.data_loader.parse import load_dataset
started = time.perf_counter()
data = load_dataset(Path(sys.argv[1]))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": time.perf_counter() - started, "ratings": len(data.ratings),
                  "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss * 1024}))
"""

RECOMMEND_SNIPPET = """
import json, sys, time
import numpy as np
from movierec_tui.config import load_settings
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
queries = int(sys.argv[1])
rng = np.random.default_rng(7)
with Recommender(load_settings()) as recommender:
    ids = np.asarray(recommender.movies.movie_ids)
    cards = recommender.cards(ids[: min(len(ids), 2000)].tolist())
    pool = np.array(sorted(cards, key=lambda m: -cards[m].rating_count)[:500])
    times = []
    for i in range(queries + 20):
        rated = rng.choice(pool, size=int(rng.integers(1, 11)), replace=False)
        profile = Profile(ratings={int(m): int(rng.integers(1, 6)) for m in rated})
        started = time.perf_counter()
        recommender.recommend(profile, 10)
        if i >= 20:  # the first searches wake Milvus Lite up
            times.append((time.perf_counter() - started) * 1000)
print(json.dumps({"p50": float(np.percentile(times, 50)), "p99": float(np.percentile(times, 99))}))
"""


def python_json(snippet: str, args: list[str], env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "-c", snippet, *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"measurement failed: {result.stderr.strip().splitlines()[-1:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Row:
    size: float
    movies: int
    users: int
    ratings: int
    generate_s: float
    parse_s: float
    parse_peak_gb: float
    setup_s: float | None = None
    setup_peak_gb: float | None = None
    index_mb: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    # CPU seconds beside the wall times: on a busy machine, wall time says more about the neighbours.
    generate_cpu_s: float | None = None
    parse_cpu_s: float | None = None


def child_env(home: Path) -> dict[str, str]:
    """A separate home per size: its own embedded Redis and Milvus Lite, whatever this shell points at."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEREC_")}
    env.update(MOVIEREC_HOME=str(home), GLOG_minloglevel="2")
    return env


def measure(size: float, out: Path, shapes: Shapes | None, args: argparse.Namespace) -> Row:
    label = f"{size:g}x"
    data = out / f"data-{label}"
    if not (data / DONE).exists():
        started, cpu = time.perf_counter(), time.process_time()
        movies, ratings, links = generate(shapes, size)  # type: ignore[arg-type]
        write_latest(data, movies, ratings, links)
        timing = {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}
        (data / DONE).write_text(json.dumps(timing))
        del movies, ratings, links
    generated = json.loads((data / DONE).read_text())
    home = out / f"home-{label}"
    env = child_env(home)
    parsed = python_json(PARSE_SNIPPET, [str(data)], env)
    n = counts_for(size)
    row = Row(size, n["movies"], n["users"], parsed["ratings"], generated["seconds"], parsed["seconds"],
              parsed["peak"] / 1e9, generate_cpu_s=generated.get("cpu"), parse_cpu_s=parsed["cpu"])  # fmt: skip
    if args.generate_only:
        return row
    command = [sys.executable, "-m", "movierec_tui", "setup", "--from", str(data)]
    if args.epochs:
        command += ["--epochs", str(args.epochs)]
    seconds, peak = run_measured(command, env, out / f"setup-{label}.log")
    row.setup_s, row.setup_peak_gb = seconds, peak / 1e9
    time_recommend(row, home, args.queries)
    return row


def time_recommend(row: Row, home: Path, queries: int) -> None:
    """The index's size and `recommend` p50/p99 on a home set up for the row's size."""
    row.index_mb = folder_bytes(home / "milvus-lite.db") / 1e6
    latency = python_json(RECOMMEND_SNIPPET, [str(queries)], child_env(home))
    row.p50_ms, row.p99_ms = latency["p50"], latency["p99"]


# -- reporting ------------------------------------------------------------------------------------------


def print_table(rows: list[Row]) -> None:
    from rich.console import Console
    from rich.table import Table

    def fmt(value: float | None, pattern: str) -> str:
        return "-" if value is None else format(value, pattern)

    table = Table(title="Scale: ml-latest-format data at N x MovieLens 1M")
    for column in ("size", "movies", "users", "ratings", "generate s (CPU)", "parse s (CPU)", "parse peak GB",
                   "setup s", "setup peak GB", "index MB", "p50 ms", "p99 ms"):  # fmt: skip
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(
            f"{r.size:g}x", f"{r.movies:,}", f"{r.users:,}", f"{r.ratings:,}",
            f"{r.generate_s:.0f} ({fmt(r.generate_cpu_s, '.0f')})", f"{r.parse_s:.1f} ({fmt(r.parse_cpu_s, '.1f')})",
            fmt(r.parse_peak_gb, ".2f"), fmt(r.setup_s, ".0f"), fmt(r.setup_peak_gb, ".2f"),
            fmt(r.index_mb, ".1f"), fmt(r.p50_ms, ".2f"), fmt(r.p99_ms, ".2f"),
        )  # fmt: skip
    Console(width=200).print(table)


def plot(rows: list[Row], path: Path) -> None:
    """The measured sizes as four panels; nothing to draw with --generate-only. matplotlib comes with the
    `bench` extra, not with the tests' (which run this script with --generate-only)."""
    measured = [r for r in rows if r.setup_s is not None]
    if not measured:
        return
    try:
        import matplotlib
    except ImportError:
        print(f"no plot at {path}: matplotlib is not installed (pip install -e '.[bench]')")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r.size for r in measured]
    figure, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = (
        (axes[0][0], "setup wall time (min)", [r.setup_s / 60 for r in measured], None),
        (axes[0][1], "setup peak memory (GB)", [r.setup_peak_gb for r in measured], None),
        (axes[1][0], "Milvus index on disk (MB)", [r.index_mb for r in measured], None),
        (axes[1][1], "recommend latency (ms)", [r.p50_ms for r in measured], [r.p99_ms for r in measured]),
    )
    for axis, title, values, extra in panels:
        axis.plot(sizes, values, marker="o", label="p50" if extra else None)
        if extra:
            axis.plot(sizes, extra, marker="s", label="p99")
            axis.legend()
        axis.set_title(title)
        axis.set_xlabel("x MovieLens 1M (ratings)")
        axis.set_xticks(sizes)
        axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,5,10,32", help="Comma-separated multiples of ML-1M.")
    parser.add_argument("--out", type=Path, required=True, help="Folder for datasets, homes and results.")
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data/ml-1m.zip"), help="ML-1M to fit.")
    parser.add_argument("--epochs", type=int, default=None, help="Training epochs (default: setup's).")
    parser.add_argument("--queries", type=int, default=500, help="Recommendations timed per size.")
    parser.add_argument("--generate-only", action="store_true", help="Only generate and parse each size.")
    parser.add_argument("--retime", action="store_true",
                        help="Sizes already measured: time `recommend` again (after a code change or a re-index) "
                             "and keep their other numbers.")  # fmt: skip
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    shapes: Shapes | None = None
    rows = []
    for size in sizes:
        result = args.out / f"results-{size:g}x.json"
        if result.exists() and not args.generate_only:
            row = Row(**json.loads(result.read_text()))
            if args.retime:
                time_recommend(row, args.out / f"home-{size:g}x", args.queries)
                result.write_text(json.dumps(asdict(row), indent=2))
            rows.append(row)
            continue
        data_done = (args.out / f"data-{size:g}x" / DONE).exists()
        if shapes is None and not data_done:
            shapes = fit_shapes(args.source)
        row = measure(size, args.out, shapes, args)
        if not args.generate_only:
            result.write_text(json.dumps(asdict(row), indent=2))
        rows.append(row)
        print(f"{size:g}x done: {json.dumps(asdict(row))}", flush=True)
    print_table(rows)
    (args.out / "scale.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    plot(rows, args.out / "scale.png")


if __name__ == "__main__":
    main()
