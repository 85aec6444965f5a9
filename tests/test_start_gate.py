"""The start gate (serve/start_gate.py) on real pipes and a real child process: apps start a few at
a time, in order, and a slot comes back when the app says its first screen is painted, when it exits,
or when it has held the slot too long. The gate inside a real `serve ssh` is tested in test_serve.py."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from movierec_tui.launch import ENV_STARTED_FD, started_signal
from movierec_tui.serve.start_gate import StartGate


def run(scenario) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


async def admitted_soon(task: asyncio.Task, within: float = 2.0) -> bool:
    try:
        await asyncio.wait_for(asyncio.shield(task), within)
    except TimeoutError:
        return False
    return True


def test_a_slot_comes_back_when_the_app_says_its_screen_is_painted() -> None:
    async def scenario() -> None:
        gate = StartGate(1, max_hold=60)
        first = await gate.admit()
        second = asyncio.ensure_future(gate.admit())
        assert not await admitted_soon(second, 0.3)  # one slot, taken
        os.write(first.app_end, b"s")  # what the app's started_signal writes
        assert await admitted_soon(second)
        assert first.released and gate.waited == 1 and gate.starting == 1
        (await second).release()
        assert gate.starting == 0

    run(scenario)


def test_waiting_starts_go_in_the_order_they_came() -> None:
    async def scenario() -> None:
        gate = StartGate(1, max_hold=60)
        holder = await gate.admit()
        order: list[int] = []

        async def start(n: int) -> None:
            slot = await gate.admit()
            order.append(n)
            slot.release()

        waiting = [asyncio.ensure_future(start(n)) for n in range(5)]
        await asyncio.sleep(0.1)
        assert gate.queued == 5 and not order
        holder.release()
        await asyncio.gather(*waiting)
        assert order == [0, 1, 2, 3, 4]

    run(scenario)


def test_an_app_that_exits_without_a_word_frees_its_slot() -> None:
    """The app's copy of the pipe closes with it (here a real child that inherited it and exits)."""

    async def scenario() -> None:
        gate = StartGate(1, max_hold=60)
        slot = await gate.admit()
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"], pass_fds=(slot.app_end,))
        slot.spawned()
        assert not slot.released
        second = asyncio.ensure_future(gate.admit())
        assert await admitted_soon(second, 5)
        assert child.wait() == 0 and slot.released
        (await second).release()

    run(scenario)


def test_a_stuck_start_holds_its_slot_no_longer_than_the_limit() -> None:
    async def scenario() -> None:
        gate = StartGate(1, max_hold=0.5)
        held = await gate.admit()  # its write end stays open and silent, as a stopped app's would
        loop = asyncio.get_running_loop()
        started = loop.time()
        (await gate.admit()).release()
        assert held.released and 0.4 <= loop.time() - started < 3

    run(scenario)


def test_a_start_past_the_limit_keeps_its_pipe_until_the_app_has_it() -> None:
    """The time limit frees the slot but leaves the write end open: a start still waiting its turn to be
    spawned (at the zygote, behind others) hands the app a descriptor that works, and the pipe is still
    watched, so the app's exit reads as the end of it."""

    async def scenario() -> None:
        gate = StartGate(1, max_hold=0.2)
        slot = await gate.admit()
        (await gate.admit()).release()  # the limit passed: the slot went on
        assert slot.released
        os.fstat(slot.app_end)  # still the pipe's write end, not a closed (or reused) number
        child = subprocess.Popen([sys.executable, "-c", "import os, sys; os.write(int(sys.argv[1]), b's')",
                                  str(slot.app_end)], pass_fds=(slot.app_end,))
        slot.spawned()
        assert child.wait() == 0  # it could write its signal
        for _ in range(100):  # the loop reads it
            if not slot.watching:
                break
            await asyncio.sleep(0.02)
        assert not slot.watching and slot.app_end == -1  # both ends closed once the app is done
        assert gate.starting == 0

    run(scenario)


def test_a_waiting_start_that_is_cancelled_passes_its_turn_on() -> None:
    async def scenario() -> None:
        gate = StartGate(1, max_hold=60)
        holder = await gate.admit()
        leaving = asyncio.ensure_future(gate.admit())
        staying = asyncio.ensure_future(gate.admit())
        await asyncio.sleep(0.05)
        leaving.cancel()
        holder.release()
        assert await admitted_soon(staying)
        (await staying).release()
        assert gate.starting == 0

    run(scenario)


def test_a_stopping_server_lets_every_waiting_start_through() -> None:
    async def scenario() -> None:
        gate = StartGate(1, max_hold=60)
        await gate.admit()
        waiting = [asyncio.ensure_future(gate.admit()) for _ in range(3)]
        await asyncio.sleep(0.05)
        gate.open_all()
        for slot in await asyncio.gather(*waiting):
            slot.release()
        (await gate.admit()).release()  # and anyone after

    run(scenario)


def test_the_apps_signal_is_one_byte_on_the_pipe_the_environment_names(monkeypatch) -> None:
    read_end, write_end = os.pipe()
    monkeypatch.setenv(ENV_STARTED_FD, str(write_end))
    signal = started_signal()
    assert signal is not None and ENV_STARTED_FD not in os.environ  # not handed on to anything the app starts
    signal()
    signal()  # once only
    assert os.read(read_end, 16) == b"s" and os.read(read_end, 16) == b""  # then end of file: it was closed
    os.close(read_end)


def test_no_signal_where_no_server_asked_for_one(monkeypatch) -> None:
    monkeypatch.delenv(ENV_STARTED_FD, raising=False)
    assert started_signal() is None
    monkeypatch.setenv(ENV_STARTED_FD, "not a number")
    assert started_signal() is None


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError):
        StartGate(0)
