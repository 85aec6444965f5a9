"""The two towers. Both end in a 256-d L2-normalised vector so that Milvus COSINE search ranks
movies exactly as the training objective does.

The user tower is inductive: it sees demographics and the (movie, rating) pairs of a profile, never
a user id, so a brand-new person gets a vector from one forward pass. Three pools summarise the
ratings: the plain mean of "what you have seen" (in MovieLens, having seen a movie is itself the
strongest signal), a mean weighted by rating minus the person's own mean rating (what you liked
more or less than usual), and a mean that weights the latest ratings most (what someone rates next
follows what they rated last; the ratings arrive oldest first, in the order they were given).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import paddle
import paddle.nn.functional as F
from paddle import nn

from movierec_tui.data_loader.dataset import AGE_BUCKETS, GENRES, OCCUPATIONS
from movierec_tui.model.features import YEAR_EDGES

EMBEDDING_DIM = 256
RATING_FACTORS = 32


@dataclass(frozen=True)
class TowerConfig:
    num_movie_rows: int
    vocabulary_size: int
    hidden: int = 512
    id_dim: int = 64
    context_dim: int = 64
    side_dim: int = 32
    output_dim: int = EMBEDDING_DIM
    recent_decay: float = 0.7  # weight of the k-th latest rating in the "recent" pool: decay ** k

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


class UserTower(nn.Layer):
    def __init__(self, config: TowerConfig) -> None:
        super().__init__()
        self.gender = nn.Embedding(2, 8)
        self.age = nn.Embedding(len(AGE_BUCKETS), 8)
        self.occupation = nn.Embedding(len(OCCUPATIONS), 16)
        self.seen = nn.Embedding(config.num_movie_rows, config.context_dim, padding_idx=0)
        self.preference = nn.Embedding(config.num_movie_rows, config.context_dim, padding_idx=0)
        self.recent = nn.Embedding(config.num_movie_rows, config.context_dim, padding_idx=0)
        self.recent_decay = config.recent_decay
        width = 8 + 8 + 16 + 3 * config.context_dim + 2
        self.hidden = nn.Linear(width, config.hidden)
        self.out = nn.Linear(config.hidden, config.output_dim)
        self.bias = nn.Linear(config.hidden, 1)  # the person's rating offset, for the rating head
        self.rating_factors = nn.Linear(config.hidden, RATING_FACTORS)  # taste for the rating head only

    def forward(
        self, gender: paddle.Tensor, age: paddle.Tensor, occupation: paddle.Tensor,
        movie_rows: paddle.Tensor, ratings: paddle.Tensor,
    ) -> tuple[paddle.Tensor, paddle.Tensor, paddle.Tensor]:
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
        # Empty profiles have mean_rating 0; shift it so "no ratings" and "average 3" differ.
        profile_stats = paddle.concat([paddle.log1p(count), (mean_rating - 3.5) * (count > 0).astype("float32")], 1)
        features = paddle.concat(
            [self.gender(gender), self.age(age), self.occupation(occupation), seen, preference, recent, profile_stats],
            axis=1,
        )
        hidden = F.relu(self.hidden(features))
        return F.normalize(self.out(hidden), axis=-1), self.bias(hidden), self.rating_factors(hidden)


class MovieTower(nn.Layer):
    def __init__(self, config: TowerConfig) -> None:
        super().__init__()
        self.movie = nn.Embedding(config.num_movie_rows, config.id_dim, padding_idx=0)
        self.genres = nn.Linear(len(GENRES), config.side_dim, bias_attr=False)
        self.title = nn.Embedding(config.vocabulary_size + 1, config.side_dim, padding_idx=0)
        self.year = nn.Embedding(len(YEAR_EDGES) + 1, config.side_dim)
        self.hidden = nn.Linear(config.id_dim + 3 * config.side_dim, config.hidden)
        self.out = nn.Linear(config.hidden, config.output_dim)
        self.bias = nn.Embedding(config.num_movie_rows, 1)  # the movie's rating offset
        self.rating_factors = nn.Embedding(config.num_movie_rows, RATING_FACTORS)

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
