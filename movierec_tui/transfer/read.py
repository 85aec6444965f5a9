"""Reading an export into rows, all or nothing: any bad line is a DataError (`file:line: what`)
raised before a single row is matched, so a bad file never changes a profile.

The format comes from the header, never from guessing at the rows:

| format              | header (extra columns are ignored)                      | rows become            |
|---------------------|---------------------------------------------------------|------------------------|
| letterboxd-ratings  | Date, Name, Year, Letterboxd URI, Rating (also diary.csv) | ratings, half stars   |
| letterboxd-watched  | Date, Name, Year, Letterboxd URI (file named watched*)  | seen                   |
| letterboxd-watchlist| Date, Name, Year, Letterboxd URI (file named watchlist*)| watchlist              |
| imdb-ratings        | Const, Your Rating, Date Rated, Title, ..., Year        | ratings, 1-10 -> 0.5-5 |
| imdb-watchlist      | Position, Const, ..., Title, ..., Year                  | watchlist              |
| csv                 | title, year, rating [, list, imdb_id]                   | ratings (or the list)  |

A Letterboxd export as downloaded (a zip) is read whole: its ratings.csv, watched.csv and
watchlist.csv, in that order.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from movierec_tui.data_loader.errors import DataError

RATINGS, SEEN, WATCHLIST = "ratings", "seen", "watchlist"  # where a row goes in the profile
MAX_FILE_BYTES = 50_000_000  # no real export is near this; a bigger file is not one
MAX_ROWS = 200_000
LETTERBOXD_MEMBERS = ("ratings.csv", "watched.csv", "watchlist.csv")  # read from a Letterboxd zip
# IMDb title types that are never a movie of a MovieLens catalogue (a series can share a movie's title).
NOT_MOVIES = frozenset({"tvSeries", "tvMiniSeries", "tvEpisode", "tvShort", "videoGame", "podcastSeries",
                        "podcastEpisode", "musicVideo"})  # fmt: skip
_IMDB_ID = re.compile(r"^tt\d{5,10}$")


@dataclass(frozen=True)
class ImportRow:
    """One line of an export: a movie, and what to do with it."""

    file: str  # base name, or "export.zip/ratings.csv" for a zip member
    line: int  # 1-based, the header is line 1
    title: str
    year: int | None
    target: str  # RATINGS, SEEN or WATCHLIST
    rating: float | None = None  # half stars 0.5..5, for RATINGS rows
    imdb_id: str | None = None  # "tt0114709"
    original_title: str | None = None  # IMDb's title in its own language, tried after `title`
    date: str = ""  # ISO date (YYYY-MM-DD) or empty: orders the ratings, oldest first
    not_a_movie: str | None = None  # IMDb's title type when it is a series, an episode, ...

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class ExportFile:
    """What was read from one file (or zip member): its format and its rows."""

    name: str
    format: str
    rows: list[ImportRow]


def read_export(path: Path) -> list[ExportFile]:
    """Every file of the export at `path` (a CSV, or a Letterboxd zip), checked whole; DataError on
    the first bad line, OSError if it cannot be read at all."""
    path = Path(path)
    if path.is_dir():
        raise DataError(path.name, None, "is a folder; give the export's CSV file (or Letterboxd's zip)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataError(path.name, None, f"is {size:,} bytes, too big for an export (at most {MAX_FILE_BYTES:,})")
    data = path.read_bytes()
    if zipfile.is_zipfile(io.BytesIO(data)):
        return _read_zip(path.name, data)
    return [read_csv_text(path.name, _decode(path.name, data))]


def _read_zip(name: str, data: bytes) -> list[ExportFile]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {Path(m).name: m for m in archive.namelist() if not m.endswith("/")}
        found = [m for m in LETTERBOXD_MEMBERS if m in members]
        if not found:
            wanted = ", ".join(LETTERBOXD_MEMBERS)
            raise DataError(name, None, f"a zip without {wanted}: not a Letterboxd export")
        files = []
        for member in found:
            info = archive.getinfo(members[member])
            label = f"{name}/{member}"
            if info.file_size > MAX_FILE_BYTES:
                raise DataError(label, None, f"is {info.file_size:,} bytes, too big for an export")
            files.append(read_csv_text(label, _decode(label, archive.read(info))))
        return files


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataError(name, line, "is not UTF-8 text (exports are; save it as UTF-8)") from None


def read_csv_text(name: str, text: str) -> ExportFile:
    """One CSV export's rows; `name` says where (and, for Letterboxd's lists, which list)."""
    records = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(records, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(records, None)
        if header is None:
            raise DataError(name, 1, "empty file: expected a header such as Date,Name,Year,Letterboxd URI,Rating")
        columns = {cell.strip().casefold(): i for i, cell in enumerate(header)}
        fmt, parse = _format_of(name, columns)
        rows: list[ImportRow] = []
        for record in records:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise DataError(name, records.line_num, f"more than {MAX_ROWS:,} rows: not an export")
            cells = _Cells(name, records.line_num, columns, record, header)
            rows.append(parse(cells))
    except csv.Error as exc:
        raise DataError(name, records.line_num, f"not valid CSV: {exc}") from None
    return ExportFile(name, fmt, rows)


class _Cells:
    """One CSV record, read by column name, each failure naming the file, line and column."""

    def __init__(self, file: str, line: int, columns: dict[str, int], record: list[str], header: list[str]) -> None:
        self.file, self.line, self.columns, self.record, self.header = file, line, columns, record, header

    def error(self, message: str) -> DataError:
        return DataError(self.file, self.line, message)

    def label(self, column: str) -> str:
        """The column as the file spells it ("Your Rating", "rating")."""
        return self.header[self.columns[column]].strip() if column in self.columns else column

    def text(self, column: str, required: bool = False) -> str:
        i = self.columns.get(column)
        value = self.record[i].strip() if i is not None and i < len(self.record) else ""
        if required and not value:
            raise self.error(f"{self.label(column)} is empty")
        return value

    def year(self, column: str) -> int | None:
        value = self.text(column)
        if not value:
            return None
        if not value.isdigit() or not 1870 <= int(value) <= 2100:
            raise self.error(f"{self.label(column)} {value!r} is not a year")
        return int(value)

    def half_stars(self, column: str) -> float:
        value = self.text(column, required=True)
        try:
            rating = float(value)
        except ValueError:
            rating = -1.0
        if not 0.5 <= rating <= 5.0 or not (rating * 2).is_integer():
            raise self.error(f"{self.label(column)} {value!r} is not 0.5..5 in half stars")
        return rating

    def imdb_rating(self, column: str) -> float:
        """IMDb's 1-10 as half stars: 10 is 5 stars, 7 is 3.5, 1 is half a star."""
        value = self.text(column, required=True)
        if not value.isdigit() or not 1 <= int(value) <= 10:
            raise self.error(f"{self.label(column)} {value!r} is not 1..10")
        return int(value) / 2

    def date(self, column: str) -> str:
        value = self.text(column)
        if not value:
            return ""
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise self.error(f"{self.label(column)} {value!r} is not a date (YYYY-MM-DD)") from None

    def imdb_id(self, column: str, required: bool = False) -> str | None:
        value = self.text(column, required=required)
        if not value:
            return None
        if not _IMDB_ID.match(value):
            raise self.error(f"{self.label(column)} {value!r} is not an IMDb id such as tt0114709")
        return value


Parser = Callable[[_Cells], ImportRow]


def _format_of(name: str, columns: dict[str, int]) -> tuple[str, Parser]:
    has = columns.keys().__contains__
    base = Path(name).name.casefold()
    if all(map(has, ("name", "year", "letterboxd uri"))):
        if has("rating"):
            return "letterboxd-ratings", _letterboxd(RATINGS)
        if "watchlist" in base:
            return "letterboxd-watchlist", _letterboxd(WATCHLIST)
        return "letterboxd-watched", _letterboxd(SEEN)
    if has("const") and has("title"):
        if has("your rating"):
            return "imdb-ratings", _imdb_ratings
        return "imdb-watchlist", _imdb_watchlist
    if has("title") and has("year") and (has("rating") or has("list")):
        return "csv", _plain
    shown = ",".join(sorted(columns, key=columns.__getitem__))[:120]
    raise DataError(
        name,
        1,
        f"unknown header {shown!r}: expected Letterboxd's (Date,Name,Year,Letterboxd URI,Rating), "
        "IMDb's (Const,Your Rating,Date Rated,Title,...,Year) or title,year,rating",
    )


def _letterboxd(target: str) -> Parser:
    def parse(cells: _Cells) -> ImportRow:
        # diary.csv has a "Watched Date" too; it says when, better than the day it was logged.
        when = cells.date("watched date") or cells.date("date")
        rating = cells.half_stars("rating") if target == RATINGS else None
        return _row(cells, "name", target, rating, date=when)

    return parse


def _row(cells: _Cells, title_column: str, target: str, rating: float | None, **more: str | None) -> ImportRow:
    """The row's title and year (every format has both), and what the format adds."""
    title = cells.text(title_column, required=True)
    return ImportRow(cells.file, cells.line, title, cells.year("year"), target, rating, **more)  # type: ignore[arg-type]


def _imdb_row(cells: _Cells, target: str, rating: float | None, when: str) -> ImportRow:
    kind = cells.text("title type")
    return _row(
        cells,
        "title",
        target,
        rating,
        imdb_id=cells.imdb_id("const", required=True),
        original_title=cells.text("original title") or None,
        date=when,
        not_a_movie=kind if kind in NOT_MOVIES else None,
    )


def _imdb_ratings(cells: _Cells) -> ImportRow:
    return _imdb_row(cells, RATINGS, cells.imdb_rating("your rating"), cells.date("date rated"))


def _imdb_watchlist(cells: _Cells) -> ImportRow:
    return _imdb_row(cells, WATCHLIST, None, cells.date("created"))


def _plain(cells: _Cells) -> ImportRow:
    """title,year,rating; an optional `list` column (watchlist, seen) puts a row on a list instead."""
    listed = cells.text("list").casefold()
    if listed not in ("", RATINGS, "rated", SEEN, WATCHLIST):
        raise cells.error(f"list {listed!r} is not one of watchlist, seen (or empty for a rating)")
    target = {"": RATINGS, "rated": RATINGS}.get(listed, listed)
    rating = cells.half_stars("rating") if target == RATINGS else None
    return _row(cells, "title", target, rating, imdb_id=cells.imdb_id("imdb_id"))
