"""Movies, users and links of each layout, read with pandas and checked column by column.

What the layouts differ in is said here once: ML-1M's users carry codes (age bucket, occupation
0..20), ML-100K's raw ages and occupation names, own data either (or nothing); titles carry their
year ("Heat (1995)") except in own data's movies.csv, which may also give it in a column; genres
are '|'-separated names (ML-100K: 19 flags), "Children" is the app's "Children's", and a genre
outside the 18 of ML-1M is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from movierec_tui.data_loader.dataset import (
    AGE_BUCKETS,
    GENDERS,
    GENRE_ALIASES,
    NO_GENRES,
    OCCUPATIONS,
    Movie,
    User,
)
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.sources import SourceFile
from movierec_tui.data_loader.table import (
    INT32_MAX,
    Checks,
    Lines,
    clip,
    csv_header,
    decode,
    first_repeat,
    optional,
    whole_numbers,
)

YEARS = (1870, 2100)
# The last "(YYYY)" of a title, also "(YYYY-YYYY)" / "(YYYY–)" of a series; the title is what precedes it.
_TITLE_YEAR = r"^(?P<title>.*?)\s*\((?P<year>[0-9]{4})(?:\s*[-–]\s*(?:[0-9]{4})?)?\)\s*$"
# ML-100K's u.item: the 19 genre flags, in this order ("unknown" is no genre).
ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
# ML-100K's occupations (u.occupation) -> the nearest ML-1M code; own data may use these names too.
OCCUPATION_NAMES: dict[str, int] = {
    **{name.lower(): code for code, name in OCCUPATIONS.items()},
    **{part.strip().lower(): code for code, name in OCCUPATIONS.items() for part in name.split("/")},
    "administrator": 3, "educator": 1, "engineer": 17, "entertainment": 2, "executive": 7, "healthcare": 6,
    "librarian": 1, "marketing": 14, "none": 19, "salesman": 14, "student": 4, "technician": 17, "doctor": 6,
}  # fmt: skip
GENDER_NAMES = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}
_AGES_TEXT = ", ".join(str(age) for age in AGE_BUCKETS)


def age_bucket(age: int) -> int:
    """The AGE_BUCKETS key of a raw age: each key is its bucket's lowest age (1 is "under 18")."""
    return max([key for key in AGE_BUCKETS if key <= age], default=1)


# -- movies --------------------------------------------------------------------------------------


def dat_movies(source: SourceFile) -> dict[int, Movie]:
    """ML-1M / ML-10M movies.dat: `id::Title (Year)::Genre|Genre`."""
    lines = Lines.of(source, decode(source, utf8_only=False))
    checks = lines.checks()
    table = lines.split(checks, "::", ("movie_id", "title", "genres"))
    return _movies(lines, checks, table["movie_id"], table["title"], None, table["genres"])


def latest_movies(source: SourceFile) -> dict[int, Movie]:
    """ml-latest, ML-20M/25M/32M movies.csv: `movieId,title,genres` with quoted titles."""
    return _csv_movies(source, ("movieid", "title", "genres"))


def own_movies(source: SourceFile) -> dict[int, Movie]:
    """Own data movies.csv: `movie_id,title,year,genres`; the year may be empty or in the title."""
    return _csv_movies(source, ("movie_id", "title", "year", "genres"))


def _csv_movies(source: SourceFile, header: tuple[str, ...]) -> dict[int, Movie]:
    lines, checks, table = _csv_table(source, header)
    years = table.get("year", None)
    return _movies(lines, checks, table[header[0]], table["title"], years, table["genres"])


def u_item_movies(source: SourceFile) -> dict[int, Movie]:
    """ML-100K u.item: `id|Title (Year)|release date|video date|IMDb URL|19 genre flags`, latin-1."""
    names = ("movie_id", "title", "released", "video", "url", *ML100K_GENRES)
    lines = Lines.of(source, decode(source, utf8_only=False))
    checks = lines.checks()
    table = lines.split(checks, "|", names)
    flags = table[list(ML100K_GENRES)]
    bad_flag = ~flags.isin(["0", "1"]).all(axis=1).to_numpy()
    checks.add(bad_flag, lambda i: f"genre flags must be 0 or 1, got {clip('|'.join(flags.iloc[i]))!r}")
    chosen = flags.to_numpy() == "1"
    genres = pd.Series(
        ["|".join(g for g, on in zip(ML100K_GENRES[1:], row[1:], strict=True) if on) for row in chosen],
        dtype="str",
    )
    # A title without "(YYYY)" takes the year of its release date ("01-Jan-1995"); "unknown" has neither.
    released = table["released"].str.extract(r"(?P<year>[0-9]{4})\s*$")["year"].fillna("")
    return _movies(lines, checks, table["movie_id"], table["title"], released, genres, year_is_fallback=True)


def _movies(
    lines: Lines,
    checks: Checks,
    ids: pd.Series,
    titles: pd.Series,
    years: pd.Series | None,
    genres: pd.Series,
    year_is_fallback: bool = False,
) -> dict[int, Movie]:
    """Movies from string columns: the title's "(YYYY)" is the year, or the `years` column is; a
    title equal to "Title (YYYY)" of its own year column loses the suffix (no "Heat (1995) (1995)")."""
    movie_ids = whole_numbers(checks, ids, "movie id", INT32_MAX)
    split = titles.str.extract(_TITLE_YEAR)
    has_suffix = split["year"].notna().to_numpy()
    suffix_year = pd.to_numeric(split["year"].fillna("0")).to_numpy(dtype=np.int64)
    plausible = has_suffix & (suffix_year >= YEARS[0]) & (suffix_year <= YEARS[1])
    bare = split["title"].where(plausible, titles).str.strip()
    year = np.where(plausible, suffix_year, 0)
    known = plausible.copy()
    if years is not None:
        given = optional(years)
        column = whole_numbers(checks, years.where(given, "0"), "year", 9999)
        out = given & ((column < YEARS[0]) | (column > YEARS[1]))
        if not year_is_fallback:
            checks.add(out, lambda i: f"year must be {YEARS[0]}..{YEARS[1]}, got {column[i]}")
            # The column wins; the title keeps a "(YYYY)" of another year as part of its name.
            keep_suffix = given & plausible & (suffix_year != column)
            bare = bare.where(~keep_suffix, titles.str.strip())
            year = np.where(given, column, year)
            known = given | plausible
        else:
            fill = given & ~out & ~plausible
            year = np.where(fill, column, year)
            known = plausible | fill
    checks.add((bare == "").to_numpy(), lambda i: "empty title")
    # A catalogue has far fewer genre combinations than movies (ML-32M: about 1,800 for 87,585).
    combinations = {text: _genres(text) for text in set(genres.tolist())}
    parsed = [combinations[text] for text in genres.tolist()]
    checks.add(
        np.fromiter((g is None for g in parsed), dtype=bool, count=len(parsed)),
        lambda i: f"genres must be like 'Comedy|Drama', got {clip(genres.iat[i])!r}",
    )
    repeat = first_repeat(movie_ids)
    if repeat is not None:
        duplicate = np.zeros(len(movie_ids), dtype=bool)
        duplicate[repeat[0]] = True
        checks.add(duplicate, lambda i: f"duplicate movie id {movie_ids[i]}")
    checks.raise_first()
    if not len(movie_ids):
        raise_no(lines.source, "movies")
    titles_out = bare.tolist()
    return {
        int(movie_id): Movie(int(movie_id), title, int(y) if k else None, g or ())
        for movie_id, title, y, k, g in zip(movie_ids, titles_out, year, known, parsed, strict=True)
    }


def _genres(text: str) -> tuple[str, ...] | None:
    """'Comedy|Drama' -> ("Comedy", "Drama"); "" or "(no genres listed)" -> (); None if malformed."""
    text = text.strip()
    if text in ("", NO_GENRES):
        return ()
    parts = [part.strip() for part in text.split("|")]
    # A genre is a name: it starts with a letter or digit (":Drama" is a line cut at the wrong separator).
    if not all(part and part[0].isalnum() and part.isprintable() for part in parts):
        return None
    return tuple(dict.fromkeys(GENRE_ALIASES.get(part, part) for part in parts))


# -- users ---------------------------------------------------------------------------------------


def dat_users(source: SourceFile) -> dict[int, User]:
    """ML-1M users.dat: `id::M|F::age bucket::occupation 0..20::zip`, all required."""
    lines = Lines.of(source, decode(source, utf8_only=False))
    checks = lines.checks()
    table = lines.split(checks, "::", ("user_id", "gender", "age", "occupation", "zip"))
    user_ids = whole_numbers(checks, table["user_id"], "user id", INT32_MAX)
    gender = table["gender"]
    checks.add(~gender.isin(GENDERS).to_numpy(), lambda i: f"gender must be M or F, got {clip(gender.iat[i])!r}")
    ages = table["age"]
    checks.add(
        ~ages.isin([str(a) for a in AGE_BUCKETS]).to_numpy(),
        lambda i: f"age must be one of {_AGES_TEXT}, got {clip(ages.iat[i])!r}",
    )
    occupations = table["occupation"]
    checks.add(
        ~occupations.isin([str(c) for c in OCCUPATIONS]).to_numpy(),
        lambda i: f"occupation must be 0..20, got {clip(occupations.iat[i])!r}",
    )
    return _users(lines, checks, user_ids, gender.tolist(), ages.tolist(), occupations.tolist(), table["zip"])


def u_user_users(source: SourceFile) -> dict[int, User]:
    """ML-100K u.user: `id|raw age|M|F|occupation name|zip`."""
    lines = Lines.of(source, decode(source, utf8_only=False))
    checks = lines.checks()
    table = lines.split(checks, "|", ("user_id", "age", "gender", "occupation", "zip"))
    return _flexible_users(lines, checks, table)


def own_users(source: SourceFile) -> dict[int, User]:
    """Own data users.csv: `user_id` and any of `gender,age,occupation,zip`, each may be empty."""
    text = decode(source, utf8_only=True)
    names, _ = csv_header(source, text)
    allowed = ("gender", "age", "occupation", "zip")
    if not names or names[0] != "user_id" or len(set(names)) != len(names) or not set(names[1:]) <= set(allowed):
        raise _header_error(source, text, "user_id,gender,age,occupation,zip (any of the last four)")
    lines, checks, table = _csv_table(source, tuple(names))
    for column in allowed:
        if column not in table:
            table[column] = ""
    return _flexible_users(lines, checks, table)


def _flexible_users(lines: Lines, checks: Checks, table: pd.DataFrame) -> dict[int, User]:
    """Demographics that may be missing, given as codes or as words: gender M/F/male/female, a raw
    age (mapped to its bucket) and an occupation code 0..20 or name."""
    user_ids = whole_numbers(checks, table["user_id"], "user id", INT32_MAX)
    gender_text = table["gender"]
    genders = gender_text.str.lower().map(GENDER_NAMES)
    checks.add(
        (optional(gender_text) & genders.isna()).to_numpy(),
        lambda i: f"gender must be M or F (or empty), got {clip(gender_text.iat[i])!r}",
    )
    age_text = table["age"]
    given = optional(age_text)
    ages = whole_numbers(checks, age_text.where(given, "0"), "age", 999)
    checks.add(given & (ages > 120), lambda i: f"age must be 0..120 (or empty), got {clip(age_text.iat[i])!r}")
    occupation_text = table["occupation"]
    lowered = occupation_text.str.strip().str.lower()
    codes = lowered.map(OCCUPATION_NAMES)
    numeric = lowered.isin([str(c) for c in OCCUPATIONS])
    codes = codes.where(~numeric, pd.to_numeric(lowered.where(numeric, "0")))
    checks.add(
        (optional(occupation_text) & codes.isna()).to_numpy(),
        lambda i: f"occupation must be 0..20 or a name such as 'programmer' (or empty), got "
        f"{clip(occupation_text.iat[i])!r}",
    )
    return _users(
        lines,
        checks,
        user_ids,
        [g if isinstance(g, str) else None for g in genders.tolist()],
        [age_bucket(int(a)) if g else None for a, g in zip(ages, given, strict=True)],
        [None if pd.isna(c) else int(c) for c in codes.tolist()],
        table["zip"],
    )


def _users(
    lines: Lines, checks: Checks, user_ids: np.ndarray, genders: list, ages: list, occupations: list, zips: pd.Series
) -> dict[int, User]:
    repeat = first_repeat(user_ids)
    if repeat is not None:
        duplicate = np.zeros(len(user_ids), dtype=bool)
        duplicate[repeat[0]] = True
        checks.add(duplicate, lambda i: f"duplicate user id {user_ids[i]}")
    checks.raise_first()
    if not len(user_ids):
        raise_no(lines.source, "users")
    users = {}
    for user_id, gender, age, occupation, zip_code in zip(
        user_ids.tolist(), genders, ages, occupations, zips.tolist(), strict=True
    ):
        users[user_id] = User(
            user_id,
            gender,
            None if age is None else int(age),
            None if occupation is None else int(occupation),
            zip_code.strip(" \t\r"),
        )
    return users


# -- links ---------------------------------------------------------------------------------------


def latest_links(source: SourceFile, movies: dict[int, Movie]) -> dict[int, str]:
    """links.csv `movieId,imdbId,tmdbId` -> {movie id: "tt0114709"} (an empty imdbId is no link)."""
    _, checks, table = _csv_table(source, ("movieid", "imdbid", "tmdbid"))
    movie_ids = whole_numbers(checks, table["movieid"], "movie id", INT32_MAX)
    imdb = table["imdbid"]
    given = optional(imdb)
    whole_numbers(checks, imdb.where(given, "0"), "imdbId", 10**12)
    known = np.fromiter((int(m) in movies for m in movie_ids), dtype=bool, count=len(movie_ids))
    checks.add(~known, lambda i: f"movie id {movie_ids[i]} is not in movies.csv")
    checks.raise_first()
    return {
        int(movie_id): "tt" + code.zfill(7)
        for movie_id, code, present in zip(movie_ids, imdb.tolist(), given, strict=True)
        if present
    }


# -- helpers -------------------------------------------------------------------------------------


def _csv_table(source: SourceFile, header: tuple[str, ...]) -> tuple[Lines, Checks, pd.DataFrame]:
    text = decode(source, utf8_only=True)
    names, body = csv_header(source, text)
    if tuple(names) != header:
        raise _header_error(source, text, ",".join(header))
    lines = Lines.of(source, body, first_line=2)
    checks = lines.checks()
    return lines, checks, lines.csv(checks, header)


def _header_error(source: SourceFile, text: str, expected: str) -> DataError:
    got = text.partition("\n")[0].rstrip("\r")
    return DataError(source.name, 1, f"header must be {expected}, got {clip(got)!r}")


def raise_no(source: SourceFile, what: str) -> None:
    raise DataError(source.name, None, f"no {what}")
