"""What a message means: one frozen dataclass per kind of request, and the question being answered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from movierec_tui.titles import TitleEntry


@dataclass(frozen=True)
class SetAge:
    bucket: int  # a MovieLens age bucket code (1, 18, 25, ...)
    age: int | None = None  # the age as typed, when one was


@dataclass(frozen=True)
class SetGender:
    gender: str  # "M" or "F"


@dataclass(frozen=True)
class SetOccupation:
    code: int  # 0..20


@dataclass(frozen=True)
class Rate:
    movie: TitleEntry
    rating: int  # 1..5


@dataclass(frozen=True)
class Mention:
    """Just a title ("Heat", "I've seen Heat"): the app asks how they liked it."""

    movie: TitleEntry


@dataclass(frozen=True)
class ExcludeGenre:
    genres: tuple[str, ...]


@dataclass(frozen=True)
class OnlyGenre:
    genres: tuple[str, ...]


@dataclass(frozen=True)
class AllowGenre:
    """Undo an exclusion: "horror is fine"."""

    genres: tuple[str, ...]


@dataclass(frozen=True)
class YearRange:
    start: int | None  # inclusive; None for open
    end: int | None


@dataclass(frozen=True)
class MoreLike:
    movie: TitleEntry | None  # None: "more like this", the focused card


@dataclass(frozen=True)
class Why:
    movie: TitleEntry | None  # None: the focused card


@dataclass(frozen=True)
class Forget:
    movie: TitleEntry


@dataclass(frozen=True)
class Dismiss:
    movie: TitleEntry


@dataclass(frozen=True)
class ClearFilters:
    pass


@dataclass(frozen=True)
class Reset:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Skip:
    """Skip the current question or movie."""


@dataclass(frozen=True)
class Back:
    """Stop the questions, or leave "more like X" for one's own recommendations."""


@dataclass(frozen=True)
class Undo:
    pass


@dataclass(frozen=True)
class Save:
    name: str | None  # None: the current name (or ask for one)


@dataclass(frozen=True)
class Load:
    name: str | None  # None: list the saved profiles


@dataclass(frozen=True)
class Unknown:
    text: str  # what was typed, cleaned and cut
    message: str  # one line: what went wrong, or a friendly answer
    suggestions: tuple[str, ...] = ()  # complete messages that would be understood


Intent = (
    SetAge | SetGender | SetOccupation | Rate | Mention | ExcludeGenre | OnlyGenre | AllowGenre | YearRange
    | MoreLike | Why | Forget | Dismiss | ClearFilters | Reset | Help | Skip | Back | Undo | Save | Load | Unknown
)  # fmt: skip


@dataclass(frozen=True)
class Expecting:
    """The question the app just asked, so that "34", "f" or "loved it" can be understood."""

    kind: Literal["age", "gender", "occupation", "rating"]
    movie: TitleEntry | None = None  # for "rating"
