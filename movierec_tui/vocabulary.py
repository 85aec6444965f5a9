"""Turning what a person types into MovieLens codes: gender, age bucket, occupation, genre.

Shared by the CLI flags and the chat parser so both accept the same words. Each parser raises
`VocabularyError` with a one-line message that lists what would have been accepted.
"""

from __future__ import annotations

import re

from movierec_tui.catalogue import AGE_BUCKETS, GENRES, OCCUPATIONS


class VocabularyError(ValueError):
    pass


# The one list of words for a gender, for the CLI flag and the chat alike.
GENDER_WORDS = {
    "m": "M", "male": "M", "man": "M", "men": "M", "guy": "M", "boy": "M", "dude": "M", "dad": "M", "father": "M",
    "f": "F", "female": "F", "woman": "F", "women": "F", "girl": "F", "lady": "F", "mom": "F", "mum": "F",
}  # fmt: skip
_OCCUPATION_SYNONYMS = {
    "developer": 12, "software engineer": 12, "coder": 12, "software developer": 12,
    "teacher": 1, "professor": 1, "educator": 1, "academic": 1,
    "student": 4, "grad student": 4, "college student": 4, "high school student": 10, "pupil": 10,
    "doctor": 6, "nurse": 6, "physician": 6, "engineer": 17, "technician": 17,
    "manager": 7, "executive": 7, "admin": 3, "clerk": 3, "lawyer": 11, "attorney": 11,
    "writer": 20, "author": 20, "journalist": 20, "artist": 2, "musician": 2, "painter": 2,
    "retired": 13, "retiree": 13, "homemaker": 9, "farmer": 8, "sales": 14, "marketing": 14,
    "scientist": 15, "researcher": 15, "self-employed": 16, "freelancer": 16,
    "tradesman": 18, "craftsman": 18, "carpenter": 18, "plumber": 18, "electrician": 18,
    "unemployed": 19, "customer service": 5, "other": 0,
}
_GENRE_KEYS = {re.sub(r"[^a-z]", "", g.lower()): g for g in GENRES}
_GENRE_SYNONYMS = {
    "comedies": "Comedy", "scifi": "Sci-Fi", "sciencefiction": "Sci-Fi", "kids": "Children's",
    "children": "Children's", "family": "Children's", "cartoon": "Animation", "cartoons": "Animation",
    "animated": "Animation", "noir": "Film-Noir", "westerns": "Western", "thrillers": "Thriller",
    "musicals": "Musical", "romcom": "Romance", "romantic": "Romance", "scary": "Horror",
    "documentaries": "Documentary", "docs": "Documentary", "mysteries": "Mystery", "dramas": "Drama",
    "warfilms": "War", "warmovies": "War", "crimes": "Crime", "funny": "Comedy", "hilarious": "Comedy",
}


def parse_gender(text: str) -> str:
    key = text.strip().lower()
    if key in GENDER_WORDS:
        return GENDER_WORDS[key]
    raise VocabularyError(f"gender must be M or F (or male/female), got {text!r}")


def age_bucket_for(age: int) -> int:
    """The MovieLens bucket an actual age falls in (34 -> 25, i.e. "25-34")."""
    if age < 0 or age > 120:
        raise VocabularyError(f"age must be 0..120, got {age}")
    return max(b for b in AGE_BUCKETS if b <= age) if age >= 18 else 1


def parse_age(text: str) -> int:
    """The MovieLens bucket of an age written as a number (33 -> 25, the 25-34 bucket) or as a
    bucket's label ("25-34", "56+", "under 18"). A bucket's code is the lowest age of its range, so
    the codes the CLI took before (1, 18, 25, 35, 45, 50, 56) still give their own bucket."""
    key = " ".join(text.strip().lower().split())
    for code, label in AGE_BUCKETS.items():
        if key == label.lower():
            return code
    if key.isascii() and key.isdigit():
        return age_bucket_for(int(key))
    labels = ", ".join(AGE_BUCKETS.values())
    raise VocabularyError(f"age must be a number of years (e.g. 33) or a MovieLens bucket ({labels}); got {text!r}")


STARS_MIN, STARS_MAX = 0.5, 5.0  # ratings are half stars: 0.5, 1.0, ..., 5.0


def parse_stars(text: str) -> float:
    """A rating in half stars ("4", "4.5"), as a float."""
    try:
        value = float(text.strip())
    except ValueError:
        value = -1.0
    if not (STARS_MIN <= value <= STARS_MAX and (value * 2).is_integer()):
        raise VocabularyError(f"a rating must be 0.5..5 in half stars (4, 4.5), got {text.strip()!r}")
    return value


def parse_occupation(text: str) -> int:
    key = " ".join(text.strip().lower().split())
    if key.isascii() and key.isdigit() and int(key) in OCCUPATIONS:  # "²".isdigit() is True
        return int(key)
    for code, name in OCCUPATIONS.items():
        if key == name.lower():
            return code
    if key in _OCCUPATION_SYNONYMS:
        return _OCCUPATION_SYNONYMS[key]
    if key.endswith("s") and key[:-1] in _OCCUPATION_SYNONYMS:
        return _OCCUPATION_SYNONYMS[key[:-1]]
    partial = [code for code, name in OCCUPATIONS.items() if key and key in name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(OCCUPATIONS.values())
    raise VocabularyError(f"unknown occupation {text!r}; one of: {names} (or the code 0..20)")


def parse_genre(text: str) -> str:
    key = re.sub(r"[^a-z]", "", text.lower())
    if key in _GENRE_KEYS:
        return _GENRE_KEYS[key]
    if key in _GENRE_SYNONYMS:
        return _GENRE_SYNONYMS[key]
    if key.endswith("s") and key[:-1] in _GENRE_KEYS:
        return _GENRE_KEYS[key[:-1]]
    raise VocabularyError(f"unknown genre {text!r}; one of: {', '.join(GENRES)}")
