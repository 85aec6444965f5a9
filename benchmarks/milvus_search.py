"""Filtered search in Milvus: genre encodings x index types x catalogue sizes, exactness and latency.

Usage:
    python benchmarks/milvus_search.py --uri /tmp/bench.db --sizes 3883,87585 --queries 300
    python benchmarks/milvus_search.py --uri http://127.0.0.1:19530 --sizes 3883,87585
    python benchmarks/milvus_search.py --uri /tmp/bench.db --home ~/.local/share/movierec-tui --dataset ml-1m.zip
    python benchmarks/milvus_search.py --uri /tmp/bench.db --sizes 87585 --by-kind \
        --configs "bool+FLAT IP, bool+IVF_FLAT(nlist=1024,nprobe=64,fallback) IP"
    python benchmarks/milvus_search.py --uri /tmp/bench.db --home HOME --dataset ml-1m.zip \
        --generated 20000,87585 --user-queries --by-kind --configs "..."

What it is for: choosing how the store encodes genres and which index it uses, per catalogue size
(docs/benchmarks.md, "Filtered search"). Each catalogue is either random unit vectors of the given
size (256-d, genres drawn with MovieLens 1M's frequencies, years skewed to recent ones), or, with
--home and --dataset, a home's real movie vectors with their real genres and years, or (--generated)
catalogues of other sizes made from them: each movie a real one's vector plus noise (cosine ~0.95 to
it, ~0.9 between two made from the same movie; real movies' nearest neighbours are at 0.95, their
50th at 0.81, where random 256-d vectors are at ~0.2), with its genres and year. Every index
gets its own collection, written with pymilvus directly (this compares designs, including the one
the store used before: `like`, a "|A|B|" string matched with infix LIKE). The same queries run on
every configuration, interleaved (the order rotates per query), so a busy host slows all alike.

A configuration is `ENCODING+INDEX[(PARAMS)] METRIC`: encoding `like`, `bool` (one BOOL field per
genre, the store's) or `array` (ARRAY<VARCHAR>); index FLAT, HNSW (param `ef`) or IVF_FLAT (params
`nlist`, `nprobe`, `fallback`: search again probing every list when fewer than the limit came
back, and `exact`: a search with a genre or year filter probes every list, as the store does);
metric COSINE, IP or L2. Configurations that differ only in search parameters (`ef`,
`nprobe`, `fallback`) share one collection.

A query is a random unit vector (or, with --user-queries, the home's user tower's vector for a random
profile: demographics and 0-20 ratings of movies drawn by popularity, as benchmarks/latency.py makes
them; index structure matters for those, not for random ones), limit 50, and a filter of one of
the kinds the app produces: none;
one genre; a genre and a decade; a genre left out; a genre in, another out, from a year on; narrow
(one of the catalogue's five rarest genres and a decade); many ids (500-2,000 excluded ids, a heavy
rater's, and a genre left out). All but the last also exclude 0-20 random ids (a profile's rated
movies).

Reported per configuration (and per kind with --by-kind): wall-clock p50/p99 ms of the search; the
p50 CPU ms of this process, and the mean CPU ms per search of this process and the processes it
started (milvus-lite 2.5 runs its `milvus` server as a child process; milvus-lite 3 runs in this
one; a server elsewhere is not counted); how many searches came back short of min(50, matching
movies); how many were not exactly the numpy top 50 over the same vectors and filter; the mean
recall of that top 50; the median share of the catalogue that passed the filter. A configuration a
server refuses (an expression it cannot parse, an index it does not have) is reported as rejected.
--json FILE writes the same numbers for benchmarks/alternate.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from processes import children as child_processes  # tests/processes.py: who is whose child, from /proc

from movierec_tui import logs
from movierec_tui.data_loader.dataset import GENRES

# Movies per genre in MovieLens 1M (3,883 movies), for random catalogues of other sizes.
ML1M_GENRE_SHARE = dict(zip(GENRES, np.array(
    [503, 283, 105, 251, 1200, 211, 127, 1603, 68, 44, 343, 114, 106, 471, 276, 492, 143, 68]
) / 3883, strict=True))  # fmt: skip
LIMIT = 50
KINDS = ("none", "genre", "genre+decade", "genre out", "in+out+from", "narrow", "many ids")
# The names earlier runs (and docs/benchmarks.md) used.
PRESETS = {
    "like+HNSW (before)": "like+HNSW(ef=64) COSINE",
    "bool+HNSW ef64": "bool+HNSW(ef=64) IP",
    "bool+HNSW ef512": "bool+HNSW(ef=512) IP",
    "bool+FLAT IP (store)": "bool+FLAT IP",
}
CONFIG_PATTERN = re.compile(r"^(like|bool|array)\+(FLAT|HNSW|IVF_FLAT)(?:\(([^)]*)\))?\s+(COSINE|IP|L2)$")
SEARCH_PARAMS = {"ef", "nprobe", "fallback"}
HNSW_BUILD = {"M": 16, "efConstruction": 200}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Config:
    name: str
    encoding: str
    index: str
    metric: str
    build: tuple[tuple[str, int], ...]  # index parameters (nlist)
    search: tuple[tuple[str, int], ...]  # search parameters (ef, nprobe)
    fallback: bool  # IVF: search again probing every list when the search came back short
    exact_filtered: bool = False  # IVF: a genre or year filter probes every list (an exact search)

    @classmethod
    def parse(cls, text: str) -> Config:
        spec = PRESETS.get(text.strip(), text.strip())
        match = CONFIG_PATTERN.match(spec)
        if not match:
            raise ValueError(f"{text!r} is not ENCODING+INDEX[(k=v,...)] METRIC, e.g. 'bool+IVF_FLAT(nlist=256) IP'")
        encoding, index, params_text, metric = match.groups()
        build, search, fallback, exact_filtered = {}, {}, False, False
        for item in filter(None, (p.strip() for p in (params_text or "").split(","))):
            if item in ("fallback", "exact"):
                fallback |= item == "fallback"
                exact_filtered |= item == "exact"
                continue
            key, _, value = item.partition("=")
            (search if key in SEARCH_PARAMS else build)[key] = int(value)
        if index == "HNSW":
            build = HNSW_BUILD | build
            search.setdefault("ef", 64)
        if index == "IVF_FLAT":
            build.setdefault("nlist", 1024)
            search.setdefault("nprobe", 16)
        return cls(text.strip(), encoding, index, metric, tuple(sorted(build.items())), tuple(sorted(search.items())),
                   fallback, exact_filtered)  # fmt: skip

    def collection(self, catalogue: Catalogue) -> str:
        built = "_".join(f"{k}{v}" for k, v in self.build)
        key = f"{self.encoding}_{self.index}_{self.metric}_{built}_{catalogue.name}"
        return "bench_" + "".join(c if c.isalnum() else "_" for c in key)

    def search_params(self, exhaustive: bool = False) -> dict:
        params = dict(self.search)
        if exhaustive:
            params["nprobe"] = dict(self.build)["nlist"]
        return {"metric_type": self.metric, "params": params}


def split_configs(text: str) -> list[str]:
    """Comma-separated, except commas inside parentheses."""
    return [c.strip() for c in re.split(r",(?![^()]*\))", text) if c.strip()]


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

    def rare_genres(self, count: int = 5) -> list[str]:
        counts = {g: 0 for g in self.genre_names}
        for gs in self.genres:
            for g in gs:
                counts[g] += 1
        return sorted(counts, key=lambda g: (counts[g], g))[:count]


@dataclass
class Result:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # this process
    cpu_all: list[float] = field(default_factory=list)  # this process and the processes it started
    passing: list[float] = field(default_factory=list)  # share of the catalogue that passed the filter
    short: int = 0
    inexact: int = 0
    fallbacks: int = 0
    recall: list[float] = field(default_factory=list)
    rejected: str = ""

    def summary(self) -> dict:
        n = len(self.wall)
        if self.rejected or not n:
            return {"rejected": self.rejected or "no searches", "n": n}
        return {
            "n": n,
            "p50": float(np.percentile(self.wall, 50)),
            "p99": float(np.percentile(self.wall, 99)),
            "cpu_p50": float(np.percentile(self.cpu, 50)),
            "cpu_mean": float(np.mean(self.cpu_all)),
            "short": self.short,
            "inexact": self.inexact,
            "fallbacks": self.fallbacks,
            "recall": float(np.mean(self.recall)),
            "passing": float(np.median(self.passing)),
        }


def unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def random_catalogue(size: int, seed: int = 0, dim: int = 256) -> Catalogue:
    rng = np.random.default_rng(seed)
    has = rng.random((size, len(GENRES))) < np.array(list(ML1M_GENRE_SHARE.values()))
    has[~has.any(axis=1), GENRES.index("Drama")] = True
    genres = [tuple(g for g, h in zip(GENRES, row, strict=True) if h) for row in has]
    years = np.clip(np.round(2000 - rng.exponential(12, size)), 1919, 2000).astype(np.int64)
    return Catalogue(f"random {size:,}", np.arange(1, size + 1, dtype=np.int64),
                     unit(rng.normal(size=(size, dim))), genres, years)  # fmt: skip


def real_catalogue(home: Path, dataset: Path) -> Catalogue:
    from movierec_tui.data_loader.parse import load_dataset
    from movierec_tui.model.artifacts import MovieTable

    table = MovieTable.load(home / "model")
    movies = load_dataset(dataset).movies
    genres = [movies[int(m)].genres for m in table.movie_ids]
    years = np.array([movies[int(m)].year or 0 for m in table.movie_ids], dtype=np.int64)
    return Catalogue(f"real {len(table.movie_ids):,}", table.movie_ids, unit(table.vectors), genres, years)


def generated_catalogue(real: Catalogue, size: int, seed: int = 3) -> Catalogue:
    """`size` movies, each a random real movie's vector plus noise of length 1/3, its genres and year."""
    rng = np.random.default_rng(seed)
    source = rng.integers(len(real.ids), size=size)
    noise = rng.normal(size=(size, real.vectors.shape[1])).astype(np.float32)
    noise *= (1 / 3) / np.linalg.norm(noise, axis=1, keepdims=True)
    return Catalogue(f"generated {size:,}", np.arange(1, size + 1, dtype=np.int64), unit(real.vectors[source] + noise),
                     [real.genres[i] for i in source], real.years[source])  # fmt: skip


class UserQueries:
    """Query vectors as the app makes them: the user tower on random profiles."""

    def __init__(self, home: Path, dataset: Path) -> None:
        from movierec_tui.data_loader.parse import load_dataset
        from movierec_tui.model.encoder import UserEncoder

        self.encoder = UserEncoder(home / "model")
        ratings = load_dataset(dataset).ratings
        self.movie_ids, counts = np.unique(ratings.movie_ids, return_counts=True)
        self.popularity = counts / counts.sum()

    def vector(self, rng: np.random.Generator) -> np.ndarray:
        from movierec_tui.data_loader.dataset import AGE_BUCKETS, OCCUPATIONS

        rated = rng.choice(self.movie_ids, size=int(rng.integers(0, 21)), replace=False, p=self.popularity)
        profile = (str(rng.choice(["M", "F"])), int(rng.choice(list(AGE_BUCKETS))), int(rng.integers(len(OCCUPATIONS))))
        return self.encoder.encode_profile(*profile, {int(m): int(rng.integers(1, 6)) for m in rated}).vector


def write(client, name: str, catalogue: Catalogue, config: Config, reuse: bool) -> bool:
    """Write the catalogue into collection `name` with the config's encoding and index; with `reuse`,
    keep one a previous run left with every row. Returns whether it was written."""
    from pymilvus import DataType, MilvusClient

    if client.has_collection(name):
        if reuse and int(client.get_collection_stats(name)["row_count"]) == len(catalogue.ids):
            client.load_collection(name, timeout=900)
            return False
        client.drop_collection(name)
    names = catalogue.genre_names
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=catalogue.vectors.shape[1])
    if config.encoding == "like":
        schema.add_field("genres", DataType.VARCHAR, max_length=512)
    elif config.encoding == "bool":
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
            if config.encoding == "like":
                row["genres"] = "|" + "|".join(catalogue.genres[i]) + "|"
            elif config.encoding == "bool":
                row.update({f"genre_{j}": g in catalogue.genres[i] for j, g in enumerate(names)})
            else:
                row["genres"] = list(catalogue.genres[i])
            rows.append(row)
        client.insert(name, rows, timeout=900)
    client.flush(name, timeout=900)
    params = client.prepare_index_params()
    params.add_index("embedding", index_type=config.index, metric_type=config.metric, params=dict(config.build))
    client.create_index(name, params, timeout=3600)
    client.load_collection(name, timeout=900)
    return True


@dataclass(frozen=True)
class Query:
    vector: np.ndarray
    genres_in: tuple[str, ...]
    genres_out: tuple[str, ...]
    year_min: int | None
    year_max: int | None
    excluded: tuple[int, ...]
    kind: str

    @property
    def narrows(self) -> bool:
        """Whether a genre or a year filters (not only excluded ids): what the store searches exactly."""
        return bool(self.genres_in or self.genres_out or self.year_min is not None or self.year_max is not None)

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


def queries(
    catalogue: Catalogue, count: int, kinds: tuple[str, ...] = KINDS, users: UserQueries | None = None, seed: int = 1
) -> list[Query]:
    rng = np.random.default_rng(seed)
    names = catalogue.genre_names
    rare = catalogue.rare_genres()
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        genres_in: tuple[str, ...] = ()
        genres_out: tuple[str, ...] = ()
        year_min = year_max = None
        excluded_count = int(rng.integers(0, 21))
        if kind in ("genre", "genre+decade", "in+out+from"):
            genres_in = (str(rng.choice(names)),)
        if kind in ("genre out", "in+out+from", "many ids"):
            genres_out = tuple(g for g in (str(rng.choice(names)),) if g not in genres_in)
        if kind in ("genre+decade", "narrow"):
            decade = int(rng.integers(193, 200)) * 10
            year_min, year_max = decade, decade + 9
        if kind == "in+out+from":
            year_min = int(rng.integers(1930, 1995))
        if kind == "narrow":
            genres_in = (str(rng.choice(rare)),)
        if kind == "many ids":
            excluded_count = min(int(rng.integers(500, 2001)), len(catalogue.ids) // 2)
        excluded = tuple(int(m) for m in rng.choice(catalogue.ids, size=excluded_count, replace=False))
        vector = users.vector(rng) if users else unit(rng.normal(size=(1, catalogue.vectors.shape[1])))[0]
        out.append(Query(vector, genres_in, genres_out, year_min, year_max, excluded, kind))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads) so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def connect(uri: str):
    """A client, and for a Milvus Lite file the server this process starts for it (stores/lite_server.py;
    with milvus-lite 3, which has no server program, pymilvus runs it in this process)."""
    from pymilvus import MilvusClient

    from movierec_tui.stores.lite_server import LiteServer, program_dir

    if uri.endswith(".db") and (program_dir() / "milvus").exists():
        server = LiteServer(Path(uri))
        server.start()
        return MilvusClient(uri=server.uri, timeout=900), server
    return MilvusClient(uri=uri, timeout=900), None


def run(
    uri: str,
    catalogues: list[Catalogue],
    configs: list[Config],
    count: int,
    kinds: tuple[str, ...],
    reuse: bool,
    users: UserQueries | None = None,
) -> list[tuple[str, Config, str, Result]]:
    """(catalogue, config, kind or "all", result) for every combination."""
    from pymilvus.exceptions import MilvusException

    logs.quiet_libraries()
    # numpy's reference ranking on one thread: OpenBLAS's other threads spin for a while after each
    # product, which would be counted as this process's CPU and slow the search that follows.
    threadpool_limits(1, user_api="blas")
    client, lite_server = connect(uri)
    children = [pid for pid, _ in child_processes(os.getpid())]  # milvus-lite 2.5's `milvus` program
    report = []
    for catalogue in catalogues:
        results = {(c.name, kind): Result() for c in configs for kind in ("all", *kinds)}
        rejected: dict[str, str] = {}
        names = catalogue.genre_names
        refused: dict[str, str] = {}  # collection -> why it could not be written
        for config in configs:
            name = config.collection(catalogue)
            if name not in refused:
                started = time.perf_counter()
                try:
                    written = write(client, name, catalogue, config, reuse)
                    refused[name] = ""
                except MilvusException as exc:
                    refused[name] = " ".join(str(exc.message).split())[:70]
                    written = False
                if written:
                    print(f"{catalogue.name}: wrote {name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            if refused[name]:
                rejected[config.name] = refused[name]
        for name in (name for name, why in refused.items() if not why):  # warm up: the first searches load caches
            for vector in unit(np.random.default_rng(2).normal(size=(3, catalogue.vectors.shape[1]))):
                client.search(name, data=[vector.tolist()], limit=LIMIT, output_fields=["id"])
        for i, query in enumerate(queries(catalogue, count, kinds, users)):
            ok = query.mask(catalogue)
            scores = np.where(ok, catalogue.vectors @ query.vector, -np.inf)
            want = min(LIMIT, int(ok.sum()))
            best = set(catalogue.ids[np.argsort(-scores)[:want]].tolist())
            for config in configs[i % len(configs):] + configs[: i % len(configs)]:
                if config.name in rejected:
                    continue
                request = {
                    "collection_name": config.collection(catalogue), "data": [query.vector.tolist()],
                    "limit": LIMIT, "filter": query.expression(config.encoding, names), "output_fields": ["id"],
                }  # fmt: skip
                other_cpu = cpu_seconds(children)
                wall, cpu = time.perf_counter(), time.process_time()
                fallback = False
                exhaustive = config.exact_filtered and query.narrows
                try:
                    hits = client.search(**request, search_params=config.search_params(exhaustive))
                    if config.fallback and len(hits[0]) < LIMIT:
                        fallback = True
                        hits = client.search(**request, search_params=config.search_params(exhaustive=True))
                except MilvusException as exc:
                    rejected[config.name] = " ".join(str(exc.message).split())[:70]
                    continue
                wall_ms = (time.perf_counter() - wall) * 1e3
                cpu_ms = (time.process_time() - cpu) * 1e3
                cpu_all_ms = cpu_ms + (cpu_seconds(children) - other_cpu) * 1e3
                got = set(hits[0].ids)
                for kind in ("all", query.kind):
                    result = results[config.name, kind]
                    result.wall.append(wall_ms)
                    result.cpu.append(cpu_ms)
                    result.cpu_all.append(cpu_all_ms)
                    result.passing.append(float(ok.mean()))
                    result.short += len(got) < want
                    result.inexact += got != best
                    result.fallbacks += fallback
                    result.recall.append(len(got & best) / want if want else 1.0)
        for config in configs:
            for kind in ("all", *kinds):
                result = results[config.name, kind]
                result.rejected = rejected.get(config.name, "")
                report.append((catalogue.name, config, kind, result))
        if not reuse:
            for name in {config.collection(catalogue) for config in configs}:
                if client.has_collection(name):
                    client.drop_collection(name)
    client.close()
    if lite_server is not None:
        lite_server.stop()
    elif uri.endswith(".db"):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True, help="a Milvus Lite data file (*.db) or a server's http://host:port")
    parser.add_argument("--sizes", default="3883,87585", help="random catalogues of these sizes ('' for none)")
    parser.add_argument("--dim", type=int, default=256, help="the random catalogues' width (the store's rows: 387)")
    parser.add_argument("--home", type=Path, help="also the real catalogue: this home's movie vectors ...")
    parser.add_argument("--dataset", type=Path, help="... with the genres and years of this dataset (zip or folder)")
    parser.add_argument("--generated", default="", help="with --home: catalogues of these sizes made from its vectors")
    parser.add_argument("--user-queries", action="store_true", help="with --home: queries from its user tower")
    parser.add_argument("--configs", default="bool+FLAT IP", help="comma-separated configurations (see above)")
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"filter kinds, of: {', '.join(KINDS)}")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--by-kind", action="store_true", help="a row per filter kind, not only per configuration")
    parser.add_argument("--reuse", action="store_true", help="keep the collections for the next run, and reuse them")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args()
    try:
        configs = [Config.parse(c) for c in split_configs(args.configs)]
    except ValueError as exc:
        parser.error(str(exc))
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if unknown := [k for k in kinds if k not in KINDS]:
        parser.error(f"unknown kind {unknown[0]!r}")
    catalogues = [random_catalogue(int(s), dim=args.dim) for s in args.sizes.split(",") if s.strip()]
    users = None
    if args.home is not None:
        if args.dataset is None:
            parser.error("--home needs --dataset (for the genres and years)")
        real = real_catalogue(args.home, args.dataset)
        catalogues = [real, *(generated_catalogue(real, int(s)) for s in args.generated.split(",") if s.strip()),
                      *catalogues]  # fmt: skip
        users = UserQueries(args.home, args.dataset) if args.user_queries else None
    elif args.generated or args.user_queries:
        parser.error("--generated and --user-queries need --home and --dataset")
    report = run(args.uri, catalogues, configs, args.queries, kinds, args.reuse, users)
    if args.json:
        records = [{"catalogue": catalogue, "config": config.name, "kind": kind, **result.summary()}
                   for catalogue, config, kind, result in report]  # fmt: skip
        args.json.write_text(json.dumps({"uri": args.uri, "records": records}, indent=1))
    where = "Milvus Lite" if args.uri.endswith(".db") else f"Milvus server at {args.uri}"
    out = Table(title=f"{args.queries} filtered searches per configuration, limit {LIMIT}, {where}")
    columns = ["catalogue", "configuration", *(["filter"] if args.by_kind else []), "p50 ms", "p99 ms",
               "CPU p50 ms", "CPU mean ms (all)", "short", "not exact", "recall", "passing"]  # fmt: skip
    for column in columns:
        out.add_column(column, justify="left" if column in ("catalogue", "configuration", "filter") else "right")
    for catalogue, config, kind, result in report:
        s = result.summary()
        if (kind == "all") == args.by_kind and not ("rejected" in s and kind == "all"):
            continue
        labels = [catalogue, config.name, *([kind] if args.by_kind else [])]
        if "rejected" in s:
            out.add_row(*labels, "rejected", s["rejected"], *[""] * (len(columns) - len(labels) - 2))
            continue
        n = s["n"]
        short = f"{s['short']}/{n}" + (f" ({s['fallbacks']} refetched)" if config.fallback else "")
        out.add_row(
            *labels, f"{s['p50']:.2f}", f"{s['p99']:.2f}", f"{s['cpu_p50']:.2f}", f"{s['cpu_mean']:.2f}",
            short, f"{s['inexact']}/{n}", f"{s['recall']:.4f}", f"{100 * s['passing']:.1f}%",
        )  # fmt: skip
    Console(width=200).print(out)


if __name__ == "__main__":
    main()
