"""The scripted SSH client's screen (tests/ssh_screen.py) reads as pyte's own `display` does: the serve
tests and the load benchmark look for what a person would see there."""

from __future__ import annotations

from ssh_screen import ScreenClient

CHUNKS = [
    b"\x1b[2J\x1b[H" + b"".join(f"row {y:02d} {'x' * 50}\r\n".encode() for y in range(39)),
    "\x1b[5;10H\x1b[1;31m★ wide: 映画 and more\x1b[0m".encode(),
    b"\x1b[40;1H" + b"scrolled\r\n" * 3,  # the screen scrolls: every row moves
    b"\x1b[12;1H\x1b[2K\x1b[12;3Hcleared and rewritten",
    "\x1b[20;119H映".encode(),  # a wide character in the last two columns
    b"\x1b[1;1H\x1b[J",  # erase the whole screen from the top
]


def test_the_text_kept_line_by_line_is_what_pyte_displays_after_every_kind_of_output() -> None:
    client = ScreenClient(120, 40)
    for chunk in CHUNKS:
        for start in range(0, len(chunk), 7):  # in packets that cut sequences apart
            client.feed(chunk[start:start + 7])
            assert client.text == "\n".join(client.screen.display)


def test_a_screen_read_again_after_a_resize_matches_pyte_at_the_new_size() -> None:
    client = ScreenClient(120, 40)
    client.feed(CHUNKS[0])
    assert client.text == "\n".join(client.screen.display)
    for columns, rows in ((80, 30), (132, 50), (100, 45)):  # smaller, then larger than at first
        client.resize_screen(columns, rows)
        client.feed(b"\x1b[3;1Hafter the resize\x1b[45;1Hlow row")
        assert client.text == "\n".join(client.screen.display)
    client.screen.resize(24, 80)  # pyte resized directly: the kept text follows all the same
    assert client.text == "\n".join(client.screen.display)
