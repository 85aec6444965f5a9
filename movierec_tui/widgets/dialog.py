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
once it is no longer shown (closed, or taken down by the app's exit) they do nothing at all. And
what was typed right behind the key that opened a dialog goes into its input (`TYPE_AHEAD`).

Every repaint draws through every dialog on the stack (each over the one below), so dialogs stacked
without end (opens queued behind keys, each stacking one more: details, prompts, the palette and its
theme picker, 2026-12-06) slow the session until it stops answering. What opens a dialog checks what
is on top when it runs (CONTRIBUTING); as a floor, a dialog that finds more than `MOST_DIALOGS`
under it closes at once and says so in movierec.log, where the fuzzer looks.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, TypeVar

from textual import events
from textual._time import get_time
from textual.await_complete import AwaitComplete
from textual.screen import ModalScreen
from textual.widgets import Input

from movierec_tui.widgets.fair_pump import FairPump
from movierec_tui.widgets.screen_size import SizedByTheApp

log = logging.getLogger(__name__)

ResultType = TypeVar("ResultType")

# The app opens at most five dialogs on each other (the lists, a movie's details, a prompt, the help,
# the palette); more is a path that stacks them without end.
MOST_DIALOGS = 8
STACKED_TOO_DEEP = "dialogs were stacked on each other"  # the log line's words, for those who look for it

# What this app's dialogs, and Textual's palette, call closing: it needs none of their widgets.
CLOSE_ACTIONS = frozenset({"close", "cancel", "dismiss_screen", "escape"})


class Dialog(FairPump, SizedByTheApp, ModalScreen[ResultType]):
    """A modal screen that a burst of keys cannot break (the module's docstring says how). The app's
    own "close whatever is on top" paths (`app.screen.dismiss`) are unchanged: they ask the top
    screen. Textual's command palette gets it by inheriting from both, its own class first: Textual
    takes a screen's styles and component classes along the first base only."""

    # The input (a selector) that takes what was typed right behind the key that opened the dialog.
    TYPE_AHEAD: ClassVar[str | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened_at = get_time()  # Textual's clock, which stamps every key it reads
        self._typed_early = ""  # typed for the input before the dialog was set up

    def dismiss(self, result: ResultType | None = None) -> AwaitComplete:
        """Textual's, but only while this dialog is the top screen (the module's docstring: why)."""
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
        elif isinstance(event, events.Mount) and len(self.app.screen_stack) > MOST_DIALOGS + 1:
            event.prevent_default()
            names = [type(screen).__name__ for screen in self.app.screen_stack[1:]]
            log.warning("%s closed as it opened: %d %s: %s", type(self).__name__, len(names), STACKED_TOO_DEEP, names)
            self.dismiss(None)
        await super().on_event(event)
        if isinstance(event, events.Mount) and self._typed_early and self.is_shown:
            typed, self._typed_early = self._typed_early, ""
            self._type(typed)

    def take_typed(self, event: events.Key) -> bool:
        """A printable key that bubbled up to the app unhandled while this dialog is on top, typed for
        its input: sent before the dialog opened (`/heat` in one burst: the letters went to the
        widget focused then, and came back to the app after the search opened), or routed to the
        dialog itself while its input had not got the focus yet. The input takes it, now or once the
        dialog is set up. False for any other key, or if the dialog has no such input."""
        typed_for_it = event.time < self._opened_at or self.focused is None
        if self.TYPE_AHEAD is None or not self.is_shown or not typed_for_it or event.character is None:
            return False
        if not self.is_mounted:
            self._typed_early += event.character
            return True
        return self._type(event.character)

    def _type(self, text: str) -> bool:
        if self.TYPE_AHEAD is None:
            return False
        for field in self.query(self.TYPE_AHEAD).results(Input):
            field.insert_text_at_cursor(text)
            return True
        return False


class TypeAheadForDialogs:
    """Mixed into the app, before Textual's `App`: a printable key that bubbles up to the app while a
    dialog is on top goes to the dialog's input if it was typed for it (`Dialog.take_typed`), rather
    than to the dialog's bindings, which would lose it."""

    def on_key(self, event: events.Key) -> None:
        dialog = getattr(self, "screen", None)
        if isinstance(dialog, Dialog) and event.is_printable and dialog.take_typed(event):
            event.prevent_default()  # Textual's binding check of the key
            event.stop()
