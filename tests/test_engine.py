"""The Recommender facade end to end on the synthetic dataset: model, Milvus, Redis together, on
Milvus Lite and (given MOVIEREC_TEST_MILVUS_URI) on a Milvus server."""

from __future__ import annotations

import pytest
from milvus_backends import BACKENDS

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.engine import Recommender
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import open_backends


@pytest.fixture(params=BACKENDS)
def recommender(request):
    settings = request.getfixturevalue("ready" if request.param == "lite" else "ready_on_server")
    with open_backends(settings) as backends:
        yield Recommender(settings, backends)


def test_rating_a_cluster_highly_recommends_that_cluster(recommender, synthetic) -> None:
    for cluster in range(4):
        rated = synthetic.movies_in(cluster)[:3]
        results = recommender.recommend(Profile(ratings={m: 5 for m in rated}), k=10)
        ids = [r.card.movie_id for r in results]
        assert len(ids) == 10 and not set(ids) & set(rated)
        assert synthetic.cluster_share(ids, cluster) >= 0.8
        assert all(r.reason.startswith("because you liked ") for r in results)
        assert all(r.because_of in rated for r in results)
        assert all(1.0 <= r.predicted_rating <= 5.0 for r in results)
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_filters_and_dismissals_are_respected(recommender, synthetic) -> None:
    rated = synthetic.movies_in(2)[:3]  # Horror/Thriller cluster
    base = Profile(ratings={m: 5 for m in rated})
    first = recommender.recommend(base, k=5)
    dismissed = first[0].card.movie_id
    no_horror = Profile(ratings=base.ratings, genres_out=["Horror"], dismissed=[dismissed])
    results = recommender.recommend(no_horror, k=20)
    assert results and all("Horror" not in r.card.genres for r in results)
    assert dismissed not in [r.card.movie_id for r in results]
    westerns = recommender.recommend(Profile(ratings=base.ratings, genres_in=["Western"]), k=5)
    assert westerns and all("Western" in r.card.genres for r in westerns)
    years = recommender.recommend(Profile(year_min=1960, year_max=1969), k=50)
    assert years and all(1960 <= r.card.year <= 1969 for r in years)


def test_a_narrow_filter_returns_every_movie_that_passes(recommender, synthetic) -> None:
    """Exact filtered search through the engine: k = 50 and 20-odd movies pass, so all of them come back
    (an approximate index used to return a handful)."""
    movies = load_dataset(synthetic.path).movies
    rated = synthetic.movies_in(0)[:3]
    profile = Profile(ratings={m: 5 for m in rated}, genres_in=["Western", "Comedy"], genres_out=["Romance"],
                      year_min=1960, year_max=2009)  # fmt: skip
    passing = {
        m for m, movie in movies.items()
        if {"Western", "Comedy"} & set(movie.genres) and "Romance" not in movie.genres and 1960 <= movie.year <= 2009
    }  # fmt: skip
    assert 10 < len(passing) < 50
    results = recommender.recommend(profile, k=50)
    assert {r.card.movie_id for r in results} == passing


def test_demographics_only_profile_gets_a_demographic_reason(recommender) -> None:
    results = recommender.recommend(Profile(gender="F", age=25, occupation=12), k=5)
    assert len(results) == 5
    assert results[0].reason == "popular with 25-34 women (programmer)"
    assert results[0].because_of is None


def test_titles_resolve_forgivingly_through_the_engine(recommender) -> None:
    assert recommender.titles.resolve("matrix").title == "Matrix, The"
    assert recommender.titles.resolve("Star Wars").year == 1977


def test_timings_are_recorded(recommender) -> None:
    recommender.recommend(Profile(ratings={1: 5}), k=3)
    timings = recommender.last_timings
    assert timings.total >= timings.search > 0 and timings.encode > 0


def test_seed_movies_are_the_most_rated_not_yet_asked(recommender) -> None:
    by_popularity = sorted(recommender.backends.cards.all_cards(), key=lambda c: (-c.rating_count, c.movie_id))
    seeds = recommender.seed_movies(4)
    assert [c.movie_id for c in seeds] == [c.movie_id for c in by_popularity[:4]]
    again = recommender.seed_movies(4, exclude={c.movie_id for c in seeds})
    assert [c.movie_id for c in again] == [c.movie_id for c in by_popularity[4:8]]


def test_seed_movies_follow_the_profile(recommender, synthetic) -> None:
    """With a profile, the movies to ask about next are the best matches among the most rated, so
    liking one kind of movie steers the questions towards more of that kind."""
    for cluster in (0, 2):
        rated = synthetic.movies_in(cluster)[:2]
        profile = Profile(ratings={m: 5 for m in rated})
        seeds = recommender.seed_movies(6, exclude={rated[0] + 1000}, profile=profile)
        ids = [c.movie_id for c in seeds]
        assert len(ids) == 6 and not set(ids) & set(rated)
        assert synthetic.cluster_share(ids, cluster) >= 0.8
    asked = {c.movie_id for c in recommender.seed_movies(3, profile=Profile())}
    later = recommender.seed_movies(3, exclude=asked, profile=Profile())
    assert not asked & {c.movie_id for c in later}
