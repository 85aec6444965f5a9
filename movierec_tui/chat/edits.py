"""Intents applied to a profile: the new profile, a few words on what changed, and what to say when
nothing did."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from movierec_tui.catalogue import AGE_BUCKETS, OCCUPATIONS
from movierec_tui.chat.intents import (
    AllowGenre,
    ClearFilters,
    Dismiss,
    ExcludeGenre,
    Forget,
    Intent,
    OnlyGenre,
    Rate,
    Reset,
    SetAge,
    SetGender,
    SetOccupation,
    YearRange,
)
from movierec_tui.profile import Profile
from movierec_tui.wording import GENDER_LABELS, describe_years, join_words, stars, title_with_year


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
            return Edit(new, f"{title_with_year(movie)} {stars(rating)}", profile.ratings.get(movie.movie_id) != rating)
        case Forget(movie=movie):
            removed = new.ratings.pop(movie.movie_id, None) is not None
            undismissed = movie.movie_id in new.dismissed
            if undismissed:
                new.dismissed.remove(movie.movie_id)
            return Edit(new, f"forgot {title_with_year(movie)}", removed or undismissed)
        case Dismiss(movie=movie):
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
        case Reset():
            return Edit(Profile(), "profile reset", Profile() != profile)
    return None


def unchanged_message(intent: Intent, edit: Edit) -> str:
    """What to say when an intent leaves the profile as it was."""
    match intent:
        case Rate(movie=movie, rating=rating):
            return f"You already rated {title_with_year(movie)} {stars(rating)}."
        case Forget(movie=movie):
            return f"{title_with_year(movie)} was not rated or dismissed."
        case Dismiss(movie=movie):
            return f"{title_with_year(movie)} is already dismissed."
        case Reset():
            return "The profile is empty already."
    return f"Already so: {edit.summary}."
