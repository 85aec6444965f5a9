"""Line-oriented text as pandas columns, checked in bulk, naming the first bad line.

Every check is a vectorised mask over a whole column; `Checks` collects them and reports the
earliest row any of them rejects (for one row, the first check added wins, so the message names
the first bad field of the first bad line). Line numbers are those of the file: blank lines are
skipped but counted, and a header is line 1.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.sources import SourceFile

INT32_MAX = 2**31 - 1  # ids end up in int32 arrays
INT64_MAX = 2**63 - 1  # timestamps end up in int64 arrays
BLANK = " \t\r"  # a line made only of these is skipped
_QUOTED = r'"(?:[^"]|"")*"'  # one quoted CSV field, with "" for a quote inside


def clip(text: object, limit: int = 60) -> str:
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def decode(source: SourceFile, utf8_only: bool) -> str:
    """The file's text. CSV files are UTF-8 (a bad byte is named with its line); MovieLens' .dat
    and u.* files are latin-1 in the older releases, so they are read as UTF-8 when they are valid
    UTF-8 and as latin-1 (where every byte is a character) otherwise."""
    data = source.data
    if not data.strip(BLANK.encode() + b"\n"):
        raise DataError(source.name, None, "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not utf8_only:
            return data.removeprefix(b"\xef\xbb\xbf").decode("latin-1")
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(source.name, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})") from None


@dataclass
class Lines:
    """The non-blank lines of a file (without their line ends) and their 1-based numbers."""

    source: SourceFile
    text: pd.Series  # str, index 0..n-1
    numbers: np.ndarray  # int64

    @classmethod
    def of(cls, source: SourceFile, text: str, first_line: int = 1) -> Lines:
        raw = pd.Series(text.split("\n"), dtype="str").str.removesuffix("\r")
        keep = (raw.str.strip(BLANK) != "").to_numpy()
        numbers = np.flatnonzero(keep).astype(np.int64) + first_line
        return cls(source, raw[keep].reset_index(drop=True), numbers)

    def __len__(self) -> int:
        return len(self.text)

    def checks(self) -> Checks:
        return Checks(self.source.name, lambda row: int(self.numbers[row]))

    def split(self, checks: Checks, sep: str, names: tuple[str, ...]) -> pd.DataFrame:
        """Fields separated by `sep` (no quoting, as in MovieLens' .dat and u.* files). A line with
        another number of fields is a failure in `checks`; its fields are left empty."""
        counts = self.text.str.count(re.escape(sep)).to_numpy() + 1
        checks.add(
            counts != len(names),
            lambda i: f"expected {len(names)} fields separated by {sep!r}, got {counts[i]}: {clip(self.text.iat[i])!r}",
        )
        if not len(self.text):
            return _empty(names)
        table = self.text.str.split(sep, n=len(names) - 1, expand=True, regex=False)
        for column in range(len(names)):  # every line too short: split made fewer columns
            if column not in table:
                table[column] = ""
        table = table[list(range(len(names)))].fillna("")
        table.columns = list(names)
        table.loc[counts != len(names)] = ""
        return table

    def csv(self, checks: Checks, names: tuple[str, ...]) -> pd.DataFrame:
        """Comma-separated fields with CSV quoting ("Matrix, The"), each stripped of spaces. A line
        with another number of fields or an open quote is a failure in `checks`; its fields are empty."""
        unquoted = self.text.str.replace(_QUOTED, "", regex=True)
        counts = unquoted.str.count(",").to_numpy() + 1
        open_quote = unquoted.str.contains('"', regex=False).to_numpy(dtype=bool)
        checks.add(open_quote, lambda i: "malformed CSV: unbalanced quotes")
        checks.add(counts != len(names), lambda i: f"expected {len(names)} fields, got {counts[i]}")
        good = ~open_quote & (counts == len(names))
        if not len(self.text):
            return _empty(names)
        parsed = pd.read_csv(
            io.StringIO("\n".join(self.text[good])),
            header=None,
            names=list(names),
            dtype="str",
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
        if len(parsed) != int(good.sum()):  # a quote read differently by the counts above and the reader
            row = int(np.flatnonzero(good)[0])
            raise DataError(self.source.name, int(self.numbers[row]), "malformed CSV: could not read the quoting")
        parsed = pd.DataFrame({name: parsed[name].astype("str").str.strip(BLANK) for name in names})
        if good.all():
            return parsed
        parsed.index = np.flatnonzero(good)  # the bad lines' fields stay empty
        return parsed.reindex(range(len(self.text)), fill_value="")


def _empty(names: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series([], dtype="str") for name in names})


def csv_header(source: SourceFile, text: str) -> tuple[list[str], str]:
    """The header's column names (lower-cased, unquoted, stripped) and the text after it."""
    first, _, rest = text.partition("\n")
    names = [field.strip(BLANK).strip('"').strip(BLANK).lower() for field in first.rstrip("\r").split(",")]
    return names, rest


class Checks:
    """Masks of bad rows, each with the message for a row; `raise_first` names the earliest."""

    def __init__(self, file: str, line_of: Callable[[int], int]) -> None:
        self.file = file
        self.line_of = line_of
        self.first: tuple[int, Callable[[int], str]] | None = None

    def add(self, bad: np.ndarray | pd.Series, message: Callable[[int], str]) -> None:
        hits = np.flatnonzero(np.asarray(bad, dtype=bool))
        if len(hits) and (self.first is None or hits[0] < self.first[0]):
            self.first = (int(hits[0]), message)

    def merge(self, other: Checks, offset: int) -> None:
        """Take `other`'s first failure, found in rows that start at row `offset` of these checks."""
        if other.first is not None:
            row, message = other.first
            if self.first is None or row + offset < self.first[0]:
                self.first = (row + offset, lambda i: message(i - offset))

    def raise_first(self) -> None:
        if self.first is not None:
            row, message = self.first
            raise DataError(self.file, self.line_of(row), message(row))


def whole_numbers(checks: Checks, column: pd.Series, what: str, limit: int) -> np.ndarray:
    """The column as int64, checking that each value is plain digits no larger than `limit`."""
    plain = column.str.fullmatch(r"[0-9]+").fillna(False).to_numpy(dtype=bool)
    digits = column.str.lstrip("0").where(plain, "0").replace("", "0")
    widest = str(limit)
    over = ((digits.str.len() > len(widest)) | ((digits.str.len() == len(widest)) & (digits > widest))).to_numpy()
    checks.add(~plain, lambda i: f"{what} must be a whole number, got {clip(column.iat[i])!r}")
    checks.add(over, lambda i: f"{what} must be at most {limit}, got {clip(column.iat[i])!r}")
    return pd.to_numeric(digits.where(~over, "0")).to_numpy(dtype=np.int64)


def optional(column: pd.Series) -> np.ndarray:
    """Which values are present (not empty)."""
    return (column != "").to_numpy(dtype=bool)


def ratings_column(checks: Checks, column: pd.Series) -> np.ndarray:
    """Ratings as float64 ("4", "4.5", "4.0", ".5"), checked by `check_ratings` once numeric."""
    number = column.str.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+").fillna(False).to_numpy(dtype=bool)
    checks.add(~number, lambda i: f"rating must be 0.5..5 in half stars, got {clip(column.iat[i])!r}")
    return pd.to_numeric(column.where(number, "0")).to_numpy(dtype=np.float64)


def check_ratings(checks: Checks, values: np.ndarray) -> None:
    bad = ~((values >= 0.5) & (values <= 5.0) & (np.rint(values * 2) == values * 2))
    checks.add(bad, lambda i: f"rating must be 0.5..5 in half stars, got {_number(values[i])!r}")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def member(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """`values in ids`, element-wise, by a lookup table over the id range (MovieLens ids stay below a
    few hundred thousand); a searchsorted for ids too sparse for a table."""
    if not len(ids):
        return np.zeros(len(values), dtype=bool)
    top = int(ids.max())
    if top <= 64 * len(ids) + 1_000_000:
        table = np.zeros(top + 2, dtype=bool)
        table[ids] = True
        return table[np.clip(values, -1, top + 1)]  # -1 and top + 1 both land on a False entry
    ordered = np.sort(ids)
    index = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[index] == values


def first_repeat(keys: np.ndarray) -> tuple[int, int] | None:
    """(row, row of its first occurrence) of the earliest key seen before, or None."""
    repeated = pd.Series(keys).duplicated(keep="first").to_numpy()
    hits = np.flatnonzero(repeated)
    if not len(hits):
        return None
    row = int(hits[0])
    return row, int(np.flatnonzero(keys[:row] == keys[row])[0])
