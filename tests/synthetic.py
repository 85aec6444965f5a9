"""A small synthetic dataset in MovieLens 1M format with planted taste clusters.

Four clusters of movies, each with its own genres and decade; every user belongs to one cluster,
rates mostly that cluster's movies highly and a few others low. So a model that learns anything
must recommend cluster-A movies to a person who rates cluster-A movies highly, and the tests can
assert exactly that. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLUSTERS = (
    # (title stem, genres, first year, gender-skew, favourite occupation)
    ("Starship", ("Action", "Sci-Fi"), 1977, "M", 12),
    ("Laughing", ("Comedy", "Romance"), 1990, "F", 2),
    ("Midnight Scream", ("Horror", "Thriller"), 1980, "M", 4),
    ("Prairie", ("Drama", "Western"), 1955, "F", 13),
)
# A few real-looking titles so tests can type them as a person would.
FAMOUS = {
    0: ["Star Wars: Episode IV - A New Hope (1977)", "Alien (1979)", "Matrix, The (1999)"],
    1: ["Toy Story (1995)", "When Harry Met Sally... (1989)"],
    2: ["Scream (1996)", "Shining, The (1980)"],
    3: ["Unforgiven (1992)", "Searchers, The (1956)"],
}
AGES = (1, 18, 25, 35, 45, 50, 56)


@dataclass(frozen=True)
class SyntheticDataset:
    path: Path
    movie_cluster: dict[int, int]  # movie id -> cluster
    user_cluster: dict[int, int]  # user id -> cluster
    titles: dict[int, str]  # movie id -> title with year

    def movies_in(self, cluster: int) -> list[int]:
        return sorted(m for m, c in self.movie_cluster.items() if c == cluster)

    def cluster_share(self, movie_ids: list[int], cluster: int) -> float:
        """Fraction of `movie_ids` that belong to `cluster`."""
        return sum(self.movie_cluster[m] == cluster for m in movie_ids) / max(1, len(movie_ids))


def write_synthetic(path: Path, n_users: int = 240, movies_per_cluster: int = 40, seed: int = 0) -> SyntheticDataset:
    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    movie_cluster: dict[int, int] = {}
    titles: dict[int, str] = {}
    movie_lines = []
    movie_id = 1
    for cluster, (stem, genres, first_year, _, _) in enumerate(CLUSTERS):
        famous = FAMOUS[cluster]
        for j in range(movies_per_cluster):
            title = famous[j] if j < len(famous) else f"{stem} {j} ({first_year + j % 20})"
            genre = "|".join(genres[: 1 + j % 2])
            movie_lines.append(f"{movie_id}::{title}::{genre}")
            movie_cluster[movie_id] = cluster
            titles[movie_id] = title
            movie_id += 2  # gaps, like MovieLens ids
    user_cluster: dict[int, int] = {}
    user_lines = []
    rating_lines = []
    by_cluster = {c: [m for m, mc in movie_cluster.items() if mc == c] for c in range(len(CLUSTERS))}
    # Zipf-like popularity inside each cluster: early movies are seen far more often.
    weights = 1.0 / np.arange(1, movies_per_cluster + 1) ** 0.8
    weights /= weights.sum()
    for user_id in range(1, n_users + 1):
        cluster = int(rng.integers(len(CLUSTERS)))
        user_cluster[user_id] = cluster
        _, _, _, gender_skew, occupation = CLUSTERS[cluster]
        gender = gender_skew if rng.random() < 0.8 else ("F" if gender_skew == "M" else "M")
        occ = occupation if rng.random() < 0.6 else int(rng.integers(21))
        user_lines.append(f"{user_id}::{gender}::{AGES[int(rng.integers(len(AGES)))]}::{occ}::{10000 + user_id}")
        own = rng.choice(by_cluster[cluster], size=int(rng.integers(12, 30)), replace=False, p=weights)
        others = [m for c, ms in by_cluster.items() if c != cluster for m in ms]
        foreign = rng.choice(others, size=int(rng.integers(2, 6)), replace=False)
        stamp = 978_300_000 + user_id * 10_000
        picks = [(int(m), int(rng.integers(4, 6))) for m in own] + [(int(m), int(rng.integers(1, 3))) for m in foreign]
        rng.shuffle(picks)
        for offset, (m, r) in enumerate(picks):
            rating_lines.append(f"{user_id}::{m}::{r}::{stamp + offset * 60}")
    for name, lines in (("movies.dat", movie_lines), ("users.dat", user_lines), ("ratings.dat", rating_lines)):
        (path / name).write_text("\n".join(lines) + "\n", encoding="latin-1")
    return SyntheticDataset(path, movie_cluster, user_cluster, titles)
