"""Parsing one message into intents: the rules, tried from the most specific to the least.

See the package docstring (`movierec_tui.chat`) for the order of the rules and how failures are
explained.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from movierec_tui.chat.commands import command_said
from movierec_tui.chat.explore import (
    card_number,
    details_request,
    more_like_in_years,
    more_like_request,
    names_by_number,
    why_request,
)
from movierec_tui.chat.filters import find_years, genre_filter, genre_in, genres_of
from movierec_tui.chat.filters import key as _key
from movierec_tui.chat.intents import (
    Answer,
    Dismiss,
    ExcludeGenre,
    Expecting,
    Forget,
    Help,
    Intent,
    Load,
    Mention,
    OnlyGenre,
    PutOnList,
    Rate,
    Save,
    SetAge,
    SetGender,
    SetOccupation,
    Skip,
    Suggest,
    Unknown,
    YearRange,
)
from movierec_tui.chat.lists import list_request, seen_or_not
from movierec_tui.chat.lookup import quiet_match, rebuilder
from movierec_tui.chat.mainstream import mainstream_intent
from movierec_tui.chat.numbers import fraction_rating, out_of_ten, read_number, valid_age, valid_rating
from movierec_tui.chat.paths import import_request
from movierec_tui.chat.phrases import (
    ADJECTIVES,
    AGE_LABELS,
    ANSWERS,
    DISMISS,
    EXAMPLES,
    FAVOURITE_IS,
    FEELING_AFTER,
    FILLER_END,
    FILLER_START,
    FILTER_NOISE_END,
    FILTER_NOISE_START,
    FORGET,
    GREETINGS,
    HELP_WORDS,
    NO_WORDS,
    ORDINALS,
    RATE_WITHOUT_NUMBER,
    RATING_ADJECTIVE,
    RATING_PREFIX,
    RATING_SUFFIX,
    RATING_VERB,
    SAID_AGAIN,
    SEEN_IT,
    SELF,
    SKIP_WORDS,
    SUGGEST,
    THANKS,
    THIS_WORDS,
    VAGUE_YEARS,
    VERBS,
    YEAR_NEGATIONS,
    YES_WORDS,
)
from movierec_tui.profile import MAX_NAME_CHARS, valid_profile_name
from movierec_tui.titles import AmbiguousTitle, TitleIndex, TitleMatch, TitleNotFound
from movierec_tui.vocabulary import GENDER_WORDS, age_bucket_for, parse_gender, parse_occupation
from movierec_tui.wording import clean, title_with_year

MAX_SUGGESTIONS = 5
_ECHO_CHARS = 60
MIN_GUESS_CHARS = 3  # a loose match of a shorter query is not worth asking about
VAGUE_YEAR_CHOICES = ("before 1970", "the 80s", "after 1990")  # offered for "classics", "recent movies"
MIN_JOB_CHARS = 4  # the end of a phrase this long may name a job ("sales"; not "it")
_NUMERIC = re.compile(r"[\d\s.,/½★*+-]+")  # a "title" that is only a number or a rating

# -- the entry point ------------------------------------------------------------------------------


def parse(text: object, titles: TitleIndex, expecting: Expecting | None = None) -> list[Intent]:
    """The intents in one message, in order; never empty, never raises for any input."""
    cleaned = clean(text)
    if not cleaned:
        return [Unknown("", "Type a message, for example:", EXAMPLES[:4])]
    if (dropped := import_request(cleaned)) is not None:  # a file dropped on the terminal: its path
        return dropped
    cleaned = SAID_AGAIN.sub(r"\1", cleaned)  # "hated, hated, hated Titanic": hated Titanic
    parser = _Parser(titles, expecting)
    whole = parser.parse_chunk(cleaned)
    if whole is not None:
        return _guesses_last(whole)
    if (liked_in_years := more_like_in_years(cleaned, parser.parse_chunk)) is not None:
        return _guesses_last(liked_in_years)
    # "Alien 5, Heat 4"; "loved Jaws but hated Jaws 2"; "Aliens 5 Alien 4" (a rating, then a title)
    clauses = r"[;,\n]|\s+&\s+|\s+but\s+|\s+(?:and\s+)?(?=(?:no|not|only)\s)"
    for separators in (clauses, clauses + r"|(?<=\d)\s+(?=[^\W\d])"):
        chunks = [c.strip() for c in re.split(separators, cleaned) if c.strip()]
        parser.ratings_only = separators != clauses  # "Fargo 5 Heat 4 Alien 3": Alien rated 3, not Alien³
        if parser.ratings_only and not all(re.search(r"\d$", c) for c in chunks):
            continue  # split after numbers, every part is "title N"; "the 25-34 one" is no "one"
        if 1 < len(chunks) <= 12:
            parts = [parser.parse_chunk(chunk) for chunk in chunks]
            if all(p is not None for p in parts):
                return _guesses_last([intent for part in parts for intent in part or ()])
    return [parser.unknown(cleaned)]


def _guesses_last(intents: list[Intent]) -> list[Intent]:
    """What is sure is done first; the guesses, each asked about ("Did you mean ...?"), come last, so
    a question is the last thing said and any other message simply moves on from it."""
    return sorted(intents, key=lambda intent: intent.sureness == "guess")


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
        self.ratings_only = False  # chunks split after numbers: a trailing number is a rating

    def parse_chunk(self, text: str) -> list[Intent] | None:
        """Intents for one chunk, or None when no rule understood it."""
        key = _key(text)
        if key in GREETINGS or text.strip() == "?":
            return [Help()]
        if key in THANKS:
            return [Unknown(text, "You're welcome! Rate a few more movies to sharpen the list.", ("help",))]
        body = _strip_filler(text)
        if not body:
            return None
        rules: tuple[Rule, ...] = (
            self._contextual,
            lambda body: list_request(body, self.resolve, self.titles, self._rating),  # before "forget", "save"
            self._command,
            self._numbers,
            lambda body: why_request(body, self.resolve, self.titles),
            lambda body: more_like_request(body, self.resolve, self.titles),
            lambda body: details_request(body, self.resolve, self.titles),
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

    def resolve(self, query: str, rebuild: Callable[[str], str], bare: bool = False) -> TitleMatch | None:
        """The movie and how sure the match is, or None after remembering why not (for the final
        explanation). A number is a title only when a title is that number exactly ("1941", "10"):
        "7" is not *The 7th Voyage of Sinbad*."""
        query = query.strip().strip("\"'“”‘’`«»")
        if not query:
            return None
        try:
            match = self.titles.match(query)
        except (TitleNotFound, AmbiguousTitle) as exc:
            if not _NUMERIC.fullmatch(query):
                self.failures.append(_Failure(rebuild, exc, bare))
            return None
        if _NUMERIC.fullmatch(query) and not names_by_number(match):
            return None
        if match.sureness == "guess" and len(_key(query)) < MIN_GUESS_CHARS:
            return None  # "im" is too little to even ask about Immortal Beloved
        return match

    def unknown(self, text: str) -> Unknown:
        """The most useful explanation for a message nothing understood."""
        if VAGUE_YEARS.fullmatch(_key(text)):  # "classics", "recent movies": which years would be a guess
            return Unknown(text, "Which years? Say them, e.g. “before 1970”, “the 80s”.", VAGUE_YEAR_CHOICES)
        if seen_or_not(_key(text)) is not None:  # "seen it" with no question open: which "it" is a guess
            return Unknown(text, "Which movie? Say e.g. “seen Heat”, or “seen this” for the highlighted card.")
        genres = genres_of(_key(text))
        if genres is None:
            genre = genre_in(text, [c for f in self.failures for c in f.error.candidates])
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
                asked = failure.error.query.rstrip("?! ") or failure.error.query  # "anything like amelie?"
                message = f"I don't know a movie called '{echo(asked)}'. Did you mean:"
            return Unknown(text, message, suggestions, choose=True)
        return Unknown(text, f"Sorry, I didn't understand '{echo(text)}'. You could say:", _examples_for(text))

    # -- rules ------------------------------------------------------------------------------------

    def _contextual(self, text: str) -> list[Intent] | None:
        """Short answers to the question just asked: "34", "f", "programmer", "4", "loved it"."""
        if self.expecting is None:
            return None
        key = _key(text)
        kind = self.expecting.kind
        if kind == "confirm" and (key in YES_WORDS or key in NO_WORDS):
            return [Answer(key in YES_WORDS)]
        if kind == "which" and key not in SKIP_WORDS:
            return self._which(key)
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
            if (seen := seen_or_not(key)) is not None:  # "I've seen that" (not rated yet), "haven't seen this"
                return [PutOnList(self.expecting.movie, "seen")] if seen else [Skip()]
            rating = _rating_answer(SEEN_IT.sub("", key))  # "seen it, 4", "yes, loved it"
            if rating is None:
                return None
            if not valid_rating(rating):
                return [_rating_range(text, ("5", "4", "3", "2", "1"))]
            return [Rate(self.expecting.movie, rating)]
        return None

    def _which(self, key: str) -> list[Intent] | None:
        """ "1996", "the second", "2", "the 1996 one": picks one of the readings just offered."""
        choices = [c for c in self.expecting.choices if c != "help"] if self.expecting else []
        pick: str | None = None
        year = re.fullmatch(r"(?:the\s+)?(?:one\s+)?(?:from\s+|in\s+|of\s+)?((?:18|19|20)\d\d)(?:\s+one)?", key)
        position = re.fullmatch(r"(?:the\s+|#|number\s+)?(\d|[a-z]+)(?:\s+one)?", key)
        if year:
            fitting = [c for c in choices if f"({year.group(1)})" in c]
            pick = fitting[0] if len(fitting) == 1 else None
        elif position:
            word = position.group(1)
            index = len(choices) - 1 if word == "last" else int(word) - 1 if word.isdigit() else ORDINALS.get(word, -1)
            pick = choices[index] if 0 <= index < len(choices) else None
        if pick is None:
            return None
        return _Parser(self.titles, None).parse_chunk(pick)

    def _command(self, text: str) -> list[Intent] | None:
        text = text.lstrip("/:!").strip()
        key = _key(text)
        if SUGGEST.fullmatch(key):  # before help: "what can I watch?" is no "what can I ..." about the app
            return [Suggest()]
        if key in HELP_WORDS or key.startswith(("what can i ", "what can you ", "how does this work", "how do i")):
            return [Help()]
        if key in YES_WORDS and key not in SKIP_WORDS:  # a yes with no question: the conversation says so
            return [Answer(True)]
        if (command := command_said(key)) is not None:
            return [command]
        dial = mainstream_intent(key)
        if dial is not None:
            return [dial]
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

    def _numbers(self, text: str) -> list[Intent] | None:
        """A message that is a number ("I'm -5", "I'm 0", "seventeen", "34 years old", "4.5"): an age
        when one is said or fits, else explained; never a title, unless a title is that number
        exactly ("1941", "10") and nothing else fits."""
        key = _key(text)
        explicit = re.match(SELF + r"\b", key) is not None
        body = _strip_self(key) if explicit else key
        years_old = re.fullmatch(r"(?P<n>.+?)\s*(?:yo|y/o|y\.o\.|years?(?:\s+old)?|yrs?(?:\s+old)?)", body)
        if years_old:
            body = years_old.group("n")
        value = read_number(body) if (mark := fraction_rating(body)) is None else mark  # "9/10": no ages
        if value is None:
            return None
        if explicit or years_old:
            if valid_age(value):
                return [SetAge(age_bucket_for(int(value)), int(value))]
            return [Unknown(text, "An age is a whole number from 1 to 120, e.g. 'I'm 34'.", ("I'm 34", "help"))]
        titled = quiet_match(self.titles, body)
        if titled is not None and titled.sureness == "exact":
            return None  # "1941", "10", "2010": a movie of that title, which the last rule finds
        if valid_age(value) and value > 5:
            # "34", "seventeen" with no question asked: an age, probably; asked about before it is set
            return [SetAge(age_bucket_for(int(value)), int(value), sureness="guess")]
        if valid_rating(value):
            return [Unknown(text, f"{value:g} stars for which movie? Say the title too, e.g. 'Heat {value:g}'.",
                            (f"Heat {value:g}", f"Alien {value:g}", "help"))]  # fmt: skip
        return [Unknown(text, f"What is {value:g}? Ages go from 1 to 120, ratings from 0.5 to 5 ('Heat 4.5').",
                        ("I'm 34", "Heat 4.5", "help"))]  # fmt: skip

    def _forget(self, text: str) -> list[Intent] | None:
        for pattern, kind in ((FORGET, Forget), (DISMISS, Dismiss)):
            match = pattern.fullmatch(text)
            if not match:
                continue
            title = match.group("title")
            if kind is Dismiss and (card := card_number(title, self.titles)) is not None:
                return [Dismiss(card.movie, card.number, sureness=card.sureness)]  # "dismiss 2": the second card
            if kind is Dismiss and _key(title) in THIS_WORDS and _key(title):
                return [Dismiss(None)]  # "dismiss this", "not interested in that one": the highlighted card
            if genres_of(title) is None and _key(title) not in THIS_WORDS:
                found = self.resolve(title, rebuilder(text, match.start("title"), match.end("title")))
                if found is not None:
                    return [kind(found.movie, sureness=found.sureness)]
        return None

    def _rating(self, text: str) -> list[Intent] | None:
        # "Heat 4", "Heat=4", "Heat: 4/5", "Heat 4.5 stars", "Heat 9/10", "Heat ★★★★½"
        match = RATING_SUFFIX.fullmatch(text)
        if match and not _is_self(match.group("title")):
            if match.group("n") is not None:
                rating = read_number(match.group("n"))
            elif match.group("n10") is not None:
                rating = read_number(match.group("n10"))
                rating = out_of_ten(rating) if rating is not None else None
            else:
                rating = len(match.group("stars")) + (0.5 if match.group("half") else 0.0)
            plain = match.group("n") is not None and not re.search(
                r"[=:]|stars?|/|out\s+of", text[match.end("title") :]
            )
            whole = self._whole_title(text, match.group("title")) if plain else None
            if whole is not None:  # "Toy Story 2" and "Godfather 2" are movies, not ratings
                return [Mention(whole.movie, sureness=whole.sureness)]
            if plain and self._number_may_be_part_of_title(match.group("title")):
                # "star wars 1 2": a number after a title that ends in one is no clear rating
                return self._unclear_number(text, match.group("title"), match.end("title"))
            result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
            if result:
                return result
        match = RATING_PREFIX.fullmatch(text)
        if match:
            group = "title" if match.group("title") is not None else "title2"
            rating = read_number(match.group("n") or match.group("n2"))
            if rating is not None and match.group("ten"):
                rating = out_of_ten(rating)
            result = self._rate(text, match.group(group), match.start(group), match.end(group), rating)
            if result:
                return result
        # "loved Heat", "I really liked Heat", "meh Heat"; "hated horror" is a filter
        match = RATING_VERB.fullmatch(text)
        if match:
            rating = VERBS[" ".join(match.group("verb").lower().split())]
            if match.group("more") and rating >= 4:  # "liked Heat a lot"
                rating = 5
            title = match.group("title")
            genres = genres_of(title)
            if genres is not None:
                if rating <= 2:
                    return [ExcludeGenre(genres)]
                named = " or ".join(g.lower() for g in genres)
                return [Unknown(text, "I rate movies, not genres. Do you want only those?", (f"only {named}", "help"))]
            result = self._rate(text, title, match.start("title"), match.end("title"), rating)
            if result:
                return result
        # "Heat was great", "Heat is a masterpiece", "my favourite film is Heat"
        for match in (RATING_ADJECTIVE.fullmatch(text), FAVOURITE_IS.fullmatch(text)):
            if match:
                rating = ADJECTIVES[" ".join(match.group("adj").lower().split())]
                result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
                if result:
                    return result
        # "Heat - loved it", "Heat: hated it", "Heat (meh)": a title, then how it was, in words; not a
        # title that reads so as a whole ("Bye Bye, Love", "Mr. Wonderful")
        match = FEELING_AFTER.fullmatch(text)
        if match and not _NUMERIC.fullmatch(match["feeling"]) and (rating := _rating_answer(_key(match["feeling"]))):
            if (whole := quiet_match(self.titles, text)) is not None and whole.sureness == "exact":
                return None
            result = self._rate(text, match.group("title"), match.start("title"), match.end("title"), rating)
            if result:
                return result
        # "rate Heat", "I've seen Heat": ask how they liked it
        match = RATE_WITHOUT_NUMBER.fullmatch(text)
        if match and _key(match.group("title")) not in THIS_WORDS:
            if _NUMERIC.fullmatch(match.group("title")):  # "rate 7": a rating without a movie
                return [_rating_range(text)]
            found = self.resolve(match.group("title"), rebuilder(text, match.start("title"), match.end("title")))
            if found is not None:
                return [Mention(found.movie, sureness=found.sureness)]
        return None

    def _unclear_number(self, text: str, title: str, end: int) -> list[Intent]:
        """ "star wars 1 2": which movie and which rating is unclear; offer readings, do nothing."""
        found = quiet_match(self.titles, title)
        candidates = [found.movie] if found is not None else []
        if not candidates:
            try:
                self.titles.resolve(title)
            except (TitleNotFound, AmbiguousTitle) as exc:
                candidates = exc.candidates
        rest = text[end:].strip()
        suggestions = tuple(f"{title_with_year(c)} {rest} stars" for c in candidates[: MAX_SUGGESTIONS - 1])
        message = f"'{echo(text)}': which movie, and is {rest} a rating? Say e.g. 'Heat 4 stars'."
        return [Unknown(text, message, (*suggestions, "help"), choose=bool(suggestions))]

    def _whole_title(self, text: str, title_part: str) -> TitleMatch | None:
        """The movie "Toy Story 2" names as a whole, when that is another movie than "Toy Story"."""
        whole = quiet_match(self.titles, text)
        if whole is None or self.ratings_only:
            return None
        part = quiet_match(self.titles, title_part)
        number = text.rsplit(maxsplit=1)[-1]
        names_number = re.search(rf"(?<!\d){re.escape(number)}(?!\d)", _arabic(whole.movie.title)) is not None
        return whole if names_number and (part is None or part.movie.movie_id != whole.movie.movie_id) else None

    def _number_may_be_part_of_title(self, title: str) -> bool:
        """ "star wars 1 2", "star wars 1": after a title that ends in a number, or a franchise that
        has numbered parts, a plain number may be a part, not a rating."""
        found = quiet_match(self.titles, title)
        if re.search(r"\d$", title) is None:
            return found is not None and found.found_by == "head"
        return found is None or found.sureness == "guess"

    def _rate(self, text: str, title: str, start: int, end: int, rating: float | None) -> list[Intent] | None:
        if _key(title) in THIS_WORDS:
            return None
        several = self._several(title)
        if several is not None:
            found_all = several
        else:
            found = self.resolve(title, rebuilder(text, start, end))
            if found is None:
                return None
            found_all = [found]
        if rating is None or not valid_rating(rating):
            names = [title_with_year(f.movie) for f in found_all]
            return [_rating_range(text, tuple(f"{names[0]} {n}" for n in (5, 4, 3)))]
        return [Rate(f.movie, rating, sureness=f.sureness) for f in found_all]

    def _several(self, title: str) -> list[TitleMatch] | None:
        """ "Alien and Heat", "Alien, Heat & Brazil": several movies, when the whole is no sure title
        and every part is one ("The Good, the Bad and the Ugly" stays one movie)."""
        listed = re.sub(r"^(?:both|all\s+of|all)\s+", "", title, flags=re.IGNORECASE)  # "both Alien and Aliens"
        parts = [p for p in re.split(r"\s*(?:,|&|\+|\band\b)\s*", listed, flags=re.IGNORECASE) if p.strip()]
        if len(parts) < 2 or len(parts) > 8:
            return None
        whole = quiet_match(self.titles, title)
        if whole is not None and whole.sureness != "guess":
            return None
        found = [quiet_match(self.titles, part) for part in parts]
        for match, part in zip(found, parts, strict=True):
            if match is None or (re.search(r"\d$", part) and match.sureness != "exact"):
                return None  # "Alien 5, Heat": a rating inside, not a list of titles
        return [f for f in found if f is not None]

    def _filters(self, text: str) -> list[Intent] | None:
        """Genre and year filters, alone or together: "only comedies from the 80s"."""
        years = find_years(text)
        rest = text
        intents: list[Intent] = []
        if years is not None:
            (span_start, span_end), start, end = years
            if start is not None and end is not None and start > end:
                start, end = end, start
            if any(y is not None and not 1900 <= y <= 2030 for y in (start, end)):
                return [Unknown(text, "Years go from 1900 to 2030, e.g. 'after 1990'.", ("after 1990", "the 90s"))]
            rest = f"{text[:span_start]} {text[span_end:]}".strip()
            rest = FILTER_NOISE_END.sub("", FILTER_NOISE_START.sub("", rest)).strip()
            if _key(rest) in YEAR_NEGATIONS:  # "nothing before 1970": from 1970 on
                if (start is None) == (end is None):
                    return None  # "no 80s": not one span of years
                return [YearRange(end + 1, None) if start is None else YearRange(None, start - 1)]
            intents.append(YearRange(start, end))
            if not rest:
                return intents
        genre_intent = genre_filter(rest)
        if genre_intent is None and intents and genres_of(rest) is not None:  # "comedies from the 80s"
            genre_intent = OnlyGenre(genres_of(rest) or ())
        if genre_intent is None:
            return None
        return [genre_intent, *intents]

    def _demographics(self, text: str) -> list[Intent] | None:
        key = _key(text)
        explicit = re.match(SELF + r"\b", key) is not None
        words = _strip_self(key).replace(",", " ").replace("/", " / ").split()
        words = [w for w in words if w not in ("and", "a", "an", "the", "as", "/", "aged", "age")]
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
            code = _occupation(rest, explicit or self.expecting is not None)
            if code is None:
                return None
            if not intents and not explicit and self._is_title(phrase):
                return None  # "Doctor" alone: more likely the start of a title
            intents.append(SetOccupation(code))
        if not explicit and len(words) == 1 and read_number(words[0]) is not None:
            return None  # a lone number: the numbers rule decided it is no age ("10" is a movie)
        return intents or None

    def _is_title(self, phrase: str) -> bool:
        """Whether the phrase names a movie well: "Doctor Dolittle" does, "teacher" barely does."""
        try:
            return self.titles.match(phrase).sureness != "guess"
        except TitleNotFound:
            return False
        except AmbiguousTitle:
            return True

    def _bare_title(self, text: str) -> list[Intent] | None:
        # "hated": a feeling, not Hate (1995); "I'm" (the rest of "I'm not into romance"): no title
        if _key(text) in THIS_WORDS or _key(text) in ANSWERS or _is_self(text):
            return None
        found = self.resolve(text, lambda title: title, bare=True)
        if found is not None and found.sureness == "guess" and genres_of(text) is not None:
            return None  # "a comedy", "scary": asked about as a genre, not guessed as The Kings of Comedy
        return [Mention(found.movie, sureness=found.sureness)] if found is not None else None

# -- small helpers --------------------------------------------------------------------------------


def _is_self(title: str) -> bool:
    """ "I'm", "im", "age": the start of something said about oneself, not a title ("I'm -5")."""
    return re.fullmatch(SELF + r"|i|me|my\s+age", _key(title)) is not None


def _rating_range(text: str, suggestions: tuple[str, ...] = ("Heat 4", "Heat 4.5", "help")) -> Unknown:
    return Unknown(text, "Ratings go from 0.5 (hated it) to 5 (loved it), in half stars.", suggestions)


def _occupation(words: list[str], said: bool) -> int | None:
    """The job in a few words: "teacher", "retired teacher" (retired); when said of oneself ("I'm a
    senior software engineer") or asked, also the end of the words ("software engineer", "sales")."""
    if "retired" in words or "retiree" in words:
        return 13
    for start in range(len(words) if said else 1):
        if start and len(" ".join(words[start:])) < MIN_JOB_CHARS:
            continue  # "it" in "loved it" is no writer
        try:
            return parse_occupation(" ".join(words[start:]))
        except ValueError:  # VocabularyError, or a vocabulary bug on odd digits ("²")
            continue
    return None


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
    key = re.sub(r"^(?:the\s+)?(.+?)(?:\s+one)?$", r"\1", key)  # "the 25-34 one"
    if key in AGE_LABELS:
        return SetAge(AGE_LABELS[key])
    if key in ("under 18", "<18", "minor", "kid", "teen", "teenager", "child"):
        return SetAge(1)
    if key in ("56 plus", "over 56", "56 or older", "senior"):
        return SetAge(56)
    match = re.fullmatch(r"(\d{1,3})\s*-\s*\d{1,3}|(.+?)(?:\s*(?:yo|y/o|years?(?:\s+old)?|yrs?))?", key)
    if match:
        value = read_number(match.group(1) or match.group(2))
        if value is not None and valid_age(value):
            return SetAge(age_bucket_for(int(value)), None if match.group(1) else int(value))
    return None


def _rating_answer(key: str) -> float | None:
    """ "4", "4.5", "4 stars", "4.5/5", "9/10", "★★★★", "loved it", "meh" -> a number (possibly out of
    range, or no half star)."""
    match = re.fullmatch(r"([★⭐*]{1,5})(½)?|(.+?)\s*(?:/\s*5|/\s*(10)|stars?|out\s+of\s+(?:5|(10)))?", key)
    if match and match.group(1):
        return len(match.group(1)) + (0.5 if match.group(2) else 0.0)
    value = read_number(match.group(3)) if match else None
    if value is not None:
        return out_of_ten(value) if match and (match.group(4) or match.group(5)) else value
    key = re.sub(r"^(?:i\s+)?(?:(?:really|totally|absolutely|kinda|just|truly)\s+)?", "", key)
    key = re.sub(r"\s+(?:it|that|this|that one|this one)(?:\s+(?:a\s+lot|so\s+much))?$", "", key)
    key = re.sub(r"^(?:it\s+)?(?:was|is)\s+(?:(?:really|so|pretty|just|quite|a|an)\s+)*", "", key)
    return ANSWERS.get(key)


_ROMAN = {"II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7", "VIII": "8", "IX": "9"}


def _arabic(title: str) -> str:
    """ "Godfather: Part II" -> "Godfather: Part 2", "Alien³" -> "Alien3"."""
    title = unicodedata.normalize("NFKC", title)
    return re.sub(r"\b(?:II|III|IV|V|VI|VII|VIII|IX)\b", lambda m: _ROMAN[m.group(0)], title)


def _examples_for(text: str) -> tuple[str, ...]:
    key = _key(text)
    if re.search(r"\d", key):
        return ("I'm 34", "Heat 4", "from the 80s", "help")
    if key.startswith(("why", "how", "what")):
        return ("why Brazil?", "more like Alien", "help")
    return ("loved Alien", "no horror", "from the 80s", "help")
