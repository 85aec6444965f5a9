"""What a client types, made safe for the app's terminal before it reaches the pty.

Textual decodes its input as strict UTF-8: one invalid byte (a Latin-1 terminal's `é`, 0xE9, or any
binary noise) raised UnicodeDecodeError in its input thread, printed a traceback with the server's
paths over the session and ended it. So the bytes are decoded here first, incrementally (a character
split across two packets is kept whole) and with replacement: each invalid byte becomes U+FFFD.

A bracketed paste (`ESC[200~ ... ESC[201~`) is kept to `paste_limit` characters: the rest of its
content is dropped, but the end marker always goes through. An escape inside a paste is dropped:
after one, Textual's parser read the rest of the pasted text as typed keys: a 'q' in it is the quit
key, and its newline ran the palette's highlighted command (a web fuzzer's tab quit that way).
Cutting the byte stream anywhere else (the old 64 KB input buffer did) could drop the end marker,
after which the app took every later key as part of the paste and the session looked frozen.

Between the two, control sequences are read whole, and those no terminal sends to this app are
dropped (`control_sequences`): Textual's parser ended the session on some, let others resize the
app, and read a terminal's unasked answers as typed keys.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable
from dataclasses import dataclass, field

from movierec_tui.serve.control_sequences import ESC, STRING_WAIT, ControlSequences

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
PASTE_LIMIT = 16 * 1024  # characters of one paste the app receives; a chat message is far shorter


def _partial_marker_at_end(text: str, marker: str) -> int:
    """How many characters at the end of `text` could be the start of `marker` (cut by a packet)."""
    for size in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-size:]):
            return size
    return 0


@dataclass
class TerminalInput:
    """A per-session filter: bytes from the client in, valid UTF-8 with sound control sequences
    and bounded pastes out.

    Outside a paste only an unfinished control sequence is held back (a lone escape key reaches
    the app at once), and a terminal string's start, up to STRING_WAIT (`flush_later`); inside a
    paste, a possible start of the end marker at a packet's end waits for the next packet.
    `replaced`, `sequences.dropped`, `paste_dropped` (cut off) and `paste_escapes` count what was
    changed, for the log."""

    paste_limit: int = PASTE_LIMIT
    replaced: int = 0
    paste_dropped: int = 0
    paste_escapes: int = 0
    sequences: ControlSequences = field(default_factory=ControlSequences)
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(errors="replace"), repr=False
    )
    _recent: str = ""  # the last characters passed on outside a paste: a start marker may span packets
    _held: str = ""  # inside a paste: a packet's end that may be the start of the end marker
    _in_paste: bool = False
    _pasted: int = 0  # characters of the current paste passed on
    _flush_due: asyncio.TimerHandle | None = field(default=None, repr=False)

    def feed(self, data: bytes) -> bytes:
        text = self._decoder.decode(data)
        self.replaced += max(text.count("\ufffd") - data.count(b"\xef\xbf\xbd"), 0)
        return self._bound_pastes(self.sequences.feed(text)).encode("utf-8")

    def flush_later(self, deliver: Callable[[bytes], None]) -> None:
        """Call after each `feed`: a terminal string's start waits at most STRING_WAIT for its end,
        then goes to `deliver` as typed keys with whatever was typed after it (alt+], then text)."""
        if not self.sequences.waiting and self._flush_due is not None:
            self._flush_due.cancel()
            self._flush_due = None
        elif self.sequences.waiting and self._flush_due is None:
            self._flush_due = asyncio.get_running_loop().call_later(STRING_WAIT, self._flush, deliver)

    def _flush(self, deliver: Callable[[bytes], None]) -> None:
        self._flush_due = None
        if data := self._bound_pastes(self.sequences.flush()).encode("utf-8"):
            deliver(data)

    def feed_noting(self, data: bytes) -> tuple[bytes, list[str]]:
        """`feed`, and each kind of change it made for the first time in the session, for the log:
        one line per kind, not one per key of a flood."""
        before = self.replaced, self.sequences.dropped, self.paste_dropped, self.paste_escapes
        passed = self.feed(data)
        notes = []
        if self.replaced and not before[0]:
            notes.append("invalid UTF-8 in the input, replaced by U+FFFD")
        if self.sequences.dropped and not before[1]:
            notes.append(f"a control sequence the app must not read was dropped ({self.sequences.first_dropped}), "
                         "and any more like it")  # fmt: skip
        if self.paste_dropped and not before[2]:
            notes.append(f"a paste over {self.paste_limit} characters was cut")
        if self.paste_escapes and not before[3]:
            notes.append("an escape inside a paste was dropped (the app reads the rest of a paste as keys after one)")
        return passed, notes

    def changes(self) -> str:
        """What the filter changed in the whole session, for its last log line; "" if nothing."""
        if not (self.replaced or self.sequences.dropped or self.paste_dropped or self.paste_escapes):
            return ""
        return (f"{self.replaced} invalid input bytes replaced, {self.sequences.dropped} control sequences "
                f"and {self.paste_dropped + self.paste_escapes} pasted characters dropped")  # fmt: skip

    def _bound_pastes(self, text: str) -> str:
        out: list[str] = []
        while text:
            if not self._in_paste:
                seen = self._recent + text
                start = seen.find(PASTE_START)
                if start < 0:
                    out.append(text)
                    self._recent = seen[-(len(PASTE_START) - 1) :]
                    break
                after = start + len(PASTE_START) - len(self._recent)  # where the paste starts in `text`
                out.append(text[:after])
                text = text[after:]
                self._recent, self._in_paste, self._pasted = "", True, 0
                continue
            text, self._held = self._held + text, ""
            end = text.find(PASTE_END)
            content = text if end < 0 else text[:end]
            if end < 0:
                keep = _partial_marker_at_end(content, PASTE_END)
                content, self._held = content[: len(content) - keep], content[len(content) - keep :]
            if escapes := content.count(ESC):
                content = content.replace(ESC, "")
                self.paste_escapes += escapes
            room = max(self.paste_limit - self._pasted, 0)
            out.append(content[:room])
            self._pasted += min(len(content), room)
            self.paste_dropped += max(len(content) - room, 0)
            if end < 0:
                break
            out.append(PASTE_END)
            text = text[end + len(PASTE_END) :]
            self._in_paste = False
        return "".join(out)
