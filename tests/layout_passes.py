"""Counting Textual's layout passes of the whole screen: the cost the app keeps off its hot paths
(a keystroke, a rating). Shared by the app tests and benchmarks/app_cpu.py."""

from __future__ import annotations

from textual.app import App


def count_layout_passes(app: App) -> list[int]:
    """From now on, one entry per layout pass of the app's current screen."""
    screen = app.screen
    passes: list[int] = []
    original = screen._refresh_layout

    def counting(*args, **kwargs):
        passes.append(1)
        return original(*args, **kwargs)

    screen._refresh_layout = counting
    return passes
