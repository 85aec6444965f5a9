"""Training the two towers on "given some of a person's ratings, which movies did they also rate?"

Each step takes a batch of users, hides a random part of each history (a time-ordered prefix some
of the time, because that is what a new person's profile looks like, a random subset otherwise),
and asks the model to rank the hidden, liked movies above every other movie in the catalogue (users
with more hidden likes weigh more: `answer_weight_power`). The
catalogue is small (~3,900 movies), so the softmax runs over all of it: no sampled negatives and
so no popularity correction is needed. A rating head adds the tutorial's rating regression as an
auxiliary loss. After the towers, the follow-up model (model/followup.py) is fitted on the same
histories in closed form; the app ranks by the two blended.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass

import numpy as np
import paddle

from movierec_tui import logs
from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.model.features import MovieFeatures, demographic_indices
from movierec_tui.model.followup import FollowUpModel, ProfileRows, fit_followup
from movierec_tui.model.towers import MovieTower, RatingHead, TowerConfig, UserTower

logs.quiet_libraries()


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 50
    batch_size: int = 512
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    temperature: float = 0.07
    max_context: int = 25
    prefix_probability: float = 0.3
    liked_threshold: int = 4
    rating_weight: float = 0.3
    seed: int = 0
    # "softmax": rank the hidden liked movies over the catalogue (+ rating head), the production model.
    # "tutorial": the Paddle book recommender's objective, MSE of 5 * cos(user, movie) vs the rating.
    objective: str = "softmax"
    context_dim: int = 64  # width of the user tower's per-movie embeddings
    hidden: int = 512
    recent_decay: float = 0.7  # see TowerConfig.recent_decay
    # A user's weight in the ranking loss: (number of hidden liked movies) ** power. 0 weighs every
    # user alike; 0.5 lets a long history, whose many hidden likes say more reliably what goes with
    # the context, count for more (validation R@20 +0.008-0.010 at N = 5, 10, 20; 0.75 and 1 less).
    answer_weight_power: float = 0.5
    # The follow-up model (model/followup.py) fitted beside the towers, and how much of its score the
    # ranking adds to the cosine (in the cosine's standard deviations per standardised unit).
    followup_ridge: float = 100.0
    followup_weight: float = 0.11

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass
class UserHistories:
    """Per-user training examples: demographics and the rated rows sorted by time."""

    gender: np.ndarray  # int64 [U]
    age: np.ndarray  # int64 [U] (index into the sorted age buckets)
    occupation: np.ndarray  # int64 [U]
    rows: list[np.ndarray]  # per user, int64 model rows, oldest first
    ratings: list[np.ndarray]  # per user, float32 ratings aligned with rows

    def __len__(self) -> int:
        return len(self.rows)

    def profiles(self) -> Iterator[ProfileRows]:
        for i in range(len(self)):
            demographics = int(self.gender[i]), int(self.age[i]), int(self.occupation[i])
            yield ProfileRows(*demographics, self.rows[i], self.ratings[i])


def build_histories(dataset: Dataset, features: MovieFeatures, user_ids: Iterable[int]) -> UserHistories:
    r = dataset.ratings
    order = np.lexsort((r.timestamps, r.user_ids))
    sorted_users = r.user_ids[order]
    sorted_rows = features.rows_for(r.movie_ids[order].astype(np.int64))
    sorted_ratings = r.ratings[order].astype(np.float32)
    starts = np.searchsorted(sorted_users, np.asarray(sorted(dataset.users)), side="left")
    ends = np.searchsorted(sorted_users, np.asarray(sorted(dataset.users)), side="right")
    span = {uid: (s, e) for uid, s, e in zip(sorted(dataset.users), starts, ends, strict=True)}
    wanted = [uid for uid in user_ids if span[uid][1] - span[uid][0] >= 2]
    users = [dataset.users[uid] for uid in wanted]
    gender, age, occupation = np.array(
        [demographic_indices(u.gender, u.age, u.occupation) for u in users], dtype=np.int64
    ).reshape(-1, 3).T
    return UserHistories(
        gender=gender,
        age=age,
        occupation=occupation,
        rows=[sorted_rows[span[uid][0] : span[uid][1]] for uid in wanted],
        ratings=[sorted_ratings[span[uid][0] : span[uid][1]] for uid in wanted],
    )


@dataclass
class Batch:
    gender: np.ndarray
    age: np.ndarray
    occupation: np.ndarray
    context_rows: np.ndarray  # [B, L]
    context_ratings: np.ndarray  # [B, L]
    context_mask: np.ndarray  # [B, R] 1 where the movie is in the context (not a valid answer)
    targets: np.ndarray  # [B, R] over the hidden liked movies, summing to their count ** answer_weight_power
    target_ratings: np.ndarray  # [B, R] the hidden ratings
    rating_mask: np.ndarray  # [B, R] 1 where a hidden rating exists


def sample_batch(
    histories: UserHistories, users: np.ndarray, num_rows: int, config: TrainConfig, rng: np.random.Generator
) -> Batch:
    size = len(users)
    contexts: list[np.ndarray] = []
    context_mask = np.zeros((size, num_rows), dtype=np.float32)
    targets = np.zeros((size, num_rows), dtype=np.float32)
    target_ratings = np.zeros((size, num_rows), dtype=np.float32)
    rating_mask = np.zeros((size, num_rows), dtype=np.float32)
    context_ratings: list[np.ndarray] = []
    for i, user in enumerate(users):
        rows, ratings = histories.rows[user], histories.ratings[user]
        n = len(rows)
        k = int(rng.integers(0, min(n - 1, config.max_context) + 1))
        if rng.random() < config.prefix_probability:
            chosen = np.arange(k)
        else:
            chosen = np.sort(rng.choice(n, size=k, replace=False))
        hidden = np.ones(n, dtype=bool)
        hidden[chosen] = False
        contexts.append(rows[chosen])
        context_ratings.append(ratings[chosen])
        context_mask[i, rows[chosen]] = 1.0
        hidden_rows, hidden_ratings = rows[hidden], ratings[hidden]
        liked = hidden_rows[hidden_ratings >= config.liked_threshold]
        answer = liked if len(liked) else hidden_rows
        targets[i, answer] = len(answer) ** config.answer_weight_power / len(answer)
        target_ratings[i, hidden_rows] = hidden_ratings
        rating_mask[i, hidden_rows] = 1.0
    width = max(1, max(len(c) for c in contexts))
    context_rows = np.zeros((size, width), dtype=np.int64)
    padded_ratings = np.zeros((size, width), dtype=np.float32)
    for i, (c, cr) in enumerate(zip(contexts, context_ratings, strict=True)):
        context_rows[i, : len(c)] = c
        padded_ratings[i, : len(c)] = cr
    context_mask[:, 0] = 1.0  # row 0 is padding, never an answer
    return Batch(
        histories.gender[users], histories.age[users], histories.occupation[users],
        context_rows, padded_ratings, context_mask, targets, target_ratings, rating_mask,
    )


@dataclass
class TrainedModel:
    user_tower: UserTower
    movie_tower: MovieTower
    rating_head: RatingHead
    features: MovieFeatures
    tower_config: TowerConfig
    train_config: TrainConfig
    seconds: float
    final_loss: float
    followup: FollowUpModel | None = None  # fitted for the production objective only

    def movie_vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All movie vectors [M, 256], rating offsets [M] and rating factors [M, F], in
        features.movie_ids order (row 0, the padding row, dropped)."""
        self.movie_tower.eval()
        with paddle.no_grad():
            vectors, bias, factors = self.movie_tower(*movie_inputs(self.features))
        return tuple(t.numpy()[1:].astype(np.float32) for t in (vectors, bias, factors))  # type: ignore[return-value]


def movie_inputs(features: MovieFeatures) -> tuple[paddle.Tensor, ...]:
    return (
        paddle.arange(features.num_rows, dtype="int64"),
        paddle.to_tensor(features.genre_multi_hot),
        paddle.to_tensor(features.title_token_ids),
        paddle.to_tensor(features.year_buckets),
    )


ProgressCallback = Callable[[int, int, float], None]


def train_model(
    dataset: Dataset,
    features: MovieFeatures,
    config: TrainConfig = TrainConfig(),
    user_ids: Iterable[int] | None = None,
    progress: ProgressCallback | None = None,
) -> TrainedModel:
    """Train on `user_ids` (all users by default); `progress(step, steps, loss)` after each epoch and
    after the follow-up model's fit (the last step, for the production objective)."""
    started = time.perf_counter()
    paddle.set_device("cpu")
    paddle.seed(config.seed)
    rng = np.random.default_rng(config.seed)
    histories = build_histories(dataset, features, sorted(dataset.users) if user_ids is None else user_ids)
    if len(histories) == 0:
        raise ValueError("no user has two or more ratings; nothing to train on")
    if config.objective not in ("softmax", "tutorial"):
        raise ValueError(f"unknown objective {config.objective!r}; use 'softmax' or 'tutorial'")
    tower_config = TowerConfig(
        num_movie_rows=features.num_rows,
        vocabulary_size=len(features.vocabulary),
        context_dim=config.context_dim,
        hidden=config.hidden,
        recent_decay=config.recent_decay,
    )
    user_tower, movie_tower, rating_head = UserTower(tower_config), MovieTower(tower_config), RatingHead()
    parameters = user_tower.parameters() + movie_tower.parameters() + rating_head.parameters()
    steps_per_epoch = max(1, int(np.ceil(len(histories) / config.batch_size)))
    schedule = paddle.optimizer.lr.CosineAnnealingDecay(config.learning_rate, T_max=config.epochs * steps_per_epoch)
    optimizer = paddle.optimizer.AdamW(
        learning_rate=schedule, parameters=parameters, weight_decay=config.weight_decay
    )
    static_movie_inputs = movie_inputs(features)
    with_followup = config.objective == "softmax"
    steps = config.epochs + with_followup
    loss_value = float("nan")
    for epoch in range(config.epochs):
        user_tower.train()
        movie_tower.train()
        order = rng.permutation(len(histories))
        losses = []
        for step in range(steps_per_epoch):
            users = order[step * config.batch_size : (step + 1) * config.batch_size]
            if len(users) == 0:
                continue
            batch = sample_batch(histories, users, features.num_rows, config, rng)
            loss = _batch_loss(batch, user_tower, movie_tower, rating_head, static_movie_inputs, config)
            loss.backward()
            optimizer.step()
            optimizer.clear_grad()
            schedule.step()
            losses.append(float(loss))
        loss_value = float(np.mean(losses))
        if progress is not None:
            progress(epoch + 1, steps, loss_value)
    user_tower.eval()
    movie_tower.eval()
    followup = None
    if with_followup:
        followup = fit_followup(
            histories.profiles(), features.num_rows - 1, config.followup_ridge, config.liked_threshold
        )
        if progress is not None:
            progress(steps, steps, loss_value)
    return TrainedModel(
        user_tower, movie_tower, rating_head, features, tower_config, config,
        time.perf_counter() - started, loss_value, followup,
    )


def log_softmax_rows(logits: paddle.Tensor) -> paddle.Tensor:
    """Row-wise log-softmax. Paddle 3.3's CPU `F.log_softmax` takes ~400 ms on a 256 x 3,900 matrix
    (this is ~70x faster), which alone would make training overrun its time budget."""
    peak = logits.max(axis=1, keepdim=True).detach()
    shifted = logits - peak
    return shifted - paddle.log(paddle.exp(shifted).sum(axis=1, keepdim=True))


def _batch_loss(
    batch: Batch,
    user_tower: UserTower,
    movie_tower: MovieTower,
    rating_head: RatingHead,
    static_movie_inputs: tuple[paddle.Tensor, ...],
    config: TrainConfig,
) -> paddle.Tensor:
    users, user_bias, user_factors = user_tower(
        paddle.to_tensor(batch.gender), paddle.to_tensor(batch.age), paddle.to_tensor(batch.occupation),
        paddle.to_tensor(batch.context_rows), paddle.to_tensor(batch.context_ratings),
    )
    movies, movie_bias, movie_factors = movie_tower(*static_movie_inputs)
    cosine = paddle.matmul(users, movies, transpose_y=True)
    rating_mask = paddle.to_tensor(batch.rating_mask)
    target_ratings = paddle.to_tensor(batch.target_ratings)
    if config.objective == "tutorial":
        squared = ((5.0 * cosine - target_ratings) ** 2) * rating_mask
        return squared.sum() / paddle.clip(rating_mask.sum(), min=1.0)
    logits = cosine / config.temperature - 1e9 * paddle.to_tensor(batch.context_mask)
    targets = paddle.to_tensor(batch.targets)
    retrieval = -(targets * log_softmax_rows(logits)).sum() / targets.sum()
    interaction = paddle.matmul(user_factors, movie_factors, transpose_y=True)
    predicted = rating_head(cosine, user_bias, movie_bias.unsqueeze(0), interaction)
    squared = ((predicted - target_ratings) ** 2) * rating_mask
    rating = squared.sum() / paddle.clip(rating_mask.sum(), min=1.0)
    return retrieval + config.rating_weight * rating
