"""Control sequences in a client's input, read whole and judged before the app's parser sees them.

Textual's input parser trusts what follows `ESC [`. Sent by a client of `serve ssh` or `serve web`:

- a number past a C int in a key's sequence (`ESC[99999999999999999999u`, `...~`) raised
  OverflowError in the app's input thread, a code point past U+10FFFF (`ESC[1114112u`) ValueError,
  and so did a colon in a key's modifiers (`ESC[97;5:3u`): the session ended with a traceback;
- a window-size report (`ESC[48;rows;cols;height;width t`, the in-band resize protocol) resized the
  app to whatever it said, past the sizes the server clamps window changes to (5000x5000 grew the
  app from 240 to 820 MB in a probe), and with a size in pixels of 0 the next click divided by zero;
- a terminal's answer to a question the app never asks (device attributes `ESC[?62;22c`, a late
  answer to the program run before it), and any string a terminal sends (OSC `ESC]11;rgb:...`, DCS
  `ESCP1+r...`), were read with the keys after them as typed keys: the person's next answer in the
  chat came out as "^[?62;22cback", not understood, and the 'q' of a capability answer quit the app.

So each control sequence (CSI: `ESC [`, then parameter and intermediate bytes, then one final byte)
is read whole, and passed on only if it is one a terminal sends to an app that asked what this app
asks, and one Textual's parser reads whole (`verdict`); anything else is dropped whole, and so is a
terminal's string (one cut by packets waits for its end, up to STRING_WAIT: alt+] and alt+P start
the same way, and go on as typed keys after it). The window-size reports are dropped, and with
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

from textual._ansi_sequences import ANSI_SEQUENCES_KEYS

ESC = "\x1b"
LONGEST = 32  # characters; Textual's parser gives up on a longer sequence and reads it as keys
LARGEST_NUMBER = 0x10FFFF  # the last Unicode code point: a key's number is one, no coordinate comes near
# After ESC: [, then parameter (0x30-0x3F) and intermediate (0x20-0x2F) bytes in any order (Textual
# reads a mouse's negative coordinate with its '-'), then the final byte (0x40-0x7E) if it has come.
# The Linux console's F1-F5 (`ESC[[A`...) have a second '[' first.
_AFTER_ESC = re.compile(r"\[(\[?[\x20-\x3f]*)([\x40-\x7e])?")
_NUMBER = re.compile(r"\d+")
# The keys Textual knows by their whole sequence: rxvt's (shift+up `ESC[a`, ctrl+f1 `ESC[11^`...),
# the Linux console's, mintty's; each is read whole.
_KNOWN_KEYS = frozenset(sequence for sequence in ANSI_SEQUENCES_KEYS if sequence.startswith(ESC + "["))
# rxvt's shift keys end in '$' (`ESC[3$`, shift+delete), a byte other sequences have inside them:
# Textual reads such a key as soon as it is known, so it is read here as ending there.
_RXVT_SHIFT_KEY = re.compile(r"\[(\d+)(\$)")
# What follows `ESC [` in any other key (xterm's and kitty's), a mouse report (X10, urxvt, SGR), focus
# in or out, a cursor position, or a mode report: the sequences Textual's parser reads whole. It reads any
# other sequence on past its end, then gives up and reads it with the keys typed after it as typed
# keys (its ESC as '^'): a terminal's answer the app never asked for ("ESC[?62;22c", a late answer
# to an earlier program) made the person's next chat answer "^[?62;22cback", not understood.
_READ_WHOLE = re.compile(
    r"\d*(?:;\d*){0,2}[ABCDEFHPQRSu~]|[GIOZM]|\d+;\d+;\d+M|<\d+;-?\d+;-?\d+[Mm]|\?\d+;\d+\$y"
)
# After ESC: a string a terminal sends (OSC `]`, DCS `P`, SOS `X`, PM `^`, APC `_`) up to its end
# (ST `ESC \`, or BEL). No key is one, and Textual's parser reads each of its characters as a key:
# the 'q' in a DCS answer quit the app. Its text has no control character, so a search for the end
# stops at the next ESC or control key.
_STRING = re.compile(r"[\]PX^_][^\x00-\x1f\x7f]*(?:\x07|\x1b\\)")
# The start of one whose end has not come: it waits for the next packet, up to STRING_WAIT.
_STRING_START = re.compile(r"[\]PX^_][^\x00-\x1f\x7f]*\x1b?")
LONGEST_STRING = 1024  # characters held while a string's end has not come; a terminal's answer is far shorter
STRING_WAIT = 0.1  # seconds a string's start waits for its end: Textual's own wait after a lone ESC


def verdict(body: str, final: str) -> str:
    """Why the control sequence `ESC [ body final` must not reach the app, or "" if it may."""
    if f"{ESC}[{body}{final}" in _KNOWN_KEYS:
        return ""
    if ":" in body:
        return "a colon, sent only under kitty keyboard flags the app does not ask for"
    if any(len(number) > 7 or int(number) > LARGEST_NUMBER for number in _NUMBER.findall(body)):
        return "a number past U+10FFFF"
    if final == "t" and body.startswith("48;"):
        return "a window size, which is the server's to set"
    if final == "y" and body.startswith("?2048;"):
        return "an offer of window-size reports"
    if not _READ_WHOLE.fullmatch(body + final):
        return "not a key, mouse report or answer the app asked for"
    return ""


@dataclass
class ControlSequences:
    """A per-session filter of text: control sequences judged whole, everything else passed on.

    `dropped` counts the sequences dropped; `first_dropped` says what the first one was and why,
    for the log."""

    dropped: int = 0
    first_dropped: str = ""
    _held: str = ""  # the start of a sequence whose final byte, or a string whose end, has not come yet
    _held_string: bool = False  # what is held starts a string, and goes on as typed keys after STRING_WAIT
    _escape_open: bool = False  # the last character passed on is an ESC: the app may join it with what follows

    @property
    def waiting(self) -> bool:
        """A string's start waits for its end: `flush` must pass it on if no more comes."""
        return self._held_string

    def flush(self) -> str:
        """A string's start whose end did not come in STRING_WAIT, as typed keys: it was a key such
        as alt+] or alt+P, or text typed after one. (A sequence's start is not flushed: its end
        may still come, and the app would join the two.)"""
        if not self._held_string:
            return ""
        held, self._held, self._held_string = self._held, "", False
        self._escape_open = held.endswith(ESC)  # the ESC of a string's end that did not come
        return held

    def feed(self, text: str) -> str:
        text, self._held, self._held_string = self._held + text, "", False
        out: list[str] = []
        position = 0
        while position < len(text):
            if self._escape_open and (after := self._string_at(text, held_from=position, at=position)) is not None:
                position = after  # its ESC is in the app already, and stays open
                continue
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
                if (after := self._string_at(text, held_from=start, at=start + 1)) is not None:
                    position = after
                    continue
                if not text.startswith("[", start + 1):  # a lone ESC (the escape key), or another kind
                    out.append(ESC)
                    self._escape_open = True
                    position = start + 1
                    continue
                escape = ESC
            match = _RXVT_SHIFT_KEY.match(text, start + len(escape))
            if match is None or f"{ESC}{match.group(0)}" not in _KNOWN_KEYS:
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

    def _string_at(self, text: str, held_from: int, at: int) -> int | None:
        """A terminal's string starting at `at` (after its ESC, which is at `held_from`, or already in
        the app if that is `at`): dropped whole, or, cut by the packet's end, held from `held_from`
        on to look for its end in the next packet (up to STRING_WAIT: alt+] or alt+P begin the same
        way, and must not wait for an end that never comes). Returns where reading goes on, or None
        if no string starts there."""
        if string := _STRING.match(text, at):
            self._drop(ESC + string.group(0), "a terminal's string (OSC, DCS...), which no key is")
            return string.end()
        start = _STRING_START.match(text, at)
        if start is None or start.end() < len(text) or len(text) - held_from > LONGEST_STRING:
            return None
        self._held, self._held_string = text[held_from:], True
        return len(text)

    def _drop(self, sequence: str, reason: str) -> None:
        """Nothing of it reaches the app, whose state is as it was (an ESC passed on is still open)."""
        self.dropped += 1
        if not self.first_dropped:
            self.first_dropped = f"{sequence!r}: {reason}"
