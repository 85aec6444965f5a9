"""The taste profile: what the UI edits, what the engine encodes and what Redis persists.

It is deliberately a plain dataclass with a strict JSON form: a profile loaded from Redis may have
been written by an older version or edited by hand, so `from_json` validates every field and says
which one is wrong instead of letting a bad value reach the model.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Literal

from movierec_tui.catalogue import AGE_BUCKETS, GENDERS, GENRES, OCCUPATIONS

MAX_NAME_CHARS = 40  # saved profile names
MIN_RATING, MAX_RATING = 0.5, 5.0  # ratings are half stars in this range
_NAME = re.compile(rf"[\w.\-]{{1,{MAX_NAME_CHARS}}}")

ListName = Literal["watchlist", "seen"]


class ProfileError(ValueError):
    """A profile field with a bad value; the message names the field and the value."""


@dataclass
class Profile:
    gender: str | None = None
    age: int | None = None
    occupation: int | None = None
    # movie id -> 0.5..5.0 in half stars, oldest first (the model weighs the latest most). Whole
    # numbers are accepted as they are (a profile saved before half stars holds ints).
    ratings: dict[int, float] = field(default_factory=dict)
    genres_in: list[str] = field(default_factory=list)
    genres_out: list[str] = field(default_factory=list)
    year_min: int | None = None
    year_max: int | None = None
    dismissed: list[int] = field(default_factory=list)
    watchlist: list[int] = field(default_factory=list)  # to watch, oldest first; never recommended
    seen: list[int] = field(default_factory=list)  # seen without a rating; never recommended
    novelty: float = 0.0  # the mainstream dial: 0 ranks by taste alone, 1 trades most popularity away

    @property
    def listed(self) -> set[int]:
        """Movies the person already knows about (rated, dismissed, on a list): not recommended."""
        return {*self.ratings, *self.dismissed, *self.watchlist, *self.seen}

    def toggled(self, name: ListName, movie_id: int) -> Profile:
        """A new profile with `movie_id` put on the list `name` ("watchlist" or "seen"), or taken off
        it if it was there; this one stays as it was (for undo). A movie is to watch or seen, not
        both: putting it on one list takes it off the other. A rated movie counts as seen already,
        so "seen" leaves it as it is; it can go on the watchlist (to watch again)."""
        new = copy.deepcopy(self)
        chosen: list[int] = getattr(new, name)
        if movie_id in chosen:
            chosen.remove(movie_id)
        elif name == "watchlist" or movie_id not in self.ratings:
            chosen.append(movie_id)
            other: list[int] = new.seen if name == "watchlist" else new.watchlist
            if movie_id in other:
                other.remove(movie_id)
        return new

    def unlisted(self, movie_id: int) -> None:
        """Take `movie_id` off the watchlist and the seen list, in place (on a new profile being
        built: a rating says the person has seen it, and how they liked it)."""
        self.watchlist = [m for m in self.watchlist if m != movie_id]
        self.seen = [m for m in self.seen if m != movie_id]

    def to_json(self) -> str:
        """Fields in name order, ratings in the order they were given (not sorted: the order is
        part of the profile) and written as floats (4.0, 4.5)."""
        data = asdict(self)
        data["ratings"] = {str(k): float(v) for k, v in self.ratings.items()}
        return json.dumps(dict(sorted(data.items())))

    @classmethod
    def from_json(cls, text: str) -> Profile:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as exc:
            raise ProfileError(f"profile is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ProfileError(f"profile must be a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ProfileError(f"profile has an unknown field {unknown[0]!r}")
        try:
            ratings = {int(k): v for k, v in dict(data.get("ratings") or {}).items()}
        except (TypeError, ValueError):
            message = f"profile field 'ratings' must map movie ids to 0.5..5, got {data.get('ratings')!r}"
            raise ProfileError(message) from None
        profile = cls(
            gender=data.get("gender"),
            age=data.get("age"),
            occupation=data.get("occupation"),
            ratings=ratings,
            genres_in=list(data.get("genres_in") or []),
            genres_out=list(data.get("genres_out") or []),
            year_min=data.get("year_min"),
            year_max=data.get("year_max"),
            dismissed=list(data.get("dismissed") or []),
            watchlist=list(data.get("watchlist") or []),  # absent in profiles saved before the lists
            seen=list(data.get("seen") or []),
            novelty=data.get("novelty", 0.0),
        )
        profile.validate()
        profile.ratings = {movie_id: float(rating) for movie_id, rating in ratings.items()}
        return profile

    def validate(self) -> None:
        def bad(name: str, value: object, expected: str) -> ProfileError:
            return ProfileError(f"profile field {name!r}: expected {expected}, got {value!r}")

        if self.gender is not None and self.gender not in GENDERS:
            raise bad("gender", self.gender, "'M' or 'F'")
        if self.age is not None and (type(self.age) is not int or self.age not in AGE_BUCKETS):
            raise bad("age", self.age, f"one of {sorted(AGE_BUCKETS)}")
        if self.occupation is not None and (type(self.occupation) is not int or self.occupation not in OCCUPATIONS):
            raise bad("occupation", self.occupation, "an occupation code 0..20")
        for movie_id, rating in self.ratings.items():
            if not is_rating(rating):
                raise bad(f"ratings[{movie_id}]", rating, "0.5..5 in half stars")
        for name in ("genres_in", "genres_out"):
            for genre in getattr(self, name):
                if genre not in GENRES:
                    raise bad(name, genre, "a MovieLens genre")
        for name in ("year_min", "year_max"):
            value = getattr(self, name)
            if value is not None and (type(value) is not int or not 1800 <= value <= 2100):
                raise bad(name, value, "a year")
        for name in ("dismissed", "watchlist", "seen"):
            if any(type(i) is not int for i in getattr(self, name)):
                raise bad(name, getattr(self, name), "a list of movie ids")
        if type(self.novelty) not in (int, float) or not 0.0 <= self.novelty <= 1.0:
            raise bad("novelty", self.novelty, "a number 0..1")


def is_rating(value: object) -> bool:
    """A number of half stars from 0.5 to 5 (4, 4.0 and 4.5 are; 0, 4.3, 6, True and "4" are not)."""
    if type(value) not in (int, float):
        return False
    return MIN_RATING <= value <= MAX_RATING and float(value * 2).is_integer()  # type: ignore[operator]


def valid_profile_name(name: str) -> bool:
    """1-40 letters, digits, '-', '_' or '.': a name that is safe in a Redis key, a menu and a message."""
    return _NAME.fullmatch(name) is not None
