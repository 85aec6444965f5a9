"""The command line as scripts use it: `status --json`'s schema, the exit codes of the README's
table, one-line usage errors, and `recommend --batch`. In-process (typer's CliRunner) on the
session's set-up home (conftest.py), with real stores."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from movierec_tui.cli import app
from movierec_tui.status import SCHEMA_VERSION, Status
from movierec_tui.stores.errors import without_password

README = Path(__file__).resolve().parent.parent / "README.md"
DOWN_REDIS = "redis://scripts:s3cret@127.0.0.1:1/0"  # nothing listens on port 1

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def readme_section(title: str) -> str:
    """The README's text from the heading `title` to the next heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    return text[start : end if end != -1 else None]


# -- status --json -------------------------------------------------------------------------------


def test_status_json_is_snake_case_and_typed(isolated_env, synthetic) -> None:
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["schema_version"] == SCHEMA_VERSION == 1
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in report), list(report)
    assert report["ready"] is True and report["problems"] == []
    assert report["redis_reachable"] is True and report["milvus_reachable"] is True
    assert report["redis_embedded"] is False and report["redis_data_dir"] is None
    assert report["milvus_lite"] is True and report["milvus_uri"].endswith("milvus-lite.db")
    assert report["index_current"] is True and report["model_current"] is True
    assert type(report["cards"]) is int and type(report["saved_profiles"]) is int
    assert type(report["model_train_seconds"]) is float and report["model_train_seconds"] > 0
    assert report["indexed_model_version"] == report["model_version"]


def test_status_json_keys_are_the_readme_schema() -> None:
    """Every key `status --json` writes is documented in the README's table, and nothing more."""
    section = readme_section("### `status --json`")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))
    empty = Status(home="h", redis_embedded=True, redis_data_dir="d", milvus_lite=True, milvus_uri="m")
    assert documented == set(empty.to_json())
    assert f'"schema_version": {SCHEMA_VERSION}' in section


def test_status_with_redis_down_is_exit_3_and_hides_the_password(isolated_env) -> None:
    result = runner.invoke(app, ["status", "--json", "--redis-url", DOWN_REDIS])
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["ready"] is False and report["redis_reachable"] is False
    assert report["redis_url"] == "redis://scripts:***@127.0.0.1:1/0"
    assert report["milvus_reachable"] is True and "Redis is not reachable" in report["problems"]
    assert "s3cret" not in result.output
    assert result.stderr.strip() == "error: Redis not reachable: start it, or fix MOVIEREC_REDIS_URL"


def test_a_password_is_masked_in_any_uri() -> None:
    assert without_password("redis://:pw@host:6379/2") == "redis://:***@host:6379/2"
    assert without_password("https://root:Milvus@milvus.example:19530") == "https://root:***@milvus.example:19530"
    assert without_password("redis://host:6379") == "redis://host:6379"
    assert without_password("/home/me/milvus.db") == "/home/me/milvus.db"


def test_status_of_a_home_never_set_up_is_exit_4(tmp_path, redis_server) -> None:
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/12"  # a database nobody writes cards to
    result = runner.invoke(app, ["status", "--json", "--home", str(tmp_path), "--redis-url", redis_url])
    assert result.exit_code == 4, result.output
    report = json.loads(result.stdout)
    assert report["ready"] is False and report["cards"] == 0 and report["model_version"] is None
    assert "no trained model: run `movierec-tui setup`" in report["problems"]
    assert result.stderr.startswith("error: not ready: ") and len(result.stderr.splitlines()) == 1


# -- usage errors: one line and where to read more -------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["recomend"], "No such command 'recomend'. Did you mean 'recommend'? See `movierec-tui --help`"),
        (["recommend", "--nope"], "No such option: --nope"),
        (["recommend", "-k"], "Option '-k' requires an argument; see `movierec-tui recommend --help`"),
        (["recommend", "-k", "0"], "Invalid value for '-k'"),
        (["recommend", "--genre", "+Horror", "--genre", "-horror"],
         "--genre +Horror and --genre -horror contradict each other; see `movierec-tui recommend --help`"),
        (["recommend", "--year-from", "2000", "--year-to", "1990"],
         "--year-from 2000 is after --year-to 1990; see `movierec-tui recommend --help`"),
        (["recommend", "--batch", "x.jsonl", "--rate", "Alien=5"],
         "--batch reads every profile from its file; --rate cannot go with it"),
        (["status", "--jsn"], "No such option: --jsn"),
        (["index", "--hnsw=3"], "see `movierec-tui index --help`"),
        (["setup", "--dataset", "ml-2m"], "must be one of ml-1m"),
        (["evaluate", "--seeds", "five"], "expected numbers like 0,5,10,20"),
        (["serve"], "serve what? `serve ssh` or `serve web`; see `movierec-tui serve --help`"),
        (["serve", "ssh", "--port", "0"], "see `movierec-tui serve ssh --help`"),
        (["serve", "ssh"], "serve ssh needs exactly one of --authorized-keys FILE and --allow-anonymous; see"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line_with_a_help_hint_and_exit_2(args, line) -> None:
    """Never click's boxed usage message: before the stores are opened, in any command."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert len(result.output.splitlines()) == 1, result.output
    assert result.output.startswith("error: ") and line in result.output and "--help`" in result.output


def test_age_takes_any_age_and_maps_it_to_the_chats_bucket(isolated_env) -> None:
    from movierec_tui.chat import SetAge, parse
    from movierec_tui.titles import TitleEntry, TitleIndex

    for typed, bucket in (("33", 25), ("17", 1), ("18", 18), ("49", 45), ("70", 56), ("25-34", 25), ("56+", 56)):
        result = run("recommend", "--age", typed, "-k", "1", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["profile"]["age"] == bucket, typed
    titles = TitleIndex([TitleEntry(1, "Alien", 1979, 1000)])
    assert SetAge(25, 33) in parse("I'm 33", titles)  # the chat's reading of the same age


def test_a_flag_overrides_the_saved_profiles_opposite_genre(isolated_env) -> None:
    from movierec_tui.profile import Profile
    from movierec_tui.stores.backends import open_backends
    from movierec_tui.stores.cards import CardStore

    with open_backends(isolated_env) as backends:
        CardStore(backends.redis.client).save_profile("no-horror", Profile(genres_out=["Horror"]).to_json())
    result = run("recommend", "--profile", "no-horror", "--genre", "+Horror", "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["profile"]["genres_in"] == ["Horror"] and data["profile"]["genres_out"] == []
    assert all("Horror" in r["genres"] for r in data["results"])


# -- exit codes: one test per code of the README's table -----------------------------------------------


def test_the_readme_lists_exactly_the_exit_codes_the_cli_uses() -> None:
    from movierec_tui.cli_errors import EXIT_INTERRUPTED
    from movierec_tui.launch import EXIT_BAD_INPUT, EXIT_NOT_SET_UP, EXIT_SERVICE

    codes = {int(code) for code in re.findall(r"^\| `(\d+)` \|", readme_section("### Exit codes"), re.MULTILINE)}
    assert codes == {0, 1, EXIT_BAD_INPUT, EXIT_SERVICE, EXIT_NOT_SET_UP, EXIT_INTERRUPTED}


def test_exit_0_ok(isolated_env) -> None:
    for args in (["status"], ["recommend", "--rate", "Alien=4.5", "-k", "2"], ["--version"], ["recommend", "--help"]):
        assert run(*args).exit_code == 0, args


def test_exit_2_bad_input(isolated_env, tmp_path) -> None:
    """Beyond the usage errors above: what the stores or the data say is wrong."""
    cases = {
        ("recommend", "--rate", "Prairie Dogs=5"): "no movie matches 'Prairie Dogs'",
        ("recommend", "--profile", "nobody-saved-this"): "no saved profile named 'nobody-saved-this'",
        ("recommend", "--batch", str(tmp_path / "missing.jsonl")): "missing.jsonl",
        ("setup", "--from", str(tmp_path / "nothing-here")): "no such file or folder",
    }
    for args, message in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_exit_3_a_store_unavailable(isolated_env) -> None:
    for command in (["status"], ["recommend", "-k", "1"], ["recommend", "--batch", "-"], ["index"]):
        result = runner.invoke(app, [*command, "--redis-url", DOWN_REDIS], input="{}\n")
        assert result.exit_code == 3, (command, result.output)
        assert "not reachable" in result.stderr and "s3cret" not in result.output
        assert len(result.stderr.splitlines()) == 1, result.stderr


def test_exit_4_not_set_up(tmp_path, redis_server) -> None:
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/12"
    for command in (["status"], ["recommend", "-k", "1"], ["index"]):
        result = runner.invoke(app, [*command, "--home", str(tmp_path / "new"), "--redis-url", redis_url])
        assert result.exit_code == 4, (command, result.output)
        assert "movierec-tui setup" in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_exit_1_a_bug_keeps_its_traceback(isolated_env, monkeypatch) -> None:
    """An exception that is none of the project's own is not dressed up as bad input or a store down:
    it leaves the command, and Python exits 1 with its traceback."""
    from movierec_tui import status

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(status, "collect_status", broken)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1 and isinstance(result.exception, ZeroDivisionError)
    assert "error:" not in result.output


def test_exit_130_interrupted(isolated_env, monkeypatch) -> None:
    from movierec_tui import status

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(status, "collect_status", interrupted)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 130 and result.stderr.strip() == "error: interrupted"


# -- recommend --batch ---------------------------------------------------------------------------------


def test_batch_gives_what_recommend_json_gives_for_its_profile(isolated_env, tmp_path) -> None:
    """The `profile` object `--json` prints is a batch line; by id, by title and in half stars."""
    single = run("recommend", "--age", "33", "--rate", "Star Wars=5", "--rate", "Alien=4.5", "-k", "5", "--json")
    assert single.exit_code == 0, single.output
    expected = json.loads(single.output)
    by_title = {"age": 33, "gender": "female", "ratings": {"star wars": 5, "alien": "4.5"}}
    batch = tmp_path / "profiles.jsonl"
    batch.write_text(json.dumps(expected["profile"]) + "\n\n" + json.dumps(by_title) + "\n", encoding="utf-8")
    result = run("recommend", "--batch", str(batch), "-k", "5")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in lines] == [1, 3]  # the blank line 2 is skipped
    first, second = lines
    assert [r["movie_id"] for r in first["results"]] == [r["movie_id"] for r in expected["results"]]
    assert first["profile"] == expected["profile"] and first["schema"] == expected["schema"]
    assert second["profile"]["ratings"] == expected["profile"]["ratings"] and second["profile"]["gender"] == "F"
    assert second["profile"]["age"] == 25 and len(second["results"]) == 5


BAD_LINES = [
    ('{"ratings": {"Alien": 5}', "not valid JSON"),
    ('["Alien"]', "expected a JSON object"),
    ('{"ratings": {"Prairie Dogs": 5}}', "ratings: no movie matches 'Prairie Dogs'"),
    ('{"ratings": {"Alien": 4.3}}', "ratings['Alien']: a rating must be 0.5..5 in half stars"),
    ('{"ratings": {"Alien": 5, "alien": 2}}', "are the same movie, rated 5 and 2"),
    ('{"age": 200}', "age: age must be 0..120"),
    ('{"genres_in": ["Horror"], "genres_out": ["horror"]}', "genres_in and genres_out both have 'Horror'"),
    ('{"year_min": 2000, "year_max": 1990}', "year_min 2000 is after year_max 1990"),
    ('{"mood": "happy"}', "unknown field 'mood'"),
    ('{"dismissed": "Alien"}', "dismissed: expected a list"),
]


def test_a_bad_batch_line_is_file_line_what_and_the_batch_goes_on(isolated_env, tmp_path) -> None:
    good = json.dumps({"ratings": {"Alien": 5}})
    batch = tmp_path / "mixed.jsonl"
    batch.write_text("\n".join([good, *(text for text, _ in BAD_LINES), good]) + "\n", encoding="utf-8")
    result = run("recommend", "--batch", str(batch), "-k", "3")
    assert result.exit_code == 2, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["line"] for line in out] == list(range(1, len(BAD_LINES) + 3))
    assert "results" in out[0] and "results" in out[-1]
    errors = result.stderr.splitlines()
    assert len(errors) == len(BAD_LINES) + 1  # one line per bad line, and the summary
    for number, (line, (_, what)) in enumerate(zip(errors, BAD_LINES, strict=False), start=2):
        assert line.startswith(f"error: {batch}:{number}: ") and what in line, line
        assert out[number - 1]["error"] == line.removeprefix("error: ")
    assert errors[-1] == f"error: {batch}: 10 of 12 profiles could not be used (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)"


def test_batch_reads_stdin_and_a_file_that_is_not_text_is_one_line(isolated_env, tmp_path) -> None:
    result = runner.invoke(app, ["recommend", "--batch", "-", "-k", "2"], input='{"ratings": {"id:1": 4}}\n')
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["results"]) == 2
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"age": 30}\n\xff\xfe\n')
    bad = run("recommend", "--batch", str(binary))
    assert bad.exit_code == 2 and f"{binary}:2: not UTF-8 text" in bad.stderr


def test_every_command_is_one_unbroken_line_in_the_command_list() -> None:
    """`movierec-tui --help` lists each command with the first paragraph of its help, line breaks kept
    (typer's rich mode): setup, status, import and export broke mid-sentence ("... write movie cards,
    train" / "the model, index the vectors.")."""
    import typer.main

    group = typer.main.get_command(app)
    for name, command in {**group.commands, **group.commands["serve"].commands}.items():
        listed = (command.short_help or command.help or "").strip().split("\n\n")[0]
        assert listed and "\n" not in listed, f"{name}: {listed!r}"
