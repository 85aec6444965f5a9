"""`serve.control_sequences`: a client's control sequences read whole and judged before the app's
parser sees them. The sequences a terminal sends pass unchanged, however the packets cut them; the
ones that ended a session or resized the app past the server's clamp are dropped; and whatever the
filter passes, Textual's own parser reads without an exception (the property the filter exists for).
"""

from __future__ import annotations

import random

import pytest
from textual import events
from textual._xterm_parser import XTermParser

from movierec_tui.serve.control_sequences import LONGEST, ControlSequences

# As terminals send them to an app that asked for what Textual asks: keys (xterm, and kitty's
# disambiguated keys, with a Cyrillic and a private-use code point), mouse reports, focus, the
# paste markers, answers to Textual's queries.
FROM_TERMINALS = {
    "up": "\x1b[A", "ctrl+right": "\x1b[1;5C", "f5": "\x1b[15~", "shift+f5": "\x1b[15;2~", "shift+tab": "\x1b[Z",
    "kitty ctrl+a": "\x1b[97;5u", "kitty ctrl+cyrillic": "\x1b[1099;5u", "kitty private use": "\x1b[57399u",
    "kitty escape": "\x1b[27u", "click": "\x1b[<0;12;7M\x1b[<0;12;7m", "scroll": "\x1b[<64;80;39M",
    "move": "\x1b[<35;1000;500M", "ghostty negative": "\x1b[<35;-1;5M", "focus": "\x1b[I\x1b[O",
    "paste": "\x1b[200~heat\x1b[201~", "cursor position": "\x1b[40;120R", "sync output": "\x1b[?2026;2$y",
    "device attributes": "\x1b[?62;22c", "ss3 f1": "\x1bOP", "alt+x": "\x1bx",
}  # fmt: skip

# Each ended a served session with a traceback from Textual's parser, or resized its app past the
# server's clamp (the fuzzer of 2026-12-05).
NO_TERMINAL_SENDS = {
    "key past a C int": ("\x1b[99999999999999999999u", "a number past U+10FFFF"),
    "tilde key past a C int": ("\x1b[99999999999999999999~", "a number past U+10FFFF"),
    "key past U+10FFFF": ("\x1b[1114112u", "a number past U+10FFFF"),
    "text past U+10FFFF": ("\x1b[97;1;99999999999u", "a number past U+10FFFF"),
    "colon in modifiers": ("\x1b[97;5:3u", "a colon"),
    "window size": ("\x1b[48;5000;5000;0;0t", "a window size"),
    "window size, no pixels": ("\x1b[48;30;100;0;0t", "a window size"),
    "window-size reports offered": ("\x1b[?2048;2$y", "an offer of window-size reports"),
    "cut short": ("\x1b[12\x01", "cut short"),
    "too long": ("\x1b[" + "1;" * 20 + "u", "longer than any"),
}


def through(filter_: ControlSequences, packets: list[str]) -> list[str]:
    return [filter_.feed(packet) for packet in packets]


@pytest.mark.parametrize("sequence", FROM_TERMINALS.values(), ids=FROM_TERMINALS.keys())
def test_what_terminals_send_passes_unchanged_however_the_packets_cut_it(sequence: str) -> None:
    text = f"a{sequence}b"
    for cut in range(len(text) + 1):
        filter_ = ControlSequences()
        assert "".join(through(filter_, [text[:cut], text[cut:]])) == text, cut
        assert filter_.dropped == 0


def test_a_lone_escape_reaches_the_app_at_once() -> None:
    filter_ = ControlSequences()
    assert through(filter_, ["\x1b", "\x1b", "x"]) == ["\x1b", "\x1b", "x"]


def test_an_unfinished_sequence_waits_for_its_end() -> None:
    filter_ = ControlSequences()
    assert through(filter_, ["ab\x1b[1;5", "C", "\x1b[", "<0;5;5", "M"]) == ["ab", "\x1b[1;5C", "", "", "\x1b[<0;5;5M"]


@pytest.mark.parametrize(("sequence", "reason"), NO_TERMINAL_SENDS.values(), ids=NO_TERMINAL_SENDS.keys())
def test_a_sequence_no_terminal_sends_is_dropped_whole(sequence: str, reason: str) -> None:
    filter_ = ControlSequences()
    kept = "\x01" if reason == "cut short" else ""  # the character that cut a sequence short is typed
    assert filter_.feed(f"a{sequence}b") == f"a{kept}b"
    assert filter_.dropped == 1 and reason in filter_.first_dropped, filter_.first_dropped


def test_a_sequence_after_an_escape_passed_on_is_judged_as_the_app_may_read_it() -> None:
    """The ESC went out alone at a packet's end; the app may still join it with the next packet."""
    filter_ = ControlSequences()
    assert through(filter_, ["\x1b", "[99999999999999999999u", "[A"]) == ["\x1b", "", "[A"]
    assert filter_.dropped == 1


@pytest.mark.parametrize("packets", [["\x1b", "[99999999999999999999u", "[99999999999999999999u"],
                                     ["\x1b", "[99999999999999999999u[99999999999999999999u"],
                                     ["\x1b", "[9999999999", "9999999999u", "[1114112u"]])  # fmt: skip
def test_an_escape_passed_on_stays_open_while_what_follows_it_is_dropped(packets: list[str]) -> None:
    """Nothing after the ESC reached the app, so its next '[' may still join it there."""
    filter_ = ControlSequences()
    passed = "".join(through(filter_, packets))
    assert passed == "\x1b" and filter_.dropped == 2
    parse_all(passed + "a")


def parse_all(text: str) -> list[events.Event]:
    """Everything Textual's parser makes of `text` read at once: the app's worst case, where no
    pause between packets ends a sequence early."""
    parser = XTermParser()
    return [*parser.feed(text), *parser.feed("")]


HOSTILE_PIECES = ["\x1b", "\x1b[", "[", ";", ":", "<", "?", "$", "48;", "2048;", "u", "~", "t", "M", "m", "y", "A",
                  "R", "0", "5", "55296", "1114112", "99999999999999999999", "\x01", "a", "\x1b[200~",
                  "\x1b[201~"]  # fmt: skip


@pytest.mark.parametrize("seed", range(8))
def test_textuals_parser_reads_whatever_the_filter_passes(seed: int) -> None:
    """Random runs of the pieces sequences are made of, in random packets: Textual's parser, which
    raised OverflowError, ValueError or ZeroDivisionError on such input, reads the filter's output
    without an exception, and never sees a window size."""
    rng = random.Random(seed)
    text = "".join(rng.choice(HOSTILE_PIECES) for _ in range(4000)) + "\x1b[<35;5;5M"
    filter_ = ControlSequences()
    cuts = sorted(rng.sample(range(len(text)), 300))
    passed = "".join(filter_.feed(text[start:end]) for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True))
    read = parse_all(passed)
    assert not any(isinstance(event, events.Resize) for event in read)
    assert filter_.dropped > 0


def test_nothing_longer_than_textual_reads_is_held() -> None:
    filter_ = ControlSequences()
    assert filter_.feed("\x1b[" + "1" * (LONGEST - 2)) == ""
    assert filter_.feed("1") == "" and filter_.dropped == 1
    assert filter_.feed("1u") == "1u"  # the rest of it is typed text now, as Textual would read it
