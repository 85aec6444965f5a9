"""Putting matched rows into a profile, idempotently: importing the same file twice changes nothing
the second time, and importing it onto a profile keeps what the profile had that the file does not
mention.

- A rating sets the movie's rating (a changed rating keeps its place in the profile's order; new
  ones are appended oldest first by the export's dates, as the model weighs the latest most). A
  movie rated twice in one import keeps its latest rating. A rated movie leaves the seen list and
  the watchlist: it has been seen, and rated.
- A watched row (Letterboxd's watched.csv, which also lists every rated movie) marks a movie seen
  unless it has a rating.
- A watchlist row adds the movie to the watchlist unless it is rated or seen.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from movierec_tui.profile import Profile
from movierec_tui.transfer.match import ImportReport
from movierec_tui.transfer.read import RATINGS, SEEN, WATCHLIST


@dataclass
class ImportChanges:
    ratings_added: list[int] = field(default_factory=list)
    ratings_changed: list[int] = field(default_factory=list)
    seen_added: list[int] = field(default_factory=list)
    watchlist_added: list[int] = field(default_factory=list)
    unlisted: list[int] = field(default_factory=list)  # left the seen list or watchlist on being rated

    @property
    def any(self) -> bool:
        lists = (self.ratings_added, self.ratings_changed, self.seen_added, self.watchlist_added, self.unlisted)
        return any(lists)

    def to_json(self) -> dict[str, int]:
        return {
            "ratings_added": len(self.ratings_added),
            "ratings_changed": len(self.ratings_changed),
            "seen_added": len(self.seen_added),
            "watchlist_added": len(self.watchlist_added),
        }


def apply_import(profile: Profile, report: ImportReport) -> tuple[Profile, ImportChanges]:
    """A new profile: `profile` with the report's matched rows in it (`profile` is not touched)."""
    result = copy.deepcopy(profile)
    changes = ImportChanges()
    matched = report.matched
    order = sorted(range(len(matched)), key=lambda i: (matched[i].row.date, i))  # oldest first, stable

    latest: dict[int, float] = {}
    for i in order:
        match = matched[i]
        if match.row.target == RATINGS and match.row.rating is not None and match.movie is not None:
            latest.pop(match.movie.movie_id, None)  # re-inserted: its place is its latest date
            latest[match.movie.movie_id] = match.row.rating
    for movie_id, rating in latest.items():
        if movie_id not in result.ratings:
            changes.ratings_added.append(movie_id)
        elif result.ratings[movie_id] != rating:
            changes.ratings_changed.append(movie_id)
        result.ratings[movie_id] = rating
    for name in ("seen", "watchlist"):
        kept = [m for m in getattr(result, name) if m not in latest]
        changes.unlisted += [m for m in getattr(result, name) if m in latest]
        setattr(result, name, kept)

    for i in order:
        match = matched[i]
        movie_id = match.movie.movie_id if match.movie is not None else None
        if movie_id is None or movie_id in result.ratings:
            continue
        if match.row.target == SEEN and movie_id not in result.seen:
            result.seen.append(movie_id)
            changes.seen_added.append(movie_id)
        elif match.row.target == WATCHLIST and movie_id not in result.seen and movie_id not in result.watchlist:
            result.watchlist.append(movie_id)
            changes.watchlist_added.append(movie_id)
    result.validate()
    return result, changes
