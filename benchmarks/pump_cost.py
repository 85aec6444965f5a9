"""CPU per message of a Textual screen's message pump, Textual's own and with `FairPump` mixed in
(widgets/fair_pump.py), side by side in one process.

Usage: python benchmarks/pump_cost.py [--messages 20000] [--rounds 7]

No home or store needed: a bare headless app whose one screen is a plain Textual `Screen` or one with
`FairPump` first among its bases. `--messages` no-op callbacks are posted to the screen with
`call_later`, in bursts of 1 (the queue empties after each, as when a person types), 50 (a burst of
the app's own, such as a layout pass) and 5,000 (a pump that keeps its queue filled: FairPump gives
the loop a turn every 200 and tallies the run). Reports, per burst size, the median CPU per message
(process time) of each, and the median and range of the paired ratios FairPump / Textual, the two
measured in turn within each round (the order alternates): the machine is shared and noisy. The
callbacks do nothing, so this is the pump's own cost, which a handler's work adds to.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from textual.app import App
from textual.screen import Screen

from movierec_tui.widgets.fair_pump import FairPump

BURSTS = (1, 50, 5_000)


class TextualScreen(Screen):
    """Textual's pump, as it is."""


class FairScreen(FairPump, Screen):
    """The same, with the app's mixin."""


class BareApp(App):
    def __init__(self, screen_class: type[Screen]) -> None:
        super().__init__()
        self.screen_class = screen_class

    def get_default_screen(self) -> Screen:
        return self.screen_class()


async def cpu_per_message(screen_class: type[Screen], messages: int, burst: int) -> float:
    """Microseconds of process CPU per message for `messages` no-op callbacks posted in bursts."""
    app = BareApp(screen_class)
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        handled = 0
        all_handled = asyncio.Event()

        def no_op() -> None:
            nonlocal handled
            handled += 1
            if handled == messages:
                all_handled.set()

        started = time.process_time()
        for _ in range(0, messages, burst):
            for _ in range(burst):
                screen.call_later(no_op)
            await asyncio.sleep(0)  # the pump takes the burst
        await all_handled.wait()
        return (time.process_time() - started) / messages * 1e6


async def main(messages: int, rounds: int) -> None:
    for burst in BURSTS:
        costs: dict[type[Screen], list[float]] = {TextualScreen: [], FairScreen: []}
        for round_number in range(rounds):
            order = (TextualScreen, FairScreen) if round_number % 2 == 0 else (FairScreen, TextualScreen)
            for screen_class in order:
                costs[screen_class].append(await cpu_per_message(screen_class, messages, burst))
        ratios = [fair / plain for fair, plain in zip(costs[FairScreen], costs[TextualScreen], strict=True)]
        print(f"burst {burst:>5}: Textual {statistics.median(costs[TextualScreen]):.2f} us/message, "
              f"FairPump {statistics.median(costs[FairScreen]):.2f} us/message; FairPump / Textual, "
              f"median of {rounds} paired rounds {statistics.median(ratios):.3f} "
              f"(range {min(ratios):.3f}-{max(ratios):.3f})")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rounds))
