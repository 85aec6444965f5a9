"""Forgiving resolution of what a person typed to a MovieLens movie.

Pure: no I/O, no stores. Build a :class:`TitleIndex` once from :class:`TitleEntry` rows, then call
:meth:`TitleIndex.resolve` (one movie or an exception that explains itself) or
:meth:`TitleIndex.search` (a ranked list for a "find a title" box).

MovieLens ships titles with a trailing article ("Matrix, The", "Misérables, Les") and sometimes an
alternate title in parentheses ("Seven (Se7en)", "Postino, Il (The Postman)"). Matching works on
normalised keys: casefolded, accents stripped, apostrophes and full stops dropped, other punctuation
turned into spaces, the trailing article moved to the front. A leading English article in the query
is optional ("matrix" == "the matrix" == "Matrix, The").

``resolve`` tries these tiers in order and stops at the first that yields anything:

1. exact match on the main title (spaces optional: "xmen" == "X-Men"; "part"/"episode" before a
   number optional: "godfather 2" == "The Godfather: Part II") or on the whole shipped title;
2. exact match on an alternate title ("Se7en", "La Haine", "Das Boot");
3. the part before a colon ("Star Wars" -> "Star Wars: Episode IV - A New Hope");
4. prefix of a title ("godfather part" -> "The Godfather: Part II");
5. a run of whole words inside a title ("empire strikes back"), for queries of 4+ characters;
6. small typos: rapidfuzz ``ratio`` or, at a 5% discount, ``token_sort_ratio``, with a cut-off;
   a single slip (OSA distance 1) in a query of five or more characters always qualifies.

Within a tier several hits are resolved by popularity: the most rated one wins when it has at least
three times the ratings of the runner-up ("Titanic" means 1997, not 1953); otherwise the query is
ambiguous ("Hamlet"). In the colon tier the franchise original also wins when it is both the most
rated and the oldest ("Star Wars" -> Episode IV, whose own title was once just "Star Wars").
A trailing year ("Alien 1979", "Alien (1979)", "Alien from 1979") restricts candidates to that year;
as titles can end in a number ("Airport 1975", "Death Race 2000") the whole query is also tried as
a title.
"""

from __future__ import annotations

import bisect
import copy
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from movierec_tui.title_keys import cased_trailing_article as _cased_trailing_article
from movierec_tui.title_keys import compact as _compact
from movierec_tui.title_keys import norm as _norm
from movierec_tui.title_keys import numeral_variant
from movierec_tui.wording import display_title, front_article, split_alternates, title_with_year

__all__ = [
    "AmbiguousTitle",
    "TitleEntry",
    "TitleIndex",
    "TitleMatch",
    "TitleNotFound",
    "display_title",
]

MATCH_MEMO = 64  # at most this many of `TitleIndex.match`'s answers kept, by query
MAX_QUERY_CHARS = 200  # queries are cut to this before any work; no title is anywhere near as long
FUZZY_CUTOFF = 86.0  # score (0-100) a typo match needs
SEARCH_CUTOFF = 60.0  # looser, for the ranked list of search()
MIN_INSIDE_CHARS = 4  # words inside a title only count for queries at least this long
ONE_EDIT_MIN_CHARS = 5  # queries this long match a title one typo away ...
ONE_EDIT_SCORE = 90.0  # ... with at least this score
FUZZY_MARGIN = 3.0  # hits within this many points of the best one count as a tie
WORD_CUTOFF = 75.0  # how alike two words must be to count as the same word in a typo
CLOSEST_CUTOFF = 40.0  # below this a title is not worth suggesting as "closest"
POPULARITY_FACTOR = 3  # the most rated hit wins a tie when it has >= 3x the ratings of the next
MAX_CANDIDATES = 10  # at most this many candidates are kept on an AmbiguousTitle
MAX_CLOSEST = 5  # at most this many candidates are kept on a TitleNotFound
MAX_YEAR_WINDOWS = 1000  # year windows whose typo choices an index keeps (a few KB each)
_ECHO_CHARS = 80  # the query is echoed in messages cut to this length
SURE_PREFIX_CHARS = 4  # a start of a title this long may be sure ...
SURE_COVER = 0.5  # ... when it covers at least this share of the title (same for words inside)
SURE_INSIDE_WORDS = 3  # this many words inside a title are sure whatever their share ("empire strikes back")
SURE_TYPO_CHARS = 6  # a typo match is sure only for a query this long, one slip away, first letter right

# Only English articles are optional in a query: "Die Hard" must not become "Hard".
_LEADING_ENGLISH_ARTICLE = re.compile(r"^\s*(?:the|an|a)\s+(?=\S)", re.IGNORECASE)

_AKA = re.compile(r"^\s*a\.?k\.?a\.?\s+", re.IGNORECASE)
# Words too common to say which title was meant, left out of the word overlap behind "closest".
_STOPWORDS = frozenset({"the", "and", "for", "from", "with", "les", "des", "der", "die", "das", "del"})
MIN_WORD_CHARS = 3
MAX_QUERY_WORDS = 6
_YEAR_SUFFIX = re.compile(
    r"^(?P<title>.*?\S)[\s,;:\-–—]*(?:\bfrom\s+)?[(\[]?\s*(?<!\d)(?P<year>(?:18|19|20)\d\d)\s*[)\]]?\s*$",
    re.DOTALL | re.IGNORECASE,
)  # "Alien 1979", "Alien (1979)", "alien, 1979", "Alien from 1979"


# Typo choices of some years: their positions among all choices, their keys, their sorted-word keys.
_Choices = tuple[np.ndarray, list[str], list[str]]


@dataclass(frozen=True)
class TitleEntry:
    movie_id: int
    title: str  # as MovieLens ships it, without the year: "Matrix, The"
    year: int | None  # None: the dataset gives no year
    popularity: int  # number of ratings; breaks ties


Sureness = Literal["exact", "confident", "guess"]
FoundBy = Literal["id", "title", "alternate", "head", "prefix", "inside", "typo"]


@dataclass(frozen=True)
class TitleMatch:
    """A resolved movie and how sure the match is: "exact" (the title or an alternate one, up to case,
    punctuation and an article), "confident" (a franchise head, most of a title, or a slip in a long
    word) or "guess" (a short start, a few words inside a longer title, a loose typo). A guess is
    never acted on without a yes."""

    movie: TitleEntry
    sureness: Sureness
    found_by: FoundBy = "title"  # the tier that found it: a "head" may be any of a franchise's movies


# "id:246": a movie by its id, the one way to reach either of two movies with the same title and year.
_BY_ID = re.compile(r"^\s*id\s*:\s*(?P<id>[0-9]{1,10})\s*$", re.IGNORECASE)
# The newest catalogue `setup --dataset` offers, and the year it ends in.
NEWEST_RELEASE, NEWEST_YEAR = "ml-32m", 2023


def newer_than_catalogue_hint(query: str, name: str, year_max: int | None) -> str | None:
    """For a title that is not in the catalogue: the hint that it may be newer than the catalogue,
    when the catalogue ends before the newest release and the query names no year it covers."""
    if year_max is None or year_max >= NEWEST_YEAR:
        return None
    readings = _readings(query)
    asked = readings[0].year if readings else None
    if asked is not None and asked <= year_max:
        return None
    return f"The catalogue ({name}) ends in {year_max}; try `setup --dataset {NEWEST_RELEASE}`"


class TitleNotFound(Exception):
    """Nothing matched well enough; ``candidates`` holds up to five closest titles."""

    def __init__(self, query: str, candidates: Sequence[TitleEntry] = (), hint: str | None = None) -> None:
        super().__init__(query, list(candidates))
        self.query = query
        self.candidates = list(candidates)
        self.hint = hint  # e.g. that the catalogue ends before the movie may have come out

    def __str__(self) -> str:
        message = f"no movie matches '{_echo(self.query)}'"
        if self.candidates:
            message += "; closest: " + ", ".join(_one_line(title_with_year(c)) for c in self.candidates)
        if self.hint:
            message += f". {self.hint}"
        return message


class AmbiguousTitle(Exception):
    """Several movies match about equally well; ``candidates`` lists them, best first."""

    def __init__(self, query: str, candidates: Sequence[TitleEntry]) -> None:
        super().__init__(query, list(candidates))
        self.query = query
        self.candidates = list(candidates)

    def __str__(self) -> str:
        same_title = len({_norm(c.title) for c in self.candidates}) <= 1
        same_year = same_title and len({c.year for c in self.candidates}) <= 1
        if same_year:  # two movies with one title and year: only their ids tell them apart
            names = ", ".join(f"{_one_line(title_with_year(c))} [id:{c.movie_id}]" for c in self.candidates)
            hint = "rate one by its id, e.g. id:" + str(self.candidates[0].movie_id)
        else:
            names = ", ".join(_one_line(title_with_year(c)) for c in self.candidates)
            hint = "add the year" if same_title else "be more specific or add the year"
        return f"'{_echo(self.query)}' is ambiguous: {names}; {hint}"


class TitleIndex:
    """Normalised keys for every title, built once. Lookups are dict hits, a bisect, a substring scan
    and, for typos, two vectorised rapidfuzz passes over a prepared list of choices."""

    def __init__(self, entries: Iterable[TitleEntry]) -> None:
        seen: set[int] = set()
        self._entries: list[TitleEntry] = []
        for entry in entries:
            if entry.movie_id not in seen:
                seen.add(entry.movie_id)
                self._entries.append(entry)

        self._full: list[str] = []  # "the matrix"
        self._bare: list[str] = []  # "matrix"
        self._with_article: list[set[str]] = []  # every title's full keys: "the matrix", "thematrix"
        self._exact: dict[str, list[int]] = {}  # full key and compact bare key -> entries
        self._alternate: dict[str, list[int]] = {}  # same, for alternate titles
        self._heads: dict[str, list[int]] = {}  # same, for the part before a colon
        prefix_pairs: set[tuple[str, int]] = set()
        choice_pairs: set[tuple[str, int]] = set()

        for i, entry in enumerate(self._entries):
            main, alternates = split_alternates(entry.title)
            full, bare = _title_keys(main)
            self._full.append(full)
            self._bare.append(bare)
            self._with_article.append({full, _compact(full)})
            _add_keys(self._exact, full, bare, i)
            prefix_pairs.update((key, i) for key in (full, bare) if key)
            choice_pairs.update((key, i) for key in _fuzzy_keys(full, bare))

            if alternates:  # the whole shipped title also matches: "Seven (Se7en)", "Hate (Haine, La)"
                whole_full, whole_bare = _title_keys(display_title(entry.title))
                _add_keys(self._exact, whole_full, whole_bare, i)
                self._with_article[i].update((whole_full, _compact(whole_full)))
                prefix_pairs.update((key, i) for key in (whole_full, whole_bare) if key)

            display_main, _ = front_article(main)
            if ":" in display_main:
                head_full, head_bare = _title_keys(display_main.split(":", 1)[0])
                _add_keys(self._heads, head_full, head_bare, i)

            spelt = numeral_variant(bare)  # "12 monkeys" for "Twelve Monkeys": one more alternate title
            for alternate in (*alternates, spelt) if spelt else alternates:
                alt = _AKA.sub("", alternate)
                alt_full, alt_bare = _title_keys(alt)
                _add_keys(self._alternate, alt_full, alt_bare, i)
                self._with_article[i].update((alt_full, _compact(alt_full)))
                prefix_pairs.update((key, i) for key in (alt_full, alt_bare) if key)
                choice_pairs.update((key, i) for key in _fuzzy_keys(alt_full, alt_bare))

        # Word overlap for the "closest" suggestions: "matrx reloaded" should still suggest The Matrix.
        self._title_words = [_content_words(bare) for bare in self._bare]
        word_entries: dict[str, list[int]] = {}
        for i, words in enumerate(self._title_words):
            for word in words:
                word_entries.setdefault(word, []).append(i)
        self._vocab = sorted(word_entries)
        self._word_entries = [word_entries[word] for word in self._vocab]

        # All full keys in one string, for finding a run of words inside any title with str.find.
        self._haystack = "".join(f"\n {full} " for full in self._full)
        self._starts = [0] * len(self._full)
        pos = 0
        for i, full in enumerate(self._full):
            self._starts[i] = pos
            pos += len(full) + 3
        ordered = sorted(prefix_pairs)
        self._prefix_keys = [key for key, _ in ordered]
        self._prefix_idx = [i for _, i in ordered]

        choices = sorted(choice_pairs)
        self._choices = [key for key, _ in choices]
        self._sorted_choices = [_sorted_words(key) for key in self._choices]
        self._choice_idx = np.array([i for _, i in choices], dtype=np.int64)
        self._choice_year = np.array([_year_key(self._entries[i].year) for _, i in choices], dtype=np.int64)
        self._by_id = {entry.movie_id: i for i, entry in enumerate(self._entries)}
        self._memo: dict[str, TitleMatch | TitleNotFound | AmbiguousTitle] = {}  # `match`'s answers
        self._year_choices: dict[tuple[int, ...], _Choices] = {}  # filled by _choices_of

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[TitleEntry]:
        """Every movie in the index, in the order given."""
        return list(self._entries)

    # -- resolve ---------------------------------------------------------------------------------

    def resolve(self, query: str) -> TitleEntry:
        """The one movie the query means; raises TitleNotFound or AmbiguousTitle. "id:246" is movie 246."""
        return self.match(query).movie

    def match(self, query: str) -> TitleMatch:
        """Like :meth:`resolve`, and how sure the match is (see :class:`TitleMatch`): the chat acts at
        once on an "exact" or "confident" match and asks first about a "guess".

        The answers to recent queries are kept (up to MATCH_MEMO) (the index never changes): one chat
        message asks about the same words several times (is it a list request? a rating of the whole
        title?), and a typo scan of every title costs milliseconds, for every rating typed by every
        session a server holds."""
        outcome = self._memo.get(query)
        if outcome is None:
            try:
                outcome = self._match(query)
            except (TitleNotFound, AmbiguousTitle) as exc:
                outcome = exc
            if len(query) <= MAX_QUERY_CHARS:  # a pasted page is not kept
                if len(self._memo) >= MATCH_MEMO:
                    self._memo.clear()  # start afresh (no iteration: other threads may match too)
                self._memo[query] = outcome
        if isinstance(outcome, TitleMatch):  # frozen: safe to hand out again
            return outcome
        # A fresh exception each time: a caller may add to it (batch.py sets `hint`), and a raised one
        # carries its traceback along into the next raise.
        fresh = copy.copy(outcome)
        fresh.candidates = list(outcome.candidates)
        raise fresh

    def _match(self, query: str) -> TitleMatch:
        by_id = _BY_ID.match(query)
        if by_id:
            if int(by_id["id"]) not in self._by_id:
                raise TitleNotFound(query, [])
            return TitleMatch(self._entries[self._by_id[int(by_id["id"])]], "exact", "id")
        readings = _readings(query)
        if not readings:
            raise TitleNotFound(query, [])

        tiers = (
            (self._exact_hits, "title"),
            (self._alternate_hits, "alternate"),
            (self._head_hits, "head"),
            (self._prefix_hits, "prefix"),
            (self._inside_hits, "inside"),
        )
        for tier, found_by in tiers:
            for reading in readings:
                hits = tier(reading)
                if hits:
                    movie = self._decide(query, hits, franchise=found_by == "head")
                    return TitleMatch(movie, self._sureness(found_by, reading, movie), found_by)

        # Typos: only the first reading, so "Alien 1980" does not fuzzily turn into "Alien" (1979).
        first = readings[0]
        scores = self._scores(first.bare)
        typo_hits = self._ranked(scores, FUZZY_CUTOFF - FUZZY_MARGIN, first.year)
        if typo_hits and typo_hits[0][1] >= FUZZY_CUTOFF:
            best = typo_hits[0][1]
            movie = self._decide(query, [i for i, score in typo_hits if score >= best - FUZZY_MARGIN])
            title = self._bare[self._by_id[movie.movie_id]]
            sure = (
                len(first.bare) >= SURE_TYPO_CHARS
                and best >= ONE_EDIT_SCORE
                and first.bare[:1] in (title[:1], self._full[self._by_id[movie.movie_id]][:1])
                and re.findall(r"\d+", title) == re.findall(r"\d+", first.bare)  # "alien 5" is not Alien³
            )
            return TitleMatch(movie, "confident" if sure else "guess", "typo")

        raise TitleNotFound(query, self._closest(first.bare, scores))

    def _sureness(self, found_by: FoundBy, reading: _Reading, movie: TitleEntry) -> Sureness:
        """How sure a match is: the whole title (or an alternate one) is "exact"; the part before a
        colon, the part after it ("the phantom menace"), a long enough start of a title that ends
        where a word does, or a run of words covering enough of it is "confident"; a short start, a
        start ending inside a word ("heath" -> "Heathers") or a word or two inside a long title
        ("im" -> "Immortal Beloved", "seventeen" -> "Edge of Seventeen") is a "guess"."""
        if found_by in ("title", "alternate"):
            return "exact"
        if found_by == "head" or reading.bare in _tail_keys(movie.title):
            return "confident"
        i = self._by_id[movie.movie_id]
        title = self._bare[i]
        covered = len(reading.bare) / max(1, len(title))
        whole_words = f"{title} ".startswith(f"{reading.bare} ") or f"{self._full[i]} ".startswith(f"{reading.full} ")
        if found_by == "prefix" and len(reading.bare) >= SURE_PREFIX_CHARS and covered >= SURE_COVER and whole_words:
            return "confident"
        words = len(reading.bare.split())
        if found_by == "inside" and (words >= SURE_INSIDE_WORDS or (words >= 2 and covered >= SURE_COVER)):
            return "confident"
        return "guess"

    def _decide(self, query: str, hits: list[int], *, franchise: bool = False) -> TitleEntry:
        ranked = sorted(set(hits), key=self._popularity_order)
        if len(ranked) == 1:
            return self._entries[ranked[0]]
        top, runner_up = self._entries[ranked[0]], self._entries[ranked[1]]
        clearly_more = top.popularity >= POPULARITY_FACTOR * runner_up.popularity
        if top.popularity > runner_up.popularity and clearly_more:
            return top
        later = all(_year_key(self._entries[i].year) > _year_key(top.year) for i in ranked[1:])
        if franchise and top.popularity > 0 and later:
            return top
        candidates = [self._entries[i] for i in ranked[:MAX_CANDIDATES]]
        if len({self._full[i] for i in ranked[:MAX_CANDIDATES]}) == 1:
            candidates.sort(key=lambda c: (_year_key(c.year), -c.popularity, c.movie_id))  # "Hamlet (1990), ..."
        raise AmbiguousTitle(query, candidates)

    def _popularity_order(self, i: int) -> tuple[int, int, str, int]:
        entry = self._entries[i]
        return (-entry.popularity, _year_key(entry.year), self._full[i], entry.movie_id)

    def _filter_year(self, hits: Iterable[int], year: int | None) -> list[int]:
        if year is None:
            return list(dict.fromkeys(hits))
        return [i for i in dict.fromkeys(hits) if self._entries[i].year == year]

    def _lookup(self, table: dict[str, list[int]], reading: _Reading) -> list[int]:
        hits: list[int] = []
        for key in reading.lookup_keys:
            hits.extend(table.get(key, ()))
        hits = self._filter_year(hits, reading.year)
        if reading.has_article:
            # "The Heat" prefers a title that really starts with "The" over plain "Heat".
            full_hits = [i for i in hits if self._full[i] == reading.full]
            if full_hits:
                return full_hits
        return hits

    def _exact_hits(self, reading: _Reading) -> list[int]:
        return self._lookup(self._exact, reading)

    def _alternate_hits(self, reading: _Reading) -> list[int]:
        return self._lookup(self._alternate, reading)

    def _head_hits(self, reading: _Reading) -> list[int]:
        return self._lookup(self._heads, reading)

    def _prefix_hits(self, reading: _Reading) -> list[int]:
        hits: list[int] = []
        for key in dict.fromkeys((reading.full, reading.bare)):
            start = bisect.bisect_left(self._prefix_keys, key)
            for pos in range(start, len(self._prefix_keys)):
                if not self._prefix_keys[pos].startswith(key):
                    break
                hits.append(self._prefix_idx[pos])
        return self._filter_year(hits, reading.year)

    def _inside_hits(self, reading: _Reading) -> list[int]:
        """Whole words inside a title: "empire strikes back" -> "Star Wars: Episode V - ..."."""
        if len(reading.bare) < MIN_INSIDE_CHARS:
            return []
        return self._filter_year(self._find(f" {reading.bare} "), reading.year)

    def _find(self, needle: str) -> list[int]:
        """Entries whose padded full key (" the matrix ") contains the needle, in index order."""
        hits: list[int] = []
        pos = self._haystack.find(needle)
        while pos >= 0:
            i = bisect.bisect_right(self._starts, pos) - 1
            hits.append(i)
            next_start = self._starts[i + 1] if i + 1 < len(self._starts) else len(self._haystack)
            pos = self._haystack.find(needle, next_start)
        return hits

    def _scores(self, key: str, subset: _Choices | None = None) -> np.ndarray:
        """Typo score of every choice (or of a subset's): plain edit similarity, or word-order-free at
        a small discount."""
        choices, sorted_choices = (self._choices, self._sorted_choices) if subset is None else subset[1:]
        if not key or not choices:
            return np.zeros(len(choices), dtype=np.float32)
        scores = process.cdist([key], choices, scorer=fuzz.ratio, dtype=np.float32)[0]
        if " " in key:  # word order cannot matter for one word
            # token_sort_ratio, with the choices' words sorted once in __init__ instead of per call.
            unordered = process.cdist(
                [_sorted_words(key)], sorted_choices, scorer=fuzz.ratio, dtype=np.float32
            )[0]
            scores = np.maximum(scores, unordered * np.float32(0.95))
        if len(key) >= ONE_EDIT_MIN_CHARS:
            # One slip (a wrong, missing, extra or swapped letter) always counts: "titanik", "alein".
            # The Indel ratio alone would reject those on short titles.
            edits = process.cdist([key], choices, scorer=OSA.distance, score_cutoff=1, dtype=np.int32)
            scores = np.where(edits[0] <= 1, np.maximum(scores, np.float32(ONE_EDIT_SCORE)), scores)
        return scores

    def _ranked(
        self, scores: np.ndarray, cutoff: float, year: int | None, limit: int | None = None
    ) -> list[tuple[int, float]]:
        """(entry, best score) with score >= cutoff, best first, ties broken by popularity."""
        mask = scores >= cutoff
        if year is not None:
            mask &= self._choice_year == year
        positions = np.flatnonzero(mask)
        if limit is not None and len(positions) > 3 * limit:  # keep the sort small on loose cut-offs
            top = np.argpartition(-scores[positions], 3 * limit)[: 3 * limit]
            positions = positions[top]
        best: dict[int, float] = {}
        for pos in positions.tolist():
            i = int(self._choice_idx[pos])
            score = float(scores[pos])
            if score > best.get(i, -1.0):
                best[i] = score
        ranked = sorted(best.items(), key=lambda item: (-round(item[1], 3), *self._popularity_order(item[0])))
        return ranked if limit is None else ranked[:limit]

    def _closest(self, key: str, scores: np.ndarray) -> list[TitleEntry]:
        """Suggestions for a query that matched nothing: the better of whole-string similarity and
        word overlap (2/3 how much of the title the query covers, 1/3 how much of the query the
        title covers, each word fuzzily), nudged towards popular titles."""
        best = dict(self._ranked(scores, CLOSEST_CUTOFF, None, limit=2 * MAX_CLOSEST))
        query_words = _content_words(key)[:MAX_QUERY_WORDS]
        covered_query: dict[int, dict[str, float]] = {}  # entry -> query word -> best similarity
        covered_title: dict[int, dict[str, float]] = {}  # entry -> title word -> best similarity
        if query_words and self._vocab:
            similar = process.cdist(
                query_words, self._vocab, scorer=fuzz.ratio, score_cutoff=WORD_CUTOFF, dtype=np.float32
            )
            for row, pos in zip(*np.nonzero(similar), strict=True):
                word, title_word = query_words[row], self._vocab[pos]
                similarity = float(similar[row, pos])
                for i in self._word_entries[pos]:
                    by_query = covered_query.setdefault(i, {})
                    by_query[word] = max(by_query.get(word, 0.0), similarity)
                    by_title = covered_title.setdefault(i, {})
                    by_title[title_word] = max(by_title.get(title_word, 0.0), similarity)
        for i, by_title in covered_title.items():
            title_share = sum(by_title.values()) / len(self._title_words[i])
            query_share = sum(covered_query[i].values()) / len(query_words)
            best[i] = max(best.get(i, 0.0), (2 * title_share + query_share) / 3)
        ranked = sorted(
            (i for i, score in best.items() if score >= CLOSEST_CUTOFF),
            key=lambda i: (-(best[i] + 1.5 * math.log10(1 + max(self._entries[i].popularity, 0))), i),
        )
        return [self._entries[i] for i in ranked[:MAX_CLOSEST]]

    # -- strict lookups: what an import may match, with no guessing by popularity ------------------

    def same_title(self, title: str, keep_article: bool = False) -> list[TitleEntry]:
        """Every movie, of any year, whose title is `title` up to case, accents, punctuation and an
        article: its main title, the whole shipped title or an alternate one ("Se7en", "Il Postino").
        The text is one title: a trailing number stays part of it ("Blade Runner 2049").
        `keep_article`: the leading article must agree too ("Fear" is then not "The Fear")."""
        reading = _reading(_cased_trailing_article(title), None)
        if reading is None:
            return []
        hits = dict.fromkeys(self._exact_hits(reading) + self._alternate_hits(reading))
        if keep_article:
            keys = {reading.full, _compact(reading.full)}
            hits = {i: None for i in hits if keys & self._with_article[i]}
        return [self._entries[i] for i in hits]

    def same_head(self, title: str) -> list[TitleEntry]:
        """Movies whose title before a colon is `title` ("Star Wars": every "Star Wars: Episode ...")."""
        reading = _reading(title, None)
        return [self._entries[i] for i in self._head_hits(reading)] if reading is not None else []

    def spelled_alike(
        self, title: str, years: Iterable[int] | None = None, limit: int = MAX_CLOSEST
    ) -> list[TitleEntry]:
        """Up to `limit` movies whose title is a typo or two away from `title`, best first, only of
        `years` when given: suggestions to offer, never a match to act on. Scores only the titles of
        those years, so it stays fast on a large catalogue."""
        reading = _reading(title, None)
        if reading is None or not self._choices:
            return []
        subset = None if years is None else self._choices_of(tuple(sorted(set(years))))
        if subset is not None and not len(subset[0]):
            return []
        scores = self._scores(reading.bare, subset)
        if subset is not None:
            everywhere = np.full(len(self._choices), -1.0, dtype=np.float32)
            everywhere[subset[0]] = scores
            scores = everywhere
        return [self._entries[i] for i, _ in self._ranked(scores, FUZZY_CUTOFF - FUZZY_MARGIN, None, limit=limit)]

    def _choices_of(self, years: tuple[int, ...]) -> _Choices:
        """The typo choices of those years (positions, keys, sorted-word keys), kept: an import asks
        for the same few year windows over and over."""
        subset = self._year_choices.get(years)
        if subset is None:
            positions = np.flatnonzero(np.isin(self._choice_year, years))
            picked = positions.tolist()
            subset = (positions, [self._choices[p] for p in picked], [self._sorted_choices[p] for p in picked])
            if len(self._year_choices) < MAX_YEAR_WINDOWS:
                self._year_choices[years] = subset
        return subset

    # -- search ----------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 10) -> list[TitleEntry]:
        """Best candidates first: exact, then prefix (by popularity), then words inside a title, then
        typo matches by score. An empty query gives []. "Airport 1975" is read both as a title in 1975
        and as a title of its own; each movie keeps its better rank."""
        if limit <= 0:
            return []
        rank: dict[int, tuple[int, float]] = {}
        for reading in _readings(query):
            for i, (tier, score) in self._search_reading(reading, limit).items():
                if i not in rank or (tier, -score) < (rank[i][0], -rank[i][1]):
                    rank[i] = (tier, score)
        ordered = sorted(rank, key=lambda i: (rank[i][0], -rank[i][1], *self._popularity_order(i)))
        return [self._entries[i] for i in ordered[:limit]]

    def _search_reading(self, reading: _Reading, limit: int) -> dict[int, tuple[int, float]]:
        """entry -> (tier, score); lower tiers and higher scores rank first."""
        rank: dict[int, tuple[int, float]] = {}

        def offer(hits: Iterable[int], tier: int, score: float = 100.0) -> None:
            for i in hits:
                if i not in rank or (tier, -score) < (rank[i][0], -rank[i][1]):
                    rank[i] = (tier, score)

        offer(self._exact_hits(reading), 0)
        offer(self._alternate_hits(reading), 1)
        offer(self._head_hits(reading), 2)
        offer(self._prefix_hits(reading), 2)
        # Word starts inside the title, so "/ wars" finds every Star Wars while typing.
        offer(self._filter_year(self._find(f" {reading.bare}"), reading.year), 3)
        if len(rank) < limit:
            scores = self._scores(reading.bare)
            for i, score in self._ranked(scores, SEARCH_CUTOFF, reading.year, limit=limit + len(rank)):
                offer((i,), 4, score)
        return rank


# -- helpers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """One way to read a query: its keys and an optional year."""

    full: str
    bare: str
    year: int | None

    @property
    def has_article(self) -> bool:
        return self.bare != self.full

    @property
    def lookup_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.full, _compact(self.full), self.bare, _compact(self.bare))))


def _readings(query: str) -> list[_Reading]:
    """The year-qualified reading first ("Alien 1979" -> "alien", 1979), then the whole query as a
    title ("Airport 1975"). Empty when nothing searchable is left."""
    text = str(query)[:MAX_QUERY_CHARS]
    readings: list[_Reading] = []
    match = _YEAR_SUFFIX.match(text)
    if match:
        reading = _reading(match.group("title"), int(match.group("year")))
        if reading is not None:
            readings.append(reading)
    whole = _reading(text, None)
    if whole is not None:
        readings.append(whole)
    return readings


def _reading(text: str, year: int | None) -> _Reading | None:
    text = display_title(text)  # a query may be typed the MovieLens way: "Big Green, The"
    full = _norm(text)
    if not full:
        return None
    bare = _norm(_LEADING_ENGLISH_ARTICLE.sub("", text)) or full
    return _Reading(full, bare, year)


def _title_keys(title: str) -> tuple[str, str]:
    """(full, bare) keys of a title without its alternates: "Matrix, The" -> ("the matrix", "matrix")."""
    display, rest = front_article(title)
    full = _norm(display)
    bare = _norm(rest) if rest is not None else _norm(_LEADING_ENGLISH_ARTICLE.sub("", display))
    return full, bare or full


def _tail_keys(title: str) -> tuple[str, ...]:
    """Keys of a title's own name after its series ("Star Wars: Episode I - The Phantom Menace" ->
    "the phantom menace", "phantom menace"); none for a title without one."""
    main, _ = split_alternates(title)
    display, _ = front_article(main)
    parts = re.split(r":\s+|\s+-\s+", display)
    return _title_keys(parts[-1]) if len(parts) > 1 else ()


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


def _content_words(key: str) -> list[str]:
    """Distinctive words of a key, in order, without repeats."""
    words = (w for w in key.split() if len(w) >= MIN_WORD_CHARS and w not in _STOPWORDS)
    return list(dict.fromkeys(words))


def _fuzzy_keys(full: str, bare: str) -> tuple[str, ...]:
    """Typos are matched against both forms: "godfathr" meets "godfather", "th exorcist" meets
    "the exorcist" and "les miserabls" meets "les miserables"."""
    return tuple(key for key in dict.fromkeys((bare, full)) if key)


def _add_keys(table: dict[str, list[int]], full: str, bare: str, i: int) -> None:
    for key in dict.fromkeys((full, _compact(bare))):
        if key:
            bucket = table.setdefault(key, [])
            if i not in bucket:
                bucket.append(i)


def _one_line(text: str) -> str:
    """Control, format and separator characters (newlines included) become single spaces."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(cleaned.split())


def _echo(query: str) -> str:
    text = _one_line(str(query)[: _ECHO_CHARS * 4])
    return text if len(text) <= _ECHO_CHARS else text[: _ECHO_CHARS - 1] + "…"


def _year_key(year: int | None) -> int:
    """A year for sorting and comparing; a movie without one sorts first and matches no asked year."""
    return -1 if year is None else year
