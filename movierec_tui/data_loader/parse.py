"""Reading and validating a MovieLens-1M-shaped dataset: the official `.dat` files (in a zip or a
folder) or the documented CSV layout.

Validation stops at the first bad line and names it (`ratings.dat:17: rating must be 1..5, got '7'`),
because a person fixing a file wants the exact place, not a count. The million-line ratings file is
converted in bulk: a regex finds the lines that are not plain `digits::digits::digits::digits`, the
runs of plain lines between them go through numpy in one go, and only the odd lines (and the first
row whose values are wrong) are looked at one by one. The per-line checker is the single authority
on what is valid, so the bulk path can never accept something the careful path would reject.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TypeVar

import numpy as np

from movierec_tui.data_loader.dataset import (
    AGE_BUCKETS,
    GENDERS,
    GENRES,
    OCCUPATIONS,
    Dataset,
    Movie,
    Ratings,
    User,
)
from movierec_tui.data_loader.errors import DataError

KINDS = ("ratings", "users", "movies")
LAYOUTS = (".dat", ".csv")  # tried in this order inside each folder
INT32_MAX = 2**31 - 1  # ids end up in int32 arrays
INT64_MAX = 2**63 - 1  # timestamps end up in int64 arrays
YEARS = (1870, 2100)

_CSV_HEADERS = {
    "ratings": ("user_id", "movie_id", "rating", "timestamp"),
    "users": ("user_id", "gender", "age", "occupation", "zip"),
    "movies": ("movie_id", "title", "year", "genres"),
}
_DAT_FIELDS = {"ratings": 4, "users": 5, "movies": 3}
_BLANK = " \t\r"  # a line made only of these is skipped
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit()/int(): those accept '+1', ' 1', '1_0', '²', '٣'
_TITLE_YEAR = re.compile(r"(?P<title>.*?)\s*\((?P<year>[0-9]{4})\)\s*")  # the last "(YYYY)" at the end
_AGES_TEXT = ", ".join(str(age) for age in AGE_BUCKETS)

# A line the bulk path may convert without looking: 4 plain numbers short enough for int64.
_PLAIN = r"[0-9]{1,18}"
_ODD_LINE = {
    sep: re.compile(("^(?!" + (re.escape(sep)).join([_PLAIN] * 4) + r"\r?$)").encode(), re.M) for sep in ("::", ",")
}
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what errors="surrogateescape" makes of bad bytes
_PLAIN_CSV_LINE = re.compile(r"[0-9]+,[0-9]+,[0-9]+,[0-9]+")
_CHUNK = 4 << 20  # bytes per bulk conversion: bounds the temporary list of field strings

Row = tuple[int, int, int, int]
_Key = TypeVar("_Key")


@dataclass(frozen=True)
class SourceFile:
    name: str  # what messages call it, e.g. "ratings.dat"
    data: bytes

    @property
    def is_csv(self) -> bool:
        return self.name.endswith(".csv")


def load_dataset(path: Path) -> Dataset:
    """Load and validate the dataset at `path` (zip, extracted folder, or CSV folder)."""
    path = Path(path)
    sources = read_sources(path)
    movies = parse_movies(sources["movies"])
    users = parse_users(sources["users"])
    ratings = parse_ratings(sources["ratings"], users, movies)
    return Dataset(users=users, movies=movies, ratings=ratings, source=str(path))


# -- finding the three files -------------------------------------------------------------------------


def read_sources(path: Path) -> dict[str, SourceFile]:
    """The bytes of ratings/users/movies from a zip or a folder, read eagerly (the zip is closed after)."""
    if path.is_dir():
        return _from_folder(path)
    if path.is_file():
        return _from_zip(path)
    raise DataError(path.name or str(path), None, f"no such file or folder: {path}")


def _choose(listing: dict[_Key, set[str]], where: str) -> tuple[_Key, str]:
    """The first folder (in `listing` order) that holds a complete layout, `.dat` before `.csv`.

    Without one, name a missing file of the layout that is closest to complete, so the message points
    at what to add rather than at the whole layout.
    """
    for folder, names in listing.items():
        for suffix in LAYOUTS:
            if all(kind + suffix in names for kind in KINDS):
                return folder, suffix
    best_count, best_name = 0, "ratings.dat"
    for names in listing.values():
        for suffix in LAYOUTS:
            count = sum(kind + suffix in names for kind in KINDS)
            if count > best_count:
                missing = next(kind for kind in KINDS if kind + suffix not in names)
                best_count, best_name = count, missing + suffix
    raise DataError(best_name, None, f"missing in {where}")


def _from_folder(path: Path) -> dict[str, SourceFile]:
    try:
        others = sorted(p for p in path.iterdir() if p.is_dir() and p.name != "ml-1m")
        listing = {
            folder: {p.name for p in folder.iterdir() if p.is_file()}
            for folder in (path, path / "ml-1m", *others)
            if folder.is_dir()
        }
    except OSError as exc:
        raise DataError(path.name, None, f"cannot read the folder {path}: {exc.strerror or exc}") from None
    folder, suffix = _choose(listing, str(path))
    sources: dict[str, SourceFile] = {}
    for kind in KINDS:
        file = folder / (kind + suffix)
        try:
            sources[kind] = SourceFile(file.name, file.read_bytes())
        except OSError as exc:
            raise DataError(file.name, None, f"cannot read {file}: {exc.strerror or exc}") from None
    return sources


def _from_zip(path: Path) -> dict[str, SourceFile]:
    if not zipfile.is_zipfile(path):
        raise DataError(
            path.name, None, f"not a zip archive: {path} (expected ml-1m.zip, its extracted folder, or a CSV folder)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            # folder inside the zip -> {base name: member name}; shallowest folders first.
            members: dict[str, dict[str, str]] = {}
            for member in archive.namelist():
                posix = PurePosixPath(member.replace("\\", "/"))
                if member.endswith(("/", "\\")) or "__MACOSX" in posix.parts:
                    continue
                members.setdefault(str(posix.parent), {})[posix.name] = member
            ordered = sorted(members, key=lambda folder: (0 if folder == "." else folder.count("/") + 1, folder))
            folder, suffix = _choose({f: set(members[f]) for f in ordered}, str(path))
            return {kind: SourceFile(kind + suffix, archive.read(members[folder][kind + suffix])) for kind in KINDS}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        raise DataError(path.name, None, f"cannot read the zip archive {path}: {_one_line(str(exc))}") from None


# -- small helpers ---------------------------------------------------------------------------------


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _is_blank(line: str) -> bool:
    return not line.strip(_BLANK)


def _small(value: str) -> int | None:
    """`value` as an int if it is plain ASCII digits of modest length, else None."""
    if not _DIGITS.fullmatch(value) or len(value.lstrip("0")) > 9:
        return None
    return int(value)


def _whole(source: SourceFile, line: int, what: str, value: str, limit: int) -> int:
    if not _DIGITS.fullmatch(value):
        raise DataError(source.name, line, f"{what} must be a whole number, got {_clip(value)!r}")
    # Compare lengths first: int() of a 5,000-digit string raises ValueError in Python >= 3.11.
    if len(value.lstrip("0")) > len(str(limit)) or int(value) > limit:
        raise DataError(source.name, line, f"{what} must be at most {limit}, got {_clip(value)!r}")
    return int(value)


def _empty_check(source: SourceFile) -> None:
    if not source.data.strip(_BLANK.encode() + b"\n"):
        raise DataError(source.name, None, "the file is empty")


def _no_bom(source: SourceFile) -> None:
    if source.data.startswith(b"\xef\xbb\xbf"):
        message = "starts with a UTF-8 byte-order mark; .dat files are latin-1 without one (or use the CSV layout)"
        raise DataError(source.name, 1, message)


def _text(source: SourceFile) -> str:
    _empty_check(source)
    if not source.is_csv:
        _no_bom(source)
        return source.data.decode("latin-1")  # MovieLens' encoding; every byte sequence decodes
    # CSV is UTF-8. Bad bytes become lone surrogates here and are reported with their row, so an
    # earlier bad value is still the first error named.
    return source.data.decode("utf-8-sig", errors="surrogateescape")


def _records(source: SourceFile, kind: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for every non-blank data line; checks field counts and the CSV header."""
    text = _text(source)
    if source.is_csv:
        yield from _csv_records(source, kind, text)
        return
    expected = _DAT_FIELDS[kind]
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if _is_blank(line):
            continue
        yield number, _dat_fields(source, number, line, expected)


def _dat_fields(source: SourceFile, line: int, text: str, expected: int) -> list[str]:
    fields = text.split("::")
    if len(fields) != expected:
        message = f"expected {expected} fields separated by '::', got {len(fields)}: {_clip(text)!r}"
        raise DataError(source.name, line, message)
    return fields


def _csv_records(source: SourceFile, kind: str, text: str) -> Iterator[tuple[int, list[str]]]:
    header = _CSV_HEADERS[kind]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader, [])
        _check_utf8(source, reader.line_num or 1, first)
        if tuple(h.strip().lower() for h in first) != header:
            got = _clip(",".join(first))
            raise DataError(source.name, reader.line_num or 1, f"header must be {','.join(header)}, got {got!r}")
        for fields in reader:
            if all(not f.strip() for f in fields):
                continue
            _check_utf8(source, reader.line_num, fields)
            if len(fields) != len(header):
                raise DataError(source.name, reader.line_num, f"expected {len(header)} fields, got {len(fields)}")
            yield reader.line_num, [f.strip() for f in fields]
    except csv.Error as exc:
        raise DataError(source.name, reader.line_num, f"malformed CSV: {_one_line(str(exc))}") from None


def _check_utf8(source: SourceFile, line: int, fields: list[str]) -> None:
    for field in fields:
        match = _UNDECODABLE.search(field)
        if match:
            byte = ord(match.group()) - 0xDC00
            raise DataError(source.name, line, f"not valid UTF-8 (byte 0x{byte:02x})")


# -- movies and users (small: checked line by line) ------------------------------------------------


def parse_movies(source: SourceFile) -> dict[int, Movie]:
    movies: dict[int, Movie] = {}
    for line, fields in _records(source, "movies"):
        movie_id = _whole(source, line, "movie id", fields[0], INT32_MAX)
        if source.is_csv:
            title, year = fields[1], _whole(source, line, "year", fields[2], 9999)
            genre_text = fields[3]
        else:
            match = _TITLE_YEAR.fullmatch(fields[1])
            if not match:
                message = f"title must end with the year, e.g. 'Heat (1995)', got {_clip(fields[1])!r}"
                raise DataError(source.name, line, message)
            title, year = match["title"], int(match["year"])
            genre_text = fields[2]
        title = title.strip()
        if not title:
            raise DataError(source.name, line, "empty title")
        if not YEARS[0] <= year <= YEARS[1]:
            raise DataError(source.name, line, f"year must be {YEARS[0]}..{YEARS[1]}, got {year}")
        genres = tuple(g.strip() for g in genre_text.split("|"))
        if not any(genres) or not all(genres):  # no genres, or an empty one (e.g. a file cut after "|")
            raise DataError(source.name, line, f"genres must be like 'Comedy|Drama', got {_clip(genre_text)!r}")
        for genre in genres:
            if genre not in GENRES:
                raise DataError(source.name, line, f"unknown genre {_clip(genre)!r}")
        if movie_id in movies:
            raise DataError(source.name, line, f"duplicate movie id {movie_id}")
        movies[movie_id] = Movie(movie_id, title, year, genres)
    if not movies:
        raise DataError(source.name, None, "no movies")
    return movies


def parse_users(source: SourceFile) -> dict[int, User]:
    users: dict[int, User] = {}
    for line, fields in _records(source, "users"):
        user_id = _whole(source, line, "user id", fields[0], INT32_MAX)
        gender = fields[1]
        if gender not in GENDERS:
            raise DataError(source.name, line, f"gender must be M or F, got {_clip(gender)!r}")
        age = _small(fields[2])
        if age is None or age not in AGE_BUCKETS:
            raise DataError(source.name, line, f"age must be one of {_AGES_TEXT}, got {_clip(fields[2])!r}")
        occupation = _small(fields[3])
        if occupation is None or occupation not in OCCUPATIONS:
            raise DataError(source.name, line, f"occupation must be 0..20, got {_clip(fields[3])!r}")
        if user_id in users:
            raise DataError(source.name, line, f"duplicate user id {user_id}")
        users[user_id] = User(user_id, gender, age, occupation, fields[4].strip(_BLANK))
    if not users:
        raise DataError(source.name, None, "no users")
    return users


# -- ratings (a million lines: converted in bulk) --------------------------------------------------


def _rating_row(
    source: SourceFile, line: int, fields: list[str], users: dict[int, User], movies: dict[int, Movie]
) -> Row:
    """The authority on a rating line: its values, or the DataError describing the first problem."""
    user_id = _whole(source, line, "user id", fields[0], INT64_MAX)
    movie_id = _whole(source, line, "movie id", fields[1], INT64_MAX)
    rating = _small(fields[2])
    if rating is None or not 1 <= rating <= 5:
        raise DataError(source.name, line, f"rating must be 1..5, got {_clip(fields[2])!r}")
    stamp = _whole(source, line, "timestamp", fields[3], INT64_MAX)
    if user_id not in users:
        raise DataError(source.name, line, f"user id {user_id} is not in the users file")
    if movie_id not in movies:
        raise DataError(source.name, line, f"movie id {movie_id} is not in the movies file")
    return user_id, movie_id, rating, stamp


def parse_ratings(source: SourceFile, users: dict[int, User], movies: dict[int, Movie]) -> Ratings:
    _empty_check(source)
    table = _csv_ratings(source, users, movies) if source.is_csv else _dat_ratings(source, users, movies)
    if not len(table):
        raise DataError(source.name, None, "no ratings")
    _check_unique_pairs(source, table)
    return Ratings(
        user_ids=table[:, 0].astype(np.int32),
        movie_ids=table[:, 1].astype(np.int32),
        ratings=table[:, 2].astype(np.int8),
        timestamps=np.ascontiguousarray(table[:, 3], dtype=np.int64),
    )


def _check_unique_pairs(source: SourceFile, table: np.ndarray) -> None:
    """A person rates a movie once; a second rating of the same pair is named by its line."""
    keys = table[:, 0] * (int(table[:, 1].max()) + 1) + table[:, 1]  # ids are <= INT32_MAX: no overflow
    order = np.argsort(keys, kind="stable")
    repeats = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if not len(repeats):
        return
    row = int(order[repeats + 1].min())  # the earliest row that repeats an earlier pair
    first = int(order[np.searchsorted(keys[order], keys[row])])
    user_id, movie_id = int(table[row, 0]), int(table[row, 1])
    line, first_line = _line_of_row(source, row), _line_of_row(source, first)
    message = f"user {user_id} rated movie {movie_id} twice (first on line {first_line})"
    raise DataError(source.name, line, message)


def _line_of_row(source: SourceFile, row: int) -> int:
    """The 1-based line of the `row`-th (0-based) rating: blank lines and a CSV header are not rows."""
    lines = source.data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    skip = 1 if source.is_csv else 0
    for number, raw in enumerate(lines[skip:], start=skip + 1):
        if raw.strip(b" \t\r"):
            if row == 0:
                return number
            row -= 1
    return len(lines)


def _dat_ratings(source: SourceFile, users: dict[int, User], movies: dict[int, Movie]) -> np.ndarray:
    def check_line(line: int, text: str) -> Row | None:
        text = text.rstrip("\r")
        if _is_blank(text):
            return None
        return _rating_row(source, line, _dat_fields(source, line, text, 4), users, movies)

    _no_bom(source)
    return _bulk_ratings(source, source.data, 1, "::", users, movies, check_line)


class _NeedsCsvModule(Exception):
    """A CSV line that is not plain digits and commas (quotes, spaces, blanks): use the csv module."""


def _csv_ratings(source: SourceFile, users: dict[int, User], movies: dict[int, Movie]) -> np.ndarray:
    def check_line(line: int, text: str) -> Row | None:
        text = text.rstrip("\r")
        if not _PLAIN_CSV_LINE.fullmatch(text):
            raise _NeedsCsvModule
        return _rating_row(source, line, text.split(","), users, movies)

    data = source.data.removeprefix(b"\xef\xbb\xbf")
    newline = data.find(b"\n")
    header = data[: len(data) if newline < 0 else newline].rstrip(b"\r")
    if newline >= 0 and header.decode("latin-1").lower() == ",".join(_CSV_HEADERS["ratings"]):
        try:
            return _bulk_ratings(source, data[newline + 1 :], 2, ",", users, movies, check_line)
        except _NeedsCsvModule:
            pass
    rows = [_rating_row(source, line, fields, users, movies) for line, fields in _records(source, "ratings")]
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def _bulk_ratings(
    source: SourceFile,
    body: bytes,
    first_line: int,
    sep: str,
    users: dict[int, User],
    movies: dict[int, Movie],
    check_line: Callable[[int, str], Row | None],
) -> np.ndarray:
    """An (n, 4) int64 table of `body`, in order.

    Runs of plain lines are converted with numpy and their values checked in bulk; every other line
    goes to `check_line`, which returns its row, None for a blank line, or raises. The first row of a
    run whose values are wrong is also handed to `check_line`, so its message is the careful one.
    """
    odd_line = _ODD_LINE[sep]
    user_ids = np.fromiter(sorted(users), dtype=np.int64, count=len(users))
    movie_ids = np.fromiter(sorted(movies), dtype=np.int64, count=len(movies))
    blocks: list[np.ndarray] = []
    pos, line, size = 0, first_line, len(body)
    while pos < size:
        match = odd_line.search(body, pos)
        stop = match.start() if match else size
        while pos < stop:  # a run of plain lines, in chunks at line boundaries
            cut = stop if stop - pos <= _CHUNK else body.rfind(b"\n", pos, pos + _CHUNK) + 1
            if cut <= pos:
                cut = stop
            piece = body[pos:cut]
            block = np.array(piece.decode("ascii").replace(sep, " ").split(), dtype=np.int64).reshape(-1, 4)
            bad = ~_member(block[:, 0], user_ids) | ~_member(block[:, 1], movie_ids)
            bad |= (block[:, 2] < 1) | (block[:, 2] > 5)
            hits = np.flatnonzero(bad)
            if len(hits):
                row = int(hits[0])
                check_line(line + row, _nth_line(piece, row))
                raise DataError(source.name, line + row, "invalid rating")  # not reached: check_line raised
            blocks.append(block)
            line += piece.count(b"\n")
            pos = cut
        if match is None or stop >= size:
            break
        newline = body.find(b"\n", stop)
        end = size if newline < 0 else newline
        row_values = check_line(line, body[stop:end].decode("latin-1"))
        if row_values is not None:
            blocks.append(np.array([row_values], dtype=np.int64))
        line, pos = line + 1, end + 1
    return np.concatenate(blocks) if blocks else np.empty((0, 4), dtype=np.int64)


def _member(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """`values in sorted_ids`, element-wise; searchsorted is faster than np.isin for this shape."""
    if not len(sorted_ids):
        return np.zeros(len(values), dtype=bool)
    index = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[index] == values


def _nth_line(piece: bytes, n: int) -> str:
    newlines = np.flatnonzero(np.frombuffer(piece, dtype=np.uint8) == ord("\n"))
    start = 0 if n == 0 else int(newlines[n - 1]) + 1
    end = int(newlines[n]) if n < len(newlines) else len(piece)
    return piece[start:end].decode("latin-1")
