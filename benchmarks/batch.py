"""How long `movierec-tui recommend --batch` takes for many profiles, as a script sees it.

Usage: python benchmarks/batch.py [--profiles 1000] [--k 10] [--keep FILE.jsonl]
Needs a home where `movierec-tui setup` has run (MOVIEREC_HOME or the default). The profiles are
generated from the home's catalogue (seeded, so every run writes the same file): demographics (ages
in years) for most, 0-20 ratings in half stars of movies drawn by popularity, keyed by movie id, by
MovieLens title with its year ("Matrix, The 1999") or by the title as people write it ("The
Matrix"), and a genre or year filter for some. The batch runs as the real command, in a subprocess,
timed from start to exit; an empty batch is timed the same way first, so that the start (Python,
Paddle, the model, the stores) can be told apart from the time per profile. The target is 1,000
profiles in under 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from movierec_tui.catalogue import GENRES
from movierec_tui.config import load_settings
from movierec_tui.engine import Recommender
from movierec_tui.wording import display_title

TARGET_SECONDS = 20.0


def movie_key(rng: np.random.Generator, card) -> str:
    """How a script may name a movie in a profile: its id, or its title in one of two forms."""
    form = rng.integers(3)
    if form == 0 or card.year is None:
        return str(card.movie_id)
    return f"{card.title} {card.year}" if form == 1 else f"{display_title(card.title)} ({card.year})"


def profiles(cards: list, n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    popularity = np.array([c.rating_count for c in cards], dtype=np.float64) + 1
    p = popularity / popularity.sum()
    for _ in range(n):
        rated = rng.choice(len(cards), size=int(rng.integers(0, 21)), replace=False, p=p)
        profile: dict[str, object] = {
            "ratings": {movie_key(rng, cards[i]): float(rng.integers(1, 11)) / 2 for i in rated},
        }
        if rng.random() < 0.8:
            profile |= {"age": int(rng.integers(12, 80)), "gender": str(rng.choice(["M", "F"])),
                        "occupation": int(rng.integers(21))}  # fmt: skip
        if rng.random() < 0.3:
            profile["genres_out"] = [str(rng.choice(GENRES))]
        if rng.random() < 0.2:
            start = int(rng.integers(1930, 1995))
            profile |= {"year_min": start, "year_max": start + int(rng.integers(5, 40))}
        yield profile


def run_batch(path: Path, k: int) -> tuple[float, subprocess.CompletedProcess]:
    command = shutil.which("movierec-tui")
    prefix = [command] if command else [sys.executable, "-m", "movierec_tui"]
    started = time.perf_counter()
    done = subprocess.run(
        [*prefix, "recommend", "--batch", str(path), "-k", str(k)], capture_output=True, text=True, env=os.environ
    )
    return time.perf_counter() - started, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1000)
    parser.add_argument("-k", "--k", type=int, default=10)
    parser.add_argument("--keep", type=Path, default=None, help="Also write the generated profiles here.")
    args = parser.parse_args()

    settings = load_settings()
    with Recommender(settings) as recommender:  # closed before the command opens the same stores
        cards = sorted(recommender.catalogue_cards().values(), key=lambda c: c.movie_id)
    with tempfile.TemporaryDirectory() as folder:
        batch = args.keep or Path(folder) / "profiles.jsonl"
        batch.write_text("".join(json.dumps(p) + "\n" for p in profiles(cards, args.profiles)), encoding="utf-8")
        empty = Path(folder) / "empty.jsonl"
        empty.write_text("", encoding="utf-8")
        start_seconds, started = run_batch(empty, args.k)
        if started.returncode != 0:
            sys.exit(f"the empty batch failed ({started.returncode}): {started.stderr.strip()}")
        seconds, done = run_batch(batch, args.k)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    failed = [r for r in results if "error" in r]
    per_profile = (seconds - start_seconds) / max(args.profiles, 1) * 1000
    print(f"home: {settings.home} ({len(cards):,} movies); load: {os.getloadavg()[0]:.2f} (1-min average)")
    print(f"empty batch (start and exit): {start_seconds:.1f} s")
    print(
        f"{args.profiles:,} profiles, k={args.k}: {seconds:.1f} s from start to exit (exit code {done.returncode}), "
        f"{per_profile:.1f} ms per profile after the start; {len(results) - len(failed):,} results, "
        f"{len(failed)} lines that could not be used"
    )
    for failure in failed[:5]:
        print(f"  {failure['error']}")
    verdict = "met" if seconds < TARGET_SECONDS else "NOT met"
    print(f"target: {args.profiles:,} in under {TARGET_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
