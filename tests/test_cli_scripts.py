"""The command line as scripts use it: `status --json`'s schema, the exit codes of the README's
table, one-line usage errors, and `recommend --batch`. In-process (typer's CliRunner) on the
session's set-up home (conftest.py), with real stores."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    assert report["milvus_lite"] is True and report["milvus_uri"].endswith("milvus.db")
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
