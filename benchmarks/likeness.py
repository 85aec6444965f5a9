"""Whether "more like X" finds the movies the people who loved X also loved: the likeness of
model/likeness.py against the plain cosine of the movie vectors, side by side on one model.

Usage:
    MOVIEREC_HOME=... python benchmarks/likeness.py --from ../shared/data/ml-1m.zip [--k 20]
        [--truth-from OTHER] [--example Alien --example "Toy Story" ...]

Needs a home where `movierec-tui setup` has run, and the ratings that model was trained on (any
format `setup --from` reads). For each seed movie, its "co-liked" neighbours are the movies with the
highest Jaccard index over the people who rated both 4 or more; each similarity's k closest movies
are compared with them (the share they have in common), in two bands of seeds: the most liked
movies and the less known ones after them. Also: how popular the neighbours are (median rank by
number of 4+ ratings), how many share a genre with the seed, the similarity of the closest and the
k-th; for the lists "more like" shows, the Milvus search's order alone and the likeness over its
LIKENESS_CANDIDATES (the order computed in memory: what an exact FLAT index returns); and how much of
each movie's top 10 and top 20 those candidates (and twice as many) hold.

By default the co-liked neighbours come from the ratings the model was trained on (--from); with
--truth-from they come from other people's ratings (a model set up on half the users, the other
half's ratings: held out). Both similarities read the same model; the differences are paired per
seed, the interval is a bootstrap over seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import scipy.sparse as sparse

from movierec_tui.config import load_settings
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.artifacts import MovieTable
from movierec_tui.model.likeness import LIKENESS_CANDIDATES, Likeness
from movierec_tui.wording import title_with_year

BANDS = (("the 300 most liked movies", 0, 300), ("the next 1,000", 300, 1300))
EXAMPLES = ("Alien", "Toy Story", "Fargo", "Annie Hall", "Hard-Boiled")


def liked_matrix(table: MovieTable, dataset) -> sparse.csr_matrix:
    """Who rated which movie (table rows) 4 or more: a person x movie matrix of ones."""
    ratings = dataset.ratings
    rows = table.index_of(ratings.movie_ids.astype(np.int64))
    keep = (ratings.ratings >= 4) & (rows >= 0)
    users = np.unique(ratings.user_ids[keep], return_inverse=True)[1]
    shape = (int(users.max()) + 1, len(table.movie_ids))
    return sparse.csr_matrix((np.ones(int(keep.sum())), (users, rows[keep])), shape=shape)


def co_liked(liked: sparse.csr_matrix, counts: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The Jaccard index over the people who rated both 4 or more, of each seed with every movie."""
    both = (liked[:, seeds].T @ liked).toarray()
    jaccard = both / (counts[seeds, None] + counts[None, :] - both + 1e-9)
    jaccard[np.arange(len(seeds)), seeds] = 0
    return jaccard


def closest(similarity: np.ndarray, row: int, k: int) -> np.ndarray:
    others = similarity.astype(np.float64).copy()
    others[row] = -np.inf
    return np.argsort(-others)[:k]


def paired_interval(differences: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    means = [rng.choice(differences, len(differences)).mean() for _ in range(2000)]
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="the ratings the model was trained on")
    parser.add_argument("--truth-from", type=Path, help="other people's ratings for the co-liked (default: --from)")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--example", action="append", help="a title to list both ways (repeat)")
    args = parser.parse_args()
    table = MovieTable.load(load_settings().model_dir)
    dataset = load_dataset(args.source)
    unit = table.vectors / np.linalg.norm(table.vectors, axis=1, keepdims=True)
    likeness = table.likeness()
    plain = Likeness.of(unit, None)  # the plain cosine of the vectors, what "more like" ranked by before
    ways = {"plain cosine": plain, "likeness": likeness}
    genres = [set(dataset.movies[int(m)].genres) for m in table.movie_ids]
    rng = np.random.default_rng(0)
    print(f"{len(table.movie_ids):,} movies; k = {args.k}; linear part weight b^2 = {likeness.linear_weight:.4f}")
    liked = liked_matrix(table, load_dataset(args.truth_from) if args.truth_from else dataset)
    counts = np.asarray(liked.sum(axis=0)).ravel()
    by_popularity = np.argsort(-counts, kind="stable")
    popularity_rank = np.empty(len(counts))
    popularity_rank[by_popularity] = np.arange(1, len(counts) + 1)
    for band, start, stop in BANDS:
        seeds = by_popularity[start:stop]
        if not len(seeds):
            continue
        jaccard = co_liked(liked, counts, seeds)
        overlap: dict[str, np.ndarray] = {}
        print(f"\n{band} ({len(seeds)} seeds)")
        for name, way in ways.items():
            shares, ranks, genre_shares, first, kth = [], [], [], [], []
            for i, row in enumerate(seeds):
                similarity = way.between(int(row))
                top = closest(similarity, int(row), args.k)
                truth = set(closest(jaccard[i], int(row), args.k).tolist())
                shares.append(len(truth & set(top.tolist())) / args.k)
                ranks.append(np.median(popularity_rank[top]))
                genre_shares.append(np.mean([bool(genres[j] & genres[row]) for j in top]))
                first.append(similarity[top[0]])
                kth.append(similarity[top[-1]])
            overlap[name] = np.array(shares)
            print(f"  {name:13} in common with the co-liked {np.mean(shares):.3f}, neighbours' median popularity "
                  f"rank {np.median(ranks):.0f}, share a genre {np.mean(genre_shares):.2f}, similarity of the "
                  f"closest {np.median(first):.2f} and of #{args.k} {np.median(kth):.2f} (medians)")
        searched = {"search order": [], f"re-ranked {LIKENESS_CANDIDATES}": []}  # what "more like" shows
        for i, row in enumerate(seeds):
            truth = set(closest(jaccard[i], int(row), args.k).tolist())
            order = table.match_of(table.likeness_query(int(row)))
            reranked = np.full(len(order), -np.inf)
            candidates = closest(order, int(row), LIKENESS_CANDIDATES)
            reranked[candidates] = likeness.between(int(row), candidates)
            for name, ranking in zip(searched, (order, reranked), strict=True):
                searched[name].append(len(truth & set(closest(ranking, int(row), args.k).tolist())) / args.k)
        print("  as searched: " + ", ".join(f"{name} {np.mean(shares):.3f}" for name, shares in searched.items())
              + " in common with the co-liked (the Milvus order alone; the likeness over its candidates)")
        difference = overlap["likeness"] - overlap["plain cosine"]
        low, high = paired_interval(difference, rng)
        ratio = overlap["likeness"].mean() / max(overlap["plain cosine"].mean(), 1e-9)
        print(f"  likeness - plain: {difference.mean():+.3f} (95% {low:+.3f}..{high:+.3f}), ratio {ratio:.2f}")
    print()
    for wanted, pool in ((10, LIKENESS_CANDIDATES), (20, LIKENESS_CANDIDATES), (20, 2 * LIKENESS_CANDIDATES)):
        held = []
        for row in range(len(table.movie_ids)):
            best = set(closest(likeness.between(row), row, wanted).tolist())
            searched_rows = set(closest(table.match_of(table.likeness_query(row)), row, pool).tolist())
            held.append(len(best & searched_rows) / wanted)
        print(f"the search's {pool} candidates hold {np.mean(held):.3f} of a movie's top {wanted} by likeness "
              f"(all {len(held):,} movies; all {wanted} for {np.mean(np.array(held) == 1):.3f} of them)")
    by_title = {title_with_year(movie).lower(): movie.movie_id for movie in dataset.movies.values()}
    for wanted in args.example or EXAMPLES:
        found = [m for title, m in by_title.items() if title.startswith(wanted.lower())]
        rows = table.index_of(np.array(found, dtype=np.int64))
        rows = rows[rows >= 0]
        if not len(rows):
            print(f"\n{wanted}: not found")
            continue
        row = int(rows[np.argmax(counts[rows])])  # the most liked of the titles that start so
        print(f"\n{title_with_year(dataset.movies[int(table.movie_ids[row])])}")
        for name, way in ways.items():
            similarity = way.between(row)
            names = [f"{title_with_year(dataset.movies[int(table.movie_ids[j])])} {similarity[j]:.2f}"
                     for j in closest(similarity, row, 6)]  # fmt: skip
            print(f"  {name:13} " + " | ".join(names))


if __name__ == "__main__":
    main()
