"""Movie vectors in Milvus: a versioned collection behind the alias `movies`.

`index` writes a complete new collection (`movies_<version>_<time>`), loads it, then moves the alias
to it and drops the old one, so a search never sees a half-written collection and an interrupted
index run leaves the previous one serving.

Filters are Milvus expressions, evaluated by Milvus before ranking, in the subset that every Milvus
from 2.3 and Milvus Lite accept (`tests/test_stores.py` runs them on both). Genres are one BOOL field
per genre of the catalogue (`genre_0`, `genre_1`, ...), compared with `== true` / `== false`: a
2.3 server rejects infix `LIKE "%x%"` and the bit operators, and Milvus Lite evaluates
`array_contains_any` row by row in Python (~20x slower), while a BOOL comparison is vectorised on
both. Which field is which genre travels with the collection, as the `movierec.genres` property, so
that any process searching it can rebuild the mapping.

The search is exact: the default index is FLAT (brute force over the rows that pass the filter), so
a search returns min(limit, matching movies), and they are the best by the metric. docs/benchmarks.md
has the measurements behind that choice (an HNSW graph misses neighbours, and comes back short under
narrow filters). With the COSINE metric the vectors are stored L2-normalised under the IP metric:
the same scores and order, and Milvus Lite's FLAT search then skips normalising every row per query.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np

from movierec_tui import logs  # before pymilvus: it sets gRPC's log level
from movierec_tui.stores.errors import MilvusUnavailable, one_line

__all__ = ["GenreFields", "MilvusStore", "MilvusUnavailable", "SearchFilter"]

log = logging.getLogger(__name__)

ALIAS = "movies"
COLLECTION_PREFIX = "movies_"
INSERT_BATCH = 1000
CALL_TIMEOUT = 10.0  # seconds for a search or a lookup
WRITE_TIMEOUT = 900.0  # flushing, indexing and loading ~90,000 vectors takes minutes on a busy host
INDEX_FORMAT = "2"  # genres as BOOL fields (format 1: a "|A|B|" string matched with LIKE)
PROPERTY_FORMAT = "movierec.format"
PROPERTY_GENRES = "movierec.genres"  # JSON list: genre i is field genre_i
PROPERTY_METRIC = "movierec.metric"  # what the scores mean: COSINE (stored normalised, searched as IP), IP, L2
PROPERTY_INDEX = "movierec.index"
GENRE_FIELD_PREFIX = "genre_"
# A Milvus server allows 64 fields per collection (proxy.maxFieldNum); id, embedding, year and
# popularity take four.
MAX_GENRES = 60
UNKNOWN_YEAR = 0  # stored for a movie without a year; a year filter never matches it
DEFAULT_INDEX = "FLAT"
HNSW_BUILD = {"M": 16, "efConstruction": 200}
HNSW_MIN_EF = 64
# The Milvus error code that means "no such collection" (or alias) rather than "Milvus failed".
NOT_FOUND_CODES = {100}

# Milvus Lite keeps a data dir open (and locked against other processes) until told to let go;
# count the stores of this process using each dir so that closing the last one frees it, e.g. for
# the `milvus-lite server` that `serve` starts.
_lite_users: Counter[str] = Counter()


@dataclass(frozen=True)
class GenreFields:
    """The catalogue's genres and the BOOL field of each: genre i is the field `genre_i`.

    Field names are generated, never built from genre names, so a genre such as "Children's" or
    "(no genres listed)" needs no quoting and no genre text ever reaches an expression."""

    names: tuple[str, ...]

    @classmethod
    def of_catalogue(cls, movie_genres: Iterable[Iterable[str]]) -> GenreFields:
        names = tuple(sorted({g for genres in movie_genres for g in genres}))
        if len(names) > MAX_GENRES:
            raise ValueError(
                f"the catalogue has {len(names)} genres; the Milvus index holds at most {MAX_GENRES}"
            )
        return cls(names)

    @classmethod
    def from_property(cls, text: str) -> GenreFields:
        names = json.loads(text)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{PROPERTY_GENRES} is not a list of names: {text[:80]!r}")
        return cls(tuple(names))

    def to_property(self) -> str:
        return json.dumps(list(self.names), ensure_ascii=False)

    @property
    def fields(self) -> list[str]:
        return [f"{GENRE_FIELD_PREFIX}{i}" for i in range(len(self.names))]

    def field(self, genre: str) -> str | None:
        """The field of a genre, or None for a genre no movie of the catalogue has."""
        try:
            return f"{GENRE_FIELD_PREFIX}{self.names.index(genre)}"
        except ValueError:
            return None

    def row(self, genres: Iterable[str]) -> dict[str, bool]:
        present = set(genres)
        return {field: name in present for field, name in zip(self.fields, self.names, strict=True)}


@dataclass(frozen=True)
class SearchFilter:
    exclude_ids: tuple[int, ...] = ()
    genres_any: tuple[str, ...] = ()  # keep movies with at least one of these
    genres_none: tuple[str, ...] = ()  # drop movies with any of these
    year_min: int | None = None
    year_max: int | None = None

    def expression(self, genres: GenreFields) -> str | None:
        """The Milvus filter expression ("" for none), or None when no movie can pass (every genre
        asked for is one the catalogue does not have, or an empty year range)."""
        parts: list[str] = []
        if self.genres_any:
            wanted = [f for g in dict.fromkeys(self.genres_any) if (f := genres.field(g)) is not None]
            if not wanted:
                return None
            parts.append("(" + " or ".join(f"{f} == true" for f in wanted) + ")")
        parts.extend(f"{f} == false" for g in dict.fromkeys(self.genres_none) if (f := genres.field(g)) is not None)
        lowest = self.year_min
        if lowest is None and self.year_max is not None:
            lowest = UNKNOWN_YEAR + 1
        if lowest is not None:
            lowest = max(int(lowest), UNKNOWN_YEAR + 1)
            parts.append(f"year >= {lowest}")
        if self.year_max is not None:
            if lowest is not None and int(self.year_max) < lowest:
                return None
            parts.append(f"year <= {int(self.year_max)}")
        if self.exclude_ids:
            parts.append(f"id not in [{', '.join(str(int(i)) for i in self.exclude_ids)}]")
        return " and ".join(parts)


@dataclass(frozen=True)
class _Collection:
    """What a search needs to know about the collection behind the alias."""

    name: str
    genres: GenreFields
    metric: str  # the metric the scores are in
    index_type: str

    def search_metric(self) -> str:
        return "IP" if self.metric == "COSINE" else self.metric

    def search_params(self, limit: int) -> dict:
        params = {"ef": max(HNSW_MIN_EF, limit)} if self.index_type == "HNSW" else {}
        return {"metric_type": self.search_metric(), "params": params}


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class MilvusStore:
    def __init__(self, uri: str, token: str = "") -> None:
        from pymilvus import MilvusClient

        logs.quiet_libraries()  # after importing pymilvus, which gives its loggers stderr handlers
        self.uri = uri
        self.lite = uri.endswith(".db")
        if not self.lite:
            _check_listening(uri)

        try:
            self.client = MilvusClient(uri=uri, token=token or None, timeout=CALL_TIMEOUT)
        except _library_errors() as exc:
            raise MilvusUnavailable(describe_connect_failure(uri, exc)) from exc
        self._lite_path = os.path.abspath(uri) if self.lite else None
        if self._lite_path:
            _lite_users[self._lite_path] += 1
        self._active: _Collection | None = None

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            path, self._lite_path = self._lite_path, None
            if path:
                _lite_users[path] -= 1
                if _lite_users[path] <= 0:
                    del _lite_users[path]
                    from milvus_lite.server_manager import server_manager_instance

                    server_manager_instance.release_server(path)

    @contextmanager
    def _failures(self, what: str) -> Iterator[None]:
        """Turn any pymilvus or gRPC failure into MilvusUnavailable naming `what` failed."""
        try:
            yield
        except _library_errors() as exc:
            reason = one_line(getattr(exc, "message", None) or exc)
            raise MilvusUnavailable(f"Milvus at {self.uri}: {what} failed ({reason}); {self._advice()}") from exc

    def _advice(self) -> str:
        if self.lite:
            return "`movierec-tui index` writes a new index; details in the log"
        return "check that the Milvus server is running and MOVIEREC_MILVUS_URI points at it"

    def _describe_active(self) -> dict | None:
        """The description of the collection behind the alias (its name and properties), or None.

        `describe_collection` on the alias, not `describe_alias`: on a 2.3 server the alias calls of
        pymilvus 3 only look in the default database, so a database named in the URI would lose its
        alias; a collection's description resolves the alias in any database, on every Milvus."""
        from pymilvus.exceptions import MilvusException

        with self._failures("looking up the movie index"):
            try:
                return self.client.describe_collection(ALIAS)
            except MilvusException as exc:
                if exc.code in NOT_FOUND_CODES:
                    return None
                raise

    def active_collection(self) -> str | None:
        """The collection behind the alias, or None if there is none yet."""
        described = self._describe_active()
        return None if described is None else described["collection_name"]

    def index_is_current(self) -> bool:
        """Whether the aliased collection was written in this version's format (searchable here)."""
        described = self._describe_active()
        return described is not None and (described.get("properties") or {}).get(PROPERTY_FORMAT) == INDEX_FORMAT

    def ensure_loaded(self) -> str | None:
        """Resolve the alias and load its collection once per process (Milvus Lite reopens collections
        released); also reads the genre fields and the metric the collection was written with."""
        described = self._describe_active()
        if described is None:
            self._active = None
            return None
        name = described["collection_name"]
        if self._active is None or self._active.name != name:
            properties = described.get("properties") or {}
            if properties.get(PROPERTY_FORMAT) != INDEX_FORMAT:
                raise MilvusUnavailable(
                    f"the movie index in Milvus at {self.uri} ({name}) is from an older version; "
                    "run `movierec-tui index` to rewrite it"
                )
            with self._failures("loading the movie index"):
                self.client.load_collection(name, timeout=WRITE_TIMEOUT)
            self._active = _Collection(
                name,
                GenreFields.from_property(properties[PROPERTY_GENRES]),
                properties.get(PROPERTY_METRIC, "COSINE"),
                properties.get(PROPERTY_INDEX, DEFAULT_INDEX),
            )
        return name

    def count(self) -> int:
        name = self.active_collection()
        if name is None:
            return 0
        with self._failures("counting the vectors"):
            return int(self.client.get_collection_stats(name)["row_count"])

    def write_collection(
        self,
        version: str,
        movie_ids: np.ndarray,
        vectors: np.ndarray,
        genres: Sequence[Sequence[str]],
        years: Sequence[int | None],
        popularity: Sequence[int],
        index_type: str = DEFAULT_INDEX,
        metric: str = "COSINE",
        progress=None,
    ) -> str:
        """Write every movie into a new collection, index and load it, then point the alias at it.

        `metric` is what the scores mean (COSINE, IP or L2); the dimension is the vectors'.
        `years` may hold None (a title without a year): it is stored as UNKNOWN_YEAR."""
        from pymilvus import DataType, MilvusClient

        if index_type not in ("FLAT", "HNSW"):
            raise ValueError(f"unknown index type {index_type!r}; FLAT or HNSW")
        genre_fields = GenreFields.of_catalogue(genres)
        stored = normalised(vectors) if metric == "COSINE" else np.asarray(vectors, dtype=np.float32)
        name = COLLECTION_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", version) + f"_{int(time.time())}"
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=int(stored.shape[1]))
        for field in genre_fields.fields:
            schema.add_field(field, DataType.BOOL)
        schema.add_field("year", DataType.INT64)
        schema.add_field("popularity", DataType.INT64)
        properties = {
            PROPERTY_FORMAT: INDEX_FORMAT,
            PROPERTY_GENRES: genre_fields.to_property(),
            PROPERTY_METRIC: metric,
            PROPERTY_INDEX: index_type,
        }
        search_metric = _Collection(name, genre_fields, metric, index_type).search_metric()
        with self._failures(f"writing the collection {name}"):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
            self.client.create_collection(name, schema=schema, properties=properties, timeout=WRITE_TIMEOUT)
            total = len(movie_ids)
            for start in range(0, total, INSERT_BATCH):
                stop = min(start + INSERT_BATCH, total)
                rows = [
                    {
                        "id": int(movie_ids[i]),
                        "embedding": stored[i].tolist(),
                        **genre_fields.row(genres[i]),
                        "year": UNKNOWN_YEAR if years[i] is None else int(years[i]),  # type: ignore[arg-type]
                        "popularity": int(popularity[i]),
                    }
                    for i in range(start, stop)
                ]
                self.client.insert(name, rows, timeout=WRITE_TIMEOUT)
                if progress is not None:
                    progress(stop, total)
            self.client.flush(name, timeout=WRITE_TIMEOUT)
            index_params = self.client.prepare_index_params()
            params = HNSW_BUILD if index_type == "HNSW" else {}
            index_params.add_index("embedding", index_type=index_type, metric_type=search_metric, params=params)
            self.client.create_index(name, index_params, timeout=WRITE_TIMEOUT)
            self.client.load_collection(name, timeout=WRITE_TIMEOUT)
            self._swap_alias(name)
        self._active = None
        self.ensure_loaded()
        return name

    def _swap_alias(self, name: str) -> None:
        previous = self.active_collection()
        if previous is None:
            self.client.create_alias(name, ALIAS)
        else:
            self.client.alter_alias(name, ALIAS)
        for old in self.client.list_collections():
            if old.startswith(COLLECTION_PREFIX) and old != name:
                log.info("dropping retired collection %s", old)
                self.client.drop_collection(old)

    def search(
        self, vector: np.ndarray, limit: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[int, float]]:
        """(movie id, score) best first: exactly the best min(limit, movies passing the filter).

        The alias is resolved and its collection loaded once, not per search (that lookup is a round
        trip of its own); if the search fails because the alias has since moved to a collection this
        process has not loaded (an `index` run elsewhere), it is resolved again and retried once.
        """
        return self.search_many([vector], limit, search_filter)[0]

    def search_many(
        self, vectors: Sequence[np.ndarray] | np.ndarray, limit: int, search_filter: SearchFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        """`search` for many query vectors under one filter, in one request: one hit list per vector,
        in their order, each exactly what `search` returns for that vector. A request has a fixed
        cost besides its vectors' (Milvus Lite 3 walks every row in Python once per request), so
        answering many profiles that share a filter this way is much cheaper than one by one."""
        if not len(vectors):
            return []
        if self._active is None and self.ensure_loaded() is None:
            raise MilvusUnavailable(f"no movie index in Milvus at {self.uri}; run `movierec-tui setup` or `index`")
        try:
            hits = self._search(vectors, limit, search_filter)
        except (MilvusUnavailable, _StaleGenres):
            if self.ensure_loaded() is None:
                raise MilvusUnavailable(f"no movie index in Milvus at {self.uri}; run `movierec-tui setup`") from None
            try:
                hits = self._search(vectors, limit, search_filter)
            except _StaleGenres:
                return [[] for _ in vectors]  # the current catalogue has none of the genres asked for
        if not hits:
            return [[] for _ in vectors]
        # The ids and scores as returned, without pymilvus building a dict per hit (~0.02 ms each).
        return [
            [(int(movie_id), float(score)) for movie_id, score in zip(found.ids, found.distances, strict=True)]
            for found in hits
        ]

    def _search(self, vectors: Sequence[np.ndarray] | np.ndarray, limit: int, search_filter: SearchFilter | None):
        active = self._active
        assert active is not None
        expression = search_filter.expression(active.genres) if search_filter else ""
        if expression is None:
            # Nothing can pass, by the genres this process read; the alias may have moved since.
            raise _StaleGenres
        queries = np.asarray(vectors, dtype=np.float32)
        queries = normalised(queries) if active.metric == "COSINE" else queries
        with self._failures("the search"):
            return self.client.search(
                active.name,
                data=queries.tolist(),
                limit=limit,
                filter=expression,
                # Only the primary key: by default Milvus Lite also sends every hit's 256-d vector back.
                output_fields=["id"],
                search_params=active.search_params(limit),
            )


class _StaleGenres(Exception):
    """No movie of the collection last read can pass the filter: look at the alias again first."""


def _library_errors() -> tuple[type[BaseException], ...]:
    """What pymilvus and gRPC raise (imported late: pymilvus takes a while to import)."""
    import grpc
    from pymilvus.exceptions import MilvusException

    return (MilvusException, grpc.RpcError)


def _check_listening(uri: str) -> None:
    """Fail at once on a server that is not there: pymilvus would wait out its whole timeout."""
    parsed = urlparse(uri if "://" in uri else f"http://{uri}")
    if parsed.scheme not in ("http", "https", "tcp", "grpc") or not parsed.hostname:
        return  # pymilvus judges other URIs itself
    port = parsed.port or (443 if parsed.scheme == "https" else 19530)
    try:
        socket.create_connection((parsed.hostname, port), timeout=CALL_TIMEOUT).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MilvusUnavailable(
            f"Milvus at {uri} is not reachable ({reason}); check the server or MOVIEREC_MILVUS_URI"
        ) from exc


def describe_connect_failure(uri: str, exc: BaseException) -> str:
    if uri.endswith(".db"):
        return (
            f"cannot open the Milvus Lite data dir {uri}: it is probably in use by another movierec-tui "
            "process (one process per data dir). Close it, use `movierec-tui serve`, or set "
            "MOVIEREC_MILVUS_URI to a Milvus server."
        )
    reason = one_line(getattr(exc, "message", None) or exc)
    return f"Milvus at {uri} is not reachable ({reason}); check the server or MOVIEREC_MILVUS_URI"
