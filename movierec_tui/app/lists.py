"""The watchlist and the seen list, from the app's side: w and s on a movie, the lists screen, and
the chat's "my watchlist" (the list said in the chat; changes typed in the chat go through the
conversation, like ratings, and are echoed there).

A list change is a profile edit like a rating: undoable, saved with the profile (autosave), and the
movie leaves the recommendations (the engine leaves `Profile.listed` out of its search). As with
the other keys, the change is not echoed in the chat: the hint above the cards and the profile panel
say what changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from movierec_tui.chat import Edit
from movierec_tui.engine import MovieCard
from movierec_tui.profile import ListName
from movierec_tui.widgets.lists_screen import ListsScreen
from movierec_tui.widgets.theme import palette
from movierec_tui.wording import newest_first, title_of, title_with_year

if TYPE_CHECKING:  # the app holds its parts; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

LIST_ACTIONS: tuple[ListName, ...] = ("watchlist", "seen")  # CardAction.action values that toggle a list
LISTED_IN_CHAT = 12  # titles said per list in the chat; the lists screen (W) shows them all
HOW_TO_ADD: dict[ListName, str] = {
    "watchlist": "say “add Heat to my watchlist”, or press w on a card",
    "seen": "say “seen Alien”, or press s on a card",
}


class Lists:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app

    def toggle(self, card: MovieCard, name: ListName) -> None:
        """Put the movie on the list, or take it off if it is there."""
        app = self.app
        title = title_with_year(card)
        after = app.profile.toggled(name, card.movie_id)
        if after == app.profile:  # only "seen" on a rated movie
            app.tell(f"You rated {title}, so it counts as seen.", timeout=3)
            return
        change = list_change(name, card.movie_id in getattr(after, name), title)
        app.apply(Edit(after, change))
        if len(app.screen_stack) > 1 and not isinstance(app.screen, ListsScreen):
            app.tell(change, timeout=3)  # the hint above the cards is behind a dialog

    def open(self) -> None:
        """The lists screen, from the main screen only (not stacked on another dialog)."""
        app = self.app
        if not app.ready or len(app.screen_stack) != 1:
            return
        app.push_screen(ListsScreen(app.catalog, palette(app), app.profile))

    def say(self, name: ListName | None, open_screen: bool = False) -> None:
        """ "my watchlist": the list (or both) in the chat, most recently added first; "open my lists":
        the lists screen."""
        app = self.app
        if open_screen and len(app.screen_stack) == 1:
            self.open()
            return
        lines = []
        for listed in (name,) if name is not None else LIST_ACTIONS:
            ids = list(reversed(getattr(app.profile, listed)))
            label = "Your watchlist" if listed == "watchlist" else "Seen, without a rating"
            if not ids:
                lines.append(f"{label}: nothing yet ({HOW_TO_ADD[listed]}).")
                continue
            lines.append(newest_first(label, [title_of(app.catalog, m) for m in ids], LISTED_IN_CHAT))
        lines.append("Press W (when not typing) to browse them; “remove Heat from my watchlist”, “unsee Alien”.")
        app.say("\n".join(lines))

    def repaint(self) -> None:
        """The profile changed: an open lists screen shows it (called with the profile panel's update)."""
        for screen in self.app.screen_stack:
            if isinstance(screen, ListsScreen):
                screen.show(self.app.profile)


def list_change(name: ListName, on: bool, title: str) -> str:
    """What a list key did, in a few words for the hint above the cards."""
    if name == "watchlist":
        return f"{title} {'on' if on else 'off'} the watchlist"
    return f"{title} {'seen' if on else 'not seen after all'}"
