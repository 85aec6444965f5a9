"""The `movierec-tui` command, in-process (typer's CliRunner) and as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from movierec_tui import cli
from movierec_tui.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_recommend_json_is_stable_and_excludes_rated(isolated_env, synthetic) -> None:
    result = run(
        "recommend", "--gender", "F", "--age", "25", "--occupation", "programmer",
        "--rate", "Star Wars=5", "--rate", "alien=5", "--rate", "Matrix=4", "-k", "10", "--json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == 1 and data["model_version"]
    assert data["profile"]["gender"] == "F" and data["profile"]["occupation"] == 12
    rated = {int(m) for m in data["profile"]["ratings"]}
    assert len(rated) == 3
    results = data["results"]
    assert [r["rank"] for r in results] == list(range(1, 11))
    assert not {r["movie_id"] for r in results} & rated
    assert synthetic.cluster_share([r["movie_id"] for r in results], 0) >= 0.8
    assert set(results[0]) == {
        "rank", "movie_id", "title", "movielens_title", "year", "genres", "score", "predicted_rating",
        "mean_rating", "rating_count", "reason", "because_of",
    }
    assert all(r["because_of"] in rated for r in results)
    assert set(data["timings_ms"]) == {"encode", "match", "search", "cards", "total"}


def test_recommend_table_and_genre_filter(isolated_env, monkeypatch) -> None:
    monkeypatch.setattr(cli.console, "width", 200)
    result = run("recommend", "--rate", "Scream=5", "--genre", "-Horror", "-k", "5")
    assert result.exit_code == 0, result.output
    assert "because you liked Scream (1996)" in result.output
    assert "Horror" not in result.output.split("┃ Why")[-1].replace("Midnight Scream", "")


def test_no_movie_in_the_years_asked_says_which_years_the_catalogue_has(isolated_env, monkeypatch) -> None:
    """ "no movie matches these filters" left the person to guess that the catalogue stops in 2000."""
    monkeypatch.setattr(cli.console, "width", 200)
    result = run("recommend", "--year-from", "2090")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("no movie matches these filters (the catalogue: ")
    assert re.search(r"movies, \d{4}-\d{4}\)$", result.output.strip()), result.output


def test_unknown_and_ambiguous_titles_list_candidates(isolated_env) -> None:
    ambiguous = run("recommend", "--rate", "Starship 1=5")
    assert ambiguous.exit_code == 2
    assert "'Starship 1' is ambiguous: Starship 1" in ambiguous.output
    unknown = run("recommend", "--rate", "Screem=5", "--rate", "Prairie Dogs=5")
    assert unknown.exit_code == 2
    assert "no movie matches 'Prairie Dogs'; closest: Prairie " in unknown.output
    assert "Traceback" not in unknown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "0"], "-k"),
        (["-k", "1001"], "-k"),
        (["--age", "200"], "age must be 0..120"),
        (["--age", "thirty"], "a number of years (e.g. 33)"),
        (["--occupation", "astronaut"], "unknown occupation"),
        (["--gender", "x"], "gender must be"),
        (["--rate", "Alien=9"], "0.5..5 in half stars"),
        (["--rate", "Alien=4.3"], "0.5..5 in half stars"),
        (["--rate", "Alien"], "TITLE=STARS"),
        (["--genre", "-Gore"], "unknown genre"),
    ],
)
def test_bad_flags_are_rejected_with_a_clear_message(isolated_env, args, message) -> None:
    result = runner.invoke(app, ["recommend", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.splitlines()) == 1
    assert result.output.rstrip().endswith("; see `movierec-tui recommend --help`")


def test_status_reports_stores_and_counts(isolated_env, synthetic) -> None:
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ready"] is True and report["problems"] == []
    assert report["cards"] == report["vectors"] == len(synthetic.movie_cluster)
    assert report["dataset_fingerprint"]
    assert report["catalogue"] == {"name": "MovieLens 1M", "movies": 160, "year_min": 1955, "year_max": 2009}
    assert report["home"] == str(isolated_env.home)
    text = run("status")
    assert "catalogue" in text.output and "MovieLens 1M, 160 movies, 1955-2009" in text.output


def test_an_unknown_title_hints_that_the_catalogue_ends_early(isolated_env) -> None:
    result = run("recommend", "--rate", "Parasite 2019=5")
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "The catalogue (MovieLens 1M) ends in 2009; try `setup --dataset ml-32m`"
    ), result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "ml-2m"], "must be one of ml-1m"),
        (["--dataset", "ml-1m", "--from", "."], "not both"),
    ],
)
def test_setup_dataset_names_are_checked(args, message) -> None:
    result = runner.invoke(app, ["setup", *args])
    assert result.exit_code == 2 and message in result.output


def test_setup_rerun_skips_finished_steps(isolated_env, synthetic) -> None:
    result = run(
        "setup", "--from", str(synthetic.path), "--epochs", "60", "--batch-size", "64", "--learning-rate", "0.005"
    )
    assert result.exit_code == 0, result.output
    assert "already done: cards" in result.output and "train" in result.output and "index" in result.output


def _cli(home, *args: str, redis_url: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MOVIEREC_HOME=str(home), MOVIEREC_REDIS_URL=redis_url, COLUMNS="160")
    env.pop("MOVIEREC_MILVUS_URI", None)
    command = shutil.which("movierec-tui")
    prefix = [command] if command else [sys.executable, "-m", "movierec_tui"]
    return subprocess.run([*prefix, *args], env=env, capture_output=True, text=True, timeout=600)


def test_console_script_end_to_end_and_malformed_data(tmp_path, synthetic, redis_server) -> None:
    """A fresh home through the real `movierec-tui` process: setup, recommend, and a broken file."""
    broken = tmp_path / "broken"
    shutil.copytree(synthetic.path, broken)
    lines = (broken / "ratings.dat").read_text(encoding="latin-1").splitlines()
    lines[41] = "1::3::7::978300000"
    (broken / "ratings.dat").write_text("\n".join(lines) + "\n", encoding="latin-1")
    bad = _cli(tmp_path / "home-bad", "setup", "--from", str(broken), redis_url=redis_server.url)
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith("ratings.dat:42: rating must be 0.5..5 in half stars, got '7'"), bad.stderr
    assert "Traceback" not in bad.stderr

    redis_url = redis_server.url.rsplit("/", 1)[0] + "/3"  # its own database: cards differ from the session's
    setup = _cli(
        tmp_path / "home", "setup", "--from", str(synthetic.path), "--epochs", "60", "--batch-size", "64",
        "--learning-rate", "0.005", redis_url=redis_url,
    )
    assert setup.returncode == 0, setup.stderr
    # Not a terminal: plain progress lines (a progress bar would only show up at the end).
    steps = [line.split(" ", 1)[1] for line in setup.stdout.splitlines() if line[:2].isdigit()]
    assert "Catalogue: MovieLens 1M, 160 movies, 1955-2009" in steps
    for expected in ("parse: done (240 users, 160 movies,", "train: started (60 to do)", "train: 6/60", "index: done"):
        assert any(line.startswith(expected) for line in steps), (expected, setup.stdout)
    assert "\x1b[" not in setup.stdout  # no terminal control codes in a log file
    result = _cli(tmp_path / "home", "recommend", "--rate", "Toy Story=5", "-k", "5", "--json", redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["results"]) == 5
    assert synthetic.cluster_share([r["movie_id"] for r in data["results"]], 1) >= 0.6


def test_status_is_not_ready_for_an_older_model_format(isolated_env) -> None:
    import json as json_module

    from movierec_tui.status import collect_status

    info_path = isolated_env.model_dir / "model.json"
    original = info_path.read_text()
    data = json_module.loads(original)
    del data["format"]
    info_path.write_text(json_module.dumps(data))
    try:
        report = collect_status(isolated_env)
        assert report.ready is False and report.model_current is False
        assert report.problems == ["the model is of an older format: run `movierec-tui setup`"]
        assert "(older format)" in dict(report.rows())["model"]
    finally:
        info_path.write_text(original)


def test_setup_without_from_reuses_the_dataset_setup_was_given(isolated_env, synthetic) -> None:
    result = run("setup", "--epochs", "60", "--batch-size", "64", "--learning-rate", "0.005")
    assert result.exit_code == 0, result.output
    assert "already done: cards, train, index" in result.output


def test_evaluate_prints_both_protocols_and_writes_both_reports(isolated_env, synthetic, tmp_path) -> None:
    result = run(
        "evaluate", "--from", str(synthetic.path), "--epochs", "2", "--splits", "1", "--seeds", "0,5",
        "--config", '{"dislike_weight": 1.0}', "--out", str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    assert "time-ordered protocol, test users of 1 splits" in result.output
    assert "random-order protocol" in result.output and "Dislikes" in result.output
    assert (tmp_path / "evaluation.md").exists()
    written = json.loads((tmp_path / "evaluation.json").read_text())
    assert {(r["protocol"], r["n_seed"]) for r in written["results"]} == {
        (p, n) for p in ("time-ordered", "random-order") for n in (0, 5)
    }
    assert written["train_config"]["dislike_weight"] == 1.0 and written["train_config"]["epochs"] == 2
    bad = runner.invoke(app, ["evaluate", "--from", str(synthetic.path), "--seeds", "five"])
    assert bad.exit_code == 2 and "expected numbers like 0,5,10,20" in bad.output
    unknown = runner.invoke(app, ["evaluate", "--from", str(synthetic.path), "--config", '{"dislike": 1}'])
    assert unknown.exit_code == 2 and "unknown field 'dislike'" in unknown.output
