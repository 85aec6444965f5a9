"""What a browser tab may send `serve web` over its WebSocket, read strictly.

textual-serve's page sends JSON arrays: `["stdin", text]`, `["resize", {"width": w, "height": h}]`,
`["ping", text]`, `["focus"]` and `["blur"]`. textual-serve itself trusted them: anything else
(a message that is not JSON, `["stdin", 5]`, a resize without its height) ended the tab with a
traceback in the server's log, a width of "abc" or 80.5 reached the app and ended it with one, and a
size of 100,000 x 100,000 (in a resize or in the page's query string) grew the app by 250 MB a second
until the machine ran out of memory. The page never sends such things; a script can. Here a message
is either one of the five, with sizes clamped (`terminal_size`), or a `BadMessage` saying what was
wrong with it, which the server logs and drops.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from movierec_tui.serve.terminal_size import clamp_size

MAX_PING = 64  # characters of a ping's text echoed back (the page sends a time in milliseconds)
DEFAULT_SIZE = (80, 24)  # textual-serve's, for a page that gives none
# JSON can spell half a UTF-16 pair ("\\ud800"), which UTF-8 cannot carry to the app: typed as U+FFFD,
# as an invalid byte is over SSH (textual-serve's encoding of it raised, and the tab ended).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadMessage(ValueError):
    """A message from a tab that is not one the page sends; its text says what is wrong."""


@dataclass(frozen=True)
class Keys:
    text: str


@dataclass(frozen=True)
class Resize:
    columns: int
    rows: int


@dataclass(frozen=True)
class Ping:
    text: str


@dataclass(frozen=True)
class Focus:
    focused: bool


WebMessage = Keys | Resize | Ping | Focus


def read_message(data: str) -> WebMessage:
    """The message in one WebSocket text frame, or BadMessage."""
    try:
        envelope = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: arrays nested a million deep fit in a frame
        raise BadMessage(f"not JSON: {_shown(data)}") from None
    if not isinstance(envelope, list) or not envelope or not isinstance(envelope[0], str):
        raise BadMessage(f"not a [type, ...] list: {_shown(data)}")
    kind, arguments = envelope[0], envelope[1:]
    if kind in ("focus", "blur"):
        return Focus(kind == "focus")
    if kind not in ("stdin", "resize", "ping"):
        raise BadMessage(f"unknown type {_shown(kind)}")
    if len(arguments) != 1:
        raise BadMessage(f"{kind}: {len(arguments)} arguments, not 1")
    argument = arguments[0]
    if kind == "resize":
        if not isinstance(argument, Mapping):
            raise BadMessage(f"resize: {_shown(argument)} is not a {{width, height}} object")
        return Resize(*clamp_size(_whole(argument, "width"), _whole(argument, "height")))
    if not isinstance(argument, str):
        raise BadMessage(f"{kind}: {_shown(argument)} is not text")
    if kind == "ping":
        if len(argument) > MAX_PING:
            raise BadMessage(f"ping: {len(argument)} characters, more than {MAX_PING}")
        return Ping(argument)
    return Keys(LONE_SURROGATE.sub("\ufffd", argument))


def size_from_query(query: Mapping[str, str]) -> tuple[int, int]:
    """The size the page asked for when it opened the WebSocket (`?width=&height=`), clamped;
    textual-serve's default where a value is missing or not a whole number."""
    columns, rows = DEFAULT_SIZE
    return clamp_size(_whole_or(query.get("width"), columns), _whole_or(query.get("height"), rows))


def _whole_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:  # not a number, or one of thousands of digits
        return default


def _whole(size: Mapping, name: str) -> int:
    value = size.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMessage(f"resize: {name} {_shown(value)} is not a whole number")
    return value


def _shown(value: object, limit: int = 40) -> str:
    """`value` for a log line: its repr, cut short (a hostile message can be megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
