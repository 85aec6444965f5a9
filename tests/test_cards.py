"""Cards as text at the widths of the app's layouts, without an app: what a title is cut to."""

from __future__ import annotations

from rich.console import Console
from textual._context import active_app
from textual.app import App
from textual.style import Style
from textual.visual import RenderOptions

from movierec_tui.engine import MovieCard, Recommendation
from movierec_tui.widgets.cards import CardView, fit_title
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
