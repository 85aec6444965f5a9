"""Saved profiles, from the app's side: the autosave queue, the journal, loading and listing by name.

A named profile (saved once, or opened with --profile) is saved after every change. Saves go one at
a time, always of the latest profile, through the engine's `profiles` (Recommender.profiles, in
worker threads): into Redis or, when Redis cannot take it, into the journal in the home dir (on
disk, atomic and fsync'd), from where it is written into Redis once Redis answers again (`flush`,
called when the refresh finds Redis back; a timer of its own; and the next start). A change is
*kept* as soon as either has it: it then survives a crash or a kill of this process. `unsaved` says
what is not in Redis yet, which is what quitting asks about (quitting.py); `keep_now` puts it on disk
when the process must end without asking (SIGTERM, SIGHUP). Only when neither can take a save
(Redis down and the disk full) does it stay pending in memory: the person is told, and it is retried
with backoff.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual.timer import Timer

from movierec_tui import faults
from movierec_tui.app.conversation import TIPS, ListProfiles, LoadProfile, SaveProfile
from movierec_tui.app.refresh import describe_failure, retry_delay
from movierec_tui.app.resume import remember
from movierec_tui.engine import KEPT_ON_DISK, SAVED_IN_REDIS, UnreadableProfile
from movierec_tui.profile import Profile, valid_profile_name
from movierec_tui.widgets.screens import NamePrompt, ProfilesScreen
from movierec_tui.wording import Choice, plural

if TYPE_CHECKING:  # the app holds the sync; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

MENU_NAMES = 12  # saved profiles offered as quick replies
UNSAVED_PREFIX = "unsaved-"  # the name of a profile kept when the app had to end before it had one


@dataclass(frozen=True)
class PendingSave:
    name: str
    profile: Profile  # as it was when the save was asked for
    announce: bool  # asked for by the person: say so when it is done


class ProfileSync:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.saved_as: str | None = None  # the name the profile is saved under, if any
        self.dirty = False  # changed since it was last kept (in Redis or on disk) under that name
        self.on_disk = False  # its last save is in the journal only, waiting for Redis
        self.saved_names: list[str] = []  # for the menus: the palette, the load dialog
        self.problem: str | None = None  # why the last save failed, while it is retried
        self._pending: PendingSave | None = None  # the latest profile to save; one save at a time
        self._saving = False
        self._timer: Timer | None = None
        self._failures = 0
        self._replaying = False
        self._replay_timer: Timer | None = None
        self._replay_failures = 0
        self._told_on_disk = False  # said once per outage that changes are kept on this computer

    def unsaved(self) -> str | None:
        """Why quitting now would leave something entered outside Redis (what quitting.py asks
        about), or None: everything is in Redis, or nothing was entered."""
        if self.saved_as is None:
            return "it has no name and is not saved" if self.app.profile != Profile() else None
        if self._pending is not None or self._saving or self.dirty:
            return self.problem or "a save is under way"
        if self.on_disk:
            return "Redis is not reachable, so they are kept on this computer only"
        return None

    # -- saving -------------------------------------------------------------------------------------

    def changed(self) -> None:
        """The profile changed: it has unsaved changes, and a named one is saved."""
        self.dirty = True
        self.autosave()
        faults.stall("profile-change")

    def carry_out(self, effect: SaveProfile | LoadProfile | ListProfiles) -> None:
        """The chat's part: "save alice", "load alice", "profiles"."""
        match effect:
            case SaveProfile(name=name):
                self.save(name)
            case LoadProfile(name=name):
                self.load(name)
            case ListProfiles():
                self.list()

    def save(self, name: str | None) -> None:
        """Save under `name`, or the current name, or ask for one."""
        name = name or self.saved_as
        if name is None:
            self.ask_name()
            return
        self._queue(name, announce=True)

    def ask_name(self, initial: str = "") -> None:
        if not isinstance(self.app.screen, NamePrompt):  # a "save" queued behind another (pasted lines): asked already
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
        self._start_save()

    def flush(self) -> None:
        """The stores answer again (refresh.py): write what waits on disk into Redis, and the pending save."""
        if self.on_disk:
            self._replay()
        self._start_save()

    def _start_save(self) -> None:
        """Start the pending save now, unless one is running. While Redis is known to be down (the
        cards come from memory) it goes straight to disk, without waiting for Redis to fail again."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._saving or self._pending is None:
            return
        self._saving = True
        redis_down = self.app.recommender.cards_down is not None
        work = partial(self._save_in_thread, self._pending, redis_down)
        self.app.run_worker(work, thread=True, group="profiles", exit_on_error=False)

    def _save_in_thread(self, pending: PendingSave, redis_down: bool) -> None:
        profiles = self.app.recommender.profiles
        try:
            if redis_down:
                profiles.keep_on_disk(pending.name, pending.profile)
                where = KEPT_ON_DISK
            else:
                where = profiles.save(pending.name, pending.profile)
        except Exception as exc:
            log.warning("saving profile %r failed", pending.name, exc_info=True)
            self.app.call_from_thread(self._save_failed, exc)
            return
        names = None
        if where == SAVED_IN_REDIS:
            remember(profiles, pending.name)  # the profile in use: the one a plain start reopens
            try:
                names = profiles.names()
            except Exception:  # only for the menus; the save itself went through
                log.warning("listing profiles failed", exc_info=True)
        self.app.call_from_thread(self._saved, pending, where, names)

    def _save_failed(self, exc: Exception) -> None:
        self._saving = False
        if isinstance(exc, OSError):  # Redis did not take it, and the disk neither
            self.problem = f"Redis is not reachable and the disk is not writable: {describe_os_failure(exc)}"
            message = (f"Could not save: Redis is not reachable, and your profile could not be kept on this "
                       f"computer either ({describe_os_failure(exc)}). It stays in this window; retrying.")  # fmt: skip
            if self._failures == 0:
                self.app.say(message)
        else:
            self.problem = describe_failure(exc)
            message = f"Could not save yet: {self.problem}. Your profile is kept and saved when it is back."
        if self._failures == 0:
            self.app.tell(message, severity="error")
        delay = retry_delay(self._failures)
        self._failures += 1
        self._timer = self.app.set_timer(delay, self._start_save)

    def _saved(self, done: PendingSave, where: str, names: list[str] | None) -> None:
        self._saving = False
        self._failures = 0
        self.problem = None
        if self._pending is not None and (self._pending.name, self._pending.profile) == (done.name, done.profile):
            self._pending = None
        if done.announce:
            self.saved_as = done.name
        if names is not None:
            self.saved_names = usable_names(names)
        elif done.name not in self.saved_names:
            self.saved_names = sorted([*self.saved_names, done.name])
        if done.name == self.saved_as:
            self.dirty = self.app.profile != done.profile
            self.on_disk = where == KEPT_ON_DISK
        self.app.show_profile()
        name = done.name
        if where == KEPT_ON_DISK:
            self._schedule_replay()
            if done.announce or not self._told_on_disk:
                self.app.say(Text.assemble(
                    "Redis is not reachable, so I kept ", (name, "bold"),
                    " on this computer; it goes to Redis as soon as Redis is back.",
                ))  # fmt: skip
            self._told_on_disk = True
        elif done.announce:
            self.app.say(Text.assemble("Saved as ", (name, "bold"), f". Load it any time with “load {name}”."))
            self.app.tell(f"Profile saved as '{name}'.", timeout=3)
        if self._pending is None and self.dirty and done.name == self.saved_as:
            self.autosave()  # changed while this save ran, before the profile had its name
        else:
            self._start_save()

    # -- the journal: saves kept on disk, written into Redis when it is back ------------------------

    def _schedule_replay(self) -> None:
        if self._replay_timer is None and not self._replaying:
            self._replay_timer = self.app.set_timer(retry_delay(self._replay_failures), self._replay)

    def _replay(self) -> None:
        if self._replay_timer is not None:
            self._replay_timer.stop()
            self._replay_timer = None
        if self._replaying:
            return
        self._replaying = True
        self.app.run_worker(self._replay_in_thread, thread=True, group="profiles", exit_on_error=False)

    def _replay_in_thread(self) -> None:
        profiles = self.app.recommender.profiles
        try:
            written, waiting = profiles.replay(), profiles.waiting()
        except Exception:  # the disk: the entries stay where they are, tried again later
            log.warning("replaying the profile journal failed", exc_info=True)
            written, waiting = [], None
        self.app.call_from_thread(self._replayed, written, waiting)

    def _replayed(self, written: list[str], waiting: list[str] | None) -> None:
        self._replaying = False
        if written:
            self.note_replayed(written)
        if self.saved_as is not None and waiting is not None and not self._saving and self._pending is None:
            self.on_disk = self.saved_as in waiting  # (a save running now reports where it went itself)
        if waiting is None or waiting:
            self._replay_failures += 1
            self._schedule_replay()
        else:
            self._replay_failures = 0
            self._told_on_disk = False  # a next outage is announced again
        self.app.show_profile()

    def journal_waits(self, names: list[str]) -> None:
        """These profiles are in the journal and not in Redis yet (found at start): replay them soon."""
        self.on_disk = self.saved_as in names
        self._schedule_replay()

    def note_replayed(self, names: list[str], at_start: bool = False) -> None:
        """Say in the chat which profiles kept on disk have now reached Redis. At the start, the last
        session kept them: Redis did not answer, or the app had to end at once (a closed terminal,
        SIGTERM), which also keeps an unnamed profile under a new name: for that one the person is
        told how to load it, since this start begins with another profile."""
        unnamed = [name for name in names if name.startswith(UNSAVED_PREFIX)] if at_start else []
        named = [name for name in names if name not in unnamed]
        if named:
            quoted = ", ".join(f"'{name}'" for name in named)
            why = "the last session kept the latest changes on this computer" if at_start else (
                "the latest changes were kept on this computer while Redis was not reachable")  # fmt: skip
            self.app.say(f"✓ Saved {quoted} to Redis: {why}.")
        if len(unnamed) == 1:  # said, not offered as chips: the first question's chips follow at once
            self.app.say(f"The last session ended before its profile had a name: it is saved as '{unnamed[0]}'. "
                         f"Say “load {unnamed[0]}” to go on with it.")  # fmt: skip
        elif unnamed:
            quoted = ", ".join(f"'{name}'" for name in unnamed)
            self.app.say(f"Earlier sessions ended before their profiles had names: they are saved as {quoted}. "
                         "Say “load NAME” to go on with one.")  # fmt: skip

    def save_before_quit(self, name: str | None, done: Callable[[bool], None]) -> None:
        """Save the profile into Redis now, under `name` (None: its own name), and everything the
        journal holds; then `done(True)` if Redis has it all, or `done(False)` (Redis still does not
        answer: the profile is then kept on disk, and replayed by the next start)."""
        name = name or self.saved_as
        if name is None:
            done(False)
            return
        pending = PendingSave(name, copy.deepcopy(self.app.profile), announce=True)
        work = partial(self._save_before_quit_in_thread, pending, done)
        self.app.run_worker(work, thread=True, group="profiles", exit_on_error=False)

    def _save_before_quit_in_thread(self, pending: PendingSave, done: Callable[[bool], None]) -> None:
        profiles = self.app.recommender.profiles
        try:
            where = profiles.save(pending.name, pending.profile)  # asks Redis even if it was down
            profiles.replay()
            in_redis = where == SAVED_IN_REDIS and not profiles.waiting()
        except Exception as exc:  # the disk could not take it either
            log.warning("saving profile %r before quitting failed", pending.name, exc_info=True)
            self.app.call_from_thread(self._save_failed, exc)
            self.app.call_from_thread(done, False)
            return
        self.app.call_from_thread(self._quit_save_done, pending, where, done, in_redis)

    def _quit_save_done(self, pending: PendingSave, where: str, done: Callable[[bool], None], in_redis: bool) -> None:
        self.saved_as = pending.name
        if self._pending is not None and self._pending.profile == pending.profile:
            self._pending = None
        self.dirty = self.app.profile != pending.profile
        self.on_disk = where == KEPT_ON_DISK
        if self.on_disk:
            self._schedule_replay()
        done(in_redis)

    def keep_now(self) -> str | None:
        """This process must end now (SIGTERM, SIGHUP): put what is not in Redis yet on disk,
        synchronously, without asking Redis (the next start writes it into Redis). An unnamed profile
        with something entered is kept under a new name ("unsaved-20261201-214500"). Returns the
        name it was kept under, or None when there was nothing to keep (or the disk could not take
        it: logged)."""
        if self.unsaved() is None or (self.on_disk and not self.dirty and not self._saving and self._pending is None):
            return None  # in Redis, or already whole in the journal
        name = self.saved_as or unsaved_name()
        try:
            self.app.recommender.profiles.keep_on_disk(name, self.app.profile, final=True)
        except OSError:
            log.exception("keeping the profile %r on disk at exit failed", name)
            return None
        log.info("kept the profile %r on disk at exit; the next start writes it into Redis", name)
        return name

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
        remember(profiles, name)  # the profile in use: the one a plain start reopens
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


def unsaved_name() -> str:
    """A name for a profile that had none when the app had to end: "unsaved-20261201-214500"."""
    return time.strftime(f"{UNSAVED_PREFIX}%Y%m%d-%H%M%S")


def describe_os_failure(exc: OSError) -> str:
    """The cause and the path of a local failure, e.g. "No space left on device: /home/me/journal"."""
    what = exc.strerror or str(exc) or type(exc).__name__
    return f"{what}: {exc.filename}" if exc.filename else what
