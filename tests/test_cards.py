"""Cards as text at the widths of the app's layouts: what a title is cut to, and the card list
painting them from kept parts as Textual would paint them whole."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from layout_passes import count_layout_passes
from rich.console import Console
from rich.style import Style as RichStyle
from textual._context import active_app
from textual.app import App
from textual.containers import Horizontal
from textual.geometry import Spacing
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions
from textual.widgets import Static

from movierec_tui.engine import MovieCard, Recommendation
from movierec_tui.widgets.cards import (
    CardList,
    CardPainter,
    CardView,
    _Frame,
    change_hint,
    fit_title,
    laid_out,
    shown_title,
)
from movierec_tui.widgets.theme import Palette

EPISODES = ("Star Wars: Episode IV - A New Hope", "Star Wars: Episode V - The Empire Strikes Back",
            "Star Wars: Episode VI - Return of the Jedi", "Star Wars: Episode I - The Phantom Menace")  # fmt: skip
COLOURS = Palette(*["white"] * 10)


def card_lines(title: str, others: tuple[str, ...], width: int) -> list[str]:
    card = MovieCard(1, title, 1980, ("Action", "Sci-Fi"), 4.2, 2000, (1, 2, 3, 4, 5))
    rec = Recommendation(card, 0.9, 4.1, "because you liked Alien (1979)", 2)
    console = Console(width=width, record=True, color_system=None)
    console.print(CardView(1, rec, COLOURS, False, others))
    return console.export_text().splitlines()


def test_titles_cut_to_the_same_text_keep_what_tells_them_apart() -> None:
    for width in range(30, 44):  # a card's width at 100-110 columns, with the profile panel shown
        firsts = [card_lines(title, EPISODES, width)[0] for title in EPISODES]
        assert len(set(firsts)) == len(EPISODES), firsts
        assert all(len(line) <= width for line in firsts)
    room = 17
    assert fit_title(EPISODES[0], room, EPISODES) == "Star…A New Hope"
    assert fit_title(EPISODES[1], room, EPISODES) == "Star…Strikes Back"
    assert fit_title("Heat", room, EPISODES) == "Heat"
    # alone, or among titles that are cut differently, a title is cut at its end as before
    assert fit_title(EPISODES[0], room, ("Alien", EPISODES[0])) == "Star Wars: Episo…"
    assert fit_title("Dr. Strangelove or: How I Learned to Stop Worrying", 12, ()) == "Dr. Strange…"


def test_a_card_paints_as_the_console_lays_it_out_at_every_width() -> None:
    """The option list paints a card from its strips and sizes it by its height, not through the
    console: both must match what the console lays out, narrow widths (lines fold) included."""
    card = MovieCard(1, EPISODES[1], 1980, ("Action", "Sci-Fi"), 4.2, 2000, (1, 2, 3, 4, 5))
    view = CardView(3, Recommendation(card, 0.9, 4.1, "because you liked Alien (1979)", 2), COLOURS, True, EPISODES)
    app = App()
    token = active_app.set(app)
    try:
        for width in range(8, 90):
            console = Console(width=width, record=True, color_system=None)
            console.print(view)
            expected = console.export_text().splitlines()
            strips = view.render_strips(width, None, Style(), RenderOptions(lambda _: Style(), app.styles))
            assert [strip.text.rstrip() for strip in strips] == [line.rstrip() for line in expected], width
            assert view.get_height(app.styles, width) == len(expected), width
    finally:
        active_app.reset(token)


# -- the card list paints cards from kept parts ------------------------------------------------------


def _recommendations(scores: list[float], titles: tuple[str, ...] = EPISODES) -> list[Recommendation]:
    cards = [MovieCard(10 + n, title, 1977 + n, ("Action", "Sci-Fi"), 3.5 + n / 10, 1000 * n, (1, 2, 3, 4, 5))
             for n, title in enumerate(titles)]  # fmt: skip
    return [Recommendation(card, score, 4.0, f"because you liked movie {card.movie_id}", None)
            for card, score in zip(cards, scores, strict=True)]  # fmt: skip


class CardsApp(App):
    CSS = "#cards > .option-list--option { padding: 0 1; } #cards { scrollbar-size-vertical: 1; }"

    def compose(self):
        yield CardList(id="cards")


def _painted_and_laid_out_whole(cards: CardList) -> tuple[list[Strip], list[Strip]]:
    """Every line of the list as the card list paints it, and as Textual's option list paints the
    same options through each card's visual (nothing kept from an earlier paint)."""
    cards._option_render_cache.clear()
    cards._frame = _Frame(cards)
    try:
        painted = [cards.render_line(y) for y in range(cards.size.height)]
    finally:
        cards._frame = None
    cards._option_render_cache.clear()
    whole = [cards.render_line(y) for y in range(cards.size.height)]
    return painted, whole


def test_the_card_list_paints_what_the_option_list_would_after_every_change() -> None:
    """Ranks and scores move after a rating, the width after a resize, the colours with the theme,
    the highlight with the keys: each time the lines painted from kept parts are Textual's own,
    segment for segment (a kept part of another movie, width or theme would show here)."""

    async def run() -> None:
        app = CardsApp()
        async with app.run_test(size=(70, 10)) as pilot:  # shorter than the list: it scrolls
            cards = app.query_one(CardList)
            titles = tuple(shown_title(t) for t in EPISODES)
            steps = [
                lambda: cards.show(_recommendations([0.91, 0.85, 0.80, 0.72])),
                lambda: setattr(cards, "_mouse_hovering_over", 1),  # (as a mouse over the second card)
                lambda: cards.show(_recommendations([0.88, 0.83, -0.05, 10.5])[1:], frozenset({11})),
                lambda: cards.show(list(reversed(_recommendations([0.7, 0.6, 0.5, 0.4])))),
                lambda: cards.focus(),
                lambda: cards.action_cursor_down(),
                lambda: cards.action_last(),
                lambda: setattr(app, "theme", "textual-light"),
                lambda: cards.restyle(),
            ]
            for step in steps:
                step()
                await pilot.pause()
                painted, whole = _painted_and_laid_out_whole(cards)
                assert painted == whole
                assert any(title[:10] in strip.text for strip in painted for title in titles)
            assert cards.scroll_offset.y > 0
            for width in (44, 36, 60):  # the titles are cut, at another place each time
                await pilot.resize_terminal(width, 10)
                await pilot.pause()
                painted, whole = _painted_and_laid_out_whole(cards)
                assert painted == whole, width
            cards.show([])  # a disabled option saying there are none
            await pilot.pause()
            painted, whole = _painted_and_laid_out_whole(cards)
            assert painted == whole and "No recommendations yet." in painted[0].text

    asyncio.run(run())


def test_the_painter_keeps_only_what_does_not_depend_on_rank_or_score() -> None:
    """A card's lines are kept once per movie, width, padding, style and theme; a new rank or score
    reuses them, and whatever else changes (the movie, its reason, NEW, the width, the colours, the
    option's style) lays the card out anew."""
    app = App()
    token = active_app.set(app)
    try:
        painter = CardPainter()
        recs = _recommendations([0.9, 0.8, 0.7, 0.6])
        light = Palette(*["black"] * 10)
        remade = replace(recs[0].card, year=1999, mean_rating=2.0, rating_count=7)  # the same title, other facts
        variants = (recs[0], replace(recs[0], score=0.12), replace(recs[0], score=-0.25),
                    replace(recs[0], reason="similar to Heat"), replace(recs[0], card=remade), recs[1])  # fmt: skip
        views = [
            CardView(rank, rec, colours, new, EPISODES)
            for rank in (1, 2, 9, 10, 100)
            for rec in variants
            for colours in (COLOURS, light)
            for new in (False, True)
        ]
        styles = (RichStyle.parse("on grey11"), RichStyle.parse("bold white on blue"))
        padded, bare = Spacing(0, 1, 0, 1), Spacing()
        for width, padding in ((26, padded), (40, padded), (41, bare), (80, Spacing(0, 2, 0, 0))):
            for view in views:
                for style in styles:
                    painted = painter.strips(view, width, padding, style)
                    assert painted == laid_out(view, width, padding, style), (view.rank, view.rec, width, style)
                    assert all(strip.cell_length == width for strip in painted)
        kept = len(painter._kept)
        # ranks 1-99 share a card's lines (rank 100 is a column wider), and so do scores 0.9 and 0.12 (not
        # -0.25, a column wider): 5 cards' lines at 2 colours, 2 NEW, 4 widths, 2 styles and 2 rank widths
        assert kept == 5 * 2 * 2 * 4 * 2 * 2, kept
        # a match too long for its column is laid out whole, and still right
        long = CardView(1, replace(recs[0], score=12345.5), COLOURS, False, EPISODES)
        assert painter.strips(long, 40, Spacing(), styles[0]) == laid_out(long, 40, Spacing(), styles[0])
        # narrower than a card's own layout, or padded above it: not the painter's to paint
        assert painter.strips(views[0], CardView.MIN_WIDTH + 1, Spacing(0, 1, 0, 1), styles[0]) is None
        assert painter.strips(views[0], 40, Spacing(1, 0, 0, 0), styles[0]) is None
    finally:
        active_app.reset(token)


# -- scrollbars are repainted only when they change (widgets/scrollbars.py) ----------------------------


class CardsBesideApp(App):
    """The cards beside a panel whose height follows its text: a new line there is a layout pass of
    the screen that leaves the cards' size as it was (as the profile panel's ratings list growing)."""

    CSS = """
    Horizontal { height: 1fr; }
    #cards { width: 1fr; height: 100%; scrollbar-size-vertical: 1; }
    #side { width: 20; height: auto; }
    """

    def compose(self):
        with Horizontal():
            yield CardList(id="cards")
            yield Static("one", id="side")


def test_the_cards_scrollbar_is_repainted_only_where_it_changes() -> None:
    """A layout pass that leaves the cards' size repaints nothing of their scrollbar; a longer list
    or a scroll repaints the lines its thumb left or reached, and the bar then looks as one drawn whole."""

    async def run() -> None:
        app = CardsBesideApp()
        async with app.run_test(size=(70, 14)) as pilot:
            cards = app.query_one(CardList)
            cards.show(_recommendations([0.91, 0.85, 0.80, 0.72]))  # taller than the list: a scrollbar
            await pilot.pause()
            bar = cards.vertical_scrollbar
            assert bar.display and bar.window_virtual_size > bar.window_size
            drawn: list[int] = []
            render_line = bar.render_line
            bar.render_line = lambda y: drawn.append(y) or render_line(y)  # type: ignore[method-assign]

            def painted_as_whole() -> bool:
                shown = bar.render_lines(bar.size.region)  # what is on screen: kept lines and repainted ones
                bar.refresh()  # forget them all
                return shown == bar.render_lines(bar.size.region)

            side = app.query_one("#side", Static)
            for n in range(2, 5):  # each new line of the panel is a layout pass of the whole screen
                passes = count_layout_passes(app)
                side.update("\n".join(["line"] * n))
                await pilot.pause()
                assert passes and side.size.height == n
            assert not drawn  # the cards' scrollbar shows what it showed
            cards.show(_recommendations([0.91, 0.85, 0.80, 0.72, 0.6], (*EPISODES, "Alien")))  # a shorter thumb
            await pilot.pause()
            assert 0 < len(drawn) < bar.size.height
            assert painted_as_whole()
            for y in (3, 7, 2, cards.max_scroll_y):
                drawn.clear()
                cards.scroll_to(y=y, animate=False)
                await pilot.pause()
                assert 0 < len(drawn) < bar.size.height, y  # the thumb moved
                assert painted_as_whole(), y

    asyncio.run(run())


def test_the_hint_says_what_the_last_refresh_changed() -> None:
    """An emptied list is not "reordered" (its own line says why it is empty), and a list that a
    filter shortened says by how much."""
    assert change_hint(None, [1, 2, 3], []) == ""
    assert change_hint([1, 2, 3], [4, 1, 2], ["Horror hidden"]) == "+1 new · Horror hidden"
    assert change_hint([1, 2, 3], [3, 2, 1], []) == "reordered"
    assert change_hint([1, 2, 3], [1, 2, 3], []) == "no change"
    assert change_hint([1, 2, 3], [1, 3], []) == "1 fewer"
    assert change_hint([1, 2, 3], [], ["only Horror"]) == "only Horror"
