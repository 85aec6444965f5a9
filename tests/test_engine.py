"""The Recommender facade end to end on the synthetic dataset: model, Milvus, Redis together, on
Milvus Lite and (given MOVIEREC_TEST_MILVUS_URI) on a Milvus server."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from milvus_backends import BACKENDS

from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.engine import HIDDEN_GEMS_NOVELTY, KEPT_ON_DISK, Recommender, StoreUnavailable, UnreadableProfile
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import Backends, open_backends
from movierec_tui.stores.cards import CardStore
from movierec_tui.stores.milvus_store import MilvusStore
from movierec_tui.stores.redis_server import RedisConnection, _client
from movierec_tui.wording import title_with_year


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


LONG_PAGE = 50


def test_the_watchlist_and_seen_movies_are_left_out_inside_the_search(recommender, synthetic) -> None:
    """Left out by Milvus, not after it: asked for a long page, a profile with listed movies still
    gets that many, none of them listed."""
    base = Profile(ratings={m: 5 for m in synthetic.movies_in(1)[:3]})
    top = [r.card.movie_id for r in recommender.recommend(base, k=10)]
    listed = Profile(ratings=base.ratings, watchlist=top[:3], seen=top[3:6])
    ids = [r.card.movie_id for r in recommender.recommend(listed, k=LONG_PAGE)]
    assert len(ids) == LONG_PAGE and not set(ids) & set(top[:6])
    assert ids[:4] == top[6:10]  # the others keep their order
    like = [r.card.movie_id for r in recommender.more_like(top[6], listed, k=10)]
    assert len(like) == 10 and not set(like) & set(top[:6])
    popular = [c.movie_id for c in recommender.seed_movies(5, profile=Profile())]
    steered = recommender.seed_movies(5, profile=Profile(watchlist=popular[:2], seen=popular[2:4]))
    assert len(steered) == 5 and not {c.movie_id for c in steered} & set(popular[:4])


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


# -- what the UI asks of the engine ----------------------------------------------------------------


def test_more_like_a_movie_keeps_the_filters_and_leaves_out_rated_and_dismissed(recommender, synthetic) -> None:
    scream = synthetic.movies_in(2)[0]
    rated, dismissed = synthetic.movies_in(2)[1], synthetic.movies_in(2)[2]
    profile = Profile(ratings={synthetic.movies_in(0)[0]: 5, rated: 4}, dismissed=[dismissed])
    ids = [r.card.movie_id for r in recommender.more_like(scream, profile, k=10)]
    assert len(ids) == 10 and synthetic.cluster_share(ids, 2) >= 0.8
    assert not {scream, rated, dismissed} & set(ids)
    newer = recommender.more_like(scream, Profile(year_min=1990), k=10)
    assert newer and all(r.card.year >= 1990 for r in newer)


def test_more_like_ranks_by_similarity_to_the_movie_as_the_details_pane_does(recommender, synthetic) -> None:
    """"More like Alien" is about Alien: the movies whose vectors are closest to its vector, in the
    order of the details pane's closest matches (to the two decimals it shows), whoever asks: an
    empty profile and a fan of another cluster get the same list. Alien is not rated, so the reason
    says "similar to", never "because you liked"."""
    recommender.catalogue_cards()
    alien = synthetic.movies_in(0)[1]
    pane = recommender.similar_to(alien, 10)
    cosine = {card.movie_id: similarity for card, similarity in recommender.similar_to(alien, 60)}
    romance_fan = Profile(ratings={m: 5 for m in synthetic.movies_in(1)[:4]}, gender="F")
    for profile in (Profile(), romance_fan):
        results = recommender.more_like(alien, profile, k=10)
        assert [round(r.score, 2) for r in results] == [round(similarity, 2) for _, similarity in pane]
        assert all(r.score == pytest.approx(cosine[r.card.movie_id], abs=1e-5) for r in results)
        assert all(r.reason == "similar to Alien (1979)" and r.because_of is None for r in results)


def rows_one_by_one(recommender: Recommender, profile: Profile, loved: list[int], k: int, exclude: set[int]):
    """The rows as a search each, with what the cards and the rows above show inside its filter."""
    leave_out, rows = set(exclude), []
    for movie_id in loved:
        rows.append(recommender.more_like(movie_id, profile, k, exclude=leave_out))
        leave_out.update(r.card.movie_id for r in rows[-1])
    gems = replace(profile, novelty=HIDDEN_GEMS_NOVELTY)
    return [*rows, recommender.recommend(gems, k, exclude=leave_out)]


@pytest.mark.parametrize("narrow", [False, True], ids=["wide", "narrow-filter"])
def test_the_rows_in_one_request_are_the_rows_searched_one_by_one(recommender, synthetic, narrow) -> None:
    """`rows` asks Milvus once for every row and drops the rows above from each: the same movies, in
    the same order, with the same scores and reasons as a search per row with them in its filter;
    also when the filter passes fewer movies than the rows would show."""
    liked = [synthetic.movies_in(0)[0], synthetic.movies_in(2)[0], synthetic.movies_in(1)[0]]
    profile = Profile(
        ratings={liked[0]: 5, liked[1]: 5, liked[2]: 4, synthetic.movies_in(3)[0]: 2},
        dismissed=[synthetic.movies_in(0)[3]],
        genres_out=["Romance"] if not narrow else [],
        year_min=1998 if narrow else None,  # 29 movies of the 160
    )
    loved = recommender.loved(profile, 2)
    assert loved == liked[1::-1]  # the two 5s, the later one first
    cards = {r.card.movie_id for r in recommender.recommend(profile, 10)}
    together = recommender.rows(profile, loved, 10, exclude=cards)
    alone = rows_one_by_one(recommender, profile, loved, 10, cards)

    def shown(rows):
        return [[(r.card.movie_id, round(r.score, 5), r.reason, r.because_of) for r in row] for row in rows]

    assert shown(together) == shown(alone)
    everything = [r.card.movie_id for row in together for r in row]
    assert len(set(everything)) == len(everything) and not set(everything) & (cards | profile.listed)
    if narrow:
        assert sum(map(len, together)) < 30 and all(r.card.year >= 1998 for row in together for r in row)
    else:
        assert [len(row) for row in together] == [10, 10, 10]


def test_a_reason_names_the_liked_movie_closest_to_the_card_as_why_does(recommender, synthetic) -> None:
    """"Because you liked X": X is rated 4 or more and is the liked movie whose vector is closest to
    the card's, the same one `score_of` gives "why" as the closest liked movie."""
    liked = [*synthetic.movies_in(0)[:3], *synthetic.movies_in(3)[:3], synthetic.movies_in(1)[0]]
    disliked = synthetic.movies_in(2)[:2]
    profile = Profile(ratings={**{m: 5 - i % 2 for i, m in enumerate(liked)}, **{m: 2 for m in disliked}})
    results = recommender.recommend(profile, k=20)
    for result in results:
        scored = recommender.score_of(profile, result.card.movie_id)
        assert scored is not None and scored.anchor is not None
        assert result.because_of == scored.anchor[0].movie_id and result.because_of in liked
        assert result.reason == f"because you liked {title_with_year(scored.anchor[0])}"
    not_liked = Profile(ratings={m: 2 for m in disliked})
    assert all(r.reason == "from your 2 ratings (none 4★ or more)" for r in recommender.recommend(not_liked, k=5))


def test_a_low_rating_pushes_the_movies_like_it_down(recommender, synthetic) -> None:
    """Issue 18.3: rating horror movies 1 star must lower the other horror movies, not lift them as
    "seen, so more like it". The same profile, the same model, searched with the model's steering
    away from the low-rated movies and without it: the horror movies fall in the ranking and in the
    served list; the liked cluster's stay where they were (within a rank)."""
    from dataclasses import replace

    liked, disliked = synthetic.movies_in(0)[:3], synthetic.movies_in(2)[:3]
    profile = Profile(ratings={**{m: 5.0 for m in liked}, **{m: 1.0 for m in disliked}})
    encoder = recommender.encoder
    assert encoder.steering.away > 0 and encoder.steering.unseen > 0  # the defaults steer

    def ranks_and_list() -> tuple[np.ndarray, list[int]]:
        _, _, match = recommender.scores(profile)
        ranks = np.empty(len(match), dtype=np.int64)
        ranks[np.argsort(-match, kind="stable")] = np.arange(len(match))
        return ranks, [r.card.movie_id for r in recommender.recommend(profile, k=20)]

    steered_ranks, steered_list = ranks_and_list()
    kept = encoder.steering
    encoder.steering = replace(kept, away=0.0, unseen=0.0)
    try:
        plain_ranks, plain_list = ranks_and_list()
    finally:
        encoder.steering = kept
    horror = recommender.movies.index_of(np.array(synthetic.movies_in(2)[3:]))
    liked_kind = recommender.movies.index_of(np.array(synthetic.movies_in(0)[3:]))
    assert steered_ranks[horror].mean() > plain_ranks[horror].mean()
    assert steered_ranks[liked_kind].mean() <= plain_ranks[liked_kind].mean() + 1.0  # at most a reshuffle
    assert synthetic.cluster_share(steered_list, 2) <= synthetic.cluster_share(plain_list, 2)


def test_score_of_places_a_movie_where_the_ranking_puts_it(recommender, synthetic) -> None:
    """`place` counts only what the profile can be shown (not rated, dismissed, on the watchlist or
    seen, within its filters): the listed movies are #1, #2, ... in order."""
    recommender.catalogue_cards()  # the cards the filters are judged on
    rated = synthetic.movies_in(0)[:3]
    profile = Profile(ratings={m: 5 for m in rated}, dismissed=[synthetic.movies_in(0)[3]], genres_out=["Comedy"])
    # The two best picks go on the lists: they leave the ranking, so they must not count in `place`.
    best = [r.card.movie_id for r in recommender.recommend(profile, k=2)]
    profile.watchlist, profile.seen = [best[0]], [best[1]]
    listed = recommender.recommend(profile, k=8)
    assert not {r.card.movie_id for r in listed} & set(best)
    assert [recommender.score_of(profile, r.card.movie_id).place for r in listed] == list(range(1, 9))
    unlisted = next(m for m in synthetic.movies_in(3) if m not in {r.card.movie_id for r in listed})
    assert recommender.score_of(profile, unlisted).place > 8


def test_score_of_is_the_match_the_ranking_uses_with_the_closest_liked_movie(recommender, synthetic) -> None:
    liked = synthetic.movies_in(0)[:2]
    profile = Profile(ratings={liked[0]: 5, liked[1]: 4, synthetic.movies_in(1)[0]: 2})
    listed = recommender.recommend(profile, k=5)
    first = recommender.score_of(profile, listed[0].card.movie_id)
    assert first is not None and first.score == pytest.approx(listed[0].score, abs=1e-6)
    assert first.total == len(synthetic.movie_cluster)
    assert first.anchor is not None and first.anchor[0].movie_id in liked  # the disliked one is no anchor
    assert listed[0].because_of == first.anchor[0].movie_id
    horror = recommender.score_of(profile, synthetic.movies_in(2)[5])
    assert horror is not None and horror.rank > first.rank
    assert recommender.score_of(profile, 999_999) is None
    assert recommender.score_of(Profile(), listed[0].card.movie_id).anchor is None  # nothing liked


def test_similar_movies_are_nearest_by_vector(recommender, synthetic) -> None:
    recommender.catalogue_cards()  # the cards they are shown with
    western = synthetic.movies_in(3)[0]
    similar = recommender.similar_to(western, 6)
    ids = [card.movie_id for card, _ in similar]
    assert len(ids) == 6 and western not in ids
    assert synthetic.cluster_share(ids, 3) >= 0.8
    cosines = [cosine for _, cosine in similar]
    assert cosines == sorted(cosines, reverse=True) and all(-1.0 <= c <= 1.0 + 1e-6 for c in cosines)
    assert recommender.similar_to(999_999) == []


def test_catalogue_cards_and_model_version(recommender, synthetic) -> None:
    from movierec_tui.model.artifacts import ModelInfo

    cards = recommender.catalogue_cards()
    assert set(cards) == set(synthetic.movie_cluster)
    assert cards[1].title == "Star Wars: Episode IV - A New Hope"
    assert recommender.model_version == ModelInfo.load(recommender.settings.model_dir).version


def test_saved_profiles_by_name(recommender) -> None:
    profiles = recommender.profiles
    mine = Profile(gender="F", age=25, ratings={1: 5, 3: 2}, genres_out=["Horror"])
    profiles.save("engine-test", mine)
    assert "engine-test" in profiles.names()
    assert profiles.load("engine-test") == mine
    assert profiles.load("engine-test-none") is None
    recommender.backends.cards.save_profile("engine-broken", '{"age": 31}')  # no MovieLens age bucket
    with pytest.raises(UnreadableProfile, match="age") as caught:
        profiles.load("engine-broken")
    kept = profiles.set_aside(caught.value)
    assert kept is not None and recommender.backends.cards.client.get(kept) == '{"age": 31}'
    assert "engine-broken" not in profiles.names()
    assert profiles.delete("engine-test") and not profiles.delete("engine-test")
    assert "engine-test" not in profiles.names()
    recommender.backends.cards.client.delete(kept)


def test_a_redis_that_is_down_is_named(own_home, backends) -> None:
    """A Redis nobody listens on: every call that needs it raises StoreUnavailable naming Redis; a
    profile save is kept in the home's journal instead (and is then what a load returns)."""
    dead = RedisConnection(_client("redis://127.0.0.1:9/0"), "redis://127.0.0.1:9/0", embedded=False)
    recommender = Recommender(own_home, Backends(dead, CardStore(dead.client), backends.milvus))
    for call in (lambda: recommender.titles, recommender.catalogue_cards, recommender.profiles.names,
                 lambda: recommender.profiles.load("x"), lambda: recommender.recommend(Profile(), k=3)):  # fmt: skip
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert caught.value.store == "redis" and str(caught.value).startswith("Redis at 127.0.0.1:9/0: ")
    assert not recommender.probe_cards() and recommender.cards_down is not None
    assert recommender.cards_down.store == "redis"
    assert recommender.profiles.save("x", Profile(age=25)) == KEPT_ON_DISK
    assert recommender.profiles.waiting() == ["x"] and recommender.profiles.load("x") == Profile(age=25)
    assert recommender.profiles.replay() == [] and recommender.profiles.waiting() == ["x"]  # still down
    dead.client.close()


def test_a_milvus_that_is_down_is_named(ready, backends) -> None:
    """The Milvus client closed under the engine, as when the server went away: a search raises
    StoreUnavailable naming Milvus; the cards (Redis) still come."""
    milvus = MilvusStore(ready.effective_milvus_uri, ready.milvus_token)
    recommender = Recommender(ready, Backends(backends.redis, backends.cards, milvus))
    assert recommender.recommend(Profile(ratings={1: 5}), k=3)
    milvus.client.close()
    with pytest.raises(StoreUnavailable) as caught:
        recommender.recommend(Profile(ratings={1: 5}), k=3)
    assert caught.value.store == "milvus"
    assert recommender.catalogue_cards()
    milvus.close()


def test_the_linear_seen_inputs_read_back_from_a_saved_user_tower_are_the_exported_ones(ready, tmp_path) -> None:
    """A model exported before the dislike steering has no movie_linear_seen.npy; `ensure_linear_seen`
    reads it out of the saved tower, where two parameters have its shape: it must pick the "seen"
    one, the rows `export_model` writes today. Both ways: by name from the numpy tower's weights, and
    (a model dir older than those, whose towers had no recency block) by probing the saved tower."""
    import shutil

    from movierec_tui.evaluation.exported import ensure_linear_seen
    from movierec_tui.model.dislikes import LINEAR_SEEN_FILE

    old = tmp_path / "model"
    shutil.copytree(ready.model_dir, old)
    (old / LINEAR_SEEN_FILE).unlink()
    assert ensure_linear_seen(old)
    assert np.load(old / LINEAR_SEEN_FILE) == pytest.approx(np.load(ready.model_dir / LINEAR_SEEN_FILE))
    assert not ensure_linear_seen(old)  # there already: left as it is


def test_the_linear_seen_inputs_are_read_back_by_probing_a_tower_without_its_numpy_weights(
    synthetic, tmp_path
) -> None:
    """A model dir exported before the numpy user tower and the dislike steering (its towers had no
    recency block in the linear part): no weights by name, so the probe of the saved tower must pick
    the "seen" parameter out of the two of its shape."""
    from movierec_tui.data_loader.parse import load_dataset
    from movierec_tui.evaluation.exported import ensure_linear_seen
    from movierec_tui.model.artifacts import export_model
    from movierec_tui.model.dislikes import LINEAR_SEEN_FILE
    from movierec_tui.model.features import build_movie_features
    from movierec_tui.model.train import TrainConfig, train_model
    from movierec_tui.model.user_tower_numpy import USER_TOWER_WEIGHTS

    dataset = load_dataset(synthetic.path)
    config = TrainConfig(epochs=2, batch_size=64, linear_recent=False)
    model_dir = tmp_path / "model"
    export_model(train_model(dataset, build_movie_features(dataset), config), model_dir, "synthetic")
    exported_seen = np.load(model_dir / LINEAR_SEEN_FILE)
    (model_dir / LINEAR_SEEN_FILE).unlink()
    (model_dir / USER_TOWER_WEIGHTS).unlink()
    assert ensure_linear_seen(model_dir)
    assert np.load(model_dir / LINEAR_SEEN_FILE) == pytest.approx(exported_seen)


def test_the_engine_serves_the_ranking_the_evaluation_scores(recommender, ready, synthetic) -> None:
    """`movierec-tui evaluate` ranks a profile by `ModelRanker.scores` (every movie not in the profile);
    the app serves Milvus's filtered search on `MovieTable.query`. For the same model and profile the
    two orders must be the same, including dislikes (steered), unknown demographics and the
    mainstream dial."""
    from movierec_tui.data_loader.dataset import Dataset, Ratings, User
    from movierec_tui.evaluation.exported import ExportedModel
    from movierec_tui.evaluation.model_ranker import ModelRanker
    from movierec_tui.evaluation.split import ColdStartCase

    rated = {**{m: 5.0 for m in synthetic.movies_in(1)[:3]}, **{m: 1.5 for m in synthetic.movies_in(2)[:2]}}
    people = {1: User(1, "F", 35, 7, ""), 2: User(2, None, None, None, "")}
    empty = Ratings(*(np.zeros(0, dtype=t) for t in (np.int32, np.int32, np.float32, np.int64)))
    dataset = Dataset(people, {}, empty, fingerprint="x")
    ranker = ModelRanker("served", ExportedModel(ready.model_dir), dataset)
    movie_ids = ranker.trained.features.movie_ids
    for user, novelty in [(u, n) for u in people.values() for n in (0.0, HIDDEN_GEMS_NOVELTY)]:
        profile = Profile(gender=user.gender, age=user.age, occupation=user.occupation, ratings=rated, novelty=novelty)
        served = [r.card.movie_id for r in recommender.recommend(profile, k=10)]
        case = ColdStartCase(user.user_id, np.array(list(rated)), np.array(list(rated.values()), dtype=np.float32),
                             np.zeros(0, np.int64), np.zeros(0, np.float32))  # fmt: skip
        ranker.novelty = novelty
        scores = ranker.scores([case])[0]
        scores[np.isin(movie_ids, list(rated))] = -np.inf
        assert served == movie_ids[np.argsort(-scores, kind="stable")[:10]].tolist()
        _, _, match = recommender.scores(profile)  # what the app shows as "match", for every movie
        match[np.isin(movie_ids, list(rated))] = -np.inf
        assert served == movie_ids[np.argsort(-match, kind="stable")[:10]].tolist()
        shown = [r.score for r in recommender.recommend(profile, k=10)]
        assert shown == pytest.approx(match[np.argsort(-match, kind="stable")[:10]].tolist(), abs=1e-4)
