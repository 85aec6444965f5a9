"""`setup` and `index` as a sequence of steps that each know whether they are already done.

"Done" is read off the real artefacts (the meta record in Redis, model.json, the collection behind
the Milvus alias), not a separate state file that could disagree with them. Each step writes its
output beside the old one and swaps it in at the end, so a run killed anywhere leaves the previous
working state in place and a rerun continues from the first step that is not done.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from movierec_tui.config import Settings
from movierec_tui.data_loader.dataset import Dataset, describe_catalogue, duplicate_titles
from movierec_tui.data_loader.download import (
    DEFAULT_RELEASE,
    RELEASES,
    download_archive,
    published_md5,
    remote_size,
    sha256_of,
)
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.faults import checkpoint
from movierec_tui.model.artifacts import ModelInfo, MovieTable, export_model, model_version, swap_directory
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig
from movierec_tui.stores.backends import Backends
from movierec_tui.stores.cards import build_cards
from movierec_tui.stores.milvus_store import DEFAULT_INDEX

log = logging.getLogger(__name__)

ARCHIVE_NAME = "ml-1m.zip"  # the default release's archive in the data dir
# A mirror of the chosen release's archive (and the tests' local server); the hash must match what it serves.
ENV_DATASET_URL = "MOVIEREC_DATASET_URL"
ENV_DATASET_SHA256 = "MOVIEREC_DATASET_SHA256"


class Reporter:
    """How steps report progress; the CLI implements it with rich progress bars."""

    def start(self, step: str, total: float | None) -> None: ...
    def advance(self, step: str, completed: float, total: float | None = None, note: str = "") -> None: ...
    def finish(self, step: str, note: str = "") -> None: ...
    def skip(self, step: str, note: str = "") -> None: ...
    def message(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...


@dataclass
class SetupResult:
    dataset_fingerprint: str
    model_version: str
    collection: str
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def acquire_dataset(
    settings: Settings, source: Path | None, reporter: Reporter, release: str = DEFAULT_RELEASE
) -> Path:
    """The local path of the dataset: `source` as given, or the named release's archive, downloaded
    once and verified (its SHA-256 where known, else the MD5 GroupLens publishes beside it; the
    archive's SHA-256 is then kept beside it, so a rerun verifies it without the network)."""
    if source is not None:
        return source
    chosen = RELEASES[release]
    archive = settings.data_dir / f"{chosen.name}.zip"
    url = os.environ.get(ENV_DATASET_URL) or chosen.url
    sha256 = os.environ.get(ENV_DATASET_SHA256) or chosen.sha256
    verified = archive.with_name(archive.name + ".sha256")
    if archive.is_file():
        known = sha256 or (verified.read_text(encoding="ascii").strip() if verified.is_file() else None)
        if known and sha256_of(archive) == known.lower():
            reporter.skip("download", f"{archive} verified")
            return archive
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    size = remote_size(url) or chosen.size
    size_text = f"{size / 1e6:,.1f} MB" if size else chosen.approx_size
    reporter.message(f"Downloading {chosen.title} ({size_text}; {chosen.content}) from {url}")
    reporter.start("download", size)

    def progress(done: int, total: int | None) -> None:
        reporter.advance("download", done, total)
        if done:
            checkpoint("download")

    if sha256:
        download_archive(archive, url, sha256, progress=progress)
    else:
        download_archive(archive, url, published_md5(url), progress=progress, algorithm="md5")
        verified.write_text(sha256_of(archive) + "\n", encoding="ascii")
    reporter.finish("download")
    return archive


def _previous_source(settings: Settings, meta: dict[str, str]) -> tuple[Path | None, str | None]:
    """What the last setup used: a release downloaded into the data dir (by name, so it is verified
    again), or a local path given with --from (if it is still there)."""
    previous = meta.get("dataset_source")
    if not previous:
        return None, None
    path = Path(previous)
    if path.parent == settings.data_dir and path.suffix == ".zip" and path.stem in RELEASES:
        return None, path.stem
    return (path, None) if path.exists() else (None, None)


def run_setup(
    settings: Settings,
    backends: Backends,
    source: Path | None,
    reporter: Reporter,
    train_config: TrainConfig | None = None,
    force: bool = False,
    release: str | None = None,
) -> SetupResult:
    """Every step of setup on `source` (a local path) or the release named `release` (downloaded);
    with neither, on what the last setup used, else on the default release."""
    timings: dict[str, float] = {}
    skipped: list[str] = []

    def timed(step: str, action: Callable[[], object]) -> object:
        started = time.perf_counter()
        value = action()
        timings[step] = round(time.perf_counter() - started, 2)
        return value

    if source is None and release is None:
        # A rerun (e.g. after an upgrade changed the model format) reuses the dataset setup was given;
        # a downloaded archive is checked against its hash again.
        source, release = _previous_source(settings, backends.cards.meta())
    path = acquire_dataset(settings, source, reporter, release or DEFAULT_RELEASE)
    reporter.start("parse", None)
    checkpoint("parse")
    dataset: Dataset = timed("parse", lambda: load_dataset(path))  # type: ignore[assignment]
    counts = f"{len(dataset.users):,} users, {len(dataset.movies):,} movies, {len(dataset.ratings):,} ratings"
    reporter.finish("parse", counts)
    catalogue = dataset.catalogue or describe_catalogue(dataset.movies, "MovieLens-format data")
    reporter.message(f"Catalogue: {catalogue.describe()}")
    for warning in dataset_warnings(dataset):
        reporter.warn(warning)

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
    backends.cards.set_meta(dataset_source=str(path), setup_at=str(int(time.time())), **catalogue.to_meta())
    return SetupResult(dataset.fingerprint, version, collection, skipped, timings)


def dataset_warnings(dataset: Dataset) -> list[str]:
    """What setup tells about a dataset that loads but may surprise: movies sharing a title and year."""
    warnings = []
    for title, year, ids in duplicate_titles(dataset.movies):
        named = f"{title} ({year})" if year is not None else title
        warnings.append(
            f"{len(ids)} movies share the title {named!r}: ids {', '.join(map(str, ids))}; "
            f'rate them by id, e.g. --rate "id:{ids[0]}=5"'
        )
    return warnings


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
    """Train (continuing from the checkpoint of an interrupted run of the same training, if any) and
    stage the model; the checkpoint goes once the staged model is written."""
    from movierec_tui.model.train import planned_epochs, train_model

    features = build_movie_features(dataset)
    checkpoints = settings.home / "training"
    epochs = planned_epochs(config, len(dataset.users))
    if epochs < config.epochs:
        reporter.message(
            f"Training {epochs} of {config.epochs} epochs: {len(dataset.users):,} users each, within the budget "
            f"of {config.max_contexts:,} user contexts"
        )
    reporter.start("train", epochs)

    def progress(epoch: int, epochs: int, loss: float) -> None:
        reporter.advance("train", epoch, epochs, f"loss {loss:.3f}")
        if epoch < epochs:
            checkpoint("train")

    trained = train_model(dataset, features, config, progress=progress, checkpoint_dir=checkpoints)
    # Staged beside the serving model: it replaces it only once its vectors are indexed, so the model
    # in use always matches the collection searched.
    info = export_model(trained, settings.staged_model_dir, dataset.fingerprint)
    shutil.rmtree(checkpoints, ignore_errors=True)
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
        and backends.milvus.index_is_current()  # an index in an older format is rewritten
    )


def index_movies(
    settings: Settings,
    backends: Backends,
    reporter: Reporter,
    index_type: str = DEFAULT_INDEX,
    install_staged: bool = False,
) -> str:
    """Write the installed model's movie vectors into a new collection and swap it in; or, with
    `install_staged`, the staged model's, installing that model right after its index is swapped in.

    The default index is FLAT or IVF_FLAT by the catalogue's size (the store's `index_for`); HNSW
    (a server's) is there to compare against."""
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
        table.search_vectors(),
        genres=[c.genres for c in ordered],
        years=[c.year if c.year is not None else 0 for c in ordered],  # 0: no year, outside every year filter
        popularity=[c.rating_count for c in ordered],
        index_type=index_type,
        progress=lambda done, total: (reporter.advance("index", done, total), checkpoint("index")),
    )
    backends.cards.set_meta(indexed_model_version=info.version, collection=name, model_version=info.version)
    if install_staged:
        swap_directory(settings.staged_model_dir, settings.model_dir)
    remove_old_milvus_lite_data(settings)
    reporter.finish("index", f"{len(table.movie_ids):,} vectors in {name}")
    if warning := lite_size_warning(settings, len(table.movie_ids)):
        reporter.warn(warning)
    return name


# Milvus Lite compares a search with every movie whatever the index, so its cost grows with the
# catalogue: recommend p50 10.0 ms at 38,830 movies (the latency target's edge) and 27 ms at 87,585
# on a 2-core machine (docs/benchmarks.md, the scale.py table), against 7 ms on a Milvus server.
LITE_MOVIES_WITHIN_TARGET = 40_000


def lite_size_warning(settings: Settings, movies: int) -> str | None:
    """What to say when the catalogue is past what Milvus Lite searches within the latency target."""
    if not settings.uses_milvus_lite or movies <= LITE_MOVIES_WITHIN_TARGET:
        return None
    return (f"{movies:,} movies on Milvus Lite: each search compares every movie, so a recommendation takes "
            f"over 10 ms at this size (27 ms at 87,585 movies); for it, point MOVIEREC_MILVUS_URI at a Milvus "
            f"server (docs/deploy.md)")  # fmt: skip


def remove_old_milvus_lite_data(settings: Settings) -> None:
    """Once a new index is in place: the directory where milvus-lite 3 kept the index before, which
    this version does not read (its vectors are the model's, written again just now)."""
    old = settings.old_milvus_lite_dir
    looks_like_lite_3 = (old / "collections").is_dir()  # and nothing a person would keep there
    if settings.uses_milvus_lite and looks_like_lite_3 and Path(settings.effective_milvus_uri) != old:
        log.info("removing %s: Milvus Lite 3's data, replaced by %s", old, settings.effective_milvus_uri)
        shutil.rmtree(old, ignore_errors=True)
