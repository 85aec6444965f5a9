"""CPU of one served SSH session to start, per keystroke and per chat rating, read from /proc: what
decides how many people one machine serves at once (`ssh_load.py` measures the latencies that follow
from it).

Usage: MOVIEREC_HOME=... python benchmarks/served_cpu.py [--ratings 16] [--rounds 3]
       [--server-code CHECKOUT ...]

Needs a home where `movierec-tui setup` has run (real MovieLens 1M data). Starts the real server
(`movierec-tui serve ssh --allow-anonymous` on a free loopback port, as `ssh_load.py` does), opens one
session (120x40 pty, asyncssh and a pyte screen), skips the questions and types `--ratings` messages
such as "Fargo 4" one key at a time (0.12 s apart, each key's echo awaited), each sent with Enter
and followed by a second of quiet. It reads the CPU time (user + system) of the session's app
process and of everything the server runs (itself, the zygote, the apps, Milvus Lite's server, the
embedded Redis) before a message's first key, before its Enter and once the screen has been quiet
for a second, and reports the app's start (its CPU from the fork to its first screen, read once that
screen has been quiet for a second) and the means over the messages (the kernel counts CPU time in 10 ms ticks, so
one Enter's is too coarse to take a median of): per keystroke (the typing, divided by its keys) and
per Enter (the rating: the chat's answer, the profile panel, the cards and the rows under them, the
searches in their threads). The first rating is also reported on its own ("first Enter": one
rating, so good to a tick; compare medians over rounds). It pays what a session does once (the
first layouts, the first parse and search), and in `ssh_load.py` it is often a session's slowest.
`benchmarks/app_cpu.py` measures the app in-process under Textual's
Pilot, whose own work per key is as large as the app's; this measures the app as a served session
runs it.

With several `--server-code` checkouts (one of them may be "." for this one) each round measures
each in turn on the same home, and the report gives each one's median over the rounds and the
paired ratios to the first: the machine is shared and noisy, so compare checkouts within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from processes import descendants
from ssh_load import QUESTION, TITLES, app_processes, input_line_shows, quiet_since, start_server
from ssh_screen import ScreenClient

from movierec_tui.serve.shared import free_port

PACE = 0.12  # seconds from one key to the next, as ssh_load.py types
QUIET = 1.0  # seconds of no output that end a rating's repaint
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of `pids` (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


async def type_and_send(client: ScreenClient, message: str) -> None:
    for position in range(1, len(message) + 1):
        sent = time.perf_counter()
        client.send(message[position - 1])
        if message[position - 1] != " ":  # a space shows no text until the next key
            await client.wait_for(lambda text, typed=message[:position]: input_line_shows(text, typed), timeout=30)
        await asyncio.sleep(max(0.0, PACE - (time.perf_counter() - sent)))


async def session(port: int, server_pid: int, ratings: int) -> dict[str, float]:
    """Milliseconds of CPU of the app to its first screen (`start_app`), and per key, per Enter and for
    the first rating's Enter (`first_*`), of the app (`*_app`) and of every server process (`*_all`)."""
    client = ScreenClient(120, 40)
    await client.connect(port)
    await client.wait_for(QUESTION.decode(), timeout=120)
    await quiet_since(client, 0.0, QUIET)
    (app,) = app_processes(server_pid)
    started = 1000 * cpu_seconds([app])  # a forked process's counters start at 0
    everything = [server_pid, *descendants(server_pid)]
    keys = 0
    typing = {"app": 0.0, "all": 0.0}  # seconds of CPU over every message's keys
    enters: dict[str, list[float]] = {"app": [], "all": []}  # seconds of CPU of each rating's Enter, in order
    for number, message in enumerate(["back", *(f"{TITLES[i % len(TITLES)]} {1 + i % 5}" for i in range(ratings))]):
        app_before, all_before = cpu_seconds([app]), cpu_seconds(everything)
        await type_and_send(client, message)
        app_typed, all_typed = cpu_seconds([app]), cpu_seconds(everything)
        sent = time.perf_counter()
        client.send("\r")
        await quiet_since(client, sent, QUIET)
        app_after, all_after = cpu_seconds([app]), cpu_seconds(everything)
        if number == 0:  # "back": skips the questions, not a rating
            continue
        keys += len(message)
        typing["app"] += app_typed - app_before
        typing["all"] += all_typed - all_before
        enters["app"].append(app_after - app_typed)
        enters["all"].append(all_after - all_typed)
    await client.close()
    costs = {"start_app": started}
    for side in ("app", "all"):
        costs[f"key_{side}"] = 1000 * typing[side] / keys
        costs[f"enter_{side}"] = 1000 * statistics.mean(enters[side])
        costs[f"first_{side}"] = 1000 * enters[side][0]  # what a session does once (first layouts, warm-up)
    return costs


def measure(code: Path, home: str, ratings: int) -> dict[str, float]:
    port = free_port()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_server(port, home, 2, "prefork", Path(scratch) / "trace", code, [])
        try:
            return asyncio.run(session(port, server.pid, ratings))
        finally:
            server.terminate()
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--server-code", action="append", default=[], help="a checkout to measure ('.': this one)")
    args = parser.parse_args()
    home = os.environ.get("MOVIEREC_HOME", "")
    this_checkout = Path(__file__).resolve().parent.parent
    codes = [this_checkout if c == "." else Path(c).resolve() for c in args.server_code or ["."]]
    names = ["this checkout" if code == this_checkout else str(code) for code in codes]
    rows: list[list[dict[str, float]]] = [[] for _ in codes]
    for round_number in range(1, args.rounds + 1):
        for index, code in enumerate(codes):
            row = measure(code, home, args.ratings)
            rows[index].append(row)
            print(f"round {round_number}, {names[index]}: start app {row['start_app']:.0f} ms; "
                  f"per key app {row['key_app']:.2f} ms, all "
                  f"{row['key_all']:.2f} ms; per Enter app {row['enter_app']:.1f} ms, all {row['enter_all']:.1f} ms; "
                  f"first Enter app {row['first_app']:.0f} ms, all {row['first_all']:.0f} ms",
                  flush=True)  # fmt: skip
    print("\n| server code | start: app ms | per key: app / all processes ms | per Enter: app / all processes ms "
          "| first Enter: app / all processes ms |")
    print("|---|---|---|---|---|")
    for name, runs in zip(names, rows, strict=True):
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"| {name} | {median['start_app']:.0f} | {median['key_app']:.2f} / {median['key_all']:.2f} "
              f"| {median['enter_app']:.1f} / {median['enter_all']:.1f} "
              f"| {median['first_app']:.0f} / {median['first_all']:.0f} |")  # fmt: skip
    for name, runs in list(zip(names, rows, strict=True))[1:]:
        ratios = {key: statistics.median(run[key] / first[key] if first[key] else float("nan")
                                         for run, first in zip(runs, rows[0], strict=True))
                  for key in runs[0]}  # fmt: skip
        print(f"\n{name} / {names[0]}, median of {len(runs)} paired rounds: start app {ratios['start_app']:.2f}; "
              f"per key app {ratios['key_app']:.2f}, "
              f"all {ratios['key_all']:.2f}; per Enter app {ratios['enter_app']:.2f}, "
              f"all {ratios['enter_all']:.2f}; first Enter app {ratios['first_app']:.2f}, "
              f"all {ratios['first_all']:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
