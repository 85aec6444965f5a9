"""Saved profiles, from the app's side: the autosave queue, loading and listing by name.

A named profile (saved once, or opened with --profile) is saved after every change. Saves go one at
a time, always of the latest profile; a save that fails stays pending and is retried (with backoff,
and as soon as Redis is back), so nothing entered during an outage is lost. Store calls run in
worker threads, through the engine's `profiles` (Recommender.profiles).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.timer import Timer

from movierec_tui.app.conversation import TIPS
from movierec_tui.app.refresh import describe_failure, retry_delay
from movierec_tui.engine import UnreadableProfile
from movierec_tui.profile import Profile, valid_profile_name
from movierec_tui.widgets.screens import NamePrompt, ProfilesScreen
from movierec_tui.wording import Choice, plural

if TYPE_CHECKING:  # the app holds the sync; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

MENU_NAMES = 12  # saved profiles offered as quick replies


@dataclass(frozen=True)
class PendingSave:
    name: str
    profile: Profile  # as it was when the save was asked for
    announce: bool  # asked for by the person: say so when it is done


class ProfileSync:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.saved_as: str | None = None  # the name the profile is saved under, if any
        self.dirty = False  # changed since it was last saved under that name
        self.saved_names: list[str] = []  # for the menus: the palette, the load dialog
        self._pending: PendingSave | None = None  # the latest profile to save; one save at a time
        self._saving = False
        self._timer: Timer | None = None
        self._failures = 0

    # -- saving -------------------------------------------------------------------------------------

    def changed(self) -> None:
        """The profile changed: it has unsaved changes, and a named one is saved."""
        self.dirty = True
        self.autosave()

    def save(self, name: str | None) -> None:
        """Save under `name`, or the current name, or ask for one."""
        name = name or self.saved_as
        if name is None:
            self.ask_name()
            return
        self._queue(name, announce=True)

    def ask_name(self, initial: str = "") -> None:
        self.app.push_screen(NamePrompt("Save the profile as", initial), self._save_named)

    def _save_named(self, name: str | None) -> None:
        if name:
            self._queue(name, announce=True)

    def autosave(self) -> None:
        if self.saved_as is not None:
            self._queue(self.saved_as, announce=False)

    def _queue(self, name: str, announce: bool) -> None:
        previous = self._pending
        announce = announce or (previous is not None and previous.name == name and previous.announce)
        self._pending = PendingSave(name, copy.deepcopy(self.app.profile), announce)
        self.flush()

    def flush(self) -> None:
        """Start the pending save now, unless one is running or Redis is known to be down."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._saving or self._pending is None:
            return
        if self.app.recommender.cards_down is not None:
            return  # Redis is known to be down: saved when the probe finds it back
        self._saving = True
        work = partial(self._save_in_thread, self._pending)
        self.app.run_worker(work, thread=True, group="profiles", exit_on_error=False)

    def _save_in_thread(self, pending: PendingSave) -> None:
        profiles = self.app.recommender.profiles
        try:
            profiles.save(pending.name, pending.profile)
            names = profiles.names()
        except Exception as exc:
            log.warning("saving profile %r failed", pending.name, exc_info=True)
            self.app.call_from_thread(self._save_failed, exc)
            return
        self.app.call_from_thread(self._saved, pending, names)

    def _save_failed(self, exc: Exception) -> None:
        self._saving = False
        if self._failures == 0:
            self.app.tell(
                f"Could not save yet: {describe_failure(exc)}. Your profile is kept and saved when it is back.",
                severity="error",
            )
        delay = retry_delay(self._failures)
        self._failures += 1
        self._timer = self.app.set_timer(delay, self.flush)

    def _saved(self, done: PendingSave, names: list[str]) -> None:
        self._saving = False
        self._failures = 0
        if self._pending is not None and (self._pending.name, self._pending.profile) == (done.name, done.profile):
            self._pending = None
        if done.announce:
            self.saved_as = done.name
        self.saved_names = usable_names(names)
        if done.name == self.saved_as:
            self.dirty = self.app.profile != done.profile
        self.app.show_profile()
        if done.announce:
            name = done.name
            self.app.say(Text.assemble("Saved as ", (name, "bold"), f". Load it any time with “load {name}”."))
            self.app.tell(f"Profile saved as '{name}'.", timeout=3)
        if self._pending is None and self.dirty and done.name == self.saved_as:
            self.autosave()  # changed while this save ran, before the profile had its name
        else:
            self.flush()

    def unname(self) -> None:
        """The profile no longer has a name (a reset: the saved one is kept as it was)."""
        self.saved_as = None

    # -- loading and listing ------------------------------------------------------------------------

    def read(self, name: str) -> tuple[Profile | None, str | None]:
        """(profile, None) or (None, a one-line reason); runs in a worker."""
        profiles = self.app.recommender.profiles
        try:
            loaded = profiles.load(name)
        except UnreadableProfile as exc:
            # Kept for inspection under another key, so that saving under this name cannot destroy it.
            kept = profiles.set_aside(exc)
            log.warning("saved profile %r is unreadable (%s); kept as %s", name, exc, kept)
            where = f" It is kept as '{kept}' for inspection." if kept else ""
            return None, f"The saved profile '{name}' is unreadable ({exc}).{where}"
        if loaded is None:
            return None, f"There is no saved profile named '{name}'."
        return loaded, None

    def choose(self) -> None:
        """Pick a saved profile from a list, and load it."""
        self.app.push_screen(ProfilesScreen(self.saved_names), self._chosen)

    def _chosen(self, name: str | None) -> None:
        if name:
            self.load(name)

    def load(self, name: str) -> None:
        self.app.run_worker(partial(self._load_in_thread, name), thread=True, group="profiles", exit_on_error=False)

    def _load_in_thread(self, name: str) -> None:
        try:
            loaded, problem = self.read(name)
        except Exception as exc:
            log.warning("loading profile %r failed", name, exc_info=True)
            self.app.call_from_thread(self.app.tell, f"Could not load: {describe_failure(exc)}.", severity="error")
            return
        self.app.call_from_thread(self._loaded, name, loaded, problem)

    def _loaded(self, name: str, loaded: Profile | None, problem: str | None) -> None:
        if loaded is None:
            self.app.tell(f"{problem} Keeping the current profile.", severity="warning", timeout=6)
            self.app.say(f"{problem} I kept your current profile.")
            return
        self.saved_as = name
        self.dirty = False
        self.app.replace_profile(loaded)
        self.app.say(f"Loaded '{name}': {plural(len(loaded.ratings), 'rating')}.", TIPS)
        self.app.refresher.request(f"loaded {name}")

    def list(self) -> None:
        self.app.run_worker(self._list_in_thread, thread=True, group="profiles", exit_on_error=False)

    def _list_in_thread(self) -> None:
        try:
            names = self.app.recommender.profiles.names()
        except Exception as exc:
            message = f"Could not list profiles: {describe_failure(exc)}."
            self.app.call_from_thread(self.app.tell, message, severity="error")
            return
        self.app.call_from_thread(self._show_names, names)

    def _show_names(self, names: list[str]) -> None:
        names = self.saved_names = usable_names(names)
        if not names:
            self.app.say("No saved profiles yet. Say “save NAME” to save this one.")
        else:
            self.app.say("Saved profiles:", [Choice(f"load {n}", f"load {n}") for n in names[:MENU_NAMES]])


def usable_names(names: Iterable[str]) -> list[str]:
    """Saved profile names this app could have written; anything else in Redis (a key written by
    hand, with markup or control characters) is not offered in menus."""
    return [name for name in names if valid_profile_name(name)]
