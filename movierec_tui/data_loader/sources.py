"""Finding a dataset's files in a zip or a folder and telling which release (or layout) they are.

The layout is recognised from the file names, never from the path given: `ml-25m.zip`, its
extracted folder, a renamed copy and a hand-made folder are all read the same way. The release's
name (for `status` and the app's header) comes from the folder the files sit in when it is one of
GroupLens' ("ml-25m/"), else from the layout.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from movierec_tui.data_loader.errors import DataError


@dataclass(frozen=True)
class SourceFile:
    name: str  # what messages call it, e.g. "ratings.dat"
    data: bytes

    @property
    def is_csv(self) -> bool:
        return self.name.endswith(".csv")


@dataclass(frozen=True)
class Layout:
    """One way MovieLens data is laid out: the files it needs and those it may have."""

    key: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    without: tuple[str, ...] = ()  # files whose presence means another layout
    release: str = ""  # the release's name when the folder does not say

    def matches(self, names: set[str]) -> bool:
        return all(n in names for n in self.required) and not any(n in names for n in self.without)


ML_100K = Layout("ml-100k", ("u.data", "u.item"), ("u.user",), release="MovieLens 100K")
ML_1M = Layout("ml-1m", ("ratings.dat", "movies.dat", "users.dat"), release="MovieLens 1M")
ML_10M = Layout("ml-10m", ("ratings.dat", "movies.dat"), without=("users.dat",), release="MovieLens 10M")
# ratings.csv + movies.csv are ml-latest's (camelCase header) or the documented own-data layout
# (snake_case header): `parse` tells them apart by the header of ratings.csv.
CSV = Layout("csv", ("ratings.csv", "movies.csv"), ("links.csv", "users.csv"))
LAYOUTS = (ML_100K, ML_1M, ML_10M, CSV)

# GroupLens' folder (and archive) names -> the release's name.
RELEASES = {
    "ml-100k": "MovieLens 100K",
    "ml-1m": "MovieLens 1M",
    "ml-10m100k": "MovieLens 10M",
    "ml-10m": "MovieLens 10M",
    "ml-20m": "MovieLens 20M",
    "ml-25m": "MovieLens 25M",
    "ml-32m": "MovieLens 32M",
    "ml-latest-small": "MovieLens latest-small",
    "ml-latest": "MovieLens latest",
}
_EXPECTED = (
    "ratings.dat + movies.dat (ML-1M, ML-10M), ratings.csv + movies.csv (ml-latest, own data) or u.data + u.item"
)


@dataclass
class Found:
    layout: Layout
    folder_name: str  # the folder the files are in ("ml-25m"), "" at the top of a zip
    files: dict[str, SourceFile] = field(default_factory=dict)  # base name -> bytes

    def release_name(self, fallback: str) -> str:
        return RELEASES.get(self.folder_name.lower(), self.layout.release or fallback)


def find_dataset(path: Path) -> Found:
    """The files of the dataset at `path` (a zip, an extracted folder, or a folder above it)."""
    path = Path(path)
    if path.is_dir():
        return _from_folder(path)
    if path.is_file():
        return _from_zip(path)
    raise DataError(path.name or str(path), None, f"no such file or folder: {path}")


def _choose(listing: dict[str, set[str]], where: str) -> tuple[str, Layout]:
    """The first folder (in `listing` order) holding a complete layout; without one, a message that
    names a missing file of the most complete layout, so it points at what to add."""
    for folder, names in listing.items():
        for layout in LAYOUTS:
            if layout.matches(names):
                return folder, layout
    best: tuple[int, str] | None = None
    for names in listing.values():
        for layout in LAYOUTS:
            have = sum(n in names for n in layout.required)
            if have and (best is None or have > best[0]):
                best = (have, next(n for n in layout.required if n not in names))
    if best is None:
        raise DataError(Path(where).name or where, None, f"no dataset in {where}: expected {_EXPECTED}")
    raise DataError(best[1], None, f"missing in {where}")


def _from_folder(path: Path) -> Found:
    try:
        subfolders = sorted(p for p in path.iterdir() if p.is_dir())
        listing = {str(folder): {p.name for p in folder.iterdir() if p.is_file()} for folder in (path, *subfolders)}
    except OSError as exc:
        raise DataError(path.name, None, f"cannot read the folder {path}: {exc.strerror or exc}") from None
    chosen, layout = _choose(listing, str(path))
    folder = Path(chosen)
    found = Found(layout, folder.resolve().name)
    for name in (*layout.required, *layout.optional):
        file = folder / name
        if name in listing[chosen]:
            try:
                found.files[name] = SourceFile(name, file.read_bytes())
            except OSError as exc:
                raise DataError(name, None, f"cannot read {file}: {exc.strerror or exc}") from None
    return found


def _from_zip(path: Path) -> Found:
    if not zipfile.is_zipfile(path):
        raise DataError(
            path.name, None, f"not a zip archive: {path} (expected a MovieLens zip, its extracted folder, or a folder)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            # folder inside the zip -> {base name: member name}; shallowest folders first.
            members: dict[str, dict[str, str]] = {}
            for member in archive.namelist():
                posix = PurePosixPath(member.replace("\\", "/"))
                if member.endswith(("/", "\\")) or "__MACOSX" in posix.parts:
                    continue
                members.setdefault(str(posix.parent), {})[posix.name] = member
            ordered = sorted(members, key=lambda folder: (0 if folder == "." else folder.count("/") + 1, folder))
            chosen, layout = _choose({f: set(members[f]) for f in ordered}, str(path))
            folder_name = PurePosixPath(chosen).name if chosen != "." else _stem(path)
            found = Found(layout, folder_name)
            for name in (*layout.required, *layout.optional):
                if name in members[chosen]:
                    found.files[name] = SourceFile(name, archive.read(members[chosen][name]))
            return found
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        # RuntimeError: encrypted member; NotImplementedError: unsupported compression.
        raise DataError(path.name, None, f"cannot read the zip archive {path}: {' '.join(str(exc).split())}") from None


def _stem(path: Path) -> str:
    """ "ml-25m" for "ml-25m.zip" (and for a download named "ml-25m (1).zip")."""
    match = re.match(r"ml-[a-z0-9-]+?(?=$|[^a-z0-9-])", path.stem.lower())
    return match.group() if match else path.stem
