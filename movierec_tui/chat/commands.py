"""The chat's commands said in a few fixed words, whole messages only: "reset", "clear filters",
"any year", "skip", "back", "undo", "profiles", "quit". Matched before any title rule, so "back" is
never *Back to the Future* and "bye" never *Bye Bye, Love*."""

from __future__ import annotations

from movierec_tui.chat.intents import Back, ClearFilters, Intent, Load, Quit, Reset, Skip, Undo, YearRange
from movierec_tui.chat.phrases import (
    ANY_YEAR_WORDS,
    BACK_WORDS,
    CLEAR_WORDS,
    LIST_WORDS,
    QUIT_WORDS,
    RESET_WORDS,
    SKIP_WORDS,
    UNDO_WORDS,
)

COMMANDS: tuple[tuple[frozenset[str], Intent], ...] = (
    (RESET_WORDS, Reset()),
    (CLEAR_WORDS, ClearFilters()),
    (ANY_YEAR_WORDS, YearRange(None, None)),
    (SKIP_WORDS, Skip()),
    (BACK_WORDS, Back()),
    (UNDO_WORDS, Undo()),
    (LIST_WORDS, Load(None)),
    (QUIT_WORDS, Quit()),
)


def command_said(key: str) -> Intent | None:
    """The command a whole message is (`key`: lower case, trimmed, as chat/filters.key makes it), or None."""
    for words, intent in COMMANDS:
        if key in words:
            return intent
    return None
