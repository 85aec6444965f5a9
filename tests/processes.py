"""Who is whose child, read from /proc: for the serve tests (no process left behind) and the SSH
load benchmark (which processes are the apps). Linux only, like `serve`'s own guarantees."""

from __future__ import annotations

from pathlib import Path


def parents() -> dict[int, int]:
    """pid -> parent pid of every process alive now."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        found[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])  # the name may hold spaces
    return found


def command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes()).replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process whose parent is `pid`."""
    return [(child, command_line(child)) for child, parent in parents().items() if parent == pid]


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`."""
    tree = parents()
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in tree.items() if parent in frontier]
        found += frontier
    return found
