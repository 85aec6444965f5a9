"""A profile's ratings and lists written out: as Letterboxd's export (a zip of ratings.csv,
watched.csv and watchlist.csv, which imports back into the same profile), as a plain CSV
(title,year,rating,list,imdb_id, which imports back too) or as JSON for scripts.

Pure: the caller brings the catalogue's titles (and IMDb links, where it has them). A movie the
catalogue no longer has cannot be named, so it is left out and counted (`Export.left_out`).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from movierec_tui.profile import Profile
from movierec_tui.titles import TitleEntry
from movierec_tui.wording import front_article, split_alternates

FORMATS = ("letterboxd", "csv", "json")
LETTERBOXD_HEADER = ["Date", "Name", "Year", "Letterboxd URI"]


@dataclass(frozen=True)
class Export:
    data: bytes
    written: int  # movies written (a rated movie counts once, though Letterboxd lists it twice)
    left_out: list[int]  # movie ids not in the catalogue


def plain_title(entry: TitleEntry) -> str:
    """The title as sites write it: "The Matrix", "Seven" (without MovieLens's alternates)."""
    main, _ = split_alternates(entry.title)
    return front_article(main)[0]


def export_profile(
    profile: Profile, entries: Mapping[int, TitleEntry], fmt: str, links: Mapping[int, str] | None = None,
    name: str = "", today: date | None = None,
) -> Export:  # fmt: skip
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    links = links or {}
    lists = {"ratings": list(profile.ratings), "seen": list(profile.seen), "watchlist": list(profile.watchlist)}
    left_out = sorted({m for ids in lists.values() for m in ids if m not in entries})
    lists = {key: [m for m in ids if m in entries] for key, ids in lists.items()}
    written = sum(len(ids) for ids in lists.values())
    if fmt == "json":
        def item(movie_id: int) -> dict:
            entry = entries[movie_id]
            data = {"movie_id": movie_id, "title": plain_title(entry), "year": entry.year}
            if movie_id in profile.ratings:
                data["rating"] = profile.ratings[movie_id]
            if movie_id in links:
                data["imdb_id"] = links[movie_id]
            return data

        document = {"profile": name, **{key: [item(m) for m in ids] for key, ids in lists.items()}}
        return Export((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode(), written, left_out)
    if fmt == "csv":
        rows = [["title", "year", "rating", "list", "imdb_id"]]
        for key, ids in lists.items():
            for m in ids:
                rating = _stars(profile.ratings[m]) if key == "ratings" else ""
                rows.append([plain_title(entries[m]), _year(entries[m]), rating, "" if key == "ratings" else key,
                             links.get(m, "")])  # fmt: skip
        return Export(_csv(rows).encode(), written, left_out)

    stamp = (today or date.today()).isoformat()

    def lines(ids: list[int], rated: bool) -> list[list[str]]:
        header = LETTERBOXD_HEADER + (["Rating"] if rated else [])
        body = [[stamp, plain_title(entries[m]), _year(entries[m]), ""] for m in ids]
        if rated:
            body = [[*cells, _stars(profile.ratings[m])] for cells, m in zip(body, ids, strict=True)]
        return [header, *body]

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ratings.csv", _csv(lines(lists["ratings"], rated=True)))
        # Letterboxd's watched.csv lists every movie seen, rated or not.
        archive.writestr("watched.csv", _csv(lines(lists["ratings"] + lists["seen"], rated=False)))
        archive.writestr("watchlist.csv", _csv(lines(lists["watchlist"], rated=False)))
    return Export(buffer.getvalue(), written, left_out)


def _stars(rating: float) -> str:
    return f"{float(rating):g}"


def _year(entry: TitleEntry) -> str:
    return "" if entry.year is None else str(entry.year)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
