"""The conversation: the onboarding questions, and what each understood message means.

A state machine with one piece of state that matters between messages, the :class:`Question` asked
last (None when nothing is asked), plus the onboarding's progress. `handle` takes one intent (from
`chat.parse`) and a snapshot of what the app shows (:class:`Situation`) and returns a :class:`Turn`:
the effects for the app to carry out, in order (say this, apply that edit, show "more like", save,
...), and whether the intent answered the question. `ask_next` returns the next question, or the
end of the onboarding.

No Textual here, on purpose: every rule of the dialogue (what answers what, what "skip" and "back"
mean, when a seed counts) is decided in plain Python and can be tested without an app; the app only
carries out effects. The app hands over one intent at a time, carrying out each one's effects before
the next, so "I'm 34, female" reads the profile as the first part left it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.text import Text

from movierec_tui.catalogue import AGE_BUCKETS
from movierec_tui.chat import (
    QUICK_OCCUPATIONS,
    Answer,
    Back,
    Details,
    Dismiss,
    Edit,
    Expecting,
    Help,
    ImportFile,
    Intent,
    Load,
    Mention,
    MoreLike,
    PutOnList,
    Quit,
    Rate,
    Reset,
    Save,
    SetAge,
    SetGender,
    SetOccupation,
    ShowLists,
    ShowRatings,
    Skip,
    Suggest,
    TakeOffList,
    Undo,
    Unknown,
    Why,
    YearRange,
    apply_intent,
    describe_intent,
    unchanged_message,
)
from movierec_tui.engine import MovieCard
from movierec_tui.profile import ListName, Profile
from movierec_tui.titles import TitleEntry
from movierec_tui.wording import HELP_LINES, Choice, describe_years, newest_first, stars, title_of, title_with_year

log = logging.getLogger(__name__)

SEED_TARGET = 5  # well-known movies to ask about before the questions stop
SEED_POOL = 15  # how many the seed queue holds
SUGGESTED = 3  # the cards named in the answer to "what should I watch?"
RATINGS_SAID = 12  # the newest ratings named in the answer to "my ratings"
HOW_TO_DISMISS = "“dismiss Titanic”, or press x"  # when "dismiss this" finds no highlighted card
HOW_TO_LIST = "“add Heat to my watchlist”, or press w"  # the same for "add this to my watchlist"

RATING_CHOICES = (
    Choice("5 loved it", "5"),
    Choice("4", "4"),
    Choice("3", "3"),
    Choice("2", "2"),
    Choice("1 hated it", "1"),
    Choice("not seen", "skip"),
)
AGE_CHOICES = (*(Choice(label, label) for label in AGE_BUCKETS.values()), Choice("skip", "skip"))
GENDER_CHOICES = (Choice("female", "female"), Choice("male", "male"), Choice("skip", "skip"))
OCCUPATION_CHOICES = (*(Choice(o, o) for o in QUICK_OCCUPATIONS), Choice("skip", "skip"))
TIPS = (Choice("help", "help"), Choice("no horror", "no horror"), Choice("from the 90s", "from the 90s"))
YES_NO = (Choice("yes", "yes"), Choice("no", "no"))
SUGGEST_CHOICES = (Choice("why 1?", "why 1?"), Choice("more like 1", "more like 1"), Choice("help", "help"))

Kind = Literal["age", "gender", "occupation", "seed", "movie", "confirm", "which", "import"]
ASKING: tuple[Kind, ...] = ("confirm", "which", "import")  # questions any other message moves on from
DEMOGRAPHICS: tuple[Kind, ...] = ("age", "gender", "occupation")


@dataclass(frozen=True)
class Question:
    """The question the app asked last: about the person, how they liked `movie` (a well-known
    "seed" movie of the onboarding, or one they mentioned), "Did you mean ...?" about a guess
    (`pending`, done only on a yes), "Which one?" among readings of a message (`choices`), or
    "Import them?" about a file read and matched (`offer`, imported only on a yes)."""

    kind: Kind
    movie: TitleEntry | None = None
    pending: Intent | None = None  # "confirm": what a yes does
    choices: tuple[str, ...] = ()  # "which": the complete messages offered
    offer: object = None  # "import": what the app read and matched (app/importing.py), applied on a yes

    @property
    def expecting(self) -> Expecting:
        """What the parser should read a short answer as ("34", "f", "loved it", "yes", "1996")."""
        if self.kind in ("confirm", "import"):
            return Expecting("confirm", self.movie)
        if self.kind == "which":
            return Expecting("which", choices=self.choices)
        return Expecting("rating", self.movie) if self.movie is not None else Expecting(self.kind)

    def answered_by(self, intent: Intent) -> bool:
        match self.kind, intent:
            case "age", SetAge():
                return True
            case "gender", SetGender():
                return True
            case "occupation", SetOccupation():
                return True
            case "seed" | "movie", Rate(movie=movie):
                return movie == self.movie
        return False


# -- effects: what the app is asked to do, in order ------------------------------------------------


@dataclass(frozen=True)
class Say:
    """A message from the app; `choices` replace the quick replies when given. `suggested`: they are
    suggestions for this message alone ("only comedy"), not answers to the question still open."""

    message: str | Text
    choices: tuple[Choice, ...] | None = None
    suggested: bool = False


@dataclass(frozen=True)
class Change:
    """Make `edit.profile` the profile (undoable), and say what changed."""

    edit: Edit


@dataclass(frozen=True)
class Unname:
    """The profile no longer has a saved name (a reset starts a new one; the saved one is kept)."""


@dataclass(frozen=True)
class StartOver:
    """After a reset: leave "more like", and forget which cards were shown (no "+3 new")."""


@dataclass(frozen=True)
class ShowMoreLike:
    card: MovieCard


@dataclass(frozen=True)
class BackToMine:
    """Leave "more like" for the person's own picks."""


@dataclass(frozen=True)
class Explain:
    """Say why `card` is, or is not, recommended."""

    card: MovieCard


@dataclass(frozen=True)
class ShowDetails:
    """Open the details screen of `card`."""

    card: MovieCard


@dataclass(frozen=True)
class UndoLast:
    pass


@dataclass(frozen=True)
class QuitApp:
    """What ctrl+q does: quit, asking first when something entered is not saved."""


@dataclass(frozen=True)
class SaveProfile:
    name: str | None  # None: under the current name, or ask for one


@dataclass(frozen=True)
class LoadProfile:
    name: str


@dataclass(frozen=True)
class ListProfiles:
    pass


@dataclass(frozen=True)
class ShowList:
    """Say what is on the list (`name`; None: both), or open the lists screen (`open`)."""

    name: ListName | None
    open: bool = False


@dataclass(frozen=True)
class PreviewImport:
    """Read and match the files at `paths` (as typed; ~ not expanded), then offer them (`offer_import`)."""

    paths: tuple[str, ...]


@dataclass(frozen=True)
class ApplyImport:
    """The person said yes: put the offered import into the profile, as one undoable change."""

    offer: object


Effect = (
    Say | Change | Unname | StartOver | ShowMoreLike | BackToMine | Explain | ShowDetails | UndoLast | QuitApp
    | SaveProfile | LoadProfile | ListProfiles | ShowList | PreviewImport | ApplyImport
)  # fmt: skip


@dataclass(frozen=True)
class Turn:
    effects: list[Effect] = field(default_factory=list)
    answered: bool = False  # the question was answered: the next one is due


@dataclass(frozen=True)
class Situation:
    """What the app shows when an intent arrives, as far as the conversation needs to know."""

    profile: Profile
    catalog: Mapping[int, MovieCard]  # every movie's card
    focused: MovieCard | None = None  # the highlighted card: "more like this", "why this?"
    more_like: bool = False  # the cards show "more like" some movie, not the person's own picks
    saved_as: str | None = None  # the name the profile is saved under
    shown: Sequence[MovieCard] = ()  # the cards in the order of their numbers on screen: "why 3?"


SeedSteer = Callable[[Profile, set[int]], list[MovieCard]]


class Conversation:
    """`steer(profile, asked)`: the seed movies still worth asking about, best match for the profile
    first (Recommender.seed_movies); it may raise, and then the queue keeps its order."""

    def __init__(self, steer: SeedSteer) -> None:
        self.question: Question | None = None
        self.onboarding = True
        self.skipped: set[Kind] = set()
        self.seeds: list[MovieCard] = []  # well-known movies to ask about, chosen once at start
        self.seed_queue: list[MovieCard] = []  # re-ordered by the profile before each question
        self.seeds_asked: set[int] = set()
        self.seeds_rated = 0
        self.unconfirmed: list[Intent] = []  # guesses still to ask about, after the one asked now
        self._steer = steer

    @property
    def expecting(self) -> Expecting | None:
        return self.question.expecting if self.question is not None else None

    def start(self, seeds: Iterable[MovieCard]) -> None:
        """The catalogue is loaded: these are the movies to ask about, most rated first."""
        self.seeds = list(seeds)
        self.seed_queue = list(self.seeds)

    # -- one intent ---------------------------------------------------------------------------------

    def handle(self, intent: Intent, now: Situation) -> Turn:
        """What `intent` means here; the question is updated at once, the effects are the app's.

        A guess is never done: it is asked about ("Did you mean *Heat* (1995)? yes / no") and done
        on a yes. Anything else than an answer moves on from "Did you mean" and "Which one?"."""
        if isinstance(intent, Answer):
            return self._answer(intent, now)
        if intent.sureness == "guess" and not isinstance(intent, Unknown):
            return self._ask_first(intent)
        moved_on = self.question is not None and self.question.kind in ASKING
        if moved_on:
            self.question, self.unconfirmed = None, []
            if isinstance(intent, Skip):
                return Turn([Say("OK, I left it as it was.")], answered=self.onboarding)
        turn = self._handle(intent, now)
        if moved_on and self.onboarding and self.question is None:
            return Turn(turn.effects, answered=True)  # the onboarding question it replaced comes back
        return turn

    def _ask_first(self, intent: Intent) -> Turn:
        if self.question is not None and self.question.kind == "confirm":
            self.unconfirmed.append(intent)  # one question at a time, in order
            return Turn()
        movie = getattr(intent, "movie", None)
        if movie is not None:
            text = Text.assemble("Did you mean ", (title_with_year(movie), "bold"), "? yes / no")
        else:
            text = Text(f"Did you mean: {describe_intent(intent)}? yes / no")
        return Turn(self._ask(Question("confirm", movie, pending=intent), text, YES_NO))

    def _answer(self, answer: Answer, now: Situation) -> Turn:
        question = self.question
        if question is not None and question.kind == "which":
            return Turn([Say("Which one? Say its year (e.g. 1996), or pick one of the choices.")])
        if question is not None and question.kind == "import":
            self.question = None
            effects = [ApplyImport(question.offer)] if answer.yes else [Say("OK, nothing imported.")]
            return Turn(effects, answered=True)
        if question is None or question.kind != "confirm" or question.pending is None:
            return Turn([Say("There's no question to answer right now.")])
        self.question = None
        if answer.yes:
            turn = self._handle(dataclasses.replace(question.pending, sureness="confirmed"), now)
            effects = list(turn.effects)
        else:
            movie = getattr(question.pending, "movie", None)
            named = f"not {title_with_year(movie)}" if movie is not None else "I left it as it was"
            effects = [Say(f"OK, {named}. Type the title as it is written, with its year if you like (“Heat 1995”).")]
        if self.unconfirmed and self.question is None:
            effects += self._ask_first(self.unconfirmed.pop(0)).effects
        return Turn(effects, answered=self.question is None)

    def _handle(self, intent: Intent, now: Situation) -> Turn:
        answers = self.question is not None and self.question.answered_by(intent)
        if isinstance(intent, Skip):
            return self._skip()
        if isinstance(intent, PutOnList | TakeOffList | Dismiss) and (intent.movie is None or intent.number):
            card = card_meant(intent.movie, intent.number, now)  # "add this to my watchlist", "dismiss 2"
            if card is None:
                hint = HOW_TO_DISMISS if isinstance(intent, Dismiss) else HOW_TO_LIST
                return Turn([Say(no_card(intent.number, now) or f"Which movie? Say e.g. {hint} on a card.")])
            intent = dataclasses.replace(intent, movie=entry_for(card), number=None)
        asked_about = self.question.movie if self.question is not None else None
        if (isinstance(intent, TakeOffList) and intent.name == "seen" and asked_about is not None
                and intent.movie == asked_about and asked_about.movie_id not in now.profile.seen):  # fmt: skip
            return self._skip()  # "Have you seen Heat?" "haven't seen Heat": a skip, as "not seen"
        if isinstance(intent, YearRange) and (beyond := years_beyond(intent, now.catalog)) is not None:
            return Turn([Say(beyond)], answers)
        edit = apply_intent(now.profile, intent)
        if edit is not None:
            return self._edit(intent, edit, answers, now)
        match intent:
            case Mention(movie=movie):
                rated = now.profile.ratings.get(movie.movie_id)
                name = title_with_year(movie)
                if rated is not None:
                    text = Text.assemble("You rated ", (name, "bold"), f" {stars(rated)}. Change it?")
                else:
                    text = Text.assemble("How did you like ", (name, "bold"), "?")
                return Turn(self._ask(Question("movie", movie), text, RATING_CHOICES), answers)
            case MoreLike() | Why() | Details():
                card = card_meant(intent.movie, intent.number, now)
                effect, which = ABOUT_A_CARD[type(intent)]
                if card is None:
                    return Turn([Say(no_card(intent.number, now) or which)])
                return Turn([effect(card)], answers)
            case Back():
                if now.more_like:
                    return Turn([BackToMine(), Say("Back to your own picks.")], answers)
                if self.onboarding:
                    return Turn(self.finish(), answers)
                return Turn([Say("You're looking at your own picks already.")], answers)
            case Undo():
                return Turn([UndoLast()], answers)
            case Quit():
                return Turn([QuitApp()], answers)
            case Help():
                return Turn([Say(help_text())], answers)
            case Suggest():  # no chips while a question's chips are up: they stay its answers
                return Turn([suggestion(now, chips=self.question is None)], answers)
            case Save(name=name):
                return Turn([SaveProfile(name)], answers)
            case Load(name=None):
                return Turn([ListProfiles()], answers)
            case Load(name=str(name)):
                return Turn([LoadProfile(name)], answers)
            case ShowRatings():
                return Turn([Say(ratings_said(now))], answers)
            case ShowLists(name=name, open=open_screen):
                return Turn([ShowList(name, open_screen)], answers)
            case ImportFile(paths=paths):
                return Turn([PreviewImport(paths)], answers)
            case Unknown(message=message, suggestions=suggestions, choose=choose):
                if choose:  # "Which one?": "1996" or "the second" picks one of the readings
                    self.question = Question("which", choices=suggestions)
                chips = tuple(Choice(s, s) for s in suggestions) or None
                return Turn([Say(message, chips, suggested=not choose)], answers)
        return Turn([], answers)

    def _edit(self, intent: Intent, edit: Edit, answers: bool, now: Situation) -> Turn:
        if not edit.changed:
            if isinstance(intent, Rate) and answers:
                self.rated(intent.movie, counts=False)
            return Turn([Say(unchanged_message(intent, edit))], answers)
        effects: list[Effect] = []
        if isinstance(intent, Reset) and now.saved_as is not None:
            # A reset starts a new profile; the saved one is kept, not overwritten by autosave.
            effects += [Say(f"The saved profile '{now.saved_as}' is kept as it was."), Unname()]
        effects.append(Change(edit))
        if isinstance(intent, Reset):
            self.restart()
            return Turn([*effects, StartOver()], answered=True)
        if isinstance(intent, Rate) and answers:
            self.rated(intent.movie)
        if isinstance(intent, PutOnList) and intent.name == "seen" and intent.movie is not None:
            # Seen, without a rating; one can still be given, as for a movie mentioned ("I've seen Heat").
            text = "How did you like it? Rate it, or leave it seen without a rating."
            effects += self._ask(Question("movie", intent.movie), text, RATING_CHOICES)
        return Turn(effects, answers)

    def offer_import(self, offer: object, text: str | Text) -> list[Effect]:
        """A file was read and matched: ask before importing it ("Import them? yes / no"); `offer`
        comes back in ApplyImport on a yes. It replaces any question asked before."""
        self.unconfirmed = []
        return self._ask(Question("import", offer=offer), text, YES_NO)

    def rated(self, movie: TitleEntry, counts: bool = True) -> bool:
        """A rating of `movie`, typed or pressed on a card: whether it answered the question (asked
        about that movie). A seed answered with a new rating counts towards SEED_TARGET."""
        question = self.question
        if question is None or question.movie is None or question.movie != movie:
            return False
        if counts and question.kind == "seed":
            self.seeds_rated += 1
        self.question = None
        return True

    def _skip(self) -> Turn:
        question = self.question
        if question is not None and question.kind in DEMOGRAPHICS:
            self.skipped.add(question.kind)
            return Turn(answered=True)
        if question is not None:
            self.question = None
            if self.onboarding:
                return Turn(answered=True)
            return Turn([Say("OK, skipped.", TIPS)])
        return Turn([Say("There's nothing to skip right now.")])

    # -- the onboarding -----------------------------------------------------------------------------

    def ask_next(self, profile: Profile) -> list[Effect]:
        """The next onboarding question, skipping what is already known; or the end of the questions."""
        if not self.onboarding:
            return []
        if self.question is not None and self.question.kind in ASKING:
            return []  # "Did you mean ...?" first: the onboarding goes on after the answer
        if profile.age is None and "age" not in self.skipped:
            return self._ask(Question("age"), "How old are you?", AGE_CHOICES)
        if profile.gender is None and "gender" not in self.skipped:
            return self._ask(Question("gender"), "Gender? (MovieLens only recorded female or male.)", GENDER_CHOICES)
        if profile.occupation is None and "occupation" not in self.skipped:
            return self._ask(Question("occupation"), "What do you do for a living?", OCCUPATION_CHOICES)
        if self.seeds_rated < SEED_TARGET and len(profile.ratings) < SEED_TARGET:
            seed = self._next_seed(profile)
            if seed:
                return seed
        return self.finish()

    def _ask(self, question: Question, text: str | Text, choices: tuple[Choice, ...]) -> list[Effect]:
        self.question = question
        return [Say(text, choices)]

    def _next_seed(self, profile: Profile) -> list[Effect]:
        try:
            steered = self._steer(profile, self.seeds_asked)
        except Exception:  # never lose the question over it: ask in the order chosen at start
            log.warning("steering the seed movies failed; asking in popularity order", exc_info=True)
            steered = []
        if steered:
            self.seed_queue = steered
        while self.seed_queue:
            card = self.seed_queue.pop(0)
            if card.movie_id in profile.ratings or card.movie_id in profile.dismissed:
                continue
            self.seeds_asked.add(card.movie_id)
            first = self.seeds_rated == 0 and not profile.ratings
            text = Text.assemble(
                "Now a few well-known movies. " if first else "",
                "Have you seen ",
                (title_with_year(card), "bold"),
                (f"  {', '.join(card.genres)}", "dim italic"),
                "? Rate it 1-5, or say skip.",
            )
            return self._ask(Question("seed", entry_for(card)), text, RATING_CHOICES)
        return []

    def finish(self) -> list[Effect]:
        """No more questions (answered, or "back")."""
        if not self.onboarding:
            return []
        self.onboarding = False
        self.question = None
        return [Say(FINISHED, TIPS)]

    def restart(self) -> None:
        """After "reset": the questions again, with fresh seed movies."""
        self.onboarding = True
        self.skipped.clear()
        self.seeds_rated = 0
        self.question = None
        self.seed_queue = list(self.seeds)
        self.seeds_asked.clear()

    def stop(self) -> None:
        """A saved profile was loaded: no questions."""
        self.onboarding = False
        self.question = None


# What a request about one movie or card does, and what is asked when it names none
ABOUT_A_CARD: dict[type[Intent], tuple[Callable[[MovieCard], Effect], str]] = {
    MoreLike: (ShowMoreLike, "More like which movie? Say e.g. “more like Alien”, or press m on a card."),
    Why: (Explain, "Why which movie? Say e.g. “why Brazil?”, or press y on a card."),
    Details: (ShowDetails, "About which movie? Say e.g. “tell me about Alien”, or press enter on a card."),
}


def card_meant(movie: TitleEntry | None, number: int | None, now: Situation) -> MovieCard | None:
    """The movie a "why", "more like" or "tell me about" is about: the card showing `number` ("why 3?"),
    else the movie named (a movie called "54", when fewer cards show), else, with neither said, the
    highlighted card. The answer names the movie, so a list that changed since it was read cannot
    mislead."""
    if number is not None and 1 <= number <= len(now.shown):
        return now.shown[number - 1]
    if movie is not None:
        return now.catalog.get(movie.movie_id)
    return now.focused if number is None else None


def suggestion(now: Situation, chips: bool = True) -> Say:
    """The answer to "what should I watch?": the best cards by their numbers, and what to say next
    (as quick replies too, with `chips`)."""
    if not now.shown:
        return Say("No cards are shown right now: if a filter leaves no movie, say “clear filters”.")
    picks = now.shown[:SUGGESTED]
    text = Text("The cards show the movies most like the one you chose: " if now.more_like else "Your best picks now: ")
    for number, card in enumerate(picks, start=1):
        text.append(f"#{number} ")
        text.append(title_with_year(card), style="bold")
        text.append("; " if number < len(picks) else ". ")
    text.append("Ask “why 1?” for a reason, “more like 2” for similar movies, or rate what you have seen.")
    return Say(text, SUGGEST_CHOICES if chips else None)


def ratings_said(now: Situation) -> str:
    """ "my ratings": the newest first, with their stars, and how to change one (the profile panel
    lists them too, but it folds away below 100 columns)."""
    ratings = list(reversed(now.profile.ratings.items()))
    if not ratings:
        return "You have not rated anything yet: say “loved Alien” or “Heat 4”, or press 1-5 on a card."
    named = [f"{title_of(now.catalog, movie_id)} {rating:g}★" for movie_id, rating in ratings]
    changing = " Change one with “Heat 3”, take one back with “forget Heat”."
    return newest_first("Your ratings", named, RATINGS_SAID) + changing


def no_card(number: int | None, now: Situation) -> str | None:
    """What to say when no card shows `number`; None when no number was said."""
    if number is None:
        return None
    if not now.shown:
        return f"There is no card {number}: no cards are shown yet."
    return f"There is no card {number}: the cards go from 1 to {len(now.shown)}."


def years_beyond(years: YearRange, catalog: Mapping[int, MovieCard]) -> str | None:
    """Why a year filter is not set, when no movie of the catalogue is in it ("the 2010s" in
    MovieLens 1M, which ends in 2000): set, it would only empty the cards. None when some movie is."""
    known = [card.year for card in catalog.values() if card.year is not None]
    if not known or (years.start is None and years.end is None):
        return None
    first, last = min(known), max(known)
    if (years.start is None or years.start <= last) and (years.end is None or years.end >= first):
        return None
    if years.start is not None and years.end is not None:
        asked = describe_years(years.start, years.end)  # "the 2010s", "2005", "2003–2008"
    else:
        asked = f"{years.start} or later" if years.start is not None else f"{years.end} or earlier"
    return f"No movie here is from {asked}: they are from {first} to {last}, so I left the years as they were."


def entry_for(card: MovieCard) -> TitleEntry:
    return TitleEntry(card.movie_id, card.title, card.year, card.rating_count)


def help_text() -> Text:
    text = Text("Here is what I understand:\n")
    for topic, examples in HELP_LINES:
        text.append(f"{topic}: ", style="bold")
        text.append(f"{examples}\n")
    text.append("Press ? for every key, ctrl+p for commands.", style="italic")
    return text


GREETING = Text.assemble(
    "Hi! I'm ",
    ("movierec", "bold"),
    ". I suggest movies from MovieLens 1M and learn from every rating you give. A few quick questions "
    "first; type ",
    ("skip", "bold"),
    " to skip any, or ",
    ("help", "bold"),
    " for what I understand.",
)

FINISHED = Text.assemble(
    "Thanks! Your recommendations now follow every rating you give. Rate more (",
    ("Heat 4", "bold"),
    ", or press ",
    ("tab", "bold"),
    " and 1-5 on a card), filter (",
    ("no horror", "bold"),
    ", ",
    ("from the 80s", "bold"),
    "), explore (",
    ("more like Alien", "bold"),
    ", ",
    ("why Brazil?", "bold"),
    "). Press ? for every key.",
)
