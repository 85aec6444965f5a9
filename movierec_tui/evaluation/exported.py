"""An exported model dir (a home's `model/`) seen the way `ModelRanker` sees a freshly trained model,
so the evaluation's own ranking code can score exactly the model the app serves: the user tower as
paddle.jit saved it, the movie side and the features from their files.

Used by the test that the engine serves what `evaluate` scores, and by `benchmarks/quality_probes.py
--model-dir`, which measures a home's model on validation users without training one. A model dir
exported before the dislike steering (model/dislikes.py) lacks the linear part's "seen" inputs;
`linear_seen_of` reads them back out of the saved user tower.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from movierec_tui.model.artifacts import USER_TOWER_PREFIX, ModelInfo, MovieTable
from movierec_tui.model.dislikes import LINEAR_SEEN_FILE, DislikeSteering
from movierec_tui.model.features import MovieFeatures, demographic_indices
from movierec_tui.model.train import MovieOutputs
from movierec_tui.model.user_tower_numpy import USER_TOWER_WEIGHTS


class ExportedModel:
    """The parts of a `TrainedModel` that `ModelRanker` ranks with (no rating head: ratings are not
    predicted from an export here)."""

    def __init__(self, model_dir: Path) -> None:
        import paddle

        self.user_tower = paddle.jit.load(str(model_dir / USER_TOWER_PREFIX))
        self.features = MovieFeatures.load(model_dir)
        self.info = ModelInfo.load(model_dir)
        table = MovieTable.load(model_dir)
        self._outputs = MovieOutputs(table.vectors, table.bias, table.rating_factors, table.popularity,
                                     table.temperature, table.linear)  # fmt: skip
        self.rating_head = None
        self._steering = DislikeSteering.load(model_dir, self.info.train_config)

    def movie_outputs(self) -> MovieOutputs:
        return self._outputs

    def steering(self) -> DislikeSteering:
        return self._steering


def linear_seen_of(exported: ExportedModel) -> np.ndarray:
    """The user tower's per-movie "seen" inputs of the linear part, [M, L] (row 0, padding, dropped):
    what `export_model` saves as LINEAR_SEEN_FILE. The saved tower names its parameters by number
    only, and two of them have that shape (seen and preference), so the one that reproduces the
    tower's own output is taken: for a profile of one rating the rating is its own mean (centred 0)
    and the count 1, so the linear part is exactly that movie's "seen" row."""
    import paddle

    rows, width = exported.info.tower_config["num_movie_rows"], exported.info.tower_config["linear_dim"]
    candidates = [p.numpy() for p in exported.user_tower.parameters() if list(p.shape) == [rows, width]]
    probe = np.array([[1], [rows // 2], [rows - 1]], dtype=np.int64)
    demographics = np.array([demographic_indices(None, None, None)] * len(probe), dtype=np.int64)
    inputs = (*np.ascontiguousarray(demographics.T), probe, np.full(probe.shape, 4.0, dtype=np.float32))
    with paddle.no_grad():
        *_, linear = exported.user_tower(*(paddle.to_tensor(x) for x in inputs))
    found = [c for c in candidates if np.allclose(c[probe[:, 0]], linear.numpy(), atol=1e-5)]
    if len(found) != 1:
        raise ValueError(f"{len(found)} of the user tower's [{rows}, {width}] parameters give its linear output")
    return found[0][1:].astype(np.float32)


def ensure_linear_seen(model_dir: Path) -> bool:
    """Write LINEAR_SEEN_FILE into an exported model dir that lacks it (as `export_model` writes it
    today); True if it was written. The model's steering settings stay whatever model.json says."""
    target = model_dir / LINEAR_SEEN_FILE
    if target.exists() or not ModelInfo.load(model_dir).tower_config.get("linear_dim"):
        return False
    named = _named_linear_seen(model_dir)
    np.save(target, named if named is not None else linear_seen_of(ExportedModel(model_dir)))
    return True


def _named_linear_seen(model_dir: Path) -> np.ndarray | None:
    """The "seen" inputs by name from the numpy user tower's weights, where a model dir has them. A
    tower with the linear part's recency block (`linear_recent`) has them there: its output for one
    rating is that movie's "seen" row plus its "recent" row, so `linear_seen_of`'s probe cannot
    tell them apart."""
    weights = model_dir / USER_TOWER_WEIGHTS
    if not weights.exists():
        return None
    with np.load(weights) as saved:
        return saved["linear_seen"][1:].astype(np.float32) if "linear_seen" in saved.files else None
