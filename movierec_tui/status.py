"""What `movierec-tui status` reports; each store is probed separately so one being down does not
hide what the other knows."""

from __future__ import annotations

from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Catalogue
from movierec_tui.model.artifacts import MODEL_FORMAT, ModelInfo
from movierec_tui.stores.backends import Backends, open_milvus_for, open_redis_for
from movierec_tui.stores.cards import CardStore
from movierec_tui.stores.errors import one_line


def collect_status(settings: Settings, backends: Backends | None = None) -> dict[str, object]:
    """Probe the stores (through `backends` if the caller has them open, else on fresh connections
    that are closed again) and the model dir."""
    report: dict[str, object] = {
        "home": str(settings.home),
        "redis": settings.redis_url or f"embedded Valkey, data in {settings.redis_dir}",
        "milvus": settings.milvus_uri or f"Milvus Lite, data in {settings.milvus_lite_path}",
    }
    meta: dict[str, str] = {}
    try:
        connection = backends.redis if backends else open_redis_for(settings)
        try:
            store = CardStore(connection.client)
            meta = store.meta()
            report["redis reachable"] = f"yes ({connection.url})"
            report["cards"] = store.count()
            report["saved profiles"] = len(store.profile_names())
        finally:
            if backends is None:
                connection.close()
    except Exception as exc:  # any failure is something to report, not to crash on
        report["redis reachable"] = f"no: {one_line(exc)}"
    index_current = False
    try:
        milvus = backends.milvus if backends else open_milvus_for(settings)
        try:
            report["milvus reachable"] = "yes"
            name = milvus.active_collection()
            index_current = milvus.index_is_current()
            older = "" if index_current else " (older format: run `movierec-tui index`)"
            report["collection"] = f"{name}{older}" if name else "none"
            report["vectors"] = milvus.count()
        finally:
            if backends is None:
                milvus.close()
    except Exception as exc:
        report["milvus reachable"] = f"no: {one_line(exc)}"
    report["dataset fingerprint"] = meta.get("dataset_fingerprint", "none")
    catalogue = Catalogue.from_meta(meta)
    if catalogue is not None:
        report["catalogue"] = catalogue.describe()
    elif meta:
        report["catalogue"] = "not recorded (run `movierec-tui setup` to record it)"
    current_format = False
    try:
        info = ModelInfo.load(settings.model_dir)
        report["model version"] = info.version
        report["model trained in"] = f"{info.train_seconds:.0f} s"
        current_format = info.format == MODEL_FORMAT
        if not current_format:
            report["model version"] += " (older format: run `movierec-tui setup`)"
    except (OSError, ValueError, TypeError):
        report["model version"] = "none (run `movierec-tui setup`)"
    report["ready"] = bool(
        current_format
        and index_current
        and report.get("vectors")
        and report.get("cards")
        and meta.get("indexed_model_version") == report["model version"]
    )
    return report
