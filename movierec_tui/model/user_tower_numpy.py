"""The user tower's forward pass in numpy, which is how the app serves it.

Why not Paddle at serve time: paddle.inference's predictor took 2-3 ms per call for a profile of
16 ratings, nearly all of it fixed per-call cost (feeding inputs, dispatching ~60 small ops), which
made the encoding about a third of a recommendation's time. The arithmetic itself is one small
pass (a few hundred rated-movie rows gathered, two matrix-vector products of ~0.3 M multiply-adds):
in numpy about 0.1 ms, with no lock (the predictor could not be shared across threads) and without
importing Paddle in the app.

The model stays Paddle's: `towers.UserTower` defines it, Paddle trains it, and `export_model` saves
it with paddle.jit as before and also writes its weights here (USER_TOWER_WEIGHTS, derived data like
every file of a model dir). A model dir exported before that gets the file once from the saved
Paddle tower (`ensure_user_tower_weights`), checked against that tower's own outputs. The tests hold
`UserTowerWeights.forward` to Paddle's forward of the saved tower; this module must follow any
change of `UserTower.forward`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from movierec_tui.files import replaced_whole
from movierec_tui.model.dislikes import DISLIKED_AT_MOST

USER_TOWER_PREFIX = "user_tower"  # the tower paddle.jit saved: user_tower.json + user_tower.pdiparams
USER_TOWER_WEIGHTS = "user_tower_weights.npz"

# UserTower's parameters in the order its __init__ creates them (the disliked pool and the linear
# part only when the tower config has them): the names of the arrays in USER_TOWER_WEIGHTS.
EMBEDDINGS = ("gender", "age", "occupation", "seen", "preference", "recent", "disliked", "linear_seen",
              "linear_preference", "linear_recent")  # fmt: skip
LINEARS = ("hidden", "out", "bias", "rating_factors")


def recent_decay_of(tower_config: dict) -> float:
    """The tower's recency decay from its model.json (`TowerConfig.recent_decay`, whose default it repeats
    here only because towers.py imports Paddle, which serving does not)."""
    return float(tower_config.get("recent_decay", 0.7))


@dataclass(frozen=True)
class UserTowerOutputs:
    vector: np.ndarray  # float32 [output_dim], unit length
    bias: float
    factors: np.ndarray  # float32 [RATING_FACTORS]
    linear: np.ndarray | None  # float32 [linear_dim], for a model that has a linear part


class UserTowerWeights:
    """The weights of one exported user tower; `forward` is `UserTower.forward` for one profile.
    Immutable once loaded, so any number of threads may call `forward` at once."""

    def __init__(self, arrays: dict[str, np.ndarray], recent_decay: float) -> None:
        self.recent_decay = float(recent_decay)
        self.gender, self.age, self.occupation = arrays["gender"], arrays["age"], arrays["occupation"]
        pools = ["seen", "preference", "recent"] + (["disliked"] if "disliked" in arrays else [])
        self.pool_width = arrays["seen"].shape[1]
        # One gather for every pool: the rated rows of [seen | preference | recent | disliked].
        self.pools = np.ascontiguousarray(np.concatenate([arrays[p] for p in pools], axis=1), dtype=np.float32)
        self.pool_count = len(pools)
        # One gather for the linear part too: [seen | preference | recent (when the tower has it)].
        linear_blocks = [name for name in ("linear_seen", "linear_preference", "linear_recent") if name in arrays]
        self.linear_parts = (
            np.ascontiguousarray(np.concatenate([arrays[name] for name in linear_blocks], axis=1))
            if linear_blocks else None
        )  # fmt: skip
        self.linear_blocks = len(linear_blocks)
        self.hidden_w, self.hidden_b = arrays["hidden.w"], arrays["hidden.b"]
        self.out_w, self.out_b = arrays["out.w"], arrays["out.b"]
        # The rating offset and factors read the same hidden layer: one product for both.
        self.head_w = np.ascontiguousarray(np.concatenate([arrays["bias.w"], arrays["rating_factors.w"]], axis=1))
        self.head_b = np.concatenate([arrays["bias.b"], arrays["rating_factors.b"]])

    @classmethod
    def load(cls, model_dir: Path, recent_decay: float) -> UserTowerWeights:
        with np.load(model_dir / USER_TOWER_WEIGHTS) as saved:
            return cls({name: saved[name].astype(np.float32) for name in saved.files}, recent_decay)

    def forward(self, demographics: tuple[int, int, int], rows: np.ndarray, ratings: np.ndarray) -> UserTowerOutputs:
        """The outputs of `UserTower.forward` for one profile: demographic indices, the rated movies'
        model rows oldest first (0 = a movie the model does not know, left out as Paddle masks it)
        and their ratings."""
        known = rows > 0
        rows, ratings = rows[known], ratings[known].astype(np.float32)
        count = len(rows)
        safe_count = np.float32(max(count, 1))
        mean_rating = ratings.sum(dtype=np.float32) / safe_count
        centred = ratings - mean_rating
        recency = np.float32(self.recent_decay) ** np.arange(count - 1, -1, -1, dtype=np.float32)
        recency /= max(recency.sum(dtype=np.float32), np.float32(1e-6))
        low = (ratings <= DISLIKED_AT_MOST).astype(np.float32)
        low_count = low.sum(dtype=np.float32)
        weights = [np.full(count, 1 / safe_count, dtype=np.float32), centred / safe_count, recency]
        if self.pool_count == 4:
            weights.append(low / max(low_count, np.float32(1.0)))
        gathered = self.pools[rows].reshape(count, self.pool_count, self.pool_width)
        pools = np.einsum("pn,npw->pw", np.array(weights, dtype=np.float32), gathered)
        stats = np.array(
            [np.log1p(np.float32(count)), (mean_rating - np.float32(3.5)) * (count > 0), low_count / safe_count],
            dtype=np.float32,
        )
        demographic = (self.gender[demographics[0]], self.age[demographics[1]], self.occupation[demographics[2]])
        features = np.concatenate([*demographic, pools.reshape(-1), stats])
        hidden = np.maximum(features @ self.hidden_w + self.hidden_b, np.float32(0.0))
        out = hidden @ self.out_w + self.out_b
        vector = out / max(np.float32(np.linalg.norm(out)), np.float32(1e-12))
        head = hidden @ self.head_w + self.head_b
        linear = None
        if self.linear_parts is not None:
            width = self.linear_parts.shape[1] // self.linear_blocks
            root = np.sqrt(safe_count)
            parts = self.linear_parts[rows]
            linear = (parts[:, :width].sum(axis=0) + centred @ parts[:, width : 2 * width]) / root
            if self.linear_blocks == 3:
                linear += recency @ parts[:, 2 * width :]
        return UserTowerOutputs(vector.astype(np.float32), float(head[0]), head[1:].astype(np.float32), linear)


def save_user_tower_weights(tower, directory: Path) -> None:
    """Write a `towers.UserTower`'s weights (as training left them) to `directory`."""
    arrays: dict[str, np.ndarray] = {}
    for name in EMBEDDINGS:
        layer = getattr(tower, name, None)
        if layer is not None:
            arrays[name] = layer.weight.numpy()
    for name in LINEARS:
        layer = getattr(tower, name)
        arrays[f"{name}.w"], arrays[f"{name}.b"] = layer.weight.numpy(), layer.bias.numpy()
    _write(directory, arrays)


def ensure_user_tower_weights(model_dir: Path, tower_config: dict) -> bool:
    """Write USER_TOWER_WEIGHTS into a model dir exported before `export_model` wrote it, from the
    saved Paddle tower (imports Paddle, once per such model dir); True if it was written.

    paddle.jit keeps the parameters but not their attribute names, only the names Paddle generated
    ("embedding_3.w_0", "linear_1.b_0"), numbered in the order the layers were created, which is
    UserTower's own order. The weights so read must reproduce the saved tower's outputs for a few
    probe profiles, or nothing is written (ValueError)."""
    if (model_dir / USER_TOWER_WEIGHTS).exists():
        return False
    import paddle

    from movierec_tui import logs
    from movierec_tui.model.features import demographic_indices

    logs.quiet_libraries()
    saved = paddle.jit.load(str(model_dir / USER_TOWER_PREFIX))
    arrays = _named_by_creation_order(saved.parameters(), tower_config)
    weights = UserTowerWeights(arrays, recent_decay_of(tower_config))
    rows = int(tower_config["num_movie_rows"])
    probes = [
        (demographic_indices("F", 25, 3), np.array([0]), np.array([0.0])),
        (demographic_indices(None, None, None), np.array([1, rows - 1, rows // 2, 0]), np.array([5, 1.5, 4, 3])),
        (demographic_indices("M", 56, 20), np.arange(1, min(rows, 30)), np.linspace(1, 5, min(rows, 30) - 1)),
    ]
    with paddle.no_grad():
        for demographics, probe_rows, probe_ratings in probes:
            expected = saved(*(paddle.to_tensor(np.array([d], dtype=np.int64)) for d in demographics),
                             paddle.to_tensor(probe_rows.reshape(1, -1).astype(np.int64)),
                             paddle.to_tensor(probe_ratings.reshape(1, -1).astype(np.float32)))  # fmt: skip
            ours = weights.forward(demographics, probe_rows, probe_ratings.astype(np.float32))
            got = (ours.vector, np.array([ours.bias]), ours.factors) + (() if ours.linear is None else (ours.linear,))
            same = len(got) == len(expected) and all(
                np.allclose(mine, theirs.numpy().reshape(-1), atol=1e-4)
                for mine, theirs in zip(got, expected, strict=True)
            )
            if not same:
                raise ValueError(f"the user tower weights read from {model_dir} do not reproduce its outputs")
    _write(model_dir, arrays)
    return True


def _named_by_creation_order(parameters, tower_config: dict) -> dict[str, np.ndarray]:
    numbered: dict[str, list[tuple[int, str, np.ndarray]]] = {"embedding": [], "linear": []}
    for parameter in parameters:
        found = re.match(r"(embedding|linear)_(\d+)\.([wb])_", parameter.name)
        if found is None:
            raise ValueError(f"unexpected parameter {parameter.name!r} in a saved user tower")
        numbered[found[1]].append((int(found[2]), found[3], parameter.numpy()))
    embeddings = [name for name in EMBEDDINGS if _has(name, tower_config)]
    found_embeddings = sorted(numbered["embedding"], key=lambda p: p[0])
    found_linears = sorted(numbered["linear"], key=lambda p: (p[0], p[1]))  # b before w
    if len(found_embeddings) != len(embeddings) or len(found_linears) != 2 * len(LINEARS):
        raise ValueError("the saved user tower's parameters do not match its model.json")
    arrays = {name: array for name, (_, _, array) in zip(embeddings, found_embeddings, strict=True)}
    for i, name in enumerate(LINEARS):
        (_, _, bias), (_, _, weight) = found_linears[2 * i], found_linears[2 * i + 1]
        arrays[f"{name}.w"], arrays[f"{name}.b"] = weight, bias
    return arrays


def _has(name: str, tower_config: dict) -> bool:
    if name == "disliked":
        return bool(tower_config.get("disliked_pool", True))
    if name == "linear_recent":
        return bool(tower_config.get("linear_dim", 0)) and bool(tower_config.get("linear_recent", False))
    if name.startswith("linear_"):
        return bool(tower_config.get("linear_dim", 0))
    return True


def _write(directory: Path, arrays: dict[str, np.ndarray]) -> None:
    """Atomically: an app reading the model dir meanwhile sees no file or the whole file."""
    with replaced_whole(directory / USER_TOWER_WEIGHTS) as partial, open(partial, "wb") as out:
        np.savez(out, **{name: np.asarray(array, dtype=np.float32) for name, array in arrays.items()})
