"""Reading a ratings file (up to 32 million lines) into arrays with pandas.

Machine-written files (every MovieLens release) take the fast path: one `read_csv` with fixed
dtypes, allowed only when the bytes hold nothing but digits, points, separators and line ends, so
that the C parser cannot read anything the strict rules would reject. Anything else (a stray
character, a missing field, quotes and spaces in a hand-written CSV) goes through the strict path,
which checks every field of every line with vectorised string rules and names the first bad line.
Either way the values are then checked in bulk (`check_values`).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from movierec_tui.data_loader.dataset import pair_keys
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.sources import SourceFile
from movierec_tui.data_loader.table import (
    INT32_MAX,
    INT64_MAX,
    Checks,
    Lines,
    check_ratings,
    clip,
    csv_header,
    first_repeat,
    member,
    ratings_column,
    whole_numbers,
)

COLUMNS = ("user_id", "movie_id", "rating", "timestamp")
# The ways MovieLens writes a rating; the fast path reads them as labels (see `_fast`).
_LABELS = [f"{half / 2:.1f}" for half in range(1, 11)] + [str(star) for star in range(1, 6)]
_LABEL_VALUES = np.array([float(label) for label in _LABELS], dtype=np.float32)
# Ids beyond int32 fail the fast read (the strict path names them); 32M ratings take 17 bytes each.
_DTYPES = {"user_id": "int32", "movie_id": "int32", "rating": pd.CategoricalDtype(_LABELS), "timestamp": "int64"}
_PLAIN_BYTES = b"0123456789.\r\n"
STRICT_CHUNK = 16 << 20  # bytes of lines the strict path checks at once


@dataclass
class RatingRows:
    """Ratings in file order (ids int32 or int64, ratings float32 or float64, until checked), and the
    line of each row."""

    user_ids: np.ndarray
    movie_ids: np.ndarray
    ratings: np.ndarray
    timestamps: np.ndarray
    checks: Checks  # failures found so far, reported with the value checks


def read_ratings(source: SourceFile, sep: str, header: tuple[str, ...] | None = None) -> RatingRows:
    """The rows of `source`: fields separated by `sep`, after `header` (a CSV header) if given."""
    data = source.data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip(b" \t\r\n"):
        raise DataError(source.name, None, "the file is empty")
    body, first_line = data, 1
    if header is not None:
        newline = data.find(b"\n")
        head = data[: len(data) if newline < 0 else newline].decode("latin-1")
        names, _ = csv_header(source, head)
        if tuple(names) != header:
            raise DataError(source.name, 1, f"header must be {','.join(header)}, got {clip(head.rstrip())!r}")
        body, first_line = (b"" if newline < 0 else data[newline + 1 :]), 2
        if not body.strip(b" \t\r\n"):
            raise DataError(source.name, None, "no ratings")
    fast = _fast(body, sep)
    if fast is None:
        return _strict(source, body, sep, first_line)
    return RatingRows(*fast, checks=Checks(source.name, _line_finder(body, first_line)))


def _fast(body: bytes, sep: str) -> tuple[np.ndarray, ...] | None:
    """The four columns by one `read_csv`, or None when the strict path must look. Only plain bytes
    get here, and the parser is held to the strict rules: the ratings are read as labels ("4", "4.5",
    "4.0"; anything else is missing and sends the file to the strict path), and no decimal point is
    understood elsewhere (the C parser would read "1." as the whole number 1)."""
    if body.translate(None, _PLAIN_BYTES + sep.encode()) or body.count(b"\r") != body.count(b"\r\n"):
        return None
    if sep == "::":  # the C parser takes one-character separators; a ':' left over fails to parse
        body, sep = body.replace(b"::", b"\t"), "\t"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "a label not in the categories will raise one day": strict path then
            frame = pd.read_csv(
                io.BytesIO(body),
                sep=sep,
                header=None,
                names=list(COLUMNS),
                dtype=_DTYPES,
                engine="c",
                quoting=csv.QUOTE_NONE,
                na_filter=False,
                skip_blank_lines=True,
                decimal="\x01",
            )
    except (ValueError, TypeError, OverflowError, pd.errors.EmptyDataError):  # ParserError is a ValueError
        return None
    codes = frame["rating"].cat.codes.to_numpy()
    if (codes < 0).any():
        return None
    ratings = _LABEL_VALUES[codes]
    return frame["user_id"].to_numpy(), frame["movie_id"].to_numpy(), ratings, frame["timestamp"].to_numpy()


def _line_finder(body: bytes, first_line: int) -> Callable[[int], int]:
    """The line of a row of the fast path, found only when a row is reported (blank lines count)."""

    def line_of(row: int) -> int:
        data = np.frombuffer(body, dtype=np.uint8)
        ends = np.flatnonzero(data == ord("\n"))
        starts = np.concatenate(([0], ends + 1))
        lengths = np.concatenate((ends, [len(data)])) - starts
        first_char = data[np.minimum(starts, max(len(data) - 1, 0))] if len(data) else np.zeros(0, np.uint8)
        blank = (lengths == 0) | ((lengths == 1) & (first_char == ord("\r")))
        return first_line + int(np.flatnonzero(~blank)[row])

    return line_of


def _strict(source: SourceFile, body: bytes, sep: str, first_line: int) -> RatingRows:
    """Every field of every line checked, in chunks of lines (a 32-million-line file never sits in
    memory as Python strings at once); a chunk's first failure is kept, not raised, so that the
    value checks that follow can still name an earlier line."""
    parts: list[tuple[np.ndarray, ...]] = []
    numbers: list[np.ndarray] = []
    found = Checks(source.name, lambda row: int(line_numbers[row]))
    start, line, rows = 0, first_line, 0
    while start < len(body):
        stop = body.rfind(b"\n", start, start + STRICT_CHUNK) + 1 if len(body) - start > STRICT_CHUNK else len(body)
        if stop <= start:  # one line longer than a chunk
            stop = body.find(b"\n", start) + 1 or len(body)
        chunk = body[start:stop]
        lines = Lines.of(source, chunk.decode("latin-1"), line)
        checks = lines.checks()
        fields = lines.csv(checks, COLUMNS) if source.is_csv else lines.split(checks, sep, COLUMNS)
        parts.append(
            (
                whole_numbers(checks, fields["user_id"], "user id", INT32_MAX),
                whole_numbers(checks, fields["movie_id"], "movie id", INT32_MAX),
                ratings_column(checks, fields["rating"]),
                whole_numbers(checks, fields["timestamp"], "timestamp", INT64_MAX),
            )
        )
        numbers.append(lines.numbers)
        found.merge(checks, rows)
        rows += len(lines)
        line += chunk.count(b"\n")
        start = stop
    line_numbers = np.concatenate(numbers) if numbers else np.zeros(0, dtype=np.int64)
    columns = [np.concatenate([part[i] for part in parts]) for i in range(4)] if parts else []
    if not columns:
        columns = [np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64)]
    return RatingRows(*columns, checks=found)


def check_values(
    source: SourceFile, rows: RatingRows, movie_ids: np.ndarray, user_ids: np.ndarray | None, users_file: str
) -> np.ndarray:
    """Ratings in half stars, ids in range and known (`user_ids` None: any user), each (user, movie)
    pair once. Raises the DataError of the first bad line; returns the rows' order by (user, movie)."""
    checks = rows.checks
    u, m = rows.user_ids, rows.movie_ids
    checks.add(u > INT32_MAX, lambda i: f"user id must be at most {INT32_MAX}, got '{u[i]}'")
    checks.add(m > INT32_MAX, lambda i: f"movie id must be at most {INT32_MAX}, got '{m[i]}'")
    check_ratings(checks, rows.ratings)
    if user_ids is not None:
        checks.add(~member(u, user_ids), lambda i: f"user id {u[i]} is not in {users_file}")
    checks.add(~member(m, movie_ids), lambda i: f"movie id {m[i]} is not in the movies file")
    checks.raise_first()
    if not len(u):
        raise DataError(source.name, None, "no ratings")
    keys = pair_keys(u, m)
    order = np.argsort(keys)
    ordered = keys[order]
    if (ordered[1:] == ordered[:-1]).any():  # a pair rated twice: name the earliest line that repeats one
        repeat = first_repeat(keys)
        assert repeat is not None
        row, first = repeat
        message = f"user {u[row]} rated movie {m[row]} twice (first on line {checks.line_of(first)})"
        raise DataError(source.name, checks.line_of(row), message)
    return order
