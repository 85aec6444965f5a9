"""Can Milvus Lite 2.5.1 answer a search over a big catalogue without comparing the query with every row?

Usage:
    python benchmarks/lite_pruning.py --model HOME/model [--queries 200] [--cells 296] [--probes 1,4,16]
        [--shards 24] [--dims 32,64,128]

Milvus Lite 2.5.1 searches by brute force whatever the index (docs/benchmarks.md, "Index by catalogue
size"), so at 87,585 movies one search costs ~25-35 ms. This tries the three ways around that which
Lite's own features allow, each timed against the unfiltered FLAT search of the same rows in one run:

- **cells**: the rows clustered (spherical k-means, `--cells` of them) into an INT32 field; a search
  filters on `cell in [...]` for the `--probes` cells whose centres are nearest the query (an IVF
  built from a filter; Lite compares only the rows that pass it);
- **shards**: one collection per cluster (`--shards` of them); a search asks the nearest 1-4
  collections, one request each, and merges (Lite 2.5.1 has no partitions: `create_partition` is
  UNIMPLEMENTED);
- **dims**: random rows of fewer dimensions (`--dims`): the floor of a search that first ranks a
  shorter projection of every row.

Rows are the model's search rows (`MovieTable.search_vectors`, unit length); queries the search
vectors of random profiles (benchmarks/latency.py's) and, as a harder case, mixtures of 1-10 movies'
rows. Recall@30 is against exact brute force in numpy. Times are of the search request alone, not of
a whole recommendation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latency import random_profiles  # the same random profiles as the latency benchmark

from movierec_tui.model.artifacts import MovieTable
from movierec_tui.model.encoder import UserEncoder
from movierec_tui.stores.lite_server import shared_servers
from movierec_tui.stores.milvus_store import normalised  # as the store keeps its rows

LIMIT = 30  # what the engine asks for: 10 cards plus the profile's up to 20 rated movies


def spherical_kmeans(rows: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 12):
    """(unit centres, the cell of each row): rows assigned to the centre of highest inner product."""
    centres = rows[rng.choice(len(rows), k, replace=False)].copy()
    for _ in range(rounds):
        cells = np.argmax(rows @ centres.T, axis=1)
        for cell in range(k):
            members = rows[cells == cell]
            if len(members):
                centres[cell] = normalised(members.sum(axis=0))
    return centres, np.argmax(rows @ centres.T, axis=1)


def create(client, name: str, dim: int, with_cell: bool) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    if with_cell:
        schema.add_field("cell", DataType.INT32)
    schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("embedding", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)


def fill(client, name: str, ids: np.ndarray, rows: np.ndarray, cells: np.ndarray | None = None) -> None:
    for start in range(0, len(rows), 2000):
        stop = min(len(rows), start + 2000)
        client.insert(name, [
            {"id": int(ids[i]), "embedding": rows[i].tolist(), **({"cell": int(cells[i])} if cells is not None else {})}
            for i in range(start, stop)
        ])  # fmt: skip
    client.flush(name)
    client.load_collection(name)


def timed(queries: np.ndarray, exact: list[set[int]], search) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, mean recall@LIMIT) of `search(query) -> ids` over the queries."""
    times, recalls = [], []
    for query, truth in zip(queries, exact, strict=True):
        started = time.perf_counter()
        found = search(query)
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(set(found) & truth) / LIMIT)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99)), float(np.mean(recalls))


def run_searches(client, rows: np.ndarray, ids: np.ndarray, sets: dict[str, np.ndarray],
                 exact: dict[str, list[set[int]]], args: argparse.Namespace, rng: np.random.Generator):
    """Every way of searching, each timed over every set of queries: (queries, search, p50, p99, recall)."""
    results: list[tuple[str, str, float, float, float]] = []

    def hits(found) -> list[int]:
        return [int(hit["id"]) for hit in found[0]]

    centres, cells = spherical_kmeans(rows, args.cells, rng)
    create(client, "all", rows.shape[1], with_cell=True)
    fill(client, "all", ids, rows, cells)
    for name, queries in sets.items():
        results.append((name, f"FLAT, every row ({len(rows):,})", *timed(queries, exact[name], lambda q: hits(
            client.search("all", data=[q.tolist()], limit=LIMIT, output_fields=["id"])))))  # fmt: skip
        for probe in (int(p) for p in args.probes.split(",")):

            def by_cells(q, probe=probe):
                nearest = np.argsort(-(centres @ q))[:probe]
                expression = f"cell in [{','.join(str(int(c)) for c in nearest)}]"
                found = client.search("all", data=[q.tolist()], limit=LIMIT, filter=expression, output_fields=["id"])
                return hits(found)

            share = np.isin(cells, np.argsort(-(centres @ queries[0]))[:probe]).mean()
            results.append((name, f"cell filter, {probe} of {args.cells} cells (~{share:.1%} of rows)",
                            *timed(queries, exact[name], by_cells)))  # fmt: skip
    client.release_collection("all")

    if args.shards:
        shard_centres, shard_of = spherical_kmeans(rows, args.shards, rng)
        for shard in range(args.shards):
            create(client, f"shard{shard}", rows.shape[1], with_cell=False)
            members = np.flatnonzero(shard_of == shard)
            fill(client, f"shard{shard}", ids[members], rows[members])
        for name, queries in sets.items():
            for probe in sorted({min(p, args.shards) for p in (1, 2, 4)}):

                def by_shards(q, probe=probe):
                    found: list[tuple[float, int]] = []
                    for shard in np.argsort(-(shard_centres @ q))[:probe]:
                        answer = client.search(f"shard{shard}", data=[q.tolist()], limit=LIMIT, output_fields=["id"])
                        found += [(hit["distance"], int(hit["id"])) for hit in answer[0]]
                    return [movie for _, movie in sorted(found, reverse=True)[:LIMIT]]

                results.append((name, f"{probe} of {args.shards} shard collections, one request each",
                                *timed(queries, exact[name], by_shards)))  # fmt: skip

    for dim in (int(d) for d in args.dims.split(",") if d):
        narrow = normalised(rng.normal(size=(len(rows), dim)))
        create(client, f"d{dim}", dim, with_cell=False)
        fill(client, f"d{dim}", ids, narrow)
        queries = normalised(rng.normal(size=(args.queries, dim)))
        truth = [set(ids[np.argsort(-(narrow @ q))[:LIMIT]].tolist()) for q in queries]
        results.append(("random rows", f"FLAT, every row, {dim}-d", *timed(queries, truth, lambda q, dim=dim: hits(
            client.search(f"d{dim}", data=[q.tolist()], limit=LIMIT, output_fields=["id"])))))  # fmt: skip
        client.release_collection(f"d{dim}")

    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="a set-up home's model dir")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cells", type=int, default=296, help="clusters for the cell filter (~sqrt(rows))")
    parser.add_argument("--probes", default="1,4,16", help="cells a search filters on")
    parser.add_argument("--shards", type=int, default=24, help="collections for the sharded search (0: skip)")
    parser.add_argument("--dims", default="32,64,128", help="row widths of the random-row floor ('' to skip)")
    args = parser.parse_args()
    from pymilvus import MilvusClient

    rng = np.random.default_rng(0)
    table, encoder = MovieTable.load(args.model), UserEncoder(args.model)
    rows, ids = normalised(table.search_vectors()), table.movie_ids
    profiles = random_profiles(rng, ids, np.exp(table.popularity), args.queries, filtered=False)
    sets = {
        "profiles": normalised(np.array([
            table.query(*encoder.encode_profile(p.gender, p.age, p.occupation, p.ratings).query_parts(), 0.0)
            for p in profiles
        ])),
        "mixes of movies": normalised(np.array([
            rows[rng.integers(len(rows), size=int(rng.integers(1, 11)))].sum(axis=0) for _ in range(args.queries)
        ])),
    }  # fmt: skip
    exact = {name: [set(ids[np.argsort(-(rows @ q))[:LIMIT]].tolist()) for q in qs] for name, qs in sets.items()}
    with tempfile.TemporaryDirectory(prefix="lite-pruning-") as scratch:  # ~0.5 GB of Lite data, removed after
        data_file = Path(scratch) / "pruning.db"
        client = MilvusClient(uri=shared_servers.acquire(data_file).uri)
        try:
            results = run_searches(client, rows, ids, sets, exact, args, rng)
        finally:
            client.close()
            shared_servers.release(data_file)  # stops the Lite program before its directory goes

    table_out = Table(title=f"Milvus Lite search of {len(rows):,} rows ({rows.shape[1]}-d), limit {LIMIT}")
    for column in ("queries", "search", "p50 ms", "p99 ms", f"recall@{LIMIT}"):
        table_out.add_column(column)
    for name, how, p50, p99, recall in results:
        table_out.add_row(name, how, f"{p50:.2f}", f"{p99:.2f}", f"{recall:.4f}")
    Console().print(table_out)


if __name__ == "__main__":
    main()
