"""Importing ratings from the app (command palette: "Import ratings…"): ask for a path, read and
match it in a worker (movierec_tui.transfer, with the engine's titles and IMDb links), then put the
certain matches into the current profile as one undoable edit and say what was left out.

A file dropped on the chat (its path is the message; chat/paths.py) goes the same way with one step
more: what was found (rows matched, ambiguous, not in the catalogue, and what importing would add)
is said first and the import waits for a yes (the conversation's "import" question). A path with
no file behind it is said in one line, and nothing changes.

Only where the app runs on the person's own machine: a served session would read the server's
files, so there it is not offered. A bad file changes nothing and is said in one line
(`file:line: what`); ambiguous rows and movies not in the catalogue are listed, never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text

from movierec_tui.app.conversation import ApplyImport, PreviewImport
from movierec_tui.app.refresh import describe_failure
from movierec_tui.chat import Edit
from movierec_tui.data_loader.errors import DataError
from movierec_tui.transfer import ImportChanges, ImportReport, apply_import, match_rows, read_export
from movierec_tui.widgets.screens import TextPrompt
from movierec_tui.wording import join_words, plural

if TYPE_CHECKING:  # the palette passes the app; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

Then = Callable[["MovieRecApp", str, ImportReport], None]  # what to do with a file read and matched
LISTED_ROWS = 5  # unmatched rows named in the chat; the CLI's `import --dry-run` lists them all


def can_import(app: MovieRecApp) -> bool:
    return not app.served


def ask_import(app: MovieRecApp) -> None:
    if not can_import(app) or not app.ready or len(app.screen_stack) != 1:
        return
    prompt = TextPrompt("Import ratings: Letterboxd, IMDb or a title,year,rating CSV", "",
                        "a path, e.g. ~/Downloads/ratings.csv", _path_problem, "import")  # fmt: skip
    app.push_screen(prompt, partial(start_import, app))


def _path_problem(text: str) -> str | None:
    if not text:
        return "the path of an export file"
    path = Path(text).expanduser()
    return None if path.is_file() else f"no file at {path}"


def start_import(app: MovieRecApp, text: str | None) -> None:
    if text:
        work = partial(_read_and_match, app, [Path(text).expanduser()], finish_import)
        app.run_worker(work, thread=True, group="import", exit_on_error=False)


@dataclass(frozen=True)
class Offer:
    """A file read and matched from the chat, waiting for the person's yes."""

    name: str
    report: ImportReport


def carry_out(app: MovieRecApp, effect: PreviewImport | ApplyImport) -> None:
    """The chat's part: a dropped path is read and offered; a yes applies the offer."""
    if isinstance(effect, ApplyImport):
        if isinstance(effect.offer, Offer):
            finish_import(app, effect.offer.name, effect.offer.report)
        return
    if not can_import(app):
        app.say("Importing a file works in the app on your own computer (there: drop the file here, or run "
                "`movierec-tui import FILE`).")  # fmt: skip
        return
    paths = [Path(text).expanduser() for text in effect.paths]
    if missing := [path for path in paths if not path.exists()]:
        app.say(f"No file at {missing[0]}: nothing imported.")
        return
    app.tell(f"Reading {join_words([path.name for path in paths])}…", timeout=3)
    work = partial(_read_and_match, app, paths, offer_import)
    app.run_worker(work, thread=True, group="import", exit_on_error=False)


def offer_import(app: MovieRecApp, name: str, report: ImportReport) -> None:
    """On the app's thread: what the file holds and what importing it would change; ask first."""
    counts = (f"{plural(len(report.rows), 'row')}: {len(report.matched)} matched, {len(report.ambiguous)} ambiguous, "
              f"{len(report.not_found)} not in the catalogue")  # fmt: skip
    _, changes = apply_import(app.profile, report)
    if not changes.any:
        app.say(f"{name}: {counts}. Nothing new to import.")
        _say_left_out(app, name, report)
        return
    text = Text.assemble(f"{name}: {counts}. ", ("Import", "bold"), f" {_summary(changes)}? yes / no")
    app.carry_out(app.conversation.offer_import(Offer(name, report), text))


def _summary(changes: ImportChanges) -> str:
    added = [
        (len(changes.ratings_added), "rating"), (len(changes.ratings_changed), "changed rating"),
        (len(changes.seen_added), "seen movie"), (len(changes.watchlist_added), "watchlist movie"),
    ]  # fmt: skip
    return ", ".join(plural(count, noun) for count, noun in added if count) or "nothing new"


def _read_and_match(app: MovieRecApp, paths: list[Path], then: Then) -> None:
    """In a worker: the whole of every file is read and checked before anything is matched or changed."""
    path = paths[0]
    try:
        files = []
        for path in paths:
            files += read_export(path)
        recommender = app.recommender
        report = match_rows((row for f in files for row in f.rows), recommender.titles, recommender.imdb_links)
    except DataError as exc:
        app.call_from_thread(_failed, app, str(exc))
        return
    except OSError as exc:
        app.call_from_thread(_failed, app, f"cannot read {path}: {exc.strerror or exc}")
        return
    except Exception as exc:
        log.warning("importing %s failed", path, exc_info=True)
        app.call_from_thread(_failed, app, describe_failure(exc))
        return
    app.call_from_thread(then, app, join_words([path.name for path in paths]), report)


def _failed(app: MovieRecApp, problem: str) -> None:
    app.tell(f"Nothing imported: {problem}", severity="error", timeout=8)
    app.say(f"Nothing imported: {problem}")


def finish_import(app: MovieRecApp, name: str, report: ImportReport) -> None:
    """On the app's thread: the matches into the current profile (undoable), and what was left out."""
    updated, changes = apply_import(app.profile, report)
    done = f"Imported from {name}: {_summary(changes)}"
    app.apply(Edit(updated, f"imported from {name}", changes.any, done=done), announce=changes.any)
    if not changes.any:
        app.say(f"{name}: nothing new to import ({plural(len(report.matched), 'row')} already in your profile).")
    _say_left_out(app, name, report)


def _say_left_out(app: MovieRecApp, name: str, report: ImportReport) -> None:
    left_out = report.ambiguous + report.not_found
    if not left_out:
        return
    lines = [f"Left out {plural(len(left_out), 'row')} of {name} (never guessed):"]
    several_files = len({match.row.file for match in report.rows}) > 1
    for match in left_out[:LISTED_ROWS]:
        row = match.row
        named = row.title if row.year is None else f"{row.title} ({row.year})"
        maybe = f"; perhaps {', '.join(c.title for c in match.candidates[:3])}" if match.candidates else ""
        where = row.where if several_files else f"line {row.line}"
        lines.append(f"· {where}: {named}: {match.why}{maybe}")
    if len(left_out) > LISTED_ROWS:
        lines.append(f"· and {len(left_out) - LISTED_ROWS} more: `movierec-tui import FILE --dry-run` lists them all")
    lines.append("Rate any of them here by name and year, e.g. “loved Heat 1995”.")
    app.say(Text("\n".join(lines)))
