"""`setup` and `index` as a sequence of steps that each know whether they are already done.

"Done" is read off the real artefacts (the meta record in Redis, model.json, the collection behind
the Milvus alias), not a separate state file that could disagree with them. Each step writes its
output beside the old one and swaps it in at the end, so a run killed anywhere leaves the previous
working state in place and a rerun continues from the first step that is not done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.data_loader.download import download_archive
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.artifacts import ModelInfo, MovieTable, export_model, model_version
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.cards import build_cards

log = logging.getLogger(__name__)

ARCHIVE_NAME = "ml-1m.zip"


class Reporter:
    """How steps report progress; the CLI implements it with rich progress bars."""

    def start(self, step: str, total: float | None) -> None: ...
    def advance(self, step: str, completed: float, total: float | None = None, note: str = "") -> None: ...
    def finish(self, step: str, note: str = "") -> None: ...


@dataclass
class SetupResult:
    dataset_fingerprint: str
    model_version: str
    collection: str
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def acquire_dataset(settings: Settings, source: Path | None, reporter: Reporter) -> Path:
    """The local path of the dataset: `source` as given, or the official archive, downloaded once."""
    if source is not None:
        return source
    archive = settings.data_dir / ARCHIVE_NAME
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    reporter.start("download", None)
    download_archive(archive, progress=lambda done, total: reporter.advance("download", done, total))
    reporter.finish("download")
    return archive


def run_setup(
    settings: Settings,
    backends: Backends,
    source: Path | None,
    reporter: Reporter,
    train_config: TrainConfig | None = None,
    force: bool = False,
) -> SetupResult:
    timings: dict[str, float] = {}
    skipped: list[str] = []

    def timed(step: str, action: Callable[[], object]) -> object:
        started = time.perf_counter()
        value = action()
        timings[step] = round(time.perf_counter() - started, 2)
        return value

    if source is None:
        # A rerun (e.g. after an upgrade changed the model format) reuses the dataset setup was given.
        previous = backends.cards.meta().get("dataset_source")
        if previous and Path(previous).exists():
            source = Path(previous)
    path = acquire_dataset(settings, source, reporter)
    reporter.start("parse", None)
    dataset: Dataset = timed("parse", lambda: load_dataset(path))  # type: ignore[assignment]
    counts = f"{len(dataset.users):,} users, {len(dataset.movies):,} movies, {len(dataset.ratings):,} ratings"
    reporter.finish("parse", counts)

    meta = backends.cards.meta()
    cards_done = (
        meta.get("dataset_fingerprint") == dataset.fingerprint and backends.cards.count() == len(dataset.movies)
    )
    if not force and cards_done:
        skipped.append("cards")
    else:
        timed("cards", lambda: write_cards(dataset, backends, reporter))

    config = train_config or TrainConfig()
    version = model_version(dataset.fingerprint, config.to_dict())
    if not force and installed_model_version(settings) == version:
        skipped.append("train")
    else:
        timed("train", lambda: train_and_export(dataset, settings, config, reporter))

    collection = backends.milvus.active_collection() or ""
    if not force and is_indexed(backends, version, len(dataset.movies)):
        skipped.append("index")
    else:
        collection = timed("index", lambda: index_movies(settings, backends, reporter))  # type: ignore[assignment]
    backends.cards.set_meta(dataset_source=str(path), setup_at=str(int(time.time())))
    return SetupResult(dataset.fingerprint, version, collection, skipped, timings)


def write_cards(dataset: Dataset, backends: Backends, reporter: Reporter) -> None:
    cards = build_cards(dataset)
    reporter.start("cards", len(cards))
    backends.cards.write_cards(cards, progress=lambda done, total: reporter.advance("cards", done, total))
    # The fingerprint is written last: it is what marks the step done.
    backends.cards.set_meta(dataset_fingerprint=dataset.fingerprint, cards=str(len(cards)))
    reporter.finish("cards", f"{len(cards):,} cards")


def installed_model_version(settings: Settings) -> str | None:
    try:
        return ModelInfo.load(settings.model_dir).version
    except (OSError, ValueError, TypeError):
        return None


def train_and_export(dataset: Dataset, settings: Settings, config: TrainConfig, reporter: Reporter) -> ModelInfo:
    from movierec_tui.model.train import train_model

    features = build_movie_features(dataset)
    reporter.start("train", config.epochs)
    trained = train_model(
        dataset,
        features,
        config,
        progress=lambda epoch, total, loss: reporter.advance("train", epoch, total, f"loss {loss:.3f}"),
    )
    info = export_model(trained, settings.model_dir, dataset.fingerprint)
    reporter.finish("train", f"{trained.seconds:.0f} s, loss {trained.final_loss:.3f}")
    return info


def is_indexed(backends: Backends, version: str, movie_count: int) -> bool:
    meta = backends.cards.meta()
    collection = backends.milvus.active_collection()
    return (
        collection is not None
        and meta.get("indexed_model_version") == version
        and meta.get("collection") == collection
        and backends.milvus.count() == movie_count
    )


def index_movies(settings: Settings, backends: Backends, reporter: Reporter, index_type: str = "HNSW") -> str:
    """Write the installed model's movie vectors into a new collection and swap it in."""
    info = ModelInfo.load(settings.model_dir)
    table = MovieTable.load(settings.model_dir)
    cards = backends.cards.get_cards(table.movie_ids.tolist())
    missing = [int(m) for m in table.movie_ids if int(m) not in cards]
    if missing:
        raise RuntimeError(f"{len(missing)} movies have no card in Redis (e.g. movie:{missing[0]}); run setup again")
    reporter.start("index", len(table.movie_ids))
    ordered = [cards[int(m)] for m in table.movie_ids]
    name = backends.milvus.write_collection(
        info.version,
        table.movie_ids,
        table.vectors,
        genres=[c.genres for c in ordered],
        years=[c.year for c in ordered],
        popularity=[c.rating_count for c in ordered],
        index_type=index_type,
        progress=lambda done, total: reporter.advance("index", done, total),
    )
    backends.cards.set_meta(indexed_model_version=info.version, collection=name, model_version=info.version)
    reporter.finish("index", f"{len(table.movie_ids):,} vectors in {name}")
    return name
