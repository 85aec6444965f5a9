"""Many profiles at once (`Recommender.recommend_many`, `recommend --batch`): the answers are exactly
those of `recommend` one profile at a time, though profiles that share a filter share one Milvus
request of many query vectors, without their own exclusions. Real stores on the synthetic dataset,
on Milvus Lite and (given MOVIEREC_TEST_MILVUS_URI) on a Milvus server."""

from __future__ import annotations

import json

import numpy as np
import pytest
from milvus_backends import BACKENDS

from movierec_tui import batch, batch_search
from movierec_tui.batch import result_object, run_batch
from movierec_tui.engine import Recommender, search_filter_for
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import open_backends
from movierec_tui.stores.milvus_store import SearchFilter

GENRES = ("Action", "Sci-Fi", "Comedy", "Romance", "Horror", "Thriller", "Drama", "Western")


@pytest.fixture(params=BACKENDS)
def recommender(request):
    settings = request.getfixturevalue("ready" if request.param == "lite" else "ready_on_server")
    with open_backends(settings) as backends:
        recommender = Recommender(settings, backends)
        recommender.catalogue_cards()  # as a batch has them (its titles): the filters are judged on them
        yield recommender


def random_profiles(synthetic, n: int, seed: int = 0) -> list[Profile]:
    """Empty profiles, demographics, 1-12 ratings in half stars, dismissed and listed movies, genre
    filters (some that few movies pass), year ranges (some narrow, some without a movie); several
    profiles share each filter."""
    rng = np.random.default_rng(seed)
    movies = sorted(synthetic.movie_cluster)
    filters = [{}, {}, {"genres_out": ["Horror"]}, {"genres_in": ["Western"]}, {"genres_in": ["Comedy", "Horror"]},
               {"year_min": 1960, "year_max": 1964}, {"year_min": 1990}, {"year_max": 1956},
               {"genres_in": ["Sci-Fi"], "genres_out": ["Action"], "year_min": 1980}, {"year_min": 2010}]  # fmt: skip
    profiles = []
    for i in range(n):
        picked = [int(m) for m in rng.choice(movies, size=int(rng.integers(0, 25)), replace=False)]
        ratings = {m: float(rng.integers(1, 11)) / 2 for m in picked[:12]} if i % 7 else {}
        listed = picked[12:]
        profile = Profile(ratings=ratings, dismissed=listed[:4], watchlist=listed[4:8], seen=listed[8:])
        if rng.random() < 0.6:
            profile.gender, profile.age, profile.occupation = "F", 25, int(rng.integers(21))
        for name, value in filters[int(rng.integers(len(filters)))].items():
            setattr(profile, name, value)
        profiles.append(profile)
    return profiles


def hiding_their_best(recommender: Recommender, profiles: list[Profile], k: int) -> list[Profile]:
    """Each profile again with its own best movies on its lists: what it must be shown instead lies
    beyond the first k of its filter, so a shared search has to reach past them."""
    hiding = []
    for profile in profiles:
        best = [r.card.movie_id for r in recommender.recommend(profile, k)]
        hiding.append(Profile(**{**vars(profile), "dismissed": best[:2], "watchlist": best[2:5], "seen": best[5:]}))
    return hiding


@pytest.mark.parametrize("k", [10, 50])
def test_many_profiles_get_exactly_what_each_gets_alone(recommender, synthetic, k) -> None:
    profiles = random_profiles(synthetic, 40)
    profiles += hiding_their_best(recommender, profiles[:12], k)
    together = recommender.recommend_many(profiles, k)
    assert [results for results, _ in together] == [recommender.recommend(p, k) for p in profiles]
    assert any(len(results) < k for results, _ in together)  # k larger than what passes, for some
    assert any(not results for results, _ in together)  # and a filter nothing passes
    assert all(timings.total >= timings.search > 0 for results, timings in together if results)


def test_a_page_longer_than_one_search_may_ask_for_keeps_its_exclusions_in_the_search(
    recommender, synthetic, monkeypatch
) -> None:
    profiles = random_profiles(synthetic, 20, seed=1)
    profiles += hiding_their_best(recommender, profiles[:6], 10)
    monkeypatch.setattr(batch_search, "MAX_SEARCH_LIMIT", 11)  # any profile with two movies left out that pass
    together = recommender.recommend_many(profiles, 10)
    assert [results for results, _ in together] == [recommender.recommend(p, 10) for p in profiles]
    assert recommender.recommend_many([], 10) == []


def test_a_shared_search_that_came_back_short_is_made_again_alone(recommender, synthetic, monkeypatch) -> None:
    """The estimate of how far past k a shared request must reach only saves work: asking for k
    alone, the profiles whose best movies are left out are searched again, and still get their own."""
    monkeypatch.setattr(batch_search, "_extra", lambda *args: 0)
    profiles = hiding_their_best(recommender, random_profiles(synthetic, 12, seed=4), 10)
    together = recommender.recommend_many(profiles, 10)
    assert [results for results, _ in together] == [recommender.recommend(p, 10) for p in profiles]


def test_search_many_answers_each_vector_as_search_does(recommender, synthetic) -> None:
    milvus = recommender.backends.milvus
    profiles = random_profiles(synthetic, 6, seed=2)
    queries = []
    for profile in profiles:
        user = recommender.encoder.encode_profile(profile.gender, profile.age, profile.occupation, profile.ratings)
        queries.append(recommender.movies.query(user.vector, user.linear))
    for search_filter in (None, SearchFilter(genres_none=("Horror",), year_min=1970), search_filter_for(profiles[1])):
        many = milvus.search_many(queries, 12, search_filter)
        alone = [milvus.search(query, 12, search_filter) for query in queries]
        assert [[m for m, _ in hits] for hits in many] == [[m for m, _ in hits] for hits in alone]
        assert np.allclose([s for hits in many for _, s in hits], [s for hits in alone for _, s in hits], atol=1e-5)
    assert milvus.search_many(queries, 5, SearchFilter(genres_any=("Film-Noir",))) == [[]] * len(queries)
    assert milvus.search_many([], 5) == []


def test_a_batch_answers_in_chunks_in_line_order_as_recommend_json_does(recommender, synthetic, monkeypatch) -> None:
    """Chunks of 4 lines, bad lines and blank ones among them: every line is answered in its order,
    each result as `recommend --json` prints it (apart from the timings), each error as FILE:LINE."""
    monkeypatch.setattr(batch, "CHUNK", 4)
    profiles = random_profiles(synthetic, 9, seed=3)
    lines = [json.dumps(json.loads(p.to_json())) for p in profiles]
    lines[2:2] = ['{"ratings": {"Prairie Dogs": 5}}', ""]
    lines.insert(7, "[1]")
    out, warnings = [], []
    raw = [line.encode() + b"\n" for line in lines]
    outcome = run_batch(recommender, raw, "p.jsonl", 5, out.append, warnings.append)
    assert outcome.written == 9 and outcome.failed == [3, 8]
    written = [json.loads(line) for line in out]
    assert [line["line"] for line in written] == [n for n, text in enumerate(lines, start=1) if text]
    assert warnings == [written[2]["error"], written[6]["error"]]
    assert warnings[0].startswith("p.jsonl:3: ratings: no movie matches 'Prairie Dogs'")
    assert warnings[1].startswith("p.jsonl:8: expected a JSON object")
    answers = [line for line in written if "results" in line]
    for answer, profile in zip(answers, profiles, strict=True):
        expected = result_object(recommender, profile, recommender.recommend(profile, 5))
        assert {**answer, "timings_ms": None} == {**expected, "line": answer["line"], "timings_ms": None}


def test_a_script_waiting_for_an_answer_gets_it_before_its_next_line_is_read(recommender) -> None:
    """Input that is not waiting to be read (a script that writes a profile, then waits): each line is
    answered before the next is asked for."""
    out: list[str] = []
    seen_before: list[int] = []

    def lines():
        for number in range(3):
            seen_before.append(len(out))
            yield json.dumps({"age": 20 + number}).encode()

    run_batch(recommender, lines(), "stdin", 3, out.append, print, more_waiting=lambda: False)
    assert seen_before == [0, 1, 2] and len(out) == 3
