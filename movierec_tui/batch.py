"""Recommendations for scripts: a profile as a JSON object in, a result object out.

`recommend --json` prints one result object (`result_object`); `recommend --batch FILE.jsonl` reads
one profile object per line and writes one result object per line (`run_batch`), all in one process
so that the model, the stores and the title index are loaded once. A profile object is what
`--json` prints under "profile", written as forgivingly as the flags: ratings keyed by movie id
("246", "id:246") or by title ("Toy Story", "Alien 1979"), in half stars; ages as years (33) or
buckets; occupations and genres by name. A line that cannot be read is reported as
`FILE:LINE: what` and the batch goes on; a store that is down stops it (StoreUnavailable).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from movierec_tui.engine import Recommendation, Recommender, Timings
from movierec_tui.profile import Profile, ProfileError
from movierec_tui.titles import AmbiguousTitle, TitleNotFound, newer_than_catalogue_hint
from movierec_tui.vocabulary import (
    VocabularyError,
    age_bucket_for,
    parse_age,
    parse_gender,
    parse_genre,
    parse_occupation,
    parse_stars,
)
from movierec_tui.wording import display_title

RESULT_SCHEMA = 1  # the result object's "schema"; fields are only ever added (README, `recommend`)

# What makes one line of a batch unusable; anything else (a store down, a bug) stops the batch.
LINE_ERRORS = (ProfileError, VocabularyError, TitleNotFound, AmbiguousTitle)
# Profiles answered together (`run_batch`): enough for most of a batch's profiles to share their
# filter's Milvus request, few enough that a script sees answers while it writes.
CHUNK = 1000


def resolve_title(recommender: Recommender, title: str) -> int:
    """The movie id a title (or "id:246") means; an unknown title says when the catalogue may be too
    old for it."""
    try:
        return recommender.titles.resolve(title).movie_id
    except TitleNotFound as exc:
        catalogue = recommender.catalogue
        if catalogue is not None:
            exc.hint = newer_than_catalogue_hint(title, catalogue.name, catalogue.year_max)
        raise


def movie_of(recommender: Recommender, key: str) -> int:
    """A ratings key of a profile object: a movie id ("246", as `--json` writes them, or "id:246"),
    else a title."""
    key = key.strip()
    return resolve_title(recommender, f"id:{key}" if key.isascii() and key.isdigit() else key)


def result_object(
    recommender: Recommender, profile: Profile, results: list[Recommendation], timings: Timings | None = None
) -> dict:
    """What `recommend --json` prints, and each line `--batch` writes (README, `recommend`); the
    timings are the last `recommend` call's unless given."""
    timings = timings or recommender.last_timings
    return {
        "schema": RESULT_SCHEMA,
        "model_version": recommender.model_version,
        "profile": json.loads(profile.to_json()),
        "results": [
            {
                "rank": rank,
                "movie_id": r.card.movie_id,
                "title": display_title(r.card.title),
                "movielens_title": r.card.title,
                "year": r.card.year,
                "genres": list(r.card.genres),
                "score": round(r.score, 4),
                "predicted_rating": round(r.predicted_rating, 2),
                "mean_rating": round(r.card.mean_rating, 3),
                "rating_count": r.card.rating_count,
                "reason": r.reason,
                "because_of": r.because_of,
            }
            for rank, r in enumerate(results, start=1)
        ],
        "timings_ms": {
            name: round(getattr(timings, name), 3) for name in ("encode", "match", "search", "cards", "total")
        },
    }


def profile_from_object(data: object, movie_id: Callable[[str], int]) -> Profile:
    """The Profile a JSON object describes; `movie_id` turns a ratings key (id or title) into a movie
    id. Raises ProfileError naming the field (or TitleNotFound / AmbiguousTitle for a title)."""
    if not isinstance(data, dict):
        raise ProfileError(f"expected a JSON object (a profile, as `recommend --json` prints it), got {_kind(data)}")
    known = Profile.__dataclass_fields__
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ProfileError(f"unknown field {unknown[0]!r} (a profile has {', '.join(known)})")
    fields = dict(data)
    fields["gender"] = _field("gender", fields.get("gender"), parse_gender)
    fields["age"] = _field("age", fields.get("age"), _age)
    fields["occupation"] = _field("occupation", fields.get("occupation"), lambda v: parse_occupation(str(v)))
    for name in ("genres_in", "genres_out"):
        fields[name] = list(dict.fromkeys(_field(name, g, parse_genre) for g in _list(name, fields.get(name))))
    for name in ("dismissed", "watchlist", "seen"):  # movie ids, or titles as for the ratings
        fields[name] = [_movie(name, m, movie_id) for m in _list(name, fields.get(name))]
    ratings = _ratings(fields.pop("ratings", None), movie_id)
    both = set(fields["genres_in"]) & set(fields["genres_out"])
    if both:
        raise ProfileError(f"genres_in and genres_out both have {min(both)!r}")
    low, high = fields.get("year_min"), fields.get("year_max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        raise ProfileError(f"year_min {low} is after year_max {high}")
    # Every other field, and the types of these, as a saved profile is checked. The ratings are
    # checked here (half stars), and set after.
    profile = Profile.from_json(json.dumps(fields))
    profile.ratings = ratings
    return profile


def _ratings(value: object, movie_id: Callable[[str], int]) -> dict[int, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProfileError(f"ratings: expected an object of movie (id or title) -> stars, got {_kind(value)}")
    ratings: dict[int, float] = {}
    named: dict[int, str] = {}
    for key, stars in value.items():
        where = f"ratings[{key!r}]"
        if isinstance(stars, bool) or not isinstance(stars, int | float | str):
            raise ProfileError(f"{where}: expected stars 0.5..5, got {_kind(stars)}")
        value_stars = _field(where, str(stars), parse_stars)
        movie = _movie("ratings", key, movie_id)
        if movie in ratings and ratings[movie] != value_stars:
            twice = f"{named[movie]!r} and {key!r} are the same movie"
            raise ProfileError(f"ratings: {twice}, rated {ratings[movie]:g} and {value_stars:g}")
        ratings[movie], named[movie] = value_stars, key
    return ratings


def _field(name: str, value, parse: Callable):
    """`parse(value)`, or None for None; a VocabularyError becomes a ProfileError naming the field."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProfileError(f"{name}: expected a value, got {_kind(value)}")
    try:
        return parse(value)
    except VocabularyError as exc:
        raise ProfileError(f"{name}: {exc}") from None


def _age(value: int | float | str) -> int:
    """A number of years, a bucket code (the lowest age of its range: the same bucket) or a label."""
    if isinstance(value, int):
        return age_bucket_for(value)
    if isinstance(value, float):
        raise VocabularyError(f"age must be a whole number of years, got {value!r}")
    return parse_age(value)


def _movie(name: str, key: object, movie_id: Callable[[str], int]) -> int:
    if isinstance(key, bool) or not isinstance(key, int | str):
        raise ProfileError(f"{name}: expected a movie id or title, got {_kind(key)}")
    try:
        return movie_id(str(key))
    except (TitleNotFound, AmbiguousTitle) as exc:
        raise ProfileError(f"{name}: {exc}") from None


def _list(name: str, value: object) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ProfileError(f"{name}: expected a list, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    """A JSON value's kind as a person reads it: "a list", "text 'x'", "the number 7"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"the number {value!r}"


@dataclass
class BatchOutcome:
    written: int = 0  # result objects
    failed: list[int] = field(default_factory=list)  # line numbers that got an error object

    @property
    def read(self) -> int:
        """Profile lines read (blank lines are not profiles)."""
        return self.written + len(self.failed)


def run_batch(
    recommender: Recommender,
    lines: Iterable[bytes],
    source: str,
    k: int,
    write: Callable[[str], None],
    warn: Callable[[str], None],
    more_waiting: Callable[[], bool] = lambda: True,
) -> BatchOutcome:
    """One result object per profile line (blank lines are skipped), in the lines' order, with the
    line's number under "line". A line that cannot be used gets {"line": N, "error": "SOURCE:N:
    what"} instead, also passed to `warn`, and the batch goes on.

    Profiles are answered CHUNK at a time (`Recommender.recommend_many`: one Milvus request per
    filter of a chunk, not one per profile), and a chunk's lines are written when it is answered.
    `more_waiting` says whether another line can be read without waiting for its writer (a pipe
    whose script waits for an answer): if not, the lines read so far are answered first."""
    outcome = BatchOutcome()
    movie_id = _cached(lambda key: movie_of(recommender, key))
    chunk: list[tuple[int, Profile | str]] = []  # (line number, its profile or its error message)
    for number, raw in enumerate(lines, start=1):
        item = _read_line(number, raw, source, movie_id)
        if item is not None:
            chunk.append((number, item))
        if len(chunk) >= CHUNK or (chunk and not more_waiting()):
            _answer_chunk(recommender, chunk, k, write, warn, outcome)
            chunk = []
    _answer_chunk(recommender, chunk, k, write, warn, outcome)
    return outcome


def _read_line(number: int, raw: bytes, source: str, movie_id: Callable[[str], int]) -> Profile | str | None:
    """The profile on a line, or the line's error message ("SOURCE:N: what"), or None if blank."""
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return f"{source}:{number}: not UTF-8 text (byte {exc.start + 1})"
    if not text.strip():
        return None
    try:
        return profile_from_object(_json(text), movie_id)
    except LINE_ERRORS as exc:
        return f"{source}:{number}: {exc}"


def _answer_chunk(
    recommender: Recommender,
    chunk: list[tuple[int, Profile | str]],
    k: int,
    write: Callable[[str], None],
    warn: Callable[[str], None],
    outcome: BatchOutcome,
) -> None:
    profiles = [item for _, item in chunk if isinstance(item, Profile)]
    answers = iter(recommender.recommend_many(profiles, k))
    for number, item in chunk:
        if isinstance(item, str):
            warn(item)
            write(json.dumps({"line": number, "error": item}, ensure_ascii=False))
            outcome.failed.append(number)
            continue
        results, timings = next(answers)
        write(json.dumps({"line": number, **result_object(recommender, item, results, timings)}, ensure_ascii=False))
        outcome.written += 1


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ProfileError("not valid JSON: nested too deeply") from None


def _cached(movie_id: Callable[[str], int]) -> Callable[[str], int]:
    """Scripts rate the same few titles over and over: each is resolved once per batch (failures
    are not kept, they raise again)."""
    known: dict[str, int] = {}

    def lookup(key: str) -> int:
        if key not in known:
            known[key] = movie_id(key)
        return known[key]

    return lookup

