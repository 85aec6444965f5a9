"""The mainstream dial (issue 17.4) in the served ranking: real Milvus Lite, Redis and the tiny
model trained on the synthetic data, whose planted Zipf popularity inside each cluster gives the
dial something to trade."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from movierec_tui.engine import Recommender
from movierec_tui.model.dial import popularity_weight
from movierec_tui.profile import Profile
from movierec_tui.stores.backends import open_backends

SETTINGS = (0.0, 0.25, 0.5, 0.75, 1.0)


@pytest.fixture()
def recommender(ready):
    with open_backends(ready) as backends:
        yield Recommender(ready, backends)


def taste_profiles(synthetic) -> list[Profile]:
    """One profile per cluster, rating a few of its middling movies (not its most seen ones)."""
    return [Profile(ratings={m: 5.0 for m in synthetic.movies_in(c)[10:13]}) for c in range(4)]


def test_novelty_zero_is_todays_ranking_exactly(recommender, synthetic) -> None:
    """Today's score, written out: cosine / temperature + popularity logit + the linear part; the
    search at novelty 0 serves its top 10, with the same query bit for bit."""
    table = recommender.movies
    for profile in taste_profiles(synthetic):
        user = recommender.encoder.encode_profile(None, None, None, profile.ratings)
        assert np.array_equal(table.query(user.vector, user.linear, 0.0), table.query(user.vector, user.linear))
        today = table.vectors @ user.vector / table.temperature + table.popularity
        if table.linear is not None:
            today = today + table.linear @ user.linear
        today[table.index_of(np.array(list(profile.ratings)))] = -np.inf
        served = [r.card.movie_id for r in recommender.recommend(profile, k=10)]
        assert served == table.movie_ids[np.argsort(-today, kind="stable")[:10]].tolist()


def test_the_dial_is_inside_the_search(recommender, synthetic) -> None:
    """At every setting Milvus returns the top k of the dialled score over all movies (a full page,
    ordered as `scores` at that setting), not a filtered version of today's list."""
    table = recommender.movies
    profile = taste_profiles(synthetic)[1]
    user = recommender.encoder.encode_profile(None, None, None, profile.ratings)
    for novelty in SETTINGS[1:]:
        scores = table.scores(user.vector, user.linear, novelty)
        scores[table.index_of(np.array(list(profile.ratings)))] = -np.inf
        served = [r.card.movie_id for r in recommender.recommend(replace(profile, novelty=novelty), k=30)]
        assert served == table.movie_ids[np.argsort(-scores, kind="stable")[:30]].tolist()
        _, _, match = recommender.scores(replace(profile, novelty=novelty))  # what score_of and "why" rank by
        assert np.array_equal(np.argsort(-match[np.isfinite(scores)], kind="stable"),
                              np.argsort(-scores[np.isfinite(scores)], kind="stable"))  # fmt: skip


def test_higher_novelty_lowers_the_popularity_of_the_top_10(recommender, synthetic) -> None:
    counts = {m: c.rating_count for m, c in recommender.catalogue_cards().items()}
    means = []
    for novelty in SETTINGS:
        tops = [recommender.recommend(replace(p, novelty=novelty), k=10) for p in taste_profiles(synthetic)]
        means.append(float(np.mean([counts[r.card.movie_id] for top in tops for r in top])))
    assert all(later <= earlier for earlier, later in pairwise(means)), means
    assert means[-1] < 0.8 * means[0], means


def test_the_popularity_weight_runs_from_the_models_own_to_negative() -> None:
    logits = np.array([-0.05, 0.0, 0.1])
    assert popularity_weight(0.0, logits, 0.07) == 1.0
    weights = [popularity_weight(v, logits, 0.07) for v in SETTINGS]
    assert all(b < a for a, b in pairwise(weights)) and weights[-1] < 0
    assert popularity_weight(1.0, np.zeros(3), 0.07) == 1.0  # a model without popularity: nothing to trade


# -- the chat, the CLI, saving ---------------------------------------------------------------------


def test_the_chat_words_move_the_dial_and_say_where_it_is_and_how_back() -> None:
    from movierec_tui.chat import Mainstream, Unknown, apply_intent, parse, unchanged_message
    from movierec_tui.titles import TitleEntry, TitleIndex

    titles = TitleIndex([TitleEntry(1, "Hidden, The", 1987, 300), TitleEntry(2, "Popular", 1999, 20)])
    (less,) = parse("less mainstream", titles)
    assert less == Mainstream(step=0.25)
    edit = apply_intent(Profile(), less)
    assert edit is not None and edit.changed and edit.profile.novelty == 0.25
    assert "0.25 of 1" in edit.echo and "back to normal" in edit.echo and "undo" in edit.echo
    assert parse("hidden gems", titles) == [Mainstream(novelty=0.8)]  # never "The Hidden"
    assert parse("more popular", titles) == [Mainstream(step=-0.25)]  # never the movie "Popular"
    gems = apply_intent(Profile(), Mainstream(novelty=0.8)).profile
    assert apply_intent(gems, Mainstream(step=0.25)).profile.novelty == 1.0  # kept within 0..1
    assert apply_intent(gems, Mainstream(step=-0.25)).profile.novelty == 0.55
    normal = apply_intent(gems, parse("back to normal", titles)[0])
    assert normal.profile.novelty == 0.0 and "taste alone" in normal.echo
    already = apply_intent(Profile(), Mainstream(novelty=0.0))
    assert not already.changed and "taste alone" in unchanged_message(Mainstream(novelty=0.0), already)
    (wrong,) = parse("novelty 2", titles)
    assert isinstance(wrong, Unknown) and "0 (by taste alone) to 1" in wrong.message


def test_the_setting_is_saved_with_the_profile(recommender) -> None:
    profile = Profile(ratings={1: 4.5}, novelty=0.75)
    assert Profile.from_json(profile.to_json()).novelty == 0.75
    assert Profile.from_json('{"ratings": {}}').novelty == 0.0  # saved before the dial: today's ranking
    recommender.profiles.save("dial-test", profile)
    try:
        assert recommender.profiles.load("dial-test").novelty == 0.75
    finally:
        recommender.profiles.delete("dial-test")


@pytest.mark.parametrize("value", ["2", "-0.1", "nan", "lots"])
def test_recommend_novelty_must_be_0_to_1(isolated_env, value) -> None:
    from typer.testing import CliRunner

    from movierec_tui.cli import app

    result = CliRunner().invoke(app, ["recommend", "--novelty", value])
    assert result.exit_code == 2, result.output
    assert "--novelty" in result.output and "0..1" in result.output
    assert "Traceback" not in result.output


def test_recommend_novelty_is_served_and_printed(isolated_env, synthetic) -> None:
    import json

    from typer.testing import CliRunner

    from movierec_tui.cli import app

    rated = [f"{m}" for m in synthetic.movies_in(0)[10:13]]
    runs = {}
    for novelty in ("0", "1"):
        args = ["recommend", "--json", "-k", "10", "--novelty", novelty]
        for movie_id in rated:
            args += ["--rate", f"{synthetic.titles[int(movie_id)]}=5"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        runs[novelty] = json.loads(result.output)
    assert runs["0"]["profile"]["novelty"] == 0.0 and runs["1"]["profile"]["novelty"] == 1.0
    counts = {n: np.mean([r["rating_count"] for r in data["results"]]) for n, data in runs.items()}
    assert counts["1"] < counts["0"], counts


def test_the_app_turns_the_dial_from_the_palette_and_the_chat_shows_it_and_undoes_it(recommender) -> None:
    import asyncio

    from test_app import SIZE, bot_messages, say, settle

    from movierec_tui.app import MovieRecApp

    async def scenario() -> None:
        app = MovieRecApp(recommender, cursor_blink=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await say(pilot, "back")
            commands = {c.title: c for c in app.get_system_commands(app.screen)}
            commands["Mainstream dial: hidden gems"].callback()
            await settle(pilot)
            assert app.profile.novelty == 0.8
            assert "0.8 of 1" in bot_messages(app)[-1] and "back to normal" in bot_messages(app)[-1]
            assert "less mainstream (0.8 of 1)" in str(app.query_one("#profile-filters").render())
            await say(pilot, "more popular")
            assert app.profile.novelty == 0.55 and "More popular" in bot_messages(app)[-1]
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert app.profile.novelty == 0.8
            assert bot_messages(app)[-1] == "↶ Undone: the mainstream dial."
            await pilot.press("ctrl+z")
            await settle(pilot)
            assert app.profile.novelty == 0.0

    asyncio.run(scenario())
