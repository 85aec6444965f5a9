"""Genre and year filters in a message: "horror or war", "only comedies", "from the 80s",
"between 1970 and 1980". Read here, combined into intents by `parser.py`."""

from __future__ import annotations

import re

from movierec_tui.chat.intents import AllowGenre, ExcludeGenre, Intent, OnlyGenre
from movierec_tui.chat.phrases import AFTER, BEFORE, DECADE, DECADE_WORDS, GENRE_RULES, RANGE
from movierec_tui.titles import TitleEntry
from movierec_tui.vocabulary import parse_genre


def key(text: str) -> str:
    """Lower case, curly apostrophes straightened, edge punctuation and extra spaces dropped."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.strip(" .!?;:,").split())



def genres_of(text: str) -> tuple[str, ...] | None:
    """ "horror", "horror or war", "comedies and dramas" -> genres; None if any part is not a genre."""
    text = re.sub(r"(?:\s+(?:movies?|films?|flicks?|ones|stuff|anymore|any\s+more|please|only|either|too|again))+$",
                  "", text.strip(), flags=re.IGNORECASE)  # fmt: skip
    text = re.sub(r"^(?:(?:more|any|the|all|those|these|of|a|an|some|something|anything)\s+)+", "", text,
                  flags=re.IGNORECASE)  # fmt: skip
    parts = [p for p in re.split(r"\s*(?:,|/|\bor\b|\band\b|\bnor\b|&|\+)\s*", text, flags=re.IGNORECASE) if p]
    if not parts or len(parts) > 18:
        return None
    genres = []
    for part in parts:
        try:
            genres.append(parse_genre(part))
        except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
            return None
    return tuple(dict.fromkeys(genres))


def genre_in(text: str, near_titles: list[TitleEntry]) -> str | None:
    """The first genre word anywhere in the text, for a suggestion; not a word of a title that was
    nearly meant, one sharing another word of four letters or more with the text ("star wars 1 2" is
    no request for war movies; "I'm in the mood for a comedy" is one for comedies, though *The
    Original Kings of Comedy* was a candidate)."""
    words = [w.lower() for w in re.findall(r"[\w'-]+", text)[:50]]
    said = {w for w in words if len(w) >= 4}
    titles = [set(re.findall(r"[\w'-]+", t.title.lower())) for t in near_titles]
    for word in words:
        if len(word) >= 3 and not any(word in title and (said & title) - {word} for title in titles):  # "war"
            try:
                return parse_genre(word)
            except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
                continue
    return None


def genre_filter(text: str) -> Intent | None:
    lowered = key(text)
    intents = {"out": ExcludeGenre, "only": OnlyGenre, "allow": AllowGenre}
    for pattern, kind in GENRE_RULES:
        match = pattern.fullmatch(lowered)
        if match:
            genres = genres_of(match.group("g"))
            if genres is not None:
                return intents[kind](genres)
    return None


def find_years(text: str) -> tuple[tuple[int, int], int | None, int | None] | None:
    """(span in text, first year, last year) of a year expression, or None."""
    match = RANGE.search(text)
    if match:
        return match.span(), int(match.group("a")), int(match.group("b"))
    after, before = AFTER.search(text), BEFORE.search(text)
    if after or before:
        start = end = None
        spans = []
        if after:
            year = int(after.group("y"))
            exclusive = after.group("word").lower().startswith(("after", "newer", "post", "later"))
            start = year + 1 if exclusive else year
            spans.append(after.span())
        if before:
            year = int(before.group("y"))
            exclusive = before.group("word").lower().startswith(("before", "older", "pre", "earlier"))
            end = year - 1 if exclusive else year
            spans.append(before.span())
        return (min(s[0] for s in spans), max(s[1] for s in spans)), start, end
    match = DECADE.search(text)
    if match:
        if match.group("word"):
            start = DECADE_WORDS[match.group("word").lower()]
        else:
            digit = int(match.group("d") if match.group("d") is not None else match.group("d2"))
            century = match.group("century")
            if century is not None:
                start = int(century) * 100 + digit * 10
            else:
                start = 2000 if digit == 0 else 1900 + digit * 10
        return match.span(), start, start + 9
    return None
