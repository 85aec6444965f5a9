"""The chat's words for exploring: "why Brazil?", "why?" (the highlighted card), "more like Alien",
"more like this", "something like Alien from the 80s" (with a years filter), "tell me about Fargo"
(its details screen), and a card by the number it shows ("why 3?", "more like #2", "why card 12";
the list and dismiss rules read numbers with `card_number` too: "add 3 to my watchlist", "dismiss 2").

Two rules of the parser. Titles are resolved by the parser's own `resolve` (as in lists.py), so a
loose match is a guess, asked about first. A number is the card showing it; bare digits may also
name a movie ("2001", "54"), and then the intent carries both: the conversation takes the card when
one shows that number, else the movie (app/conversation.py, `card_meant`). Before, "why 3" asked
whether to rate *Why Do Fools Fall in Love* 3 stars.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from movierec_tui.chat.filters import key as _key
from movierec_tui.chat.intents import Details, Intent, MoreLike, Unknown, Why, YearRange
from movierec_tui.chat.lookup import quiet_match, rebuilder
from movierec_tui.chat.phrases import DETAILS, MORE_LIKE, THIS_WORDS, WHY
from movierec_tui.titles import Sureness, TitleEntry, TitleIndex, TitleMatch
from movierec_tui.wording import title_with_year

# "something like Alien from the 80s": a "more like" request, then its years (decades, or before /
# after / since a year: "Alien from 1979" is the movie of that year)
MORE_LIKE_YEARS = re.compile(
    r"(?P<head>.+?)\s+(?P<years>(?:from|in)\s+the\s+(?:19|20)?\d0'?s|(?:before|after|since)\s+(?:18|19|20)\d\d)",
    re.IGNORECASE,
)
MAX_SEVERAL = 4  # "more like Heat, Ronin and Alien": as many movies as are offered one by one
# "3", "#3", "no. 3", "number 3", "card 3", "card #3": a card by the number it shows on screen
CARD_NUMBER = re.compile(r"(?P<marked>(?:(?:card|pick)\s*)?(?:#|no\.|number\s)?)\s*(?P<n>\d{1,4})", re.IGNORECASE)
Resolve = Callable[[str, Callable[[str], str]], "TitleMatch | None"]
AboutOneMovie = type[Why] | type[MoreLike] | type[Details]  # a request about a movie or a card


def why_request(text: str, resolve: Resolve, titles: TitleIndex) -> list[Intent] | None:
    """ "why Brazil?", "why is brazil recommended?", "why?", "why 3?"; None for anything else.
    `resolve(title, rebuild)` is the parser's title lookup (None after noting why not)."""
    match = WHY.fullmatch(text)
    return _about(text, match, "title", Why, resolve, titles) if match else None


def more_like_request(text: str, resolve: Resolve, titles: TitleIndex) -> list[Intent] | None:
    """ "more like Alien", "something similar to fargo", "more like this", "more like 2"; None else."""
    match = MORE_LIKE.fullmatch(text)
    if not match:
        return None
    group = "title" if match.group("title") is not None else "title2"
    return _about(text, match, group, MoreLike, resolve, titles) or _each_of(text, match, group, titles)


def details_request(text: str, resolve: Resolve, titles: TitleIndex) -> list[Intent] | None:
    """ "tell me about Fargo", "what's it about?", "info on 3": the details screen; None for anything else.
    MovieLens has no plots: the screen answers with what it knows (genres, ratings, similar movies)."""
    match = DETAILS.fullmatch(text)
    if not match:
        return None
    group = "title" if match.group("title") is not None else "title2"
    return _about(text, match, group, Details, resolve, titles)


def _each_of(text: str, match: re.Match[str], group: str, titles: TitleIndex) -> list[Intent] | None:
    """ "more like Heat and Alien": "more like" is about one movie, so each is offered (as the whole
    message with that title), nothing done; None unless every part names one movie exactly."""
    parts = [part for part in re.split(r"\s*(?:,|&|\band\b)\s*", match.group(group)) if part]
    if not 2 <= len(parts) <= MAX_SEVERAL:
        return None
    found = [quiet_match(titles, part) for part in parts]
    if not all(one is not None and one.sureness == "exact" for one in found):
        return None
    offer = rebuilder(text, match.start(group), match.end(group))
    offers = tuple(dict.fromkeys(offer(title_with_year(one.movie)) for one in found if one is not None))
    return [Unknown(text, "“More like” is about one movie at a time. Which one first?", offers, choose=True)]


def more_like_in_years(text: str, parse_chunk: Callable[[str], list[Intent] | None]) -> list[Intent] | None:
    """ "something like Alien from the 80s", "more like Heat after 1990": the "more like", then a years
    filter, as if a comma stood between them (`parse_chunk` reads each part); None unless the two
    parts are exactly that. Only after a "more like": in "loved The Shining in the 80s" the years say
    when, not which movies to show."""
    match = MORE_LIKE_YEARS.fullmatch(text)
    if not match:
        return None
    head, years = parse_chunk(match["head"]), parse_chunk(match["years"])
    if head and years and all(isinstance(i, MoreLike) for i in head) and all(isinstance(i, YearRange) for i in years):
        return [*head, *years]
    return None


def names_by_number(match: TitleMatch) -> bool:
    """Whether a number alone names this movie: "2001" may be 2001: A Space Odyssey (its title starts
    so), "54" is 54, but "7" is no 7th Voyage of Sinbad."""
    return match.sureness == "exact" or match.found_by == "head"


@dataclass(frozen=True)
class CardNumber:
    """A card named by its number: `number`, and `movie` when the digits alone also name a movie
    ("2001"; "#2001" is only a card), with how sure that reading is."""

    number: int
    marked: bool  # "#3", "number 3", "card 3": no title, and no rating either
    movie: TitleEntry | None = None
    sureness: Sureness = "exact"


def card_number(title: str, titles: TitleIndex) -> CardNumber | None:
    """`title` read as a card's number, or None when it is not one."""
    match = CARD_NUMBER.fullmatch(title.strip())
    if match is None:
        return None
    number, marked = int(match.group("n")), bool(match.group("marked"))
    if not marked:
        titled = quiet_match(titles, match.group("n"))
        # a loose reading is left out: asked "Did you mean X?", a yes would then act on the card
        if titled is not None and names_by_number(titled) and titled.sureness != "guess":
            return CardNumber(number, marked, titled.movie, titled.sureness)
    return CardNumber(number, marked)


def _about(
    text: str, match: re.Match[str], group: str, kind: AboutOneMovie, resolve: Resolve, titles: TitleIndex
) -> list[Intent] | None:
    title = match.group(group)
    if _key(title) in THIS_WORDS:
        return [kind(None)]
    if (card := card_number(title, titles)) is not None:
        return [kind(card.movie, card.number, sureness=card.sureness)]
    found = resolve(title, rebuilder(text, match.start(group), match.end(group)))
    return [kind(found.movie, sureness=found.sureness)] if found is not None else None
