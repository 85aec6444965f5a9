"""Parsing one message into intents: the rules, tried from the most specific to the least.

See the package docstring (`movierec_tui.chat`) for the order of the rules and how failures are
explained.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from movierec_tui.chat.intents import (
    AllowGenre,
    Back,
    ClearFilters,
    Dismiss,
    ExcludeGenre,
    Expecting,
    Forget,
    Help,
    Intent,
    Load,
    Mention,
    MoreLike,
    OnlyGenre,
    Rate,
    Reset,
    Save,
    SetAge,
    SetGender,
    SetOccupation,
    Skip,
    Undo,
    Unknown,
    Why,
    YearRange,
)
from movierec_tui.chat.phrases import (
    ADJECTIVES,
    AFTER,
    AGE_LABELS,
    ANSWERS,
    ANY_YEAR_WORDS,
    BACK_WORDS,
    BEFORE,
    CLEAR_WORDS,
    DECADE,
    DECADE_WORDS,
    DISMISS,
    EXAMPLES,
    FILLER_END,
    FILLER_START,
    FILTER_NOISE_END,
    FILTER_NOISE_START,
    FORGET,
    GENRE_RULES,
    GREETINGS,
    HELP_WORDS,
    LIST_WORDS,
    MORE_LIKE,
    RANGE,
    RATE_WITHOUT_NUMBER,
    RATING_ADJECTIVE,
    RATING_PREFIX,
    RATING_SUFFIX,
    RATING_VERB,
    RESET_WORDS,
    SELF,
    SKIP_WORDS,
    THANKS,
    THIS_WORDS,
    UNDO_WORDS,
    VERBS,
    WHY,
)
from movierec_tui.profile import MAX_NAME_CHARS, valid_profile_name
from movierec_tui.titles import AmbiguousTitle, TitleEntry, TitleIndex, TitleNotFound
from movierec_tui.vocabulary import GENDER_WORDS, age_bucket_for, parse_gender, parse_genre, parse_occupation
from movierec_tui.wording import clean, title_with_year

MAX_SUGGESTIONS = 5
_ECHO_CHARS = 60

# -- the entry point ------------------------------------------------------------------------------


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
        if key in GREETINGS:
            return [Help()]
        if key in THANKS:
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
            names = [title_with_year(c) for c in failure.error.candidates]
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
        if key in SKIP_WORDS:
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
        if key in HELP_WORDS or key.startswith(("what can i ", "what can you ", "how does this work", "how do i")):
            return [Help()]
        for words, intent in (
            (RESET_WORDS, Reset()),
            (CLEAR_WORDS, ClearFilters()),
            (ANY_YEAR_WORDS, YearRange(None, None)),
            (SKIP_WORDS, Skip()),
            (BACK_WORDS, Back()),
            (UNDO_WORDS, Undo()),
            (LIST_WORDS, Load(None)),
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
        if not valid_profile_name(name):
            return Unknown(
                text,
                f"A profile name is 1-{MAX_NAME_CHARS} letters, digits, '-', '_' or '.', e.g. 'save alice'.",
                ("save alice", "save movie-night"),
            )
        return kind(name)

    def _why(self, text: str) -> list[Intent] | None:
        match = WHY.fullmatch(text)
        if not match:
            return None
        title = match.group("title")
        if _key(title) in THIS_WORDS:
            return [Why(None)]
        movie = self.resolve(title, _rebuilder(text, match.start("title"), match.end("title")))
        return [Why(movie)] if movie is not None else None

    def _more_like(self, text: str) -> list[Intent] | None:
        match = MORE_LIKE.fullmatch(text)
        if not match:
            return None
        group = "title" if match.group("title") is not None else "title2"
        title = match.group(group)
        if _key(title) in THIS_WORDS:
            return [MoreLike(None)]
        movie = self.resolve(title, _rebuilder(text, match.start(group), match.end(group)))
        return [MoreLike(movie)] if movie is not None else None

    def _forget(self, text: str) -> list[Intent] | None:
        for pattern, kind in ((FORGET, Forget), (DISMISS, Dismiss)):
            match = pattern.fullmatch(text)
            if match and _genres_of(match.group("title")) is None and _key(match.group("title")) not in THIS_WORDS:
                movie = self.resolve(match.group("title"), _rebuilder(text, match.start("title"), match.end("title")))
                if movie is not None:
                    return [kind(movie)]
        return None

    def _rating(self, text: str) -> list[Intent] | None:
        # "Heat 4", "Heat=4", "Heat: 4/5", "Heat 4 stars", "Heat 8/10", "Heat ★★★★"
        match = RATING_SUFFIX.fullmatch(text)
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
        match = RATING_PREFIX.fullmatch(text)
        if match:
            group = "title" if match.group("title") is not None else "title2"
            rating = int(match.group("n") or match.group("n2"))
            result = self._rate(text, match.group(group), match.start(group), match.end(group), rating)
            if result:
                return result
        # "loved Heat", "I really liked Heat", "meh Heat"; "hated horror" is a filter
        match = RATING_VERB.fullmatch(text)
        if match:
            rating = VERBS[" ".join(match.group("verb").lower().split())]
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
        match = RATING_ADJECTIVE.fullmatch(text)
        if match:
            rating = ADJECTIVES[" ".join(match.group("adj").lower().split())]
            result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
            if result:
                return result
        # "rate Heat", "I've seen Heat": ask how they liked it
        match = RATE_WITHOUT_NUMBER.fullmatch(text)
        if match and _key(match.group("title")) not in THIS_WORDS:
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
        if _key(title) in THIS_WORDS:
            return None
        movie = self.resolve(title, _rebuilder(text, start, end))
        if movie is None:
            return None
        if not 1 <= rating <= 5:
            name = title_with_year(movie)
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
            rest = FILTER_NOISE_END.sub("", FILTER_NOISE_START.sub("", rest)).strip()
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
        explicit = re.match(SELF + r"\b", key) is not None
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
            if word in GENDER_WORDS:
                intents.append(SetGender(GENDER_WORDS[word]))
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
        if _key(text) in THIS_WORDS or re.fullmatch(r"[\d\s./★⭐*+-]{0,3}", text):
            return None
        movie = self.resolve(text, lambda title: title, bare=True)
        return [Mention(movie)] if movie is not None else None

# -- small helpers --------------------------------------------------------------------------------


def _key(text: str) -> str:
    """Lower case, curly apostrophes straightened, edge punctuation and extra spaces dropped."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return " ".join(text.strip(" .!?;:,").split())


def _strip_filler(text: str) -> str:
    text = FILLER_START.sub("", text)
    text = FILLER_END.sub("", text)
    return text.strip(" \t.!;,")


def _strip_self(key: str) -> str:
    """ "i'm a female programmer" -> "female programmer"."""
    key = re.sub(rf"^(?:{SELF}\b[\s:=]*)+", "", key)
    key = re.sub(r"^(?:an?|the)\s+", "", key)
    return key.strip()


def _age_answer(key: str) -> SetAge | None:
    key = _strip_self(key).replace("–", "-").replace(" - ", "-")
    if key in AGE_LABELS:
        return SetAge(AGE_LABELS[key])
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
    return ANSWERS.get(key)


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
    for pattern, kind in GENRE_RULES:
        match = pattern.fullmatch(key)
        if match:
            genres = _genres_of(match.group("g"))
            if genres is not None:
                return intents[kind](genres)
    return None


def _find_years(text: str) -> tuple[tuple[int, int], int | None, int | None] | None:
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
