"""The chat's words for the mainstream dial (issue 17.4; the dial itself: model/dial.py, the
profile's `novelty`, 0 = by taste alone .. 1 = least mainstream).

Whole messages only ("less mainstream", "hidden gems", "more popular", "back to normal",
"novelty 0.5"), matched before any title rule, so "hidden gems" is never *The Hidden* and "more
popular" never a search for a movie called "Popular".
"""

from __future__ import annotations

import re

from movierec_tui.chat.intents import Mainstream, Unknown

NOVELTY_STEP = 0.25  # "less mainstream" / "more popular" move the dial by this much
HIDDEN_GEMS = 0.8  # the setting "hidden gems" asks for, as the app's "Hidden gems" row

LESS_MAINSTREAM_WORDS = frozenset({
    "less mainstream", "less popular", "less obvious", "less well known", "less well-known", "less known",
    "lesser known", "lesser-known", "more obscure", "more niche", "more novelty", "more unusual", "fewer blockbusters",
    "less blockbusters", "not so mainstream", "not so popular", "nothing too mainstream", "less commercial",
})  # fmt: skip
HIDDEN_GEMS_WORDS = frozenset({
    "hidden gems", "hidden gem", "gems", "deep cuts", "obscure", "obscure movies", "obscure films",
    "underrated", "underrated movies", "underrated films", "something obscure", "something less known",
    "show me hidden gems", "give me hidden gems", "find hidden gems", "hidden gems please",
})  # fmt: skip
MORE_POPULAR_WORDS = frozenset({
    "more popular", "more mainstream", "less obscure", "less niche", "more well known", "more well-known",
    "more famous", "more blockbusters", "more known", "better known", "more obvious",
})  # fmt: skip
NORMAL_WORDS = frozenset({
    "back to normal", "normal", "mainstream", "mainstream again", "mainstream is fine", "popular is fine",
    "back to mainstream", "by taste", "just by taste", "reset the dial", "dial off", "novelty off",
    "normal popularity", "popularity back to normal", "turn off hidden gems", "no more hidden gems",
})  # fmt: skip
_SETTING = re.compile(r"(?:set\s+)?(?:the\s+)?(?:novelty|mainstream\s+dial|dial|novelty\s+dial)\s*(?:to|=|at|:)?\s*"
                      r"(?P<value>[-+]?\d+(?:[.,]\d+)?|[-+]?[.,]\d+)")  # fmt: skip


def mainstream_intent(key: str) -> Mainstream | Unknown | None:
    """The dial request a whole message (as `filters.key` cleans it) makes, or None."""
    if key in LESS_MAINSTREAM_WORDS:
        return Mainstream(step=NOVELTY_STEP)
    if key in MORE_POPULAR_WORDS:
        return Mainstream(step=-NOVELTY_STEP)
    if key in HIDDEN_GEMS_WORDS:
        return Mainstream(novelty=HIDDEN_GEMS)
    if key in NORMAL_WORDS:
        return Mainstream(novelty=0.0)
    setting = _SETTING.fullmatch(key)
    if setting is None:
        return None
    value = float(setting.group("value").replace(",", "."))
    if not 0.0 <= value <= 1.0:
        return Unknown(key, "The mainstream dial goes from 0 (by taste alone) to 1 (least mainstream).",
                       ("novelty 0.5", "hidden gems", "back to normal"))  # fmt: skip
    return Mainstream(novelty=value)
