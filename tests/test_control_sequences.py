"""`serve.control_sequences`: a client's control sequences read whole and judged before the app's
parser sees them. The sequences a terminal sends pass unchanged, however the packets cut them; the
ones that ended a session or resized the app past the server's clamp are dropped; and whatever the
filter passes, Textual's own parser reads without an exception (the property the filter exists for).
"""

from __future__ import annotations

import itertools
import random

import pytest
from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
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
    "ss3 f1": "\x1bOP", "alt+x": "\x1bx", "x10 click": "\x1b[M !!", "urxvt click": "\x1b[32;5;5M",
    "alt+]": "\x1b]", "alt+shift+p": "\x1bP",
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
# A terminal's answers to questions this app never asks (a late one may answer an earlier program):
# Textual's parser read each on past its end, then read it, with the keys typed after it, as keys.
NEVER_ASKED = {
    "device attributes": ("\x1b[?62;22c", "not a key"),
    "secondary device attributes": ("\x1b[>0;276;0c", "not a key"),
    "kitty keyboard flags": ("\x1b[?1u", "not a key"),
    "window size in cells": ("\x1b[8;40;120t", "not a key"),
    "status report": ("\x1b[0n", "not a key"),
    "background colour, BEL": ("\x1b]11;rgb:0000/0000/0000\x07", "a terminal's string"),
    "background colour, ST": ("\x1b]11;rgb:0000/0000/0000\x1b\\", "a terminal's string"),
    "terminal capability": ("\x1bP1+r544e=787465726d\x1b\\", "a terminal's string"),
    "kitty graphics": ("\x1b_Gi=31;OK\x1b\\", "a terminal's string"),
}


def through(filter_: ControlSequences, packets: list[str]) -> list[str]:
    return [filter_.feed(packet) for packet in packets]


@pytest.mark.parametrize("sequence", FROM_TERMINALS.values(), ids=FROM_TERMINALS.keys())
def test_what_terminals_send_passes_unchanged_however_the_packets_cut_it(sequence: str) -> None:
    passes_unchanged_however_cut(sequence)


def passes_unchanged_however_cut(sequence: str) -> None:
    """`sequence` between two letters, cut into two packets at every point, comes out as it went in
    (after the wait for a string's end, for alt+] and alt+P, which start as strings do)."""
    text = f"a{sequence}b"
    for cut in range(len(text) + 1):
        filter_ = ControlSequences()
        assert "".join(through(filter_, [text[:cut], text[cut:]])) + filter_.flush() == text, cut
        assert filter_.dropped == 0


def test_a_lone_escape_reaches_the_app_at_once() -> None:
    filter_ = ControlSequences()
    assert through(filter_, ["\x1b", "\x1b", "x"]) == ["\x1b", "\x1b", "x"]


def test_an_unfinished_sequence_waits_for_its_end() -> None:
    filter_ = ControlSequences()
    assert through(filter_, ["ab\x1b[1;5", "C", "\x1b[", "<0;5;5", "M"]) == ["ab", "\x1b[1;5C", "", "", "\x1b[<0;5;5M"]


@pytest.mark.parametrize(("sequence", "reason"), [*NO_TERMINAL_SENDS.values(), *NEVER_ASKED.values()],
                         ids=[*NO_TERMINAL_SENDS, *NEVER_ASKED])  # fmt: skip
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


def read_whole(sequence: str) -> bool:
    """Textual's parser ends `sequence` where it ends: a key typed after it reaches the app as that
    key, and nothing of it is read as typed keys (which Textual marks with an ESC read as '^'). An
    X10 mouse report takes the three bytes after it first."""
    after = " !!x" if sequence == "\x1b[M" else "x"
    read = parse_all(sequence + after)
    keys = [event.key for event in read if isinstance(event, events.Key)]
    return keys[-1:] == ["x"] and "circumflex_accent" not in keys and len(read) <= 3


@pytest.mark.parametrize("sequence", sorted(s for s in ANSI_SEQUENCES_KEYS if s.startswith("\x1b[")))
def test_every_key_textual_knows_passes_unchanged(sequence: str) -> None:
    """rxvt's shift+up (`ESC[a`) and ctrl+f1 (`ESC[11^`), the Linux console's F1 (`ESC[[A`), mintty's
    ctrl+1 (`ESC[1;5q`)...: shapes no other key has, each passed as it came, however cut."""
    passes_unchanged_however_cut(sequence)


CSI_PIECES = ["", "1", "5", "12", ";", "<", "?", ">", "$", "-", " ", "="]


def test_every_sequence_the_filter_passes_is_read_whole_by_textual() -> None:
    """Each `ESC [`, up to three pieces, any final byte: what the filter passes, the app's parser ends
    where the filter did, so no key typed after it is read as part of it."""
    passed = 0
    for pieces in itertools.product(CSI_PIECES, repeat=3):
        for final in map(chr, range(0x40, 0x7F)):
            sequence = "\x1b[" + "".join(pieces) + final
            if ControlSequences().feed(sequence) == sequence:
                assert read_whole(sequence), repr(sequence)
                passed += 1
    assert passed > 1000  # keys, mouse reports, focus, cursor positions, mode reports


@pytest.mark.parametrize("sequence", [sequence for sequence, reason in NEVER_ASKED.values() if "string" in reason])
def test_a_string_cut_by_packets_waits_for_its_end_and_is_dropped_whole(sequence: str) -> None:
    """(Cut right after its ESC: `test_a_string_cut_right_after_its_escape_waits_for_its_end_too`.)"""
    for cut in range(2, len(sequence)):
        filter_ = ControlSequences()
        assert through(filter_, [f"a{sequence[:cut]}", f"{sequence[cut:]}b"]) == ["a", "b"], cut
        assert filter_.dropped == 1 and not filter_.waiting


def test_a_strings_start_whose_end_does_not_come_passes_as_keys() -> None:
    """After the wait (alt+P, then x), or at once when a control character shows it is no string."""
    filter_ = ControlSequences()
    assert filter_.feed("a\x1bP") == "a" and filter_.waiting
    assert filter_.feed("x") == "" and filter_.flush() == "\x1bPx"
    assert filter_.feed("y") == "y" and not filter_.waiting and filter_.flush() == ""
    assert through(filter_, ["\x1b]ab", "\r", "\x1b[A"]) == ["", "\x1b]ab\r", "\x1b[A"]
    assert filter_.dropped == 0
    assert filter_.feed("\x1b]ab\x1b") == "" and filter_.flush() == "\x1b]ab\x1b"
    assert filter_.feed("[99999999999999999999u") == "" and filter_.dropped == 1  # judged with that ESC


def test_a_string_after_an_escape_passed_on_is_dropped_and_the_escape_stays_open() -> None:
    filter_ = ControlSequences()
    assert through(filter_, ["\x1b", "P1+r544e\x1b\\", "[A"]) == ["\x1b", "", "[A"]
    assert filter_.dropped == 1


def test_a_string_cut_right_after_its_escape_waits_for_its_end_too() -> None:
    """The ESC went on as the escape key; the rest is held as a string's start would be."""
    filter_ = ControlSequences()
    assert through(filter_, ["a\x1b", "]11;rgb", ":0/0/0\x07", "b"]) == ["a\x1b", "", "", "b"]
    assert filter_.dropped == 1
    assert through(filter_, ["\x1b", "]"]) == ["\x1b", ""] and filter_.flush() == "]"  # escape, then ]
