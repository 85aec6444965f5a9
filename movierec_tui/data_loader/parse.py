"""Reading and validating a MovieLens-1M-shaped dataset: the official `.dat` files (in a zip or a
folder) or the documented CSV layout.

Validation stops at the first bad line and names it (`ratings.dat:17: rating must be 1..5, got '7'`),
because a person fixing a file wants the exact place, not a count. The million-line ratings file is
parsed with vectorised numpy on the happy path; only when that fails is it rescanned line by line
to find and describe the first bad line.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
_TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$")
_INT = re.compile(r"^[0-9]+$")
_CSV_HEADERS = {
    "ratings": ["user_id", "movie_id", "rating", "timestamp"],
    "users": ["user_id", "gender", "age", "occupation", "zip"],
    "movies": ["movie_id", "title", "year", "genres"],
}
_DAT_FIELDS = {"ratings": 4, "users": 5, "movies": 3}


@dataclass(frozen=True)
class SourceFile:
    name: str  # what messages call it, e.g. "ratings.dat"
    read: Callable[[], bytes]

    @property
    def is_csv(self) -> bool:
        return self.name.endswith(".csv")


def locate(path: Path) -> dict[str, SourceFile]:
    """Find the three files in a zip or a folder (directly or one folder down)."""
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DataError(path.name, None, "not a zip archive (expected ml-1m.zip, its folder, or a CSV folder)")
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
        found: dict[str, SourceFile] = {}
        for kind in KINDS:
            for suffix in (".dat", ".csv"):
                matches = sorted((n for n in names if n.rsplit("/", 1)[-1] == kind + suffix), key=len)
                if matches and kind not in found:
                    member = matches[0]
                    found[kind] = SourceFile(kind + suffix, lambda member=member: archive.read(member))
        return _require_all(found, str(path))
    if not path.is_dir():
        raise DataError(path.name, None, f"no such file or folder: {path}")
    for folder in (path, path / "ml-1m", *sorted(p for p in path.iterdir() if p.is_dir())):
        found = {}
        for kind in KINDS:
            for suffix in (".dat", ".csv"):
                candidate = folder / (kind + suffix)
                if candidate.is_file() and kind not in found:
                    found[kind] = SourceFile(candidate.name, candidate.read_bytes)
        if found:
            return _require_all(found, str(folder))
    return _require_all({}, str(path))


def _require_all(found: dict[str, SourceFile], where: str) -> dict[str, SourceFile]:
    for kind in KINDS:
        if kind not in found:
            raise DataError(f"{kind}.dat", None, f"missing in {where} (nor {kind}.csv)")
    return found


def load_dataset(path: Path) -> Dataset:
    files = locate(Path(path))
    movies = parse_movies(files["movies"])
    users = parse_users(files["users"])
    ratings = parse_ratings(files["ratings"], users, movies)
    return Dataset(users=users, movies=movies, ratings=ratings, source=str(path))


# -- reading lines ---------------------------------------------------------------------------------


def _text(source: SourceFile) -> str:
    data = source.read()
    if not data.strip():
        raise DataError(source.name, None, "the file is empty")
    if not source.is_csv:
        return data.decode("latin-1")  # MovieLens' encoding; every byte sequence decodes
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(source.name, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


def _rows(source: SourceFile, kind: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) for every data line; checks field counts and the CSV header."""
    text = _text(source)
    rows: list[tuple[int, list[str]]] = []
    expected = _DAT_FIELDS[kind]
    if source.is_csv:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        if [h.strip().lower() for h in header] != _CSV_HEADERS[kind]:
            raise DataError(source.name, 1, f"header must be {','.join(_CSV_HEADERS[kind])}, got {','.join(header)!r}")
        for fields in reader:
            line = reader.line_num
            if not fields:
                continue
            if len(fields) != len(_CSV_HEADERS[kind]):
                raise DataError(source.name, line, f"expected {len(_CSV_HEADERS[kind])} fields, got {len(fields)}")
            rows.append((line, [f.strip() for f in fields]))
        return rows
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = line.split("::")
        if len(fields) != expected:
            raise DataError(
                source.name, number, f"expected {expected} fields separated by '::', got {len(fields)}: {_clip(line)!r}"
            )
        rows.append((number, fields))
    return rows


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _int(source: SourceFile, line: int, field: str, value: str) -> int:
    if not _INT.match(value.strip()):
        raise DataError(source.name, line, f"{field} must be a whole number, got {_clip(value)!r}")
    return int(value)


# -- the three files -------------------------------------------------------------------------------


def parse_movies(source: SourceFile) -> dict[int, Movie]:
    movies: dict[int, Movie] = {}
    for line, fields in _rows(source, "movies"):
        movie_id = _int(source, line, "movie id", fields[0])
        if source.is_csv:
            title, year = fields[1].strip(), _int(source, line, "year", fields[2])
            genre_text = fields[3]
        else:
            match = _TITLE_YEAR.match(fields[1])
            if not match:
                message = f"title must end with the year, e.g. 'Heat (1995)', got {_clip(fields[1])!r}"
                raise DataError(source.name, line, message)
            title, year = match["title"], int(match["year"])
            genre_text = fields[2]
        if not title:
            raise DataError(source.name, line, "empty title")
        if not 1870 <= year <= 2100:
            raise DataError(source.name, line, f"year must be 1870..2100, got {year}")
        genres = tuple(g.strip() for g in genre_text.split("|") if g.strip())
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
    ages = ", ".join(str(a) for a in AGE_BUCKETS)
    for line, fields in _rows(source, "users"):
        user_id = _int(source, line, "user id", fields[0])
        gender = fields[1].strip()
        if gender not in GENDERS:
            raise DataError(source.name, line, f"gender must be M or F, got {_clip(gender)!r}")
        if not _INT.match(fields[2].strip()) or int(fields[2]) not in AGE_BUCKETS:
            raise DataError(source.name, line, f"age must be one of {ages}, got {_clip(fields[2])!r}")
        if not _INT.match(fields[3].strip()) or int(fields[3]) not in OCCUPATIONS:
            raise DataError(source.name, line, f"occupation must be 0..20, got {_clip(fields[3])!r}")
        if user_id in users:
            raise DataError(source.name, line, f"duplicate user id {user_id}")
        users[user_id] = User(user_id, gender, int(fields[2]), int(fields[3]), fields[4].strip())
    if not users:
        raise DataError(source.name, None, "no users")
    return users


def parse_ratings(source: SourceFile, users: dict[int, User], movies: dict[int, Movie]) -> Ratings:
    table = None if source.is_csv else _fast_ratings(source)
    if table is None:
        table = _slow_ratings(source, users, movies)
    user_ids, movie_ids, ratings, stamps = table
    bad = np.flatnonzero(
        (ratings < 1) | (ratings > 5) | ~np.isin(user_ids, list(users)) | ~np.isin(movie_ids, list(movies))
    )
    if len(bad):
        # Rescan to name the first offending line with its real line number and message.
        _slow_ratings(source, users, movies)
        raise DataError(source.name, None, f"invalid rating at row {int(bad[0]) + 1}")  # not reached in practice
    if not len(ratings):
        raise DataError(source.name, None, "no ratings")
    return Ratings(user_ids.astype(np.int32), movie_ids.astype(np.int32), ratings.astype(np.int8), stamps)


def _fast_ratings(source: SourceFile) -> tuple[np.ndarray, ...] | None:
    """Vectorised parse of a clean `.dat` file; None if anything looks off (then the slow path runs)."""
    text = source.read().decode("latin-1").replace("\r", "")
    if not text.strip():
        raise DataError(source.name, None, "the file is empty")
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    parts = text.replace("::", "\n").split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    if len(parts) != 4 * lines:
        return None
    try:
        values = np.array(parts, dtype=np.int64).reshape(-1, 4)
    except (ValueError, OverflowError):
        return None
    if values.min(initial=0) < 0:
        return None
    return values[:, 0], values[:, 1], values[:, 2], values[:, 3]


def _slow_ratings(source: SourceFile, users: dict[int, User], movies: dict[int, Movie]) -> tuple[np.ndarray, ...]:
    columns: list[list[int]] = [[], [], [], []]
    for line, fields in _rows(source, "ratings"):
        user_id = _int(source, line, "user id", fields[0])
        movie_id = _int(source, line, "movie id", fields[1])
        if not _INT.match(fields[2].strip()) or not 1 <= int(fields[2]) <= 5:
            raise DataError(source.name, line, f"rating must be 1..5, got {_clip(fields[2])!r}")
        stamp = _int(source, line, "timestamp", fields[3])
        if user_id not in users:
            raise DataError(source.name, line, f"user id {user_id} is not in the users file")
        if movie_id not in movies:
            raise DataError(source.name, line, f"movie id {movie_id} is not in the movies file")
        for column, value in zip(columns, (user_id, movie_id, int(fields[2]), stamp), strict=True):
            column.append(value)
    return tuple(np.array(c, dtype=np.int64) for c in columns)
