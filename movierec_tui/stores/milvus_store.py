"""Movie vectors in Milvus: a versioned collection behind the alias `movies`.

`index` writes a complete new collection (`movies_<version>`), loads it, then moves the alias to it
and drops the old one, so a search never sees a half-written collection and an interrupted index
run leaves the previous one serving. Filters are Milvus expressions, evaluated by Milvus before
ranking. Genres are stored as a `|Action|Sci-Fi|` string: Milvus Lite evaluates LIKE on a column in
vectorised Arrow code, while ARRAY_CONTAINS falls back to a per-row interpreter (~15x slower).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from movierec_tui import logs  # before pymilvus: it sets gRPC's log level
from movierec_tui.data_loader.dataset import GENRES

log = logging.getLogger(__name__)

ALIAS = "movies"
COLLECTION_PREFIX = "movies_"
INSERT_BATCH = 1000

# Milvus Lite keeps a data dir open (and locked against other processes) until told to let go;
# count the stores of this process using each dir so that closing the last one frees it, e.g. for
# the `milvus-lite server` that `serve` starts.
_lite_users: Counter[str] = Counter()


class MilvusUnavailable(Exception):
    """Milvus cannot be opened or reached; the message names the URI and what to do."""


@dataclass(frozen=True)
class SearchFilter:
    exclude_ids: tuple[int, ...] = ()
    genres_any: tuple[str, ...] = ()  # keep movies with at least one of these
    genres_none: tuple[str, ...] = ()  # drop movies with any of these
    year_min: int | None = None
    year_max: int | None = None

    def expression(self) -> str:
        parts: list[str] = []
        for genre in (*self.genres_any, *self.genres_none):
            if genre not in GENRES:
                raise ValueError(f"unknown genre {genre!r}")
        if self.genres_any:
            parts.append("(" + " or ".join(f'genres like "%|{g}|%"' for g in self.genres_any) + ")")
        parts.extend(f'not (genres like "%|{g}|%")' for g in self.genres_none)
        if self.year_min is not None:
            parts.append(f"year >= {int(self.year_min)}")
        if self.year_max is not None:
            parts.append(f"year <= {int(self.year_max)}")
        if self.exclude_ids:
            parts.append(f"id not in [{', '.join(str(int(i)) for i in self.exclude_ids)}]")
        return " and ".join(parts)


def genre_field(genres: Iterable[str]) -> str:
    return "|" + "|".join(genres) + "|"


class MilvusStore:
    def __init__(self, uri: str, token: str = "") -> None:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        logs.quiet_libraries()
        self.uri = uri
        try:
            self.client = MilvusClient(uri=uri, token=token or None, timeout=10)
        except MilvusException as exc:
            raise MilvusUnavailable(describe_connect_failure(uri, exc)) from None
        self._lite_path = os.path.abspath(uri) if uri.endswith(".db") else None
        if self._lite_path:
            _lite_users[self._lite_path] += 1
        self._loaded: str | None = None

    def close(self) -> None:
        self.client.close()
        path, self._lite_path = self._lite_path, None
        if path:
            _lite_users[path] -= 1
            if _lite_users[path] <= 0:
                del _lite_users[path]
                from milvus_lite.server_manager import server_manager_instance

                server_manager_instance.release_server(path)

    def active_collection(self) -> str | None:
        try:
            return self.client.describe_alias(ALIAS)["collection_name"]
        except Exception:  # pymilvus raises a generic MilvusException when the alias is missing
            return None

    def ensure_loaded(self) -> str | None:
        """Load the aliased collection once per process (Milvus Lite reopens collections released)."""
        name = self.active_collection()
        if name is not None and self._loaded != name:
            self.client.load_collection(name)
            self._loaded = name
        return name

    def count(self) -> int:
        name = self.active_collection()
        if name is None:
            return 0
        return int(self.client.get_collection_stats(name)["row_count"])

    def write_collection(
        self,
        version: str,
        movie_ids: np.ndarray,
        vectors: np.ndarray,
        genres: Sequence[Sequence[str]],
        years: Sequence[int],
        popularity: Sequence[int],
        index_type: str = "HNSW",
        progress=None,
    ) -> str:
        from pymilvus import DataType, MilvusClient

        name = COLLECTION_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", version) + f"_{int(time.time())}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
        schema.add_field("genres", DataType.VARCHAR, max_length=512)
        schema.add_field("year", DataType.INT64)
        schema.add_field("popularity", DataType.INT64)
        if self.client.has_collection(name):
            self.client.drop_collection(name)
        self.client.create_collection(name, schema=schema)
        total = len(movie_ids)
        for start in range(0, total, INSERT_BATCH):
            stop = min(start + INSERT_BATCH, total)
            rows = [
                {
                    "id": int(movie_ids[i]),
                    "embedding": vectors[i].tolist(),
                    "genres": genre_field(genres[i]),
                    "year": int(years[i]),
                    "popularity": int(popularity[i]),
                }
                for i in range(start, stop)
            ]
            self.client.insert(name, rows)
            if progress is not None:
                progress(stop, total)
        self.client.flush(name)
        index_params = self.client.prepare_index_params()
        params = {"M": 16, "efConstruction": 200} if index_type == "HNSW" else {}
        index_params.add_index("embedding", index_type=index_type, metric_type="COSINE", params=params)
        self.client.create_index(name, index_params)
        self.client.load_collection(name)
        self._swap_alias(name)
        return name

    def _swap_alias(self, name: str) -> None:
        previous = self.active_collection()
        if previous is None:
            self.client.create_alias(name, ALIAS)
        else:
            self.client.alter_alias(name, ALIAS)
        self._loaded = name
        for old in self.client.list_collections():
            if old.startswith(COLLECTION_PREFIX) and old != name:
                log.info("dropping retired collection %s", old)
                self.client.drop_collection(old)

    def search(
        self, vector: np.ndarray, limit: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[int, float]]:
        """(movie id, cosine) best first.

        The alias is resolved and its collection loaded once, not per search (that lookup is a round
        trip of its own); if the search fails because the alias has since moved to a collection this
        process has not loaded (an `index` run elsewhere), it is resolved again and retried once.
        """
        from pymilvus.exceptions import MilvusException

        if self._loaded is None and self.ensure_loaded() is None:
            raise MilvusUnavailable(f"no movie index in Milvus at {self.uri}; run `movierec-tui setup` or `index`")
        expression = search_filter.expression() if search_filter else ""
        try:
            hits = self._search(vector, limit, expression)
        except MilvusException:
            if self.ensure_loaded() is None:
                raise MilvusUnavailable(f"no movie index in Milvus at {self.uri}; run `movierec-tui setup`") from None
            hits = self._search(vector, limit, expression)
        # The ids and scores as returned, without pymilvus building a dict per hit (~0.02 ms each).
        return [(int(movie_id), float(score)) for movie_id, score in zip(hits[0].ids, hits[0].distances, strict=True)]

    def _search(self, vector: np.ndarray, limit: int, expression: str) -> list:
        return self.client.search(
            ALIAS,
            data=[vector.tolist()],
            limit=limit,
            filter=expression,
            # Only the primary key: by default Milvus Lite also sends every hit's 256-d vector back.
            output_fields=["id"],
            search_params={"metric_type": "COSINE", "params": {"ef": max(64, limit)}},
        )


def describe_connect_failure(uri: str, exc: Exception) -> str:
    if uri.endswith(".db"):
        return (
            f"cannot open the Milvus Lite data dir {uri}: it is probably in use by another movierec-tui "
            "process (one process per data dir). Close it, use `movierec-tui serve`, or set "
            "MOVIEREC_MILVUS_URI to a Milvus server."
        )
    reason = getattr(exc, "message", None) or str(exc)
    return f"Milvus at {uri} is not reachable ({reason}); check the server or MOVIEREC_MILVUS_URI"
