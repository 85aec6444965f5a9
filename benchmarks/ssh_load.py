"""Load on `movierec-tui serve ssh`: N concurrent scripted SSH sessions, each rating 10 movies.

Usage: MOVIEREC_HOME=... python benchmarks/ssh_load.py [--sessions 1,4,8,16] [--pace 0.12] [--hostile N]
       [--client-nice -19] [--server-code CHECKOUT] [--server-args "FLAGS"] [--out FILE]

Needs a home where `movierec-tui setup` has run (real MovieLens 1M data). Starts the real server
(`movierec-tui serve ssh --allow-anonymous` on a free loopback port) as its own process, then for each
N opens N sessions at once (120x40 pty). Each session skips the questions and types 10 ratings
("Fargo 4", ...) one key at a time at a human pace (--pace seconds between keys), reading the screen
through a virtual terminal (pyte):

- keystroke echo: from sending a character to the screen showing it in the input line;
- rating update: from sending Enter to the last byte of the repaint it caused (the output has then
  been quiet for --quiet seconds; served sessions do not blink the cursor, so quiet means done),
  which includes the chat answer, the profile panel and the new recommendations;
- startup: from the SSH connection to the first question arriving; it is looked for in the decrypted
  bytes as they come (the app writes it in one piece), and then checked on the pyte screen;
- server wrote the question: the same moment on the server's side, from its trace
  (`MOVIEREC_SERVE_TRACE`, serve/output_trace.py): when it wrote the byte that completed the question,
  from when it accepted the connection; client lag is the difference to the client having it.

The clients stand in for people's terminals, which have CPUs of their own. Here they share the
server's cores, so each session runs in a process of its own (its own decryption and screen), all N in
one scheduler group of their own (a new session, so a new Linux autogroup) at --client-nice (-19 by
default, needs root), and the flood in another such group: they get the CPU when they need it instead
of queueing behind the apps they measure. They still use those cores (client_cpu_share, of the whole
machine, every client process and the flood together), taking it from the server: the times are upper
bounds for a remote audience. A client process exits only once every session is measured: its exit
(~120 ms of CPU) is no work of the server's. Earlier versions ran all clients in one process at the
server's priority, which fell 7-11 s behind the server at 16 sessions (docs/benchmarks.md).

Memory is read from /proc/PID/smaps_rollup once all N sessions are up: RSS and PSS of each app
(forked from the zygote, they share its pages; PSS divides shared pages among their users), and the
PSS of everything the server runs (apps, zygote, milvus-lite server, embedded Redis, itself).

`--hostile N` keeps N flood connections open from another address (127.0.0.2) while the sessions
run: half are TCP connections that never send a byte, half log in and never open a session (like
`ssh -N`); each one the server closes or refuses is opened again a second later. `hostile_open` is
how many the flood was holding when the sessions were all up (as its side counts them: connected and
not yet closed, so including ones the kernel accepted that the server has not yet refused).

`server_cpu_to_start_s` / `server_waited_to_start_s`: the server's CPU, and the time its event loop was
runnable but waiting for a CPU (schedstat), from the start of the level to all sessions up.

`cpu_stolen_pct`: of the machine's CPU time during the level, the share the hypervisor gave to other
machines (the `steal` column of /proc/stat). This machine is shared: when that is high, the sessions
waited for CPUs that were not there, whatever the code did.

`--server-code CHECKOUT` measures another checkout's server (run from there, PYTHONPATH on it: the zygote
forks the code of the server's working directory) with this benchmark, for before/after comparisons.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

import asyncssh
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from processes import children
from ssh_screen import ScreenClient

from movierec_tui.serve.lifeline import keep_in_step
from movierec_tui.serve.output_trace import ENV_SERVE_TRACE
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


QUESTION = b"How old are you?"  # the first question, written by the app as one run of text


async def session(port: int, index: int, pace: float, quiet: float, reports: Queue) -> dict[str, object]:
    results: dict[str, object] = {"echo": [], "update": [], "enters": []}
    client = ScreenClient(120, 40)
    started = time.perf_counter()
    results["connecting"] = time.monotonic()  # the clock the server's trace uses (serve/output_trace.py)
    await client.connect(port)
    assert client.conn is not None
    results["local_port"] = client.conn.get_extra_info("sockname")[1]
    # the question is looked for in the bytes as they arrive; rendering 40 KB of first screens in pyte
    # before it would time this client's Python, not the server
    offset, arrived = await client.wait_for_bytes(QUESTION, timeout=180)
    results["startup"] = [arrived - started]
    results["question_offset"] = offset
    results["question_arrived"] = results["connecting"] + (arrived - started)
    await client.wait_for(QUESTION.decode(), timeout=60)  # and it is on the screen a person sees
    await quiet_since(client, started, quiet)
    reports.put(json.dumps({"started": index}))  # its app is up: the parent samples memory once all are
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
        results["enters"].append(time.monotonic())  # one clock for every client process
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


def own_scheduler_group(nice: int) -> int | None:
    """Make this process the first of a new session, and so of a new autogroup (Linux gives each session
    its own CPU share: a busy group beside it cannot starve it), at `nice` for the whole group. Returns
    the group's nice as the kernel reads it back, None where there are no autogroups."""
    os.setsid()
    autogroup = Path("/proc/self/autogroup")
    try:
        autogroup.write_text(str(nice))
    except OSError as exc:  # no autogroups, or a negative nice needs privileges we lack: say what we got
        print(f"ssh_load: could not set the clients' autogroup nice to {nice}: {exc}", file=sys.stderr)
    try:
        return int(autogroup.read_text().split()[-1])
    except (OSError, ValueError):
        return None


def session_process(port: int, index: int, pace: float, quiet: float, go: Event, measured: Event,
                    reports: Queue) -> None:  # fmt: skip
    """One measured session in a process of its own, as a person's terminal is: ready once imported, starts
    when `go` is set, and sends its timings and CPU time (JSON) to the parent, or what went wrong. It exits
    once every session is `measured`: a person's terminal ending costs the server nothing, but this process
    shares its cores, and its exit (the interpreter's teardown, at the clients' high priority) would take
    them from the sessions still rating (with the server's group below the clients', it made the last
    rating the slowest: docs/benchmarks.md)."""
    reports.put(json.dumps({"ready": index}))
    go.wait()
    cpu_start = time.process_time()
    try:
        results = asyncio.run(session(port, index, pace, quiet, reports))
    except Exception:  # told to the parent, which stops the level
        reports.put(json.dumps({"failed": index, "error": traceback.format_exc()}))
        return
    reports.put(json.dumps({"done": index, "results": results, "cpu": time.process_time() - cpu_start}))
    measured.wait(timeout=600)  # bounded: were the parent killed, nothing would ever set it


def client_group(nice: int, n: int, port: int, pace: float, quiet: float, go: Event, measured: Event,
                 reports: Queue) -> None:  # fmt: skip
    """The N sessions' processes, all in one scheduler group of their own (see own_scheduler_group)."""
    reports.put(json.dumps({"client_group_nice": own_scheduler_group(nice)}))
    spawn = multiprocessing.get_context("spawn")
    sessions = [spawn.Process(target=session_process, args=(port, i, pace, quiet, go, measured, reports),
                             name=f"session {i}")
                for i in range(n)]  # fmt: skip
    for process in sessions:
        process.start()
    for process in sessions:
        process.join()
        if process.exitcode:
            reports.put(json.dumps({"failed": process.name, "error": f"exit code {process.exitcode}"}))


HOSTILE_ADDRESS = "127.0.0.2"


async def hostile_connection(port: int, kind: str, stop: asyncio.Event, open_now: Synchronized) -> None:
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
                    open_now.value += 1
                    try:  # held until the server closes it (recv returns b"") or the level ends
                        while not stop.is_set() and await asyncio.wait_for(loop.sock_recv(sock, 4096), 1.0):
                            pass
                    except TimeoutError:
                        if not stop.is_set():
                            continue
                    finally:
                        open_now.value -= 1
                finally:
                    sock.close()
            else:
                conn = await asyncssh.connect("127.0.0.1", port, username="flood", known_hosts=None, agent_path=None,
                                              local_addr=(HOSTILE_ADDRESS, 0), login_timeout=30)  # fmt: skip
                open_now.value += 1
                try:
                    closed = asyncio.ensure_future(conn.wait_closed())
                    stopped = asyncio.ensure_future(stop.wait())
                    await asyncio.wait([closed, stopped], return_when=asyncio.FIRST_COMPLETED)
                    stopped.cancel()
                finally:
                    open_now.value -= 1
                    conn.close()
        except (OSError, asyncssh.Error, TimeoutError):
            pass
        await asyncio.sleep(1.0)


def flood_process(nice: int, port: int, hostile: int, go: Event, stop: Event, open_now: Synchronized,
                  reports: Queue) -> None:  # fmt: skip
    """The flood in a scheduler group of its own (an attacker's machine is not the people's), until `stop`;
    sends the CPU time it took from `go` on, as the sessions do."""
    reports.put(json.dumps({"flood_group_nice": own_scheduler_group(nice)}))

    async def flood() -> float:
        stopped = asyncio.Event()
        connections = [asyncio.create_task(hostile_connection(port, "tcp" if i % 2 else "ssh", stopped, open_now))
                       for i in range(hostile)]  # fmt: skip
        cpu_start = None
        while not stop.is_set():
            if cpu_start is None and go.is_set():
                cpu_start = time.process_time()
            await asyncio.sleep(0.2)
        stopped.set()
        await asyncio.gather(*connections)
        return time.process_time() - (cpu_start if cpu_start is not None else time.process_time())

    reports.put(json.dumps({"flood_cpu": asyncio.run(flood())}))


def percentiles(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values) * 1000
    return float(np.percentile(array, 50)), float(np.percentile(array, 99))


def cpu_ticks() -> tuple[int, int]:
    """(stolen, total) CPU ticks of the whole machine since boot, from /proc/stat's first line."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return fields[7], sum(fields)


def run_level(port: int, n: int, pace: float, quiet: float, server_pid: int, hostile: int, nice: int,
              trace: Path) -> dict[str, object]:  # fmt: skip
    spawn = multiprocessing.get_context("spawn")  # no fork of this process's stderr-draining thread
    go, measured, reports = spawn.Event(), spawn.Event(), spawn.Queue()
    flood_open = spawn.Value("i", 0)
    processes = [spawn.Process(target=client_group, args=(nice, n, port, pace, quiet, go, measured, reports),
                               name="clients")]  # fmt: skip
    if hostile:
        processes.append(spawn.Process(target=flood_process, name="flood",
                                       args=(nice, port, hostile, go, measured, flood_open, reports)))  # fmt: skip
    trace.unlink(missing_ok=True)
    load_before = os.getloadavg()[0]
    stolen_before, total_before = cpu_ticks()
    flood_ready_at = time.perf_counter() + (5 if hostile else 0)  # the flood is in place before the people
    for process in reversed(processes):
        process.start()
    try:
        row = measure_level(n, server_pid, processes, go, measured, flood_open, reports, flood_ready_at)
    finally:
        measured.set()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
                process.join()
    stolen, total = (now - before for now, before in zip(cpu_ticks(), (stolen_before, total_before), strict=True))
    row = {"sessions": n, "hostile": hostile, "load_before": round(load_before, 1),
           "load_after": round(os.getloadavg()[0], 1),
           "cpu_stolen_pct": round(100 * stolen / max(total, 1), 1)} | row  # fmt: skip
    sessions = row.pop("per_session")
    row |= server_side(sessions, trace, n)
    return row


def measure_level(n: int, server_pid: int, processes: list, go: Event, measured: Event, flood_open: Synchronized,
                  reports: Queue, flood_ready_at: float) -> dict[str, object]:  # fmt: skip
    """Starts the ready sessions together, samples memory once all their apps are up, and merges their timings."""
    ready: set[int] = set()
    started_apps: set[int] = set()
    outcomes: dict[int, dict[str, object]] = {}
    groups: dict[str, object] = {}
    client_cpu = flood_cpu = 0.0
    rss: dict[str, float] = {}

    def next_report() -> dict | None:
        try:
            report = json.loads(reports.get(timeout=0.5))
        except queue.Empty:  # a client that reports nothing and ends badly was killed: say so rather than wait
            crashed = [p.name for p in processes if p.exitcode not in (0, None)]
            if crashed:
                raise SystemExit(f"client process(es) {crashed} exited without their timings") from None
            return None
        if "failed" in report:
            raise SystemExit(f"session {report['failed']} failed:\n{report['error']}")
        if any(key.endswith("_group_nice") for key in report):
            groups.update(report)
        return report

    while len(ready) < n:  # every client imported and waiting, so none starts late
        if (report := next_report()) and "ready" in report:
            ready.add(report["ready"])
    time.sleep(max(0.0, flood_ready_at - time.perf_counter()))
    wall_start = time.perf_counter()
    server_before = server_scheduling(server_pid)
    go.set()
    while len(outcomes) < n:
        report = next_report()
        if report and "started" in report:
            started_apps.add(report["started"])
        elif report and "done" in report:
            outcomes[report["done"]] = report["results"]
            client_cpu += report["cpu"]
        # sample memory once every session's app is up (its first screen painted and quiet), while they type
        if len(started_apps) == n and not rss:
            server_after = server_scheduling(server_pid)
            rss = server_memory(server_pid)
            rss["hostile_open"] = flood_open.value
            rss["server_cpu_to_start_s"] = server_after[0] - server_before[0]
            rss["server_waited_to_start_s"] = server_after[1] - server_before[1]
    measured.set()
    if len(processes) > 1:  # the flood: its CPU time
        while (report := next_report()) is None or "flood_cpu" not in report:
            pass
        flood_cpu = report["flood_cpu"]
    wall = time.perf_counter() - wall_start
    server_cpu = server_scheduling(server_pid)[0] - server_before[0]
    merged = {key: [v for o in outcomes.values() for v in o[key]] for key in ("echo", "update", "startup")}
    # How close together the sessions press Enter: for each message, the first to the last session's
    # Enter. Sessions that type in step make every rating a burst of n apps repainting at once.
    enter_lists = [o["enters"] for o in outcomes.values()]
    spreads = [max(sent) - min(sent) for sent in zip(*enter_lists, strict=False)] if enter_lists else []
    row: dict[str, object] = {"keystrokes": len(merged["echo"]), "ratings": len(merged["update"])}
    for key in ("echo", "update", "startup"):
        p50, p99 = percentiles(merged[key])
        row[f"{key}_p50_ms"], row[f"{key}_p99_ms"] = round(p50, 1), round(p99, 1)
    row |= {k: round(v, 1) for k, v in rss.items()}
    if spreads:
        row["enter_spread_p50_ms"] = round(float(np.percentile(spreads, 50)) * 1000, 1)
    # Where the update's tail is: the slowest session's update of each rating (first, second, ...). The
    # first ratings of a session change its layout (the log's scrollbar comes, the rows fill).
    by_rating = zip(*(o["update"] for o in outcomes.values()), strict=False)
    row["update_max_by_rating_ms"] = [round(max(times) * 1000) for times in by_rating]
    cores = os.cpu_count() or 1
    # Shares of the whole machine over the level: the sessions' clients, the flood's, and the SSH
    # server process itself (not its apps): what the measuring side and the front door cost.
    row["client_cpu_share"] = round((client_cpu + flood_cpu) / wall / cores, 3)
    row["flood_cpu_share"] = round(flood_cpu / wall / cores, 3)
    row["server_cpu_share"] = round(server_cpu / wall / cores, 3)
    row |= groups
    row["per_session"] = list(outcomes.values())
    return row


def server_side(sessions: list[dict], trace: Path, n: int, wait: float = 30.0) -> dict[str, object]:
    """From the server's trace (serve/output_trace.py, one line per ended session): when the server wrote each
    session's first question, from the moment it accepted the connection, and how long the client then took
    to have it (the same CLOCK_MONOTONIC on both sides)."""
    deadline = time.monotonic() + wait
    lines: dict[int, dict] = {}
    while len(lines) < n and time.monotonic() < deadline:  # sessions end (and are written) as clients leave
        if trace.exists():
            lines = {line["peer"][1]: line for line in map(json.loads, trace.read_text().splitlines()) if line["peer"]}
        time.sleep(0.5)
    written, lag = [], []
    for session in sessions:
        line = lines.get(session["local_port"])
        if line is None:
            continue
        sent = next((t for t, end in line["writes"] if end >= session["question_offset"]), None)
        if sent is not None:
            written.append(sent - line["opened"])
            lag.append(session["question_arrived"] - sent)
    if not written:
        return {"server_traced": 0}
    row: dict[str, object] = {"server_traced": len(written)}
    for key, values in (("server_wrote_question", written), ("client_lag", lag)):
        p50, p99 = percentiles(values)
        row[f"{key}_p50_ms"], row[f"{key}_p99_ms"] = round(p50, 1), round(p99, 1)
    return row


def server_scheduling(pid: int) -> tuple[float, float]:
    """CPU seconds the server process has used (all its threads), and seconds its main thread (its event
    loop) has spent runnable but waiting for a CPU (/proc/PID/schedstat): what it did, what it queued for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    waited = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    return cpu, waited


def server_memory(server_pid: int) -> dict[str, float]:
    """RSS and PSS of the session apps and of everything else the server runs (see the module docstring)."""
    apps = app_processes(server_pid)
    others = {("zygote" if ZYGOTE_MARK in command else "milvus-lite" if "milvus-lite" in command
               else Path(f"/proc/{pid}/comm").read_text().strip()): pid
              for pid, command in children(server_pid) if APP_MARK not in command}  # fmt: skip
    everything = [server_pid, *apps, *others.values()]
    return {"app_rss_mean_mb": float(np.mean([memory_mb(pid) for pid in apps])),
            "app_pss_mean_mb": float(np.mean([memory_mb(pid, "Pss") for pid in apps])),
            "total_pss_mb": sum(memory_mb(pid, "Pss") for pid in everything),
            "server_rss_mb": memory_mb(server_pid),
            **{f"{name}_rss_mb": memory_mb(pid) for name, pid in others.items()}}  # fmt: skip


def start_server(
    port: int, home: str, max_sessions: int, mode: str, trace: Path, code: Path | None, more: list[str]
) -> subprocess.Popen:
    """The server, of this checkout's code or of `code` (a checkout: run from there with PYTHONPATH on it, as
    the zygote forks the code of the server's working directory)."""
    command = [sys.executable, "-m", "movierec_tui", "serve", "ssh", "--allow-anonymous", "--port", str(port),
               "--max-sessions", str(max_sessions), "--max-per-ip", str(max_sessions), "--idle-timeout", "0",
               "--prefork" if mode == "prefork" else "--no-prefork"]  # fmt: skip
    if home:
        command += ["--home", home]
    command += more
    env = os.environ | {ENV_SERVE_TRACE: str(trace)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    # A session (and so an autogroup) of its own, as a service has: left in this shell's, it would share one
    # CPU share with whatever else runs there (on a shared machine, other people's jobs) while each of its
    # apps, a session of its own, gets a full one.
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                              cwd=code, start_new_session=True)  # fmt: skip
    keep_in_step(server.pid)  # at this shell's group's nice (e.g. a run at -19)
    assert server.stderr is not None
    for line in server.stderr:
        sys.stderr.write(line)
        if "connect with:" in line:  # from now on, keep draining its log so it never blocks on stderr
            threading.Thread(target=lambda: sys.stderr.writelines(server.stderr), daemon=True).start()
            return server
    raise SystemExit(f"the server did not start (exit {server.wait()})")


def seconds(row: dict, key: str) -> str:
    """`p50 / p99` of a timing kept in ms, in seconds; "-" where the server's trace had none."""
    if f"{key}_p50_ms" not in row:
        return "-"
    return f"{row[f'{key}_p50_ms'] / 1000:.1f} / {row[f'{key}_p99_ms'] / 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,4,8,16")
    parser.add_argument("--pace", type=float, default=0.12, help="seconds between keys within a message")
    parser.add_argument("--quiet", type=float, default=0.8, help="silence that marks the end of an update")
    parser.add_argument("--modes", default="prefork",
                        help="prefork (apps forked from the zygote), direct (--no-prefork), or both: prefork,direct")
    parser.add_argument("--hostile", type=int, default=0, help="flood connections (from 127.0.0.2) beside the sessions")
    parser.add_argument("--client-nice", type=int, default=-19,
                        help="nice of the clients' own scheduler group (and the flood's); negative needs root")
    parser.add_argument("--server-code", type=Path, default=None,
                        help="a checkout whose server to measure (e.g. main's, for a before/after); default this one")
    parser.add_argument("--server-args", default="",
                        help="more `serve ssh` flags, e.g. '--starts-at-once 1' (the code measured must know them)")
    parser.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args()
    levels = [int(n) for n in args.sessions.split(",")]
    rows = []
    trace = Path(tempfile.mkdtemp(prefix="ssh_load-")) / "output_trace.jsonl"
    for mode in args.modes.split(","):
        port = free_port()
        server = start_server(port, os.environ.get("MOVIEREC_HOME", ""), max(levels), mode, trace, args.server_code,
                              shlex.split(args.server_args))
        try:
            for n in levels:
                level = run_level(port, n, args.pace, args.quiet, server.pid, args.hostile, args.client_nice, trace)
                row = {"mode": mode} | level
                print(json.dumps(row), flush=True)
                rows.append(row)
                time.sleep(2)  # let the previous level's apps exit
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
    shutil.rmtree(trace.parent, ignore_errors=True)
    header = ("mode", "sessions", "hostile", "keystroke echo p50/p99 ms", "rating update p50/p99 ms",
              "startup p50/p99 s", "server wrote the question p50/p99 s", "client lag p50/p99 s",
              "per app RSS / PSS MB", "all processes PSS MB", "CPU stolen %")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print(f"| {row['mode']} | {row['sessions']} | {row['hostile']} "
              f"| {row['echo_p50_ms']:.0f} / {row['echo_p99_ms']:.0f} "
              f"| {row['update_p50_ms']:.0f} / {row['update_p99_ms']:.0f} "
              f"| {row['startup_p50_ms'] / 1000:.1f} / {row['startup_p99_ms'] / 1000:.1f} "
              f"| {seconds(row, 'server_wrote_question')} | {seconds(row, 'client_lag')} "
              f"| {row.get('app_rss_mean_mb', 0):.0f} / {row.get('app_pss_mean_mb', 0):.0f} "
              f"| {row.get('total_pss_mb', 0):.0f} | {row['cpu_stolen_pct']:.1f} |")  # fmt: skip
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
