"""Intents applied to a profile: the new profile, a few words on what changed, and what to say when
nothing did."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass

from movierec_tui.catalogue import AGE_BUCKETS, OCCUPATIONS
from movierec_tui.chat.intents import (
    AllowGenre,
    ClearFilters,
    Dismiss,
    ExcludeGenre,
    Forget,
    Intent,
    Mainstream,
    OnlyGenre,
    PutOnList,
    Rate,
    Reset,
    SetAge,
    SetGender,
    SetOccupation,
    TakeOffList,
    YearRange,
)
from movierec_tui.chat.numbers import rating_words
from movierec_tui.profile import ListName, Profile
from movierec_tui.titles import TitleEntry
from movierec_tui.wording import (
    GENDER_LABELS,
    Titled,
    describe_novelty,
    describe_years,
    join_words,
    stars,
    title_of,
    title_with_year,
)

UNDO_HINT = "undo with ctrl+z"
_LIST_NAMES: dict[ListName, str] = {"watchlist": "watchlist", "seen": "seen list"}


@dataclass(frozen=True)
class Edit:
    """A profile after an intent, and a few words on what changed (for the chat and the hint)."""

    profile: Profile
    summary: str
    changed: bool = True
    done: str = ""  # what was understood and done, as the chat says it ("Rated Alien (1979) 5★")

    @property
    def echo(self) -> str:
        """The chat's answer to an edit: what was understood, and how to take it back."""
        done = self.done or self.summary[:1].upper() + self.summary[1:]
        return f"{done} — {UNDO_HINT}"


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
            return Edit(new, GENDER_LABELS[gender], new.gender != profile.gender)
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
            new.unlisted(movie.movie_id)  # rated: seen, and no longer to watch
            changed = new != profile
            done = f"Rated {title_with_year(movie)} {rating_words(rating)}"
            return Edit(new, f"{title_with_year(movie)} {stars(rating)}", changed, done)
        case Forget(movie=movie):
            removed = new.ratings.pop(movie.movie_id, None) is not None
            undismissed = movie.movie_id in new.dismissed
            if undismissed:
                new.dismissed.remove(movie.movie_id)
            done = f"Forgot your rating of {title_with_year(movie)}" if removed else ""
            return Edit(new, f"forgot {title_with_year(movie)}", removed or undismissed, done)
        case PutOnList(movie=TitleEntry() as movie, name=name) | TakeOffList(movie=TitleEntry() as movie, name=name):
            return _listed(profile, movie, name, on=isinstance(intent, PutOnList))
        case Dismiss(movie=TitleEntry() as movie):
            if movie.movie_id not in new.dismissed:
                new.dismissed.append(movie.movie_id)
            return Edit(new, f"{title_with_year(movie)} dismissed", new != profile)
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
        case Mainstream(novelty=novelty, step=step):
            target = novelty if novelty is not None else profile.novelty + step
            new.novelty = round(min(1.0, max(0.0, target)), 2)
            return Edit(new, describe_novelty(new.novelty), new.novelty != profile.novelty,
                        _dial_done(profile.novelty, new.novelty))  # fmt: skip
        case Reset():
            return Edit(Profile(), "profile reset", Profile() != profile)
    return None


def _listed(profile: Profile, movie: TitleEntry, name: ListName, on: bool) -> Edit:
    """`movie` put on the list `name` (on) or taken off it: the watchlist and the seen list exclude
    each other (Profile.toggled), and a rated movie counts as seen already."""
    title = title_with_year(movie)
    there = movie.movie_id in getattr(profile, name)
    new = profile.toggled(name, movie.movie_id) if there != on else profile
    if name == "watchlist":
        also = " (and off the seen list)" if on and movie.movie_id in profile.seen else ""
        done = f"Put {title} on your watchlist{also}" if on else f"Took {title} off your watchlist"
        return Edit(new, f"{title} {'on' if on else 'off'} the watchlist", new != profile, done)
    also = " (and off the watchlist)" if on and movie.movie_id in profile.watchlist else ""
    done = f"Marked {title} as seen{also}" if on else f"{title} is no longer marked as seen"
    return Edit(new, f"{title} {'seen' if on else 'not seen after all'}", new != profile, done)


def _dial_done(before: float, after: float) -> str:
    """What the chat says when the mainstream dial moves: the new setting and how to go back."""
    if after == 0:
        return "Back to normal: ranked by your taste alone (the mainstream dial is at 0)"
    way = "Less mainstream" if after > before else "More popular"
    return f"{way}: the mainstream dial is at {after:g} of 1 (0 = by taste alone); say “back to normal” to reset"


def unchanged_message(intent: Intent, edit: Edit) -> str:
    """What to say when an intent leaves the profile as it was."""
    match intent:
        case PutOnList(movie=TitleEntry() as movie, name="seen") if movie.movie_id in edit.profile.ratings:
            rated = rating_words(edit.profile.ratings[movie.movie_id])
            return f"You rated {title_with_year(movie)} {rated}, so it counts as seen."
        case PutOnList(movie=TitleEntry() as movie, name=name):
            return f"{title_with_year(movie)} is on your {_LIST_NAMES[name]} already."
        case TakeOffList(movie=TitleEntry() as movie, name=name):
            return f"{title_with_year(movie)} was not on your {_LIST_NAMES[name]}."
        case Rate(movie=movie, rating=rating):
            return f"You already rated {title_with_year(movie)} {stars(rating)}."
        case Forget(movie=movie):
            return f"{title_with_year(movie)} was not rated or dismissed."
        case Dismiss(movie=TitleEntry() as movie):
            return f"{title_with_year(movie)} is already dismissed."
        case AllowGenre(genres=genres) if not set(genres) <= set(edit.profile.genres_in):
            # "show me comedies" when they are not hidden: "Already so: Comedy allowed" said nothing of
            # why none shows (an "only" filter) or of how to see only them
            named, shown = join_words(genres), join_words(edit.profile.genres_in)
            if edit.profile.genres_in:
                are = "is" if len(edit.profile.genres_in) == 1 else "are"
                return f"Only {shown} {are} shown: say “only {named.lower()}” or “clear filters” to see {named}."
            return (f"{named} {'is' if len(genres) == 1 else 'are'} not hidden: among your picks already. "
                    f"Say “only {named.lower()}” to see nothing else.")  # fmt: skip
        case Reset():
            return "The profile is empty already."
        case Mainstream():
            novelty = edit.profile.novelty
            if novelty == 0:
                return "Already ranked by your taste alone (mainstream dial 0); say “less mainstream” or “hidden gems”."
            if novelty == 1:
                return "The mainstream dial is at its least mainstream already (1 of 1); say “back to normal” to reset."
            return f"The mainstream dial is at {novelty:g} of 1 already."
    return f"Already so: {edit.summary}."


def describe_intent(intent: Intent) -> str:
    """A few words on what an intent would do, for "Did you mean: age 17 (Under 18)?"."""
    edit = apply_intent(Profile(), intent)
    return edit.summary if edit is not None else type(intent).__name__.lower()


def describe_change(before: Profile, after: Profile, movies: Mapping[int, Titled]) -> str:
    """What changed from `before` to `after`, in a few words, for "Undone: ..." (`movies`: the
    catalogue, for titles). Works for any edit, typed, pressed or loaded."""

    def name(movie_id: int) -> str:
        return title_of(movies, movie_id)

    parts: list[str] = []
    for movie_id, rating in after.ratings.items():
        if before.ratings.get(movie_id) != rating:
            parts.append(f"{name(movie_id)} {rating_words(rating)}")
    parts += [f"the rating of {name(m)}" for m in before.ratings if m not in after.ratings]
    parts += [f"{name(m)} dismissed" for m in after.dismissed if m not in before.dismissed]
    parts += [f"{name(m)} back" for m in before.dismissed if m not in after.dismissed]
    rated = {m for m in {*before.ratings, *after.ratings} if before.ratings.get(m) != after.ratings.get(m)}
    for listed, on, off in (("watchlist", "on the watchlist", "off the watchlist"), ("seen", "seen", "not seen")):
        was, now = getattr(before, listed), getattr(after, listed)
        parts += [f"{name(m)} {on}" for m in now if m not in was and m not in rated]
        parts += [f"{name(m)} {off}" for m in was if m not in now and m not in rated]
    for field, label in (("age", "age"), ("gender", "gender"), ("occupation", "occupation")):
        if getattr(before, field) != getattr(after, field):
            parts.append(f"the {label}")
    if (before.genres_in, before.genres_out) != (after.genres_in, after.genres_out):
        parts.append("the genre filter")
    if (before.year_min, before.year_max) != (after.year_min, after.year_max):
        parts.append("the years")
    if before.novelty != after.novelty:
        parts.append("the mainstream dial")
    if not parts and before != after:
        parts.append("the last change")
    return join_words(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")
