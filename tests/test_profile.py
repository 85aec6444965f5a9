"""The profile's JSON form: half-star ratings, profiles saved by older versions, strict validation."""

from __future__ import annotations

import json

import pytest

from movierec_tui.profile import Profile, ProfileError, is_rating

# Written by Profile.to_json before ratings were half stars (main at 31c5d33): whole numbers, and the
# ratings sorted as strings ("1214" < "2571" < "6") although they were given 6, 1214, 2571.
SAVED_BEFORE_HALF_STARS = (
    '{"age": 25, "dismissed": [1], "gender": "F", "genres_in": [], "genres_out": ["Horror"], '
    '"occupation": 12, "ratings": {"1214": 5, "2571": 1, "6": 4}, "year_max": null, "year_min": 1980}'
)


def test_a_profile_saved_with_whole_stars_still_loads() -> None:
    profile = Profile.from_json(SAVED_BEFORE_HALF_STARS)
    assert profile.ratings == {1214: 5.0, 2571: 1.0, 6: 4.0}
    assert all(type(r) is float for r in profile.ratings.values())
    assert (profile.gender, profile.age, profile.occupation, profile.genres_out) == ("F", 25, 12, ["Horror"])


def test_half_stars_round_trip_in_the_order_given() -> None:
    profile = Profile(ratings={6: 4.5, 1214: 0.5, 2571: 5})
    text = profile.to_json()
    assert '"ratings": {"6": 4.5, "1214": 0.5, "2571": 5.0}' in text  # the order is the model's
    again = Profile.from_json(text)
    assert again == profile and list(again.ratings) == [6, 1214, 2571]


@pytest.mark.parametrize("value", [0, 0.0, 5.5, 6, 4.3, -1, True, "4", None, float("nan"), float("inf")])
def test_a_rating_that_is_not_a_half_star_is_refused_and_named(value) -> None:
    assert not is_rating(value)
    with pytest.raises(ProfileError, match=r"ratings\[7\].*0\.5\.\.5"):
        Profile(ratings={7: value}).validate()
    with pytest.raises(ProfileError, match=r"ratings\[7\]"):
        Profile.from_json(json.dumps({"ratings": {"7": value}}))  # NaN and Infinity: Python's json reads them


@pytest.mark.parametrize("value", [0.5, 1, 1.5, 3, 4.0, 4.5, 5, 5.0])
def test_every_half_star_from_half_to_five_is_a_rating(value) -> None:
    assert is_rating(value)
    Profile(ratings={7: value}).validate()


def test_the_lists_and_the_dial_round_trip_and_profiles_saved_before_them_load_empty() -> None:
    profile = Profile(ratings={1: 4.5}, watchlist=[5, 3], seen=[9], dismissed=[2], novelty=0.5)
    again = Profile.from_json(profile.to_json())
    assert (again.watchlist, again.seen, again.novelty) == ([5, 3], [9], 0.5)
    assert again.listed == {1, 2, 3, 5, 9}
    before_lists = '{"ratings": {"1": 5}, "dismissed": [4]}'
    old = Profile.from_json(before_lists)
    assert (old.watchlist, old.seen, old.novelty) == ([], [], 0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("watchlist", ["12"]), ("seen", [1.5]), ("novelty", 1.5), ("novelty", -0.1), ("novelty", "high")],
)
def test_bad_list_or_dial_values_are_refused_naming_the_field(field, value) -> None:
    with pytest.raises(ProfileError, match=field):
        Profile.from_json(json.dumps({field: value}))


def test_toggling_a_list_makes_a_new_profile_and_a_movie_is_on_one_list_at_most() -> None:
    start = Profile(ratings={1: 4.0}, watchlist=[5])
    on = start.toggled("watchlist", 7)
    assert on.watchlist == [5, 7] and start.watchlist == [5]  # the old one stays, for undo
    seen = on.toggled("seen", 7)
    assert (seen.watchlist, seen.seen) == ([5], [7])  # seen: no longer to watch
    back = seen.toggled("watchlist", 7)
    assert (back.watchlist, back.seen) == ([5, 7], [])
    assert back.toggled("watchlist", 7).watchlist == [5]  # pressed again: off
    assert start.toggled("seen", 1) == start  # rated counts as seen already
    assert start.toggled("watchlist", 1).watchlist == [5, 1]  # to watch again
    listed = Profile(watchlist=[3, 4], seen=[4, 6])
    listed.unlisted(4)
    assert (listed.watchlist, listed.seen) == ([3], [6])
