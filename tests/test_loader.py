"""Parsing and validating ML-1M's .dat layout (zip and folder): the bulk and strict paths, and what
arbitrary or damaged input does. The other layouts are in test_formats.py."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movierec_tui.data_loader import ratings as ratings_module
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.parse import load_dataset

MOVIES = [
    "1::Toy Story (1995)::Animation|Children's|Comedy",
    "2::City of Lost Children, The (1995)::Adventure|Sci-Fi",
    "3::Seven (Se7en) (1995)::Crime|Thriller",
    "4::Associate, The (L'Associe)(1982)::Comedy",
    "5::Shanghai Triad (Yao a yao yao dao waipo qiao) (1995)::Drama",
    "6::Misérables, Les (1995)::Drama|Musical",
]
USERS = ["1::F::1::10::48067", "2::M::56::16::70072", "3::M::25::15::55117-1234"]
RATINGS = ["1::1::5::978300760", "1::3::3::978302109", "2::2::4::978298413", "3::5::1::978300275", "3::4::2::978300100"]
FILES = ("movies", "users", "ratings")


def write_dat(folder: Path, movies=MOVIES, users=USERS, ratings=RATINGS, encoding="latin-1", newline="\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in zip(FILES, (movies, users, ratings), strict=True):
        (folder / f"{name}.dat").write_bytes((newline.join(lines) + newline).encode(encoding))
    return folder


def zip_folder(folder: Path, archive: Path, prefix: str = "ml-1m/", extra: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in FILES:
            zf.write(folder / f"{name}.dat", f"{prefix}{name}.dat")
        for name, text in (extra or {}).items():
            zf.writestr(name, text)
    return archive


def write_csv(folder: Path, movies: str, users: str, ratings: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in zip(FILES, (movies, users, ratings), strict=True):
        (folder / f"{name}.csv").write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return folder


CSV_MOVIES = 'movie_id,title,year,genres\n1,"Matrix, The",1999,Action|Sci-Fi\n2,Amélie,2001,Comedy|Romance\n'
CSV_USERS = "user_id,gender,age,occupation,zip\n7,F,25,12,10001\n8,M,18,4,02139\n"
CSV_RATINGS = "user_id,movie_id,rating,timestamp\n7,1,5,100\n7,2,4,200\n8,1,3,300\n"


# -- happy paths -------------------------------------------------------------------------------------


def test_dat_folder_parses_titles_years_and_arrays(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml")
    dataset = load_dataset(folder)
    assert dataset.source == str(folder)
    assert len(dataset.users) == 3 and len(dataset.movies) == 6 and len(dataset.ratings) == 5
    titles = {m.movie_id: (m.title, m.year) for m in dataset.movies.values()}
    assert titles == {
        1: ("Toy Story", 1995),
        2: ("City of Lost Children, The", 1995),
        3: ("Seven (Se7en)", 1995),
        4: ("Associate, The (L'Associe)", 1982),
        5: ("Shanghai Triad (Yao a yao yao dao waipo qiao)", 1995),
        6: ("Misérables, Les", 1995),  # latin-1 in the file
    }
    assert dataset.movies[1].genres == ("Animation", "Children's", "Comedy")
    assert dataset.users[2].age == 56 and dataset.users[2].occupation == 16 and dataset.users[2].gender == "M"
    assert dataset.users[3].zip_code == "55117-1234"
    r = dataset.ratings
    assert (r.user_ids.dtype, r.movie_ids.dtype, r.ratings.dtype, r.timestamps.dtype) == (
        np.int32,
        np.int32,
        np.float32,
        np.int64,
    )
    assert dataset.catalogue.describe() == "MovieLens 1M, 6 movies, 1982-1995"
    assert r.user_ids.tolist() == [1, 1, 2, 3, 3]  # file order
    assert r.movie_ids.tolist() == [1, 3, 2, 5, 4]
    assert r.ratings.tolist() == [5, 3, 4, 1, 2]
    assert r.timestamps.tolist() == [978300760, 978302109, 978298413, 978300275, 978300100]


def test_every_layout_and_line_order_gives_the_same_fingerprint(tmp_path) -> None:
    folder = write_dat(tmp_path / "a" / "ml-1m")
    other_sub = write_dat(tmp_path / "c" / "movielens")
    official = zip_folder(folder, tmp_path / "ml-1m.zip", extra={"ml-1m/README": "readme"})
    flat = zip_folder(folder, tmp_path / "flat.zip", prefix="")
    renamed = zip_folder(folder, tmp_path / "renamed.zip", prefix="data/", extra={"__MACOSX/data/._ratings.dat": "x"})
    shuffled = write_dat(tmp_path / "b", ratings=list(reversed(RATINGS)))
    crlf = write_dat(tmp_path / "d", newline="\r\n")
    paths = (folder, tmp_path / "a", tmp_path / "c", other_sub, official, flat, renamed, shuffled, crlf)
    fingerprints = {load_dataset(p).fingerprint for p in paths}
    # As the hand-written parser had it: a home set up before the pandas layer keeps its cards and model.
    assert fingerprints == {"2ad9ab96a8940ea7"}
    changed = write_dat(tmp_path / "e", ratings=[*RATINGS[:-1], "3::4::3::978300100"])
    assert load_dataset(changed).fingerprint not in fingerprints


def test_blank_lines_are_skipped_but_still_counted(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml", ratings=["", RATINGS[0], "  ", RATINGS[1], "", ""])
    assert load_dataset(folder).ratings.ratings.tolist() == [5, 3]
    write_dat(folder, ratings=["", RATINGS[0], "\t", "1::2::9::1"])
    with pytest.raises(DataError, match=r"^ratings\.dat:4: rating must be 0\.5\.\.5 in half stars, got '9'$"):
        load_dataset(folder)


@pytest.mark.parametrize("chunk", [ratings_module.STRICT_CHUNK, 1000])
def test_the_bulk_path_and_the_strict_path_read_the_same(tmp_path, monkeypatch, chunk) -> None:
    """Plain lines go through read_csv in one go; one line with a space sends the whole file through
    the strict per-field rules, which must give the same arrays (and name lines the same way), also
    when it checks the lines in chunks."""
    monkeypatch.setattr(ratings_module, "STRICT_CHUNK", chunk)
    n = 3000
    users = [f"{u}::M::25::1::00000" for u in range(1, n // 6 + 1)]
    ratings = [f"{1 + i // 6}::{1 + i % 6}::{1 + i % 5}::{978300000 + i}" for i in range(n)]  # each pair once
    bulk = load_dataset(write_dat(tmp_path / "bulk", users=users, ratings=ratings))
    strict = load_dataset(write_dat(tmp_path / "strict", users=users, ratings=[*ratings, " "]))
    for name in ("user_ids", "movie_ids", "ratings", "timestamps"):
        assert np.array_equal(getattr(bulk.ratings, name), getattr(strict.ratings, name))
    assert bulk.ratings.timestamps[-1] == 978300000 + n - 1
    ratings[2345] = "7::99::5::1"
    for extra in ([], [" "]):
        with pytest.raises(DataError, match=r"^ratings\.dat:2346: movie id 99 is not in the movies file$"):
            load_dataset(write_dat(tmp_path / f"bad{len(extra)}", users=users, ratings=["", *ratings[1:], *extra]))
    ratings[2500] = "7::1"  # a later line that is malformed does not hide the earlier bad value
    with pytest.raises(DataError, match=r"^ratings\.dat:2346: movie id 99 is not in the movies file$"):
        load_dataset(write_dat(tmp_path / "two", users=users, ratings=ratings))
    ratings[2345] = "7::1::5::1"
    with pytest.raises(DataError, match=r"^ratings\.dat:2501: expected 4 fields separated by '::', got 2: '7::1'$"):
        load_dataset(write_dat(tmp_path / "one", users=users, ratings=ratings))


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "index", "line", "expected"),
    [
        ("ratings", 2, "1::2::7::978300760", "ratings.dat:3: rating must be 0.5..5 in half stars, got '7'"),
        ("ratings", 0, "1::2::0::978300760", "ratings.dat:1: rating must be 0.5..5 in half stars, got '0'"),
        ("ratings", 0, "1::2::x::978300760", "ratings.dat:1: rating must be 0.5..5 in half stars, got 'x'"),
        ("ratings", 1, "1::2::4", "ratings.dat:2: expected 4 fields separated by '::', got 3: '1::2::4'"),
        ("ratings", 1, "1::2::4::5::6", "ratings.dat:2: expected 4 fields separated by '::', got 5: '1::2::4::5::6'"),
        ("ratings", 1, "1\t2\t4\t9", "ratings.dat:2: expected 4 fields separated by '::', got 1: '1\\t2\\t4\\t9'"),
        ("ratings", 4, "x::2::4::978300760", "ratings.dat:5: user id must be a whole number, got 'x'"),
        ("ratings", 4, "+1::2::4::978300760", "ratings.dat:5: user id must be a whole number, got '+1'"),
        ("ratings", 4, "1::2_0::4::978300760", "ratings.dat:5: movie id must be a whole number, got '2_0'"),
        ("ratings", 3, "9::2::4::978300760", "ratings.dat:4: user id 9 is not in the users file"),
        ("ratings", 3, "1::99::4::978300760", "ratings.dat:4: movie id 99 is not in the movies file"),
        ("ratings", 0, "1::2::4::soon", "ratings.dat:1: timestamp must be a whole number, got 'soon'"),
        ("ratings", 0, "1::2::4::-5", "ratings.dat:1: timestamp must be a whole number, got '-5'"),
        (
            "ratings",
            0,
            "1::2::4::99999999999999999999",
            "ratings.dat:1: timestamp must be at most 9223372036854775807, got '99999999999999999999'",
        ),
        ("users", 2, "3::M::30::15::55117", "users.dat:3: age must be one of 1, 18, 25, 35, 45, 50, 56, got '30'"),
        ("users", 0, "1::X::1::10::48067", "users.dat:1: gender must be M or F, got 'X'"),
        ("users", 1, "2::M::56::21::70072", "users.dat:2: occupation must be 0..20, got '21'"),
        ("users", 1, "1::M::56::2::70072", "users.dat:2: duplicate user id 1"),
        ("users", 1, "2::M::56::2", "users.dat:2: expected 5 fields separated by '::', got 4: '2::M::56::2'"),
        ("users", 1, "4294967297::M::56::2::1", "users.dat:2: user id must be at most 2147483647, got '4294967297'"),
        ("ratings", 2, "1::2::4.25::978300760", "ratings.dat:3: rating must be 0.5..5 in half stars, got '4.25'"),
        ("ratings", 2, "1::2::5.5::978300760", "ratings.dat:3: rating must be 0.5..5 in half stars, got '5.5'"),
        ("ratings", 2, "1::2::4,5::978300760", "ratings.dat:3: rating must be 0.5..5 in half stars, got '4,5'"),
        ("movies", 1, "2::Heat (1995)::Action||", "movies.dat:2: genres must be like 'Comedy|Drama', got 'Action||'"),
        ("movies", 1, "2:: (1995)::Action", "movies.dat:2: empty title"),
        ("movies", 3, "1::Heat (1995)::Action", "movies.dat:4: duplicate movie id 1"),
        ("movies", 0, "one::Heat (1995)::Action", "movies.dat:1: movie id must be a whole number, got 'one'"),
    ],
)
def test_first_bad_line_is_named(tmp_path, file, index, line, expected) -> None:
    data = {"movies": list(MOVIES), "users": list(USERS), "ratings": list(RATINGS)}
    data[file][index] = line
    with pytest.raises(DataError) as error:
        load_dataset(write_dat(tmp_path / "ml", **data))
    assert str(error.value) == expected
    assert (error.value.file, error.value.line) == (f"{file}.dat", int(expected.split(":")[1]))


def test_the_first_of_several_bad_lines_wins(tmp_path) -> None:
    bad_value, bad_shape = "1::2::7::1", "1\t2\t3\t4"
    folder = write_dat(tmp_path / "a", ratings=[*RATINGS, bad_value, *RATINGS, bad_shape])
    with pytest.raises(DataError, match=r"^ratings\.dat:6: rating must be"):
        load_dataset(folder)
    folder = write_dat(tmp_path / "b", ratings=[*RATINGS, bad_shape, *RATINGS, bad_value])
    with pytest.raises(DataError, match=r"^ratings\.dat:6: expected 4 fields"):
        load_dataset(folder)


def test_rows_with_too_many_and_too_few_fields_do_not_cancel_out(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml", ratings=["1::1::5::978300760::1", "1::2::3"])
    with pytest.raises(DataError, match=r"^ratings\.dat:1: expected 4 fields separated by '::', got 5"):
        load_dataset(folder)


def test_a_tab_separated_ratings_file_fails_on_line_1(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml", ratings=[r.replace("::", "\t") for r in RATINGS])
    with pytest.raises(DataError) as error:
        load_dataset(folder)
    assert str(error.value) == "ratings.dat:1: expected 4 fields separated by '::', got 1: '1\\t1\\t5\\t978300760'"


def test_missing_files(tmp_path) -> None:
    folder = write_dat(tmp_path / "ml")
    (folder / "users.dat").unlink()  # ratings.dat + movies.dat alone are ML-10M's layout: no demographics
    dataset = load_dataset(folder)
    assert dataset.catalogue.name == "MovieLens 10M" and len(dataset.users) == 3
    assert all((u.gender, u.age, u.occupation) == (None, None, None) for u in dataset.users.values())
    (folder / "ratings.dat").unlink()
    with pytest.raises(DataError) as error:
        load_dataset(folder)
    assert (error.value.file, error.value.line, error.value.message) == ("ratings.dat", None, f"missing in {folder}")
    assert str(error.value) == f"ratings.dat: missing in {folder}"
    nothing = tmp_path / "nothing"
    nothing.mkdir()
    with pytest.raises(DataError) as error:
        load_dataset(nothing)
    assert str(error.value).startswith(f"nothing: no dataset in {nothing}: expected ratings.dat + movies.dat")
    archive = tmp_path / "partial.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ml-1m/movies.dat", "\n".join(MOVIES))
        zf.writestr("ml-1m/users.dat", "\n".join(USERS))
    with pytest.raises(DataError) as error:
        load_dataset(archive)
    assert str(error.value) == f"ratings.dat: missing in {archive}"
    with pytest.raises(DataError, match=r"no such file or folder"):
        load_dataset(tmp_path / "does-not-exist")


def test_empty_files_and_bad_archives(tmp_path) -> None:
    empty = write_dat(tmp_path / "empty", ratings=["", "   "])
    with pytest.raises(DataError) as error:
        load_dataset(empty)
    assert str(error.value) == "ratings.dat: the file is empty"
    write_dat(empty, users=[])
    with pytest.raises(DataError, match=r"^users\.dat: the file is empty$"):
        load_dataset(empty)
    fake = tmp_path / "ml-1m.zip"
    fake.write_text("not a zip")
    with pytest.raises(DataError) as error:
        load_dataset(fake)
    assert error.value.file == "ml-1m.zip" and error.value.line is None
    assert str(fake) in str(error.value) and "not a zip archive" in str(error.value)
    # A real zip whose compressed data is damaged: still a DataError naming the archive.
    good = zip_folder(write_dat(tmp_path / "src", ratings=RATINGS * 200), tmp_path / "good.zip")
    raw = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("ml-1m/ratings.dat")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + 10 : start + 40] = bytes(30)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    with pytest.raises(DataError) as error:
        load_dataset(broken)
    assert error.value.file == "broken.zip" and str(broken) in str(error.value) and "\n" not in str(error.value)


def test_data_error_formats_as_one_line() -> None:
    assert (
        str(DataError("ratings.dat", 17, "rating must be 1..5, got '7'"))
        == "ratings.dat:17: rating must be 1..5, got '7'"
    )
    assert str(DataError("ratings.dat", None, "missing in /x")) == "ratings.dat: missing in /x"


# -- arbitrary input never escapes as another exception ---------------------------------------------

USER_IDS, MOVIE_IDS = {1, 2, 3}, {1, 2, 3, 4, 5, 6}
TOKENS = ["1", "2", "3", "5", "6", "0", "007", "99", "-1", "+2", "1_0", " ", "\t", "\r", "\x00", "\x0b", "\x85",
          "é", "٣", "²", "\u2028", "9" * 19, "9" * 25, ":", "::", ":::", ",", "\n", ""]  # fmt: skip
field = st.one_of(st.text(max_size=6), st.lists(st.sampled_from(TOKENS), max_size=3).map("".join))
valid_line = st.tuples(
    st.sampled_from("123"),
    st.sampled_from("123456"),
    st.sampled_from(["1", "2", "3", "4", "5", "0.5", "3.5", "4.0", "5.", ".5"]),
    st.integers(0, 10**12).map(str),
).map("::".join)
near_line = st.tuples(
    *[st.sampled_from(["1", "2", "3", "4", "5", "6", "9", "05", "0", "", "4.5", "4.25", "1.", ".", "5.5"])] * 4
).map("::".join)
# Weighted towards (nearly) valid lines so that runs of plain lines go through the bulk path.
line = st.one_of(
    valid_line,
    valid_line,
    near_line,
    st.text(max_size=40),
    st.lists(field, min_size=0, max_size=6).map("::".join),
)

ratings_files = st.one_of(
    st.lists(line, min_size=1, max_size=12),
    st.lists(st.one_of(valid_line, st.sampled_from(["", " ", "\r"])), min_size=1, max_size=20),
    # A valid file with one odd line somewhere: the bulk runs before and after it must still line up.
    st.tuples(st.lists(valid_line, min_size=1, max_size=20), st.integers(0, 20), line).map(
        lambda t: [*t[0][: t[1]], t[2], *t[0][t[1] :]]
    ),
)


RATING_TEXT = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def reference(text: str) -> list[tuple[int | float, ...]] | int | None:
    """The rules, written plainly: the rows, or the 1-based number of the first bad line (else of the
    first line that rates a (user, movie) pair rated before), or None if the file is blank."""
    rows = []
    seen: set[tuple[int, int]] = set()
    repeated: int | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.removesuffix("\r")
        if not stripped.strip(" \t\r"):
            continue
        fields = stripped.split("::")
        if len(fields) != 4 or not all(re.fullmatch("[0-9]+", f) for f in (fields[0], fields[1], fields[3])):
            return number
        if not RATING_TEXT.fullmatch(fields[2]):
            return number
        user, movie, stamp, rating = int(fields[0]), int(fields[1]), int(fields[3]), float(fields[2])
        if user not in USER_IDS or movie not in MOVIE_IDS or stamp >= 2**63:
            return number
        if not (0.5 <= rating <= 5 and (rating * 2).is_integer()):
            return number
        rows.append((user, movie, rating, stamp))
        if (user, movie) in seen and repeated is None:
            repeated = number
        seen.add((user, movie))
    return repeated or rows or None


@settings(
    derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ratings_files, st.sampled_from(["utf-8", "utf-8", "utf-16-le"]))
def test_arbitrary_ratings_lines_never_crash_and_agree_with_the_rules(tmp_path, lines, encoding) -> None:
    raw = ("\n".join(lines) + "\n").encode(encoding, errors="surrogatepass")
    folder = write_dat(tmp_path / "fuzz")
    (folder / "ratings.dat").write_bytes(raw)
    expected = reference(raw.decode("latin-1"))
    try:
        dataset = load_dataset(folder)
    except DataError as error:
        message = str(error)
        assert "\n" not in message and message.startswith("ratings.dat")
        assert error.line == (expected if isinstance(expected, int) else None), (message, expected)
    else:
        assert isinstance(expected, list)
        r = dataset.ratings
        got = list(
            zip(r.user_ids.tolist(), r.movie_ids.tolist(), r.ratings.tolist(), r.timestamps.tolist(), strict=True)
        )
        assert got == expected
        assert (r.user_ids.dtype, r.ratings.dtype, r.timestamps.dtype) == (np.int32, np.float32, np.int64)


@settings(
    derandomize=True, max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200), st.sampled_from(["ratings", "users", "movies"]), st.booleans())
def test_arbitrary_bytes_in_any_file_and_layout_never_crash(tmp_path, junk, name, as_csv) -> None:
    if as_csv:
        folder = write_csv(tmp_path / "fuzz-csv", CSV_MOVIES, CSV_USERS, CSV_RATINGS)
        header = {"movies": CSV_MOVIES, "users": CSV_USERS, "ratings": CSV_RATINGS}[name].split("\n")[0]
        (folder / f"{name}.csv").write_bytes(header.encode() + b"\n" + junk)
    else:
        folder = write_dat(tmp_path / "fuzz-dat")
        (folder / f"{name}.dat").write_bytes(junk)
    try:
        load_dataset(folder)
    except DataError as error:
        assert "\n" not in str(error)


# -- damaged real-shaped files: truncated, wrong separators, wrong encodings, odd ids, duplicates -----

FUZZ = settings(
    derandomize=True, max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
LINES = {"movies": MOVIES, "users": USERS, "ratings": RATINGS}


def load_or_error(path: Path) -> DataError | None:
    """Load `path`; a DataError is returned (it must be one line), anything else propagates."""
    try:
        load_dataset(path)
    except DataError as error:
        assert "\n" not in str(error) and str(error).strip() == str(error)
        return error
    return None


@FUZZ
@given(st.sampled_from(FILES), st.floats(0, 1, exclude_max=True), st.booleans())
def test_a_file_or_archive_cut_anywhere_is_an_error_or_a_shorter_dataset(tmp_path, name, fraction, archive) -> None:
    folder = write_dat(tmp_path / "cut")
    if archive:
        zipped = zip_folder(folder, tmp_path / "cut.zip")
        data = zipped.read_bytes()
        zipped.write_bytes(data[: int(len(data) * fraction)])
        error = load_or_error(zipped)
        # A cut archive is always damaged (its directory is at the end): the error names it.
        assert error is not None and error.file == "cut.zip" and str(zipped) in str(error)
        return
    data = (folder / f"{name}.dat").read_bytes()
    cut = data[: int(len(data) * fraction)]
    (folder / f"{name}.dat").write_bytes(cut)
    try:
        dataset = load_dataset(folder)
    except DataError as error:
        # The cut file is named, or the ratings that name a user or movie lost with the cut.
        assert error.file in (f"{name}.dat", "ratings.dat") and "\n" not in str(error)
        assert error.file == f"{name}.dat" or "is not in the" in error.message
        return
    # Accepted: cut at a line end, or inside the last field of a line where what is left still passes
    # (a zip code or a timestamp cut short). Never more records than there were.
    whole = load_dataset(write_dat(tmp_path / "whole"))
    assert len(dataset.ratings) <= len(whole.ratings) and len(dataset.users) <= len(whole.users)
    assert len(dataset.movies) <= len(whole.movies)
    assert not cut.strip() or cut.endswith(b"\n") or name != "movies" or cut[-1:] not in b"|:", cut


SEPARATORS = [",", ";", "\t", "|", ":", ": :", " :: ", ":::", "\x00", "\uff1a\uff1a"]


@FUZZ
@given(st.sampled_from(FILES), st.sampled_from(SEPARATORS), st.integers(0, 5))
def test_a_wrong_separator_is_named_on_the_first_line_that_has_it(tmp_path, name, sep, at) -> None:
    lines = list(LINES[name])
    at = min(at, len(lines) - 1)
    lines[at:] = [line.replace("::", sep) for line in lines[at:]]
    error = load_or_error(write_dat(tmp_path / "sep", encoding="utf-8", **{name: lines}))
    assert error is not None and (error.file, error.line) == (f"{name}.dat", at + 1), error


ENCODINGS = ["latin-1", "cp1252", "utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32", "mac-roman"]


@pytest.mark.parametrize("as_csv", [False, True])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_any_encoding_is_an_error_or_a_dataset_never_a_crash(tmp_path, encoding, as_csv) -> None:
    if as_csv:
        folder = write_csv(tmp_path / "enc-csv", CSV_MOVIES, CSV_USERS, CSV_RATINGS)
        for name in FILES:
            path = folder / f"{name}.csv"
            path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    else:
        folder = write_dat(tmp_path / "enc", encoding=encoding)
    error = load_or_error(folder)
    if encoding.startswith(("utf-16", "utf-32")):  # NUL bytes between characters: the first file read fails
        first = "ratings.csv" if as_csv else "movies.dat"  # ratings.csv's header tells MovieLens from own data
        assert error is not None and error.file == first and error.line == 1, error
    elif encoding.startswith("utf-8") and not as_csv:  # .dat files that are valid UTF-8 are read as UTF-8
        assert error is None and load_dataset(folder).movies[6].title == "Misérables, Les"
    elif as_csv and encoding not in ("utf-8", "utf-8-sig"):  # CSV is UTF-8: "Amélie" is not
        assert str(error) == "movies.csv:3: not valid UTF-8 (byte 0x{:02x})".format("é".encode(encoding)[0])
    else:  # other .dat files are read as latin-1, like the official ones: other bytes change a title's letters only
        assert error is None


ids = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 2, 3, 6, 7, 2**31 - 1, 2**31, 2**63]))


@FUZZ
@given(st.sampled_from(FILES), ids, st.integers(0, 5))
def test_any_id_is_accepted_or_named_with_its_line(tmp_path, name, new_id, at) -> None:
    lines = list(LINES[name])
    at = min(at, len(lines) - 1)
    fields = lines[at].split("::")
    column = 1 if name == "ratings" and at % 2 else 0  # ratings: the user id or the movie id
    original = int(fields[column])
    fields[column] = str(new_id)
    lines[at] = "::".join(fields)
    error = load_or_error(write_dat(tmp_path / "ids", **{name: lines}))
    if error is None:
        assert 0 <= new_id <= 2**31 - 1
        if name == "ratings":  # ratings may only name known users and movies
            assert new_id in ({1, 2, 3} if column == 0 else {1, 2, 3, 4, 5, 6})
        return
    if name != "ratings" and "duplicate" in error.message:  # named where the id occurs the second time
        other = next(i for i, line in enumerate(lines) if i != at and line.split("::")[0] == str(new_id))
        assert error.line == max(at, other) + 1, error
    elif error.file == f"{name}.dat" and error.line == at + 1:
        messages = ("must be a whole number", "must be at most", "duplicate", "is not in the", "rated movie")
        assert any(m in error.message for m in messages), error
    else:  # the old id is gone: a rating that names it is the line named
        assert name != "ratings" and new_id != original, error
        assert error.file == "ratings.dat" and f"id {original} is not in the {name} file" in error.message, error


@FUZZ
@given(st.sampled_from(FILES), st.integers(0, 5), st.integers(0, 6))
def test_a_duplicated_line_is_named_where_it_repeats(tmp_path, name, which, where) -> None:
    lines = list(LINES[name])
    copy = lines[min(which, len(lines) - 1)]
    where = min(where, len(lines))
    lines.insert(where, copy)
    error = load_or_error(write_dat(tmp_path / "dup", **{name: lines}))
    assert error is not None and error.file == f"{name}.dat"
    first, second = sorted(i + 1 for i, line in enumerate(lines) if line == copy)
    assert error.line == second
    if name == "ratings":
        assert f"twice (first on line {first})" in error.message
    else:
        assert "duplicate" in error.message
