"""How well and how fast `movierec-tui import` matches an export to the catalogue.

Usage: python benchmarks/import.py [--data ml-1m.zip] [--rows 1000,10000] [--format letterboxd|imdb|csv]
                                   [--seed 0] [--repeat 3] [--json]

The catalogue is a MovieLens release parsed with the data layer (ML-1M at /work/shared/data by
default; nothing derived from it is written anywhere but a temp dir). A share of its movies
(--held-out, 10%) is left out of the index: their real titles are the "not in the catalogue" rows,
so a remake or a namesake of a catalogue movie tests that the matcher does not take one for the
other (a movie the release lists twice under one title and year is never held out: its twin is the
right match). A few rows are invented titles from after the catalogue ends. Each row's title and year get
the noise of real exports, each with its own odds:
- the title as sites write it ("The Matrix"; MovieLens writes "Matrix, The"), or as MovieLens does;
- other capitalisation (lower, upper, title case);
- a leading article dropped, or moved to the end ("Matrix, The");
- an alternate or foreign title where MovieLens ships one ("Se7en", "La Haine", "Das Boot");
- punctuation dropped or changed (":" "-" "," "&" <-> "and", "." removed);
- the year one off (release years differ between sites), or missing.
The export is written to a temp file in the chosen format and imported end to end (read, checked,
matched, applied to an empty profile); the index is built once, as a session does (its time is
reported apart).

Reports: rows, matched, ambiguous and not-in-catalogue counts, wrong matches (a row matched to
another movie than the one it was drawn from, or a not-in-catalogue row matched to anything: the
target is 0), precision (right / matched), recall (right / rows whose movie is in the catalogue),
recall of the rows that give a year (a row without one is never matched by title: it is ambiguous
by design), recall per kind of noise, and the time to import (median of --repeat runs: wall clock,
and the process's CPU time, which a loaded machine does not inflate).
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from movierec_tui.data_loader.dataset import Dataset, Movie
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.profile import Profile
from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.transfer import apply_import, match_rows, read_export
from movierec_tui.wording import front_article, split_alternates

DEFAULT_DATA = Path("/work/shared/data/ml-1m.zip")
ENGLISH_ARTICLES = ("The ", "A ", "An ")
AKA = re.compile(r"^a\.k\.a\.\s+", re.IGNORECASE)
INNER_COMMA = re.compile(r",(?!\s*(?:The|A|An|Les|La|Le|L'|Il|El|Das|Der|Die|Los|Las|Gli)$)")
NEW_WORDS = ("Quantum", "Echoes", "Midnight", "Harbor", "Velvet", "Glass", "Frontier", "Last", "Signal", "Hollow",
             "Ember", "Orbit", "Paper", "Silent", "Northern", "Wolves", "Tide", "Engine")  # fmt: skip

# Odds of each kind of noise, per row (independent).
ODDS = {
    "movielens spelling": 0.15,  # "Matrix, The" as shipped (else as sites write it: "The Matrix")
    "alternate title": 0.5,  # of the rows whose movie has one
    "capitalisation": 0.3,
    "article dropped": 0.1,
    "article moved": 0.05,
    "punctuation": 0.2,
    "year off by one": 0.1,
    "year missing": 0.04,
}
HELD_OUT_ROWS = 0.12  # share of rows drawn from the movies left out of the index
INVENTED_ROWS = 0.03  # share of rows with an invented title from after the catalogue


@dataclass
class Row:
    title: str
    year: int | None
    truth: int | None  # the movie it was drawn from, if that movie is in the index
    noise: list[str] = field(default_factory=list)


def site_title(movie: Movie) -> tuple[str, list[str]]:
    """The title as Letterboxd or IMDb would show it, and MovieLens's alternates (article in front,
    without MovieLens's "a.k.a.")."""
    main, alternates = split_alternates(html.unescape(movie.title))
    return front_article(main)[0], [front_article(AKA.sub("", a))[0] for a in alternates]


def listed_twice(dataset: Dataset, movie_ids: list[int]) -> set[int]:
    """Movies the release lists twice, under one title and year ("Callejón de los milagros, El" and
    "Midaq Alley (Callejón de los milagros, El)", 1995): never held out, as matching one to the other
    is right, not wrong."""
    everything = TitleIndex(TitleEntry(m.movie_id, m.title, m.year, 0) for m in dataset.movies.values())
    twice = set()
    for movie_id in movie_ids:
        movie = dataset.movies[movie_id]
        main, alternates = site_title(movie)
        for title in (main, *alternates):
            if any(e.year == movie.year and e.movie_id != movie_id for e in everything.same_title(title)):
                twice.add(movie_id)
    return twice


def noisy_row(movie: Movie, truth: int | None, rng: np.random.Generator) -> Row:
    noise: list[str] = []

    def roll(kind: str) -> bool:
        hit = bool(rng.random() < ODDS[kind])
        if hit:
            noise.append(kind)
        return hit

    title, alternates = site_title(movie)
    if alternates and rng.random() < ODDS["alternate title"]:
        noise.append("alternate title")
        title = alternates[int(rng.integers(len(alternates)))]
    elif roll("movielens spelling"):
        title = split_alternates(html.unescape(movie.title))[0]
    if title.startswith(ENGLISH_ARTICLES):
        article, rest = title.split(" ", 1)
        if roll("article dropped"):
            title = rest
        elif roll("article moved"):
            title = f"{rest}, {article}"
    if roll("punctuation"):  # a comma before a moved article stays: "Birds The" is no one's spelling
        title = (INNER_COMMA.sub("", title.replace(":", "").replace(" - ", " ").replace("-", " ").replace(".", ""))
                 .replace("&", "and") if rng.random() < 0.7 else title.replace(" and ", " & "))  # fmt: skip
    if roll("capitalisation"):
        title = (str.lower, str.upper, str.title)[int(rng.integers(3))](title)
    year = movie.year
    if year is not None and roll("year missing"):
        year = None
    elif year is not None and roll("year off by one"):
        year += int(rng.choice((-1, 1)))
    return Row(title, year, truth, noise or ["none"])


def generate(dataset: Dataset, n: int, held_out: set[int], rng: np.random.Generator) -> list[Row]:
    kept = sorted(m for m in dataset.movies if m not in held_out)
    out = sorted(held_out)
    year_max = max((m.year for m in dataset.movies.values() if m.year is not None), default=2000)
    rows = []
    for _ in range(n):
        draw = rng.random()
        if draw < INVENTED_ROWS:
            words = rng.choice(NEW_WORDS, size=int(rng.integers(1, 4)), replace=False)
            rows.append(Row(" ".join(words), int(rng.integers(year_max + 1, 2024)), None, ["invented"]))
        elif out and draw < INVENTED_ROWS + HELD_OUT_ROWS:  # (none with --held-out 0)
            movie = dataset.movies[out[int(rng.integers(len(out)))]]
            row = noisy_row(movie, None, rng)
            row.noise = ["not in catalogue"]
            rows.append(row)
        else:
            movie_id = kept[int(rng.integers(len(kept)))]
            rows.append(noisy_row(dataset.movies[movie_id], movie_id, rng))
    return rows


def write_export(rows: list[Row], fmt: str, path: Path, rng: np.random.Generator) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        out = csv.writer(stream, lineterminator="\n")
        if fmt == "letterboxd":
            out.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
            for i, row in enumerate(rows):
                stars = int(rng.integers(1, 11)) / 2
                out.writerow([f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}", row.title, row.year or "", "", f"{stars:g}"])
        elif fmt == "imdb":
            out.writerow(["Const", "Your Rating", "Date Rated", "Title", "URL", "Title Type", "IMDb Rating",
                          "Runtime (mins)", "Year", "Genres", "Num Votes", "Release Date", "Directors"])  # fmt: skip
            for i, row in enumerate(rows):  # ML-1M has no links: the ids match nothing, titles decide
                out.writerow([f"tt{9_000_000 + i:07d}", int(rng.integers(1, 11)), "2021-01-01", row.title, "",
                              "movie", "7.0", "100", row.year or "", "Drama", "1000", "", ""])  # fmt: skip
        else:
            out.writerow(["title", "year", "rating"])
            for row in rows:
                out.writerow([row.title, row.year or "", int(rng.integers(1, 11)) / 2])


def score(rows: list[Row], report) -> dict:
    right = wrong = 0
    wrong_examples = []
    by_noise: dict[str, list[int]] = {}  # kind -> [rows in the catalogue, matched right]
    for row, match in zip(rows, report.rows, strict=True):
        got = match.movie.movie_id if match.movie is not None else None
        if got is not None and got == row.truth:
            right += 1
        elif got is not None:
            wrong += 1
            wrong_examples.append(f"{row.title!r} ({row.year}) -> {match.movie.title} [truth {row.truth}]")
        if row.truth is not None:
            for kind in row.noise:
                counts = by_noise.setdefault(kind, [0, 0])
                counts[0] += 1
                counts[1] += got == row.truth
    in_catalogue = sum(row.truth is not None for row in rows)
    with_year = [(row, m) for row, m in zip(rows, report.rows, strict=True) if row.truth is not None and row.year]
    matched = len(report.matched)
    return {
        "rows": len(rows),
        "in_catalogue": in_catalogue,
        "matched": matched,
        "ambiguous": len(report.ambiguous),
        "not_in_catalogue": len(report.not_found),
        "wrong": wrong,
        "wrong_examples": wrong_examples[:10],
        "precision": right / matched if matched else 1.0,
        "recall": right / in_catalogue if in_catalogue else 1.0,
        "recall_with_year": sum(m.movie is not None and m.movie.movie_id == r.truth for r, m in with_year)
        / max(1, len(with_year)),
        "recall_by_noise": {kind: round(hit / total, 4) for kind, (total, hit) in sorted(by_noise.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a MovieLens release (zip or folder)")
    parser.add_argument("--rows", default="1000,10000", help="export sizes, comma-separated")
    parser.add_argument("--format", choices=("letterboxd", "imdb", "csv"), default="letterboxd")
    parser.add_argument("--held-out", type=float, default=0.1, help="share of the catalogue left out of the index")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="imports timed per size (median)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    dataset = load_dataset(args.data)
    rng = np.random.default_rng(args.seed)
    movie_ids = np.array(sorted(dataset.movies))
    counts = np.bincount(dataset.ratings.movie_ids, minlength=int(movie_ids.max()) + 1)
    drawn = rng.choice(movie_ids, size=int(len(movie_ids) * args.held_out), replace=False).tolist()
    held_out = set(drawn) - listed_twice(dataset, drawn)
    started = time.perf_counter()
    index = TitleIndex(
        TitleEntry(m.movie_id, m.title, m.year, int(counts[m.movie_id])) for m in dataset.movies.values()
        if m.movie_id not in held_out
    )  # fmt: skip
    index_ms = (time.perf_counter() - started) * 1e3

    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n in (int(x) for x in args.rows.split(",")):
            rows = generate(dataset, n, held_out, rng)
            path = Path(folder) / f"ratings-{n}.csv"
            write_export(rows, args.format, path, rng)
            times, cpu = [], []
            for _ in range(args.repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                files = read_export(path)
                report = match_rows((row for f in files for row in f.rows), index)
                apply_import(Profile(), report)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            result = score(rows, report) | {
                "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpu), "format": args.format,
            }  # fmt: skip
            results.append(result)

    summary = {"catalogue": f"{len(dataset.movies):,} movies, {len(held_out):,} held out", "index_ms": index_ms,
               "seed": args.seed, "results": results}  # fmt: skip
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"catalogue: {summary['catalogue']}; index built in {index_ms:.0f} ms; format {args.format}; "
          f"seed {args.seed}")  # fmt: skip
    print(f"{'rows':>7} {'matched':>8} {'ambig.':>7} {'absent':>7} {'wrong':>6} {'precision':>10} {'recall':>7} "
          f"{'recall(year)':>13} {'time':>8} {'cpu':>7}")  # fmt: skip
    for r in results:
        print(f"{r['rows']:>7,} {r['matched']:>8,} {r['ambiguous']:>7,} {r['not_in_catalogue']:>7,} {r['wrong']:>6} "
              f"{r['precision']:>10.4f} {r['recall']:>7.4f} {r['recall_with_year']:>13.4f} {r['seconds']:>7.2f}s"
              f" {r['cpu_seconds']:>6.2f}s")
    last = results[-1]
    print("recall by noise (largest export): " + ", ".join(f"{k} {v:.3f}" for k, v in last["recall_by_noise"].items()))
    for r in results:
        for example in r["wrong_examples"]:
            print(f"wrong: {example}")
    return 1 if any(r["wrong"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
