"""Parsing and validating datasets: the .dat layout (zip and folder) and the CSV layout."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.parse import load_dataset

MOVIES = [
    "1::Toy Story (1995)::Animation|Children's|Comedy",
    "2::City of Lost Children, The (1995)::Adventure|Sci-Fi",
    "3::Seven (Se7en) (1995)::Crime|Thriller",
    "4::Associate, The (L'Associe)(1982)::Comedy",
    "5::Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)::Drama",
]
USERS = ["1::F::1::10::48067", "2::M::56::16::70072", "3::M::25::15::55117"]
RATINGS = ["1::1::5::978300760", "1::3::3::978302109", "2::2::4::978298413", "3::5::1::978300275", "3::4::2::978300100"]


def write_dat(folder: Path, movies=MOVIES, users=USERS, ratings=RATINGS, encoding="latin-1") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (("movies.dat", movies), ("users.dat", users), ("ratings.dat", ratings)):
        (folder / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return folder


def test_dat_folder_parses_titles_years_and_arrays(tmp_path) -> None:
    dataset = load_dataset(write_dat(tmp_path / "ml"))
    assert len(dataset.users) == 3 and len(dataset.movies) == 5 and len(dataset.ratings) == 5
    assert dataset.movies[2].title == "City of Lost Children, The" and dataset.movies[2].year == 1995
    assert dataset.movies[3].title == "Seven (Se7en)"
    assert dataset.movies[4].title == "Associate, The (L'Associe)" and dataset.movies[4].year == 1982
    assert dataset.movies[5].title == "Shanghai Triad (Yao a yao yao dao waipo qiao)"
    assert dataset.movies[1].genres == ("Animation", "Children's", "Comedy")
    assert dataset.users[2].age == 56 and dataset.users[2].occupation == 16
    r = dataset.ratings
    assert (r.user_ids.dtype, r.movie_ids.dtype, r.ratings.dtype, r.timestamps.dtype) == (
        np.int32, np.int32, np.int8, np.int64,
    )
    assert r.ratings.tolist() == [5, 3, 4, 1, 2]


def test_zip_and_nested_folder_and_line_order_give_the_same_fingerprint(tmp_path) -> None:
    folder = write_dat(tmp_path / "a" / "ml-1m")
    archive = tmp_path / "ml-1m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("movies.dat", "users.dat", "ratings.dat"):
            zf.write(folder / name, f"ml-1m/{name}")
    shuffled = write_dat(tmp_path / "b", ratings=list(reversed(RATINGS)))
    fingerprints = {load_dataset(p).fingerprint for p in (folder, tmp_path / "a", archive, shuffled)}
    assert len(fingerprints) == 1


def test_csv_layout(tmp_path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "movies.csv").write_text(
        'movie_id,title,year,genres\n1,"Matrix, The",1999,Action|Sci-Fi\n2,Amélie,2001,Comedy|Romance\n', "utf-8"
    )
    (folder / "users.csv").write_text("user_id,gender,age,occupation,zip\n7,F,25,12,10001\n", "utf-8")
    (folder / "ratings.csv").write_text("user_id,movie_id,rating,timestamp\n7,1,5,100\n7,2,4,200\n", "utf-8")
    dataset = load_dataset(folder)
    assert dataset.movies[1].title == "Matrix, The" and dataset.movies[2].title == "Amélie"
    assert dataset.ratings.ratings.tolist() == [5, 4]


@pytest.mark.parametrize(
    ("file", "index", "line", "expected"),
    [
        ("ratings", 2, "1::2::7::978300760", "ratings.dat:3: rating must be 1..5, got '7'"),
        ("ratings", 0, "1::2::0::978300760", "ratings.dat:1: rating must be 1..5, got '0'"),
        ("ratings", 1, "1::2::4", "ratings.dat:2: expected 4 fields separated by '::', got 3: '1::2::4'"),
        ("ratings", 1, "1\t2\t4\t9", "ratings.dat:2: expected 4 fields separated by '::', got 1: '1\\t2\\t4\\t9'"),
        ("ratings", 4, "x::2::4::978300760", "ratings.dat:5: user id must be a whole number, got 'x'"),
        ("ratings", 3, "9::2::4::978300760", "ratings.dat:4: user id 9 is not in the users file"),
        ("ratings", 3, "1::99::4::978300760", "ratings.dat:4: movie id 99 is not in the movies file"),
        ("ratings", 0, "1::2::4::soon", "ratings.dat:1: timestamp must be a whole number, got 'soon'"),
        ("users", 2, "3::M::30::15::55117", "users.dat:3: age must be one of 1, 18, 25, 35, 45, 50, 56, got '30'"),
        ("users", 0, "1::X::1::10::48067", "users.dat:1: gender must be M or F, got 'X'"),
        ("users", 1, "2::M::56::21::70072", "users.dat:2: occupation must be 0..20, got '21'"),
        ("users", 1, "1::M::56::2::70072", "users.dat:2: duplicate user id 1"),
        ("movies", 1, "2::Heat::Action", "movies.dat:2: title must end with the year, e.g. 'Heat (1995)', got 'Heat'"),
        ("movies", 2, "3::Seven (1995)::Sci Fi", "movies.dat:3: unknown genre 'Sci Fi'"),
        ("movies", 3, "1::Heat (1995)::Action", "movies.dat:4: duplicate movie id 1"),
    ],
)
def test_first_bad_line_is_named(tmp_path, file, index, line, expected) -> None:
    data = {"movies": list(MOVIES), "users": list(USERS), "ratings": list(RATINGS)}
    data[file][index] = line
    with pytest.raises(DataError) as error:
        load_dataset(write_dat(tmp_path / "ml", **data))
    assert str(error.value) == expected


def test_missing_empty_and_non_zip(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml")
    (folder / "users.dat").unlink()
    with pytest.raises(DataError, match=r"^users\.dat: missing in "):
        load_dataset(folder)
    empty = write_dat(tmp_path / "empty", ratings=[""])
    with pytest.raises(DataError, match=r"^ratings\.dat: the file is empty$"):
        load_dataset(empty)
    fake = tmp_path / "ml-1m.zip"
    fake.write_text("not a zip")
    with pytest.raises(DataError, match="not a zip archive"):
        load_dataset(fake)


def test_csv_errors_name_line_and_encoding(tmp_path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "movies.csv").write_text("movie_id,title,year,genres\n1,Heat,1995,Action\n", "utf-8")
    (folder / "users.csv").write_text("id,gender\n", "utf-8")
    (folder / "ratings.csv").write_bytes(b"user_id,movie_id,rating,timestamp\n7,1,5,100\n7,1,\xff,1\n")
    with pytest.raises(DataError, match=r"^users\.csv:1: header must be user_id,gender,age,occupation,zip"):
        load_dataset(folder)
    (folder / "users.csv").write_text("user_id,gender,age,occupation,zip\n7,F,25,12,10001\n", "utf-8")
    with pytest.raises(DataError, match=r"^ratings\.csv:3: not valid UTF-8"):
        load_dataset(folder)


@settings(
    derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_arbitrary_ratings_lines_never_crash(tmp_path, lines) -> None:
    folder = write_dat(tmp_path / "fuzz", ratings=lines, encoding="utf-8")
    try:
        load_dataset(folder)
    except DataError as error:
        assert "\n" not in str(error)
