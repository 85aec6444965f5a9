"""Redis cards and Milvus search, against the real servers."""

from __future__ import annotations

import numpy as np
import pytest

from movierec_tui.data_loader.dataset import Dataset, Movie, Ratings, User
from movierec_tui.stores.cards import CardStore, MovieCard, build_cards
from movierec_tui.stores.milvus_store import MilvusStore, SearchFilter


def tiny_dataset() -> Dataset:
    movies = {
        1: Movie(1, "Alien", 1979, ("Horror", "Sci-Fi")),
        2: Movie(2, "Toy Story", 1995, ("Animation", "Comedy")),
        5: Movie(5, "Heat", 1995, ("Action", "Crime")),
    }
    users = {1: User(1, "F", 25, 12, "0"), 2: User(2, "M", 35, 0, "0")}
    ratings = Ratings(
        np.array([1, 1, 2, 2, 2], dtype=np.int32),
        np.array([1, 2, 1, 2, 5], dtype=np.int32),
        np.array([5, 3, 4, 3, 1], dtype=np.int8),
        np.arange(5, dtype=np.int64),
    )
    return Dataset(users, movies, ratings)


def test_cards_carry_mean_count_and_histogram() -> None:
    cards = {c.movie_id: c for c in build_cards(tiny_dataset())}
    assert cards[1].histogram == (0, 0, 0, 1, 1)
    assert cards[1].mean_rating == pytest.approx(4.5)
    assert cards[2].rating_count == 2 and cards[2].mean_rating == pytest.approx(3.0)
    assert cards[5].histogram == (1, 0, 0, 0, 0)


def test_cards_round_trip_in_one_pipeline_and_stale_cards_go(redis_server) -> None:
    store = CardStore(redis_server.client)
    stale = MovieCard(99999, "Gone", 1990, ("Drama",), 3.0, 1, (0, 0, 1, 0, 0))
    store.write_cards([stale])
    cards = build_cards(tiny_dataset())
    store.write_cards(cards)
    back = store.get_cards([5, 1, 424242])
    assert set(back) == {1, 5}, "unknown ids are left out, stale ones removed"
    assert back[1] == next(c for c in cards if c.movie_id == 1)
    assert store.get_cards([99999]) == {}
    assert store.get_cards([]) == {}


def test_meta_and_profiles(redis_server) -> None:
    store = CardStore(redis_server.client)
    store.set_meta(test_marker="x")
    assert store.meta()["test_marker"] == "x"
    store.save_profile("alice", '{"age": 25}')
    assert store.load_profile("alice") == '{"age": 25}'
    assert "alice" in store.profile_names()
    assert store.load_profile("nobody") is None


def test_filter_expressions() -> None:
    assert SearchFilter().expression() == ""
    expression = SearchFilter(
        exclude_ids=(3, 1), genres_any=("Comedy", "Drama"), genres_none=("Horror",), year_min=1980, year_max=1989
    ).expression()
    assert expression == (
        '(genres like "%|Comedy|%" or genres like "%|Drama|%") and not (genres like "%|Horror|%") '
        "and year >= 1980 and year <= 1989 and id not in [3, 1]"
    )
    with pytest.raises(ValueError, match="unknown genre"):
        SearchFilter(genres_none=('Horror" or id > 0 or "',)).expression()


@pytest.fixture(scope="module")
def milvus(tmp_path_factory):
    store = MilvusStore(str(tmp_path_factory.mktemp("milvus") / "test.db"))
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(60, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 160, dtype=np.int64)
    genres = [("Horror",) if i % 3 == 0 else ("Comedy", "Romance") if i % 3 == 1 else ("Drama",) for i in range(60)]
    years = [1950 + i for i in range(60)]
    store.write_collection("t1", ids, vectors, genres, years, popularity=list(range(60)), index_type="FLAT")
    yield store, ids, vectors, genres, years
    store.close()


def test_search_ranks_by_cosine_like_brute_force(milvus) -> None:
    store, ids, vectors, _, _ = milvus
    query = vectors[7] + 0.1 * vectors[8]
    query /= np.linalg.norm(query)
    hits = store.search(query, 5)
    expected = ids[np.argsort(-(vectors @ query))[:5]]
    assert [h[0] for h in hits] == expected.tolist()
    assert hits[0][1] == pytest.approx(float(vectors[7] @ query), abs=1e-4)


def test_search_filters_are_applied_by_milvus(milvus) -> None:
    store, _, vectors, genres, _ = milvus
    query = vectors[0]
    no_horror = store.search(query, 60, SearchFilter(genres_none=("Horror",)))
    assert no_horror and all("Horror" not in genres[i - 100] for i, _ in no_horror)
    assert len(no_horror) == 40
    comedies_70s = store.search(query, 60, SearchFilter(genres_any=("Comedy",), year_min=1970, year_max=1979))
    assert {i for i, _ in comedies_70s} == {100 + i for i in range(20, 30) if i % 3 == 1}
    excluded = store.search(query, 3, SearchFilter(exclude_ids=(100,)))
    assert 100 not in [i for i, _ in excluded]


def test_reindex_swaps_the_alias_and_drops_the_old_collection(milvus) -> None:
    store, ids, vectors, genres, years = milvus
    first = store.active_collection()
    flipped = -vectors
    second = store.write_collection("t2", ids, flipped, genres, years, popularity=[0] * 60, index_type="HNSW")
    assert store.active_collection() == second != first
    assert first not in store.client.list_collections()
    assert store.search(flipped[3], 1)[0][0] == 103
    assert store.count() == 60


def test_unreachable_milvus_server_is_one_clear_line() -> None:
    from movierec_tui.stores.milvus_store import MilvusUnavailable

    with pytest.raises(MilvusUnavailable) as error:
        MilvusStore("http://127.0.0.1:9")
    message = str(error.value)
    assert message.startswith("Milvus at http://127.0.0.1:9 is not reachable (") and "\n" not in message
    assert "MOVIEREC_MILVUS_URI" in message


def test_a_milvus_lite_dir_locked_by_another_process_names_the_cause(tmp_path) -> None:
    import subprocess
    import sys

    from movierec_tui.stores.milvus_store import MilvusUnavailable

    path = tmp_path / "locked.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"from pymilvus import MilvusClient; import sys, time; MilvusClient({str(path)!r}); "
         "print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(MilvusUnavailable, match="in use by another movierec-tui process") as error:
            MilvusStore(str(path))
        assert "movierec-tui serve" in str(error.value) and "MOVIEREC_MILVUS_URI" in str(error.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_search_follows_the_alias_after_another_client_reindexes(tmp_path) -> None:
    path = str(tmp_path / "shared.db")
    reader, writer = MilvusStore(path), MilvusStore(path)
    ids = np.arange(1, 9, dtype=np.int64)
    vectors = np.eye(8, 16, dtype=np.float32)
    genres, years = [("Drama",)] * 8, [1990] * 8
    writer.write_collection("a", ids, vectors, genres, years, popularity=[0] * 8, index_type="FLAT")
    assert reader.search(vectors[2], 1)[0][0] == 3
    writer.write_collection("b", ids, np.roll(vectors, 1, axis=0), genres, years, popularity=[0] * 8, index_type="FLAT")
    assert reader.search(vectors[2], 1)[0][0] == 4  # rolled by one row: the new collection answers
    reader.close()
    writer.close()


def test_an_unreadable_profile_is_moved_aside_only_if_unchanged(redis_server) -> None:
    store = CardStore(redis_server.client)
    store.save_profile("eve", "{bad")
    assert store.quarantine_profile("eve", "{something else") is None  # rewritten meanwhile: left alone
    assert store.load_profile("eve") == "{bad"
    kept = store.quarantine_profile("eve", "{bad")
    assert kept is not None and kept.startswith("corrupt:profile:eve:")
    assert store.client.get(kept) == "{bad" and store.load_profile("eve") is None
    assert "eve" not in store.profile_names() and not any("eve" in n for n in store.profile_names())
    store.client.delete(kept)


def test_profile_namespaces_keep_sessions_apart_and_can_expire(redis_server) -> None:
    """What `serve` relies on: each session (or SSH key) sees only its own saved profiles."""
    mine, theirs, local = (CardStore(redis_server.client, "ssh-a*[b]"), CardStore(redis_server.client, "anon-1", 60),
                           CardStore(redis_server.client))  # fmt: skip
    mine.save_profile("alice", '{"age": 25}')
    theirs.save_profile("alice", '{"age": 35}')
    assert mine.load_profile("alice") == '{"age": 25}' and theirs.load_profile("alice") == '{"age": 35}'
    assert mine.profile_names() == ["alice"] and theirs.profile_names() == ["alice"]  # glob characters are literal
    assert "ssh-a*[b]:alice" not in local.profile_names() and local.load_profile("alice") != '{"age": 35}'
    ttl = redis_server.client.ttl
    assert ttl("profile@anon-1:alice") > 0 and ttl("profile@ssh-a*[b]:alice") == -1  # -1: kept until deleted
    theirs.save_profile("bad", "{oops")
    kept = theirs.quarantine_profile("bad", "{oops")
    assert kept is not None and kept.startswith("corrupt:profile@anon-1:bad:") and theirs.load_profile("bad") is None
    redis_server.client.delete(kept, "profile@anon-1:alice", "profile@ssh-a*[b]:alice")
