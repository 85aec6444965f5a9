"""The training budget: ML-1M trains its full epochs, a MovieLens-32M-sized dataset a bounded number."""

from __future__ import annotations

from dataclasses import replace

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig, planned_epochs, train_model

ML_1M_USERS = 6_040
ML_32X_USERS = 193_280  # benchmarks/scale.py's 32x: 87,585 movies, 31.9 million ratings


def test_the_budget_keeps_ml1m_and_bounds_a_32m_sized_dataset() -> None:
    config = TrainConfig()
    assert planned_epochs(config, ML_1M_USERS) == config.epochs  # ML-1M's model does not change
    epochs = planned_epochs(config, ML_32X_USERS)
    assert epochs * ML_32X_USERS <= config.max_contexts
    # At the ~2.7 s of CPU a step measured at 32x (docs/benchmarks.md, "Training at scale"), at most
    # 800 steps keep training near 35 of setup's 60 minutes; the budget before planned 5,670 (15 epochs).
    assert 1 <= epochs * -(-ML_32X_USERS // config.batch_size) <= 800
    assert planned_epochs(config, 10**8) == 1  # never none


def test_training_stops_at_the_budget_and_says_so(synthetic) -> None:
    dataset = load_dataset(synthetic.path)
    features = build_movie_features(dataset)
    users = len(dataset.users)
    config = TrainConfig(epochs=6, batch_size=64, max_contexts=2 * users + users // 2)
    reported: list[tuple[int, int]] = []
    trained = train_model(dataset, features, config, progress=lambda e, n, loss: reported.append((e, n)), threads=1)
    assert reported == [(1, 2), (2, 2)] and trained.epochs_done == 2
    reported.clear()
    train_model(dataset, features, replace(config, epochs=1), progress=lambda e, n, loss: reported.append((e, n)),
                threads=1)  # fmt: skip
    assert reported == [(1, 1)]


def test_the_exact_softmax_is_kept_for_catalogues_where_it_is_the_cheaper() -> None:
    """Exact costs ~0.3 ms of CPU per movie and step (1.16 s at 3,883, 5.81 s at 19,415), sampled
    1.64 s at 19,415: ML-1M and ml-latest-small (9,742) stay exact, 5x ML-1M samples."""
    import numpy as np

    from movierec_tui.model.train import CandidateSampler

    def exact(movies: int) -> bool:
        counts = np.ones(movies + 1)
        return CandidateSampler(movies + 1, counts, counts, TrainConfig()).exact

    assert exact(3_883) and exact(9_742) and not exact(19_415)
