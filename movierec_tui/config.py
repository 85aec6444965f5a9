"""Settings, resolved once: CLI flags > environment > `config.toml` in the home dir > defaults.

Every path the app writes lives under one home dir so that a user can see, back up or delete all
state in one place, and tests can isolate themselves by pointing MOVIEREC_HOME at a temp dir.
"""

from __future__ import annotations

import os
import tomllib
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import platformdirs

ENV_HOME = "MOVIEREC_HOME"
ENV_MILVUS_URI = "MOVIEREC_MILVUS_URI"
ENV_MILVUS_TOKEN = "MOVIEREC_MILVUS_TOKEN"
ENV_REDIS_URL = "MOVIEREC_REDIS_URL"
ENV_PROFILE_NAMESPACE = "MOVIEREC_PROFILE_NAMESPACE"
ENV_PROFILE_TTL = "MOVIEREC_PROFILE_TTL"  # seconds a saved profile is kept; set for anonymous served sessions
ANONYMOUS_PROFILE_TTL = 86400  # nobody can reopen an anonymous session's profiles: they are kept a day
ENV_SERVED = "MOVIEREC_SERVED"  # set by `serve` for the app processes it starts: "ssh" or "web"
PER_PROCESS_NAMESPACE = "session"  # the value that asks for a fresh, private namespace in each process

CONFIG_KEYS = ("milvus_uri", "milvus_token", "redis_url")


class ConfigError(Exception):
    """A setting that cannot be used; the message names the file or variable and the value."""


@dataclass(frozen=True)
class Settings:
    home: Path
    milvus_uri: str = ""  # "" -> the Milvus Lite data dir under home
    milvus_token: str = ""
    redis_url: str = ""  # "" -> an embedded Valkey server with data under home
    profile_namespace: str = ""  # set by `serve` for each session; "" -> the local user's profiles
    profile_ttl: int = 0  # seconds; 0 -> saved profiles are kept until deleted
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # setting -> where it came from

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def model_dir(self) -> Path:
        return self.home / "model"

    @property
    def staged_model_dir(self) -> Path:
        """A newly trained model waiting for its index; it replaces model_dir once indexed."""
        return self.home / "model.next"

    @property
    def milvus_lite_path(self) -> Path:
        """Milvus Lite's data: one file (milvus-lite 2.5); a URI ending in ".db" means Milvus Lite."""
        return self.home / "milvus-lite.db"

    @property
    def old_milvus_lite_dir(self) -> Path:
        """Where milvus-lite 3 (before this version) kept its data, a directory; `index` removes it."""
        return self.home / "milvus.db"

    @property
    def redis_dir(self) -> Path:
        return self.home / "redis"

    @property
    def journal_dir(self) -> Path:
        """Profile saves Redis could not take, kept until it can (stores/journal.py)."""
        return self.home / "journal"

    @property
    def log_file(self) -> Path:
        return self.home / "movierec.log"

    @property
    def state_file(self) -> Path:
        return self.home / "setup-state.json"

    @property
    def effective_milvus_uri(self) -> str:
        return self.milvus_uri or str(self.milvus_lite_path)

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def uses_milvus_lite(self) -> bool:
        return not self.milvus_uri or self.milvus_uri.endswith(".db")

    def with_overrides(self, **overrides: str | None) -> Settings:
        """Apply CLI flags (None means "not given") on top of the resolved settings."""
        given = {key: value for key, value in overrides.items() if value is not None}
        sources = dict(self.sources) | {key: "flag" for key in given}
        return replace(self, sources=sources, **given)


def default_home() -> Path:
    return Path(platformdirs.user_data_dir("movierec-tui", appauthor=False))


def _read_config_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(CONFIG_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(CONFIG_KEYS)}")
    for key, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string, got {value!r}")
    return data


def load_settings(home: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Resolve settings; `home` is the --home flag, `env` defaults to the process environment."""
    env = dict(os.environ if env is None else env)
    if home is not None:
        home_path, home_source = home, "flag"
    elif env.get(ENV_HOME):
        home_path, home_source = Path(env[ENV_HOME]), f"env {ENV_HOME}"
    else:
        home_path, home_source = default_home(), "default"
    home_path = home_path.expanduser().resolve()
    config_path = home_path / "config.toml"
    from_file = _read_config_file(config_path)
    values: dict[str, str] = {}
    sources: dict[str, str] = {"home": home_source}
    for key, env_name in (
        ("milvus_uri", ENV_MILVUS_URI),
        ("milvus_token", ENV_MILVUS_TOKEN),
        ("redis_url", ENV_REDIS_URL),
    ):
        if env.get(env_name):
            values[key], sources[key] = env[env_name], f"env {env_name}"
        elif key in from_file:
            values[key], sources[key] = from_file[key], str(config_path)
        else:
            sources[key] = "default"
    namespace = env.get(ENV_PROFILE_NAMESPACE, "")
    if namespace == PER_PROCESS_NAMESPACE:
        namespace = f"web-{uuid.uuid4().hex[:12]}"
    ttl_text = env.get(ENV_PROFILE_TTL, "") or "0"
    if not ttl_text.isdigit():
        raise ConfigError(f"{ENV_PROFILE_TTL} must be a whole number of seconds, got {ttl_text!r}")
    return Settings(
        home=home_path, sources=sources, profile_namespace=namespace, profile_ttl=int(ttl_text), **values
    )
