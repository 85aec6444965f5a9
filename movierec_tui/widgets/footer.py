"""Textual's footer, rebuilt only when the keys it shows change.

Textual's `Footer` composes its keys anew (a widget per key, each styled and laid out) whenever the
screen says its bindings changed, which it says on every move of the focus: a served app's focus moves
several times while it starts, mostly between widgets with the same keys. This footer compares what it
would show with what it last composed and leaves itself alone when they are equal; it looks the same
(docs/benchmarks.md, "What an app's start costs").

Each key it binds to its `compact` also gets that value before it is mounted. Textual's `FooterKey`
starts compact and is then bound to the footer's value (not compact): its class changed twice, and so
every key's style was worked out twice more at every compose (15 ms of the 97 ms of styling in a
start under Pilot: docs/benchmarks.md, "Which rating is slowest under load").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Per shown binding: key, how the key is written, words, action, enabled, tooltip.
KeysShown = tuple[tuple[str, str, str, str, bool, str], ...]


def keys_shown(screen: Screen) -> KeysShown:
    """What a footer composed now would show for `screen` (Footer.compose reads the same bindings)."""
    return tuple(
        (binding.key, screen.app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )


class KeyFooter(Footer):
    """A `Footer` that recomposes only when its keys change."""

    _composed_for: KeysShown | None = None

    def bindings_changed(self, screen: Screen) -> None:
        shown = keys_shown(screen)
        if shown == self._composed_for:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:  # Footer recomposes then
            self._composed_for = shown

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Bound to ours, so the binding then changes nothing. The palette's key is not bound and
            # stays compact, as Textual draws it.
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget
