"""Training, export and serving of the two towers on the synthetic dataset."""

from __future__ import annotations

import numpy as np
import pytest

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.artifacts import ModelInfo, MovieTable
from movierec_tui.model.encoder import ModelMissing, UserEncoder
from movierec_tui.model.features import (
    UNKNOWN_AGE,
    UNKNOWN_GENDER,
    UNKNOWN_OCCUPATION,
    UNKNOWN_YEAR_BUCKET,
    build_movie_features,
    demographic_indices,
    title_tokens,
    year_bucket,
)
from movierec_tui.model.train import (
    CHECKPOINT_FILE,
    CandidateSampler,
    TrainConfig,
    build_histories,
    sample_batch,
    train_model,
)


def test_features_map_ids_to_rows_and_unknown_to_padding(synthetic) -> None:
    features = build_movie_features(load_dataset(synthetic.path))
    ids = features.movie_ids
    assert features.rows_for(ids[:3]).tolist() == [1, 2, 3]
    assert features.rows_for(np.array([2, 10**6])).tolist() == [0, 0]  # synthetic ids are odd
    assert features.genre_multi_hot[1].sum() >= 1
    assert title_tokens("Matrix, The") == ["matrix"]
    assert year_bucket(1925) == 0 and year_bucket(1999) < year_bucket(2000) < year_bucket(2010) < year_bucket(2023)
    assert year_bucket(None) == UNKNOWN_YEAR_BUCKET != year_bucket(2023)
    assert features.genres[:2] == ["Action", "Adventure"] or features.genres[0] == "Action"
    assert features.genre_multi_hot.shape[1] == len(features.genres)


def test_unknown_demographics_have_indices_of_their_own() -> None:
    assert demographic_indices("M", 25, 0) == (0, 2, 0)
    assert demographic_indices("F", 1, 20) == (1, 0, 20)
    assert demographic_indices(None, None, None) == (UNKNOWN_GENDER, UNKNOWN_AGE, UNKNOWN_OCCUPATION)
    assert UNKNOWN_GENDER == 2 and UNKNOWN_AGE == 7 and UNKNOWN_OCCUPATION == 21
    assert demographic_indices("X", 99, 77) == (UNKNOWN_GENDER, UNKNOWN_AGE, UNKNOWN_OCCUPATION)


def test_batches_hide_part_of_each_history(synthetic) -> None:
    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    histories = build_histories(dataset, features, sorted(dataset.users))
    rng = np.random.default_rng(0)
    config = TrainConfig(demographic_dropout=0.0)
    users = np.arange(16)
    batch = sample_batch(histories, users, config, rng)
    power = config.answer_weight_power
    for i, user in enumerate(users):
        rows, ratings = histories.rows(user), histories.ratings(user)
        context = batch.context_rows[i][batch.context_rows[i] > 0]
        answers = batch.target_rows[batch.target_users == i]
        weights = batch.target_weights[batch.target_users == i]
        assert not set(context.tolist()) & set(answers.tolist())  # an answer is never also in the context
        assert set(context.tolist()) | set(answers.tolist()) <= set(rows.tolist())
        given = dict(zip(rows.tolist(), ratings.tolist(), strict=True))
        liked_hidden = {r for r, v in given.items() if v >= 4} - set(context.tolist())
        assert set(answers.tolist()) == (liked_hidden or set(rows.tolist()) - set(context.tolist()))
        assert weights.sum() == pytest.approx(len(answers) ** power)  # users weigh (their answers) ** power
        low = batch.disliked_rows[batch.disliked_users == i]
        assert set(low.tolist()) == {r for r, v in given.items() if v <= 2} - set(context.tolist())
        assert batch.context_ratings[i][: len(context)].tolist() == [given[r] for r in context.tolist()]
    assert np.array_equal(batch.gender, histories.gender[users])  # no dropout asked for


def test_demographic_dropout_shows_fields_as_unknown(synthetic) -> None:
    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    histories = build_histories(dataset, features, sorted(dataset.users))
    batch = sample_batch(histories, np.arange(200), TrainConfig(demographic_dropout=0.5), np.random.default_rng(1))
    fields = ((batch.gender, UNKNOWN_GENDER), (batch.age, UNKNOWN_AGE), (batch.occupation, UNKNOWN_OCCUPATION))
    for field, unknown in fields:
        assert 0.3 < np.mean(field == unknown) < 0.7


def test_a_large_catalogue_samples_its_softmax_with_every_target_in_it(synthetic) -> None:
    """Above full_softmax_max_movies the step's candidates are the batch's targets, disliked and
    rated movies plus popularity-drawn negatives, each with a logQ correction below zero; a user's
    answers and ratings per step are capped, their total weight kept."""
    from dataclasses import replace

    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    histories = build_histories(dataset, features, sorted(dataset.users))
    config = TrainConfig(full_softmax_max_movies=50, sampled_negatives=20)
    counts = np.bincount(histories.all_rows, minlength=features.num_rows)
    sampler = CandidateSampler(features.num_rows, counts, counts, config)
    assert not sampler.exact and CandidateSampler(features.num_rows, counts, counts, TrainConfig()).exact
    rng = np.random.default_rng(2)
    batch = sample_batch(histories, np.arange(8), replace(config, max_targets=3, max_rating_pairs=4), rng, capped=True)
    for i in range(8):
        assert (batch.target_users == i).sum() <= 3 and (batch.rated_users == i).sum() <= 4
        context = set(batch.context_rows[i][batch.context_rows[i] > 0].tolist())
        hidden = {r: v for r, v in zip(histories.rows(i).tolist(), histories.ratings(i).tolist(), strict=True)
                  if r not in context}  # fmt: skip
        answers = len([r for r, v in hidden.items() if v >= 4]) or len(hidden)
        weights = batch.target_weights[batch.target_users == i]
        assert weights.sum() == pytest.approx(answers**config.answer_weight_power, rel=1e-5)
    candidates = sampler.candidates(batch, rng)
    assert 0 not in candidates.rows and np.all(np.diff(candidates.rows) > 0)
    needed = np.concatenate([batch.target_rows, batch.rated_rows])
    assert set(needed.tolist()) <= set(candidates.rows.tolist())
    assert candidates.log_q is not None and np.all(candidates.log_q <= 0) and np.all(np.isfinite(candidates.log_q))
    # Hidden disliked movies are candidates only when the loss weighs them (dislike_weight > 0):
    # otherwise they would only make the step dearer (most of the candidates at 32x ML-1M).
    assert len(batch.disliked_rows) and not set(batch.disliked_rows.tolist()) <= set(candidates.rows.tolist())
    weighing = CandidateSampler(features.num_rows, counts, counts, replace(config, dislike_weight=1.0))
    assert set(batch.disliked_rows.tolist()) <= set(weighing.candidates(batch, rng).rows.tolist())


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
    tower = UserTower(TowerConfig(num_movie_rows=50, vocabulary_size=10, genre_count=3, hidden=32, context_dim=8))
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


class Interrupted(Exception):
    pass


def test_training_continues_from_its_checkpoint_as_if_never_stopped(synthetic, tmp_path) -> None:
    """Stopped after epoch 2 of 4, a second run with the same data and config starts at epoch 3 and
    ends with the same weights as a run that was never stopped; another config starts over."""
    from dataclasses import replace

    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    config = TrainConfig(epochs=4, batch_size=64, learning_rate=5e-3, dropout=0.2)
    whole = train_model(dataset, features, config, threads=1)

    def stop_after_two(epoch: int, epochs: int, loss: float) -> None:
        if epoch == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_model(dataset, features, config, progress=stop_after_two, checkpoint_dir=tmp_path, threads=1)
    assert (tmp_path / CHECKPOINT_FILE).is_file() and not list(tmp_path.glob("*.partial"))
    epochs: list[int] = []
    resumed = train_model(dataset, features, config, progress=lambda e, n, loss: epochs.append(e),
                          checkpoint_dir=tmp_path, threads=1)  # fmt: skip
    assert epochs == [3, 4]
    assert np.allclose(resumed.movie_outputs().vectors, whole.movie_outputs().vectors, atol=1e-5)
    assert resumed.final_loss == pytest.approx(whole.final_loss, rel=1e-5)
    epochs.clear()
    train_model(dataset, features, replace(config, epochs=2), progress=lambda e, n, loss: epochs.append(e),
                checkpoint_dir=tmp_path, threads=1)  # fmt: skip
    assert epochs == [1, 2]  # not the 4-epoch run's checkpoint


def test_steering_moves_the_query_away_from_low_rated_movies_only() -> None:
    """model/dislikes.py: without a rating of 2 or lower (or for a movie the model does not know) the
    query is the tower's own; with one, the cosine part steps away from the disliked movies' mean
    vector and the linear part loses their "seen" inputs / sqrt(known ratings)."""
    from movierec_tui.model.dislikes import DislikeSteering

    vectors = np.eye(4, dtype=np.float32)
    seen = np.arange(8, dtype=np.float32).reshape(4, 2)
    steering = DislikeSteering(away=0.5, unseen=1.0, vectors=vectors, linear_seen=seen)
    user, linear = np.full(4, 0.5, dtype=np.float32), np.ones(2, dtype=np.float32)
    rows, liked = np.array([1, 2, 0]), np.array([5.0, 4.0, 1.0], dtype=np.float32)
    assert steering.steer(user, linear, rows, liked) == (user, linear)  # the 1 star is an unknown movie
    low = np.array([5.0, 1.5, 1.0], dtype=np.float32)
    moved, moved_linear = steering.steer(user, linear, rows, low)
    assert moved == pytest.approx([0.5, 0.0, 0.5, 0.5])  # row 2 is position 1: 0.5 - 0.5 * 1
    assert moved_linear == pytest.approx(linear - seen[1] / np.sqrt(2))
    scores = vectors @ moved
    assert scores[1] < scores[0] == scores[2]  # the disliked movie's own direction fell, no other


def _paddle_forward(tower, demographics: tuple[int, int, int], rows: np.ndarray, ratings: np.ndarray) -> list:
    import paddle

    with paddle.no_grad():
        outputs = tower(*(paddle.to_tensor(np.array([d], dtype=np.int64)) for d in demographics),
                        paddle.to_tensor(rows.reshape(1, -1).astype(np.int64)),
                        paddle.to_tensor(ratings.reshape(1, -1).astype(np.float32)))  # fmt: skip
    return [o.numpy().reshape(-1) for o in outputs]


def test_the_numpy_user_tower_gives_what_paddle_gives_for_the_saved_tower(ready, synthetic) -> None:
    """The app serves the user tower in numpy (model/user_tower_numpy.py); for every kind of profile
    its outputs must be those of Paddle's own forward pass of the tower `export_model` saved."""
    import paddle

    from movierec_tui.model.artifacts import USER_TOWER_PREFIX

    saved = paddle.jit.load(str(ready.model_dir / USER_TOWER_PREFIX))
    encoder = UserEncoder(ready.model_dir)
    liked, other = synthetic.movies_in(0), synthetic.movies_in(3)
    profiles = [
        ("F", 25, 0, {}),  # no ratings
        ("M", 18, 4, {liked[0]: 4.0}),  # one
        (None, None, None, {m: 5.0 for m in liked[:12]} | {m: 3.5 for m in other[:8]}),  # many, unknown demographics
        ("F", 56, 20, {liked[1]: 5.0, other[0]: 1.0, other[1]: 2.0, 10**6: 1.0, other[2]: 4.5}),  # dislikes, unknown id
        ("X", 99, 77, {m: 1.5 for m in other[:5]}),  # only dislikes; demographics the model does not know
    ]
    for gender, age, occupation, ratings in profiles:
        ours = encoder.encode_profile(gender, age, occupation, ratings)
        rows = encoder.features.rows_for(np.array(list(ratings), dtype=np.int64)) if ratings else np.zeros(1, np.int64)
        values = np.array(list(ratings.values()) or [0.0], dtype=np.float32)
        demographics = demographic_indices(gender, age, occupation)
        vector, bias, factors, linear = _paddle_forward(saved, demographics, rows, values)
        assert ours.vector == pytest.approx(vector, abs=1e-5)
        assert ours.bias == pytest.approx(float(bias[0]), abs=1e-5)
        assert ours.factors == pytest.approx(factors, abs=1e-5)
        assert ours.linear == pytest.approx(linear, abs=1e-5)
        assert ours.vector.dtype == ours.factors.dtype == ours.linear.dtype == np.float32


def test_a_model_dir_without_the_numpy_weights_gets_them_from_its_saved_tower(ready, tmp_path) -> None:
    """A model exported before `export_model` wrote user_tower_weights.npz still serves: the encoder
    reads the weights out of the saved Paddle tower once, the same arrays the export writes."""
    import shutil

    from movierec_tui.model.user_tower_numpy import USER_TOWER_WEIGHTS

    old = tmp_path / "model"
    shutil.copytree(ready.model_dir, old)
    (old / USER_TOWER_WEIGHTS).unlink()
    derived = UserEncoder(old).encode_profile("F", 25, 0, {1: 5.0, 3: 1.0})
    assert (old / USER_TOWER_WEIGHTS).exists()
    with np.load(old / USER_TOWER_WEIGHTS) as found, np.load(ready.model_dir / USER_TOWER_WEIGHTS) as exported:
        assert sorted(found.files) == sorted(exported.files)
        for name in exported.files:
            assert np.array_equal(found[name], exported[name]), name
    served = UserEncoder(ready.model_dir).encode_profile("F", 25, 0, {1: 5.0, 3: 1.0})
    assert np.array_equal(derived.vector, served.vector)


@pytest.mark.parametrize("disliked_pool, linear_dim, linear_recent", [(False, 0, False), (True, 0, False),
                                                                      (False, 6, False), (True, 6, True)])  # fmt: skip
def test_the_numpy_user_tower_follows_each_tower_shape(
    tmp_path, disliked_pool: bool, linear_dim: int, linear_recent: bool
) -> None:
    """Towers without the disliked pool or the linear part (older training configs), or with the
    linear part's recency block, are read out of their saved form and computed as Paddle computes them."""
    import paddle
    from paddle.static import InputSpec

    from movierec_tui.model.towers import TowerConfig, UserTower
    from movierec_tui.model.user_tower_numpy import UserTowerWeights, ensure_user_tower_weights

    paddle.seed(1)
    config = TowerConfig(num_movie_rows=40, vocabulary_size=10, genre_count=3, hidden=16, context_dim=8,
                         disliked_pool=disliked_pool, linear_dim=linear_dim, linear_recent=linear_recent)  # fmt: skip
    tower = UserTower(config)
    tower.eval()
    specs = [InputSpec([None], "int64"), InputSpec([None], "int64"), InputSpec([None], "int64"),
             InputSpec([None, None], "int64"), InputSpec([None, None], "float32")]  # fmt: skip
    paddle.jit.save(tower, str(tmp_path / "user_tower"), input_spec=specs)
    assert ensure_user_tower_weights(tmp_path, config.to_dict())
    weights = UserTowerWeights.load(tmp_path, config.recent_decay)
    rows, ratings = np.array([5, 0, 17, 39, 2]), np.array([4.0, 3.0, 1.0, 5.0, 2.0], dtype=np.float32)
    ours = weights.forward((1, 3, 5), rows, ratings)
    expected = _paddle_forward(tower, (1, 3, 5), rows, ratings)
    assert len(expected) == (4 if linear_dim else 3)
    assert ours.vector == pytest.approx(expected[0], abs=1e-5)
    assert ours.bias == pytest.approx(float(expected[1][0]), abs=1e-5)
    assert ours.factors == pytest.approx(expected[2], abs=1e-5)
    assert (ours.linear is None) == (not linear_dim)
    if linear_dim:
        assert ours.linear == pytest.approx(expected[3], abs=1e-5)
