"""Load on `movierec-tui serve ssh`: N concurrent scripted SSH sessions, each rating 10 movies.

Usage: MOVIEREC_HOME=... python benchmarks/ssh_load.py [--sessions 1,4,8,16] [--pace 0.12] [--hostile N]
       [--out FILE]

Needs a home where `movierec-tui setup` has run (real MovieLens 1M data). Starts the real server
(`movierec-tui serve ssh --allow-anonymous` on a free loopback port) as its own process, so the
clients here do not share its event loop, then for each N opens N sessions at once (120x40 pty).
Each session skips the questions and types 10 ratings ("Fargo 4", ...) one key at a time at a
human pace (--pace seconds between keys), reading the screen through a virtual terminal (pyte):

- keystroke echo: from sending a character to the screen showing it in the input line;
- rating update: from sending Enter to the last byte of the repaint it caused (the output has then
  been quiet for --quiet seconds; served sessions do not blink the cursor, so quiet means done),
  which includes the chat answer, the profile panel and the new recommendations;
- startup: from the SSH connection to the first question on screen.

Memory is read from /proc/PID/smaps_rollup once all N sessions are up: RSS and PSS of each app
(forked from the zygote, they share its pages; PSS divides shared pages among their users), and the
PSS of everything the server runs (apps, zygote, milvus-lite server, embedded Redis, itself).
The clients run on the same 2 cores as the server and take their share of CPU (reported as
client_cpu_share, of the whole machine), so these are upper bounds for a remote audience.

`--hostile N` keeps N flood connections open from another address (127.0.0.2) while the sessions
run: half are TCP connections that never send a byte, half log in and never open a session (like
`ssh -N`); each one the server closes or refuses is opened again a second later. `hostile_open` is
how many the server was holding when the sessions were all up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import asyncssh
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from processes import children
from ssh_screen import ScreenClient

from movierec_tui.serve.shared import free_port

# Titles that resolve to one movie whatever rating follows them ("Rocky 4" is Rocky IV, "Alien 3" is Alien³).
TITLES = ("Fargo", "Titanic", "Casablanca", "Goldfinger", "Jaws", "Braveheart", "Chinatown", "Vertigo", "Amadeus",
          "Rushmore", "Ghostbusters", "Clueless", "Heat", "Goodfellas", "Unforgiven", "Magnolia")  # fmt: skip
RATINGS_PER_SESSION = 10
APP_MARK = "movierec_tui.serve.child app"  # in the command line of an app started directly
ZYGOTE_MARK = "movierec_tui.serve.child zygote"  # the process that forks the apps (their parent)


def memory_mb(pid: int, field: str = "Rss") -> float:
    """Rss (pages in memory, shared ones counted in full) or Pss (shared pages divided among their users,
    so the Pss of all processes adds up to the memory they really take) from smaps_rollup."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def app_processes(server_pid: int) -> list[int]:
    """The session apps: children of the zygote if the server has one, else the server's app children."""
    for pid, command in children(server_pid):
        if ZYGOTE_MARK in command:
            return [child for child, _ in children(pid)]
    return [pid for pid, command in children(server_pid) if APP_MARK in command]


def input_line_shows(text: str, typed: str) -> bool:
    """The chat input box (the "│  ...  │" row, left of the cards) holds `typed` at its end."""
    return any(line.lstrip().startswith("│") and line.split("│")[1].rstrip().endswith(typed)
               for line in text.splitlines())  # fmt: skip


async def quiet_since(client: ScreenClient, started: float, quiet: float, limit: float = 60.0) -> float:
    """Seconds from `started` to the last output before `quiet` seconds of silence."""
    give_up = time.perf_counter() + limit
    while True:
        now = time.perf_counter()
        if now - client.last_output >= quiet and client.last_output >= started:
            return client.last_output - started
        if now > give_up:
            raise TimeoutError(f"the screen did not go quiet for {quiet} s within {limit} s")
        await asyncio.sleep(0.02)


async def session(port: int, index: int, pace: float, quiet: float, started_apps: list[int]) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"echo": [], "update": [], "startup": []}
    client = ScreenClient(120, 40)
    started = time.perf_counter()
    await client.connect(port)
    await client.wait_for("How old are you?", timeout=180)
    results["startup"].append(time.perf_counter() - started)
    await quiet_since(client, started, quiet)
    started_apps.append(index)
    titles = [TITLES[(index + i) % len(TITLES)] for i in range(RATINGS_PER_SESSION)]
    messages = ["back", *(f"{title} {1 + (index + i) % 5}" for i, title in enumerate(titles))]
    failed = 0
    for number, message in enumerate(messages):
        for position in range(1, len(message) + 1):
            sent = time.perf_counter()
            client.send(message[position - 1])
            if message[position - 1] != " ":  # a space shows no text until the next key
                await client.wait_for(lambda text, typed=message[:position]: input_line_shows(text, typed), timeout=30)
                results["echo"].append(client.last_output - sent)
            await asyncio.sleep(max(0.0, pace - (time.perf_counter() - sent)))
        sent = time.perf_counter()
        client.send("\r")
        if number > 0:
            try:
                await client.wait_for(f"Ratings ({number - failed})", timeout=60)
            except AssertionError:  # not counted (the app did not take the title): reported, not timed
                failed += 1
                print(f"session {index}: {message!r} was not counted as a rating", file=sys.stderr)
                continue
        elapsed = await quiet_since(client, sent, quiet)
        if number > 0:
            results["update"].append(elapsed)
    await client.close()
    return results


HOSTILE_ADDRESS = "127.0.0.2"


async def hostile_connection(port: int, kind: str, stop: asyncio.Event, open_now: list[int]) -> None:
    """One flood connection, held open as long as the server lets it; reopened a second after it is closed."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            if kind == "tcp":
                sock = socket.socket()
                sock.setblocking(False)
                sock.bind((HOSTILE_ADDRESS, 0))
                try:
                    await loop.sock_connect(sock, ("127.0.0.1", port))
                    open_now[0] += 1
                    try:  # held until the server closes it (recv returns b"") or the level ends
                        while not stop.is_set() and await asyncio.wait_for(loop.sock_recv(sock, 4096), 1.0):
                            pass
                    except TimeoutError:
                        if not stop.is_set():
                            continue
                    finally:
                        open_now[0] -= 1
                finally:
                    sock.close()
            else:
                conn = await asyncssh.connect("127.0.0.1", port, username="flood", known_hosts=None, agent_path=None,
                                              local_addr=(HOSTILE_ADDRESS, 0), login_timeout=30)  # fmt: skip
                open_now[0] += 1
                try:
                    closed = asyncio.ensure_future(conn.wait_closed())
                    stopped = asyncio.ensure_future(stop.wait())
                    await asyncio.wait([closed, stopped], return_when=asyncio.FIRST_COMPLETED)
                    stopped.cancel()
                finally:
                    open_now[0] -= 1
                    conn.close()
        except (OSError, asyncssh.Error, TimeoutError):
            pass
        await asyncio.sleep(1.0)


def percentiles(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values) * 1000
    return float(np.percentile(array, 50)), float(np.percentile(array, 99))


async def run_level(
    port: int, n: int, pace: float, quiet: float, server_pid: int, hostile: int = 0
) -> dict[str, object]:
    started_apps: list[int] = []
    stop_flood, flood_open = asyncio.Event(), [0]
    flood = [asyncio.create_task(hostile_connection(port, "tcp" if i % 2 else "ssh", stop_flood, flood_open))
             for i in range(hostile)]  # fmt: skip
    if hostile:
        await asyncio.sleep(5)  # the flood is in place before the people arrive
    client_cpu_start, wall_start = time.process_time(), time.perf_counter()
    tasks = [asyncio.create_task(session(port, i, pace, quiet, started_apps)) for i in range(n)]
    await asyncio.sleep(0)
    rss: dict[str, float] = {}
    # sample RSS once every session's app is up (its first screen painted and quiet), while they type
    while not all(t.done() for t in tasks):
        if len(started_apps) == n:
            apps = app_processes(server_pid)
            others = {("zygote" if ZYGOTE_MARK in command else "milvus-lite" if "milvus-lite" in command
                       else Path(f"/proc/{pid}/comm").read_text().strip()): pid
                      for pid, command in children(server_pid) if APP_MARK not in command}  # fmt: skip
            everything = [server_pid, *apps, *others.values()]
            rss = {"app_rss_mean_mb": float(np.mean([memory_mb(pid) for pid in apps])),
                   "app_pss_mean_mb": float(np.mean([memory_mb(pid, "Pss") for pid in apps])),
                   "total_pss_mb": sum(memory_mb(pid, "Pss") for pid in everything),
                   "server_rss_mb": memory_mb(server_pid),
                   **{f"{name}_rss_mb": memory_mb(pid) for name, pid in others.items()}}  # fmt: skip
            rss["hostile_open"] = flood_open[0]
            break
        await asyncio.sleep(0.5)
    outcomes = await asyncio.gather(*tasks)
    stop_flood.set()
    await asyncio.gather(*flood)
    client_cpu = time.process_time() - client_cpu_start
    wall = time.perf_counter() - wall_start
    merged = {key: [v for o in outcomes for v in o[key]] for key in ("echo", "update", "startup")}
    row: dict[str, object] = {"sessions": n, "hostile": hostile, "keystrokes": len(merged["echo"]),
                              "ratings": len(merged["update"])}
    for key in ("echo", "update", "startup"):
        p50, p99 = percentiles(merged[key])
        row[f"{key}_p50_ms"], row[f"{key}_p99_ms"] = round(p50, 1), round(p99, 1)
    row |= {k: round(v, 1) for k, v in rss.items()}
    row["client_cpu_share"] = round(client_cpu / wall / (os.cpu_count() or 1), 3)  # of the whole machine
    return row


def start_server(port: int, home: str, max_sessions: int, mode: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "movierec_tui", "serve", "ssh", "--allow-anonymous", "--port", str(port),
               "--max-sessions", str(max_sessions), "--max-per-ip", str(max_sessions), "--idle-timeout", "0",
               "--prefork" if mode == "prefork" else "--no-prefork"]  # fmt: skip
    if home:
        command += ["--home", home]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert server.stderr is not None
    for line in server.stderr:
        sys.stderr.write(line)
        if "connect with:" in line:  # from now on, keep draining its log so it never blocks on stderr
            threading.Thread(target=lambda: sys.stderr.writelines(server.stderr), daemon=True).start()
            return server
    raise SystemExit(f"the server did not start (exit {server.wait()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,4,8,16")
    parser.add_argument("--pace", type=float, default=0.12, help="seconds between keys within a message")
    parser.add_argument("--quiet", type=float, default=0.8, help="silence that marks the end of an update")
    parser.add_argument("--modes", default="prefork",
                        help="prefork (apps forked from the zygote), direct (--no-prefork), or both: prefork,direct")
    parser.add_argument("--hostile", type=int, default=0, help="flood connections (from 127.0.0.2) beside the sessions")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    rows = []
    for mode in args.modes.split(","):
        port = free_port()
        server = start_server(port, os.environ.get("MOVIEREC_HOME", ""), max(levels), mode)
        try:
            for n in levels:
                level = run_level(port, n, args.pace, args.quiet, server.pid, args.hostile)
                row = {"mode": mode} | asyncio.run(level)
                print(json.dumps(row), flush=True)
                rows.append(row)
                time.sleep(2)  # let the previous level's apps exit
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    header = ("mode", "sessions", "hostile", "keystroke echo p50/p99 ms", "rating update p50/p99 ms",
              "startup p50/p99 s", "per app RSS / PSS MB", "all processes PSS MB")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(f"| {row['mode']} | {row['sessions']} | {row['hostile']} "
              f"| {row['echo_p50_ms']:.0f} / {row['echo_p99_ms']:.0f} "
              f"| {row['update_p50_ms']:.0f} / {row['update_p99_ms']:.0f} "
              f"| {row['startup_p50_ms'] / 1000:.1f} / {row['startup_p99_ms'] / 1000:.1f} "
              f"| {row.get('app_rss_mean_mb', 0):.0f} / {row.get('app_pss_mean_mb', 0):.0f} "
              f"| {row.get('total_pss_mb', 0):.0f} |")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
