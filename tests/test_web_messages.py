"""What `serve web` takes from a tab (`web_messages`): the page's five messages, sizes clamped as over
SSH, and for anything else one line that says what is wrong with it."""

from __future__ import annotations

import pytest

from movierec_tui.serve.terminal_size import MAX_COLUMNS, MAX_ROWS, MIN_COLUMNS, MIN_ROWS
from movierec_tui.serve.web_messages import BadMessage, Focus, Keys, Ping, Resize, read_message, size_from_query


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ('["stdin", "heat\\r"]', Keys("heat\r")),
        ('["stdin", ""]', Keys("")),
        ('["stdin", "a\\ud800b\\ud83d\\ude00"]', Keys("a\ufffdb\U0001f600")),  # half a pair; a whole one
        ('["resize", {"width": 120, "height": 40}]', Resize(120, 40)),
        ('["resize", {"width": 100000, "height": 100000}]', Resize(MAX_COLUMNS, MAX_ROWS)),
        ('["resize", {"width": -5, "height": 0}]', Resize(MIN_COLUMNS, MIN_ROWS)),
        ('["resize", {"width": 80, "height": 24, "extra": 1}]', Resize(80, 24)),
        ('["ping", "1764921600000"]', Ping("1764921600000")),
        ('["focus"]', Focus(True)),
        ('["blur"]', Focus(False)),
    ],
)
def test_the_pages_own_messages_are_read(frame: str, message: object) -> None:
    assert read_message(frame) == message


@pytest.mark.parametrize(
    ("frame", "said"),
    [
        ("{not json", "not JSON: '{not json'"),
        ("", "not JSON: ''"),
        ("[" * 100_000 + "]" * 100_000, "not JSON: '[[[["),  # deeper than Python's recursion limit
        ('{"stdin": "x"}', "not a [type, ...] list"),
        ("[]", "not a [type, ...] list"),
        ("[5]", "not a [type, ...] list"),
        ('["launch", "/bin/sh"]', "unknown type 'launch'"),
        ('["stdin"]', "stdin: 0 arguments, not 1"),
        ('["stdin", "a", "b"]', "stdin: 2 arguments, not 1"),
        ('["stdin", 5]', "stdin: 5 is not text"),
        ('["resize", [80, 24]]', "resize: [80, 24] is not a {width, height} object"),
        ('["resize", {"width": "abc", "height": 24}]', "resize: width 'abc' is not a whole number"),
        ('["resize", {"width": 80.5, "height": 24}]', "resize: width 80.5 is not a whole number"),
        ('["resize", {"width": true, "height": 24}]', "resize: width True is not a whole number"),
        ('["resize", {"width": 80}]', "resize: height None is not a whole number"),
        ('["ping", {"a": 1}]', "ping: {'a': 1} is not text"),
        ('["ping", "' + "9" * 65 + '"]', "ping: 65 characters, more than 64"),
        ('["stdin", "' + "x" * 100 + '", 1]', "stdin: 2 arguments, not 1"),
    ],
)
def test_anything_else_is_a_bad_message_that_says_what_is_wrong(frame: str, said: str) -> None:
    with pytest.raises(BadMessage) as raised:
        read_message(frame)
    assert str(raised.value).startswith(said), str(raised.value)


def test_a_long_bad_message_is_cut_short_in_what_is_said() -> None:
    with pytest.raises(BadMessage) as raised:
        read_message("x" * 1_000_000)
    assert len(str(raised.value)) < 60


@pytest.mark.parametrize(
    ("query", "size"),
    [
        ({"width": "120", "height": "40"}, (120, 40)),
        ({}, (80, 24)),
        ({"width": "abc", "height": "1e9"}, (80, 24)),
        ({"width": "100000", "height": "100000"}, (MAX_COLUMNS, MAX_ROWS)),
        ({"width": "9" * 5000, "height": "-3"}, (80, MIN_ROWS)),
    ],
)
def test_the_size_a_page_opens_with_is_clamped(query: dict[str, str], size: tuple[int, int]) -> None:
    assert size_from_query(query) == size
