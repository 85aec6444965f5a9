"""The app's text inputs: every key takes effect in the order it was typed.

Textual's `Input` inserts a typed character in its own message queue, but a key it handles through a
binding (backspace, delete, the arrows, home and end, ctrl+w...) first bubbles up through every
container to the screen and the app, each in its own queue, and only the app runs the binding. Keys
arriving together (a fast typist on a busy server, type-ahead over SSH or the web) were applied out
of order: "xyz", backspace, enter sent "xyz" and the backspace then deleted in the emptied line;
"back", enter, "loved alien" after a backspace came out as "lved alien" (found on 2026-12-05 by a test
of `serve web`, where a tab's keys arrive in one burst). Here the input runs its own bindings as each
key arrives, in its queue, between the characters typed before and after it.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class TextInput(Input):
    """An `Input` whose own key bindings run in typing order (the module says why). A key it has no
    binding for (tab, or an app's key such as ctrl+f) goes up to the app as before."""

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # Input's own handler, after this one, would act on it too
                return
