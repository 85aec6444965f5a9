"""Numbers in a message, read as numbers before anything else: "-5", "4.5", "3½", "seventeen",
"thirty-four", "9/10". A number that is not a valid age or rating is explained, never looked up as
a title ("I'm -5" once rated *Immortal Beloved*, "seventeen" asked about *Edge of Seventeen*)."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
MIN_RATING, MAX_RATING = 0.5, 5.0
MIN_AGE, MAX_AGE = 1, 120


def read_number(text: str) -> float | None:
    """The number `text` is, whole: "4", "-5", "4.5", "4,5", "3½", "½", "seventeen", "thirty-four",
    "four and a half"; None when it is anything else."""
    key = " ".join(text.strip().lower().replace("−", "-").split())
    match = re.fullmatch(r"(-)?\s?(\d{1,4})(?:[.,](\d{1,2}))?\s?(½)?|(½)", key)
    if match:
        if match.group(5):
            return 0.5
        value = float(match.group(2) + ("." + match.group(3) if match.group(3) else ""))
        value += 0.5 if match.group(4) else 0.0
        return -value if match.group(1) else value
    half = 0.0
    if key.endswith(" and a half"):
        key, half = key[: -len(" and a half")], 0.5
    words = re.split(r"[\s-]+", key)
    if len(words) == 1 and words[0] in _UNITS:
        return _UNITS[words[0]] + half
    if len(words) == 1 and words[0] in _TENS:
        return _TENS[words[0]] + half
    if len(words) == 2 and words[0] in _TENS and words[1] in _UNITS and 1 <= _UNITS[words[1]] <= 9:
        return _TENS[words[0]] + _UNITS[words[1]] + half
    return None


def fraction_rating(text: str) -> float | None:
    """A rating written as a fraction, alone: "9/10" (4.5), "4/5", "4.5 / 5 stars", "1/2 star" (half a
    star); None for anything else. Without it "9/10" read as two ages, 9 and then 10."""
    key = " ".join(text.strip().lower().replace(",", ".").split())
    if re.fullmatch(r"1\s?/\s?2(?:\s?(?:a\s)?stars?)?", key):
        return 0.5
    match = re.fullmatch(r"(\d{1,2}(?:\.\d)?)\s?/\s?(5|10)(?:\s?stars?)?", key)
    if match is None:
        return None
    value = float(match.group(1))
    return out_of_ten(value) if match.group(2) == "10" else value


def valid_rating(value: float) -> bool:
    """Half stars from 0.5 to 5."""
    return MIN_RATING <= value <= MAX_RATING and float(value * 2).is_integer()


def valid_age(value: float) -> bool:
    return float(value).is_integer() and MIN_AGE <= value <= MAX_AGE


def out_of_ten(value: float) -> float:
    """A mark out of 10 in half stars: 9/10 -> 4.5, 8/10 -> 4, 1/10 -> 0.5 (not rounded: 7.3/10 is
    no half star, and the caller says so)."""
    return value / 2


def rating_words(rating: float) -> str:
    """ "5★", "4.5★": the rating as typed back in the chat."""
    return f"{rating:g}★"
