"""Resuming: a plain start reopens the profile the person used last, and says how to start fresh.

The name is remembered in Redis next to the saved profiles, in the same namespace (engine's
`SavedProfiles.remember_last`): locally there is one, and `serve ssh` gives each SSH key its own
namespace, so each key gets its own last profile back; an anonymous or web session has a namespace
nobody comes back to, so it never resumes anything. A profile becomes the last one when it is
loaded (at start with --profile, or later) and each time it is saved under its name.

Remembering is a convenience: when Redis cannot take it, the save or the load it follows still
counts, and the next start reopens the profile remembered before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.text import Text

from movierec_tui.engine import SavedProfiles, StoreUnavailable
from movierec_tui.profile import Profile, valid_profile_name
from movierec_tui.wording import plural

if TYPE_CHECKING:  # the app is handed in; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

START_FRESH = "new profile"  # a reset phrase of the chat (chat/phrases.py RESET_WORDS)


def remember(profiles: SavedProfiles, name: str) -> None:
    """Make `name` the profile a plain start reopens; in a worker thread. Never raises for a store."""
    try:
        profiles.remember_last(name)
    except StoreUnavailable:
        log.warning("could not remember %r as the last profile", name, exc_info=True)


def last_name(profiles: SavedProfiles) -> str | None:
    """The name to resume, if one is remembered and is one this app could have saved (a key written
    by hand is not opened)."""
    name = profiles.last()
    return name if name is not None and valid_profile_name(name) else None


def welcome_back(app: MovieRecApp, name: str, loaded: Profile | None, problem: str | None) -> None:
    """At start, on the UI thread: reopen the profile read for `name`, or say why it could not be."""
    if loaded is None:
        app.say(f"{problem} Starting with a fresh profile.")
        return
    app.profile_sync.saved_as = name
    app.profile = loaded
    app.say(Text.assemble(
        "Welcome back — resumed profile ", (name, "bold"), f" ({plural(len(loaded.ratings), 'rating')}). Say ",
        (START_FRESH, "bold"), " to start fresh; this one stays saved.",
    ))  # fmt: skip
