"""Control sequences in a client's input, read whole and judged before the app's parser sees them.

Textual's input parser trusts what follows `ESC [`. Sent by a client of `serve ssh` or `serve web`:

- a number past a C int in a key's sequence (`ESC[99999999999999999999u`, `...~`) raised
  OverflowError in the app's input thread, a code point past U+10FFFF (`ESC[1114112u`) ValueError,
  and so did a colon in a key's modifiers (`ESC[97;5:3u`): the session ended with a traceback;
- a window-size report (`ESC[48;rows;cols;height;width t`, the in-band resize protocol) resized the
  app to whatever it said, past the sizes the server clamps window changes to (5000x5000 grew the
  app from 240 to 820 MB in a probe), and with a size in pixels of 0 the next click divided by zero.

So each control sequence (CSI: `ESC [`, then parameter and intermediate bytes, then one final byte)
is read whole, and passed on only if it is one a terminal sends to an app that asked what this app
asks (`verdict`); anything else is dropped whole. The window-size reports are dropped, and with
them the terminal's answer that it has them (mode 2048): the app then never turns them on and takes
its size from the window changes, which the server clamps (`terminal_size`). The price is Textual's
pixel-smooth scrolling on the few terminals that offer it.

Nothing reaches the app as the start of a sequence a later packet could finish badly: a sequence
split across packets is held until its final byte arrives (a terminal writes each one whole, so
this waits only on a packet boundary; what a person can type that waits for the next key is alt+[,
or `[` right after a lone escape). A lone escape at a packet's end is passed on at once (the escape
key must work), and a `[` that opens the next packet is read as the sequence it may start in the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ESC = "\x1b"
LONGEST = 32  # characters; Textual's parser gives up on a longer sequence and reads it as keys
LARGEST_NUMBER = 0x10FFFF  # the last Unicode code point: a key's number is one, no coordinate comes near
# After ESC: [, then parameter (0x30-0x3F) and intermediate (0x20-0x2F) bytes in any order (Textual
# reads a mouse's negative coordinate with its '-'), then the final byte (0x40-0x7E) if it has come.
_AFTER_ESC = re.compile(r"\[([\x20-\x3f]*)([\x40-\x7e])?")
_NUMBER = re.compile(r"\d+")


def verdict(body: str, final: str) -> str:
    """Why the control sequence `ESC [ body final` must not reach the app, or "" if it may."""
    if ":" in body:
        return "a colon, sent only under kitty keyboard flags the app does not ask for"
    if any(len(number) > 7 or int(number) > LARGEST_NUMBER for number in _NUMBER.findall(body)):
        return "a number past U+10FFFF"
    if final == "t" and body.startswith("48;"):
        return "a window size, which is the server's to set"
    if final == "y" and body.startswith("?2048;"):
        return "an offer of window-size reports"
    return ""


@dataclass
class ControlSequences:
    """A per-session filter of text: control sequences judged whole, everything else passed on.

    `dropped` counts the sequences dropped; `first_dropped` says what the first one was and why,
    for the log."""

    dropped: int = 0
    first_dropped: str = ""
    _held: str = ""  # the start of a sequence whose final byte has not come yet
    _escape_open: bool = False  # the last character passed on is an ESC: the app may join it with what follows

    def feed(self, text: str) -> str:
        text, self._held = self._held + text, ""
        out: list[str] = []
        position = 0
        while position < len(text):
            if self._escape_open and text.startswith("[", position):
                start, escape = position, ""  # its ESC is in the app already
            else:
                start = text.find(ESC, position)
                if start < 0:
                    start = len(text)
                if start > position:
                    out.append(text[position:start])
                    self._escape_open = False
                if start == len(text):
                    break
                if not text.startswith("[", start + 1):  # a lone ESC (the escape key), or another kind
                    out.append(ESC)
                    self._escape_open = True
                    position = start + 1
                    continue
                escape = ESC
            match = _AFTER_ESC.match(text, start + len(escape))
            assert match is not None  # '[' is there
            sequence = ESC + match.group(0)  # as the app would read it
            body, final = match.groups()
            if len(sequence) > LONGEST:
                self._drop(sequence[:LONGEST] + "...", "longer than any a terminal sends")
            elif final is None and match.end() == len(text):
                self._held = text[start:]
            elif final is None:
                self._drop(sequence, "cut short by a character no sequence has")
            elif reason := verdict(body, final):
                self._drop(sequence, reason)
            else:
                out.append(escape + match.group(0))
                self._escape_open = False
            position = match.end()
        return "".join(out)

    def _drop(self, sequence: str, reason: str) -> None:
        """Nothing of it reaches the app, whose state is as it was (an ESC passed on is still open)."""
        self.dropped += 1
        if not self.first_dropped:
            self.first_dropped = f"{sequence!r}: {reason}"
