"""The app in a real terminal reads input that is not UTF-8 without ending (widgets/terminal_driver.py).

`movierec-tui` runs in a real pseudo-terminal (the helpers of test_unsaved_changes.py); the test types
as a terminal set to Latin-1 would. With Textual's own driver the first invalid byte ended the app
with a traceback over the screen (UnicodeDecodeError in its input thread) and exit 0.
"""

from __future__ import annotations

import os
import time

from test_unsaved_changes import Terminal, the_real_app

from movierec_tui.widgets.terminal_driver import REPLACEMENT


def test_the_real_app_reads_bytes_that_are_not_utf8_as_replacement_characters(tmp_path, ready) -> None:
    home = tmp_path / "home"
    terminal = Terminal()
    with the_real_app(ready, home, terminal) as app:
        terminal.wait_for("How old are you?", timeout=120)
        os.write(terminal.master, "café".encode("latin-1") + b"\r")  # Latin-1: é is one byte, 0xE9
        terminal.wait_for(f"caf{REPLACEMENT}", timeout=30)  # said in the chat, as typed
        os.write(terminal.master, b"\xe9\xe8\xffol")  # more of them in a row
        time.sleep(0.3)
        os.write(terminal.master, "é".encode()[:1])  # a UTF-8 character cut in two by the terminal's writes
        time.sleep(0.3)
        os.write(terminal.master, "é".encode()[1:] + b"\r")
        terminal.wait_for(f"{REPLACEMENT * 3}olé", timeout=30)  # one character each; the cut one whole
        terminal.type("loved alien")
        terminal.wait_for("Ratings (1)", timeout=30)  # the app answers as before
        assert app.poll() is None
    assert b"Traceback" not in terminal.raw and b"Error" not in terminal.raw
    logged = (home / "movierec.log").read_text()
    assert logged.count("input that is not UTF-8 came from the terminal") == 1, logged  # once, not per byte
