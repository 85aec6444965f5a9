"""The question asked before quitting with changes that are not in Redis yet (app/quitting.py).

Keyboard only. For a named profile: enter (or s) saves into Redis and then quits, q (or ctrl+q,
ctrl+c: the quit key again) quits at once with the changes kept on this computer (written into Redis
by the next start), escape goes back to the app. For a profile without a name: a name is typed in the
box and enter saves under it and quits; ctrl+q quits without saving; escape goes back.

The screen does no saving itself: `save(name)` (None: the profile's own name) is the app's, which
quits on success or calls `failed` with the reason, shown here while the question stays open.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from movierec_tui.profile import valid_profile_name
from movierec_tui.widgets.dialog import Dialog
from movierec_tui.widgets.text_input import TextInput

QUIT = "quit"  # the answer that quits without saving (more than what the journal already keeps)
NAME_RULE = "1-40 letters, digits, '-', '_' or '.'"


class QuitPrompt(Dialog[str | None]):
    """Dismissed with QUIT (quit anyway) or None (back to the app); saving is asked through `save`."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", "Back to the app"),
        Binding("enter", "save", "Save, then quit", show=False),
        Binding("s", "save", "Save, then quit", show=False),
        Binding("q", "quit_anyway", "Quit anyway", show=False),
    ]

    def __init__(
        self, name: str | None, holds: str, why: str, save: Callable[[str | None], None], cursor_blink: bool = True
    ) -> None:
        """`name`: the profile's name (None: it has none, and one is asked for here); `holds`: what it
        holds ("2 ratings, 1 to watch": wording.profile_contents); `why`: what is not in Redis yet,
        e.g. "a save is under way"."""
        super().__init__()
        self.cursor_blink = cursor_blink
        self.profile_name = name
        self.holds = holds
        self.why = why
        self._save = save
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box", classes="modal-box"):
            yield Static("Quit with unsaved changes?", classes="modal-title")
            if self.profile_name is None:
                yield Static(Text(f"This profile ({self.holds}) has no name and is not saved. Save it as:"))
                yield TextInput(placeholder="a name, e.g. alice", id="quit-name")
                keys = (("enter", "save under this name, then quit"), ("ctrl+q", "quit without saving"),
                        ("esc", "back to the app"))  # fmt: skip
            else:
                yield Static(Text.assemble("The last changes to ", (self.profile_name, "bold"),
                                           f" are not in Redis yet: {self.why}."))  # fmt: skip
                keys = (("enter", "save to Redis, then quit"),
                        ("q", "quit anyway; kept here, saved to Redis later"),
                        ("esc", "back to the app"))  # fmt: skip
            yield Static("", id="quit-status")
            yield Static(key_lines(keys), id="quit-keys")

    def on_mount(self) -> None:
        self.query_one("#quit-status", Static).display = False
        if self.profile_name is None:
            name = self.query_one("#quit-name", Input)
            name.cursor_blink = self.cursor_blink
            name.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if valid_profile_name(name):
            self._start_saving(name)
        else:
            self._status(Text(NAME_RULE, style="italic"))

    def action_save(self) -> None:
        if self.profile_name is not None:
            self._start_saving(None)

    def _start_saving(self, name: str | None) -> None:
        if self.saving:
            return
        self.saving = True
        self._status(Text("Saving…"))
        self._save(name)

    def failed(self, reason: str) -> None:
        """The save did not reach Redis: say why, and ask again."""
        self.saving = False
        self._status(Text(reason))

    def _status(self, text: Text) -> None:
        status = self.query_one("#quit-status", Static)
        status.update(text)
        status.display = True

    def action_quit_anyway(self) -> None:
        self.dismiss(QUIT)

    def action_cancel(self) -> None:
        self.dismiss(None)


def key_lines(keys: tuple[tuple[str, str], ...]) -> Text:
    """One line per choice: the key in bold, in a column of its own."""
    width = max(len(key) for key, _ in keys) + 2
    lines = [Text.assemble((key.ljust(width), "bold"), what) for key, what in keys]
    return Text("\n").join(lines)
