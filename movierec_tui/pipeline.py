"""`setup` and `index` as a sequence of steps that each know whether they are already done.

"Done" is read off the real artefacts (the meta record in Redis, model.json, the collection behind
the Milvus alias), not a separate state file that could disagree with them. Each step writes its
output beside the old one and swaps it in at the end, so a run killed anywhere leaves the previous
working state in place and a rerun continues from the first step that is not done.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.data_loader.download import OFFICIAL_SHA256, OFFICIAL_URL, download_archive, sha256_of
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.faults import checkpoint
from movierec_tui.model.artifacts import ModelInfo, MovieTable, export_model, model_version, swap_directory
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.cards import build_cards

log = logging.getLogger(__name__)

ARCHIVE_NAME = "ml-1m.zip"
# A mirror of the official archive (and the tests' local server); the hash must match what it serves.
ENV_DATASET_URL = "MOVIEREC_DATASET_URL"
ENV_DATASET_SHA256 = "MOVIEREC_DATASET_SHA256"


class Reporter:
    """How steps report progress; the CLI implements it with rich progress bars."""

    def start(self, step: str, total: float | None) -> None: ...
    def advance(self, step: str, completed: float, total: float | None = None, note: str = "") -> None: ...
    def finish(self, step: str, note: str = "") -> None: ...
    def skip(self, step: str, note: str = "") -> None: ...


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
    url = os.environ.get(ENV_DATASET_URL) or OFFICIAL_URL
    sha256 = os.environ.get(ENV_DATASET_SHA256) or OFFICIAL_SHA256
    if archive.is_file() and sha256_of(archive) == sha256.lower():
        reporter.skip("download", f"{archive} verified")
        return archive
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    reporter.start("download", None)

    def progress(done: int, total: int | None) -> None:
        reporter.advance("download", done, total)
        if done:
            checkpoint("download")

    download_archive(archive, url, sha256, progress=progress)
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
        # A rerun (e.g. after an upgrade changed the model format) reuses the dataset setup was given;
        # the downloaded archive is checked against the expected hash again instead.
        previous = backends.cards.meta().get("dataset_source")
        if previous and Path(previous).exists() and Path(previous) != settings.data_dir / ARCHIVE_NAME:
            source = Path(previous)
    path = acquire_dataset(settings, source, reporter)
    reporter.start("parse", None)
    checkpoint("parse")
    dataset: Dataset = timed("parse", lambda: load_dataset(path))  # type: ignore[assignment]
    counts = f"{len(dataset.users):,} users, {len(dataset.movies):,} movies, {len(dataset.ratings):,} ratings"
    reporter.finish("parse", counts)

    meta = backends.cards.meta()
    cards_done = (
        meta.get("dataset_fingerprint") == dataset.fingerprint and backends.cards.count() == len(dataset.movies)
    )
    if not force and cards_done:
        skipped.append("cards")
        reporter.skip("cards", f"{len(dataset.movies):,} cards of dataset {dataset.fingerprint[:8]}")
    else:
        timed("cards", lambda: write_cards(dataset, backends, reporter))

    config = train_config or TrainConfig()
    version = model_version(dataset.fingerprint, config.to_dict())
    if not force and version in (installed_model_version(settings), staged_model_version(settings)):
        skipped.append("train")
        reporter.skip("train", f"model {version}")
    else:
        timed("train", lambda: train_and_export(dataset, settings, config, reporter))

    collection = backends.milvus.active_collection() or ""
    if not force and is_indexed(backends, version, len(dataset.movies)):
        if installed_model_version(settings) != version and staged_model_version(settings) == version:
            # Killed between swapping in the index and installing its model: finish the swap.
            swap_directory(settings.staged_model_dir, settings.model_dir)
        skipped.append("index")
        reporter.skip("index", f"collection {collection}")
    else:
        staged = staged_model_version(settings) == version
        collection = timed(  # type: ignore[assignment]
            "index", lambda: index_movies(settings, backends, reporter, install_staged=staged)
        )
    backends.cards.set_meta(dataset_source=str(path), setup_at=str(int(time.time())))
    return SetupResult(dataset.fingerprint, version, collection, skipped, timings)


def write_cards(dataset: Dataset, backends: Backends, reporter: Reporter) -> None:
    cards = build_cards(dataset)
    reporter.start("cards", len(cards))
    backends.cards.write_cards(cards, progress=lambda done, total: reporter.advance("cards", done, total))
    checkpoint("cards")
    # The fingerprint is written last: it is what marks the step done.
    backends.cards.set_meta(dataset_fingerprint=dataset.fingerprint, cards=str(len(cards)))
    reporter.finish("cards", f"{len(cards):,} cards")


def installed_model_version(settings: Settings) -> str | None:
    return _version_in(settings.model_dir)


def staged_model_version(settings: Settings) -> str | None:
    """The version of a model trained but not yet indexed (it goes live together with its index)."""
    return _version_in(settings.staged_model_dir)


def _version_in(model_dir: Path) -> str | None:
    try:
        return ModelInfo.load(model_dir).version
    except (OSError, ValueError, TypeError):
        return None


def train_and_export(dataset: Dataset, settings: Settings, config: TrainConfig, reporter: Reporter) -> ModelInfo:
    from movierec_tui.model.train import train_model

    features = build_movie_features(dataset)
    reporter.start("train", config.epochs + 1)  # the epochs, then the follow-up model's fit

    def progress(step: int, total: int, loss: float) -> None:
        then = "; fitting the follow-up model" if step == config.epochs else ""
        reporter.advance("train", step, total, f"loss {loss:.3f}{then}")
        if step < total:
            checkpoint("train")

    trained = train_model(
        dataset,
        features,
        config,
        progress=progress,
    )
    # Staged beside the serving model: it replaces it only once its vectors are indexed, so the model
    # in use always matches the collection searched.
    info = export_model(trained, settings.staged_model_dir, dataset.fingerprint)
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


def index_movies(
    settings: Settings, backends: Backends, reporter: Reporter, index_type: str = "HNSW", install_staged: bool = False
) -> str:
    """Write the installed model's movie vectors into a new collection and swap it in; or, with
    `install_staged`, the staged model's, installing that model right after its index is swapped in."""
    model_dir = settings.staged_model_dir if install_staged else settings.model_dir
    info = ModelInfo.load(model_dir)
    table = MovieTable.load(model_dir)
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
        years=[c.year if c.year is not None else 0 for c in ordered],  # 0: no year, outside every year filter
        popularity=[c.rating_count for c in ordered],
        index_type=index_type,
        progress=lambda done, total: (reporter.advance("index", done, total), checkpoint("index")),
    )
    backends.cards.set_meta(indexed_model_version=info.version, collection=name, model_version=info.version)
    if install_staged:
        swap_directory(settings.staged_model_dir, settings.model_dir)
    reporter.finish("index", f"{len(table.movie_ids):,} vectors in {name}")
    return name
