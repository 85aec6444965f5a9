"""`movierec-tui import` and `movierec-tui export`: ratings and lists in from Letterboxd, IMDb or a
plain CSV, and back out. The work is movierec_tui.transfer's; this module only reads the flags,
prints the report, and raises: cli_errors.OneLineErrors turns a failure into one line and the exit
code (a bad file: `file:line: what`, exit 2, and the profile is not touched). cli.py registers
the two commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from movierec_tui.cli_options import (
    HomeOption,
    MilvusOption,
    RedisOption,
    console,
    err_console,
    resolve_settings,
)
from movierec_tui.files import write_whole

IMPORT_FILE_HELP = (
    "Letterboxd's ratings.csv, watched.csv, watchlist.csv or export zip; IMDb's ratings.csv; "
    "or a title,year,rating CSV."
)
EXPORT_OUT_HELP = "Write to this file (default: print it; letterboxd needs a file)."
SHOWN_ROWS = 20  # unmatched rows listed in the printed report; --json lists them all
DEFAULT_PROFILE = "imported"
FORMAT_NAMES = {
    "letterboxd-ratings": "Letterboxd ratings",
    "letterboxd-watched": "Letterboxd watched",
    "letterboxd-watchlist": "Letterboxd watchlist",
    "imdb-ratings": "IMDb ratings",
    "imdb-watchlist": "IMDb watchlist",
    "csv": "title,year,rating CSV",
}


def import_ratings(
    file: Annotated[Path, typer.Argument(help=IMPORT_FILE_HELP)],
    profile_name: Annotated[
        str, typer.Option("--profile", help="The saved profile to import into (made if new).")
    ] = DEFAULT_PROFILE,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Match and report; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Import ratings, watched movies and a watchlist into a saved profile.

    Only certain matches are imported; ambiguous rows and movies not in the catalogue are listed, never guessed."""
    from movierec_tui.engine import Library
    from movierec_tui.transfer import import_file

    settings = resolve_settings(home, milvus_uri, redis_url)
    with Library(settings) as library:
        outcome = import_file(file, library.titles, library.imdb_links, library.profiles, profile_name,
                              dry_run=dry_run)  # fmt: skip
    if as_json:
        print(json.dumps(outcome.to_json(), indent=2, ensure_ascii=False))
        return
    print_import(outcome, dry_run)


def print_import(outcome, dry_run: bool) -> None:
    report, changes = outcome.report, outcome.changes
    files = ", ".join(f"{f.name} ({FORMAT_NAMES.get(f.format, f.format)}, {len(f.rows):,} rows)" for f in outcome.files)
    console.print(f"Read {escape(files)}.", highlight=False)
    did = []
    for count, words in (
        (len(changes.ratings_added), "ratings added"),
        (len(changes.ratings_changed), "ratings changed"),
        (len(changes.seen_added), "marked seen"),
        (len(changes.watchlist_added), "added to the watchlist"),
    ):
        if count:
            did.append(f"{count:,} {words}")
    summary = ", ".join(did) if did else "nothing new"
    console.print(f"[green]matched {len(report.matched):,}[/]: {summary}.", highlight=False)
    for title, rows, note in (
        ("ambiguous", report.ambiguous, "not imported: add the year or the exact title and import again"),
        ("not in the catalogue", report.not_found, "not imported"),
    ):
        if not rows:
            continue
        console.print(f"[yellow]{title} {len(rows):,}[/] ({note}):", highlight=False)
        for match in rows[:SHOWN_ROWS]:
            row = match.row
            named = row.title if row.year is None else f"{row.title} ({row.year})"
            line = f"  {row.where}  {named}: {match.why}"
            if match.candidates:
                line += "; candidates: " + ", ".join(f"{c.title} [id:{c.movie_id}]" for c in match.candidates)
            console.print(escape(line), highlight=False, soft_wrap=True)
        if len(rows) > SHOWN_ROWS:
            console.print(f"  ... and {len(rows) - SHOWN_ROWS:,} more (--json lists them all)", highlight=False)
    name = outcome.profile_name
    if dry_run:
        console.print(f"Dry run: profile {name!r} not changed.", highlight=False)
    elif outcome.saved:
        made = "made and saved" if outcome.created else "saved"
        console.print(f"Profile {name!r} {made}. Open it with `movierec-tui --profile {name}`.", highlight=False)
    else:
        console.print(f"Profile {name!r} already had all of it; nothing saved.", highlight=False)


def export_ratings(
    profile_name: Annotated[str, typer.Option("--profile", help="The saved profile to export.")],
    fmt: Annotated[
        str, typer.Option("--format", help="letterboxd (a zip as Letterboxd exports), csv or json.")
    ] = "csv",
    out: Annotated[Path | None, typer.Option("--out", help=EXPORT_OUT_HELP)] = None,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Write a saved profile's ratings, seen movies and watchlist out.

    A letterboxd or csv export imports back into the same profile."""
    from movierec_tui.engine import Library
    from movierec_tui.transfer import FORMATS, export_saved

    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
    if fmt == "letterboxd" and out is None:
        raise typer.BadParameter("a Letterboxd export is a zip: give --out FILE.zip", param_hint="--out")
    settings = resolve_settings(home, milvus_uri, redis_url)
    with Library(settings) as library:
        export = export_saved(library.titles, library.imdb_links, library.profiles, profile_name, fmt)
        if out is not None:
            write_whole(out, export.data)
    if out is None:
        sys.stdout.write(export.data.decode())
        sys.stdout.flush()
    if export.left_out:
        ids = ", ".join(str(m) for m in export.left_out[:10])
        err_console.print(f"[yellow]warning:[/] {len(export.left_out)} movies of the profile are not in this "
                          f"catalogue and were left out: {ids}", highlight=False)  # fmt: skip
    if out is not None:
        console.print(f"Wrote {export.written:,} movies of {profile_name!r} to {escape(str(out))}.", highlight=False)
