"""How a title or a query becomes a lookup key: casefolded, accents stripped, apostrophes and full
stops dropped, other punctuation turned into spaces, roman numerals into digits ("the godfather
part 2"); `compact` also drops the spaces and a "part"/"episode" before a number. Pure text
functions, shared by the title index (titles.py) for the catalogue's titles and what people type.
"""

from __future__ import annotations

import html
import re
import unicodedata

from movierec_tui.wording import TRAILING_ARTICLES

MAX_TEXT_CHARS = 400  # a key is cut to this (twice titles.MAX_QUERY_CHARS); no title is near as long

_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_FOLD = str.maketrans(
    {
        "&": " and ",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
        "ß": "ss",
        "\u2026": " ",  # an ellipsis would otherwise become "..." and glue words together
        **{ch: f" {digit}" for digit, ch in enumerate(_SUPERSCRIPTS)},  # "Alien³" -> "alien 3"
    }
)
_JOINERS = re.compile(r"[.'’‘`´ʼ]+")  # dropped without a space: "L.A." -> "la", "Schindler's" -> "schindlers"
_NON_WORD = re.compile(r"[\W_]+")
# Roman numerals become digits so "Godfather 2" meets "Godfather: Part II"; lone I, V and X stay
# letters ("Malcolm X", "X-Men").
_ROMAN = {
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
    "xi": "11",
    "xii": "12",
    "xiii": "13",
}
_NUMBERING_WORDS = frozenset({"part", "episode", "chapter"})  # optional before a number in exact matches


def norm(text: str) -> str:
    """Casefolded, accent-free, punctuation-light, single-spaced."""
    text = text[: MAX_TEXT_CHARS]
    if "&#" in text:
        text = html.unescape(text)
    text = text.translate(_FOLD).casefold()
    if not text.isascii():  # ASCII has no accents to strip (the common case, and the slow part)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _JOINERS.sub("", text)
    words = [_ROMAN.get(word, word) for word in _NON_WORD.sub(" ", text).split()]
    return " ".join(words)[: MAX_TEXT_CHARS]


_ARTICLES_BY_FOLD = {article.casefold(): article for article in TRAILING_ARTICLES}


def cased_trailing_article(title: str) -> str:
    """ "matrix, the" -> "matrix, The": a trailing article in any case moves to the front like one
    in MovieLens's own case (display_title only knows those)."""
    head, comma, tail = title.rpartition(",")
    article = _ARTICLES_BY_FOLD.get(tail.strip().casefold())
    return f"{head}, {article}" if comma and article is not None else title


def compact(key: str) -> str:
    """No spaces ("spiderman" == "spider man") and no "part"/"episode" before a number
    ("godfather 2" == "godfather part 2")."""
    words = key.split()
    kept = [
        word
        for pos, word in enumerate(words)
        if not (word in _NUMBERING_WORDS and pos + 1 < len(words) and words[pos + 1].isdigit())
    ]
    return "".join(kept)


_SPELT = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"
_NUMBERS = {word: str(n) for n, word in enumerate(f"{_SPELT} seventeen eighteen nineteen twenty".split())}
_NUMBERS |= {word: str(n) for word, n in (("thirty", 30), ("forty", 40), ("fifty", 50), ("hundred", 100))}
_NUMBERS |= {digits: word for word, digits in _NUMBERS.items()}


def numeral_variant(key: str) -> str | None:
    """The key with its numbers written the other way, words for digits and digits for words
    ("twelve monkeys" -> "12 monkeys", "12 angry men" -> "twelve angry men"): people type a title
    as they saw it on the poster, MovieLens spells some. None for a key of one word ("seven": then
    "7", a rating or an age, would name *Se7en*) or without a number."""
    words = key.split()
    swapped = [_NUMBERS.get(word, word) for word in words]
    return " ".join(swapped) if len(words) > 1 and swapped != words else None
