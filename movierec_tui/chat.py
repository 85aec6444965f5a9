"""What a person types in the chat, turned into intents, and intents applied to a profile.

Pure on purpose: no Textual, Redis, Milvus or Paddle here, only a :class:`TitleIndex` to resolve
titles. So every phrasing the app understands is tested in milliseconds, and the UI stays a thin
shell that renders replies and schedules refreshes.

:func:`parse` never raises and never returns an empty list. Anything it cannot read becomes an
:class:`Unknown` carrying a one-line explanation and a few complete messages the person could send
instead (closest titles, the filter they probably meant, examples), which the app offers as quick
replies. Input is cleaned first: control characters become spaces and long text is cut, so a pasted
novel or a terminal escape sequence is just an odd sentence.

Rules are tried from the most specific to the least: answers to the question just asked ("34",
"loved it"), commands ("help", "reset"), questions ("why X?"), "more like X", "forget X", ratings
("loved X", "X 4", "4 stars for X"), filters ("no horror", "only comedies", "from the 80s"),
demographics ("I'm 34", "female programmer"), and last a bare title. A rule whose title does not
resolve does not win: later rules get their chance, and only if none matches is the most useful
title error reported (with the closest titles as suggestions). A message made of several parts
separated by commas or semicolons ("Alien 5, Heat 4") is understood part by part when it is not
understood as a whole.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from movierec_tui.data_loader.dataset import AGE_BUCKETS, OCCUPATIONS
from movierec_tui.profile import Profile
from movierec_tui.titles import AmbiguousTitle, TitleEntry, TitleIndex, TitleNotFound, format_title
from movierec_tui.vocabulary import age_bucket_for, parse_gender, parse_genre, parse_occupation

MAX_INPUT_CHARS = 500  # longer messages are cut; no sensible message is anywhere near as long
MAX_NAME_CHARS = 40  # saved profile names
MAX_SUGGESTIONS = 5
_ECHO_CHARS = 60

# -- intents ----------------------------------------------------------------------------------------


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


# -- vocabulary -------------------------------------------------------------------------------------

# Verbs that start a rating ("loved X") and adjectives that end one ("X was great").
_VERBS: dict[str, int] = {
    "loved": 5, "love": 5, "adored": 5, "adore": 5, "really liked": 5, "really like": 5, "really loved": 5,
    "really love": 5, "really enjoyed": 5, "really hated": 1, "really disliked": 1,
    "liked": 4, "like": 4, "enjoyed": 4, "enjoy": 4,
    "meh": 3, "didn't mind": 3, "didnt mind": 3,
    "disliked": 2, "dislike": 2, "didn't like": 2, "didnt like": 2, "did not like": 2, "don't like": 2,
    "dont like": 2, "not a fan of": 2, "wasn't a fan of": 2,
    "hated": 1, "hate": 1, "loathed": 1, "loathe": 1, "despised": 1, "despise": 1, "can't stand": 1,
    "couldn't stand": 1,
}  # fmt: skip
_ADJECTIVES: dict[str, int] = {
    "great": 5, "amazing": 5, "awesome": 5, "brilliant": 5, "masterpiece": 5, "perfect": 5, "fantastic": 5,
    "excellent": 5, "the best": 5, "my favourite": 5, "my favorite": 5, "loved": 5,
    "good": 4, "nice": 4, "fun": 4, "pretty good": 4, "liked": 4, "enjoyable": 4,
    "ok": 3, "okay": 3, "fine": 3, "meh": 3, "so so": 3, "so-so": 3, "average": 3, "alright": 3, "decent": 3,
    "bad": 2, "boring": 2, "poor": 2, "weak": 2, "not great": 2, "not good": 2, "disappointing": 2,
    "awful": 1, "terrible": 1, "horrible": 1, "the worst": 1, "garbage": 1, "trash": 1, "hated": 1, "dreadful": 1,
}  # fmt: skip
_ANSWERS: dict[str, int] = {**_ADJECTIVES, **_VERBS}  # "loved it", "great", "meh" as answers to a question
_DECADE_WORDS = {
    "twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
    "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000,
}  # fmt: skip
_AGE_LABELS = {label.lower(): code for code, label in AGE_BUCKETS.items()}
_GENDER_WORDS = {
    "m": "M", "male": "M", "man": "M", "guy": "M", "boy": "M", "dude": "M",
    "f": "F", "female": "F", "woman": "F", "girl": "F", "lady": "F",
}  # fmt: skip
QUICK_OCCUPATIONS = ("programmer", "student", "artist", "scientist", "writer", "educator", "retired", "other")
EXAMPLES = ("I'm 34", "female programmer", "loved Alien", "Heat 4", "no horror", "only comedies",
            "from the 80s", "more like Blade Runner", "why Brazil?", "forget Heat", "help")  # fmt: skip

_GREETINGS = frozenset({"hi", "hello", "hey", "hiya", "howdy", "yo", "good morning", "good evening", "hi there"})
_THANKS = frozenset({"thanks", "thank you", "thx", "ty", "cheers", "great thanks", "cool", "nice", "awesome"})
_HELP_WORDS = frozenset({"help", "h", "?", "commands", "menu", "usage", "examples", "what now", "huh", "what"})
_RESET_WORDS = frozenset({"reset", "start over", "restart", "new profile", "reset profile", "clear profile",
                          "clear everything", "reset everything", "forget everything", "start again"})  # fmt: skip
_CLEAR_WORDS = frozenset({
    "clear filters", "clear filter", "clear the filters", "reset filters", "reset filter", "remove filters",
    "remove filter", "remove the filters", "no filters", "no filter", "drop filters", "drop the filters",
    "all genres", "any genre", "everything", "show everything", "show all", "unfilter", "filters off",
})  # fmt: skip
_ANY_YEAR_WORDS = frozenset({"any year", "any decade", "all years", "any time", "any era", "all decades",
                             "any age"})  # fmt: skip
_SKIP_WORDS = frozenset({
    "skip", "pass", "next", "dunno", "don't know", "dont know", "not seen", "haven't seen", "havent seen",
    "haven't seen it", "havent seen it", "never seen", "never seen it", "didn't see", "didnt see",
    "didn't see it", "no idea", "n/a", "not sure", "rather not say", "prefer not to say", "skip it", "skip this",
    "skip that", "nope", "no", "not seen it", "haven't watched it", "never watched it", "seen it? no",
})  # fmt: skip
_BACK_WORDS = frozenset({"back", "go back", "done", "i'm done", "im done", "enough", "that's enough", "thats enough",
                         "stop", "stop asking", "finish", "finished", "my recommendations", "my recs", "for me",
                         "mine", "home", "escape"})  # fmt: skip
_UNDO_WORDS = frozenset({"undo", "oops", "undo that", "take that back", "undo last"})
_LIST_WORDS = frozenset({"profiles", "saved profiles", "list profiles", "show profiles", "load", "load profile",
                         "my profiles"})  # fmt: skip
_THIS_WORDS = frozenset({"", "this", "that", "this one", "that one", "this movie", "that movie", "it", "this film"})
_NAME = re.compile(rf"[\w.\-]{{1,{MAX_NAME_CHARS}}}")
_SELF = (
    r"(?:i\s*am|i'?m|im|age|aged|gender|sex|job|occupation|i\s+work\s+as|my\s+job\s+is|working\s+as|"
    r"i'?m\s+working\s+as|i\s+work\s+in)"
)

_YEAR = r"(?:18|19|20)\d\d"
_FILLER_START = re.compile(
    r"^(?:(?:please|pls|ok|okay|so|well|hey|um+|uh+|and|also|then|now|maybe|oh|hmm+)\b[\s,]*)+(?=\S)", re.IGNORECASE
)
_FILLER_END = re.compile(r"(?<=\S)[\s,]*\b(?:please|pls|thanks|thank you|thx)\s*$", re.IGNORECASE)


def _alternatives(words: dict[str, int] | frozenset[str]) -> str:
    """A regex alternation of phrases, longest first, any run of spaces between words."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_RATING_SUFFIX = re.compile(
    r"(?P<title>.+?)\s*(?:[=:]|\s[-–—]|\s)\s*"
    r"(?:(?P<n>\d)(?:\s*/\s*5|\s*stars?|\s*out\s+of\s+5)?|(?P<n10>\d{1,2})\s*(?:/|out\s+of)\s*10|"
    r"(?P<stars>[★⭐*]{1,5}))",
    re.IGNORECASE,
)
_RATING_PREFIX = re.compile(
    r"(?P<n>\d)(?:\s*/\s*5)?(?:\s*stars?)?\s+(?:for|to|on)\s+(?P<title>.+)|"
    r"(?:give|gave|rate|rated|rating|score)\s+(?P<title2>.+?)\s+(?:a\s+|as\s+|an?\s+)?(?P<n2>\d)(?:\s*/\s*5)?"
    r"(?:\s*stars?)?",
    re.IGNORECASE,
)
_RATE_WITHOUT_NUMBER = re.compile(
    r"(?:rate|i'?ve\s+seen|i\s+have\s+seen|seen|watched|i\s+watched|i'?ve\s+watched)\s+(?P<title>.+)", re.IGNORECASE
)
_RATING_VERB = re.compile(
    r"(?:i\s+)?(?:(?:totally|absolutely|kinda|kind\s+of|sort\s+of|just|truly|honestly)\s+)?"
    rf"(?P<verb>{_alternatives(_VERBS)})\s+(?P<title>.+?)"
    r"(?:\s+(?:a\s+lot|so\s+much|very\s+much|too|a\s+bit|a\s+little))?",
    re.IGNORECASE,
)
_RATING_ADJECTIVE = re.compile(
    r"(?P<title>.+?)\s+(?:was|is|were|=|:|-)\s+(?:(?:really|so|pretty|just|quite|a|an|truly|totally)\s+)*"
    rf"(?P<adj>{_alternatives(_ADJECTIVES)})(?:\s+(?:movie|film|one))?",
    re.IGNORECASE,
)
_WHY = re.compile(
    r"why\b\s*(?:(?:did|do|would|should)\s+(?:you|i)\s+(?:recommend|suggest|pick|choose|show|like|watch)(?:\s+me)?\s+|"
    r"(?:is|was|are)\s+|recommend\s+|not\s+|this\s+one\s*$)?"
    r"(?P<title>.*?)(?:\s+(?:recommended|suggested|here|there|on\s+(?:the|my)\s+list|in\s+(?:the|my)\s+list|"
    r"showing|shown|for\s+me))?\s*\?*",
    re.IGNORECASE,
)
_MORE_LIKE = re.compile(
    r"(?:(?:show\s+me|give\s+me|find(?:\s+me)?|i\s+want|recommend|suggest)\s+)?(?:some\s+)?"
    r"(?:more|movies|films|something|anything|stuff|others?|similar(?:\s+(?:movies|films))?)\s+"
    r"(?:just\s+|a\s+bit\s+)?(?:like|to)\s+(?P<title>.+)|similar\s+to\s+(?P<title2>.+)",
    re.IGNORECASE,
)
_FORGET = re.compile(
    r"(?:forget|unrate|remove|delete|erase|take\s+back)\s+(?:my\s+)?(?:rating\s+(?:of|for)\s+)?(?P<title>.+)",
    re.IGNORECASE,
)
_DISMISS = re.compile(
    r"(?:dismiss|hide|never\s+show(?:\s+me)?|not\s+interested\s+in|no\s+more|don'?t\s+show(?:\s+me)?|ban)\s+"
    r"(?P<title>.+)",
    re.IGNORECASE,
)
_GENRE_RULES: tuple[tuple[re.Pattern[str], Literal["out", "only", "allow"]], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (r"(?:no|not|without|hide|exclude|skip|nothing|never|no\s+more|drop|less|fewer|remove|ban|block|"
         r"don'?t\s+show(?:\s+me)?|i\s+(?:hate|don'?t\s+like|dislike|can'?t\s+stand)|hate|not\s+into|"
         r"anything\s+but|enough)\s+(?P<g>.+)", "out"),
        (r"(?P<g>.+?)\s+(?:is|are)\s+(?:out|banned|off|not\s+ok|not\s+okay|boring)", "out"),
        (r"(?:only|just|nothing\s+but|show(?:\s+me)?\s+only|i\s+only\s+want|only\s+want|i\s+want\s+only|"
         r"strictly|only\s+show(?:\s+me)?)\s+(?P<g>.+)", "only"),
        (r"(?P<g>.+?)\s+only", "only"),
        (r"(?:allow|include|unhide|bring\s+back|show(?:\s+me)?|with)\s+(?P<g>.+?)(?:\s+again)?", "allow"),
        (r"(?P<g>.+?)\s+(?:(?:is|are)\s+(?:fine|ok|okay|allowed|alright|back|good)|again)", "allow"),
    )
)  # fmt: skip
_DECADE = re.compile(
    r"(?:(?:from|in|of|during)\s+)?(?:the\s+)?(?:(?P<century>18|19|20)?(?P<d>\d)0\s*'?\s*s|['’](?P<d2>\d)0\s*'?s|"
    r"(?P<word>" + "|".join(_DECADE_WORDS) + r"))\b",
    re.IGNORECASE,
)
_RANGE = re.compile(
    rf"(?:(?:from|between)\s+)?(?P<a>{_YEAR})\s*(?:-|–|—|to|and|until|till|through)\s*(?P<b>{_YEAR})\b",
    re.IGNORECASE,
)
_AFTER = re.compile(
    r"\b(?P<word>after|since|from|newer\s+than|post|starting(?:\s+from)?|later\s+than)\s+(?P<y>\d{4})\b",
    re.IGNORECASE,
)
_BEFORE = re.compile(
    r"\b(?P<word>before|until|till|up\s+to|through|older\s+than|pre|earlier\s+than|by)\s+(?P<y>\d{4})\b",
    re.IGNORECASE,
)
_FILTER_NOISE_START = re.compile(
    r"^(?:(?:only|just|movies|films|show\s+me|something|anything|stuff|i\s+want|give\s+me)\s+)+", re.IGNORECASE
)
_FILTER_NOISE_END = re.compile(r"(?:\s+(?:movies|films|only|please|ones|stuff|flicks))+$", re.IGNORECASE)


# -- public API -----------------------------------------------------------------------------------


def clean(text: object) -> str:
    """One line of printable text: control, format and separator characters (newlines too) become
    spaces, runs of spaces collapse, and the result is cut to MAX_INPUT_CHARS."""
    raw = str(text)[: MAX_INPUT_CHARS * 4]
    out = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in raw)
    return " ".join(out.split())[:MAX_INPUT_CHARS].strip()


def parse(text: object, titles: TitleIndex, expecting: Expecting | None = None) -> list[Intent]:
    """The intents in one message, in order; never empty, never raises for any input."""
    cleaned = clean(text)
    if not cleaned:
        return [Unknown("", "Type a message, for example:", EXAMPLES[:4])]
    parser = _Parser(titles, expecting)
    whole = parser.parse_chunk(cleaned)
    if whole is not None:
        return whole
    chunks = [c.strip() for c in re.split(r"[;,\n]|\s+&\s+", cleaned) if c.strip()]
    if 1 < len(chunks) <= 12:
        parts = [parser.parse_chunk(chunk) for chunk in chunks]
        if all(p is not None for p in parts):
            return [intent for part in parts for intent in part or ()]
    return [parser.unknown(cleaned)]


def valid_profile_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


def echo(text: str) -> str:
    """A short, one-line form of what was typed, for messages about it."""
    text = clean(text)
    return text if len(text) <= _ECHO_CHARS else text[: _ECHO_CHARS - 1] + "…"


# -- the parser -----------------------------------------------------------------------------------


@dataclass
class _Failure:
    """A title that did not resolve inside an otherwise understood message."""

    rebuild: Callable[[str], str]  # the message with another title in place of the failed one
    error: TitleNotFound | AmbiguousTitle
    bare: bool = False  # the whole message was tried as a title: it may not be about a movie at all


Rule = Callable[[str], "list[Intent] | None"]


class _Parser:
    def __init__(self, titles: TitleIndex, expecting: Expecting | None) -> None:
        self.titles = titles
        self.expecting = expecting
        self.failures: list[_Failure] = []

    def parse_chunk(self, text: str) -> list[Intent] | None:
        """Intents for one chunk, or None when no rule understood it."""
        key = _key(text)
        if key in _GREETINGS:
            return [Help()]
        if key in _THANKS:
            return [Unknown(text, "You're welcome! Rate a few more movies to sharpen the list.", ("help",))]
        body = _strip_filler(text)
        if not body:
            return None
        rules: tuple[Rule, ...] = (
            self._contextual,
            self._command,
            self._why,
            self._more_like,
            self._forget,
            self._rating,
            self._filters,
            self._demographics,
            self._bare_title,
        )
        for rule in rules:
            result = rule(body)
            if result:
                return result
        return None

    # -- helpers ----------------------------------------------------------------------------------

    def resolve(self, query: str, rebuild: Callable[[str], str], bare: bool = False) -> TitleEntry | None:
        """The movie, or None after remembering why not (for the final explanation)."""
        query = query.strip().strip("\"'“”‘’`«»")
        if not query:
            return None
        try:
            return self.titles.resolve(query)
        except (TitleNotFound, AmbiguousTitle) as exc:
            self.failures.append(_Failure(rebuild, exc, bare))
            return None

    def unknown(self, text: str) -> Unknown:
        """The most useful explanation for a message nothing understood."""
        genres = _genres_of(_key(text))
        if genres is None:
            genre = _genre_in(text)
            genres = (genre,) if genre else None
        ambiguous = [f for f in self.failures if isinstance(f.error, AmbiguousTitle)]
        with_candidates = [f for f in self.failures if f.error.candidates]
        failure = (ambiguous or with_candidates or [None])[0]
        if genres is not None and not ambiguous:
            named = " or ".join(g.lower() for g in genres)
            return Unknown(text, f"Do you want a filter for {named}?", (f"only {named}", f"no {named}", "help"))
        if failure is not None:
            names = [format_title(c) for c in failure.error.candidates]
            suggestions = tuple(dict.fromkeys(failure.rebuild(n) for n in names))[:MAX_SUGGESTIONS]
            if isinstance(failure.error, AmbiguousTitle):
                message = f"'{echo(failure.error.query)}' could be several movies. Which one?"
            elif failure.bare:
                message = f"Sorry, I didn't understand '{echo(text)}'. If it's a movie, did you mean:"
                suggestions = (*suggestions[: MAX_SUGGESTIONS - 1], "help")
            else:
                message = f"I don't know a movie called '{echo(failure.error.query)}'. Did you mean:"
            return Unknown(text, message, suggestions)
        return Unknown(text, f"Sorry, I didn't understand '{echo(text)}'. You could say:", _examples_for(text))

    # -- rules ------------------------------------------------------------------------------------

    def _contextual(self, text: str) -> list[Intent] | None:
        """Short answers to the question just asked: "34", "f", "programmer", "4", "loved it"."""
        if self.expecting is None:
            return None
        key = _key(text)
        kind = self.expecting.kind
        if key in _SKIP_WORDS:
            return [Skip()]
        if kind == "age":
            age = _age_answer(key)
            return [age] if age is not None else None
        if kind == "gender":
            try:
                return [SetGender(parse_gender(_strip_self(key)))]
            except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
                return None
        if kind == "occupation":
            try:
                return [SetOccupation(parse_occupation(_strip_self(key)))]
            except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
                return None
        if kind == "rating" and self.expecting.movie is not None:
            rating = _rating_answer(key)
            if rating is None:
                return None
            if not 1 <= rating <= 5:
                return [Unknown(text, "Ratings go from 1 (hated it) to 5 (loved it).", ("5", "4", "3", "2", "1"))]
            return [Rate(self.expecting.movie, rating)]
        return None

    def _command(self, text: str) -> list[Intent] | None:
        text = text.lstrip("/:!").strip()
        key = _key(text)
        if key in _HELP_WORDS or key.startswith(("what can i ", "what can you ", "how does this work", "how do i")):
            return [Help()]
        for words, intent in (
            (_RESET_WORDS, Reset()),
            (_CLEAR_WORDS, ClearFilters()),
            (_ANY_YEAR_WORDS, YearRange(None, None)),
            (_SKIP_WORDS, Skip()),
            (_BACK_WORDS, Back()),
            (_UNDO_WORDS, Undo()),
            (_LIST_WORDS, Load(None)),
        ):
            if key in words:
                return [intent]
        match = re.fullmatch(
            r"(?:save|store|keep)(?:\s+(?:my\s+|this\s+)?profile)?(?:\s+(?:as|under|to|named))?(?:\s+(?P<name>.+))?",
            text,
            re.IGNORECASE,
        )
        if match:
            return [self._named(Save, match.group("name"), text)]
        match = re.fullmatch(
            r"(?:load|restore|switch\s+to)(?:\s+(?:my\s+|the\s+)?profile)?(?:\s+(?:named|called))?\s+"
            r"(?P<name>.+)",
            text,
            re.IGNORECASE,
        )
        if match:
            return [self._named(Load, match.group("name"), text)]
        return None

    def _named(self, kind: type[Save] | type[Load], name: str | None, text: str) -> Intent:
        if name is None:
            return kind(None)
        name = name.strip().strip("\"'“”‘’`")
        if not _NAME.fullmatch(name):
            return Unknown(
                text,
                f"A profile name is 1-{MAX_NAME_CHARS} letters, digits, '-', '_' or '.', e.g. 'save alice'.",
                ("save alice", "save movie-night"),
            )
        return kind(name)

    def _why(self, text: str) -> list[Intent] | None:
        match = _WHY.fullmatch(text)
        if not match:
            return None
        title = match.group("title")
        if _key(title) in _THIS_WORDS:
            return [Why(None)]
        movie = self.resolve(title, _rebuilder(text, match.start("title"), match.end("title")))
        return [Why(movie)] if movie is not None else None

    def _more_like(self, text: str) -> list[Intent] | None:
        match = _MORE_LIKE.fullmatch(text)
        if not match:
            return None
        group = "title" if match.group("title") is not None else "title2"
        title = match.group(group)
        if _key(title) in _THIS_WORDS:
            return [MoreLike(None)]
        movie = self.resolve(title, _rebuilder(text, match.start(group), match.end(group)))
        return [MoreLike(movie)] if movie is not None else None

    def _forget(self, text: str) -> list[Intent] | None:
        for pattern, kind in ((_FORGET, Forget), (_DISMISS, Dismiss)):
            match = pattern.fullmatch(text)
            if match and _genres_of(match.group("title")) is None and _key(match.group("title")) not in _THIS_WORDS:
                movie = self.resolve(match.group("title"), _rebuilder(text, match.start("title"), match.end("title")))
                if movie is not None:
                    return [kind(movie)]
        return None

    def _rating(self, text: str) -> list[Intent] | None:
        # "Heat 4", "Heat=4", "Heat: 4/5", "Heat 4 stars", "Heat 8/10", "Heat ★★★★"
        match = _RATING_SUFFIX.fullmatch(text)
        if match:
            if match.group("n") is not None:
                rating = int(match.group("n"))
            elif match.group("n10") is not None:
                rating = max(1, round(int(match.group("n10")) / 2)) if int(match.group("n10")) <= 10 else 99
            else:
                rating = len(match.group("stars"))
            plain = match.group("n") is not None and not re.search(
                r"[=:]|stars?|/|out\s+of", text[match.end("title") :]
            )
            whole = self._whole_title(text, match.group("title")) if plain else None
            if whole is not None:  # "Toy Story 2" and "Godfather 2" are movies, not ratings
                return [Mention(whole)]
            result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
            if result:
                return result
        match = _RATING_PREFIX.fullmatch(text)
        if match:
            group = "title" if match.group("title") is not None else "title2"
            rating = int(match.group("n") or match.group("n2"))
            result = self._rate(text, match.group(group), match.start(group), match.end(group), rating)
            if result:
                return result
        # "loved Heat", "I really liked Heat", "meh Heat"; "hated horror" is a filter
        match = _RATING_VERB.fullmatch(text)
        if match:
            rating = _VERBS[" ".join(match.group("verb").lower().split())]
            title = match.group("title")
            genres = _genres_of(title)
            if genres is not None:
                if rating <= 2:
                    return [ExcludeGenre(genres)]
                named = " or ".join(g.lower() for g in genres)
                return [Unknown(text, "I rate movies, not genres. Do you want only those?", (f"only {named}", "help"))]
            result = self._rate(text, title, match.start("title"), match.end("title"), rating)
            if result:
                return result
        # "Heat was great", "Heat is a masterpiece"
        match = _RATING_ADJECTIVE.fullmatch(text)
        if match:
            rating = _ADJECTIVES[" ".join(match.group("adj").lower().split())]
            result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
            if result:
                return result
        # "rate Heat", "I've seen Heat": ask how they liked it
        match = _RATE_WITHOUT_NUMBER.fullmatch(text)
        if match and _key(match.group("title")) not in _THIS_WORDS:
            movie = self.resolve(match.group("title"), _rebuilder(text, match.start("title"), match.end("title")))
            if movie is not None:
                return [Mention(movie)]
        return None

    def _whole_title(self, text: str, title_part: str) -> TitleEntry | None:
        """The movie "Toy Story 2" names as a whole, when that is another movie than "Toy Story"."""
        whole = self._quiet_resolve(text)
        if whole is None:
            return None
        part = self._quiet_resolve(title_part)
        number = text.rsplit(maxsplit=1)[-1]
        names_number = re.search(rf"(?<!\d){re.escape(number)}(?!\d)", _arabic(whole.title)) is not None
        return whole if names_number and (part is None or part.movie_id != whole.movie_id) else None

    def _quiet_resolve(self, query: str) -> TitleEntry | None:
        try:
            return self.titles.resolve(query)
        except (TitleNotFound, AmbiguousTitle):
            return None

    def _rate(self, text: str, title: str, start: int, end: int, rating: int) -> list[Intent] | None:
        if _key(title) in _THIS_WORDS:
            return None
        movie = self.resolve(title, _rebuilder(text, start, end))
        if movie is None:
            return None
        if not 1 <= rating <= 5:
            name = format_title(movie)
            return [
                Unknown(text, "Ratings go from 1 (hated it) to 5 (loved it).", tuple(f"{name} {n}" for n in (5, 4, 3)))
            ]
        return [Rate(movie, rating)]

    def _filters(self, text: str) -> list[Intent] | None:
        """Genre and year filters, alone or together: "only comedies from the 80s"."""
        years = _find_years(text)
        rest = text
        intents: list[Intent] = []
        if years is not None:
            (span_start, span_end), start, end = years
            if start is not None and end is not None and start > end:
                start, end = end, start
            if any(y is not None and not 1900 <= y <= 2030 for y in (start, end)):
                return [Unknown(text, "Years go from 1900 to 2030, e.g. 'after 1990'.", ("after 1990", "the 90s"))]
            intents.append(YearRange(start, end))
            rest = f"{text[:span_start]} {text[span_end:]}".strip()
            rest = _FILTER_NOISE_END.sub("", _FILTER_NOISE_START.sub("", rest)).strip()
            if not rest:
                return intents
        genre_intent = _genre_filter(rest)
        if genre_intent is None and intents and _genres_of(rest) is not None:  # "comedies from the 80s"
            genre_intent = OnlyGenre(_genres_of(rest) or ())
        if genre_intent is None:
            return None
        return [genre_intent, *intents]

    def _demographics(self, text: str) -> list[Intent] | None:
        key = _key(text)
        explicit = re.match(_SELF + r"\b", key) is not None
        words = _strip_self(key).replace(",", " ").replace("/", " / ").split()
        words = [w for w in words if w not in ("and", "a", "an", "the", "as", "/")]
        if not words:
            return None
        intents: list[Intent] = []
        rest: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            age = re.fullmatch(r"(\d{1,3})(?:yo|y/o|y\.o\.|yrs?)?", word)
            if age:
                value = int(age.group(1))
                if not 1 <= value <= 120:
                    return None
                intents.append(SetAge(age_bucket_for(value), value))
                i += 1
                while i < len(words) and words[i] in ("years", "year", "yrs", "old", "yo", "y/o"):
                    i += 1
                continue
            if word in _GENDER_WORDS:
                intents.append(SetGender(_GENDER_WORDS[word]))
            else:
                rest.append(word)
            i += 1
        if rest:
            phrase = " ".join(rest)
            try:
                code = parse_occupation(phrase)
            except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
                return None
            if not intents and not explicit and self._is_title(phrase):
                return None  # "Doctor" alone: more likely the start of a title
            intents.append(SetOccupation(code))
        if not explicit and self.expecting is None and len(intents) == 1 and re.fullmatch(r"[1-5]", key):
            return None  # a lone "4" is a rating without a movie, not an age
        return intents or None

    def _is_title(self, phrase: str) -> bool:
        try:
            self.titles.resolve(phrase)
        except TitleNotFound:
            return False
        except AmbiguousTitle:
            return True
        return True

    def _bare_title(self, text: str) -> list[Intent] | None:
        if _key(text) in _THIS_WORDS or re.fullmatch(r"[\d\s./★⭐*+-]{0,3}", text):
            return None
        movie = self.resolve(text, lambda title: title, bare=True)
        return [Mention(movie)] if movie is not None else None


# -- application to a profile -----------------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """A profile after an intent, and a few words on what changed (for the chat and the hint)."""

    profile: Profile
    summary: str
    changed: bool = True


def apply_intent(profile: Profile, intent: Intent) -> Edit | None:
    """The profile an intent leads to, as a new object (the old one stays valid for undo).
    None for intents that do not edit the profile (questions, navigation, help)."""
    new = copy.deepcopy(profile)
    match intent:
        case SetAge(bucket=bucket, age=age):
            new.age = bucket
            label = AGE_BUCKETS[bucket]
            summary = f"age {age} ({label})" if age is not None else f"age {label}"
            return Edit(new, summary, new.age != profile.age)
        case SetGender(gender=gender):
            new.gender = gender
            return Edit(new, "female" if gender == "F" else "male", new.gender != profile.gender)
        case SetOccupation(code=code):
            new.occupation = code
            return Edit(new, OCCUPATIONS[code], new.occupation != profile.occupation)
        case Rate(movie=movie, rating=rating):
            # Re-inserted, so a re-rated movie counts as the latest: the model weighs recent ratings
            # most, and the profile panel lists them most recent first.
            new.ratings.pop(movie.movie_id, None)
            new.ratings[movie.movie_id] = rating
            if movie.movie_id in new.dismissed:
                new.dismissed.remove(movie.movie_id)
            return Edit(new, f"{format_title(movie)} {stars(rating)}", profile.ratings.get(movie.movie_id) != rating)
        case Forget(movie=movie):
            removed = new.ratings.pop(movie.movie_id, None) is not None
            undismissed = movie.movie_id in new.dismissed
            if undismissed:
                new.dismissed.remove(movie.movie_id)
            return Edit(new, f"forgot {format_title(movie)}", removed or undismissed)
        case Dismiss(movie=movie):
            if movie.movie_id not in new.dismissed:
                new.dismissed.append(movie.movie_id)
            return Edit(new, f"{format_title(movie)} dismissed", new != profile)
        case ExcludeGenre(genres=genres):
            for genre in genres:
                if genre not in new.genres_out:
                    new.genres_out.append(genre)
            new.genres_in = [g for g in new.genres_in if g not in genres]
            return Edit(new, f"{join_words(genres)} hidden", new != profile)
        case OnlyGenre(genres=genres):
            new.genres_in = list(dict.fromkeys(genres))
            new.genres_out = [g for g in new.genres_out if g not in genres]
            return Edit(new, f"only {join_words(genres)}", new != profile)
        case AllowGenre(genres=genres):
            new.genres_out = [g for g in new.genres_out if g not in genres]
            return Edit(new, f"{join_words(genres)} allowed", new != profile)
        case YearRange(start=start, end=end):
            new.year_min, new.year_max = start, end
            return Edit(new, describe_years(start, end), new != profile)
        case ClearFilters():
            new.genres_in, new.genres_out, new.year_min, new.year_max = [], [], None, None
            return Edit(new, "filters cleared", new != profile)
        case Reset():
            return Edit(Profile(), "profile reset", Profile() != profile)
    return None


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
    return parts


def stars(rating: float) -> str:
    """ "★★★★☆" for 4 (or 3.5 and up: half a star rounds up)."""
    full = max(0, min(5, int(rating + 0.5)))
    return "★" * full + "☆" * (5 - full)


def join_words(items: tuple[str, ...] | list[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


HELP_LINES = (
    ("About you", '"I\'m 34", "female", "programmer", or all at once: "34, female, programmer"'),
    ("Rate", '"loved Alien" (5), "liked X" (4), "meh X" (3), "disliked X" (2), "hated X" (1), "Heat 4", "Heat=4", '
     '"4 stars for Heat"'),
    ("Filter", '"no horror", "only comedies", "horror is fine", "from the 80s", "after 1990", "before 1970", '
     '"clear filters"'),
    ("Explore", '"more like Blade Runner", "why Brazil?", "back"'),
    ("Edit", '"forget Heat", "dismiss Titanic", "undo", "reset"'),
    ("Profiles", '"save alice", "load alice", "profiles"'),
)  # fmt: skip

# -- small helpers --------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Lower case, curly apostrophes straightened, edge punctuation and extra spaces dropped."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.strip(" .!?;:,").split())


def _strip_filler(text: str) -> str:
    text = _FILLER_START.sub("", text)
    text = _FILLER_END.sub("", text)
    return text.strip(" \t.!;,")


def _strip_self(key: str) -> str:
    """ "i'm a female programmer" -> "female programmer"."""
    key = re.sub(rf"^(?:{_SELF}\b[\s:=]*)+", "", key)
    key = re.sub(r"^(?:an?|the)\s+", "", key)
    return key.strip()


def _age_answer(key: str) -> SetAge | None:
    key = _strip_self(key).replace("–", "-").replace(" - ", "-")
    if key in _AGE_LABELS:
        return SetAge(_AGE_LABELS[key])
    if key in ("under 18", "<18", "minor", "kid", "teen", "teenager", "child"):
        return SetAge(1)
    if key in ("56 plus", "over 56", "56 or older", "senior"):
        return SetAge(56)
    match = re.fullmatch(r"(\d{1,3})(?:\s*(?:yo|y/o|years?(?:\s+old)?|yrs?))?|(\d{1,3})\s*-\s*\d{1,3}", key)
    if match:
        value = int(match.group(1) or match.group(2))
        if 1 <= value <= 120:
            return SetAge(age_bucket_for(value), value if match.group(1) else None)
    return None


def _rating_answer(key: str) -> int | None:
    """ "4", "4 stars", "4/5", "★★★★", "loved it", "meh" -> a number (possibly out of range)."""
    match = re.fullmatch(r"(\d{1,2})(?:\s*/\s*5)?(?:\s*stars?)?|([★⭐*]{1,5})", key)
    if match:
        return int(match.group(1)) if match.group(1) else len(match.group(2))
    key = re.sub(r"^(?:i\s+)?(?:(?:really|totally|absolutely|kinda|just|truly)\s+)?", "", key)
    key = re.sub(r"\s+(?:it|that|this|that one|this one)(?:\s+(?:a\s+lot|so\s+much))?$", "", key)
    key = re.sub(r"^(?:it\s+)?(?:was|is)\s+(?:(?:really|so|pretty|just|quite|a|an)\s+)*", "", key)
    return _ANSWERS.get(key)


def _genres_of(text: str) -> tuple[str, ...] | None:
    """ "horror", "horror or war", "comedies and dramas" -> genres; None if any part is not a genre."""
    text = re.sub(r"(?:\s+(?:movies|films|flicks|ones|stuff|anymore|any\s+more|please|only|either|too|again))+$",
                  "", text.strip(), flags=re.IGNORECASE)  # fmt: skip
    text = re.sub(r"^(?:(?:more|any|the|all|those|these|of)\s+)+", "", text, flags=re.IGNORECASE)
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


def _genre_in(text: str) -> str | None:
    """The first genre word anywhere in the text, for a suggestion."""
    for word in re.findall(r"[\w'-]+", text)[:50]:
        if len(word) >= 4:
            try:
                return parse_genre(word)
            except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
                continue
    return None


def _genre_filter(text: str) -> Intent | None:
    key = _key(text)
    intents = {"out": ExcludeGenre, "only": OnlyGenre, "allow": AllowGenre}
    for pattern, kind in _GENRE_RULES:
        match = pattern.fullmatch(key)
        if match:
            genres = _genres_of(match.group("g"))
            if genres is not None:
                return intents[kind](genres)
    return None


def _find_years(text: str) -> tuple[tuple[int, int], int | None, int | None] | None:
    """(span in text, first year, last year) of a year expression, or None."""
    match = _RANGE.search(text)
    if match:
        return match.span(), int(match.group("a")), int(match.group("b"))
    after, before = _AFTER.search(text), _BEFORE.search(text)
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
    match = _DECADE.search(text)
    if match:
        if match.group("word"):
            start = _DECADE_WORDS[match.group("word").lower()]
        else:
            digit = int(match.group("d") if match.group("d") is not None else match.group("d2"))
            century = match.group("century")
            if century is not None:
                start = int(century) * 100 + digit * 10
            else:
                start = 2000 if digit == 0 else 1900 + digit * 10
        return match.span(), start, start + 9
    return None


_ROMAN = {"II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7", "VIII": "8", "IX": "9"}


def _arabic(title: str) -> str:
    """ "Godfather: Part II" -> "Godfather: Part 2", "Alien³" -> "Alien3"."""
    title = unicodedata.normalize("NFKC", title)
    return re.sub(r"\b(?:II|III|IV|V|VI|VII|VIII|IX)\b", lambda m: _ROMAN[m.group(0)], title)


def _rebuilder(text: str, start: int, end: int) -> Callable[[str], str]:
    return lambda title: text[:start] + title + text[end:]


def _examples_for(text: str) -> tuple[str, ...]:
    key = _key(text)
    if re.search(r"\d", key):
        return ("I'm 34", "Heat 4", "from the 80s", "help")
    if key.startswith(("why", "how", "what")):
        return ("why Brazil?", "more like Alien", "help")
    return ("loved Alien", "no horror", "from the 80s", "help")
