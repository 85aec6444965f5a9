"""`serve.terminal_input.TerminalInput`: the wait for a terminal string's end, on a real event loop,
and escapes inside a paste. (The rest of the filter is shown end to end in `test_serve_hostile.py`,
over SSH and in a web tab.)"""

from __future__ import annotations

import asyncio

from textual import events
from textual._xterm_parser import XTermParser

from movierec_tui.serve.control_sequences import STRING_WAIT
from movierec_tui.serve.terminal_input import TerminalInput


async def typed(packets: list[bytes], gap: float) -> list[tuple[str, bytes]]:
    """Each packet fed as a session does (`feed`, then `flush_later`), `gap` seconds apart: what
    reached the app, in order, each marked "at once" or "late" (after a wait)."""
    filter_ = TerminalInput()
    reached: list[tuple[str, bytes]] = []
    for packet in packets:
        if passed := filter_.feed(packet):
            reached.append(("at once", passed))
        filter_.flush_later(lambda data: reached.append(("late", data)))
        await asyncio.sleep(gap)
    await asyncio.sleep(STRING_WAIT * 3)
    return reached


def test_alt_p_reaches_the_app_after_the_wait_for_a_strings_end() -> None:
    assert asyncio.run(typed([b"a\x1bP"], gap=0)) == [("at once", b"a"), ("late", b"\x1bP")]


def test_a_string_cut_by_a_packet_is_dropped_when_its_end_comes_in_time() -> None:
    reached = asyncio.run(typed([b"\x1bP1+r544e", b"=787465726d\x1b\\b"], gap=STRING_WAIT / 4))
    assert reached == [("at once", b"b")]


def test_keys_typed_after_a_strings_start_wait_no_longer_than_it() -> None:
    """alt+], then keys a third of the wait apart: what came in the wait goes after it, the rest at
    once, all in typing order."""
    reached = asyncio.run(typed([b"\x1b]", *(bytes([key]) for key in b"abcdefgh")], gap=STRING_WAIT / 3))
    assert b"".join(data for _, data in reached) == b"\x1b]abcdefgh"
    assert reached[0][0] == "late" and reached[-1] == ("at once", b"h"), reached


def test_an_escape_inside_a_paste_is_dropped_and_the_rest_stays_pasted_text() -> None:
    """After an escape in a paste, Textual's parser read the rest of it as typed keys: here 'q'
    (quit) and enter. Now the app reads one paste of the text without its escapes."""
    filter_ = TerminalInput()
    passed = filter_.feed(b"\x1b[200~lo\x1b[Aved\x1b alien\rq\x1b[201~")
    assert passed == b"\x1b[200~lo[Aved alien\rq\x1b[201~" and filter_.paste_escapes == 2
    read = [*XTermParser().feed(passed.decode())]
    assert [type(event) for event in read] == [events.Paste] and read[0].text == "lo[Aved alien\rq"
    assert filter_.changes() == "0 invalid input bytes replaced, 0 control sequences and 2 pasted characters dropped"
