"""Two small helpers every rule that reads a title shares (parser.py, lists.py, explore.py): a title
lookup that answers None instead of raising, and the message rebuilt around another title (what a
"Did you mean ...?" suggestion offers in place of the one that failed)."""

from __future__ import annotations

from collections.abc import Callable

from movierec_tui.titles import AmbiguousTitle, TitleIndex, TitleMatch, TitleNotFound


def quiet_match(titles: TitleIndex, query: str) -> TitleMatch | None:
    """`titles.match(query)`, or None where it would raise (no such title, or several): for rules
    that only ask whether a text names a movie, and explain nothing when it does not."""
    try:
        return titles.match(query)
    except (TitleNotFound, AmbiguousTitle):
        return None


def rebuilder(text: str, start: int, end: int) -> Callable[[str], str]:
    """`text` with another title in place of `text[start:end]`."""
    return lambda title: text[:start] + title + text[end:]
