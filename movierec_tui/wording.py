"""How things are said: titles with their year, stars, filters, the help phrases, one-line text.

Pure helpers that turn values into words, shared by the chat parser, the engine's reasons, the CLI
and the widgets, so that a movie or a filter reads the same everywhere. No Textual here (Rich's
`Text` is the richest type a caller gets back, and only where it says so), no stores, no model.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from movierec_tui.catalogue import AGE_BUCKETS, OCCUPATIONS
from movierec_tui.profile import Profile

MAX_INPUT_CHARS = 500  # longer messages are cut; no sensible message is anywhere near as long

# Articles MovieLens moves to the end of a title ("Matrix, The", "Uomo delle stelle, L'").
# fmt: off
TRAILING_ARTICLES = frozenset(
    {"The", "A", "An", "Les", "La", "Le", "L'", "L’", "Il", "El", "Das", "Der", "Die", "Det", "Den",
     "Los", "Las", "Gli"}
)
# fmt: on

GENDER_LABELS = {"F": "female", "M": "male"}
GENDER_GROUPS = {"F": "women", "M": "men"}

# Things to say in the chat, by topic: the chat's "help" answer and the help screen show them.
HELP_LINES = (
    ("About you", '"I\'m 34", "female", "programmer", or all at once: "34, female, programmer"'),
    ("Rate", '"loved Alien" (5), "liked X" (4), "meh X" (3), "disliked X" (2), "hated X" (1), "Heat 4", "Heat=4", '
     '"4 stars for Heat"'),
    ("Filter", '"no horror", "only comedies", "horror is fine", "from the 80s", "after 1990", "before 1970", '
     '"clear filters"'),
    ("Explore", '"what should I watch?", "more like Blade Runner", "why Brazil?", "tell me about Fargo", a card by '
     'its number ("why 3?", "more like 2", "dismiss 4"), "back"'),
    ("Mainstream", '"less mainstream", "hidden gems", "more popular", "back to normal", "novelty 0.5"'),
    ("Lists", '"add Heat to my watchlist", "seen Alien", "remove Heat from my watchlist", "my watchlist", '
     '"my ratings", or drop an export file (Letterboxd, IMDb) here to import it'),
    ("Edit", '"forget Heat", "dismiss Titanic", "undo", "reset"'),
    ("Profiles", '"save alice", "load alice", "profiles"'),
)  # fmt: skip


class Titled(Protocol):
    """Anything with a MovieLens title and a year: a card, a title entry, a dataset movie."""

    @property
    def title(self) -> str: ...

    @property
    def year(self) -> int | None: ...


@dataclass(frozen=True)
class Choice:
    """A quick reply under the chat: `label` is shown, `value` is sent as if typed."""

    label: str
    value: str


def clean(text: object) -> str:
    """One line of printable text: control, format and separator characters (newlines too) become
    spaces, runs of spaces collapse, and the result is cut to MAX_INPUT_CHARS."""
    raw = str(text)[: MAX_INPUT_CHARS * 4]
    out = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in raw)
    return " ".join(out.split())[:MAX_INPUT_CHARS].strip()


def display_title(title: str) -> str:
    """Move a trailing article to the front: "Matrix, The" -> "The Matrix".

    Alternate titles in trailing parentheses get the same treatment ("Hate (Haine, La)" ->
    "Hate (La Haine)"); a title with nothing to move comes back unchanged.
    """
    if "&#" in title:  # one MovieLens title carries an HTML entity ("Dieu&#8230;Créa")
        title = html.unescape(title)
    main, alternates = split_alternates(title)
    new_main, moved = front_article(main)
    new_alternates = [front_article(alt) for alt in alternates]
    if moved is None and all(rest is None for _, rest in new_alternates):
        return title
    return new_main + "".join(f" ({alt})" for alt, _ in new_alternates)


def title_of(movies: Mapping[int, Titled], movie_id: int) -> str:
    """ "Heat (1995)", or "movie 949" for an id the catalogue does not have (a profile kept from
    another dataset): what a list of the person's movies names each by."""
    movie = movies.get(movie_id)
    return title_with_year(movie) if movie is not None else f"movie {movie_id}"


def title_with_year(movie: Titled) -> str:
    """ "The Matrix (1999)"; just the title when the year is unknown."""
    if movie.year is None:
        return display_title(movie.title)
    return f"{display_title(movie.title)} ({movie.year})"


def front_article(title: str) -> tuple[str, str | None]:
    """("The Matrix", "Matrix") for "Matrix, The"; (title, None) when there is no trailing article."""
    head, comma, tail = title.rpartition(",")
    article = tail.strip()
    head = head.strip()
    if not comma or not head or article not in TRAILING_ARTICLES:
        return title, None
    separator = "" if article.endswith(("'", "’")) else " "
    return f"{article}{separator}{head}", head


def split_alternates(title: str) -> tuple[str, list[str]]:
    """ "Seven Samurai (The Magnificent Seven) (Shichinin no samurai)" ->
    ("Seven Samurai", ["The Magnificent Seven", "Shichinin no samurai"]). Linear in the length."""
    end = len(title.rstrip())
    alternates: list[str] = []
    while end > 0 and title[end - 1] == ")":
        depth = 0
        start = -1
        for pos in range(end - 1, -1, -1):
            if title[pos] == ")":
                depth += 1
            elif title[pos] == "(":
                depth -= 1
                if depth == 0:
                    start = pos
                    break
        head_end = start
        while head_end > 0 and title[head_end - 1].isspace():
            head_end -= 1
        if head_end <= 0:  # unbalanced, or nothing before the parentheses: not an alternate
            break
        alternates.append(title[start + 1 : end - 1].strip())
        end = head_end
    alternates.reverse()
    return title[:end], alternates


def stars(rating: float) -> str:
    """ "★★★★☆" for 4 (or 3.5 and up: half a star rounds up)."""
    full = max(0, min(5, int(rating + 0.5)))
    return "★" * full + "☆" * (5 - full)


def join_words(items: Iterable[str]) -> str:
    """ "Horror", "Horror and War", "Crime, Horror and War"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe_years(start: int | None, end: int | None) -> str:
    if start is None and end is None:
        return "any year"
    if start is not None and end is not None:
        if start % 10 == 0 and end == start + 9:
            return f"the {start}s"
        return f"{start}–{end}" if start != end else str(start)
    return f"from {start}" if start is not None else f"until {end}"


def describe_filters(profile: Profile) -> list[str]:
    """Active filters as short phrases, for the profile panel and the hint."""
    parts = []
    if profile.genres_in:
        parts.append("only " + join_words(profile.genres_in))
    if profile.genres_out:
        parts.append("no " + join_words(profile.genres_out))
    if profile.year_min is not None or profile.year_max is not None:
        parts.append(describe_years(profile.year_min, profile.year_max))
    if profile.novelty > 0:
        parts.append(describe_novelty(profile.novelty))
    return parts


def describe_novelty(novelty: float) -> str:
    """The mainstream dial in words, for the profile panel and the chat: "less mainstream (0.25 of 1)"."""
    if novelty <= 0:
        return "by taste alone (mainstream dial 0)"
    return f"less mainstream ({novelty:g} of 1)"


def demographic_reason(profile: Profile) -> str:
    """Why a movie is there when no liked movie explains it: "popular with 25-34 women (programmer)"."""
    who = []
    if profile.age is not None:
        who.append(AGE_BUCKETS[profile.age])
    if profile.gender is not None:
        who.append(GENDER_GROUPS[profile.gender])
    if profile.occupation is not None:
        who.append(f"({OCCUPATIONS[profile.occupation]})")
    if not who:
        return "popular with everyone"
    return "popular with " + " ".join(who)


def profile_contents(profile: Profile) -> str:
    """What a profile holds, for "This profile (2 ratings, 1 to watch) has no name": a profile with
    no rating is not empty when it has lists or filters, and quitting would lose them too."""
    parts = [plural(len(profile.ratings), "rating")]
    parts += [f"{len(listed)} {what}" for listed, what in ((profile.watchlist, "to watch"), (profile.seen, "seen"),
                                                           (profile.dismissed, "dismissed")) if listed]  # fmt: skip
    if describe_filters(profile):
        parts.append("filters")
    return ", ".join(parts)


def newest_first(label: str, names: Sequence[str], at_most: int) -> str:
    """ "Your watchlist (14 movies, newest first): A, B, C and 11 more.": a list said in the chat,
    `names` newest first, the first `at_most` of them named."""
    more = f" and {len(names) - at_most} more" if len(names) > at_most else ""
    return f"{label} ({plural(len(names), 'movie')}, newest first): {', '.join(names[:at_most])}{more}."


def plural(count: int, noun: str) -> str:
    """ "1 rating", "3 ratings"."""
    return f"{count} {noun}{'s' * (count != 1)}"
