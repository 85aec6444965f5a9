"""Finding each imported row's movie, without ever guessing.

A row is matched only when one movie is certain:
1. by its IMDb id, where the catalogue has links (ml-latest and later releases ship links.csv);
2. else by title and year: the title equal up to case, accents, punctuation and articles ("The
   Matrix" == "Matrix, The" == "matrix"), as the main, the whole or an alternate title ("Se7en",
   "Il Postino"), and the year equal, or one off when no movie of that title has the year itself
   (release years differ by a year between sites) and the article agrees too. A candidate whose own
   IMDb id differs from the row's is never it.
Everything else is reported, never acted on: several movies fit (ambiguous, with the candidates),
the row gives no year to confirm the one title found (ambiguous), or nothing fits (not in the
catalogue, with the nearest titles as suggestions). Popularity never breaks a tie here: unlike a
title typed in the chat, a file's row cannot be asked about before it is acted on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.transfer.read import ImportRow
from movierec_tui.wording import title_with_year

MATCHED, AMBIGUOUS, NOT_FOUND = "matched", "ambiguous", "not in catalogue"
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Candidate:
    movie_id: int
    title: str  # as a person writes it: "The Matrix (1999)"

    @classmethod
    def of(cls, entry: TitleEntry) -> Candidate:
        return cls(entry.movie_id, title_with_year(entry))


@dataclass(frozen=True)
class RowMatch:
    row: ImportRow
    outcome: str  # MATCHED, AMBIGUOUS or NOT_FOUND
    movie: Candidate | None = None  # the match
    how: str = ""  # "imdb id", "title and year", "title, year off by one"
    candidates: tuple[Candidate, ...] = ()  # what it might be (ambiguous) or the nearest titles
    why: str = ""  # for a row not matched, one line

    def to_json(self) -> dict:
        row = self.row
        data: dict = {"where": row.where, "title": row.title, "year": row.year, "list": row.target}
        if row.rating is not None:
            data["rating"] = row.rating
        if row.imdb_id:
            data["imdb_id"] = row.imdb_id
        if self.movie is not None:
            data |= {"movie_id": self.movie.movie_id, "movie": self.movie.title, "how": self.how}
        else:
            data["why"] = self.why
            data["candidates"] = [{"movie_id": c.movie_id, "movie": c.title} for c in self.candidates]
        return data


@dataclass
class ImportReport:
    """Every row's outcome, in file order."""

    rows: list[RowMatch] = field(default_factory=list)

    def of(self, outcome: str) -> list[RowMatch]:
        return [m for m in self.rows if m.outcome == outcome]

    @property
    def matched(self) -> list[RowMatch]:
        return self.of(MATCHED)

    @property
    def ambiguous(self) -> list[RowMatch]:
        return self.of(AMBIGUOUS)

    @property
    def not_found(self) -> list[RowMatch]:
        return self.of(NOT_FOUND)

    def to_json(self) -> dict:
        return {
            "matched": [m.to_json() for m in self.matched],
            "ambiguous": [m.to_json() for m in self.ambiguous],
            "not_in_catalogue": [m.to_json() for m in self.not_found],
        }


class RowMatcher:
    """The title index and the catalogue's IMDb links, prepared once for many rows."""

    def __init__(self, titles: TitleIndex, links: Mapping[int, str] | None = None) -> None:
        self.titles = titles
        self.links = dict(links or {})
        self.by_imdb: dict[str, int] = {}
        for movie_id, imdb_id in self.links.items():
            self.by_imdb.setdefault(imdb_id, movie_id)
        self._entries = {entry.movie_id: entry for entry in titles.entries()}

    def match(self, row: ImportRow) -> RowMatch:
        if row.not_a_movie:
            return RowMatch(row, NOT_FOUND, why=f"a {row.not_a_movie}, not a movie")
        if row.imdb_id and row.imdb_id in self.by_imdb:
            entry = self._entries.get(self.by_imdb[row.imdb_id])
            if entry is not None:
                return RowMatch(row, MATCHED, Candidate.of(entry), "imdb id")
        same = self._same_title(row)
        if row.year is None:
            if not same:
                return self._not_found(row, "no movie of that title", years=None)
            return RowMatch(row, AMBIGUOUS, candidates=_candidates(same), why="no year to confirm which movie")
        exact = [e for e in same if e.year == row.year]
        if len(exact) == 1:
            return RowMatch(row, MATCHED, Candidate.of(exact[0]), "title and year")
        if len(exact) > 1:
            why = f"{len(exact)} movies of that title and year"
            return RowMatch(row, AMBIGUOUS, candidates=_candidates(exact), why=why)
        near = [e for e in same if e.year is not None and abs(e.year - row.year) == 1]
        # A year off and an article off together is too loose: "Fear" (1996) is not "The Fear" (1995).
        strict = {e.movie_id for e in self._same_title(row, keep_article=True)}
        if len(near) == 1 and near[0].movie_id in strict:
            return RowMatch(row, MATCHED, Candidate.of(near[0]), "title, year off by one")
        if near:
            why = "a year off" if len(near) == 1 else "movies of that title a year either side"
            return RowMatch(row, AMBIGUOUS, candidates=_candidates(near), why=why + ", to confirm")
        if same:
            return RowMatch(row, NOT_FOUND, candidates=_candidates(same), why=f"that title, but not from {row.year}")
        return self._not_found(row, "no movie of that title", years=(row.year - 1, row.year, row.year + 1))

    def _same_title(self, row: ImportRow, keep_article: bool = False) -> list[TitleEntry]:
        """Movies titled as the row is (or as its original title is), none whose IMDb id says otherwise."""
        found: dict[int, TitleEntry] = {}
        for title in dict.fromkeys(t for t in (row.title, row.original_title) if t):
            found.update((e.movie_id, e) for e in self.titles.same_title(title, keep_article))
        entries = list(found.values())
        if row.imdb_id:
            entries = [e for e in entries if self.links.get(e.movie_id, row.imdb_id) == row.imdb_id]
        return entries

    def _not_found(self, row: ImportRow, why: str, years: Iterable[int] | None) -> RowMatch:
        """No movie of that title: in the catalogue under another name (ambiguous, to confirm) when a
        franchise entry ("Star Wars" -> Episode IV) or a title a typo away fits the years; else not
        in the catalogue."""
        years = None if years is None else list(years)
        heads = [e for e in self.titles.same_head(row.title) if years is None or e.year in years]
        alike = self.titles.spelled_alike(row.title, years, limit=MAX_SUGGESTIONS)
        suggestions = [
            e for e in {e.movie_id: e for e in (*heads, *alike)}.values()
            if not row.imdb_id or self.links.get(e.movie_id, row.imdb_id) == row.imdb_id
        ]  # fmt: skip
        if suggestions:
            return RowMatch(row, AMBIGUOUS, candidates=_candidates(suggestions, by_year=False),
                            why="no movie of exactly that title")  # fmt: skip
        return RowMatch(row, NOT_FOUND, why=why)


def _candidates(entries: Sequence[TitleEntry], by_year: bool = True) -> tuple[Candidate, ...]:
    """At most MAX_SUGGESTIONS, oldest first (or in the order given: best suggestion first)."""
    ordered = sorted(entries, key=lambda e: (e.year is None, e.year or 0, e.movie_id)) if by_year else entries
    return tuple(Candidate.of(e) for e in ordered[:MAX_SUGGESTIONS])


def match_rows(rows: Iterable[ImportRow], titles: TitleIndex, links: Mapping[int, str] | None = None) -> ImportReport:
    matcher = RowMatcher(titles, links)
    return ImportReport([matcher.match(row) for row in rows])
