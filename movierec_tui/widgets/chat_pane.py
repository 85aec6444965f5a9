"""The conversation pane: the message log, quick replies and the input line.

Everything a person typed is shown as plain :class:`Text`, never parsed as markup, so "[bold]" or
an escape sequence is displayed as typed (after control characters are blanked) and cannot restyle
or break the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Self

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from movierec_tui.chat import clean
from movierec_tui.widgets.theme import palette

MAX_MESSAGES = 200  # older messages are dropped: the log is a conversation, not an archive
MAX_HISTORY = 100

Role = Literal["bot", "user"]


class ChatLog(VerticalScroll, can_focus=False):
    """Messages as separate widgets, so they reflow when the pane is resized."""

    def add(self, content: Text | str, role: Role = "bot") -> Static:
        """Append a message; the person's own are right-aligned bubbles (a row that aligns right)."""
        message = Static(content if isinstance(content, Text) else Text(content), classes=f"msg {role}")
        self.mount(Horizontal(message, classes=f"row {role}"))
        excess = len(self.children) - MAX_MESSAGES
        if excess > 0:
            for old in list(self.children)[:excess]:
                old.remove()
        self.call_after_refresh(self.scroll_end, animate=False)
        return message


@dataclass(frozen=True)
class Choice:
    label: str  # what the chip shows
    value: str  # what is sent, as if typed


class QuickReplies(Widget, can_focus=True):
    """A row of chips under the log: left/right to move, enter to send; clickable too."""

    BINDINGS = [  # noqa: RUF012
        Binding("left", "move(-1)", "Prev", show=False),
        Binding("right", "move(1)", "Next", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter,space", "pick", "Send reply"),
    ]

    index: reactive[int] = reactive(0)

    @dataclass
    class Picked(Message):
        value: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choices: list[Choice] = []

    def set_choices(self, choices: Sequence[Choice]) -> None:
        self.choices = list(choices)
        self.index = 0
        self.display = bool(self.choices)
        self.refresh(layout=True)

    def render(self) -> Text:
        """Chips laid out by hand, so that a chip is never split across two lines."""
        text = Text(no_wrap=True, overflow="crop")
        colours = palette(self.app)
        focused = self.has_focus
        width = max(self.size.width, 10)
        column = 0
        for i, choice in enumerate(self.choices):
            label = f" {clean(choice.label)[: width - 3]} "
            if column and column + len(label) > width:
                text.append("\n")
                column = 0
            selected = focused and i == self.index
            style = Style.parse(colours.chip_selected if selected else colours.chip)
            text.append(label, style + Style(meta={"@click": f"pick({i})"}))
            text.append(" ")
            column += len(label) + 1
        return text

    def get_content_height(self, container, viewport, width: int) -> int:
        lines, column = 1, 0
        for choice in self.choices:
            size = len(clean(choice.label)[: max(width, 10) - 3]) + 2
            if column and column + size > width:
                lines, column = lines + 1, 0
            column += size + 1
        return lines if self.choices else 0

    def action_move(self, step: int) -> None:
        if self.choices:
            self.index = (self.index + step) % len(self.choices)

    def action_jump(self, where: int) -> None:
        if self.choices:
            self.index = where % len(self.choices)

    def action_pick(self, index: int | None = None) -> None:
        if index is not None:
            self.index = index
        if 0 <= self.index < len(self.choices):
            self.post_message(self.Picked(self.choices[self.index].value))

    def watch_index(self) -> None:
        self.refresh()

    def _on_focus(self) -> None:
        self.refresh()

    def _on_blur(self) -> None:
        self.refresh()


class ChatInput(Input):
    """The input line, with shell-like history on up/down."""

    BINDINGS = [  # noqa: RUF012
        Binding("up", "history(-1)", "Previous message", show=False),
        Binding("down", "history(1)", "Next message", show=False),
        Binding("escape", "app.escape", "Cards"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="say something… (help)", id=id)
        self.history: list[str] = []
        self._position = 0

    def check_consume_key(self, key: str, character: str | None) -> bool:
        """A "?" typed into an empty input opens help (the app's binding); after any text it is typed."""
        if character == "?" and not self.value:
            return False
        return super().check_consume_key(key, character)

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        """Never ask for a layout pass: the input's size comes from the app's CSS (height 3, the pane's
        width), not from its text. Textual's Input asks for one on every keystroke (it resets its
        virtual size), and a layout pass of the whole screen per key adds up when many people type
        on one machine (`benchmarks/app_cpu.py` counts the passes per key and per rating)."""
        return super().refresh(*regions, repaint=repaint, layout=False, recompose=recompose)

    async def _on_key(self, event: events.Key) -> None:
        """Enter submits right here, in the input's own queue, and empties the line at once. Through the
        usual binding, the submit runs only after the key has bubbled up to the app, and keys typed in
        the meantime (a fast burst, type-ahead over SSH) would be glued onto this message."""
        if event.key == "enter":  # prevent_default: Input's own handler (called after this one) skips it
            event.stop()
            event.prevent_default()
            self._send(self.value)

    def _on_paste(self, event: events.Paste) -> None:
        """Several pasted lines are several messages, as if typed one by one; a last line without a
        line break stays in the input. (Textual's Input, whose handler runs after this one unless
        prevented, keeps only the first line.)"""
        lines = event.text.splitlines()
        if len(lines) <= 1 and not event.text.endswith(("\n", "\r")):
            return
        event.stop()
        event.prevent_default()
        complete = lines if event.text.endswith(("\n", "\r")) else lines[:-1]
        rest = lines[len(complete) :]
        for number, line in enumerate(complete):
            self._send(self.value + line if number == 0 else line)
        if rest:
            self.insert_text_at_cursor(rest[0])

    def _send(self, text: str) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, text))

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[:-MAX_HISTORY]
        self._position = len(self.history)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else ""
        self.cursor_position = len(self.value)


class ChatPane(Vertical):
    def compose(self):
        yield ChatLog(id="chat-log")
        yield QuickReplies(id="quick-replies")
        yield ChatInput(id="chat-input")

    def on_mount(self) -> None:
        self.query_one(QuickReplies).display = False
