"""Profiles saved by name: Redis first, the home's journal behind it (the engine's `SavedProfiles`).

Its own module so that the engine's file holds the recommender; the engine re-exports these names,
and the layers above import them from there.
"""

from __future__ import annotations

import logging
import threading

from movierec_tui.profile import Profile, ProfileError
from movierec_tui.stores.cards import CardStore
from movierec_tui.stores.journal import ProfileJournal

__all__ = ["KEPT_ON_DISK", "SAVED_IN_REDIS", "SavedProfiles", "UnreadableProfile"]

log = logging.getLogger(__name__)


class UnreadableProfile(ProfileError):
    """A saved profile that does not parse; the message says why, `raw` is the record as stored."""

    def __init__(self, name: str, raw: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.raw = raw


SAVED_IN_REDIS = "redis"  # where `SavedProfiles.save` put a profile
KEPT_ON_DISK = "journal"  # in the home's journal, written into Redis once it is back (`replay`)


class SavedProfiles:
    """Profiles saved by name, in Redis (within the session's namespace, see CardStore), with the home
    dir's journal behind it (stores/journal.py): a save Redis cannot take is kept on disk, atomically
    and fsync'd, and written into Redis later by `replay`, in this process or the next one on the home.
    While a name has a journal entry, that entry is its newest version: `load` returns it and `names`
    lists it, so a profile kept on disk is the one that is loaded (or resumed), Redis up or down.

    `names`, `load`, `set_aside` and `delete` raise StoreUnavailable (RedisUnavailable) while Redis is
    down (`load` not for a name that is in the journal). A lock keeps this process's saves and replays
    apart, so a replay never writes an older version over a save made meanwhile."""

    def __init__(self, store: CardStore, journal: ProfileJournal) -> None:
        self._store = store
        self._journal = journal
        self._lock = threading.Lock()
        self._sealed: set[str] = set()  # names kept on disk by a process that is ending: see keep_on_disk

    def names(self) -> list[str]:
        return sorted({*self._store.profile_names(), *self.waiting()})

    def waiting(self) -> list[str]:
        """Names whose newest version is only in the journal, waiting for Redis (asks no store)."""
        prefix = self._store.profile_prefix
        return sorted(key[len(prefix) :] for key in self._journal.pending_keys() if key.startswith(prefix))

    def save(self, name: str, profile: Profile) -> str:
        """Save in Redis or, when Redis cannot take it, keep it in the journal: returns where,
        SAVED_IN_REDIS or KEPT_ON_DISK. Raises OSError when it could be kept nowhere (a full disk)."""
        with self._lock:
            if name in self._sealed:
                return KEPT_ON_DISK
            stored = self._journal.save(
                self._store.client, self._store.profile_key(name), profile.to_json(), self._store.profile_ttl
            )
        return SAVED_IN_REDIS if stored else KEPT_ON_DISK

    def keep_on_disk(self, name: str, profile: Profile, final: bool = False) -> None:
        """Journal it without asking Redis (Redis is known to be down, or the process must end now);
        the next `replay` writes it into Redis. `final`: this process is ending, and a save of an
        older version still running in another thread must not replace it (later saves of the name
        are ignored). Raises OSError when the disk cannot take it."""
        with self._lock:
            self._journal.record(self._store.profile_key(name), profile.to_json(), self._store.profile_ttl)
            if final:
                self._sealed.add(name)

    def replay(self) -> list[str]:
        """Write every journalled save into Redis (those of other namespaces too: a served session that
        died during an outage leaves entries nobody else would write); returns this namespace's names
        written, oldest first ([] when there are none, or while Redis is down: they stay on disk)."""
        with self._lock:
            before = self.waiting()
            self._journal.replay(self._store.client)
            still = set(self.waiting())
        return [name for name in before if name not in still]

    def load(self, name: str) -> Profile | None:
        """The profile, or None if none is saved under `name`; UnreadableProfile if the record does
        not parse (written by hand, or by another version)."""
        kept = self._journal.latest(self._store.profile_key(name))
        if kept is not None:
            try:
                return Profile.from_json(kept)
            except ProfileError as exc:  # only a hand-edited entry; the replay hands it to Redis as it is
                log.warning("the journalled profile %r does not load (%s); reading Redis", name, exc)
        raw = self._store.load_profile(name)
        if raw is None:
            return None
        try:
            return Profile.from_json(raw)
        except ProfileError as exc:
            raise UnreadableProfile(name, raw, str(exc)) from None

    def set_aside(self, unreadable: UnreadableProfile) -> str | None:
        """Move an unreadable record under another key, for inspection, so that no later save under
        its name can destroy it; only if it still holds what was read. Returns the key, or None."""
        return self._store.quarantine_profile(unreadable.name, unreadable.raw)

    def delete(self, name: str) -> bool:
        """Whether there was a profile of that name (in Redis or waiting in the journal)."""
        with self._lock:
            waiting = name in self.waiting()
            self._journal.discard(self._store.profile_key(name))
            return self._store.delete_profile(name) or waiting

    def remember_last(self, name: str) -> None:
        """`name` is the profile in use: the one a plain start reopens (`last`), in this namespace (so
        each SSH key served has its own)."""
        self._store.remember_last_profile(name)

    def last(self) -> str | None:
        """The name given to `remember_last` most recently in this namespace, if any (the profile may
        have been deleted since)."""
        return self._store.last_profile_name()
