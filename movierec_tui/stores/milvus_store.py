"""Movie vectors in Milvus: versioned collections, and a one-row collection naming the one in use.

`index` writes a complete new collection (`movies_<version>_<time>`), loads it, then points the
one-row collection `movierec_active` at it and drops the old one, so a search never sees a
half-written collection and an interrupted index run leaves the previous one serving. (Earlier
versions used a Milvus alias, `movies`; Milvus Lite 2.5 has no aliases, and one mechanism for
every Milvus keeps the tests of each backend testing the same code.)

Milvus Lite is milvus-lite 2.5's C++ server for one data file (`lite_server.py` starts it); a
Milvus standalone server or cluster is reached by URI. docs/benchmarks.md has the measurements
behind that choice (milvus-lite 3, in Python, spent ~6x the CPU per search at 3,883 movies and
~10x at 87,585).

Filters are Milvus expressions, evaluated by Milvus before ranking, in the subset that every Milvus
from 2.3 and Milvus Lite accept (`tests/test_stores.py` runs them on both). Genres are one BOOL field
per genre of the catalogue (`genre_0`, `genre_1`, ...), compared with `== true` / `== false`: a
2.3 server rejects infix `LIKE "%x%"` and the bit operators, and Milvus Lite refuses
`array_contains_any`, while a BOOL comparison works, vectorised, on both. Which field is which
genre travels with the collection, in the JSON of its description, so that any process
searching it can rebuild the mapping.

The index is chosen by the catalogue's size (`index_for`). Up to FLAT_MAX_ROWS movies it is FLAT:
brute force over the rows that pass the filter, so a search returns min(limit, matching movies), and
they are the best by the metric. Beyond, the index is IVF_FLAT (the vectors clustered into ~4
sqrt(rows) lists; a search compares the query with the rows of the IVF_NPROBE lists nearest to it):
on a Milvus server an unfiltered search (excluded ids aside) finds >= 99% of the true best 50 for a
fraction of brute force's cost. A search with a genre or year filter probes every list instead,
which is exact (IVF_FLAT keeps the vectors whole): a probe of a few lists finds too few rows that
pass a narrow filter. Milvus Lite 2.5 accepts the index but searches by brute force whatever the
index: exact, at brute force's cost. docs/benchmarks.md has the measurements behind these choices
(an HNSW graph, which Milvus Lite does not have, misses neighbours and comes back short under narrow
filters). With the COSINE metric the vectors are stored L2-normalised under the IP metric: the same
scores and order, and a FLAT search then skips normalising every row per query.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from movierec_tui import logs  # before pymilvus: it sets gRPC's log level
from movierec_tui.stores.errors import MilvusUnavailable, one_line
from movierec_tui.stores.lite_server import shared_servers

__all__ = ["GenreFields", "MilvusStore", "MilvusUnavailable", "SearchFilter"]

log = logging.getLogger(__name__)

ACTIVE = "movierec_active"  # one row: the name of the collection searches use
ALIAS = "movies"  # what earlier versions (format 2 and before) pointed at their collection, on a server
COLLECTION_PREFIX = "movies_"
INSERT_BATCH = 1000
CALL_TIMEOUT = 10.0  # seconds for a search or a lookup
WRITE_TIMEOUT = 900.0  # flushing, indexing and loading ~90,000 vectors takes minutes on a busy host
# pymilvus retries a call that failed with UNAVAILABLE (a server down) 75 times, backing off to 3 s
# apiece, unless told otherwise: minutes before a person hears that Milvus is down. A few quick
# retries (~1 s in all) ride over a blip. (An int `timeout` would bound the retries by time instead;
# the timeouts are floats, so `retry_times` is what bounds them.)
CALL_RETRIES = 5
QUICK = {"timeout": CALL_TIMEOUT, "retry_times": CALL_RETRIES}
SLOW = {"timeout": WRITE_TIMEOUT, "retry_times": CALL_RETRIES}
# 3: found through `movierec_active` (2: through the alias `movies`; 1: genres as a "|A|B|" string)
INDEX_FORMAT = "3"
# What a search needs to know about a collection travels with it, as JSON in its description (Milvus
# Lite 2.5 keeps a collection's description but not its properties, where format 2 kept them).
PROPERTY_FORMAT = "movierec.format"
PROPERTY_GENRES = "movierec.genres"  # list: genre i is field genre_i
PROPERTY_METRIC = "movierec.metric"  # what the scores mean: COSINE (stored normalised, searched as IP), IP, L2
PROPERTY_INDEX = "movierec.index"
PROPERTY_NLIST = "movierec.nlist"  # IVF_FLAT: the lists it was built with, and how many a search probes
PROPERTY_NPROBE = "movierec.nprobe"
GENRE_FIELD_PREFIX = "genre_"
# A Milvus server allows 64 fields per collection (proxy.maxFieldNum); id, embedding, year and
# popularity take four.
MAX_GENRES = 60
UNKNOWN_YEAR = 0  # stored for a movie without a year; a year filter never matches it
AUTO_INDEX = "AUTO"  # FLAT or IVF_FLAT by the number of rows (`index_for`)
DEFAULT_INDEX = AUTO_INDEX
INDEX_TYPES = (AUTO_INDEX, "FLAT", "IVF_FLAT", "HNSW")
# Measured in docs/benchmarks.md ("Index by catalogue size"): brute force over 387-d rows stays
# within the search's share of the latency budget up to about this many rows on Milvus Lite.
FLAT_MAX_ROWS = 20_000
# A search that only leaves out ids asks for this many more hits at most and drops them itself
# (`MilvusStore._search`); a profile with more movies than this has them filtered by Milvus.
MAX_DROPPED_HERE = 256
IVF_LISTS_PER_SQRT_ROW = 4  # nlist = 4 sqrt(rows): ~sqrt(rows)/4 rows per list
# Lists an unfiltered search probes: recall@50 0.996 at 20,000 rows (566 lists) and 0.999 at 87,585
# (1,184 lists) on rows made from a real model's, comparing ~11-23% of the rows (benchmarks/ivf_recall.py).
IVF_NPROBE = 128
HNSW_BUILD = {"M": 16, "efConstruction": 200}
HNSW_MIN_EF = 64
# The Milvus error code that means "no such collection" (or alias) rather than "Milvus failed".
NOT_FOUND_CODES = {100}

# pymilvus shares one connection between the clients of a URI, and closing one client closes it for
# all: each store names a connection of its own.
_connection_names = itertools.count()


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
    def from_property(cls, names: object) -> GenreFields:
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{PROPERTY_GENRES} is not a list of names: {str(names)[:80]!r}")
        return cls(tuple(names))

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

    @property
    def narrows(self) -> bool:
        """Whether a genre or a year filters (it may pass few movies), not only excluded ids."""
        return bool(self.genres_any or self.genres_none or self.year_min is not None or self.year_max is not None)

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
class IndexChoice:
    """An index and its parameters: `nlist` and `nprobe` for IVF_FLAT (0 otherwise)."""

    index_type: str
    nlist: int = 0
    nprobe: int = 0

    def build_params(self) -> dict:
        if self.index_type == "HNSW":
            return dict(HNSW_BUILD)
        return {"nlist": self.nlist} if self.index_type == "IVF_FLAT" else {}


def index_for(rows: int, index_type: str = AUTO_INDEX, flat_max_rows: int = FLAT_MAX_ROWS) -> IndexChoice:
    """The index for a collection of `rows` vectors: FLAT (exact) while brute force is fast enough,
    IVF_FLAT beyond (see the module's docstring); FLAT, IVF_FLAT or HNSW when asked for by name."""
    if index_type not in INDEX_TYPES:
        raise ValueError(f"unknown index type {index_type!r}; one of {', '.join(INDEX_TYPES)}")
    if index_type == AUTO_INDEX:
        index_type = "FLAT" if rows <= flat_max_rows else "IVF_FLAT"
    if index_type != "IVF_FLAT":
        return IndexChoice(index_type)
    nlist = max(1, min(rows, round(IVF_LISTS_PER_SQRT_ROW * rows**0.5)))
    return IndexChoice("IVF_FLAT", nlist, min(IVF_NPROBE, nlist))


@dataclass(frozen=True)
class _Collection:
    """What a search needs to know about the collection behind the alias."""

    name: str
    genres: GenreFields
    metric: str  # the metric the scores are in
    index: IndexChoice

    def search_metric(self) -> str:
        return "IP" if self.metric == "COSINE" else self.metric

    def search_params(self, limit: int, exhaustive: bool = False) -> dict:
        """`exhaustive`: an IVF_FLAT search probes every list (exact); FLAT always is."""
        params: dict = {}
        if self.index.index_type == "HNSW":
            params = {"ef": max(HNSW_MIN_EF, limit)}
        elif self.index.index_type == "IVF_FLAT":
            params = {"nprobe": self.index.nlist if exhaustive else self.index.nprobe}
        return {"metric_type": self.search_metric(), "params": params}

    @property
    def approximate(self) -> bool:
        return self.index.index_type == "IVF_FLAT" and self.index.nprobe < self.index.nlist


def collection_metadata(described: dict) -> dict:
    """What this project wrote about a collection: the JSON object in its description (format 3 on),
    or its properties (format 2, a server's), or nothing."""
    with suppress(ValueError):
        written = json.loads(described.get("description") or "")
        if isinstance(written, dict) and PROPERTY_FORMAT in written:
            return written
    return dict(described.get("properties") or {})


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class MilvusStore:
    def __init__(self, uri: str, token: str = "", older_data: Path | None = None) -> None:
        """`older_data`: where an earlier version kept its Milvus Lite data, if it is still there; a
        missing index is then explained by it."""
        from pymilvus import MilvusClient

        logs.quiet_libraries()  # after importing pymilvus, which gives its loggers stderr handlers
        self.uri = uri
        self.lite = uri.endswith(".db")
        self.older_data = older_data
        self._lite_file = Path(uri).absolute() if self.lite else None
        if self._lite_file is not None:
            connect_to = shared_servers.acquire(self._lite_file).uri
        else:
            _check_listening(uri)
            connect_to = uri
        try:
            self.client = MilvusClient(
                uri=connect_to, token=token, timeout=CALL_TIMEOUT, alias=f"movierec-{next(_connection_names)}"
            )
        except _library_errors() as exc:
            self._release_lite()
            raise MilvusUnavailable(describe_connect_failure(uri, exc)) from exc
        self._active: _Collection | None = None

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self._release_lite()

    def _release_lite(self) -> None:
        path, self._lite_file = self._lite_file, None
        if path is not None:
            shared_servers.release(path)

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

    def _no_index(self) -> MilvusUnavailable:
        if self.older_data is not None and self.older_data.exists():
            return MilvusUnavailable(
                f"the movie index in {self.older_data} was written by Milvus Lite 3, which this version does not "
                "read; run `movierec-tui index` to write it again (a minute)"
            )
        return MilvusUnavailable(f"no movie index in Milvus at {self.uri}; run `movierec-tui setup` or `index`")

    def _describe(self, name: str) -> dict | None:
        """A collection's description (its name and properties), or None if there is no such collection."""
        from pymilvus.exceptions import MilvusException

        try:
            return self.client.describe_collection(name, **QUICK)
        except MilvusException as exc:
            if exc.code in NOT_FOUND_CODES:
                return None
            raise

    def _describe_active(self) -> dict | None:
        """The description of the collection in use, or None.

        The name comes from `movierec_active`; a server indexed by an earlier version has an alias
        instead, whose collection is described (and reported as older, to be indexed again)."""
        from pymilvus.exceptions import MilvusException

        with self._failures("looking up the movie index"):
            if not self.client.has_collection(ACTIVE, **QUICK):
                return None if self.lite else self._describe(ALIAS)
            try:
                self.client.load_collection(ACTIVE, **SLOW)  # a no-op once loaded
                rows = self.client.query(
                    ACTIVE, filter="slot == 0", output_fields=["collection"], **QUICK,
                    consistency_level="Strong",
                )  # fmt: skip
            except MilvusException as exc:
                if exc.code in NOT_FOUND_CODES:  # dropped meanwhile
                    return None
                raise
            return self._describe(rows[0]["collection"]) if rows else None

    def active_collection(self) -> str | None:
        """The collection searches use, or None if there is none yet."""
        described = self._describe_active()
        return None if described is None else described["collection_name"]

    def index_is_current(self) -> bool:
        """Whether the collection in use was written in this version's format (searchable here)."""
        described = self._describe_active()
        return described is not None and collection_metadata(described).get(PROPERTY_FORMAT) == INDEX_FORMAT

    def ensure_loaded(self) -> str | None:
        """Find the collection in use and load it once per process; also reads the genre fields and
        the metric the collection was written with."""
        described = self._describe_active()
        if described is None:
            self._active = None
            return None
        name = described["collection_name"]
        if self._active is None or self._active.name != name:
            properties = collection_metadata(described)
            if properties.get(PROPERTY_FORMAT) != INDEX_FORMAT:
                raise MilvusUnavailable(
                    f"the movie index in Milvus at {self.uri} ({name}) is from an older version; "
                    "run `movierec-tui index` to rewrite it"
                )
            with self._failures("loading the movie index"):
                self.client.load_collection(name, **SLOW)
            self._active = _Collection(
                name,
                GenreFields.from_property(properties[PROPERTY_GENRES]),
                properties.get(PROPERTY_METRIC, "COSINE"),
                IndexChoice(
                    properties.get(PROPERTY_INDEX, "FLAT"),
                    int(properties.get(PROPERTY_NLIST, 0)),
                    int(properties.get(PROPERTY_NPROBE, 0)),
                ),
            )
        return name

    def count(self) -> int:
        name = self.active_collection()
        if name is None:
            return 0
        with self._failures("counting the vectors"):
            # No `retry_times` here (pymilvus does not pass it on): an int timeout bounds the retries.
            return int(self.client.get_collection_stats(name, timeout=round(CALL_TIMEOUT))["row_count"])

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
        flat_max_rows: int = FLAT_MAX_ROWS,
    ) -> str:
        """Write every movie into a new collection, index and load it, then make it the one in use.

        `index_type` AUTO picks FLAT or IVF_FLAT by the number of movies (`index_for`, with
        `flat_max_rows`). `metric` is what the scores mean (COSINE, IP or L2); the dimension is the
        vectors'. `years` may hold None (a title without a year): it is stored as UNKNOWN_YEAR."""
        from pymilvus import DataType, MilvusClient

        index = index_for(len(movie_ids), index_type, flat_max_rows)
        if index.index_type == "HNSW" and self.lite:
            raise MilvusUnavailable("Milvus Lite has no HNSW index (FLAT and IVF only); HNSW needs a Milvus server")
        genre_fields = GenreFields.of_catalogue(genres)
        stored = normalised(vectors) if metric == "COSINE" else np.asarray(vectors, dtype=np.float32)
        name = COLLECTION_PREFIX + re.sub(r"[^0-9A-Za-z_]", "_", version) + f"_{int(time.time())}"
        metadata = {
            PROPERTY_FORMAT: INDEX_FORMAT,
            PROPERTY_GENRES: list(genre_fields.names),
            PROPERTY_METRIC: metric,
            PROPERTY_INDEX: index.index_type,
            **({PROPERTY_NLIST: index.nlist, PROPERTY_NPROBE: index.nprobe} if index.nlist else {}),
        }
        schema = MilvusClient.create_schema(
            auto_id=False, enable_dynamic_field=False, description=json.dumps(metadata, ensure_ascii=False)
        )
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=int(stored.shape[1]))
        for field in genre_fields.fields:
            schema.add_field(field, DataType.BOOL)
        schema.add_field("year", DataType.INT64)
        schema.add_field("popularity", DataType.INT64)
        search_metric = _Collection(name, genre_fields, metric, index).search_metric()
        with self._failures(f"writing the collection {name}"):
            if self.client.has_collection(name, **QUICK):
                self.client.drop_collection(name, **SLOW)
            self.client.create_collection(name, schema=schema, **SLOW)
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
                self.client.insert(name, rows, **SLOW)
                if progress is not None:
                    progress(stop, total)
            self.client.flush(name, **SLOW)
            index_params = self.client.prepare_index_params()
            index_params.add_index(
                "embedding", index_type=index.index_type, metric_type=search_metric, params=index.build_params()
            )
            self.client.create_index(name, index_params, **SLOW)
            self.client.load_collection(name, **SLOW)
            self._make_active(name)
        self._active = None
        self.ensure_loaded()
        return name

    def _make_active(self, name: str) -> None:
        """Point `movierec_active` at `name`, then drop every other movies_* collection."""
        from pymilvus import DataType, MilvusClient

        if not self.client.has_collection(ACTIVE, **QUICK):
            schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("slot", DataType.INT64, is_primary=True)
            schema.add_field("collection", DataType.VARCHAR, max_length=255)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # every collection needs a vector field
            self.client.create_collection(ACTIVE, schema=schema, **SLOW)
            index_params = self.client.prepare_index_params()
            index_params.add_index("unused", index_type="FLAT", metric_type="L2")
            self.client.create_index(ACTIVE, index_params, **SLOW)
        self.client.load_collection(ACTIVE, **SLOW)
        self.client.upsert(ACTIVE, [{"slot": 0, "collection": name, "unused": [0.0, 0.0]}], **SLOW)
        if not self.lite:
            # An earlier version's alias: a server refuses to drop a collection that has one. (Milvus
            # Lite, also when served over TCP, has no aliases: it answers UNIMPLEMENTED.)
            with suppress(*_library_errors()):
                self.client.drop_alias(ALIAS, **QUICK)
        for old in self.client.list_collections(**QUICK):
            if old.startswith(COLLECTION_PREFIX) and old != name:
                log.info("dropping retired collection %s", old)
                self.client.drop_collection(old, **SLOW)

    def search(
        self, vector: np.ndarray, limit: int, search_filter: SearchFilter | None = None
    ) -> list[tuple[int, float]]:
        """(movie id, score) best first: exactly the best min(limit, movies passing the filter).

        The collection in use is found and loaded once, not per search (that lookup costs round
        trips of its own); if the search fails because another `index` run has since replaced the
        collection, it is looked up again and the search retried once.
        """
        return self.search_many([vector], limit, search_filter)[0]

    def search_many(
        self, vectors: Sequence[np.ndarray] | np.ndarray, limit: int, search_filter: SearchFilter | None = None
    ) -> list[list[tuple[int, float]]]:
        """`search` for many query vectors under one filter, in one request: one hit list per vector,
        in their order, each exactly what `search` returns for that vector. A request has a fixed
        cost besides its vectors' (a round trip, the filter's evaluation over every row), so
        answering many profiles that share a filter this way is cheaper than one by one."""
        if not len(vectors):
            return []
        if self._active is None and self.ensure_loaded() is None:
            raise self._no_index()
        try:
            hits = self._search(vectors, limit, search_filter)
        except (MilvusUnavailable, _StaleGenres):
            if self.ensure_loaded() is None:
                raise self._no_index() from None
            try:
                hits = self._search(vectors, limit, search_filter)
            except _StaleGenres:
                return [[] for _ in vectors]  # the current catalogue has none of the genres asked for
        if not hits:
            return [[] for _ in vectors]
        return hits

    def _search(
        self, vectors: Sequence[np.ndarray] | np.ndarray, limit: int, search_filter: SearchFilter | None
    ) -> list[list[tuple[int, float]]]:
        active = self._active
        assert active is not None
        expression = search_filter.expression(active.genres) if search_filter else ""
        if expression is None:
            # Nothing can pass, by the genres this process read; the collection may have changed since.
            raise _StaleGenres
        queries = np.asarray(vectors, dtype=np.float32)
        queries = normalised(queries) if active.metric == "COSINE" else queries
        # A genre or year filter may pass few movies, too few of them in the lists an IVF search
        # probes: such a search probes them all (exact). Excluded ids alone leave nearly every row.
        exhaustive = search_filter is not None and search_filter.narrows
        # Excluded ids alone (a profile's own movies, no genre or year): the best `limit` of the
        # rest are among the best limit + len(excluded) of all, so that many are asked for without a
        # filter and the excluded dropped here: the same answer, without the server evaluating
        # `id not in [...]` on every row (~0.3 ms of a 4 ms search on ML-1M, Milvus Lite 2.5.1).
        dropped: frozenset[int] = frozenset()
        asked = limit
        if search_filter is not None and not exhaustive and len(search_filter.exclude_ids) <= MAX_DROPPED_HERE:
            dropped, expression = frozenset(search_filter.exclude_ids), ""
            asked = limit + len(dropped)
        with self._failures("the search"):
            hits = self._search_once(active, queries, asked, expression, exhaustive)
            if active.approximate and not exhaustive and any(len(found) < asked for found in hits):
                # The probed lists held fewer rows than asked for (a small catalogue, many ids
                # excluded): all of them, exactly, rather than a short list.
                hits = self._search_once(active, queries, asked, expression, exhaustive=True)
        # The ids and scores as returned, without pymilvus building a dict per hit (~0.02 ms each).
        found_lists = [zip(found.ids, found.distances, strict=True) for found in hits]
        return [
            [(int(movie_id), float(score)) for movie_id, score in found if int(movie_id) not in dropped][:limit]
            for found in found_lists
        ]

    def _search_once(self, active: _Collection, queries: np.ndarray, limit: int, expression: str, exhaustive: bool):
        return self.client.search(
            active.name,
            data=queries.tolist(),
            limit=limit,
            filter=expression,
            output_fields=["id"],  # only the primary key, not every hit's vector
            search_params=active.search_params(limit, exhaustive),
            **QUICK,
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
    reason = one_line(getattr(exc, "message", None) or exc)
    if uri.endswith(".db"):
        return f"Milvus Lite for {uri} did not answer ({reason}); details in the log"
    return f"Milvus at {uri} is not reachable ({reason}); check the server or MOVIEREC_MILVUS_URI"
