"""What the session zygote loads once for every app it forks: the model and the catalogue.

Each served app used to load them itself after the fork: the Paddle predictor and the movie table,
every card (3,883 hashes read and parsed) and the title index built from them. That was about 0.6 s
of CPU per session, 10 s of the 2 cores when 16 people connect in the same second, and ~20 MB of
Python objects each. The zygote now loads them before it forks anything; each app shares the pages
copy-on-write (the zygote freezes them out of the garbage collector's sight, so they stay shared).

A setup may run while the server does, so nothing is handed out on trust: the model only while its
`model.json` is the same file (a new model is a new directory renamed into place), the catalogue
only while Redis's `meta` names the same dataset and card count as when the cards were read. Else
the app loads its own, as without a zygote. (`engine.Preloaded` is what the engine asks of this.)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui.config import Settings
from movierec_tui.engine import limit_blas_to_one_thread, title_index
from movierec_tui.model.artifacts import MODEL_INFO, MovieTable
from movierec_tui.model.encoder import UserEncoder
from movierec_tui.stores.backends import open_redis_for
from movierec_tui.stores.cards import CardStore, MovieCard
from movierec_tui.titles import TitleIndex

log = logging.getLogger(__name__)

CATALOGUE_KEYS = ("dataset_fingerprint", "cards")  # meta fields that change whenever the cards do


def _model_stamp(model_dir: Path) -> tuple[int, int, int] | None:
    """Identifies the installed model's files: setup renames a new model directory into place, so a
    new model is a new `model.json` (another inode), even with the same version string."""
    try:
        found = os.stat(model_dir / MODEL_INFO)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_mtime_ns


def _catalogue_stamp(meta: dict[str, str]) -> tuple[str, ...] | None:
    stamp = tuple(meta.get(key, "") for key in CATALOGUE_KEYS)
    return stamp if all(stamp) else None


@dataclass(frozen=True)
class WarmStart:
    """Implements `engine.Preloaded`; either part may be missing (it could not be loaded)."""

    model_dir: Path
    model_stamp: tuple[int, int, int] | None = None
    model_parts: tuple[UserEncoder, MovieTable] | None = None
    catalogue_stamp: tuple[str, ...] | None = None
    catalogue_parts: tuple[list[MovieCard], TitleIndex] | None = None

    def model(self, model_dir: Path) -> tuple[UserEncoder, MovieTable] | None:
        if self.model_parts is None or Path(model_dir) != self.model_dir:
            return None
        return self.model_parts if _model_stamp(self.model_dir) == self.model_stamp else None

    def catalogue(self, meta: dict[str, str]) -> tuple[list[MovieCard], TitleIndex] | None:
        if self.catalogue_parts is None or _catalogue_stamp(meta) != self.catalogue_stamp:
            return None
        return self.catalogue_parts


def load_warm_start(settings: Settings) -> WarmStart:
    """Loads what it can; a part that fails (no model yet, Redis down) is left to each app, as before.
    The Redis connection is closed before returning: a forked app must never share a socket."""
    limit_blas_to_one_thread()  # every fork would do it first thing (engine.Recommender)
    model_dir = settings.model_dir
    model_stamp, model_parts = _model_stamp(model_dir), None
    try:
        model_parts = UserEncoder(model_dir), MovieTable.load(model_dir)
    except Exception:  # whatever it is, each app meets it again and reports it
        log.warning("the zygote could not load the model; each session loads its own", exc_info=True)
    if _model_stamp(model_dir) != model_stamp:  # replaced while it was read
        model_parts = None
    if model_parts is not None:
        _prepare_table(model_parts[1])
    _check_sparse_support()
    catalogue_stamp, catalogue_parts = None, None
    if not settings.redis_url:  # serve always names its Redis; never start an embedded one here
        return WarmStart(model_dir, model_stamp, model_parts)
    try:
        connection = open_redis_for(settings)
        try:
            store = CardStore(connection.client)
            before = _catalogue_stamp(store.meta())
            cards = store.all_cards()
            if before is not None and _catalogue_stamp(store.meta()) == before:  # no setup wrote cards meanwhile
                catalogue_stamp, catalogue_parts = before, (cards, title_index(cards))
        finally:
            connection.close()
    except Exception:  # as above: each app reads its own
        log.warning("the zygote could not read the catalogue; each session reads its own", exc_info=True)
    log.info("zygote preloaded: model %s, catalogue %s", "yes" if model_parts else "no",
             f"{len(catalogue_parts[0])} cards" if catalogue_parts else "no")
    return WarmStart(model_dir, model_stamp, model_parts, catalogue_stamp, catalogue_parts)


def _prepare_table(table: MovieTable) -> None:
    """The table makes its search rows at unit length on its first match (numpy norms over every
    movie): ~0.1 s of each app's first recommendation, the same in all of them. Made here, they are
    inherited with the table."""
    user = np.zeros(table.vectors.shape[1], dtype=np.float32)
    linear = None if table.linear is None else np.zeros(table.linear.shape[1], dtype=np.float32)
    try:
        table.match(user, linear)
    except Exception:  # the apps meet it again (and report it) on their first recommendation
        log.warning("the zygote could not prepare the movie table", exc_info=True)


def _check_sparse_support() -> None:
    """On its first search pymilvus checks whether scipy.sparse is installed by executing the package
    afresh (module_from_spec, not the imported module): ~0.2 s of each app's first recommendation.
    Checked here, the answer (a class attribute) is inherited by every fork."""
    try:
        from pymilvus.client.utils import SciPyHelper

        SciPyHelper.is_scipy_sparse(np.zeros((1, 1), dtype=np.float32))
    except Exception:  # a pymilvus without this helper: each app checks for itself, as before
        log.info("pymilvus's sparse check was not made in the zygote", exc_info=True)
