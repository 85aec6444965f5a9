"""What a message means: one frozen dataclass per kind of request, and the question being answered.

Every intent carries `sureness`, how sure the parser is of it (see :class:`Sure`). It is left out of
equality on purpose: "Rate(Alien, 5)" is the same request however it was read, and the conversation,
not the comparison, decides what a guess needs (a yes before anything is done).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from movierec_tui.profile import ListName
from movierec_tui.titles import Sureness, TitleEntry


@dataclass(frozen=True)
class Sure:
    """How sure the parser is: "exact" (the words and any title as written), "confident" (a title
    found by its start, its franchise or a slip in a long word), "guess" (a title found loosely: the
    conversation asks "Did you mean ...?" and acts only on a yes), or "confirmed" (a guess the
    person said yes to)."""

    sureness: Sureness | Literal["confirmed"] = field(default="exact", kw_only=True, compare=False)


@dataclass(frozen=True)
class SetAge(Sure):
    bucket: int  # a MovieLens age bucket code (1, 18, 25, ...)
    age: int | None = None  # the age as typed, when one was


@dataclass(frozen=True)
class SetGender(Sure):
    gender: str  # "M" or "F"


@dataclass(frozen=True)
class SetOccupation(Sure):
    code: int  # 0..20


@dataclass(frozen=True)
class Rate(Sure):
    movie: TitleEntry
    rating: float  # 0.5..5 in half stars


@dataclass(frozen=True)
class Mention(Sure):
    """Just a title ("Heat", "I've seen Heat"): the app asks how they liked it."""

    movie: TitleEntry


@dataclass(frozen=True)
class PutOnList(Sure):
    """ "add Heat to my watchlist", "seen Alien": the movie goes on the watchlist or the seen list."""

    movie: TitleEntry | None  # None: the focused card ("add this to my watchlist") or the card `number`
    name: ListName
    number: int | None = None  # "add 3 to my watchlist": the card numbered 3 on screen (see Why)


@dataclass(frozen=True)
class TakeOffList(Sure):
    """ "remove Heat from my watchlist", "unsee Alien"."""

    movie: TitleEntry | None  # None: the focused card, or the card `number`
    name: ListName
    number: int | None = None


@dataclass(frozen=True)
class ShowLists(Sure):
    """ "my watchlist", "what have I seen": the list in the chat; "open my lists": the lists screen."""

    name: ListName | None  # None: both lists
    open: bool = False


@dataclass(frozen=True)
class ShowRatings(Sure):
    """ "my ratings", "what have I rated?": the ratings in the chat (the profile panel, folded away
    below 100 columns, lists them too)."""


@dataclass(frozen=True)
class ImportFile(Sure):
    """A message that is only the path of a file, or of a few (files dropped on the terminal: an
    unzipped Letterboxd export is three): the app reads and matches them, says what it found and
    imports only on a yes."""

    paths: tuple[str, ...]  # as the person meant them: unquoted, unescaped, file:// URLs made paths; ~ kept


@dataclass(frozen=True)
class ExcludeGenre(Sure):
    genres: tuple[str, ...]


@dataclass(frozen=True)
class OnlyGenre(Sure):
    genres: tuple[str, ...]


@dataclass(frozen=True)
class AllowGenre(Sure):
    """Undo an exclusion: "horror is fine"."""

    genres: tuple[str, ...]


@dataclass(frozen=True)
class YearRange(Sure):
    start: int | None  # inclusive; None for open
    end: int | None


@dataclass(frozen=True)
class MoreLike(Sure):
    """ "more like Alien", "more like this" (the focused card), "more like 3" (the card numbered 3 on
    screen); `movie` and `number` as in :class:`Why`."""

    movie: TitleEntry | None
    number: int | None = None


@dataclass(frozen=True)
class Why(Sure):
    """ "why Brazil?", "why?" (the focused card), "why 3?" (the card numbered 3 on screen). Bare digits
    may also be a movie called that ("54"): then both are set, and the card wins when there is one."""

    movie: TitleEntry | None
    number: int | None = None


@dataclass(frozen=True)
class Details(Sure):
    """ "tell me about Fargo", "what's it about?", "info on 3": the movie's details screen (its ratings,
    similar movies, why it is or is not picked); `movie` and `number` as in :class:`Why`."""

    movie: TitleEntry | None
    number: int | None = None


@dataclass(frozen=True)
class Forget(Sure):
    movie: TitleEntry


@dataclass(frozen=True)
class Dismiss(Sure):
    movie: TitleEntry | None  # None: the card `number` ("dismiss 2")
    number: int | None = None


@dataclass(frozen=True)
class ClearFilters(Sure):
    pass


@dataclass(frozen=True)
class Mainstream(Sure):
    """The mainstream dial (the profile's `novelty`): set it to `novelty`, or else move it by `step`
    ("less mainstream": up, "more popular": down), within 0..1."""

    novelty: float | None = None
    step: float = 0.0


@dataclass(frozen=True)
class Reset(Sure):
    pass


@dataclass(frozen=True)
class Help(Sure):
    pass


@dataclass(frozen=True)
class Suggest(Sure):
    """ "what should I watch?", "any suggestions?": the best cards, said in the chat by their numbers."""


@dataclass(frozen=True)
class Skip(Sure):
    """Skip the current question or movie."""


@dataclass(frozen=True)
class Back(Sure):
    """Stop the questions, or leave "more like X" for one's own recommendations."""


@dataclass(frozen=True)
class Quit(Sure):
    """ "quit", "exit", "bye": what ctrl+q does (asks first when something entered is not saved)."""


@dataclass(frozen=True)
class Undo(Sure):
    pass


@dataclass(frozen=True)
class Save(Sure):
    name: str | None  # None: the current name (or ask for one)


@dataclass(frozen=True)
class Load(Sure):
    name: str | None  # None: list the saved profiles


@dataclass(frozen=True)
class Answer(Sure):
    """ "yes" or "no" to "Did you mean ...?"."""

    yes: bool


@dataclass(frozen=True)
class Unknown(Sure):
    text: str  # what was typed, cleaned and cut
    message: str  # one line: what went wrong, or a friendly answer
    suggestions: tuple[str, ...] = ()  # complete messages that would be understood
    choose: bool = False  # the suggestions are readings of one request: "1996" or "the second" picks one


Intent = (
    SetAge | SetGender | SetOccupation | Rate | Mention | PutOnList | TakeOffList | ShowLists | ShowRatings | ImportFile
    | ExcludeGenre | OnlyGenre | AllowGenre | YearRange | MoreLike | Why | Details | Forget | Dismiss | ClearFilters
    | Mainstream | Reset | Help | Suggest | Skip | Back | Quit | Undo | Save | Load | Answer | Unknown
)  # fmt: skip


@dataclass(frozen=True)
class Expecting:
    """The question the app just asked, so that "34", "f", "loved it", "yes" or "1996" can be understood."""

    kind: Literal["age", "gender", "occupation", "rating", "confirm", "which"]
    movie: TitleEntry | None = None  # for "rating" and "confirm"
    choices: tuple[str, ...] = ()  # for "which": the complete messages offered ("loved Hamlet (1996)")
