"""The app's two themes ("cinema" dark and light) and the colours Rich renderables take from them.

Textual CSS reaches theme variables directly, but cards and chat messages are Rich renderables that
only know concrete colours, so :func:`palette` reads them from the running theme; widgets rebuild
their content when the theme changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

DARK = Theme(
    name="movierec-dark",
    primary="#E5A50A",  # marquee gold
    secondary="#7C6BC4",
    accent="#4FB3BF",  # teal
    warning="#F0C04A",
    error="#E0605E",
    success="#6CC070",
    foreground="#E8E3D8",
    background="#13151B",
    surface="#1A1D25",
    panel="#232733",
    dark=True,
)
LIGHT = Theme(
    name="movierec-light",
    primary="#A86A00",
    secondary="#5B4BA8",
    accent="#1D7480",
    warning="#B07A00",
    error="#B3261E",
    success="#2E7D32",
    foreground="#24211C",
    background="#F6F2EA",
    surface="#FFFCF6",
    panel="#EAE3D5",
    dark=False,
)
THEMES = (DARK, LIGHT)


def use_themes(app: App) -> None:
    """Registers the app's themes and starts it in the dark one. Called before the app runs, so that its
    first screen is styled once, in these colours: set on mount, the theme restyled every widget a
    second time (docs/benchmarks.md, "What an app's start costs")."""
    for theme in THEMES:
        app.register_theme(theme)
    app.theme = DARK.name


@dataclass(frozen=True)
class Palette:
    stars: str
    reason: str
    new: str
    user: str
    bot: str
    good: str
    bad: str
    bar: str
    chip: str
    chip_selected: str


def palette(app: App) -> Palette:
    """Concrete colours for Rich renderables from the running theme (fallbacks for a bare App)."""
    values = app.theme_variables

    def colour(name: str, fallback: str) -> str:
        """The theme's colour as Rich names it. Textual's ANSI themes (in the palette's "Theme")
        name theirs "ansi_default", "ansi_blue"..., which Rich cannot parse: choosing one ended the
        app with StyleSyntaxError (an SSH fuzzer, 2026-12-05)."""
        try:
            return Color.parse(values.get(name, fallback)).rich_color.name
        except ColorParseError:
            return fallback

    return Palette(
        stars=colour("text-warning", "#F0C04A"),
        reason=colour("text-accent", "#4FB3BF"),
        new=f"bold {colour('background', '#000000')} on {colour('success', '#6CC070')}",
        user=colour("text-primary", "#E5A50A"),
        bot=colour("text-accent", "#4FB3BF"),
        good=colour("text-success", "#6CC070"),
        bad=colour("text-error", "#E0605E"),
        bar=colour("primary", "#E5A50A"),
        chip=f"{colour('foreground', '#E8E3D8')} on {colour('panel-lighten-1', '#343F49')}",
        chip_selected=f"bold {colour('background', '#13151B')} on {colour('primary', '#E5A50A')}",
    )
