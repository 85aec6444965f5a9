"""Dialogs made safe against the keys and messages of a burst that reach them too early or too late.

Textual's `Screen.dismiss` hands the result to the dialog's caller and then pops the *top* screen,
whichever it is. Over SSH a burst of keys (random bytes, a paste into the wrong place, a person
leaning on the keyboard) is queued faster than the app handles it, so a dialog can be asked to close
after another one opened on top of it (escape queued for the palette, reaching it after F1 had
opened the help over it), or after it was closed already (two escapes in one burst). The first
closed the dialog on top instead, and left the dialog under it with its result given; its next close
gave it again, and the session ended in Textual's `InvalidStateError` (or `ScreenStackError` when the
main screen was the one popped) on the person's screen. Random keys over SSH found it in most
sessions (2026-12-05).

A dialog closes only while it is the top screen: a late close of one that is under another or gone
does nothing, which is what the person sees anyway (the screen they look at stays). A dialog
closed before it was shown sets nothing up; until it is set up its keys do nothing but close it, and
once it is no longer shown (closed, or taken down by the app's exit) they do nothing at all.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")

# What this app's dialogs, and Textual's palette, call closing: it needs none of their widgets.
CLOSE_ACTIONS = frozenset({"close", "cancel", "dismiss_screen", "escape"})


class Dialog(ModalScreen[ResultType]):
    """A modal screen whose `dismiss` acts only while it is the top screen. The app's own "close
    whatever is on top" paths (`app.screen.dismiss`) are unchanged: they ask the top screen. Textual's
    command palette gets it by inheriting from both, its own class first: Textual takes a screen's
    styles and component classes along the first base only."""

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        if not self.is_active:
            return AwaitComplete.nothing()  # late: under another dialog, or closed already
        return super().dismiss(result)

    @property
    def is_shown(self) -> bool:
        """On the stack and part of the app: neither closed nor taken down by the app's exit."""
        return self.is_attached and self in self.app.screen_stack

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key of a burst can reach a dialog's bindings before its set-up ran (`/` then down: the
        search's list not there yet) or after the app's exit took its widgets out (NoMatches, a
        traceback): until it is set up, only its close works (`/` then escape: no search left open),
        and once it is not shown, none of its keys."""
        return self.is_shown and (self.is_mounted or action in CLOSE_ACTIONS)

    async def on_event(self, event: events.Event) -> None:
        """A dialog closed before it was shown (opened and closed in one burst: ctrl+s, escape), or
        opened as the app exits (ctrl+c right behind), still gets its Mount, and its set-up (a query
        for its input, to focus it) found its widgets gone: NoMatches, a traceback. Such a dialog
        sets nothing up. (Closed, it is off the stack; at the app's exit it is still on the stack but
        already taken out of the app.)"""
        if isinstance(event, events.Mount) and not self.is_shown:
            event.prevent_default()  # no mount handler runs, ours or Textual's
        await super().on_event(event)
