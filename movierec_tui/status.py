"""What `movierec-tui status` reports; each store is probed separately so one being down does not
hide what the other knows.

The report is typed (`Status`) because two readers depend on it: scripts read `status --json`,
whose keys and types are a documented schema (`SCHEMA_VERSION`, README "status --json"), and
people read `status`'s table (`Status.rows`). `ready` and `problems` are what the CLI, the app's
start and `serve` decide on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.model.artifacts import MODEL_FORMAT, ModelInfo
from movierec_tui.stores.backends import Backends, open_milvus_for, open_redis_for
from movierec_tui.stores.cards import CardStore
from movierec_tui.stores.errors import one_line, without_password

# The version of `status --json`'s schema: raised when a key is removed, renamed or changes type
# (adding a key keeps it). README "status --json" lists every key.
SCHEMA_VERSION = 1

SETUP = "run `movierec-tui setup`"
INDEX = "run `movierec-tui index`"


@dataclass
class Status:
    home: str
    redis_embedded: bool
    redis_data_dir: str | None  # the embedded server's files; None for a Redis given by URL
    milvus_lite: bool
    milvus_uri: str  # a server's URI, or the Milvus Lite data file
    redis_url: str | None = None  # the server answering (password hidden); None while unreachable and embedded
    redis_reachable: bool = False
    redis_error: str | None = None
    cards: int | None = None  # None: Redis was not reachable
    saved_profiles: int | None = None
    milvus_reachable: bool = False
    milvus_error: str | None = None
    collection: str | None = None
    index_current: bool | None = None  # the collection's format is the one this version writes
    vectors: int | None = None
    # Milvus Lite 3's index directory, left by an earlier version and not read by this one (not in
    # the JSON: `problems` says what to run)
    older_lite_index: str | None = None
    dataset_fingerprint: str | None = None
    catalogue: Catalogue | None = None
    model_version: str | None = None
    model_current: bool | None = None  # the model's format is the one this version reads
    model_train_seconds: float | None = None
    indexed_model_version: str | None = None
    problems: list[str] = field(default_factory=list)  # why it is not ready, each with what to run

    @property
    def stores_down(self) -> list[str]:
        """"Redis", "Milvus": the stores that did not answer."""
        return [name for name, up in (("Redis", self.redis_reachable), ("Milvus", self.milvus_reachable)) if not up]

    @property
    def ready(self) -> bool:
        """Setup is done and both stores answer: `recommend` and the app can run."""
        return not self.problems

    def to_json(self) -> dict[str, object]:
        """The `status --json` object (schema SCHEMA_VERSION)."""
        catalogue = self.catalogue
        return {
            "schema_version": SCHEMA_VERSION,
            "ready": self.ready,
            "problems": list(self.problems),
            "home": self.home,
            "redis_embedded": self.redis_embedded,
            "redis_url": self.redis_url,
            "redis_data_dir": self.redis_data_dir,
            "redis_reachable": self.redis_reachable,
            "redis_error": self.redis_error,
            "cards": self.cards,
            "saved_profiles": self.saved_profiles,
            "milvus_lite": self.milvus_lite,
            "milvus_uri": self.milvus_uri,
            "milvus_reachable": self.milvus_reachable,
            "milvus_error": self.milvus_error,
            "collection": self.collection,
            "index_current": self.index_current,
            "vectors": self.vectors,
            "dataset_fingerprint": self.dataset_fingerprint,
            "catalogue": None if catalogue is None else {
                "name": catalogue.name, "movies": catalogue.movies,
                "year_min": catalogue.year_min, "year_max": catalogue.year_max,
            },
            "model_version": self.model_version,
            "model_current": self.model_current,
            "model_train_seconds": self.model_train_seconds,
            "indexed_model_version": self.indexed_model_version,
        }  # fmt: skip

    def rows(self) -> list[tuple[str, str]]:
        """The report for a person: (what, one line), in the order one checks things."""
        redis = f"embedded Valkey, data in {self.redis_data_dir}" if self.redis_embedded else "Redis"
        if self.redis_reachable:
            redis += f": reachable at {self.redis_url}"
        else:
            redis += f" at {self.redis_url}" if self.redis_url else ""
            redis += f": NOT reachable ({self.redis_error})"
        milvus = f"Milvus Lite, data in {self.milvus_uri}" if self.milvus_lite else f"Milvus at {self.milvus_uri}"
        milvus += ": reachable" if self.milvus_reachable else f": NOT reachable ({self.milvus_error})"
        rows = [("home", self.home), ("redis", redis)]
        if self.cards is not None:
            rows.append(("cards", f"{self.cards:,} movies, {self.saved_profiles:,} saved profiles"))
        rows.append(("milvus", milvus))
        if self.milvus_reachable:
            index = "none" if self.collection is None else f"{self.vectors or 0:,} vectors in {self.collection}"
            rows.append(("index", index + ("" if self.index_current in (None, True) else " (older format)")))
        if self.catalogue is not None:
            rows.append(("catalogue", self.catalogue.describe()))
        elif self.cards:
            rows.append(("catalogue", f"not recorded ({SETUP} to record it)"))
        rows.append(("dataset", self.dataset_fingerprint or "none"))
        if self.model_version is None:
            rows.append(("model", "none"))
        else:
            trained = f", trained in {duration(self.model_train_seconds)}" if self.model_train_seconds else ""
            older = "" if self.model_current else " (older format)"
            rows.append(("model", f"{self.model_version}{older}{trained}"))
        rows.append(("ready", "yes" if self.ready else "no: " + "; ".join(self.problems)))
        return rows


def duration(seconds: float) -> str:
    """ "4 min 39 s", "52 s", "1 h 02 min": a duration as a person reads it."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def collect_status(settings: Settings, backends: Backends | None = None) -> Status:
    """Probe the stores (through `backends` if the caller has them open, else on fresh connections
    that are closed again) and the model dir."""
    status = Status(
        home=str(settings.home),
        redis_embedded=settings.uses_embedded_redis,
        redis_data_dir=str(settings.redis_dir) if settings.uses_embedded_redis else None,
        redis_url=None if settings.uses_embedded_redis else without_password(settings.redis_url),
        milvus_lite=settings.uses_milvus_lite,
        milvus_uri=without_password(settings.effective_milvus_uri),
    )
    meta = _probe_redis(settings, backends, status)
    _probe_milvus(settings, backends, status)
    status.dataset_fingerprint = meta.get("dataset_fingerprint")
    status.indexed_model_version = meta.get("indexed_model_version")
    status.catalogue = Catalogue.from_meta(meta)
    try:
        info = ModelInfo.load(settings.model_dir)
        status.model_version = info.version
        status.model_train_seconds = round(float(info.train_seconds), 1)
        status.model_current = info.format == MODEL_FORMAT
    except (OSError, ValueError, TypeError):
        pass
    status.problems = _problems(status)
    return status


def _probe_redis(settings: Settings, backends: Backends | None, status: Status) -> dict[str, str]:
    """Fills in what Redis says; returns its `meta` hash (empty if Redis did not answer)."""
    try:
        connection = backends.redis if backends else open_redis_for(settings)
        try:
            store = CardStore(connection.client)
            meta = store.meta()
            status.redis_url = without_password(connection.url)
            status.cards = store.count()
            status.saved_profiles = len(store.profile_names())
            status.redis_reachable = True
            return meta
        finally:
            if backends is None:
                connection.close()
    except Exception as exc:  # any failure is something to report, not to crash on
        status.redis_error = one_line(exc)
        return {}


def _probe_milvus(settings: Settings, backends: Backends | None, status: Status) -> None:
    try:
        milvus = backends.milvus if backends else open_milvus_for(settings)
        try:
            status.collection = milvus.active_collection() or None
            status.index_current = milvus.index_is_current() if status.collection else None
            status.vectors = milvus.count()
            status.milvus_reachable = True
            if status.collection is None and milvus.older_data is not None and milvus.older_data.exists():
                status.older_lite_index = str(milvus.older_data)
        finally:
            if backends is None:
                milvus.close()
    except Exception as exc:
        status.milvus_error = one_line(exc)


def _problems(status: Status) -> list[str]:
    """Why `recommend` or the app cannot run yet, each with the command that fixes it."""
    problems = [f"{name} is not reachable" for name in status.stores_down]
    if status.model_version is None:
        problems.append(f"no trained model: {SETUP}")
    elif not status.model_current:
        problems.append(f"the model is of an older format: {SETUP}")
    if status.redis_reachable and not status.cards:
        problems.append(f"no movie cards in Redis: {SETUP}")
    if status.milvus_reachable:
        if not status.collection and status.older_lite_index:
            older = status.older_lite_index
            problems.append(f"the index in {older} is Milvus Lite 3's, which this version does not read: {INDEX}")
        elif not status.collection or not status.vectors:
            problems.append(f"no movie vectors in Milvus: {SETUP}")
        elif not status.index_current:
            problems.append(f"the index is of an older format: {INDEX}")
        elif status.model_version and status.redis_reachable and status.indexed_model_version != status.model_version:
            problems.append(f"the index holds another model's vectors: {INDEX}")
    return problems
