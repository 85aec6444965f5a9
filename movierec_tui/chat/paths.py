"""A file dropped on the terminal: the chat input holds its path, written the way the terminal pastes it.

Terminals paste a dragged file as its path: quoted ('/My Files/ratings.csv'), with backslash escapes
(/My\\ Files/ratings.csv), as a file:// URL with %20 for spaces, or plainly with its spaces. Only the
form is read here (no file is looked at: the app checks that the file is there and is an export), and
the form is strict, so that a title or a rating that has a slash in it ("9/10", "Face/Off 5",
"1/2 star") or a slash command ("/help") is never taken for a path:

- an absolute or home path (/..., ~/...) or a relative one (./..., ../...) with at least two parts
  or ending in an export's extension (.csv, .zip);
- a file:// URL;
- a bare file name ending in .csv or .zip ("ratings.csv", in the directory the app runs in).

Several paths are several files ("/a/ratings.csv /a/watched.csv"); a path pasted with bare spaces
(whose parts are not paths each) is taken whole only when it ends in .csv or .zip ("/save my/notes"
is a command with a slash in its argument, not a file).
"""

from __future__ import annotations

import re
import shlex
from urllib.parse import unquote, urlparse

from movierec_tui.chat.intents import ImportFile, Intent, Unknown

EXPORT_SUFFIXES = (".csv", ".zip")
MAX_FILES = 5  # dropped at once: Letterboxd's export unzipped is three (ratings, watched, watchlist)
_ROOTED = re.compile(r"(?:/|~/|\.\.?/)\S")  # how a path the terminal pasted starts
_BARE_NAME = re.compile(r"[^\s/\\]+\.(?:csv|zip)", re.IGNORECASE)


def import_request(text: str) -> list[Intent] | None:
    """An import of the files the message is the paths of; None when the message is no path."""
    paths = dropped_paths(text)
    if len(paths) > MAX_FILES:
        message = f"At most {MAX_FILES} files at once, please (or Letterboxd's whole export, the zip)."
        return [Unknown(text, message, ("help",))]
    return [ImportFile(tuple(paths))] if paths else None


def dropped_paths(text: str) -> list[str]:
    """The paths a message is made of, or [] when it is not only paths (then it is an ordinary message).

    Several paths are returned as several (several files dropped at once); the caller decides."""
    text = text.strip()
    if not text or not (text.startswith(("/", "~", ".", "'", '"', "file:")) or _BARE_NAME.fullmatch(text)):
        return []
    try:
        tokens = shlex.split(text)
    except ValueError:  # an unbalanced quote: "Schindler's List" is no path
        return []
    paths = [_path_of(token) for token in tokens]
    bare = len(tokens) > 1 and not any(mark in text for mark in "'\"\\")
    if bare and None in paths and text.lower().endswith(EXPORT_SUFFIXES):
        paths = [_path_of(text)]  # one path pasted as is, spaces and all: "/home/me/My Files/ratings.csv"
    return paths if paths and all(p is not None for p in paths) else []  # type: ignore[misc]


def _path_of(token: str) -> str | None:
    if token.lower().startswith("file://"):
        url = urlparse(token)
        path = unquote(url.path)
        return path if url.netloc in ("", "localhost") and path.startswith("/") and len(path) > 1 else None
    if _BARE_NAME.fullmatch(token):
        return token
    if not _ROOTED.match(token):
        return None
    parts = [p for p in token.split("/") if p]
    if len(parts) >= 2 or token.lower().endswith(EXPORT_SUFFIXES):
        return token
    return None  # "/help", "/save": commands typed with a slash
