"""Title resolution: normalisation, tiers, popularity rule, messages, robustness and speed."""

from __future__ import annotations

import contextlib
import pickle
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from movierec_tui.titles import (
    MATCH_MEMO,
    AmbiguousTitle,
    TitleEntry,
    TitleIndex,
    TitleNotFound,
    newer_than_catalogue_hint,
)
from movierec_tui.wording import display_title, title_with_year

# (title as MovieLens ships it, year, number of ratings); popularity roughly as in ML-1M.
CATALOGUE: list[tuple[str, int, int]] = [
    ("Matrix, The", 1999, 2590),
    ("Alien", 1979, 2000),
    ("Aliens", 1986, 1820),
    ("Alien³", 1992, 841),
    ("Alien: Resurrection", 1997, 654),
    ("Alien Nation", 1988, 200),
    ("Hamlet", 1990, 120),
    ("Hamlet", 1996, 150),
    ("Hamlet", 2000, 110),
    ("Star Wars: Episode IV - A New Hope", 1977, 2991),
    ("Star Wars: Episode V - The Empire Strikes Back", 1980, 2990),
    ("Star Wars: Episode I - The Phantom Menace", 1999, 2250),
    ("Star Trek: The Motion Picture", 1979, 600),
    ("Star Trek: The Wrath of Khan", 1982, 1225),
    ("Star Trek: First Contact", 1996, 1000),
    ("Toy Story", 1995, 2077),
    ("Toy Story 2", 1999, 1585),
    ("Terminator, The", 1984, 1784),
    ("Terminator 2: Judgment Day", 1991, 2649),
    ("Godfather, The", 1972, 2223),
    ("Godfather: Part II, The", 1974, 1692),
    ("City of Lost Children, The", 1995, 398),
    ("Seven (Se7en)", 1995, 1137),
    ("Heat", 1995, 940),
    ("Titanic", 1997, 1546),
    ("Titanic", 1953, 46),
    ("Blade Runner", 1982, 1800),
    ("Brazil", 1985, 790),
    ("Misérables, Les", 1995, 65),
    ("Cérémonie, La", 1995, 30),
    ("Déjà Vu", 1997, 20),
    ("Pokémon: The First Movie", 1998, 150),
    ("Life Is Beautiful (La Vita è bella)", 1997, 1152),
    ("Postino, Il (The Postman)", 1994, 501),
    ("Postman, The", 1997, 137),
    ("Hate (Haine, La)", 1995, 180),
    ("Shall We Dance? (Shall We Dansu?)", 1996, 300),
    ("Airport", 1970, 260),
    ("Airport 1975", 1974, 120),
    ("Die Hard", 1988, 1666),
    ("L.A. Confidential", 1997, 1500),
    ("Schindler's List", 1993, 2304),
    ("X-Men", 2000, 1511),
    ("Twelve Monkeys", 1995, 1511),
    ("12 Angry Men", 1957, 837),
]

ENTRIES = [
    TitleEntry(movie_id=n, title=title, year=year, popularity=pop)
    for n, (title, year, pop) in enumerate(CATALOGUE, start=1)
]


def entry(title: str, year: int | None = None) -> TitleEntry:
    matches = [e for e in ENTRIES if e.title == title and (year is None or e.year == year)]
    assert len(matches) == 1, (title, year)
    return matches[0]


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex(ENTRIES)


def one_line(message: str) -> bool:
    return len(message.splitlines()) <= 1 and "\n" not in message and "\r" not in message


# -- display -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shipped", "shown"),
    [
        ("Matrix, The", "The Matrix"),
        ("City of Lost Children, The", "The City of Lost Children"),
        ("Bug's Life, A", "A Bug's Life"),
        ("American Werewolf in London, An", "An American Werewolf in London"),
        ("Misérables, Les", "Les Misérables"),
        ("Cérémonie, La", "La Cérémonie"),
        ("Mariachi, El", "El Mariachi"),
        ("Enfer, L'", "L'Enfer"),
        ("Blechtrommel, Die", "Die Blechtrommel"),
        ("Godfather: Part II, The", "The Godfather: Part II"),
        ("Postino, Il (The Postman)", "Il Postino (The Postman)"),
        ("Hate (Haine, La)", "Hate (La Haine)"),
        ("Star Maker, The (Uomo delle stelle, L')", "The Star Maker (L'Uomo delle stelle)"),
        ("Seven (Se7en)", "Seven (Se7en)"),
        ("Shall We Dance? (Shall We Dansu?)", "Shall We Dance? (Shall We Dansu?)"),
        ("Star Wars: Episode IV - A New Hope", "Star Wars: Episode IV - A New Hope"),
        ("Ciao, Professore!", "Ciao, Professore!"),
        ("Strike! (a.k.a. All I Wanna Do, The Hairy Bird)",) * 2,
        ("Heat", "Heat"),
        ("", ""),
    ],
)
def test_display_title(shipped: str, shown: str) -> None:
    assert display_title(shipped) == shown


def test_title_with_year() -> None:
    assert title_with_year(entry("Matrix, The")) == "The Matrix (1999)"
    assert title_with_year(entry("Hamlet", 1996)) == "Hamlet (1996)"
    assert title_with_year(TitleEntry(1, "Hamlet", None, 1)) == "Hamlet"  # a title without a year


def test_display_title_is_linear_on_pathological_input() -> None:
    start = time.perf_counter()
    display_title("a" + "(x)" * 50_000)
    display_title("(" + ")" * 100_000)
    display_title("x, The" * 20_000)
    assert time.perf_counter() - start < 2.0


# -- resolve: normalisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["The Matrix", "the matrix", "THE MATRIX", "Matrix", "matrix", "Matrix, The", "  matrix ", "The Matrix!"],
)
def test_case_and_article_insensitive(index: TitleIndex, query: str) -> None:
    assert index.resolve(query) == entry("Matrix, The")


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("The Godfather", "Godfather, The"),
        ("Godfather, The", "Godfather, The"),
        ("godfather", "Godfather, The"),
        ("City of Lost Children", "City of Lost Children, The"),
        ("the city of lost children", "City of Lost Children, The"),
        ("Les Miserables", "Misérables, Les"),
        ("miserables", "Misérables, Les"),
        ("la ceremonie", "Cérémonie, La"),
        ("ceremonie", "Cérémonie, La"),
        ("deja vu", "Déjà Vu"),
        ("pokemon the first movie", "Pokémon: The First Movie"),
        ("Die Hard", "Die Hard"),
        ("la confidential", "L.A. Confidential"),
        ("L.A. Confidential", "L.A. Confidential"),
        ("schindlers list", "Schindler's List"),
        ("Schindler’s List", "Schindler's List"),
        ("xmen", "X-Men"),
        ("x men", "X-Men"),
        ("alien 3", "Alien³"),
        ("Alien³", "Alien³"),
    ],
)
def test_normalised_exact_matches(index: TitleIndex, query: str, title: str) -> None:
    assert index.resolve(query) == entry(title)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Se7en", "Seven (Se7en)"),
        ("Seven", "Seven (Se7en)"),
        ("Seven (Se7en)", "Seven (Se7en)"),
        ("Il Postino", "Postino, Il (The Postman)"),
        ("Postino, Il (The Postman)", "Postino, Il (The Postman)"),
        ("La Haine", "Hate (Haine, La)"),
        ("La Vita e bella", "Life Is Beautiful (La Vita è bella)"),
        ("The Postman", "Postman, The"),  # a main title beats someone else's alternate title
        ("12 Monkeys", "Twelve Monkeys"),  # its name on the poster; MovieLens spells the number
        ("twelve angry men", "12 Angry Men"),
    ],
)
def test_alternate_titles(index: TitleIndex, query: str, title: str) -> None:
    assert index.resolve(query) == entry(title)


def test_a_number_alone_is_no_spelt_out_title(index: TitleIndex) -> None:
    """The number in a title of several words is also its digits ("12 Monkeys"), not a one-word
    title: "Seven" stays a word, so "7" (a rating, an age) never names Se7en."""
    assert index.match("12 monkeys").sureness == "exact"
    assert index.search("12 monk", 1)[0].title == "Twelve Monkeys"  # the find box, as it is typed
    assert index.search("twelve angry", 1)[0].title == "12 Angry Men"
    with pytest.raises(TitleNotFound):
        index.resolve("7")


# -- resolve: years and popularity --------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title", "year"),
    [
        ("Alien (1979)", "Alien", 1979),
        ("Alien 1979", "Alien", 1979),
        ("alien, 1979", "Alien", 1979),
        ("Hamlet 1996", "Hamlet", 1996),
        ("Hamlet (2000)", "Hamlet", 2000),
        ("hamlet [1990]", "Hamlet", 1990),
        ("alien from 1979", "Alien", 1979),  # "loved Alien from 1979"
        ("Hamlet from 1996", "Hamlet", 1996),
        ("Titanic 1953", "Titanic", 1953),
        ("Titanic (1997)", "Titanic", 1997),
        ("Star Wars 1980", "Star Wars: Episode V - The Empire Strikes Back", 1980),
        ("The Matrix (1999)", "Matrix, The", 1999),
        # A title that ends in a year-like number is still found by its whole name.
        ("Airport 1975", "Airport 1975", 1974),
        ("Airport", "Airport", 1970),
    ],
)
def test_year_qualified(index: TitleIndex, query: str, title: str, year: int) -> None:
    assert index.resolve(query) == entry(title, year)


def test_year_restricts_candidates(index: TitleIndex) -> None:
    with pytest.raises(TitleNotFound) as caught:
        index.resolve("Alien 1980")
    assert entry("Alien") in caught.value.candidates


def test_exact_beats_prefix(index: TitleIndex) -> None:
    assert index.resolve("Alien") == entry("Alien")
    assert index.resolve("Toy Story") == entry("Toy Story")
    assert index.resolve("Toy Story 2") == entry("Toy Story 2")
    assert index.resolve("Heat") == entry("Heat")
    assert index.resolve("aliens") == entry("Aliens")


def test_clearly_more_popular_wins(index: TitleIndex) -> None:
    assert index.resolve("Titanic") == entry("Titanic", 1997)  # 1546 >= 3 x 46


def test_comparable_popularity_is_ambiguous(index: TitleIndex) -> None:
    with pytest.raises(AmbiguousTitle) as caught:
        index.resolve("Hamlet")
    error = caught.value
    assert error.query == "Hamlet"
    assert [c.year for c in error.candidates] == [1990, 1996, 2000]
    assert str(error) == "'Hamlet' is ambiguous: Hamlet (1990), Hamlet (1996), Hamlet (2000); add the year"


def test_part_before_colon(index: TitleIndex) -> None:
    # Episode IV is both the most rated and the original, so it wins although V is as popular.
    assert index.resolve("Star Wars") == entry("Star Wars: Episode IV - A New Hope")
    assert index.resolve("star wars") == entry("Star Wars: Episode IV - A New Hope")
    assert index.resolve("terminator 2") == entry("Terminator 2: Judgment Day")
    assert index.resolve("Alien") == entry("Alien")  # the exact title beats "Alien: Resurrection"


def test_colon_without_a_clear_winner_is_ambiguous(index: TitleIndex) -> None:
    with pytest.raises(AmbiguousTitle) as caught:
        index.resolve("Star Trek")
    names = str(caught.value)
    assert names.startswith("'Star Trek' is ambiguous: Star Trek: The Wrath of Khan (1982)")
    assert "Star Trek: The Motion Picture (1979)" in names
    assert {c.title for c in caught.value.candidates} == {
        "Star Trek: The Motion Picture",
        "Star Trek: The Wrath of Khan",
        "Star Trek: First Contact",
    }


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("godfather part 2", "Godfather: Part II, The"),
        ("Godfather 2", "Godfather: Part II, The"),
        ("the godfather part ii", "Godfather: Part II, The"),
        ("star wars episode 4", "Star Wars: Episode IV - A New Hope"),
        ("empire strikes back", "Star Wars: Episode V - The Empire Strikes Back"),
        ("phantom menace", "Star Wars: Episode I - The Phantom Menace"),
        ("blade run", "Blade Runner"),
    ],
)
def test_prefix_numbering_and_inner_words(index: TitleIndex, query: str, title: str) -> None:
    assert index.resolve(query) == entry(title)


def test_prefix_of_several_is_ambiguous(index: TitleIndex) -> None:
    with pytest.raises(AmbiguousTitle) as caught:
        index.resolve("toy")
    assert [c.title for c in caught.value.candidates] == ["Toy Story", "Toy Story 2"]
    assert "be more specific" in str(caught.value)


# -- resolve: typos and misses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("Termnator", "Terminator, The"),
        ("the termintor", "Terminator, The"),
        ("godfathr", "Godfather, The"),
        ("Godfahter", "Godfather, The"),
        ("Blade Runer", "Blade Runner"),
        ("brazl", "Brazil"),
        ("Toy Stroy", "Toy Story"),
        ("Matrx", "Matrix, The"),
        ("schindlers lsit", "Schindler's List"),
        ("Th Matrix", "Matrix, The"),
        ("city of the lost children", "City of Lost Children, The"),
    ],
)
def test_typos(index: TitleIndex, query: str, title: str) -> None:
    assert index.resolve(query) == entry(title)


def test_typo_tie_uses_popularity_then_is_ambiguous(index: TitleIndex) -> None:
    assert index.resolve("Titanik") == entry("Titanic", 1997)
    with pytest.raises(AmbiguousTitle) as caught:
        index.resolve("Hamlett")
    assert len(caught.value.candidates) == 3


def test_not_found_lists_closest(index: TitleIndex) -> None:
    with pytest.raises(TitleNotFound) as caught:
        index.resolve("Matrx Reloaded")
    error = caught.value
    assert error.query == "Matrx Reloaded"
    assert error.candidates[0] == entry("Matrix, The")
    assert 1 <= len(error.candidates) <= 5
    assert str(error).startswith("no movie matches 'Matrx Reloaded'; closest: The Matrix (1999)")


def test_not_found_without_anything_close(index: TitleIndex) -> None:
    with pytest.raises(TitleNotFound) as caught:
        index.resolve("zzqqxxjj")
    assert len(caught.value.candidates) <= 5
    assert str(caught.value).startswith("no movie matches 'zzqqxxjj'")


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "!!!", "()", "[]", "\x00\x01"])
def test_nothing_searchable(index: TitleIndex, query: str) -> None:
    with pytest.raises(TitleNotFound) as caught:
        index.resolve(query)
    assert caught.value.candidates == []
    assert one_line(str(caught.value))
    assert index.search(query) == []


def test_messages_are_one_line(index: TitleIndex) -> None:
    with pytest.raises(AmbiguousTitle) as ambiguous:
        index.resolve("Hamlet\n")
    assert one_line(str(ambiguous.value))
    assert str(ambiguous.value).startswith("'Hamlet' is ambiguous")
    with pytest.raises(TitleNotFound) as missing:
        index.resolve("Matrx\nReloaded\r\x0bagain\u2028")
    assert one_line(str(missing.value))
    assert "Matrx Reloaded again" in str(missing.value)


def test_markup_is_plain_text(index: TitleIndex) -> None:
    with pytest.raises((TitleNotFound, AmbiguousTitle)) as caught:
        index.resolve("[bold]zzqq[/bold]")
    assert "[bold]zzqq[/bold]" in str(caught.value)  # echoed verbatim; escaping is the caller's job
    with pytest.raises(TitleNotFound):  # the tags are words like any other, not formatting
        index.resolve("[bold]Heat[/bold]")


def test_long_query_is_truncated_in_message(index: TitleIndex) -> None:
    with pytest.raises((TitleNotFound, AmbiguousTitle)) as caught:
        index.resolve("q" * 100_000)
    assert len(str(caught.value)) < 400


def test_exceptions_pickle(index: TitleIndex) -> None:
    with pytest.raises(AmbiguousTitle) as caught:
        index.resolve("Hamlet")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert copy.query == "Hamlet" and copy.candidates == caught.value.candidates
    assert str(copy) == str(caught.value)


def test_duplicates_and_empty_index() -> None:
    doubled = TitleIndex([*ENTRIES, *ENTRIES])
    assert len(doubled) == len(ENTRIES)
    assert doubled.resolve("Brazil") == entry("Brazil")
    empty = TitleIndex([])
    with pytest.raises(TitleNotFound):
        empty.resolve("Brazil")
    assert empty.search("Brazil") == []


# -- search ------------------------------------------------------------------------------------


def test_search_ordering(index: TitleIndex) -> None:
    titles = [e.title for e in index.search("alien", limit=5)]
    # Exact first, then prefixes by popularity.
    assert titles == ["Alien", "Aliens", "Alien³", "Alien: Resurrection", "Alien Nation"]


def test_search_prefixes_by_popularity(index: TitleIndex) -> None:
    assert [e.title for e in index.search("toy", limit=2)] == ["Toy Story", "Toy Story 2"]
    star = [e.title for e in index.search("star w", limit=3)]
    assert star == [
        "Star Wars: Episode IV - A New Hope",
        "Star Wars: Episode V - The Empire Strikes Back",
        "Star Wars: Episode I - The Phantom Menace",
    ]


def test_search_inner_words_then_typos(index: TitleIndex) -> None:
    assert index.search("wars", limit=1)[0].title == "Star Wars: Episode IV - A New Hope"
    assert index.search("termnator", limit=1) == [entry("Terminator, The")]
    godfather = [e.title for e in index.search("godfather")]
    assert godfather[:2] == ["Godfather, The", "Godfather: Part II, The"]


def test_search_year_and_limit(index: TitleIndex) -> None:
    assert index.search("hamlet 1996")[0] == entry("Hamlet", 1996)
    assert index.search("airport 1975")[0] == entry("Airport 1975")
    assert len(index.search("a", limit=3)) == 3
    assert index.search("alien", limit=0) == []
    assert index.search("") == []


# -- robustness (property tests) ---------------------------------------------------------------

_INDEX = TitleIndex(ENTRIES)

huge_strings = st.builds(
    lambda piece, times: piece * times,
    st.text(min_size=1, max_size=12),
    st.integers(min_value=5_000, max_value=100_000),
).map(lambda s: s[:100_000])


def _check_resolve(query: str) -> None:
    try:
        result = _INDEX.resolve(query)
    except (TitleNotFound, AmbiguousTitle) as error:
        message = str(error)
        assert one_line(message), message
        assert len(message) < 2_000
        assert error.query == query
        assert all(isinstance(c, TitleEntry) for c in error.candidates)
    else:
        assert isinstance(result, TitleEntry)
        assert result in ENTRIES


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.text())
def test_resolve_never_crashes_on_text(query: str) -> None:
    _check_resolve(query)
    results = _INDEX.search(query)
    assert len(results) <= 10 and all(isinstance(r, TitleEntry) for r in results)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(huge_strings)
def test_resolve_never_crashes_on_huge_strings(query: str) -> None:
    start = time.perf_counter()
    _check_resolve(query)
    _INDEX.search(query)
    assert time.perf_counter() - start < 1.0


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.sampled_from(ENTRIES),
    st.sampled_from(["{title} ({year})", "{title} {year}", " {title}  {year} ", "{shipped} ({year})"]),
)
def test_every_title_resolves_with_its_year(item: TitleEntry, pattern: str) -> None:
    query = pattern.format(title=display_title(item.title), shipped=item.title, year=item.year)
    assert _INDEX.resolve(query) == item


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.sampled_from(ENTRIES), st.sampled_from(["{}", "{}!", " {} ", "{}".upper()]))
def test_every_title_resolves_without_its_year(item: TitleEntry, pattern: str) -> None:
    query = pattern.format(display_title(item.title))
    try:
        found = _INDEX.resolve(query)
    except AmbiguousTitle as error:
        assert item in error.candidates
    else:
        # Either the movie itself or a far more popular one of the same name ("Titanic").
        assert found == item or (found.title == item.title and found.popularity >= 3 * item.popularity)


# -- movies without a year, two movies with one title and year, and catalogues that end early ---------


def test_two_movies_with_the_same_title_and_year_are_each_reachable_by_id() -> None:
    index = TitleIndex(
        [TitleEntry(266, "Chasers", 1994, 40), TitleEntry(680, "Chasers", 1994, 38), TitleEntry(5, "unknown", None, 2)]
    )
    with pytest.raises(AmbiguousTitle) as error:
        index.resolve("Chasers 1994")
    assert str(error.value) == (
        "'Chasers 1994' is ambiguous: Chasers (1994) [id:266], Chasers (1994) [id:680]; rate one by its id, e.g. id:266"
    )
    assert index.resolve("id:680").movie_id == 680 and index.resolve(" ID: 266 ").movie_id == 266
    with pytest.raises(TitleNotFound):
        index.resolve("id:9")
    assert index.resolve("unknown").movie_id == 5 and title_with_year(index.resolve("unknown")) == "unknown"
    with pytest.raises(TitleNotFound):
        index.resolve("unknown 1994")  # a movie without a year matches no asked year


def test_an_unknown_title_may_be_newer_than_the_catalogue() -> None:
    hint = newer_than_catalogue_hint("Parasite 2019", "MovieLens 1M", 2000)
    assert hint == "The catalogue (MovieLens 1M) ends in 2000; try `setup --dataset ml-32m`"
    assert newer_than_catalogue_hint("Inception", "MovieLens 1M", 2000) == hint  # no year: it may be newer
    assert newer_than_catalogue_hint("Casablanca 1942", "MovieLens 1M", 2000) is None  # inside the catalogue
    assert newer_than_catalogue_hint("Inception", "MovieLens 32M", 2023) is None  # the newest catalogue
    assert str(TitleNotFound("Inception", [], hint)) == f"no movie matches 'Inception'. {hint}"


# -- how sure a match is: the chat acts on "exact" and "confident", and asks about a "guess" ----------


@pytest.mark.parametrize(
    ("query", "title", "sureness"),
    [
        ("the matrix", "Matrix, The", "exact"),
        ("Se7en", "Seven (Se7en)", "exact"),
        ("godfather 2", "Godfather: Part II, The", "exact"),
        ("Star Wars", "Star Wars: Episode IV - A New Hope", "confident"),  # the franchise head
        ("terminator 2 judgment", "Terminator 2: Judgment Day", "confident"),  # most of a title
        ("empire strikes back", "Star Wars: Episode V - The Empire Strikes Back", "confident"),
        ("blade runer", "Blade Runner", "confident"),  # one slip in a long word
        ("bla", "Blade Runner", "guess"),  # a short start of a title
        ("Alien 5", "Alien³", "guess"),  # one character away, but another number
        ("heats", "Heat", "guess"),  # a slip in a short word
        ("children", "City of Lost Children, The", "guess"),  # a word inside a longer title
        ("the phantom menace", "Star Wars: Episode I - The Phantom Menace", "confident"),  # its own name
        ("wrath of khan", "Star Trek: The Wrath of Khan", "confident"),
        ("blade run", "Blade Runner", "guess"),  # a start that ends inside a word
    ],
)
def test_match_says_how_sure_it_is(index: TitleIndex, query: str, title: str, sureness: str) -> None:
    found = index.match(query)
    assert (found.movie.title, found.sureness) == (title, sureness)
    assert index.resolve(query) == found.movie


def test_match_says_which_tier_found_it(index: TitleIndex) -> None:
    """ "Star Wars 5": the chat must know "Star Wars" is a franchise head, whose parts are numbered."""
    assert index.match("Star Wars").found_by == "head"
    assert index.match("Heat").found_by == "title"
    assert index.match("id:1").found_by == "id"


# -- strict lookups (imports): no tiers beyond the exact title, no popularity -----------------------


def years_of(entries: list[TitleEntry]) -> list[int | None]:
    return sorted(e.year or 0 for e in entries)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Matrix", ["Matrix, The"]),
        ("matrix, the", ["Matrix, The"]),
        ("THE MATRIX", ["Matrix, The"]),
        ("Se7en", ["Seven (Se7en)"]),  # an alternate title
        ("Il Postino", ["Postino, Il (The Postman)"]),  # a moved foreign article
        ("Les Miserables", ["Misérables, Les"]),  # accents
        ("the godfather part ii", ["Godfather: Part II, The"]),  # punctuation, roman numerals
        ("Star Wars", []),  # a franchise head is not the title
        ("Matrx", []),  # nor is a typo
        ("Toy Story 2", ["Toy Story 2"]),  # a trailing number is part of the title, not a year
    ],
)
def test_same_title_is_exact_up_to_case_articles_and_punctuation(
    index: TitleIndex, title: str, expected: list[str]
) -> None:
    assert [e.title for e in index.same_title(title)] == expected


def test_same_title_can_insist_on_the_article(index: TitleIndex) -> None:
    assert [e.title for e in index.same_title("Terminator", keep_article=True)] == []
    assert [e.title for e in index.same_title("The Terminator", keep_article=True)] == ["Terminator, The"]
    assert [e.title for e in index.same_title("Terminator, the", keep_article=True)] == ["Terminator, The"]
    assert [e.title for e in index.same_title("Il Postino", keep_article=True)] == ["Postino, Il (The Postman)"]
    assert [e.title for e in index.same_title("Se7en", keep_article=True)] == ["Seven (Se7en)"]


def test_same_title_gives_every_year_and_no_popularity_winner(index: TitleIndex) -> None:
    assert years_of(index.same_title("Titanic")) == [1953, 1997]  # resolve() would pick 1997
    assert years_of(index.same_title("Hamlet")) == [1990, 1996, 2000]


def test_same_head_and_spelled_alike_are_suggestions(index: TitleIndex) -> None:
    assert {e.year for e in index.same_head("Star Wars")} == {1977, 1980, 1999}
    assert [e.title for e in index.spelled_alike("Matrx", years=[1998, 1999, 2000])] == ["Matrix, The"]
    assert index.spelled_alike("Matrx", years=[1970]) == []  # only the years asked
    assert index.spelled_alike("Matrx", years=[2030]) == []  # a year no movie has
    assert "Matrix, The" in [e.title for e in index.spelled_alike("Matrx")]


def test_entries_are_the_index(index: TitleIndex) -> None:
    assert len(index.entries()) == len(index)
    assert {e.title for e in index.entries()} >= {"Matrix, The", "Hamlet"}


def test_match_answers_a_repeated_query_from_its_memo() -> None:
    """One chat message asks the index about the same words several times: the scan runs once, the
    answer is the same, and a failure is raised afresh each time (a caller setting `hint` on one, as
    batch.py does, or its traceback, does not leak into the next)."""
    index = TitleIndex(ENTRIES)
    scans: list[str] = []
    uncached = index._match

    def counting(query: str):
        scans.append(query)
        return uncached(query)

    index._match = counting  # type: ignore[method-assign]
    first = index.match("the matrx")
    assert index.match("the matrx") == first and scans == ["the matrx"]
    raised = []
    for _ in range(2):
        with pytest.raises(TitleNotFound) as caught:
            index.match("matrox reloaded")
        raised.append((caught.value, caught.value.hint, len(caught.value.candidates)))
        caught.value.hint = "set by a caller"
        caught.value.candidates.clear()
    assert scans == ["the matrx", "matrox reloaded"]
    assert raised[0][0] is not raised[1][0] and raised[0][1:] == raised[1][1:] == (None, 5)
    fresh = TitleIndex(ENTRIES)  # the memo's failure says what a fresh index's does
    with pytest.raises(TitleNotFound) as expected:
        fresh.match("matrox reloaded")
    with pytest.raises(TitleNotFound) as caught:
        index.match("matrox reloaded")
    assert str(caught.value) == str(expected.value) and caught.value.candidates == expected.value.candidates
    for n in range(3 * MATCH_MEMO):  # bounded: many distinct queries keep at most MATCH_MEMO answers
        with contextlib.suppress(TitleNotFound, AmbiguousTitle):
            index.match(f"q{n} matrix")
    assert len(index._memo) <= MATCH_MEMO
