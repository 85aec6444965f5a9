"""Latency of the app itself: from a rating keypress on a card to the new cards painted on screen.

Usage: MOVIEREC_HOME=... python benchmarks/tui.py [--ratings 100] [--pause 0.15] [--screenshot docs/screenshot.svg]

Needs a home where `movierec-tui setup` has run (real MovieLens 1M data). Drives the real app with
Textual's Pilot at 120x40: answers the questions and rates a few well-known movies through the
chat, optionally saves a screenshot of that state, then focuses the cards and presses a rating key
(1-5, from a fixed sequence) on the top card N times. Each measurement starts just before the key
is sent and ends when the app's after-refresh callback reports that the results of that keypress
were composited (`Refresher.painted_at`), so it includes key dispatch, the profile edit, the
worker thread (encode, Milvus search, Redis cards), the card rendering and the repaint.

The rows under the cards ("Because you loved X", "Hidden gems", app/rows.py) are searched after the
cards are painted, so they are not in that number; "keypress → rows painted" is measured to the
repaint of the rows searched for the same keypress. Before the next keypress the app settles (the
rows too), unless --pace cards: then the next key follows the cards alone, and may arrive while the
rows are still being searched, as a fast typist's would.

Keypresses are spaced by --pause (default 0.15 s, a brisk human): the app throttles refreshes to one
start per 100 ms, so a press inside that window would measure the throttle, not the work.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from movierec_tui import logs
from movierec_tui.app import MovieRecApp
from movierec_tui.config import load_settings
from movierec_tui.engine import Recommender

SESSION = ("34, male, programmer", "back", "no horror", "loved Star Wars", "loved Alien", "liked Blade Runner",
           "hated Titanic", "Pulp Fiction 5")  # fmt: skip
RATING_KEYS = "54253145243514"


async def settle(pilot, app: MovieRecApp, timeout: float = 30.0) -> None:
    """Until every worker is done and no refresh is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.settled:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError("the app did not settle")


async def run(
    recommender: Recommender, n: int, pause: float, screenshot: Path | None, pace: str = "settled"
) -> dict[str, list[float]]:
    app = MovieRecApp(recommender, cursor_blink=False, tune_gc=True)  # as the CLI runs it
    out: dict[str, list[float]] = {"total": [], "engine": [], "rows": []}
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        for text in SESSION:
            app.chat_input.value = text
            await pilot.press("enter")
            await settle(pilot, app)
        if screenshot is not None:
            app.cards.focus()
            await settle(pilot, app)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            app.save_screenshot(filename=screenshot.name, path=str(screenshot.parent))
        app.cards.focus()
        await settle(pilot, app)
        for i in range(n):
            await asyncio.sleep(pause)
            before = app.refresher.painted_generation
            started = time.perf_counter()
            await pilot.press(RATING_KEYS[i % len(RATING_KEYS)])
            deadline = time.monotonic() + 10
            while app.refresher.painted_generation == before and time.monotonic() < deadline:
                await asyncio.sleep(0.0005)
            if app.refresher.painted_generation == before:
                raise TimeoutError(f"rating {i}: the cards were not updated")
            out["total"].append((app.refresher.painted_at - started) * 1e3)
            out["engine"].append(app.refresher.took_ms)
            if pace == "cards":
                continue
            await settle(pilot, app)
            if app.rows.painted_generation == app.refresher.painted_generation:
                out["rows"].append((app.rows.painted_at - started) * 1e3)
        app.exit()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100)
    parser.add_argument("--pause", type=float, default=0.15, help="seconds between rating keypresses")
    parser.add_argument("--screenshot", type=Path, default=None, help="save an SVG of the app before measuring")
    parser.add_argument("--pace", choices=("settled", "cards"), default="settled",
                        help="the next key after the app settled (rows too), or right after the cards")  # fmt: skip
    args = parser.parse_args()

    settings = load_settings()
    logs.log_to_file(settings.log_file)
    console = Console()
    with Recommender(settings) as recommender:
        results = asyncio.run(run(recommender, args.ratings, args.pause, args.screenshot, args.pace))

    total, engine, rows = np.array(results["total"]), np.array(results["engine"]), np.array(results["rows"])
    title = f"Rating keypress → cards on screen ({len(total)} ratings, 120x40, pause {args.pause} s, pace {args.pace})"
    table = Table(title=title)
    table.add_column("stage")
    for column in ("p50 ms", "p99 ms", "mean ms", "max ms"):
        table.add_column(column, justify="right")
    for name, values in (
        ("keypress → cards painted", total),
        ("  recommend(): encode, Milvus, Redis", engine),
        ("  the app: key, edit, render, paint", total - engine),
        *([("keypress → rows painted (after the cards)", rows)] if len(rows) else []),
    ):
        table.add_row(
            name,
            *(f"{v:.1f}" for v in (np.percentile(values, 50), np.percentile(values, 99), values.mean(), values.max())),
        )
    console.print(table)
    p50 = float(np.percentile(total, 50))
    verdict = "met" if p50 <= 50 else "NOT met"
    console.print(f"target p50 <= 50 ms: {verdict} ({p50:.1f} ms); p50 total / p50 recommend(): "
                  f"{p50 / max(float(np.percentile(engine, 50)), 1e-9):.1f}x")  # fmt: skip
    if args.screenshot is not None:
        console.print(f"screenshot: {args.screenshot}")


if __name__ == "__main__":
    main()
