"""The two towers. Both end in a 256-d L2-normalised vector; the ranking score is the cosine over a
temperature plus a learned per-movie bias (how likely anyone is to like the movie at all), which
the index step turns into one inner product Milvus can search (model/serving_vectors.py).

The user tower is inductive: it sees demographics and the (movie, rating) pairs of a profile, never
a user id, so a brand-new person gets a vector from one forward pass. Demographic fields have an
"unknown" value of their own. Pools summarise the ratings: the plain mean of "what you have seen"
(in MovieLens, having seen a movie is itself a strong signal), a mean weighted by rating minus the
person's own mean rating (what you liked more or less than usual), a mean of the movies rated low
(what to steer away from: without it a 1-star rating reads as "seen, so more like it"), and a mean
that weights the latest ratings most (ratings arrive oldest first, in the order they were given).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import paddle
import paddle.nn.functional as F
from paddle import nn

from movierec_tui.model.dislikes import DISLIKED_AT_MOST
from movierec_tui.model.features import AGE_SLOTS, GENDER_SLOTS, OCCUPATION_SLOTS, YEAR_BUCKETS

EMBEDDING_DIM = 256
RATING_FACTORS = 32


@dataclass(frozen=True)
class TowerConfig:
    num_movie_rows: int
    vocabulary_size: int
    genre_count: int
    hidden: int = 512
    id_dim: int = 64
    context_dim: int = 64
    side_dim: int = 32
    output_dim: int = EMBEDDING_DIM
    recent_decay: float = 0.7  # weight of the k-th latest rating in the "recent" pool: decay ** k
    disliked_pool: bool = True
    dropout: float = 0.0  # on the user tower's hidden layer, while training
    # Width of the linear part of the score (0: none): <sum of the rated movies' input vectors /
    # sqrt(count), the movie's output vector>, added to the logit, searched in the same inner product.
    linear_dim: int = 0
    # A third block of the linear part: the rated movies' own vectors weighed by recency (as the
    # "recent" pool is), so what a person rated last says more about what comes next.
    linear_recent: bool = False

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


class UserTower(nn.Layer):
    def __init__(self, config: TowerConfig) -> None:
        super().__init__()
        self.gender = nn.Embedding(GENDER_SLOTS, 8)
        self.age = nn.Embedding(AGE_SLOTS, 8)
        self.occupation = nn.Embedding(OCCUPATION_SLOTS, 16)
        rows, width = config.num_movie_rows, config.context_dim
        self.seen = nn.Embedding(rows, width, padding_idx=0)
        self.preference = nn.Embedding(rows, width, padding_idx=0)
        self.recent = nn.Embedding(rows, width, padding_idx=0)
        self.disliked = nn.Embedding(rows, width, padding_idx=0) if config.disliked_pool else None
        self.recent_decay = config.recent_decay
        pools = 4 if config.disliked_pool else 3
        self.hidden = nn.Linear(8 + 8 + 16 + pools * width + 3, config.hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.hidden, config.output_dim)
        self.bias = nn.Linear(config.hidden, 1)  # the person's rating offset, for the rating head
        self.rating_factors = nn.Linear(config.hidden, RATING_FACTORS)  # taste for the rating head only
        self.linear_dim = config.linear_dim
        if config.linear_dim:
            self.linear_seen = nn.Embedding(rows, config.linear_dim, padding_idx=0)
            self.linear_preference = nn.Embedding(rows, config.linear_dim, padding_idx=0)
        self.linear_recent = (
            nn.Embedding(rows, config.linear_dim, padding_idx=0) if config.linear_dim and config.linear_recent else None
        )

    def forward(
        self, gender: paddle.Tensor, age: paddle.Tensor, occupation: paddle.Tensor,
        movie_rows: paddle.Tensor, ratings: paddle.Tensor,
    ) -> tuple[paddle.Tensor, ...]:
        """(unit vector, rating offset, rating factors[, linear part when linear_dim])."""
        mask = (movie_rows > 0).astype("float32")
        count = mask.sum(axis=1, keepdim=True)
        safe_count = paddle.clip(count, min=1.0)
        mean_rating = (ratings * mask).sum(axis=1, keepdim=True) / safe_count
        centred = (ratings - mean_rating) * mask
        seen = (self.seen(movie_rows) * mask.unsqueeze(-1)).sum(axis=1) / safe_count
        preference = (self.preference(movie_rows) * centred.unsqueeze(-1)).sum(axis=1) / safe_count
        # Rows come oldest first, left-aligned: a rating's distance from the latest is count - position.
        from_latest = count - paddle.cumsum(mask, axis=1)
        recency = paddle.pow(paddle.full([1], self.recent_decay), from_latest) * mask
        recency = recency / paddle.clip(recency.sum(axis=1, keepdim=True), min=1e-6)
        recent = (self.recent(movie_rows) * recency.unsqueeze(-1)).sum(axis=1)
        pools = [seen, preference, recent]
        low = mask * (ratings <= DISLIKED_AT_MOST).astype("float32")
        low_count = low.sum(axis=1, keepdim=True)
        if self.disliked is not None:
            pools.append((self.disliked(movie_rows) * low.unsqueeze(-1)).sum(axis=1) / paddle.clip(low_count, min=1.0))
        # Empty profiles have mean_rating 0; shift it so "no ratings" and "average 3" differ.
        profile_stats = paddle.concat(
            [paddle.log1p(count), (mean_rating - 3.5) * (count > 0).astype("float32"), low_count / safe_count], 1
        )
        features = paddle.concat(
            [self.gender(gender), self.age(age), self.occupation(occupation), *pools, profile_stats], axis=1
        )
        hidden = self.dropout(F.relu(self.hidden(features)))
        outputs = (F.normalize(self.out(hidden), axis=-1), self.bias(hidden), self.rating_factors(hidden))
        if not self.linear_dim:
            return outputs
        root = paddle.sqrt(safe_count)
        linear = (self.linear_seen(movie_rows) * mask.unsqueeze(-1)).sum(axis=1) / root
        linear = linear + (self.linear_preference(movie_rows) * centred.unsqueeze(-1)).sum(axis=1) / root
        if self.linear_recent is not None:
            linear = linear + (self.linear_recent(movie_rows) * recency.unsqueeze(-1)).sum(axis=1)
        return (*outputs, linear)


class MovieTower(nn.Layer):
    def __init__(self, config: TowerConfig) -> None:
        super().__init__()
        self.movie = nn.Embedding(config.num_movie_rows, config.id_dim, padding_idx=0)
        self.genres = nn.Linear(config.genre_count, config.side_dim, bias_attr=False)
        self.title = nn.Embedding(config.vocabulary_size + 1, config.side_dim, padding_idx=0)
        self.year = nn.Embedding(YEAR_BUCKETS, config.side_dim)
        self.hidden = nn.Linear(config.id_dim + 3 * config.side_dim, config.hidden)
        self.out = nn.Linear(config.hidden, config.output_dim)
        self.bias = nn.Embedding(config.num_movie_rows, 1)  # the movie's rating offset
        self.rating_factors = nn.Embedding(config.num_movie_rows, RATING_FACTORS)
        # How likely anyone is to like the movie, in logits: the ranking adds it to cosine / temperature.
        self.popularity = nn.Embedding(
            config.num_movie_rows, 1, weight_attr=nn.initializer.Constant(0.0)
        )
        self.linear = nn.Embedding(config.num_movie_rows, config.linear_dim) if config.linear_dim else None

    def forward(
        self, rows: paddle.Tensor, genre_multi_hot: paddle.Tensor, title_token_ids: paddle.Tensor,
        year_buckets: paddle.Tensor,
    ) -> tuple[paddle.Tensor, paddle.Tensor, paddle.Tensor]:
        genre_count = paddle.clip(genre_multi_hot.sum(axis=1, keepdim=True), min=1.0)
        token_mask = (title_token_ids > 0).astype("float32")
        token_count = paddle.clip(token_mask.sum(axis=1, keepdim=True), min=1.0)
        title = (self.title(title_token_ids) * token_mask.unsqueeze(-1)).sum(axis=1) / token_count
        features = paddle.concat(
            [self.movie(rows), self.genres(genre_multi_hot) / genre_count, title, self.year(year_buckets)], 1
        )
        hidden = F.relu(self.hidden(features))
        return F.normalize(self.out(hidden), axis=-1), self.bias(rows).squeeze(-1), self.rating_factors(rows)

    def popularity_logits(self, rows: paddle.Tensor) -> paddle.Tensor:
        return self.popularity(rows).squeeze(-1)

    def linear_vectors(self, rows: paddle.Tensor) -> paddle.Tensor | None:
        return None if self.linear is None else self.linear(rows)


class RatingHead(nn.Layer):
    """rating ~ global + user offset + movie offset + scale * cos + <user factors, movie factors>.

    The tutorial's `5 * cos` idea with the offsets it lacks, plus a small factor term of its own:
    the cosine is shaped by the ranking objective ("will they watch it"), the factors let the head
    learn "will they like it" without pulling the ranking geometry around.
    """

    def __init__(self) -> None:
        super().__init__()
        self.scale = self.create_parameter([1], default_initializer=nn.initializer.Constant(2.0))
        self.offset = self.create_parameter([1], default_initializer=nn.initializer.Constant(3.58))

    def forward(
        self, cosine: paddle.Tensor, user_bias: paddle.Tensor, movie_bias: paddle.Tensor, interaction: paddle.Tensor
    ) -> paddle.Tensor:
        return self.offset + user_bias + movie_bias + self.scale * cosine + interaction
