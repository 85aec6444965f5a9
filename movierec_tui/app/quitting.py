"""Quitting: asked first when something entered is not in Redis yet; clean on SIGTERM and SIGHUP.

`q`, ctrl+q and ctrl+c come here (MovieRecApp.action_quit). When everything is in Redis, or nothing
was entered, the app quits at once. Otherwise it asks (widgets/quit_prompt.py): save and quit (into
Redis; if Redis still does not answer, the question stays open and says so), quit anyway (what is
not in Redis goes to the journal on disk, and the next start writes it into Redis; a profile without
a name is not saved), or back to the app.

SIGTERM (a shutdown, `kill`) and SIGHUP (the terminal or the SSH session is gone) cannot ask: what
is not in Redis goes to disk at once, synchronously (ProfileSync.keep_now; a served session is hung
up on and killed 3 s later). After SIGTERM the app exits the normal way, so its caller closes the
stores and an embedded Valkey this process keeps is stopped (its keeper hands over) instead of left
running; after SIGHUP the stores are closed here and the process ends (see _end_without_a_terminal).
An app whose event loop stopped turning (stall_watch.py) is ended like a hang-up, from the watch's
thread, with a line on the terminal that says what was kept.
"""

from __future__ import annotations

import asyncio
import logging
import os
import select
import signal
import sys
import termios
import threading
from typing import TYPE_CHECKING, NoReturn

from movierec_tui.app.stall_watch import HUNG_UP_LIMIT, STALL_LIMIT, StallWatch
from movierec_tui.widgets.quit_prompt import QUIT, QuitPrompt
from movierec_tui.wording import profile_contents

if TYPE_CHECKING:  # the app holds this part; only its type is needed here
    from movierec_tui.app.main import MovieRecApp

log = logging.getLogger(__name__)

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
STALLED_EXIT = 70  # EX_SOFTWARE: the app stopped answering and was ended (a served session logs it)
STALLED_GRACE = 10.0  # seconds the ending of a stalled app may take before the process just exits
# What Textual's driver undoes when it stops: its alternate screen, the mouse, paste and focus reports.
TERMINAL_RESET = "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?1004l\x1b[<u\x1b[?1049l\x1b[0m\x1b[?25h"


class Quitting:
    def __init__(self, app: MovieRecApp) -> None:
        self.app = app
        self.signalled: signal.Signals | None = None  # the signal that ended the app, if one did
        self.terminal_modes = terminal_modes()  # before Textual makes the terminal raw

    def watch(self) -> None:
        """SIGTERM and SIGHUP end the app cleanly, and so does a loop that stopped turning (called from
        on_mount: the handlers and the watch belong to the running loop, and go with it)."""
        loop = asyncio.get_running_loop()
        for signum in ENDING_SIGNALS:
            loop.add_signal_handler(signum, self.terminate, signum)
        StallWatch(self.stalled, hung_up=self._terminal_gone).start()

    def request(self) -> None:
        """The person asked to quit (the quit key again, in the question: quit anyway)."""
        app = self.app
        if isinstance(app.screen, QuitPrompt):
            app.screen.dismiss(QUIT)
            return
        why = app.profile_sync.unsaved() if app.ready else None
        if why is None:
            app.exit()
            return
        while len(app.screen_stack) > 1:  # a dialog is open: the question replaces it
            # its workers stop first: Textual cancels them only when the dialog itself is unmounted,
            # after its children, and meanwhile the command palette's search would look for its list
            app.workers.cancel_node(app.screen)
            app.pop_screen()
        name = app.profile_sync.saved_as
        prompt = QuitPrompt(name, profile_contents(app.profile), why, self._save, cursor_blink=app.cursor_blink)
        app.push_screen(prompt, self._answered)

    def _save(self, name: str | None) -> None:
        self.app.profile_sync.save_before_quit(name, self._saved)

    def _saved(self, in_redis: bool) -> None:
        app = self.app
        if in_redis:
            app.exit()
            return
        if isinstance(app.screen, QuitPrompt):
            app.screen.failed("Redis is still not reachable. Your changes are kept on this computer; q quits "
                              "and the next start saves them to Redis.")  # fmt: skip

    def _answered(self, answer: str | None) -> None:
        if answer != QUIT:  # back to the app
            return
        sync = self.app.profile_sync
        if sync.saved_as is not None:
            kept_as = sync.keep_now()  # a no-op when the journal already has the latest version
            if kept_as is not None:
                log.info("quit anyway: the changes to %r are kept on disk", kept_as)
        self.app.exit()

    def terminate(self, signum: signal.Signals) -> None:
        """SIGTERM or SIGHUP: keep on disk what is not in Redis yet, then exit (the normal way, except
        after a hang-up of a real terminal)."""
        app = self.app
        self.signalled = signal.Signals(signum)
        log.info("%s: quitting", self.signalled.name)
        if app.ready:
            kept_as = app.profile_sync.keep_now()
            if kept_as is not None:
                log.info("the profile's unsaved changes are kept on disk as %r", kept_as)
        if self.signalled == signal.SIGHUP and not app.is_headless:
            self._end_without_a_terminal()
        app.exit()

    def stalled(self, stack: str) -> NoReturn:
        """The loop has not turned for `STALL_LIMIT` s, or for 2 s with the terminal gone
        (stall_watch.py; this runs in the watch's thread, while the main thread is stuck wherever
        `stack` says): keep on disk what is not in Redis, as a hang-up would, give the terminal (if it
        is still there) back with a line saying so, close the stores and end the process.
        The profile is read from this thread while the main thread is stuck: the app replaces its
        Profile on each change and never edits one in place, so the one read here is whole."""
        hung_up = self._terminal_gone()
        log.error("the app's event loop has not turned for %s s: ending the app. Its main thread:\n%s",
                  f"{HUNG_UP_LIMIT} (the terminal hung up)" if hung_up else STALL_LIMIT, stack)  # fmt: skip
        threading.Timer(STALLED_GRACE, os._exit, (STALLED_EXIT,)).start()  # should keeping or closing hang too
        try:
            kept_as = self.app.profile_sync.keep_now() if self.app.ready else None
        except Exception:  # ending anyway; a traceback in this thread would be printed over the screen
            log.exception("keeping the profile of a stalled app failed")
            kept_as = None
        said = "movierec stopped answering and had to close."
        if kept_as is not None:
            said += f" Your profile is kept as '{kept_as}': say “load {kept_as}” when you come back."
        if not hung_up:
            give_back_the_terminal(self.terminal_modes, said)
        self._close_stores_and_exit(STALLED_EXIT)

    def _terminal_gone(self) -> bool:
        return not self.app.is_headless and terminal_hung_up()  # a test's app has no terminal to lose

    def _end_without_a_terminal(self) -> NoReturn:
        """The terminal hung up. Textual's exit then blocked for ever, in its driver's close, putting
        into the queue of its output thread (which writes to the dead terminal); seen with a real pty:
        the app outlived its terminal with its stores open. So the stores are closed here (an
        embedded Valkey this process keeps is stopped, its keeper hands over) and the process ends;
        there is no terminal left to restore."""
        log.info("the terminal hung up: closing the stores and exiting")
        self._close_stores_and_exit(0)

    def _close_stores_and_exit(self, code: int) -> NoReturn:
        """End the process where the app cannot end the normal way, its stores closed first (an
        embedded Valkey this process keeps is stopped, its keeper hands over)."""
        try:
            self.app.recommender.close()
        except Exception:  # ending anyway: what could be kept is on disk, the next start finds the stores
            log.warning("closing the stores failed", exc_info=True)
        logging.shutdown()
        os._exit(code)


def terminal_modes() -> list | None:
    """The terminal's modes as they are before the app runs (None without a terminal)."""
    try:
        return termios.tcgetattr(sys.__stdin__.fileno()) if sys.__stdin__ and sys.__stdin__.isatty() else None
    except (OSError, ValueError, termios.error):
        return None


def terminal_hung_up() -> bool:
    """Whether the terminal has hung up: its other end closed (the SSH session, the window, or a web
    tab's server went). A terminal's hang-up also sends SIGHUP, whose handler needs the loop to turn."""
    try:
        poller = select.poll()
        poller.register(sys.__stdin__.fileno(), 0)  # hang-ups and errors are always reported
        return bool(poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def give_back_the_terminal(modes: list | None, said: str) -> None:
    """What Textual's driver does as the app ends, for an app that cannot end the normal way: the
    terminal's modes back, its screen and reports reset, then `said` (on the terminal Textual draws
    on, when it is one: a web tab's app writes a protocol there instead)."""
    try:
        if modes is not None:
            termios.tcsetattr(sys.__stdin__.fileno(), termios.TCSANOW, modes)
        if sys.__stderr__ and sys.__stderr__.isatty():
            os.write(sys.__stderr__.fileno(), f"{TERMINAL_RESET}\r\n{said}\r\n".encode())
    except (OSError, ValueError, termios.error):
        log.warning("giving the terminal back failed", exc_info=True)
