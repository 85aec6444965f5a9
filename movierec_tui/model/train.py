"""Training the two towers on "given some of a person's ratings, which movies did they also like?"

Each step takes a batch of users, hides part of each history and asks the model to rank the
hidden, liked movies above the others (users with more hidden likes weigh more:
`answer_weight_power`). The part shown (the context) is what a profile in the app looks like: a
random subset of the ratings in random order most of the time, the earliest ratings some of the
time, and sometimes the popular movies a person has seen (what onboarding asks about). Hidden
movies the person rated low are extra negatives (`dislike_weight`), so that a low rating teaches
"not this kind", not "seen, so more like it". Demographic fields are dropped to "unknown" at
random (`demographic_dropout`), so the model knows what a person who says nothing looks like.

Small catalogues get the exact softmax over every movie. Above `full_softmax_max_movies` the
softmax runs over a sample: every target of the batch (in-batch negatives for the other users)
plus `sampled_negatives` movies drawn by popularity, each logit corrected by the log of its
chance to be in the sample (logQ), so the cost of a step does not grow with the catalogue.
Training stops after `epochs` passes over the users or `max_contexts` user contexts, whichever
comes first, so a 200,000-user dataset trains in bounded time: ML-1M (6,040 users) trains its 45
epochs, 32x ML-1M (193,280 users, 87,585 movies, ~2.7 s of CPU a step) 2 epochs, 756 steps
(docs/benchmarks.md, "Training at scale").

Both cores work: batches are sampled in a background thread while Paddle computes the step (its
math library on `threads` threads). After each epoch the whole training state is written to a
checkpoint (atomically); a run killed at any point continues from the last finished epoch.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import paddle

from movierec_tui import logs
from movierec_tui.data_loader.dataset import Dataset
from movierec_tui.files import replaced_whole
from movierec_tui.model.dislikes import DislikeSteering
from movierec_tui.model.features import (
    UNKNOWN_AGE,
    UNKNOWN_GENDER,
    UNKNOWN_OCCUPATION,
    MovieFeatures,
    demographic_indices,
)
from movierec_tui.model.towers import DISLIKED_AT_MOST, MovieTower, RatingHead, TowerConfig, UserTower

logs.quiet_libraries()
log = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.pdparams"


@dataclass(frozen=True)
class TrainConfig:
    # 45, not 50: on validation users 45 epochs score as 50 did (Recall@20 within 0.003 on every row of
    # both protocols) and leave setup on ML-1M inside its 10 minutes here (docs/benchmarks.md, "Setup time").
    epochs: int = 45
    batch_size: int = 512
    # On validation users of split 42, 3e-3 and 4e-3 each beat 2e-3 on all six Recall@20 points of
    # both protocols (docs/benchmarks.md, "What was tried"); the same number of steps, so setup
    # takes as long.
    learning_rate: float = 4e-3
    weight_decay: float = 1e-5
    temperature: float = 0.07
    max_context: int = 25
    # How a context is drawn: the earliest ratings (a time-ordered prefix), the popular movies the
    # person rated (what onboarding asks about), or otherwise a random subset of the history.
    prefix_probability: float = 0.3
    popular_probability: float = 0.0
    # A random subset comes in random order this often (else oldest first, as a history is stored):
    # a person in the app rates what they have seen in no particular order.
    shuffle_probability: float = 0.0
    liked_threshold: float = 4.0
    rating_weight: float = 0.3
    seed: int = 0
    # "softmax": rank the hidden liked movies over the catalogue (+ rating head), the production model.
    # "tutorial": the Paddle book recommender's objective, MSE of 5 * cos(user, movie) vs the rating.
    objective: str = "softmax"
    context_dim: int = 64  # width of the user tower's per-movie embeddings
    id_dim: int = 64  # width of the movie tower's per-movie embedding
    hidden: int = 512
    recent_decay: float = 0.7  # see TowerConfig.recent_decay
    disliked_pool: bool = True
    dropout: float = 0.0
    # A user's weight in the ranking loss: (number of hidden liked movies) ** power. 0 weighs every
    # user alike; 0.5 lets a long history, whose many hidden likes say more reliably what goes with
    # the context, count for more.
    answer_weight_power: float = 0.5
    # Each hidden movie rated DISLIKED_AT_MOST or lower counts as 1 + dislike_weight negatives.
    dislike_weight: float = 0.0
    # A context movie rated that low stays in the softmax as this many negatives (0: left out, as
    # every other context movie is): the person's vector is pushed away from what they disliked.
    context_dislike_weight: float = 0.0
    # Not used in training: how the search steers away from a profile's low-rated movies
    # (model/dislikes.py), read from the exported model's config at query time.
    dislike_unseen: float = 1.0  # DislikeSteering.unseen
    dislike_away: float = 0.2  # DislikeSteering.away
    # Both measured on validation users (docs/benchmarks.md, "What was tried"): the popularity logit
    # and a 128-wide linear part lift Recall@20 most under the random-order protocol.
    popularity_bias: bool = True  # a learned per-movie logit added to cosine / temperature
    linear_dim: int = 128  # see TowerConfig.linear_dim
    # On validation users of split 42 (docs/benchmarks.md, "What was tried"): time-ordered N = 10
    # +0.005 .. +0.007 Recall@20 at decays 0.5, 0.7 and 0.85 alike, random-order N = 5 +0.007 .. +0.009.
    linear_recent: bool = True  # see TowerConfig.linear_recent
    demographic_dropout: float = 0.1  # chance that each demographic field is shown as "unknown"
    # Above this the sampled softmax is cheaper as well as bounded: an exact step costs ~0.3 ms of CPU
    # per movie (5.8 s at 19,415), a sampled one 1.6 s there (docs/benchmarks.md, "Training at scale").
    full_softmax_max_movies: int = 10_000
    sampled_negatives: int = 2048
    max_targets: int = 16  # hidden liked movies per user and step (a sample, weights kept) when sampling
    max_rating_pairs: int = 16  # hidden ratings per user and step for the rating head, when sampling
    # Training stops after this many user contexts (whole epochs): above ML-1M's 45 x 6,040, so that
    # ML-1M trains every epoch; small enough that 32x ML-1M trains in ~35 min on 2 cores.
    max_contexts: int = 400_000

    def to_dict(self) -> dict[str, float | int | str | bool]:
        return asdict(self)


@dataclass
class UserHistories:
    """Per-user training examples: demographics and the rated rows sorted by time, stored flat."""

    gender: np.ndarray  # int64 [U]
    age: np.ndarray  # int64 [U]
    occupation: np.ndarray  # int64 [U]
    offsets: np.ndarray  # int64 [U + 1]; user i's ratings are rows[offsets[i]:offsets[i + 1]]
    all_rows: np.ndarray  # int64 model rows, oldest first within each user
    all_ratings: np.ndarray  # float32, aligned with all_rows

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def rows(self, user: int) -> np.ndarray:
        return self.all_rows[self.offsets[user] : self.offsets[user + 1]]

    def ratings(self, user: int) -> np.ndarray:
        return self.all_ratings[self.offsets[user] : self.offsets[user + 1]]


def build_histories(dataset: Dataset, features: MovieFeatures, user_ids: Iterable[int]) -> UserHistories:
    """Histories of `user_ids` with two or more ratings (one is needed as context, one as answer)."""
    r = dataset.ratings
    wanted = np.unique(np.fromiter(user_ids, dtype=np.int64))
    keep = np.isin(r.user_ids, wanted)
    users, stamps = r.user_ids[keep].astype(np.int64), r.timestamps[keep]
    order = np.lexsort((stamps, users))
    users = users[order]
    rows = features.rows_for(r.movie_ids[keep].astype(np.int64)[order])
    ratings = r.ratings[keep].astype(np.float32)[order]
    present, starts, counts = np.unique(users, return_index=True, return_counts=True)
    enough = counts >= 2
    present, starts, counts = present[enough], starts[enough], counts[enough]
    take = np.repeat(starts, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
    demographics = np.array(
        [demographic_indices(dataset.users[int(u)].gender, dataset.users[int(u)].age, dataset.users[int(u)].occupation)
         for u in present], dtype=np.int64,
    ).reshape(-1, 3)  # fmt: skip
    return UserHistories(
        gender=demographics[:, 0],
        age=demographics[:, 1],
        occupation=demographics[:, 2],
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        all_rows=rows[take],
        all_ratings=ratings[take],
    )


@dataclass
class Batch:
    """One step's examples, sparse: (user index in the batch, model row[, value]) triples."""

    gender: np.ndarray
    age: np.ndarray
    occupation: np.ndarray
    context_rows: np.ndarray  # [B, L], left-aligned, 0 = padding
    context_ratings: np.ndarray  # [B, L]
    target_users: np.ndarray  # the hidden liked movies ...
    target_rows: np.ndarray
    target_weights: np.ndarray  # ... summing to (their count) ** answer_weight_power per user
    disliked_users: np.ndarray  # hidden movies rated DISLIKED_AT_MOST or lower
    disliked_rows: np.ndarray
    rated_users: np.ndarray  # hidden ratings for the rating head
    rated_rows: np.ndarray
    rated_values: np.ndarray

    @property
    def size(self) -> int:
        return len(self.gender)


def sample_batch(
    histories: UserHistories, users: np.ndarray, config: TrainConfig, rng: np.random.Generator,
    popularity: np.ndarray | None = None, capped: bool = False,
) -> Batch:
    """A context and its answers for each of `users`. `popularity` (per model row) weighs the
    "popular movies the person has seen" contexts; without it those are random subsets. `capped`
    (a sampled softmax) keeps at most max_targets answers and max_rating_pairs ratings per user,
    drawn at random, the answers' total weight unchanged: what a step costs stays bounded."""
    contexts: list[np.ndarray] = []
    context_ratings: list[np.ndarray] = []
    targets: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    disliked: list[tuple[np.ndarray, np.ndarray]] = []
    rated: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for i, user in enumerate(users):
        rows, ratings = histories.rows(user), histories.ratings(user)
        n = len(rows)
        k = int(rng.integers(0, min(n - 1, config.max_context) + 1))
        draw = rng.random()
        if draw < config.prefix_probability:
            chosen = np.arange(k)
        elif draw < config.prefix_probability + config.popular_probability and popularity is not None:
            weights = popularity[rows]
            chosen = rng.choice(n, size=k, replace=False, p=weights / weights.sum())
        else:
            chosen = rng.choice(n, size=k, replace=False)
            if rng.random() >= config.shuffle_probability:
                chosen = np.sort(chosen)
        hidden = np.ones(n, dtype=bool)
        hidden[chosen] = False
        contexts.append(rows[chosen])
        context_ratings.append(ratings[chosen])
        hidden_rows, hidden_ratings = rows[hidden], ratings[hidden]
        liked = hidden_rows[hidden_ratings >= config.liked_threshold]
        answer = liked if len(liked) else hidden_rows
        weight = len(answer) ** config.answer_weight_power / len(answer)
        if capped and len(answer) > config.max_targets:
            weight *= len(answer) / config.max_targets
            answer = rng.choice(answer, size=config.max_targets, replace=False)
        targets.append((np.full(len(answer), i), answer, np.full(len(answer), weight, dtype=np.float32)))
        low = hidden_rows[hidden_ratings <= DISLIKED_AT_MOST]
        disliked.append((np.full(len(low), i), low))
        if capped and len(hidden_rows) > config.max_rating_pairs:
            pick = rng.choice(len(hidden_rows), size=config.max_rating_pairs, replace=False)
            hidden_rows, hidden_ratings = hidden_rows[pick], hidden_ratings[pick]
        rated.append((np.full(len(hidden_rows), i), hidden_rows, hidden_ratings))
    size = len(users)
    width = max(1, max(len(c) for c in contexts))
    padded_rows = np.zeros((size, width), dtype=np.int64)
    padded_ratings = np.zeros((size, width), dtype=np.float32)
    for i, (c, cr) in enumerate(zip(contexts, context_ratings, strict=True)):
        padded_rows[i, : len(c)] = c
        padded_ratings[i, : len(c)] = cr
    gender, age, occupation = histories.gender[users], histories.age[users], histories.occupation[users]
    if config.demographic_dropout > 0:
        gender, age, occupation = (
            np.where(rng.random(size) < config.demographic_dropout, unknown, field)
            for field, unknown in ((gender, UNKNOWN_GENDER), (age, UNKNOWN_AGE), (occupation, UNKNOWN_OCCUPATION))
        )
    return Batch(
        gender, age, occupation, padded_rows, padded_ratings,
        *(np.concatenate(part) for part in zip(*targets, strict=True)),
        *(np.concatenate(part) for part in zip(*disliked, strict=True)),
        *(np.concatenate(part) for part in zip(*rated, strict=True)),
    )  # fmt: skip


@dataclass
class Candidates:
    """The movies one step's softmax runs over: every row (exact softmax) or a sample (logQ)."""

    rows: np.ndarray  # int64 [C], sorted model rows
    log_q: np.ndarray | None  # float32 [C]: log of each one's chance to be in the sample; None when exact

    def columns(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.rows, rows)


class CandidateSampler:
    """Chooses each step's candidates. The sampled negatives follow popularity ** 0.75 (by rating
    count); a movie's chance to be among the candidates combines that draw with its chance to be some
    user's target in the batch (liked count), the logQ correction of a sampled softmax."""

    def __init__(self, num_rows: int, rated_counts: np.ndarray, liked_counts: np.ndarray, config: TrainConfig) -> None:
        self.num_rows = num_rows
        self.exact = num_rows - 1 <= config.full_softmax_max_movies
        self.negatives = config.sampled_negatives
        weights = np.asarray(rated_counts, dtype=np.float64) ** 0.75
        weights[0] = 0.0
        self.draw_p = weights / weights.sum()
        liked = np.asarray(liked_counts, dtype=np.float64)
        liked[0] = 0.0
        self.target_share = liked / max(liked.sum(), 1.0)
        self.config = config

    def candidates(self, batch: Batch, rng: np.random.Generator) -> Candidates:
        if self.exact:
            return Candidates(np.arange(self.num_rows, dtype=np.int64), None)
        drawn = rng.choice(self.num_rows, size=self.negatives, p=self.draw_p)
        # Disliked movies join only when the loss weighs them: uncapped, a batch's hidden disliked
        # movies alone were ~9,000 of ~12,900 candidates at 32x ML-1M, and a step's cost follows them.
        needed = [batch.target_rows, batch.rated_rows, drawn]
        if self.config.dislike_weight > 0:
            needed.append(batch.disliked_rows)
        if self.config.context_dislike_weight > 0:
            needed.append(batch.context_rows[batch.context_ratings <= DISLIKED_AT_MOST])
        rows = np.unique(np.concatenate(needed))
        rows = rows[rows > 0]
        expected = self.negatives * self.draw_p[rows] + len(batch.target_rows) * self.target_share[rows]
        log_q = np.log(-np.expm1(-np.maximum(expected, 1e-12))).astype(np.float32)
        return Candidates(rows, log_q)


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
    epochs_done: int = 0

    def steering(self) -> DislikeSteering:
        """How this model's search steers away from low-rated movies, as the exported model will."""
        seen = self.user_tower.linear_seen.weight.numpy()[1:] if self.tower_config.linear_dim else None
        return DislikeSteering.of(self.train_config.to_dict(), self.movie_outputs().vectors, seen)

    def movie_outputs(self) -> MovieOutputs:
        """Every movie's vector, rating terms and popularity logit, in features.movie_ids order (row
        0, the padding row, dropped)."""
        self.movie_tower.eval()
        outputs = []
        with paddle.no_grad():
            for start in range(0, self.features.num_rows, 8192):
                rows = np.arange(start, min(start + 8192, self.features.num_rows), dtype=np.int64)
                vectors, bias, factors = self.movie_tower(*movie_inputs(self.features, rows))
                popularity = self.movie_tower.popularity_logits(paddle.to_tensor(rows))
                linear = self.movie_tower.linear_vectors(paddle.to_tensor(rows))
                parts = (vectors, bias, factors, popularity, popularity if linear is None else linear)
                outputs.append([t.numpy().astype(np.float32) for t in parts])
        vectors, bias, factors, popularity, linear = (np.concatenate(p)[1:] for p in zip(*outputs, strict=True))
        if not self.train_config.popularity_bias:
            popularity = np.zeros_like(popularity)
        return MovieOutputs(vectors, bias, factors, popularity, self.train_config.temperature,
                            linear if self.tower_config.linear_dim else None)  # fmt: skip


@dataclass
class MovieOutputs:
    vectors: np.ndarray  # float32 [M, 256], unit rows
    bias: np.ndarray  # float32 [M], the rating head's movie offset
    rating_factors: np.ndarray  # float32 [M, F]
    popularity: np.ndarray  # float32 [M], logit added to cosine / temperature in the ranking
    temperature: float
    linear: np.ndarray | None = None  # float32 [M, linear_dim], the linear part's movie vectors


def movie_inputs(features: MovieFeatures, rows: np.ndarray | None = None) -> tuple[paddle.Tensor, ...]:
    if rows is None:
        rows = np.arange(features.num_rows, dtype=np.int64)
    return (
        paddle.to_tensor(rows),
        paddle.to_tensor(features.genre_multi_hot[rows]),
        paddle.to_tensor(features.title_token_ids[rows]),
        paddle.to_tensor(features.year_buckets[rows]),
    )


ProgressCallback = Callable[[int, int, float], None]


def planned_epochs(config: TrainConfig, users: int) -> int:
    """Passes over the users: `epochs`, fewer if that would exceed `max_contexts` user contexts."""
    return max(1, min(config.epochs, config.max_contexts // max(users, 1)))


def train_model(
    dataset: Dataset,
    features: MovieFeatures,
    config: TrainConfig = TrainConfig(),
    user_ids: Iterable[int] | None = None,
    progress: ProgressCallback | None = None,
    checkpoint_dir: Path | None = None,
    threads: int | None = None,
) -> TrainedModel:
    """Train on `user_ids` (all users by default); `progress(epoch, epochs, loss)` after each epoch.
    With `checkpoint_dir`, the state after each epoch is saved there and a checkpoint of the same
    training (same data, users and config) found there is continued from. Paddle's math runs on
    `threads` threads (default: every core, MOVIEREC_TRAIN_THREADS overrides)."""
    started = time.perf_counter()
    paddle.set_device("cpu")
    paddle.framework.core.set_num_threads(threads or training_threads())
    if config.objective not in ("softmax", "tutorial"):
        raise ValueError(f"unknown objective {config.objective!r}; use 'softmax' or 'tutorial'")
    users = sorted(dataset.users) if user_ids is None else list(user_ids)
    histories = build_histories(dataset, features, users)
    if len(histories) == 0:
        raise ValueError("no user has two or more ratings; nothing to train on")
    paddle.seed(config.seed)
    tower_config = TowerConfig(
        num_movie_rows=features.num_rows,
        vocabulary_size=len(features.vocabulary),
        genre_count=features.genre_multi_hot.shape[1],
        context_dim=config.context_dim,
        id_dim=config.id_dim,
        hidden=config.hidden,
        recent_decay=config.recent_decay,
        disliked_pool=config.disliked_pool,
        dropout=config.dropout,
        linear_dim=config.linear_dim,
        linear_recent=config.linear_recent,
    )
    # Fresh names for the parameters and the optimizer's moments (embedding_0.w_0_moment1_0, ...),
    # whatever this process built before: a checkpoint's optimizer state is keyed by them, so a
    # resumed run must name them alike. The guard spans the loop (the moments are made at step 1).
    with paddle.utils.unique_name.guard():
        return _train(dataset, features, config, histories, tower_config, progress, checkpoint_dir, started)


def _train(
    dataset: Dataset, features: MovieFeatures, config: TrainConfig, histories: UserHistories,
    tower_config: TowerConfig, progress: ProgressCallback | None, checkpoint_dir: Path | None, started: float,
) -> TrainedModel:
    user_tower, movie_tower, rating_head = UserTower(tower_config), MovieTower(tower_config), RatingHead()
    parameters = user_tower.parameters() + movie_tower.parameters() + rating_head.parameters()
    optimizer = paddle.optimizer.AdamW(
        learning_rate=config.learning_rate, parameters=parameters, weight_decay=config.weight_decay
    )
    steps_per_epoch = max(1, math.ceil(len(histories) / config.batch_size))
    epochs = planned_epochs(config, len(histories))
    total_steps = epochs * steps_per_epoch
    rated_counts = np.bincount(histories.all_rows, minlength=features.num_rows)
    liked_counts = np.bincount(
        histories.all_rows[histories.all_ratings >= config.liked_threshold], minlength=features.num_rows
    )
    sampler = CandidateSampler(features.num_rows, rated_counts, liked_counts, config)
    popularity = rated_counts.astype(np.float64) + 1.0
    key = training_key(dataset.fingerprint, histories, config)
    first_epoch, loss_value = 0, float("nan")
    checkpoint_path = checkpoint_dir / CHECKPOINT_FILE if checkpoint_dir is not None else None
    if checkpoint_path is not None:
        restored = load_checkpoint(checkpoint_path, key, user_tower, movie_tower, rating_head, optimizer)
        if restored is not None:
            first_epoch, loss_value = restored
            log.info("training continues after epoch %d of %d from %s", first_epoch, epochs, checkpoint_path)
    models = (user_tower, movie_tower, rating_head)
    with BatchProducer(histories, sampler, config, popularity, steps_per_epoch, first_epoch, epochs) as batches:
        for epoch in range(first_epoch, epochs):
            for model in models[:2]:
                model.train()
            paddle.seed(config.seed * 100_003 + epoch)  # dropout: the same masks on a resumed run
            losses = []
            for step in range(steps_per_epoch):
                batch, candidates = batches.next()
                global_step = epoch * steps_per_epoch + step
                optimizer.set_lr(cosine_rate(config.learning_rate, global_step, total_steps))
                loss = batch_loss(batch, candidates, user_tower, movie_tower, rating_head, features, config)
                loss.backward()
                optimizer.step()
                optimizer.clear_grad()
                losses.append(float(loss))
            loss_value = float(np.mean(losses))
            if checkpoint_path is not None:
                save_checkpoint(checkpoint_path, key, epoch + 1, loss_value, user_tower, movie_tower, rating_head,
                                optimizer)  # fmt: skip
            if progress is not None:
                progress(epoch + 1, epochs, loss_value)
    user_tower.eval()
    movie_tower.eval()
    return TrainedModel(
        user_tower, movie_tower, rating_head, features, tower_config, config,
        time.perf_counter() - started, loss_value, epochs,
    )


def training_threads() -> int:
    configured = os.environ.get("MOVIEREC_TRAIN_THREADS", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else max(1, os.cpu_count() or 1)


def cosine_rate(base: float, step: int, total: int) -> float:
    return base * 0.5 * (1.0 + math.cos(math.pi * min(step, total) / max(total, 1)))


class BatchProducer:
    """Samples the batches of epochs [first, last) in a background thread, a few steps ahead of the
    training loop, so that numpy's sampling runs on one core while Paddle computes on the other.
    Each epoch draws from a generator seeded by (seed, epoch): a resumed run sees the same batches."""

    def __init__(
        self, histories: UserHistories, sampler: CandidateSampler, config: TrainConfig, popularity: np.ndarray,
        steps_per_epoch: int, first: int, last: int, ahead: int = 4,
    ) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=ahead)
        self._stop = threading.Event()
        self._args = histories, sampler, config, popularity, steps_per_epoch, first, last
        self._thread = threading.Thread(target=self._run, name="batch-sampler", daemon=True)

    def __enter__(self) -> BatchProducer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(0.05)

    def _run(self) -> None:
        histories, sampler, config, popularity, steps_per_epoch, first, last = self._args
        try:
            for epoch in range(first, last):
                rng = np.random.default_rng([config.seed, epoch])
                order = rng.permutation(len(histories))
                for step in range(steps_per_epoch):
                    users = order[step * config.batch_size : (step + 1) * config.batch_size]
                    if len(users) == 0:
                        users = order[: config.batch_size]
                    batch = sample_batch(histories, users, config, rng, popularity, capped=not sampler.exact)
                    item = (batch, sampler.candidates(batch, rng))
                    while not self._stop.is_set():
                        try:
                            self._queue.put(item, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if self._stop.is_set():
                        return
        except BaseException as exc:  # handed to the training loop, which raises it
            self._queue.put(exc)

    def next(self) -> tuple[Batch, Candidates]:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item


def batch_loss(
    batch: Batch,
    candidates: Candidates,
    user_tower: UserTower,
    movie_tower: MovieTower,
    rating_head: RatingHead,
    features: MovieFeatures,
    config: TrainConfig,
) -> paddle.Tensor:
    size, width = batch.size, len(candidates.rows)
    users, user_bias, user_factors, *user_linear = user_tower(
        paddle.to_tensor(batch.gender), paddle.to_tensor(batch.age), paddle.to_tensor(batch.occupation),
        paddle.to_tensor(batch.context_rows), paddle.to_tensor(batch.context_ratings),
    )
    candidate_rows = paddle.to_tensor(candidates.rows)
    movies, movie_bias, movie_factors = movie_tower(*movie_inputs(features, candidates.rows))
    cosine = paddle.matmul(users, movies, transpose_y=True)
    rated_columns = candidates.columns(batch.rated_rows)
    rated_at = paddle.to_tensor(np.stack([batch.rated_users, rated_columns], axis=1).astype(np.int64))
    target_ratings = paddle.to_tensor(batch.rated_values.astype(np.float32))
    if config.objective == "tutorial":
        predicted = 5.0 * paddle.gather_nd(cosine, rated_at)
        return ((predicted - target_ratings) ** 2).mean()
    # Logit offsets: row 0 (padding) and the context's own movies are never answers (a disliked one
    # may stay as a negative: context_dislike_weight); hidden disliked movies weigh as 1 +
    # dislike_weight negatives; a sample's movies are corrected by logQ.
    offsets = np.zeros((size, width), dtype=np.float32)
    if candidates.rows[0] == 0:
        offsets[:, 0] = -1e9
    context_users, context_rows = np.nonzero(batch.context_rows)
    context_columns = candidates.columns(batch.context_rows[context_users, context_rows])
    present = context_columns < width
    present[present] = candidates.rows[context_columns[present]] == batch.context_rows[context_users, context_rows][
        present
    ]
    context_offset = np.full(len(context_users), -1e9, dtype=np.float32)
    if config.context_dislike_weight > 0:
        low = batch.context_ratings[context_users, context_rows] <= DISLIKED_AT_MOST
        context_offset[low] = math.log(config.context_dislike_weight)
    offsets[context_users[present], context_columns[present]] = context_offset[present]
    if config.dislike_weight > 0 and len(batch.disliked_rows):
        offsets[batch.disliked_users, candidates.columns(batch.disliked_rows)] += math.log1p(config.dislike_weight)
    if candidates.log_q is not None:
        offsets -= candidates.log_q[None, :]
    targets = np.zeros((size, width), dtype=np.float32)
    np.add.at(targets, (batch.target_users, candidates.columns(batch.target_rows)), batch.target_weights)
    logits = cosine / config.temperature + paddle.to_tensor(offsets)
    if config.popularity_bias:
        logits = logits + movie_tower.popularity_logits(candidate_rows).unsqueeze(0)
    if user_linear:
        logits = logits + paddle.matmul(user_linear[0], movie_tower.linear_vectors(candidate_rows), transpose_y=True)
    targets_tensor = paddle.to_tensor(targets)
    retrieval = -(targets_tensor * log_softmax_rows(logits)).sum() / float(targets.sum())
    if not len(batch.rated_rows):
        return retrieval
    rated_users = paddle.to_tensor(batch.rated_users.astype(np.int64))
    rated_cols = paddle.to_tensor(rated_columns.astype(np.int64))
    interaction = (paddle.gather(user_factors, rated_users) * paddle.gather(movie_factors, rated_cols)).sum(axis=1)
    predicted = rating_head(
        paddle.gather_nd(cosine, rated_at),
        paddle.gather(user_bias.squeeze(-1), rated_users),
        paddle.gather(movie_bias, rated_cols),
        interaction,
    )
    rating = ((predicted - target_ratings) ** 2).mean()
    return retrieval + config.rating_weight * rating


def log_softmax_rows(logits: paddle.Tensor) -> paddle.Tensor:
    """Row-wise log-softmax. Paddle 3.3's CPU `F.log_softmax` takes ~400 ms on a 256 x 3,900 matrix
    (this is ~70x faster), which alone would make training overrun its time budget."""
    peak = logits.max(axis=1, keepdim=True).detach()
    shifted = logits - peak
    return shifted - paddle.log(paddle.exp(shifted).sum(axis=1, keepdim=True))


def training_key(fingerprint: str, histories: UserHistories, config: TrainConfig) -> str:
    """What a checkpoint must match to be continued: the data, the users trained on, the config."""
    import hashlib
    import json

    digest = hashlib.sha256()
    digest.update(fingerprint.encode())
    digest.update(histories.offsets.tobytes())
    digest.update(histories.all_rows[:: max(1, len(histories.all_rows) // 100_000)].tobytes())
    digest.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def save_checkpoint(
    path: Path, key: str, epochs_done: int, loss: float, user_tower: UserTower, movie_tower: MovieTower,
    rating_head: RatingHead, optimizer: paddle.optimizer.Optimizer,
) -> None:
    """Written beside and renamed over the previous one: a kill leaves one whole checkpoint or the
    other, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "key": key,
        "epochs_done": epochs_done,
        "loss": loss,
        "user_tower": user_tower.state_dict(),
        "movie_tower": movie_tower.state_dict(),
        "rating_head": rating_head.state_dict(),
        "optimizer": optimizer.state_dict(),
    }
    with replaced_whole(path, durable=True) as partial:
        paddle.save(state, str(partial))


def load_checkpoint(
    path: Path, key: str, user_tower: UserTower, movie_tower: MovieTower, rating_head: RatingHead,
    optimizer: paddle.optimizer.Optimizer,
) -> tuple[int, float] | None:
    """(epochs done, loss) after restoring the state saved at `path`, or None if there is none for
    this training (another dataset or config, or an unreadable file: training starts over)."""
    if not path.is_file():
        return None
    try:
        state = paddle.load(str(path))
    except Exception as exc:  # any unreadable checkpoint means "start over"
        log.warning("ignoring unreadable training checkpoint %s: %s", path, exc)
        return None
    if state.get("key") != key:
        return None
    user_tower.set_state_dict(state["user_tower"])
    movie_tower.set_state_dict(state["movie_tower"])
    rating_head.set_state_dict(state["rating_head"])
    optimizer.set_state_dict(state["optimizer"])
    return int(state["epochs_done"]), float(state["loss"])

