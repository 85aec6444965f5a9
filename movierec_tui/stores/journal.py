"""Profile saves that Redis could not take, kept in the home dir until it can.

When Redis is unreachable the app keeps the profile in memory; a crash, a kill or a quit before Redis
came back lost every rating given meanwhile. A save goes through `ProfileJournal.save`: if Redis takes
it, any older journal entry for that profile is dropped; if not, the profile is written to
`HOME/journal/` (one file per profile key, the latest version wins) with a write that is atomic and
durable (a temp file, fsync, rename, fsync of the dir), so a crash at any moment leaves either the
previous entry or the new one, whole. `replay` writes the entries into Redis once it answers again,
in this process or in the next one that opens the home.

A replay claims an entry by renaming it first, so a newer save recorded while the replay runs is a
new file and is never deleted by it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from movierec_tui.files import write_whole

log = logging.getLogger(__name__)

ENTRY_SUFFIX = ".json"
CLAIMED_SUFFIX = ".replaying"


@dataclass(frozen=True)
class JournalEntry:
    key: str  # the Redis key, namespace included: "profile:alice", "profile@ssh-ab12:alice"
    profile_json: str
    ttl: int  # seconds to keep it in Redis (0: forever), as the store that wrote it asked
    written_at: float
    path: Path


def _written_ns(path: Path) -> int:
    """When the entry was written, for the order of a replay (0: replayed and removed meanwhile)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ProfileJournal:
    """The journal of one home dir (`HOME/journal`); safe to share between processes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        return self.directory / (hashlib.sha256(key.encode()).hexdigest()[:32] + ENTRY_SUFFIX)

    # -- saving -----------------------------------------------------------------------------------

    def save(self, client: redis.Redis, key: str, profile_json: str, ttl: int = 0) -> bool:
        """Save to Redis, or journal it if Redis fails. True when Redis has it; False when it is only in
        the journal (raises OSError if the journal cannot be written either, e.g. a full disk)."""
        try:
            client.set(key, profile_json, ex=ttl or None)
        except redis.RedisError as exc:
            self.record(key, profile_json, ttl)
            log.warning("Redis did not take the save of %s (%s); kept in %s until it is back",
                        key, exc, self.directory)  # fmt: skip
            return False
        self.discard(key)
        return True

    def record(self, key: str, profile_json: str, ttl: int = 0) -> Path:
        """Write the entry durably: after this returns, a crash or power loss keeps it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._path(key)
        body = json.dumps({"key": key, "profile": profile_json, "ttl": ttl, "written_at": time.time()})
        write_whole(target, body, durable=True)
        return target

    def discard(self, key: str) -> None:
        """A newer version reached Redis: an older journal entry must never be replayed over it."""
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()

    # -- replaying --------------------------------------------------------------------------------

    def entries(self) -> Iterator[JournalEntry]:
        """Readable entries, oldest first; an unreadable one is set aside (renamed `.corrupt`) and logged."""
        if not self.directory.is_dir():
            return
        self._recover_abandoned_claims()
        paths = sorted(self.directory.glob(f"*{ENTRY_SUFFIX}"), key=_written_ns)
        for path in paths:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                yield JournalEntry(str(data["key"]), str(data["profile"]), int(data.get("ttl", 0)),
                                   float(data.get("written_at", 0)), path)  # fmt: skip
            except FileNotFoundError:  # replayed by another process meanwhile
                continue
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.error("%s: unreadable journal entry (%s); set aside as .corrupt", path, exc)
                with contextlib.suppress(OSError):
                    path.rename(path.with_suffix(".corrupt"))

    def pending_keys(self) -> list[str]:
        return [entry.key for entry in self.entries()]

    def latest(self, key: str) -> str | None:
        """The profile JSON journalled for `key`, or None: while there is an entry it is the newest
        version (a save that reaches Redis drops it), so a reader must prefer it to Redis."""
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
            return str(data["profile"]) if data.get("key") == key else None
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.error("%s: unreadable journal entry (%s); not used", self._path(key), exc)
            return None

    def replay(self, client: redis.Redis, key_prefix: str = "") -> int:
        """Write every entry (whose key starts with `key_prefix`) into Redis; returns how many. Stops at
        the first Redis failure, keeping that entry and the rest for the next replay."""
        replayed = 0
        for entry in list(self.entries()):
            if not entry.key.startswith(key_prefix):
                continue
            claimed = entry.path.with_name(f"{entry.path.stem}.{os.getpid()}{CLAIMED_SUFFIX}")
            try:
                entry.path.rename(claimed)
            except FileNotFoundError:  # another process claimed it
                continue
            try:
                client.set(entry.key, entry.profile_json, ex=entry.ttl or None)
            except redis.RedisError:
                self._unclaim(claimed, entry.path)
                break
            claimed.unlink(missing_ok=True)
            replayed += 1
            log.info("replayed the journalled save of %s into Redis", entry.key)
        return replayed

    def _recover_abandoned_claims(self) -> None:
        """An entry claimed by a process that died before writing it to Redis becomes an entry again."""
        for claimed in self.directory.glob(f"*{CLAIMED_SUFFIX}"):
            stem, _, pid = claimed.name.removesuffix(CLAIMED_SUFFIX).rpartition(".")
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                self._unclaim(claimed, self.directory / f"{stem}{ENTRY_SUFFIX}")

    def _unclaim(self, claimed: Path, path: Path) -> None:
        """Put a claimed entry back, unless a newer one was recorded meanwhile (the newer one wins)."""
        if path.exists():
            claimed.unlink(missing_ok=True)
        else:
            with contextlib.suppress(OSError):
                claimed.rename(path)
