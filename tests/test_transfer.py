"""Import and export of ratings and lists: reading each export format (generated files), matching
without guessing (by IMDb id through links, else by title and year), applying idempotently, writing
back out, and the `import`/`export` commands on a real Redis with the synthetic catalogue."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from movierec_tui.cli import app
from movierec_tui.config import Settings, load_settings
from movierec_tui.data_loader.errors import DataError
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.engine import Library
from movierec_tui.model.encoder import ModelMissing
from movierec_tui.profile import Profile
from movierec_tui.stores.cards import CardStore, MovieCard, build_cards
from movierec_tui.titles import TitleEntry, TitleIndex
from movierec_tui.transfer import apply_import, export_profile, import_file, match_rows, read_export
from movierec_tui.transfer.match import AMBIGUOUS, MATCHED, NOT_FOUND
from movierec_tui.transfer.read import ImportRow, read_csv_text

runner = CliRunner()

LETTERBOXD_RATINGS = ["Date", "Name", "Year", "Letterboxd URI", "Rating"]
LETTERBOXD_LIST = ["Date", "Name", "Year", "Letterboxd URI"]
IMDB_RATINGS = [
    "Const", "Your Rating", "Date Rated", "Title", "Original Title", "URL", "Title Type", "IMDb Rating",
    "Runtime (mins)", "Year", "Genres", "Num Votes", "Release Date", "Directors",
]  # fmt: skip

# A small catalogue in MovieLens's spelling: (id, title, year).
CATALOGUE = [
    (1, "Matrix, The", 1999),
    (2, "Seven (Se7en)", 1995),
    (3, "Hamlet", 1990),
    (4, "Hamlet", 1996),
    (5, "Star Wars: Episode IV - A New Hope", 1977),
    (6, "Postino, Il (The Postman)", 1994),
    (7, "Alien", 1979),
    (8, "Heat", 1995),
    (9, "Twin Movie", 1990),
    (10, "Twin Movie", 1990),  # two movies, one title and year: only an id tells them apart
    (11, "Misérables, Les", 1998),
    (12, "Fear, The", 1995),
]
LINKS = {1: "tt0133093", 2: "tt0114369", 7: "tt0078748", 8: "tt0113277"}


@pytest.fixture(scope="module")
def titles() -> TitleIndex:
    return TitleIndex(TitleEntry(m, title, year, 100) for m, title, year in CATALOGUE)


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.write_text(csv_text(header, rows), encoding="utf-8")
    return path


def imdb_row(const: str, rating: int, title: str, year: int | str, kind: str = "movie", original: str = "") -> list:
    return [const, rating, "2021-03-04", title, original or title, "", kind, "7.5", "100", year, "Drama", "1000",
            f"{year}-01-01", "Someone"]  # fmt: skip


def statuses(report) -> list[tuple[str, int | None]]:
    return [(m.outcome, m.movie.movie_id if m.movie else None) for m in report.rows]


# -- reading ------------------------------------------------------------------------------------


def test_each_format_is_read_from_its_header(tmp_path: Path) -> None:
    letterboxd = write(tmp_path / "ratings.csv", LETTERBOXD_RATINGS, [["2020-01-02", "The Matrix", 1999, "u", "4.5"]])
    watched = write(tmp_path / "watched.csv", LETTERBOXD_LIST, [["2020-01-02", "Heat", 1995, "u"]])
    watchlist = write(tmp_path / "watchlist.csv", LETTERBOXD_LIST, [["2020-01-02", "Alien", 1979, "u"]])
    imdb = write(tmp_path / "imdb.csv", IMDB_RATINGS, [imdb_row("tt0133093", 7, "The Matrix", 1999)])
    plain = write(tmp_path / "mine.csv", ["Title", "Year", "Rating"], [["Heat", "1995", "4"], ["Alien", "", "5"]])

    [lb] = read_export(letterboxd)
    assert lb.format == "letterboxd-ratings"
    assert lb.rows[0] == ImportRow("ratings.csv", 2, "The Matrix", 1999, "ratings", 4.5, date="2020-01-02")
    assert read_export(watched)[0].rows[0].target == "seen"
    assert read_export(watchlist)[0].rows[0].target == "watchlist"
    [im] = read_export(imdb)
    assert im.format == "imdb-ratings"
    assert (im.rows[0].rating, im.rows[0].imdb_id, im.rows[0].date) == (3.5, "tt0133093", "2021-03-04")  # 7/10
    [pl] = read_export(plain)
    assert pl.format == "csv" and [(r.title, r.year, r.rating) for r in pl.rows] == [("Heat", 1995, 4.0),
                                                                                     ("Alien", None, 5.0)]  # fmt: skip


def test_imdb_scale_maps_to_half_stars() -> None:
    rows = [imdb_row(f"tt00000{n:02d}", n, f"M{n}", 1990) for n in range(1, 11)]
    parsed = read_csv_text("ratings.csv", csv_text(IMDB_RATINGS, rows)).rows
    assert [r.rating for r in parsed] == [n / 2 for n in range(1, 11)]


def test_a_letterboxd_zip_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "letterboxd-someone-2024.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ratings.csv", csv_text(LETTERBOXD_RATINGS, [["2020-01-02", "Heat", 1995, "u", "4"]]))
        archive.writestr("watchlist.csv", csv_text(LETTERBOXD_LIST, []))  # an empty list is fine
        archive.writestr("profile.csv", "Username\nsomeone\n")  # other files are not read
    files = read_export(path)
    assert [(f.name, f.format, len(f.rows)) for f in files] == [
        (f"{path.name}/ratings.csv", "letterboxd-ratings", 1),
        (f"{path.name}/watchlist.csv", "letterboxd-watchlist", 0),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad.csv:1: empty file"),
        ("a,b\n1,2\n", "bad.csv:1: unknown header 'a,b'"),
        ("title,year,rating\nHeat,1995,4\nAlien,1979,7\n", "bad.csv:3: rating '7' is not 0.5..5 in half stars"),
        ("title,year,rating\nHeat,1995,4.3\n", "bad.csv:2: rating '4.3' is not 0.5..5 in half stars"),
        ("title,year,rating\nHeat,nineteen,4\n", "bad.csv:2: year 'nineteen' is not a year"),
        ("title,year,rating\n,1995,4\n", "bad.csv:2: title is empty"),
        ("title,year,rating,list\nHeat,1995,,later\n", "bad.csv:2: list 'later' is not one of watchlist, seen"),
        ("Date,Name,Year,Letterboxd URI,Rating\n2020-13-01,Heat,1995,u,4\n", "bad.csv:2: Date '2020-13-01' is not"),
        (csv_text(IMDB_RATINGS, [imdb_row("x123", 7, "Heat", 1995)]), "bad.csv:2: Const 'x123' is not an IMDb id"),
        (csv_text(IMDB_RATINGS, [imdb_row("tt0113277", 11, "Heat", 1995)]), "bad.csv:2: Your Rating '11' is not 1..10"),
    ],
)
def test_a_bad_file_is_one_line_naming_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_export(path)
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_utf8_and_not_an_export_zip(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("title,year,rating\nAmélie,2001,4\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin.csv:2: is not UTF-8"):
        read_export(latin)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "hi")
    with pytest.raises(DataError, match="not a Letterboxd export"):
        read_export(other)


# -- matching -----------------------------------------------------------------------------------


def rows_of(*entries: tuple) -> list[ImportRow]:
    """(title, year[, imdb id]) -> ratings rows of 4 stars."""
    return [ImportRow("f.csv", i + 2, e[0], e[1], "ratings", 4.0, imdb_id=e[2] if len(e) > 2 else None)
            for i, e in enumerate(entries)]  # fmt: skip


def test_forgiving_title_matching_never_guesses(titles: TitleIndex) -> None:
    report = match_rows(
        rows_of(
            ("the matrix", 1999),  # case, article moved
            ("Matrix, the", 1999),  # MovieLens's own spelling, any case
            ("Se7en", 1995),  # alternate title
            ("Il Postino", 1995),  # foreign title, year off by one
            ("Les Miserables", 1998),  # accents
            ("Hamlet", 1996),  # the year decides
            ("Hamlet", None),  # no year: two movies (and a third may be meant)
            ("Heat", None),  # no year: one movie of the title, but nothing to confirm it
            ("Twin Movie", 1990),  # two movies of one title and year
            ("Star Wars", 1977),  # a franchise head, not the title
            ("Matrx", 1999),  # a typo
            ("Hamlet", 1948),  # that title, other years only
            ("Blade Runner 2049", 2017),  # not in the catalogue at all
            ("Fear", 1996),  # a year off and the article off: another movie, perhaps
            ("The Fear", 1996),  # a year off only
        ),
        titles,
    )
    assert statuses(report) == [
        (MATCHED, 1), (MATCHED, 1), (MATCHED, 2), (MATCHED, 6), (MATCHED, 11), (MATCHED, 4),
        (AMBIGUOUS, None), (AMBIGUOUS, None), (AMBIGUOUS, None), (AMBIGUOUS, None), (AMBIGUOUS, None),
        (NOT_FOUND, None), (NOT_FOUND, None), (AMBIGUOUS, None), (MATCHED, 12),
    ]  # fmt: skip
    how = [m.how for m in report.matched]
    assert how[3] == "title, year off by one" and how[0] == "title and year"
    candidates = {m.row.line: [c.movie_id for c in m.candidates] for m in report.rows if m.outcome != MATCHED}
    assert candidates[8] == [3, 4] and candidates[9] == [8] and candidates[10] == [9, 10]
    assert candidates[11] == [5] and candidates[12] == [1] and candidates[13] == [3, 4]
    assert candidates[14] == [] and candidates[15] == [12]


def test_a_number_written_the_other_way_is_the_same_title() -> None:
    """Letterboxd says "12 Monkeys", MovieLens "Twelve Monkeys": the same movie (titles.py), matched
    by title and year; before, both were "no movie of that title"."""
    titles = TitleIndex([TitleEntry(1, "Twelve Monkeys", 1995, 100), TitleEntry(2, "12 Angry Men", 1957, 100)])
    report = match_rows(rows_of(("12 Monkeys", 1995), ("Twelve Angry Men", 1957), ("12 Monkeys", 1957)), titles)
    assert statuses(report) == [(MATCHED, 1), (MATCHED, 2), (NOT_FOUND, None)]


def test_a_year_either_side_of_two_movies_is_ambiguous() -> None:
    index = TitleIndex([TitleEntry(1, "Remake", 1990, 10), TitleEntry(2, "Remake", 1992, 10)])
    [match] = match_rows(rows_of(("Remake", 1991)), index).rows
    assert match.outcome == AMBIGUOUS and [c.movie_id for c in match.candidates] == [1, 2]


def test_imdb_ids_match_first_and_veto_a_title_match(titles: TitleIndex) -> None:
    report = match_rows(
        rows_of(
            ("Some Other Name", 1999, "tt0133093"),  # the id wins over any title
            ("Heat", 1995, "tt9999999"),  # Heat (1995) is tt0113277: another movie of that title
            ("Hamlet", 1996, "tt0116477"),  # no link for the Hamlets: title and year decide
            ("Alien", 1979, None),
        ),
        titles,
        LINKS,
    )
    assert statuses(report) == [(MATCHED, 1), (NOT_FOUND, None), (MATCHED, 4), (MATCHED, 7)]
    assert report.rows[0].how == "imdb id"


def test_tv_rows_of_an_imdb_export_are_never_matched(titles: TitleIndex) -> None:
    text = csv_text(IMDB_RATINGS, [imdb_row("tt0000001", 8, "Heat", 1995, kind="tvSeries")])
    [match] = match_rows(read_csv_text("ratings.csv", text).rows, titles).rows
    assert match.outcome == NOT_FOUND and match.why == "a tvSeries, not a movie"


def test_imdb_original_title_is_tried_too(titles: TitleIndex) -> None:
    text = csv_text(IMDB_RATINGS, [imdb_row("tt0110877", 8, "The Postman", 1994, original="Il postino")])
    assert statuses(match_rows(read_csv_text("ratings.csv", text).rows, titles)) == [(MATCHED, 6)]


# -- applying -----------------------------------------------------------------------------------


def report_of(titles: TitleIndex, *rows: tuple[str, int, str, float | None, str]):
    """(title, year, target, rating, date) rows, matched."""
    return match_rows(
        [ImportRow("f.csv", i + 2, t, y, target, r, date=d) for i, (t, y, target, r, d) in enumerate(rows)], titles
    )


def test_apply_is_idempotent_ordered_by_date_and_keeps_the_rest(titles: TitleIndex) -> None:
    before = Profile(ratings={8: 2.0}, dismissed=[3], watchlist=[7, 1], seen=[2])
    report = report_of(
        titles,
        ("The Matrix", 1999, "ratings", 4.5, "2021-05-01"),
        ("Alien", 1979, "ratings", 5.0, "2020-01-01"),
        ("Heat", 1995, "ratings", 3.0, "2019-01-01"),
        ("The Matrix", 1999, "seen", None, "2021-05-01"),  # rated: not "seen without a rating"
        ("Hamlet", 1996, "seen", None, "2021-01-01"),
        ("Se7en", 1995, "watchlist", None, "2021-01-01"),  # seen already: not to watch
        ("Il Postino", 1994, "watchlist", None, "2021-01-01"),
    )
    after, changes = apply_import(before, report)
    assert list(after.ratings.items()) == [(8, 3.0), (7, 5.0), (1, 4.5)]  # Heat changed in place
    assert (after.seen, after.watchlist, after.dismissed) == ([2, 4], [6], [3])  # rated ones leave the lists
    assert (changes.ratings_added, changes.ratings_changed, changes.seen_added, changes.watchlist_added) == (
        [7, 1], [8], [4], [6])  # fmt: skip
    assert before == Profile(ratings={8: 2.0}, dismissed=[3], watchlist=[7, 1], seen=[2])  # not touched
    again, changes_again = apply_import(after, report)
    assert again == after and not changes_again.any


def test_the_latest_of_two_ratings_of_one_movie_wins(titles: TitleIndex) -> None:
    report = report_of(
        titles, ("Heat", 1995, "ratings", 5.0, "2022-01-01"), ("heat", 1995, "ratings", 2.0, "2020-01-01")
    )
    after, _ = apply_import(Profile(), report)
    assert after.ratings == {8: 5.0}


# -- writing ------------------------------------------------------------------------------------


def test_letterboxd_and_csv_exports_read_back_to_the_same_profile(titles: TitleIndex, tmp_path: Path) -> None:
    entries = {e.movie_id: e for e in titles.entries()}
    profile = Profile(ratings={6: 3.5, 1: 4.5, 2: 5.0, 11: 0.5}, seen=[4], watchlist=[7, 5])
    for fmt, name in (("letterboxd", "export.zip"), ("csv", "export.csv")):
        written = export_profile(profile, entries, fmt, LINKS)
        assert written.written == 7 and written.left_out == []
        (tmp_path / name).write_bytes(written.data)
        files = read_export(tmp_path / name)
        report = match_rows((row for f in files for row in f.rows), titles, LINKS)
        assert not report.ambiguous and not report.not_found
        imported, _ = apply_import(Profile(), report)
        assert list(imported.ratings.items()) == list(profile.ratings.items()), fmt
        assert (imported.seen, imported.watchlist) == (profile.seen, profile.watchlist), fmt


def test_json_export_and_movies_no_longer_in_the_catalogue(titles: TitleIndex) -> None:
    entries = {e.movie_id: e for e in titles.entries()}
    written = export_profile(Profile(ratings={1: 4.0, 999: 3.0}, watchlist=[2]), entries, "json", LINKS, name="me")
    data = json.loads(written.data)
    assert data["ratings"] == [{"movie_id": 1, "title": "The Matrix", "year": 1999, "rating": 4.0,
                                "imdb_id": "tt0133093"}]  # fmt: skip
    assert data["watchlist"][0]["title"] == "Seven" and data["seen"] == []
    assert written.left_out == [999]


# -- on a real Redis: the engine's Library and the commands -------------------------------------


@pytest.fixture(scope="module")
def linked_settings(tmp_path_factory: pytest.TempPathFactory, redis_server, synthetic) -> Settings:
    """The synthetic catalogue's cards, each with an IMDb id, in a Redis database of their own."""
    url = redis_server.url.rsplit("/", 1)[0] + "/5"
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    dataset = load_dataset(synthetic.path)
    dataset.links = {m: f"tt{9_000_000 + m:07d}" for m in dataset.movies}
    CardStore(client, "", 0).write_cards(build_cards(dataset))
    yield load_settings(tmp_path_factory.mktemp("linked-home"), env={"MOVIEREC_REDIS_URL": url})
    client.flushdb()
    client.close()


def test_cards_keep_the_imdb_id() -> None:
    card = MovieCard(7, "Alien", 1979, ("Horror",), 4.1, 10, (0, 0, 1, 2, 7), imdb_id="tt0078748")
    assert MovieCard.from_hash(7, card.to_hash()) == card
    older = {k: v for k, v in card.to_hash().items() if k != "imdb"}  # a card written before links
    assert MovieCard.from_hash(7, older).imdb_id is None


def test_the_library_says_when_there_is_no_catalogue_yet(tmp_path: Path, redis_server) -> None:
    url = redis_server.url.rsplit("/", 1)[0] + "/6"
    redis.Redis.from_url(url).flushdb()
    library = Library(load_settings(tmp_path, env={"MOVIEREC_REDIS_URL": url}))
    with library, pytest.raises(ModelMissing, match="run `movierec-tui setup` first"):
        library.titles  # noqa: B018


def test_import_through_the_library_saves_once_and_only_what_matched(linked_settings: Settings, tmp_path) -> None:
    path = write(tmp_path / "imdb.csv", IMDB_RATINGS, [
        imdb_row("tt9000001", 10, "Renamed Star Wars", 1977),  # by id: movie 1
        imdb_row("tt1234567", 8, "Alien", 1979),  # Alien's id differs: another Alien
        imdb_row("tt0000000", 6, "Toy Story", 1995),  # id unknown, title and year match (and no other id)
    ])  # fmt: skip
    saves: list[str] = []
    with Library(linked_settings) as library:
        assert len(library.imdb_links) == len(library.titles)
        toy_story = library.titles.same_title("Toy Story")[0].movie_id
        links = dict(library.imdb_links)
        links.pop(toy_story)  # as if links.csv had no line for it

        class Counting:
            def load(self, name):
                return library.profiles.load(name)

            def save(self, name, profile):
                saves.append(name)
                library.profiles.save(name, profile)

        outcome = import_file(path, library.titles, links, Counting(), "linked")
        assert statuses(outcome.report) == [(MATCHED, 1), (NOT_FOUND, None), (MATCHED, toy_story)]
        assert library.profiles.load("linked").ratings == {1: 5.0, toy_story: 3.0}
        again = import_file(path, library.titles, links, Counting(), "linked")
    assert saves == ["linked"] and not again.saved and not again.created


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_import_command_reports_and_is_idempotent(isolated_env, tmp_path: Path) -> None:
    path = write(tmp_path / "ratings.csv", LETTERBOXD_RATINGS, [
        ["2020-01-01", "The Matrix", "1999", "https://boxd.it/1", "4.5"],
        ["2020-01-02", "Alien", "1980", "https://boxd.it/2", "5"],  # a year off
        ["2020-01-03", "Starship 5", "", "https://boxd.it/3", "3"],  # no year
        ["2020-01-04", "Blade Runner 2049", "2017", "https://boxd.it/4", "4"],
    ])  # fmt: skip
    first = run("import", str(path), "--profile", "cli-import", "--json")
    assert first.exit_code == 0, first.output
    data = json.loads(first.output)
    assert data["counts"] == {"rows": 4, "matched": 2, "ambiguous": 1, "not_in_catalogue": 1}
    assert data["changes"]["ratings_added"] == 2 and data["created"] and data["saved"]
    assert [m["movie"] for m in data["matched"]] == ["The Matrix (1999)", "Alien (1979)"]
    assert data["ambiguous"][0]["where"] == "ratings.csv:4" and data["ambiguous"][0]["candidates"]
    second = run("import", str(path), "--profile", "cli-import")
    assert second.exit_code == 0, second.output
    assert "nothing new" in second.output and "nothing saved" in second.output
    assert "ratings.csv:5  Blade Runner 2049 (2017): no movie of that title" in second.output


def test_a_bad_file_changes_nothing_and_exits_2(isolated_env, tmp_path: Path) -> None:
    good = write(tmp_path / "good.csv", ["title", "year", "rating"], [["Alien", "1979", "4"]])
    assert run("import", str(good), "--profile", "cli-bad").exit_code == 0
    bad = write(tmp_path / "bad.csv", ["title", "year", "rating"], [["Scream", "1996", "5"], ["Alien", "1979", "9"]])
    result = run("import", str(bad), "--profile", "cli-bad")
    assert result.exit_code == 2
    assert "bad.csv:3: rating '9' is not 0.5..5 in half stars" in result.output
    exported = run("export", "--profile", "cli-bad", "--format", "csv")
    assert exported.output.splitlines()[1:] == ["Alien,1979,4,,"]  # Scream was not imported
    assert run("import", str(tmp_path / "missing.csv"), "--profile", "cli-bad").exit_code == 2
    assert run("import", str(good), "--profile", "no spaces please").exit_code == 2


def test_letterboxd_export_round_trip_through_the_commands(isolated_env, tmp_path: Path) -> None:
    source = write(tmp_path / "mine.csv", ["title", "year", "rating", "list"], [
        ["Toy Story", "1995", "4.5", ""], ["Scream", "1996", "1", ""], ["Unforgiven", "1992", "", "seen"],
        ["The Shining", "1980", "", "watchlist"],
    ])  # fmt: skip
    assert run("import", str(source), "--profile", "cli-trip").exit_code == 0
    out = tmp_path / "trip.zip"
    written = run("export", "--profile", "cli-trip", "--format", "letterboxd", "--out", str(out))
    assert written.exit_code == 0, written.output
    with zipfile.ZipFile(out) as archive:
        assert archive.read("ratings.csv").decode().splitlines()[0] == "Date,Name,Year,Letterboxd URI,Rating"
    back = run("import", str(out), "--profile", "cli-trip-2", "--json")
    assert json.loads(back.output)["counts"]["matched"] == 6  # 2 ratings; 3 watched (the rated too); 1 to watch
    original = json.loads(run("export", "--profile", "cli-trip", "--format", "json").output)
    copy = json.loads(run("export", "--profile", "cli-trip-2", "--format", "json").output)
    assert {k: v for k, v in copy.items() if k != "profile"} == {k: v for k, v in original.items() if k != "profile"}
    assert original["seen"][0]["title"] == "Unforgiven" and original["watchlist"][0]["title"] == "The Shining"


def test_export_needs_a_saved_profile_and_a_file_for_letterboxd(isolated_env) -> None:
    missing = run("export", "--profile", "nobody-here", "--format", "csv")
    assert missing.exit_code == 2 and "no saved profile named 'nobody-here'" in missing.output
    assert run("export", "--profile", "x", "--format", "letterboxd").exit_code == 2
    assert run("export", "--profile", "x", "--format", "xml").exit_code == 2
