"""The conversation pane: the message log, quick replies and the input line.

Everything a person typed is shown as plain :class:`Text`, never parsed as markup, so "[bold]" or
an escape sequence is displayed as typed (after control characters are blanked) and cannot restyle
or break the screen.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Self

from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from movierec_tui.widgets.scrollbars import SteadyScrollbars
from movierec_tui.widgets.text_input import TextInput
from movierec_tui.widgets.theme import palette
from movierec_tui.wording import Choice, clean

MAX_MESSAGES = 200  # older messages are dropped: the log is a conversation, not an archive
MAX_HISTORY = 100

Role = Literal["bot", "user"]


# How messages sit in the log. These were CSS margins when each message was a widget of its own;
# the colours still come from app.tcss (the component classes of ChatLog).
GAP = 1  # blank lines after each message
BOT_MARGIN = 2  # columns left free right of a bot message
USER_INDENT = 4  # columns always left free left of the person's bubble
USER_SHARE = 0.85  # the person's bubble takes at most this share of the width
EDGE = "▌"  # the bar left of a bot message (the character of Textual's "outer" border)


@dataclass(eq=False)
class ChatMessage:
    """One message, and its text wrapped for the width the log last drew it at."""

    text: Text
    role: Role
    width: int = -1  # the log width `lines` were wrapped for
    inner: int = 0  # cells of text per line (a bubble adds one cell of padding either side)
    lines: list[Strip] = field(default_factory=list)  # the text alone, `inner` cells each, unstyled

    def wrap(self, console: Console, width: int) -> None:
        """Bot messages take the width less the edge, the padding and the margin; the person's take
        what their text needs, up to a share of it, and are justified right like a bubble."""
        if self.role == "bot":
            inner, justify = width - BOT_MARGIN - len(EDGE) - 2, "left"
        else:
            widest = min(int(width * USER_SHARE), width - USER_INDENT) - 2
            inner = min(Measurement.get(console, console.options, self.text).maximum, widest)
            justify = "right"
        inner = max(inner, 1)
        options = console.options.update(width=inner, height=None, justify=justify, overflow="fold", no_wrap=False)
        self.lines = [Strip(line) for line in console.render_lines(self.text, options, pad=True)]
        self.width, self.inner = width, inner


class ChatLog(SteadyScrollbars, ScrollView, can_focus=False):
    """The conversation, drawn line by line (Textual's Line API) by this one widget: a new message
    mounts nothing, and only the lines in view are rendered. Text is wrapped once per width (again
    when the pane is resized). The log asks for a layout pass only when its scrollbar comes or goes:
    a layout pass arranges the whole screen, and when each message was a widget it arranged every
    message too, on every rating (`benchmarks/app_cpu.py` counts the passes).

    It keeps the last message in view unless the person has scrolled up to read older ones."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chat-log--bot", "chat-log--edge", "chat-log--user"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._messages: list[ChatMessage] = []
        self._rows: list[tuple[ChatMessage, int]] = []  # every line: (message, its line, or -1: the gap)
        self._width = 0  # the width `_rows` are wrapped for; 0 before the first layout
        self._follow = True  # scroll to each new message (False while scrolled up)

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        return tuple(self._messages)

    def add(self, content: Text | str, role: Role = "bot") -> ChatMessage:
        """Append a message; the person's own are right-aligned bubbles. The person's text must come
        as a plain :class:`Text` (or a str, made plain here): it is never parsed as markup."""
        message = ChatMessage(content if isinstance(content, Text) else Text(content), role)
        self._messages.append(message)
        if self._width:
            self._rows += self._rows_of(message)
        excess = len(self._messages) - MAX_MESSAGES
        if excess > 0:
            dropped = sum(len(old.lines) + GAP for old in self._messages[:excess]) if self._width else 0
            del self._messages[:excess]
            del self._rows[:dropped]
            if not self._follow:  # keep the lines being read where they are
                self.scroll_to(y=self.scroll_offset.y - dropped, animate=False)
        self._sync()
        return message

    def _rows_of(self, message: ChatMessage) -> list[tuple[ChatMessage, int]]:
        if message.width != self._width:
            message.wrap(self.app.console, self._width)
        return [(message, line) for line in range(len(message.lines))] + [(message, -1)] * GAP

    def _sync(self) -> None:
        """Wrap for the current width and size the scrollable area, without a layout pass: the log's
        own size does not change. Only a scrollbar that comes or goes needs one (it narrows the text)."""
        scrollbar = self.show_vertical_scrollbar
        for _ in range(2):  # the scrollbar coming or going changes the width once
            width = self.scrollable_content_region.width
            if width != self._width:
                self._width = width
                self._rows = [row for message in self._messages for row in self._rows_of(message)] if width else []
            size = Size(width, len(self._rows))
            if size != self.virtual_size:
                self.set_reactive(ChatLog.virtual_size, size)  # assigning it would ask for a layout pass
                self._scroll_update(size)  # the scrollbars (Textual's own, called when a layout sizes us)
            if self.scrollable_content_region.width == width:
                break
        if self.show_vertical_scrollbar != scrollbar:
            self.refresh(layout=True)
        if self._follow:
            self.scroll_to(y=self.max_scroll_y, animate=False)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._sync()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y

    def render_line(self, y: int) -> Strip:
        """Line `y` of the view; a short log sits at the bottom, next to the input, like a chat."""
        width, base = self._width, self.visual_style.rich_style
        top = max(0, self.scrollable_content_region.height - len(self._rows))
        index = self.scroll_offset.y + y - top
        if not 0 <= index < len(self._rows) or self._rows[index][1] < 0:
            return Strip.blank(width, base)
        message, line = self._rows[index]
        text = message.lines[line]
        if message.role == "bot":
            style = self.get_component_rich_style("chat-log--bot")
            left = Strip([Segment(EDGE, self.get_component_rich_style("chat-log--edge")), Segment(" ", style)])
        else:
            style = self.get_component_rich_style("chat-log--user")
            left = Strip([Segment(" " * max(0, width - message.inner - 2), base), Segment(" ", style)])
        right = Strip([Segment(" ", style)])
        return Strip.join([left, text.apply_style(style), right]).crop_extend(0, width, base).simplify()


class QuickReplies(Widget, can_focus=True):
    """A row of chips under the log: left/right to move, enter to send; clickable too."""

    BINDINGS = [  # noqa: RUF012
        Binding("left", "move(-1)", "Prev", show=False, tooltip="pick and send a quick reply"),
        Binding("right", "move(1)", "Next", show=False, tooltip="pick and send a quick reply"),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter,space", "pick", "Send reply", tooltip="pick and send a quick reply"),
    ]

    index: reactive[int] = reactive(0)

    @dataclass
    class Picked(Message):
        value: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choices: list[Choice] = []
        self.topic: object | None = None  # the question the chips answer

    def drop_if_answered(self, question: object | None) -> None:
        """Chips that answer a question go once it is no longer the question asked (answered, by
        typing or with a key, or replaced): a click would act on what is settled."""
        if self.choices and self.topic is not None and self.topic is not question:
            self.set_choices([])

    def answers(self, question: object | None) -> bool:
        """Whether the chips are answers to `question`, the one still open (not suggestions for an
        earlier message, nor answers to a question since gone)."""
        return question is not None and self.topic is question

    def set_choices(self, choices: Sequence[Choice], topic: object | None = None) -> None:
        """New chips, answers to `topic` (the question asked, if they are answers to one); a layout
        pass only if they need another number of lines (the same chips are offered after every
        answer to the same kind of question). Showing or hiding the row asks for its own layout pass."""
        lines = self._lines(self.size.width)
        self.topic = topic
        self.choices = list(choices)
        self.index = 0
        self.display = bool(self.choices)
        self.refresh(layout=self._lines(self.size.width) != lines)

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

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._lines(width)

    def _lines(self, width: int) -> int:
        """How many lines the chips take at `width` (as `render` lays them out)."""
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
        if not all(node.display for node in self.ancestors_with_self if isinstance(node, Widget)):
            return  # chips nobody sees are never sent
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


class ChatInput(TextInput):
    """The input line, with shell-like history on up/down."""

    BINDINGS = [  # noqa: RUF012
        Binding("up", "history(-1)", "Previous message", show=False, tooltip="your previous messages"),
        Binding("down", "history(1)", "Next message", show=False, tooltip="your previous messages"),
        Binding("escape", "app.escape", "Cards"),  # the app's key, in the help there
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="say something… (help)", id=id)
        self.history: list[str] = []
        self._position = 0
        self.typed_at = 0.0  # monotonic time of the last key typed here: the person is busy (startup.py)

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
        """A "?" typed into an empty line opens the help right here, in the input's own queue, once the
        keys before it are in: "why not Heat?" typed in one burst is text. (Enter and the input's other
        keys take effect in typing order too: `TextInput`.)"""
        self.typed_at = time.monotonic()
        if event.character == "?" and not self.value:  # the app's "?" handed over, in typing order
            event.stop()
            event.prevent_default()
            await self.run_action("app.toggle_help")

    def action_submit(self) -> None:
        """Enter (the input's binding, run as the key arrives): the message goes and the line is
        emptied at once, so keys typed right behind it start the next message instead of being glued
        onto this one."""
        self._send(self.value)

    def _on_input_changed(self, event: Input.Changed) -> None:
        """Nothing above the chat input listens for its changes: stopped here, each keystroke's message
        is not handed up through every container to the app (CPU per key: benchmarks/served_cpu.py)."""
        event.stop()

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

    def type_ahead(self, character: str) -> None:
        """A key typed elsewhere (in the help) that belongs here."""
        self.focus()
        self.insert_text_at_cursor(character)

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
    """The log, the quick replies and the input. Tab goes from the input to the chips above it (when
    there are some) and then out of the pane; shift+tab the other way. (Textual's order would be the
    order on screen, chips first, so chips offered in answer to a message were only reachable with
    shift+tab.)"""

    BINDINGS = [  # noqa: RUF012
        Binding("tab", "tab(1)", show=False),
        Binding("shift+tab", "tab(-1)", show=False),
    ]

    def action_tab(self, step: int) -> None:
        line, chips = self.query_one(ChatInput), self.query_one(QuickReplies)
        inside = [line, chips] if chips.display and chips.choices else [line]
        focused = self.screen.focused
        here = inside.index(focused) if focused in inside else -1
        if here >= 0 and 0 <= here + step < len(inside):
            inside[here + step].focus()
            return
        chain = self.screen.focus_chain  # out of the pane: the next focusable widget before or after it
        outside = [w for w in chain if w not in (line, chips)]
        if not outside:
            return
        edge = chain.index(line) if line in chain else 0
        after = [w for w in outside if chain.index(w) > edge]
        before = [w for w in outside if chain.index(w) < edge]
        target = (after or before)[0] if step > 0 else (before or after)[-1]
        target.focus()

    def compose(self):
        yield ChatLog(id="chat-log")
        yield QuickReplies(id="quick-replies")
        yield ChatInput(id="chat-input")

    def on_mount(self) -> None:
        self.query_one(QuickReplies).display = False
