"""How many IVF lists a search must probe for recall@50 >= 0.99: the store's IVF_FLAT, simulated in faiss.

Usage:
    python benchmarks/ivf_recall.py --sizes 20000,87585 --queries 200
    python benchmarks/ivf_recall.py --model ~/.local/share/movierec-tui/model --sizes 20000,87585

Why a simulation: Milvus Lite 2.5 accepts an IVF_FLAT index but searches by brute force whatever
the index (benchmarks/milvus_search.py shows recall 1.0 at nprobe 16 of 1,184 lists), and the
probing only happens on a Milvus server. A server's IVF_FLAT is faiss's IndexIVFFlat (through
knowhere), so faiss gives the recall a server's probe would have; its times are faiss's on one
thread, an indication of the share of the brute force's cost, not a server's latency.

Catalogues: random unit vectors of --dim (no structure: the hardest case for lists), and with
--model, catalogues of each size made from that model's real search rows (each a real movie's row
plus noise, as benchmarks/milvus_search.py's --generated), queried with mixtures of 1-10 real movies'
rows (a profile's taste). nlist is the store's (4 sqrt(rows)); the search is unfiltered (the store
probes every list when a genre or year filters, which is exact).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

LIMIT = 50


def unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def random_case(size: int, dim: int, queries: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return unit(rng.normal(size=(size, dim))), unit(rng.normal(size=(queries, dim)))


def model_case(rows: np.ndarray, size: int, queries: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`size` rows, each a real row plus noise of a third of its length; queries mix 1-10 real rows."""
    source = rows[rng.integers(len(rows), size=size)]
    noise = unit(rng.normal(size=source.shape)) / 3
    catalogue = unit(source + noise)
    mixes = [rows[rng.integers(len(rows), size=int(rng.integers(1, 11)))].sum(axis=0) for _ in range(queries)]
    return catalogue, unit(np.array(mixes))


def measure(catalogue: np.ndarray, queries: np.ndarray, probes: list[int]) -> list[tuple[int, float, float]]:
    """(nprobe, mean recall@50 against brute force, ms per query) for each nprobe; nprobe 0 = brute force."""
    import faiss

    faiss.omp_set_num_threads(1)
    dim = catalogue.shape[1]
    nlist = round(4 * len(catalogue) ** 0.5)
    flat = faiss.IndexFlatIP(dim)
    flat.add(catalogue)
    started = time.perf_counter()
    _, truth = flat.search(queries, LIMIT)
    results = [(0, 1.0, (time.perf_counter() - started) * 1e3 / len(queries))]
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(catalogue)
    ivf.add(catalogue)
    for nprobe in probes:
        ivf.nprobe = min(nprobe, nlist)
        started = time.perf_counter()
        _, found = ivf.search(queries, LIMIT)
        took = (time.perf_counter() - started) * 1e3 / len(queries)
        recall = np.mean([len(set(f) & set(t)) / LIMIT for f, t in zip(found, truth, strict=True)])
        results.append((nprobe, float(recall), took))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,87585")
    parser.add_argument("--dim", type=int, default=386, help="random catalogues' width (the store's rows: 386)")
    parser.add_argument("--model", type=Path, help="also catalogues made from this model dir's search rows")
    parser.add_argument("--probes", default="8,16,32,64,128")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    probes = [int(p) for p in args.probes.split(",")]
    rng = np.random.default_rng(0)
    cases = []
    real = None
    if args.model is not None:
        from movierec_tui.model.artifacts import MovieTable

        real = unit(MovieTable.load(args.model).search_vectors())
    for size in (int(s) for s in args.sizes.split(",")):
        cases.append((f"random {size:,} x {args.dim}", *random_case(size, args.dim, args.queries, rng)))
        if real is not None:
            cases.append((f"from the model {size:,} x {real.shape[1]}", *model_case(real, size, args.queries, rng)))
    table = Table(title=f"IVF_FLAT (faiss, one thread), nlist = 4 sqrt(rows), recall@{LIMIT}, {args.queries} queries")
    for column in ("catalogue", "nlist", "nprobe", "recall@50", "ms per query", "x brute force"):
        table.add_column(column, justify="left" if column == "catalogue" else "right")
    for name, catalogue, queries in cases:
        results = measure(catalogue, queries, probes)
        brute_ms = results[0][2]
        for nprobe, recall, took in results:
            label = "all (brute force)" if nprobe == 0 else str(nprobe)
            nlist = round(4 * len(catalogue) ** 0.5)
            table.add_row(name, str(nlist), label, f"{recall:.4f}", f"{took:.2f}", f"{took / brute_ms:.2f}")
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
