"""Training, export and serving of the two towers on the synthetic dataset."""

from __future__ import annotations

import numpy as np
import pytest

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.artifacts import ModelInfo, MovieTable
from movierec_tui.model.encoder import ModelMissing, UserEncoder
from movierec_tui.model.features import build_movie_features, title_tokens, year_bucket
from movierec_tui.model.train import TrainConfig, build_histories, sample_batch


def test_features_map_ids_to_rows_and_unknown_to_padding(synthetic) -> None:
    features = build_movie_features(load_dataset(synthetic.path))
    ids = features.movie_ids
    assert features.rows_for(ids[:3]).tolist() == [1, 2, 3]
    assert features.rows_for(np.array([2, 10**6])).tolist() == [0, 0]  # synthetic ids are odd
    assert features.genre_multi_hot[1].sum() >= 1
    assert title_tokens("Matrix, The") == ["matrix"]
    assert year_bucket(1925) == 0 and year_bucket(1999) < year_bucket(2000)


def test_batches_hide_part_of_each_history(synthetic) -> None:
    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    histories = build_histories(dataset, features, sorted(dataset.users))
    rng = np.random.default_rng(0)
    batch = sample_batch(histories, np.arange(16), features.num_rows, TrainConfig(), rng)
    answers = (batch.targets > 0).sum(axis=1)
    assert np.allclose(batch.targets.sum(axis=1), answers ** TrainConfig().answer_weight_power)
    power = TrainConfig().answer_weight_power
    assert np.allclose(batch.targets[batch.targets > 0], np.repeat(answers ** (power - 1), answers))  # equal per user
    # an answer is never also in the context
    assert not np.any((batch.targets > 0) & (batch.context_mask[:, :] > 0))
    for i in range(16):
        context = set(batch.context_rows[i][batch.context_rows[i] > 0].tolist())
        assert context == set(np.flatnonzero(batch.context_mask[i]).tolist()) - {0}


def test_exported_user_tower_gives_unit_vectors_and_learned_the_clusters(ready, synthetic) -> None:
    encoder = UserEncoder(ready.model_dir)
    table = MovieTable.load(ready.model_dir)
    assert table.vectors.shape == (len(synthetic.movie_cluster), 256)
    assert np.allclose(np.linalg.norm(table.vectors, axis=1), 1.0, atol=1e-4)
    for cluster in range(4):
        liked = synthetic.movies_in(cluster)[:4]
        vector, _ = encoder.encode("F", 25, 0, {m: 5 for m in liked})
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)
        scores = table.vectors @ vector
        scores[table.index_of(np.array(liked))] = -np.inf
        top = table.movie_ids[np.argsort(-scores)[:10]].tolist()
        assert synthetic.cluster_share(top, cluster) >= 0.8, (cluster, top)


def test_a_brand_new_person_gets_a_vector_without_ratings(ready) -> None:
    encoder = UserEncoder(ready.model_dir)
    empty, _ = encoder.encode(None, None, None, {})
    assert empty.shape == (256,) and np.isfinite(empty).all()
    unknown_movie, _ = encoder.encode("M", 18, 4, {123456789: 5})
    assert np.isfinite(unknown_movie).all()


def test_model_info_and_missing_model(ready, tmp_path) -> None:
    info = ModelInfo.load(ready.model_dir)
    assert info.version.startswith(info.dataset_fingerprint[:8])
    assert info.train_config["epochs"] == 60
    with pytest.raises(ModelMissing, match="run `movierec-tui setup`"):
        UserEncoder(tmp_path)


def test_the_user_tower_weighs_the_latest_ratings_and_ignores_padding() -> None:
    """Rows are left-aligned, oldest first: a profile padded to a longer batch row must get the same
    vector as alone, and the order of the same ratings must matter (the recency pool)."""
    import paddle

    from movierec_tui.model.towers import TowerConfig, UserTower

    paddle.seed(0)
    tower = UserTower(TowerConfig(num_movie_rows=50, vocabulary_size=10, hidden=32, context_dim=8))
    tower.eval()

    def encode(rows: list[list[int]], ratings: list[list[float]]) -> np.ndarray:
        count = len(rows)
        demographics = [paddle.to_tensor(np.zeros(count, dtype=np.int64)) for _ in range(3)]
        with paddle.no_grad():
            vectors, _, _ = tower(
                *demographics,
                paddle.to_tensor(np.array(rows, dtype=np.int64)),
                paddle.to_tensor(np.array(ratings, dtype=np.float32)),
            )
        return vectors.numpy()

    alone = encode([[3, 7, 9]], [[5, 2, 4]])[0]
    padded = encode([[3, 7, 9, 0, 0], [1, 2, 3, 4, 5]], [[5, 2, 4, 0, 0], [1, 2, 3, 4, 5]])[0]
    assert np.allclose(alone, padded, atol=1e-5)
    reversed_order = encode([[9, 7, 3]], [[4, 2, 5]])[0]
    assert not np.allclose(alone, reversed_order, atol=1e-3)


def test_the_exported_tower_keeps_the_order_of_a_profile(ready, synthetic) -> None:
    encoder = UserEncoder(ready.model_dir)
    liked = synthetic.movies_in(0)[:3] + synthetic.movies_in(1)[:3]
    forward, _ = encoder.encode("F", 25, 0, {m: 5 for m in liked})
    backward, _ = encoder.encode("F", 25, 0, {m: 5 for m in reversed(liked)})
    assert np.isfinite(backward).all() and not np.allclose(forward, backward, atol=1e-4)
