"""Filtered search in Milvus: genre encodings x index types x catalogue sizes, exactness and latency.

Usage:
    python benchmarks/milvus_search.py --uri /tmp/bench.db --sizes 3883,87585 --queries 300
    python benchmarks/milvus_search.py --uri http://127.0.0.1:19530 --sizes 3883,87585
    python benchmarks/milvus_search.py --uri /tmp/bench.db --home ~/.local/share/movierec-tui --dataset ml-1m.zip

What it is for: choosing how the store encodes genres and which index it uses (docs/benchmarks.md,
"Filtered search"). Each catalogue is either random unit vectors of the given size (256-d, genres
drawn with MovieLens 1M's frequencies, years skewed to recent ones), or, with --home and --dataset,
a home's real movie vectors with their real genres and years. Every configuration gets its own
collection, written with pymilvus directly (this compares designs, including the one the store used
before: `like`, a "|A|B|" string matched with infix LIKE). The same queries run on every
configuration, interleaved (the order rotates per query), so a busy host slows all alike. A query is
a random unit vector, limit 50, and a filter of one of four kinds: none; a genre and a decade; a
genre left out; a genre in, another out, from a year on; each also excluding 0-20 random ids (the
profile's rated movies).

Reported per configuration: wall-clock p50/p99 ms of `client.search`; p50 CPU ms of this process
(with Milvus Lite that includes Lite itself, which runs in-process; with a server only the client);
how many searches came back short of min(50, matching movies); how many were not exactly the numpy
top 50 over the same vectors and filter; the mean recall of that top 50. A configuration a server
refuses (an expression it cannot parse) is reported as rejected.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from movierec_tui import logs
from movierec_tui.data_loader.dataset import GENRES

# Movies per genre in MovieLens 1M (3,883 movies), for random catalogues of other sizes.
ML1M_GENRE_SHARE = dict(zip(GENRES, np.array(
    [503, 283, 105, 251, 1200, 211, 127, 1603, 68, 44, 343, 114, 106, 471, 276, 492, 143, 68]
) / 3883, strict=True))  # fmt: skip
LIMIT = 50
CONFIGS = {
    # name: (genre encoding, index type, metric, search params)
    "like+HNSW (before)": ("like", "HNSW", "COSINE", {"ef": 64}),
    "bool+HNSW ef64": ("bool", "HNSW", "IP", {"ef": 64}),
    "bool+HNSW ef512": ("bool", "HNSW", "IP", {"ef": 512}),
    "bool+FLAT COSINE": ("bool", "FLAT", "COSINE", {}),
    "bool+FLAT IP (store)": ("bool", "FLAT", "IP", {}),
    "array+FLAT IP": ("array", "FLAT", "IP", {}),
}


@dataclass
class Catalogue:
    name: str
    ids: np.ndarray
    vectors: np.ndarray  # unit rows
    genres: list[tuple[str, ...]]
    years: np.ndarray

    @property
    def genre_names(self) -> list[str]:
        return sorted({g for gs in self.genres for g in gs})


@dataclass
class Result:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    short: int = 0
    inexact: int = 0
    recall: list[float] = field(default_factory=list)
    rejected: str = ""


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def random_catalogue(size: int, seed: int = 0) -> Catalogue:
    rng = np.random.default_rng(seed)
    has = rng.random((size, len(GENRES))) < np.array(list(ML1M_GENRE_SHARE.values()))
    has[~has.any(axis=1), GENRES.index("Drama")] = True
    genres = [tuple(g for g, h in zip(GENRES, row, strict=True) if h) for row in has]
    years = np.clip(np.round(2000 - rng.exponential(12, size)), 1919, 2000).astype(np.int64)
    return Catalogue(f"random {size:,}", np.arange(1, size + 1, dtype=np.int64),
                     unit(rng.normal(size=(size, 256))), genres, years)  # fmt: skip


def real_catalogue(home: Path, dataset: Path) -> Catalogue:
    from movierec_tui.data_loader.parse import load_dataset
    from movierec_tui.model.artifacts import MovieTable

    table = MovieTable.load(home / "model")
    movies = load_dataset(dataset).movies
    genres = [movies[int(m)].genres for m in table.movie_ids]
    years = np.array([movies[int(m)].year or 0 for m in table.movie_ids], dtype=np.int64)
    return Catalogue(f"real {len(table.movie_ids):,}", table.movie_ids, unit(table.vectors), genres, years)


def collection_name(config: str, catalogue: Catalogue) -> str:
    clean = "".join(c if c.isalnum() else "_" for c in f"{config}_{catalogue.name}")
    return f"bench_{clean}"


def write(client, name: str, catalogue: Catalogue, encoding: str, index: str, metric: str) -> None:
    from pymilvus import DataType, MilvusClient

    if client.has_collection(name):
        client.drop_collection(name)
    names = catalogue.genre_names
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=catalogue.vectors.shape[1])
    if encoding == "like":
        schema.add_field("genres", DataType.VARCHAR, max_length=512)
    elif encoding == "bool":
        for i in range(len(names)):
            schema.add_field(f"genre_{i}", DataType.BOOL)
    else:
        schema.add_field("genres", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=64)
    schema.add_field("year", DataType.INT64)
    client.create_collection(name, schema=schema, timeout=900)
    for start in range(0, len(catalogue.ids), 1000):
        rows = []
        for i in range(start, min(start + 1000, len(catalogue.ids))):
            row = {"id": int(catalogue.ids[i]), "embedding": catalogue.vectors[i].tolist()}
            row["year"] = int(catalogue.years[i])
            if encoding == "like":
                row["genres"] = "|" + "|".join(catalogue.genres[i]) + "|"
            elif encoding == "bool":
                row.update({f"genre_{j}": g in catalogue.genres[i] for j, g in enumerate(names)})
            else:
                row["genres"] = list(catalogue.genres[i])
            rows.append(row)
        client.insert(name, rows, timeout=900)
    client.flush(name, timeout=900)
    params = client.prepare_index_params()
    build = {"M": 16, "efConstruction": 200} if index == "HNSW" else {}
    params.add_index("embedding", index_type=index, metric_type=metric, params=build)
    client.create_index(name, params, timeout=3600)
    client.load_collection(name, timeout=900)


@dataclass(frozen=True)
class Query:
    vector: np.ndarray
    genres_in: tuple[str, ...]
    genres_out: tuple[str, ...]
    year_min: int | None
    year_max: int | None
    excluded: tuple[int, ...]
    kind: int

    def mask(self, catalogue: Catalogue) -> np.ndarray:
        ok = np.array([(not self.genres_in or bool(set(self.genres_in) & set(g))) and not set(self.genres_out) & set(g)
                       for g in catalogue.genres])  # fmt: skip
        if self.year_min is not None:
            ok &= catalogue.years >= self.year_min
        if self.year_max is not None:
            ok &= catalogue.years <= self.year_max
        ok &= ~np.isin(catalogue.ids, self.excluded)
        return ok

    def expression(self, encoding: str, names: list[str]) -> str:
        parts = []
        if encoding == "like":
            if self.genres_in:
                parts.append("(" + " or ".join(f'genres like "%|{g}|%"' for g in self.genres_in) + ")")
            parts += [f'not (genres like "%|{g}|%")' for g in self.genres_out]
        elif encoding == "bool":
            if self.genres_in:
                parts.append("(" + " or ".join(f"genre_{names.index(g)} == true" for g in self.genres_in) + ")")
            parts += [f"genre_{names.index(g)} == false" for g in self.genres_out]
        else:
            if self.genres_in:
                parts.append(f"array_contains_any(genres, {json.dumps(list(self.genres_in))})")
            if self.genres_out:
                parts.append(f"not array_contains_any(genres, {json.dumps(list(self.genres_out))})")
        if self.year_min is not None:
            parts.append(f"year >= {self.year_min}")
        if self.year_max is not None:
            parts.append(f"year <= {self.year_max}")
        if self.excluded:
            parts.append(f"id not in [{', '.join(map(str, self.excluded))}]")
        return " and ".join(parts)


def queries(catalogue: Catalogue, count: int, seed: int = 1) -> list[Query]:
    rng = np.random.default_rng(seed)
    names = catalogue.genre_names
    out = []
    for i in range(count):
        kind = i % 4
        genre_in = (str(rng.choice(names)),) if kind in (1, 3) else ()
        genre_out = tuple(g for g in ((str(rng.choice(names)),) if kind in (2, 3) else ()) if g not in genre_in)
        if kind == 1:
            decade = int(rng.integers(193, 200)) * 10
            year_min, year_max = decade, decade + 9
        elif kind == 3:
            year_min, year_max = int(rng.integers(1930, 1995)), None
        else:
            year_min = year_max = None
        excluded = tuple(int(m) for m in rng.choice(catalogue.ids, size=int(rng.integers(0, 21)), replace=False))
        vector = unit(rng.normal(size=(1, catalogue.vectors.shape[1])))[0]
        out.append(Query(vector, genre_in, genre_out, year_min, year_max, excluded, kind))
    return out


def run(uri: str, catalogues: list[Catalogue], configs: list[str], count: int) -> list[tuple[str, str, Result]]:
    from pymilvus import MilvusClient
    from pymilvus.exceptions import MilvusException

    logs.quiet_libraries()
    client = MilvusClient(uri=uri, timeout=900)
    report = []
    lite = uri.endswith(".db")
    for catalogue in catalogues:
        results = {name: Result() for name in configs}
        names = catalogue.genre_names
        for config in configs:
            encoding, index, metric, _ = CONFIGS[config]
            started = time.perf_counter()
            write(client, collection_name(config, catalogue), catalogue, encoding, index, metric)
            print(f"{catalogue.name}: wrote {config} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        for i, query in enumerate(queries(catalogue, count)):
            ok = query.mask(catalogue)
            scores = np.where(ok, catalogue.vectors @ query.vector, -np.inf)
            want = min(LIMIT, int(ok.sum()))
            best = set(catalogue.ids[np.argsort(-scores)[:want]].tolist())
            for config in configs[i % len(configs):] + configs[: i % len(configs)]:
                result = results[config]
                if result.rejected:
                    continue
                encoding, _, metric, params = CONFIGS[config]
                wall, cpu = time.perf_counter(), time.process_time()
                try:
                    hits = client.search(
                        collection_name(config, catalogue), data=[query.vector.tolist()], limit=LIMIT,
                        filter=query.expression(encoding, names), output_fields=["id"],
                        search_params={"metric_type": metric, "params": params},
                    )  # fmt: skip
                except MilvusException as exc:
                    result.rejected = " ".join(str(exc.message).split())[:70]
                    continue
                result.wall.append((time.perf_counter() - wall) * 1e3)
                result.cpu.append((time.process_time() - cpu) * 1e3)
                got = set(hits[0].ids)
                result.short += len(got) < want
                result.inexact += got != best
                result.recall.append(len(got & best) / want if want else 1.0)
        for config in configs:
            client.drop_collection(collection_name(config, catalogue))
            report.append((catalogue.name, config, results[config]))
    client.close()
    if lite:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="a Milvus Lite data dir (*.db) or a server's http://host:port")
    parser.add_argument("--sizes", default="3883,87585", help="random catalogues of these sizes ('' for none)")
    parser.add_argument("--home", type=Path, help="also the real catalogue: this home's movie vectors ...")
    parser.add_argument("--dataset", type=Path, help="... with the genres and years of this dataset (zip or folder)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"comma-separated, of: {', '.join(CONFIGS)}")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown config {unknown[0]!r}")
    catalogues = [random_catalogue(int(s)) for s in args.sizes.split(",") if s.strip()]
    if args.home is not None:
        if args.dataset is None:
            parser.error("--home needs --dataset (for the genres and years)")
        catalogues.insert(0, real_catalogue(args.home, args.dataset))
    report = run(args.uri, catalogues, configs, args.queries)
    where = "Milvus Lite (in-process)" if args.uri.endswith(".db") else f"Milvus server at {args.uri}"
    out = Table(title=f"{args.queries} filtered searches per configuration, limit {LIMIT}, {where}")
    for column in ("catalogue", "configuration", "p50 ms", "p99 ms", "CPU p50 ms", "short", "not exact", "recall"):
        out.add_column(column, justify="left" if column in ("catalogue", "configuration") else "right")
    for catalogue, config, r in report:
        if r.rejected:
            out.add_row(catalogue, config, "rejected", r.rejected, "", "", "", "")
            continue
        n = len(r.wall)
        out.add_row(
            catalogue, config, f"{np.percentile(r.wall, 50):.2f}", f"{np.percentile(r.wall, 99):.2f}",
            f"{np.percentile(r.cpu, 50):.2f}", f"{r.short}/{n}", f"{r.inexact}/{n}", f"{np.mean(r.recall):.4f}",
        )  # fmt: skip
    Console(width=160).print(out)


if __name__ == "__main__":
    main()
