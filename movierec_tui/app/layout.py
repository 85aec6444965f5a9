"""Which panes show at which width, and a focus that follows them.

From NARROW columns up: the chat, the cards and the profile side by side. Below NARROW the profile
panel folds away, and F2 (p when not typing) brings it back in place of the chat, so that the cards
stay. Below TINY the chat and the cards stack, the cards under the chat (and F2 puts the profile
under the cards). README.md's words on the layouts say the same; the snapshots at 80x24, 100x30
and 120x40 show it.

Under the cards, the rows (app/rows.py): from TALL lines up, two "because you loved" rows and the
hidden gems, three lines each (the third: the highlighted movie's year, genres, rating and score);
below, one "because you loved" row and the hidden gems in two lines each, so that the cards keep
most of a 24-line screen. Tab reaches them, as it reaches every pane.

A pane that goes away never keeps the focus: Enter on quick replies nobody sees would send a message
nobody sees. The focus moves to the cards, or else to the chat input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Size
from textual.widget import Widget

from movierec_tui.widgets.movie_row import LOVED_ROWS

if TYPE_CHECKING:  # the app holds the layout; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

NARROW = 100  # below this many columns the profile panel folds away
TINY = 70  # below this the chat and the cards stack
TALL = 34  # from this many lines up the rows have a third line, and there are two "because you loved"


def is_shown(widget: Widget) -> bool:
    """Whether `widget` and every container it is in are displayed."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


class Layout:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.profile_visible: bool | None = None  # None: automatic by width; F2 decides from then on
        self.loved_rows = 1  # "because you loved" rows shown

    def fit(self, size: Size) -> None:
        app, width = self.app, size.width
        narrow, tall = width < NARROW, size.height >= TALL
        if (loved_rows := LOVED_ROWS if tall else 1) != self.loved_rows:
            self.loved_rows = loved_rows
            app.rows.relayout()
        # One batch: each class changed on the app alone restyles every widget on the screen.
        app.update_classes({
            "-narrow": narrow,
            "-tiny": width < TINY,
            "-rows-tall": tall,
            "-profile-visible": (not narrow) if self.profile_visible is None else self.profile_visible,
        })  # fmt: skip
        app.call_after_refresh(self.keep_focus_shown)  # once the styles of the new classes apply

    def toggle_profile(self) -> None:
        self.profile_visible = not self.app.has_class("-profile-visible")
        self.fit(self.app.size)

    def keep_focus_shown(self) -> None:
        focused = self.app.focused
        if focused is None or is_shown(focused):
            return
        for candidate in (self.app.cards, self.app.chat_input):
            if is_shown(candidate):
                candidate.focus()
                return
