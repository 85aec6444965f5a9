"""The profile panel: who you are, what you rated (editable) and which filters are on.

Ratings are an option list so that a rating can be picked with the keyboard and changed with 1-5 or
removed with delete, the same keys as on the cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import VerticalScroll
from textual.geometry import Size, Spacing
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from movierec_tui.catalogue import AGE_BUCKETS, OCCUPATIONS
from movierec_tui.profile import Profile
from movierec_tui.widgets.cards import rating_bindings
from movierec_tui.widgets.option_lists import OptionListGuards
from movierec_tui.widgets.scrollbars import SteadyScrollbars
from movierec_tui.wording import GENDER_LABELS, describe_filters, stars


@dataclass
class RatingEdit(Message):
    movie_id: int
    rating: int | None  # None: remove the rating; 0: open the movie


class RatingsList(OptionListGuards, SteadyScrollbars, OptionList):
    BINDINGS = [  # noqa: RUF012
        Binding("j", "cursor_down", show=False),  # what the arrow keys do; not in the help
        Binding("k", "cursor_up", show=False),
        *rating_bindings("Re-rate", "change the rating"),
        Binding("delete,backspace,x", "remove", "Remove", tooltip="remove the rating"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.movie_ids: list[int] = []
        self._layout_deferred = False
        # The options shown, by what they show: kept from one `show` to the next, as each option keeps
        # its laid-out text (and height), so a new rating lays out one line instead of all of them.
        self._option_for: dict[tuple[int, int, str], Option] = {}
        # Their laid-out lines, by option, style and width, kept across `show` too: Textual's own cache of
        # them is cleared with every `set_options`, and a new rating at the top moves every line down
        # one, so every visible line was laid out again (wrapping its text) after each rating.
        self._laid_out: LRUCache[tuple[Option, Style, Spacing, int], list[Strip]] = LRUCache(maxsize=1024)
        self._lines_width: int | None = None  # the width the option list's caches were made for

    def _on_resize(self, event: events.Resize) -> None:
        """Textual's option list forgets its lines and repaints on every resize. Its lines depend only on
        the width: a resize to a new height (an automatic height growing with a rating, the panel
        folding) has been painted by the layout pass that made it, and forgetting them cost a frame of
        its own. A new width lays them out again."""
        width = self.scrollable_content_region.width
        if width == self._lines_width:
            event.prevent_default()  # Textual calls each class's handler; this stops OptionList's
        self._lines_width = width

    def show(self, ratings: Mapping[int, int], names: Mapping[int, str]) -> None:
        """Replace the ratings. The app's CSS gives the list a fixed height: a new rating only adds a line
        inside it, no layout pass of the whole screen (18% of a rating's main-thread time, before, in a
        py-spy profile of a served session: docs/benchmarks.md). Were its height automatic (following its lines up
        to a max-height), one layout pass would be asked for when that height changes. (OptionList asks
        for one on every change, and for a second one when the list grows: see `_scroll_update`.)"""
        current = self.movie_ids[self.highlighted] if self.highlighted is not None and self.movie_ids else None
        previous_index = self.highlighted
        self.movie_ids = list(reversed(list(ratings)))  # most recent first
        shown = [(m, ratings[m], names.get(m, f"movie {m}")) for m in self.movie_ids]
        self._option_for = {key: self._option_for.get(key) or _rating_option(*key) for key in shown}
        options = list(self._option_for.values())
        self._layout_deferred = True
        try:
            self.set_options(options or [Option(Text("nothing rated yet", style="italic"), disabled=True)])
        finally:
            self._layout_deferred = False
        if self.region and self.styles.is_auto_height and self._fitted_height() != self.outer_size.height:
            self.refresh(layout=True)  # the layout pass updates the scrollbar for the new height
        else:
            self._scroll_update(self.virtual_size)
        if self.movie_ids:
            if current in self.movie_ids:
                self.highlighted = self.movie_ids.index(current)
            else:
                self.highlighted = min(previous_index or 0, len(self.movie_ids) - 1)

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        """Textual's rendering of an option (OptionList._get_option_render), with the laid-out lines
        kept from one `show` to the next: only the option's index (the mouse's meta) is applied anew.
        The options never change their prompt (a changed rating is a new option), so the lines of an
        option at a style and width stay right."""
        padding = self.get_component_styles("option-list--option").padding
        if (strips := self._option_render_cache.get((option, style, padding))) is not None:
            return strips
        if option._divider:  # (the ratings have none)
            return super()._get_option_render(option, style)
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        key = (option, style, padding, width)
        if (laid_out := self._laid_out.get(key)) is None:
            visual = self._get_visual(option)
            if padding:
                visual = Padding(visual, padding)
            lines = visual.to_strips(self, visual, width, None, style)
            laid_out = [strip.extend_cell_length(width, style.rich_style) for strip in lines]
            self._laid_out[key] = laid_out
        meta = {"option": self._option_to_index[option]}
        strips = [strip.apply_meta(meta) for strip in laid_out]
        self._option_render_cache[(option, style, padding)] = strips
        return strips

    def _fitted_height(self) -> int:
        """The height a layout pass would give the list now: its lines, up to its max-height."""
        height = self.virtual_size.height + self.styles.gutter.height
        limit = self.styles.max_height
        if limit is not None:
            height = min(height, int(limit.resolve(self.container_size, self.app.size)))
        return height

    def refresh(self, *regions, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        """While `show` replaces the options, a layout pass is left to `show` to decide."""
        layout = layout and not self._layout_deferred
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _scroll_update(self, virtual_size: Size) -> None:
        """Textual updates the scrollbar as soon as the options change, against the old height: a list
        about to grow shows a scrollbar for one frame, and taking it away costs a second layout pass.
        While `show` replaces the options, it is left to `show`."""
        if not self._layout_deferred:
            super()._scroll_update(virtual_size)

    def _current(self) -> int | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.movie_ids):
            return None
        return self.movie_ids[self.highlighted]

    def action_rate(self, value: int) -> None:
        movie_id = self._current()
        if movie_id is not None:
            self.post_message(RatingEdit(movie_id, value))

    def action_remove(self) -> None:
        movie_id = self._current()
        if movie_id is not None:
            self.post_message(RatingEdit(movie_id, None))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        movie_id = self._current()
        if movie_id is not None:
            self.post_message(RatingEdit(movie_id, 0))


def _rating_option(movie_id: int, rating: int, name: str) -> Option:
    return Option(Text.assemble((stars(rating), "bold"), " ", name), id=f"r{movie_id}")


class ProfilePanel(SteadyScrollbars, VerticalScroll, can_focus=False):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: dict[str, object] = {}  # what each part shows now, to skip unchanged updates

    def compose(self):
        yield Static("You", classes="section-title")
        yield Static(id="profile-who")
        yield Static("Ratings", classes="section-title", id="ratings-title")
        yield RatingsList(id="profile-ratings")
        yield Static("Filters", classes="section-title")
        yield Static(id="profile-filters")
        yield Static(id="profile-name")

    def show(self, profile: Profile, names: Mapping[int, str], saved_as: str | None, dirty: bool) -> None:
        """Update what changed; parts of fixed height skip the layout pass (the costly part)."""
        who = Table.grid(padding=(0, 1))
        who.add_column(style="dim", no_wrap=True)
        who.add_column(no_wrap=True, overflow="ellipsis")
        unknown = Text("—", style="dim")
        who.add_row("age", Text(AGE_BUCKETS[profile.age]) if profile.age is not None else unknown)
        gender = GENDER_LABELS.get(profile.gender or "")
        who.add_row("gender", Text(gender) if gender else unknown)
        job = OCCUPATIONS[profile.occupation] if profile.occupation is not None else None
        who.add_row("job", Text(job) if job else unknown)
        key = (profile.age, profile.gender, profile.occupation)
        if key != self._shown.get("who"):
            self.query_one("#profile-who", Static).update(who, layout=False)
        self._update("ratings-title", Text(f"Ratings ({len(profile.ratings)})"), fixed=True)
        ratings_key = tuple(profile.ratings.items())
        if ratings_key != self._shown.get("ratings"):
            self.query_one(RatingsList).show(profile.ratings, names)
        filters = describe_filters(profile)
        if profile.dismissed:
            filters.append(f"{len(profile.dismissed)} dismissed")
        if profile.watchlist or profile.seen:
            filters.append(f"{len(profile.watchlist)} to watch · {len(profile.seen)} seen (W)")
        text = Text("\n".join(filters)) if filters else Text("none — try “no horror”", style="italic")
        self._update("profile-filters", text, fixed=len(filters) == len(self._shown.get("filters", ())))
        if saved_as is None:
            status = Text("not saved · ctrl+s to save", style="italic")
        else:
            status = Text.assemble(
                ("profile ", "dim"), (saved_as, "bold"), (" · unsaved changes" if dirty else "", "italic")
            )
        self._update("profile-name", status, fixed=True)
        self._shown.update(who=key, ratings=ratings_key, filters=tuple(filters))

    def _update(self, widget_id: str, text: Text, fixed: bool) -> None:
        if self._shown.get(widget_id) == text.plain:
            return
        self._shown[widget_id] = text.plain
        self.query_one(f"#{widget_id}", Static).update(text, layout=not fixed)
