"""CPU the app spends on one chat rating and on one keystroke: what decides how many served sessions
a machine holds.

Usage: MOVIEREC_HOME=... python benchmarks/app_cpu.py [--ratings 20] [--sessions 1] [--each]

Needs a home where `movierec-tui setup` has run (real MovieLens 1M data), and nothing else holding
its Milvus Lite dir. Drives the real app with Textual's Pilot at 120x40: skips the questions, then
types messages such as "Fargo 4" key by key and sends them. Reports the process CPU time (all
threads: the app, the search worker, Paddle) per keystroke and per Enter, how many layout passes
of the whole screen each took, and how many lines of widgets Textual drew for it (a line it did
not keep from an earlier frame: the unit of a repaint's cost). Medians over the messages.

`--each` also prints every rating by its place in the session (the 1st, the 2nd, ...), medians over
`--sessions` fresh apps: a session's first ratings carry one-off work (the quick replies go, a row
appears), and a load of people who all start at once makes them together (`ssh_load.py` reports
the slowest session's update of each rating). The sessions share one `Recommender`, so after the
first its title index answers the same messages from its memo (about 2 ms less per rating, the
same for every place); a served app starts with an empty one.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from layout_passes import count_layout_passes
from ssh_load import TITLES  # the same unambiguous titles as the load benchmark
from textual._styles_cache import StylesCache

from movierec_tui import logs
from movierec_tui.app import MovieRecApp
from movierec_tui.config import load_settings
from movierec_tui.engine import Recommender
from movierec_tui.stores.backends import open_backends


def count_lines_drawn() -> list[int]:
    """From now on, one entry per line of a widget that Textual draws (its styles cache had no line
    to reuse): what a repaint costs, frame by frame. Call it once: each call wraps Textual again."""
    drawn: list[int] = []
    draw = StylesCache.render_line

    def counting(self, *args, **kwargs):
        drawn.append(1)
        return draw(self, *args, **kwargs)

    StylesCache.render_line = counting
    return drawn


async def measure(recommender: Recommender, ratings: int, lines: list[int]) -> dict[str, list[float]]:
    """One fresh app's keystrokes and Enters; `lines` is the list `count_lines_drawn` fills."""
    app = MovieRecApp(recommender, cursor_blink=False, tune_gc=True)  # as a served session runs it
    out: dict[str, list[float]] = {"key_ms": [], "enter_ms": [], "key_layouts": [], "enter_layouts": [],
                                   "key_lines": [], "enter_lines": []}  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.ready:
            await pilot.pause(0.05)
        await pilot.pause(1.0)
        app.chat_input.value = "back"
        await pilot.press("enter")
        await pilot.pause(1.0)
        passes = count_layout_passes(app)
        for i in range(ratings):
            message = f"{TITLES[i % len(TITLES)]} {1 + i % 5}"
            started, before, drawn = time.process_time(), len(passes), len(lines)
            for character in message:
                await pilot.press("space" if character == " " else character)
            await pilot.pause(0.1)
            out["key_ms"].append((time.process_time() - started) * 1000 / len(message))
            out["key_layouts"].append((len(passes) - before) / len(message))
            out["key_lines"].append((len(lines) - drawn) / len(message))
            started, before, drawn = time.process_time(), len(passes), len(lines)
            await pilot.press("enter")
            await pilot.pause(0.4)  # the refresh, its repaint and the panel
            out["enter_ms"].append((time.process_time() - started) * 1000)
            out["enter_layouts"].append(len(passes) - before)
            out["enter_lines"].append(len(lines) - drawn)
    return out


def print_each(sessions: list[dict[str, list[float]]]) -> None:
    """Each rating by its place in the session: medians over the sessions."""
    print(f"\nper Enter by its place in the session (medians of {len(sessions)} sessions)")
    print("rating  CPU ms  layout passes  lines drawn")
    for place in range(len(sessions[0]["enter_ms"])):
        cpu, layouts, lines = (statistics.median(s[key][place] for s in sessions)
                               for key in ("enter_ms", "enter_layouts", "enter_lines"))  # fmt: skip
        print(f"{place + 1:6d}  {cpu:6.0f}  {layouts:13.1f}  {lines:11.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=1, help="fresh apps, one after another")
    parser.add_argument("--each", action="store_true", help="also each rating by its place in the session")
    args = parser.parse_args()
    if args.sessions < 1 or args.ratings < 1:
        parser.error("--sessions and --ratings must be at least 1")
    settings = load_settings()
    logs.log_to_file(settings.log_file)
    with Recommender(settings, open_backends(settings)) as recommender:  # closes the stores too
        lines = count_lines_drawn()
        sessions = [asyncio.run(measure(recommender, args.ratings, lines)) for _ in range(args.sessions)]
    results = {key: [value for session in sessions for value in session[key]] for key in sessions[0]}
    median = {key: statistics.median(values) for key, values in results.items()}
    print(f"per keystroke: {median['key_ms']:.1f} ms CPU, {median['key_layouts']:.2f} layout passes, "
          f"{median['key_lines']:.1f} lines drawn")  # fmt: skip
    print(f"per Enter (a rating: chat answer, panel, new cards): {median['enter_ms']:.0f} ms CPU, "
          f"{median['enter_layouts']:.1f} layout passes, {median['enter_lines']:.0f} lines drawn")  # fmt: skip
    if args.each:
        print_each(sessions)


if __name__ == "__main__":
    main()
