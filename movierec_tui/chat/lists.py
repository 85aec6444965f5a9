"""The chat's words for the watchlist and the seen list: "add Heat to my watchlist", "watch later
Heat", "seen Alien", "remove Heat from my watchlist", "unsee Alien", "my watchlist"; and for the
ratings as a list: "my ratings", "what have I rated?".

One rule of the parser (tried early: "remove Heat from my watchlist" is no "forget", "save Heat for
later" no saved profile). Titles are resolved by the parser's own `resolve`, so they are as forgiving
and as careful as in a rating: a loose match is a guess (asked about first), an ambiguous one fails
here and becomes "Which one?" with the readings as chips. A message that is a title as a whole
("Someone to Watch Over Me", "I Saw What You Did") is left to the title rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from movierec_tui.chat.explore import card_number
from movierec_tui.chat.filters import genres_of
from movierec_tui.chat.filters import key as _key
from movierec_tui.chat.intents import Intent, Mention, PutOnList, ShowLists, ShowRatings, TakeOffList
from movierec_tui.chat.lookup import quiet_match, rebuilder
from movierec_tui.chat.phrases import (
    SEEN_ADD,
    SEEN_REMOVE,
    SHOW_LISTS,
    SHOW_RATINGS,
    THIS_WORDS,
    WATCHLIST_ADD,
    WATCHLIST_REMOVE,
)
from movierec_tui.profile import ListName
from movierec_tui.titles import TitleIndex, TitleMatch

_SOME = re.compile(r"(?:an?|some|something|anything|more|another|movies?|films?)\b", re.IGNORECASE)
Rule = Callable[[str], "list[Intent] | None"]
Resolve = Callable[[str, Callable[[str], str]], "TitleMatch | None"]
_RULES: tuple[tuple[tuple[re.Pattern[str], ...], type[PutOnList] | type[TakeOffList], ListName], ...] = (
    (WATCHLIST_REMOVE, TakeOffList, "watchlist"),
    (SEEN_REMOVE, TakeOffList, "seen"),
    (WATCHLIST_ADD, PutOnList, "watchlist"),
    (SEEN_ADD, PutOnList, "seen"),
)


def list_request(text: str, resolve: Resolve, titles: TitleIndex, rating: Rule) -> list[Intent] | None:
    """The list request in `text`, or None. `resolve(title, rebuild)` is the parser's title lookup
    (None after noting why not); `rating` its rating rule, for "seen Heat 4" (seen it, and 4 stars)."""
    if SHOW_RATINGS.fullmatch(text):
        return [ShowRatings()]
    shown = SHOW_LISTS.fullmatch(text)
    if shown:
        name: ListName | None = "watchlist" if shown.group("watchlist") or shown.group("watchlist2") else None
        name = "seen" if shown.group("seen") or shown.group("seen2") else name
        return [ShowLists(name, open=bool(shown.group("open")))]
    for patterns, kind, list_name in _RULES:
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if not match:
                continue
            if _names_a_movie(text, titles):  # a title that reads like a request; looked up only then,
                return None  # not for every message ("Fargo 4": the rating rule looks it up anyway)
            title = match.group("title")
            # A card by its number: "add 3 to my watchlist", "mark 2 as seen" (the list named after the
            # number), marked anywhere ("seen #4"), or "seen 4" (an answer to "Have you seen Heat?"
            # never gets here: it is a rating); a bare one at the end of another may be a slip
            # ("watchlist 4"), so it is left to the rules below.
            card = card_number(title, titles)
            seen_card = kind is PutOnList and list_name == "seen"
            if card is not None and (card.marked or match.end("title") < len(text) or seen_card):
                return [kind(card.movie, list_name, card.number, sureness=card.sureness)]
            if (said := _key(title)) in THIS_WORDS:
                # "add this to my watchlist", "seen this", "I've already seen that": the focused card;
                # "seen it", "not seen it" answer a question ("Have you seen Heat?"), maybe one gone
                return [kind(None, list_name)] if said and (list_name == "watchlist" or said != "it") else None
            if genres_of(title) is not None or (_SOME.match(title) and not _names_a_movie(title, titles, "confident")):
                return None  # "I want to see comedies", "... a comedy", "... more": a kind of movie, not one
            if list_name == "seen" and kind is PutOnList and re.search(r"\d$", title):
                rated = rating(title)  # "seen Heat 4", "watched Heat 9/10": a rating says it was seen
                if rated and not isinstance(rated[0], Mention):  # "seen Toy Story 2" names a movie
                    return rated
            start, end = match.start("title"), match.end("title")
            found = resolve(title, rebuilder(text, start, end))
            if found is not None and (found.sureness == "exact" or not re.search(r"\d$", title)):
                return [kind(found.movie, list_name, sureness=found.sureness)]
            # "seen Alien 5": a number not in the title is more likely a rating; the rating rules decide
    return None


def seen_or_not(text: str) -> bool | None:
    """Whether `text` says the movie pointed at ("this", "that", "it") was seen: "I've seen that" True,
    "haven't seen this one" False, anything else None. Said to "Have you seen Heat?", it is Heat."""
    for patterns, seen in ((SEEN_REMOVE, False), (SEEN_ADD, True)):
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if match and (said := _key(match.group("title"))) and said in THIS_WORDS:
                return seen
    return None


def _names_a_movie(text: str, titles: TitleIndex, at_least: str = "exact") -> bool:
    """Whether `text` is a movie's title ("exact"), or found by its start or a slip ("confident")."""
    found = quiet_match(titles, text)
    return found is not None and found.sureness in ("exact", at_least)
