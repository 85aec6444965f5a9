"""The terminal sizes a served app accepts, over SSH and over the web alike.

A client says how big its terminal is, and the app lays out and paints a screen that size: a size
nobody's screen has (100,000 x 100,000 in one WebSocket message) grew a web tab's app by 250 MB a
second until the machine ran out of memory. Every size a client sends is clamped here first.
"""

from __future__ import annotations

MIN_COLUMNS, MIN_ROWS = 20, 8
MAX_COLUMNS, MAX_ROWS = 1000, 500
# Window changes reach the app this long after the first of a run of them, at the latest size: a window
# being dragged resizes the app at most 20 times a second, and a flood of changes in one burst (500 of
# them, up to MAX_COLUMNS x MAX_ROWS, in tests/test_serve_hostile.py) costs it one layout and one repaint
# instead of several of the whole screen at sizes long gone.
RESIZE_DELAY = 0.05


def clamp_size(columns: int, rows: int) -> tuple[int, int]:
    """`columns` x `rows` brought within what the app is laid out for."""
    return min(max(columns, MIN_COLUMNS), MAX_COLUMNS), min(max(rows, MIN_ROWS), MAX_ROWS)
