"""Every layout the loader reads, on small generated files: ML-100K, ML-10M, ml-latest (ML-20M/25M/32M,
ml-latest-small) and own data; and ML-1M written in the ml-latest layout giving the same model inputs."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from synthetic import write_synthetic

from movierec_tui.data_loader.dataset import catalogue_genres, duplicate_titles
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.export import write_latest
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.features import build_movie_features
from movierec_tui.pipeline import dataset_warnings

FLAGS_TOY_STORY = "0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0"  # Animation, Children's, Comedy
U_ITEM = [
    f"1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|{FLAGS_TOY_STORY}",
    "2|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0",
    "3|Chasers (1994)|01-Jan-1994||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
    "4|Chasers (1994)|01-Jan-1994||http://x|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
    "5|unknown|||http://x|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",
    "6|Misérables, Les|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0",
]
U_USER = ["1|24|M|technician|85711", "2|53|F|other|94043", "3|23|M|writer|32067", "4|17|F|student|43537"]
U_DATA = ["1\t1\t5\t874965758", "2\t3\t4\t876893171", "3\t4\t1\t878542960", "4\t5\t3\t876893119", "1\t6\t2\t1"]


def write_lines(folder: Path, files: dict[str, list[str] | str], encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
        (folder / name).write_bytes(text.encode(encoding))
    return folder


def ml100k(folder: Path, **changes: list[str]) -> Path:
    files = {"u.item": U_ITEM, "u.user": U_USER, "u.data": U_DATA} | changes
    return write_lines(folder, files, encoding="latin-1")


LATEST_MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
11,"American President, The (1995)",Comedy|Drama|Romance
26,"""  # completed below: quoted quotes, a series' year span, no year, no genres, IMAX
LATEST_MOVIES += '''"""Great Performances"" Cats (1998)",Musical
27,Fawlty Towers (1975–1979),Comedy
28,Hyena Road,(no genres listed)
29,Interstellar (2014),Sci-Fi|IMAX
'''
LATEST_RATINGS = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,11,3.5,964981247\n2,29,0.5,1445714835\n"
LATEST_LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n11,0112346,9087\n26,0173714,\n"


def latest(folder: Path, movies: str = LATEST_MOVIES, ratings: str = LATEST_RATINGS, links: str = LATEST_LINKS):
    return write_lines(folder, {"movies.csv": movies, "ratings.csv": ratings, "links.csv": links, "tags.csv": "x"})


OWN_MOVIES = """movie_id,title,year,genres
1,Toy Story (1995),1995,Animation|Children's
2,Heat (1995),,Crime
3,Blade Runner,1982,Sci-Fi|Cyberpunk
4,Home movie,,
5,Solaris (1972),2002,Drama
"""
OWN_RATINGS = "user_id,movie_id,rating,timestamp\n7,1,4.5,100\n7,2,3,200\n8,3,5.0,300\n9,4,0.5,400\n"


def own(folder: Path, users: str | None = None, movies: str = OWN_MOVIES, ratings: str = OWN_RATINGS) -> Path:
    files = {"movies.csv": movies, "ratings.csv": ratings}
    if users is not None:
        files["users.csv"] = users
    return write_lines(folder, files)


# -- ML-100K -------------------------------------------------------------------------------------------


def test_ml100k_flags_raw_ages_occupation_names_and_a_movie_without_year(tmp_path) -> None:
    dataset = load_dataset(ml100k(tmp_path / "ml-100k"))
    assert dataset.catalogue.describe() == "MovieLens 100K, 6 movies, 1994-1995"
    assert dataset.movies[1].title == "Toy Story" and dataset.movies[1].year == 1995
    assert dataset.movies[1].genres == ("Animation", "Children's", "Comedy")
    assert dataset.movies[2].genres == ("Action", "Adventure", "Thriller")
    assert dataset.movies[5].title == "unknown" and dataset.movies[5].year is None and dataset.movies[5].genres == ()
    assert dataset.movies[6].title == "Misérables, Les" and dataset.movies[6].year == 1995  # year from the date
    users = dataset.users
    assert (users[1].gender, users[1].age, users[1].occupation) == ("M", 18, 17)  # 24 -> 18-24, technician
    assert (users[2].age, users[2].occupation, users[4].age, users[4].occupation) == (50, 0, 1, 4)
    assert dataset.ratings.ratings.tolist() == [5.0, 4.0, 1.0, 3.0, 2.0]
    assert duplicate_titles(dataset.movies) == [("Chasers", 1994, [3, 4])]
    assert dataset_warnings(dataset) == [
        "2 movies share the title 'Chasers (1994)': ids 3, 4; rate them by id, e.g. --rate \"id:3=5\""
    ]


def test_ml100k_without_u_user_has_unknown_demographics(tmp_path) -> None:
    folder = ml100k(tmp_path / "x")
    (folder / "u.user").unlink()
    dataset = load_dataset(folder)
    assert {(u.gender, u.age, u.occupation) for u in dataset.users.values()} == {(None, None, None)}


@pytest.mark.parametrize(
    ("file", "index", "line", "expected"),
    [
        ("u.data", 1, "2\t3\t4", "u.data:2: expected 4 fields separated by '\\t', got 3: '2\\t3\\t4'"),
        ("u.data", 2, "3\t4\t6\t1", "u.data:3: rating must be 0.5..5 in half stars, got '6'"),
        ("u.data", 2, "9\t4\t3\t1", "u.data:3: user id 9 is not in the users file"),
        ("u.item", 3, "4|Chasers (1994)|||x|0|0|2|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",
         "u.item:4: genre flags must be 0 or 1, got '0|0|2|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0'"),
        ("u.item", 0, "1|Toy Story (1995)|01-Jan-1995", "u.item:1: expected 24 fields separated by '|', got 3: "
         "'1|Toy Story (1995)|01-Jan-1995'"),
        ("u.user", 2, "3|old|M|writer|32067", "u.user:3: age must be a whole number, got 'old'"),
        ("u.user", 2, "3|23|X|writer|32067", "u.user:3: gender must be M or F (or empty), got 'X'"),
        ("u.user", 3, "4|17|F|astronaut|43537", "u.user:4: occupation must be 0..20 or a name such as 'programmer' "
         "(or empty), got 'astronaut'"),
    ],
)  # fmt: skip
def test_ml100k_bad_lines_are_named(tmp_path, file, index, line, expected) -> None:
    lines = list({"u.data": U_DATA, "u.item": U_ITEM, "u.user": U_USER}[file])
    lines[index] = line
    with pytest.raises(DataError) as error:
        load_dataset(ml100k(tmp_path / "x", **{file: lines}))
    assert str(error.value) == expected


# -- ML-10M ----------------------------------------------------------------------------------------------


def test_ml10m_half_stars_no_users_and_the_release_name_from_its_folder(tmp_path) -> None:
    archive = tmp_path / "ml-10m.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ml-10M100K/movies.dat", "1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy\n"
                    "2::Interstellar (2014)::IMAX|Sci-Fi\n3::Nameless::(no genres listed)\n")  # fmt: skip
        zf.writestr("ml-10M100K/ratings.dat", "1::1::5::838985046\n1::2::3.5::838983525\n2::3::0.5::838983392\n")
        zf.writestr("ml-10M100K/tags.dat", "15::4973::excellent!::1215184630\n")
    dataset = load_dataset(archive)
    assert dataset.catalogue.describe() == "MovieLens 10M, 3 movies, 1995-2014"
    assert dataset.ratings.ratings.tolist() == [5.0, 3.5, 0.5] and dataset.ratings.ratings.dtype == np.float32
    assert set(dataset.users) == {1, 2} and dataset.users[1].gender is None
    assert dataset.movies[1].genres == ("Adventure", "Animation", "Children's", "Comedy", "Fantasy")
    assert dataset.movies[3].year is None and dataset.movies[3].genres == ()
    assert catalogue_genres(dataset.movies) == ["Adventure", "Animation", "Children's", "Comedy", "Fantasy",
                                                "Sci-Fi", "IMAX"]  # fmt: skip


# -- ml-latest (ML-20M, 25M, 32M, ml-latest-small) -----------------------------------------------------------


def test_latest_layout_quotes_year_spans_no_genres_imax_children_links(tmp_path) -> None:
    dataset = load_dataset(latest(tmp_path / "ml-latest-small"))
    movies = dataset.movies
    assert dataset.catalogue.describe() == "MovieLens latest-small, 6 movies, 1975-2014"
    assert movies[1].genres == ("Adventure", "Animation", "Children's", "Comedy", "Fantasy")
    assert (movies[11].title, movies[11].year) == ("American President, The", 1995)
    assert (movies[26].title, movies[26].year) == ('"Great Performances" Cats', 1998)
    assert (movies[27].title, movies[27].year) == ("Fawlty Towers", 1975)
    assert (movies[28].title, movies[28].year, movies[28].genres) == ("Hyena Road", None, ())
    assert movies[29].genres == ("Sci-Fi", "IMAX")
    assert dataset.links == {1: "tt0114709", 11: "tt0112346", 26: "tt0173714"}
    assert dataset.ratings.ratings.tolist() == [4.0, 3.5, 0.5]
    assert all(u.gender is None and u.age is None and u.occupation is None for u in dataset.users.values())


def test_the_release_is_named_after_the_zip_it_came_in(tmp_path) -> None:
    folder = latest(tmp_path / "files")
    for name, release in (("ml-32m", "MovieLens 32M"), ("ml-25m", "MovieLens 25M"), ("other", "MovieLens (latest")):
        archive = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for file in folder.iterdir():
                zf.write(file, f"{name}/{file.name}")
        assert load_dataset(archive).catalogue.name.startswith(release)


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("ratings.csv", LATEST_RATINGS + "1,29,4.25,1\n", "ratings.csv:5: rating must be 0.5..5 in half stars"),
        ("ratings.csv", LATEST_RATINGS + "1,30,4,1\n", "ratings.csv:5: movie id 30 is not in the movies file"),
        ("ratings.csv", LATEST_RATINGS + "1,29,4\n", "ratings.csv:5: expected 4 fields, got 3"),
        ("ratings.csv", LATEST_RATINGS + "1,1,4,1\n", "ratings.csv:5: user 1 rated movie 1 twice (first on line 2)"),
        ("ratings.csv", "userId;movieId;rating;timestamp\n", "ratings.csv:1: header must be userId,movieId,rating,"),
        ("movies.csv", LATEST_MOVIES + '30,"Heat (1995),Action\n', "movies.csv:8: malformed CSV: unbalanced quotes"),
        ("movies.csv", LATEST_MOVIES + "29,Heat (1995),Action\n", "movies.csv:8: duplicate movie id 29"),
        ("movies.csv", LATEST_MOVIES + "x,Heat (1995),Action\n", "movies.csv:8: movie id must be a whole number"),
        ("movies.csv", LATEST_MOVIES.encode() + b"30,Caf\xe9 (1990),Drama\n", "movies.csv:8: not valid UTF-8"),
        ("links.csv", LATEST_LINKS + "99,0114709,862\n", "links.csv:5: movie id 99 is not in movies.csv"),
        ("links.csv", LATEST_LINKS + "1,tt0114709,862\n", "links.csv:5: imdbId must be a whole number"),
    ],
)  # fmt: skip
def test_latest_bad_lines_are_named(tmp_path, file, text, expected) -> None:
    folder = latest(tmp_path / "x")
    (folder / file).write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError) as error:
        load_dataset(folder)
    assert str(error.value).startswith(expected), str(error.value)
    assert "\n" not in str(error.value)


# -- own data ----------------------------------------------------------------------------------------------


def test_own_data_without_users_file(tmp_path) -> None:
    dataset = load_dataset(own(tmp_path / "mine"))
    movies = dataset.movies
    assert dataset.catalogue.describe() == "your own data, 5 movies, 1982-2002"
    assert (movies[1].title, movies[1].year) == ("Toy Story", 1995)  # not "Toy Story (1995) (1995)"
    assert (movies[2].title, movies[2].year) == ("Heat", 1995)  # the year from the title
    assert movies[3].genres == ("Sci-Fi", "Cyberpunk")  # a genre of its own is kept
    assert (movies[4].year, movies[4].genres) == (None, ())
    assert (movies[5].title, movies[5].year) == ("Solaris (1972)", 2002)  # another year: part of the title
    assert dataset.ratings.ratings.tolist() == [4.5, 3.0, 5.0, 0.5]
    assert set(dataset.users) == {7, 8, 9} and dataset.users[7].gender is None


def test_own_users_with_names_raw_ages_and_gaps(tmp_path) -> None:
    users = "user_id,gender,age,occupation\n7,female,34,programmer\n8,,,\n9,M,56,12\n"
    dataset = load_dataset(own(tmp_path / "mine", users=users))
    people = dataset.users
    assert (people[7].gender, people[7].age, people[7].occupation) == ("F", 25, 12)
    assert (people[8].gender, people[8].age, people[8].occupation) == (None, None, None)
    assert (people[9].gender, people[9].age, people[9].occupation) == ("M", 56, 12)
    # Users missing from users.csv are fine: their demographics are unknown.
    only_some = load_dataset(own(tmp_path / "some", users="user_id,age\n7,19\n"))
    assert only_some.users[7].age == 18 and only_some.users[8].age is None


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("users.csv", "user_id,gender,age,occupation\n7,F,130,1\n", "users.csv:2: age must be 0..120 (or empty)"),
        ("users.csv", "user_id,gender,age,occupation\n7,F,30,21\n", "users.csv:2: occupation must be 0..20 or a name"),
        ("users.csv", "user_id,gender,age,occupation\n7,F,30,1\n7,F,30,1\n", "users.csv:3: duplicate user id 7"),
        ("users.csv", "id,gender\n", "users.csv:1: header must be user_id,gender,age,occupation,zip"),
        ("movies.csv", OWN_MOVIES + "6,Heat,95x,Action\n", "movies.csv:7: year must be a whole number, got '95x'"),
        ("movies.csv", OWN_MOVIES + "6,Heat,1066,Action\n", "movies.csv:7: year must be 1870..2100, got 1066"),
        ("movies.csv", OWN_MOVIES + "6,Heat,1995,Action|\n", "movies.csv:7: genres must be like 'Comedy|Drama'"),
        ("movies.csv", OWN_MOVIES + '6,"Heat,1995,Action\n', "movies.csv:7: malformed CSV: unbalanced quotes"),
        ("ratings.csv", OWN_RATINGS + ' 7,"3",6,400\n', "ratings.csv:6: rating must be 0.5..5 in half stars, got '6'"),
        ("ratings.csv", OWN_RATINGS + "7,3,4,-1\n", "ratings.csv:6: timestamp must be a whole number, got '-1'"),
        ("ratings.csv", "user_id,movie_id,rating,timestamp\n", "ratings.csv: no ratings"),
        ("ratings.csv", OWN_RATINGS.encode() + b"7,3,\xff,1\n", "ratings.csv:6: rating must be 0.5..5 in half stars"),
    ],
)  # fmt: skip
def test_own_data_bad_lines_are_named(tmp_path, file, text, expected) -> None:
    folder = own(tmp_path / "mine", users="user_id,gender\n7,F\n")
    (folder / file).write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError) as error:
        load_dataset(folder)
    assert str(error.value).startswith(expected), str(error.value)


def test_own_data_with_quotes_spaces_bom_and_crlf_reads_the_same(tmp_path) -> None:
    plain = load_dataset(own(tmp_path / "plain"))
    odd_ratings = (
        '\ufeffuser_id, movie_id,rating,timestamp\r\n7,1,4.5,100\r\n"7",2, 3,200\r\n\r\n8,3,5.0,300\r\n9,4,.5,400'
    )
    odd = load_dataset(own(tmp_path / "odd", ratings=odd_ratings))
    assert odd.fingerprint == plain.fingerprint


# -- the same data in two layouts ----------------------------------------------------------------------------


def test_ml1m_written_in_the_latest_layout_gives_the_same_model_inputs(tmp_path) -> None:
    """ML-1M's layout and ml-latest's differ in separators, title form, "Children", rating text and
    demographics; what the model is fed (movie features, the ratings) must not."""
    dat = load_dataset(write_synthetic(tmp_path / "ml-1m", n_users=60).path)
    csv = load_dataset(write_latest(tmp_path / "ml-latest", dat.movies, dat.ratings))
    assert csv.movies == dat.movies
    for name in ("user_ids", "movie_ids", "ratings", "timestamps"):
        assert np.array_equal(getattr(csv.ratings, name), getattr(dat.ratings, name))
        assert getattr(csv.ratings, name).dtype == getattr(dat.ratings, name).dtype
    a, b = build_movie_features(dat), build_movie_features(csv)
    for name in ("movie_ids", "genre_multi_hot", "title_token_ids", "year_buckets"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert a.vocabulary == b.vocabulary
    assert set(csv.users) == set(dat.users)  # the same people, without demographics in this layout
    assert all(u.gender is None for u in csv.users.values()) and all(u.gender for u in dat.users.values())
