"""Settings precedence: flags > environment > config.toml > defaults."""

from __future__ import annotations

import pytest

from movierec_tui.config import ConfigError, default_home, load_settings


def test_defaults_put_everything_under_the_home(tmp_path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.home == tmp_path.resolve()
    assert settings.effective_milvus_uri == str(tmp_path.resolve() / "milvus-lite.db")
    assert settings.uses_embedded_redis and settings.uses_milvus_lite
    assert settings.sources == {
        "home": "flag", "milvus_uri": "default", "milvus_token": "default", "redis_url": "default",
    }
    assert "movierec-tui" in str(default_home())


def test_environment_beats_file_and_flags_beat_both(tmp_path) -> None:
    (tmp_path / "config.toml").write_text(
        'milvus_uri = "http://file:19530"\nredis_url = "redis://file:6379/0"\nmilvus_token = "t"\n', "utf-8"
    )
    from_file = load_settings(tmp_path, env={})
    assert from_file.milvus_uri == "http://file:19530" and from_file.redis_url == "redis://file:6379/0"
    assert not from_file.uses_milvus_lite and not from_file.uses_embedded_redis
    from_env = load_settings(env={"MOVIEREC_HOME": str(tmp_path), "MOVIEREC_REDIS_URL": "redis://env:1/0"})
    assert from_env.redis_url == "redis://env:1/0" and from_env.milvus_uri == "http://file:19530"
    assert from_env.sources["home"] == "env MOVIEREC_HOME" and from_env.sources["redis_url"] == "env MOVIEREC_REDIS_URL"
    flagged = from_env.with_overrides(redis_url="redis://flag:2/0", milvus_uri=None)
    assert flagged.redis_url == "redis://flag:2/0" and flagged.sources["redis_url"] == "flag"
    assert flagged.milvus_uri == "http://file:19530"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("milvus_uri = ", "not valid TOML"),
        ('redis = "x"', "unknown setting 'redis'"),
        ("redis_url = 5", "redis_url must be a string"),
    ],
)
def test_bad_config_file_is_named(tmp_path, text, message) -> None:
    (tmp_path / "config.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_settings(tmp_path, env={})
    assert str(tmp_path / "config.toml") in str(error.value)
