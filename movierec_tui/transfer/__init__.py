"""Ratings and lists in and out: Letterboxd's and IMDb's exports, a plain title,year,rating CSV.

Three steps, each pure (no stores: the engine brings the title index and the IMDb links):
`read.read_export` turns a file into rows, or one `file:line: what` error (DataError) before
anything changes; `match.match_rows` finds each row's movie, by IMDb id where the catalogue has
links, else by title and year, and never guesses: a row is matched, ambiguous (with candidates) or
not in the catalogue; `apply.apply_import` puts the matched rows into a profile, idempotently.
`write` does the way out: a profile's ratings and lists as Letterboxd's export, a CSV or JSON.
`service` runs either end to end for the CLI and the app (the engine brings titles, links, profiles).
"""

from movierec_tui.transfer.apply import ImportChanges, apply_import
from movierec_tui.transfer.match import Candidate, ImportReport, RowMatch, match_rows
from movierec_tui.transfer.read import ExportFile, ImportRow, read_export
from movierec_tui.transfer.service import ImportOutcome, export_saved, import_file
from movierec_tui.transfer.write import FORMATS, Export, export_profile

__all__ = [
    "FORMATS",
    "Candidate",
    "Export",
    "ExportFile",
    "ImportChanges",
    "ImportOutcome",
    "ImportReport",
    "ImportRow",
    "RowMatch",
    "apply_import",
    "export_profile",
    "export_saved",
    "import_file",
    "match_rows",
    "read_export",
]
