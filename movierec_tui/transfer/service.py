"""Import and export end to end, for the CLI and the app alike: read and check the whole file,
match every row, apply the matches to the saved profile and save it once. The engine brings the
title index, the IMDb links and its saved-profiles API; nothing here talks to a store directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from movierec_tui.profile import Profile, ProfileError, valid_profile_name
from movierec_tui.titles import TitleIndex
from movierec_tui.transfer.apply import ImportChanges, apply_import
from movierec_tui.transfer.match import ImportReport, match_rows
from movierec_tui.transfer.read import ExportFile, read_export
from movierec_tui.transfer.write import Export, export_profile


class ProfileStore(Protocol):
    """What of the engine's saved profiles (engine.SavedProfiles) an import needs."""

    def load(self, name: str) -> Profile | None: ...

    def save(self, name: str, profile: Profile) -> None: ...


@dataclass(frozen=True)
class ImportOutcome:
    profile_name: str
    files: list[ExportFile]
    report: ImportReport
    changes: ImportChanges
    created: bool  # no profile of that name existed before
    saved: bool  # False when nothing changed (or a dry run)

    def to_json(self) -> dict:
        return {
            "profile": self.profile_name,
            "files": [{"file": f.name, "format": f.format, "rows": len(f.rows)} for f in self.files],
            "counts": {
                "rows": len(self.report.rows),
                "matched": len(self.report.matched),
                "ambiguous": len(self.report.ambiguous),
                "not_in_catalogue": len(self.report.not_found),
            },
            "changes": self.changes.to_json(),
            "created": self.created,
            "saved": self.saved,
            **self.report.to_json(),
        }


def check_profile_name(name: str) -> None:
    if not valid_profile_name(name):
        raise ProfileError(f"profile name {name!r}: use 1-40 letters, digits, '-', '_' or '.'")


def import_file(
    path: Path, titles: TitleIndex, links: Mapping[int, str], profiles: ProfileStore, profile_name: str,
    dry_run: bool = False,
) -> ImportOutcome:  # fmt: skip
    """Everything is checked before anything changes: a bad line raises DataError, an unreadable
    saved profile raises (UnreadableProfile), and only then is the profile saved, once."""
    check_profile_name(profile_name)
    files = read_export(path)
    report = match_rows((row for f in files for row in f.rows), titles, links)
    current = profiles.load(profile_name)
    updated, changes = apply_import(current or Profile(), report)
    saved = changes.any and not dry_run
    if saved:
        profiles.save(profile_name, updated)
    return ImportOutcome(profile_name, files, report, changes, current is None, saved)


def export_saved(
    titles: TitleIndex, links: Mapping[int, str], profiles: ProfileStore, profile_name: str, fmt: str
) -> Export:
    """The saved profile's ratings and lists in `fmt`; ProfileError if there is no such profile."""
    check_profile_name(profile_name)
    profile = profiles.load(profile_name)
    if profile is None:
        raise ProfileError(f"no saved profile named {profile_name!r}")
    entries = {entry.movie_id: entry for entry in titles.entries()}
    return export_profile(profile, entries, fmt, links, name=profile_name)
