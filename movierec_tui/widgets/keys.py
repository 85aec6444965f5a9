"""The key help, generated from the bindings themselves, so it cannot drift from what the keys do.

A binding that belongs in the help says what it does in its `tooltip` (Textual shows the same text
when the mouse rests on the key in the footer). Bindings with the same text share a row, keys in
the order they are declared; a binding with a `key_display` ("1-5") is listed under that. Keys that
Textual binds itself (tab, ctrl+p, enter in a list) are described with `described`, which takes the
keys from Textual's own bindings and only adds the words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from textual.binding import Binding

# How keys are written in the help.
KEY_NAMES = {"question_mark": "?", "slash": "/", "up": "↑", "down": "↓", "left": "←", "right": "→"}


@dataclass(frozen=True)
class KeySection:
    """A heading of the help ("Cards") and the bindings that work there."""

    title: str
    bindings: tuple[Binding, ...]

    def rows(self) -> list[tuple[str, str]]:
        return key_rows(self.bindings)


def key_rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do) for each binding with a tooltip, one row per distinct tooltip."""
    rows: dict[str, list[str]] = {}
    for binding in bindings:
        if not binding.tooltip:
            continue
        keys = rows.setdefault(binding.tooltip, [])
        for key in key_labels(binding):
            if key not in keys:
                keys.append(key)
    return [(", ".join(keys), text) for text, keys in rows.items()]


def key_labels(binding: Binding) -> list[str]:
    """The keys of a binding as the help writes them."""
    if binding.key_display:
        return [binding.key_display]
    return [KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(",")]


def described(bindings: Sequence[Binding | tuple[str, ...]], texts: Mapping[str, str]) -> tuple[Binding, ...]:
    """Textual's own bindings for the actions in `texts`, with those words as their help."""
    return tuple(
        dataclasses.replace(binding, tooltip=texts[binding.action])
        for binding in bindings
        if isinstance(binding, Binding) and binding.action in texts
    )
