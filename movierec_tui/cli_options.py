"""What every `movierec-tui` command shares: the consoles, the store options (--home,
--milvus-uri, --redis-url) and the settings they make. A module of its own so that commands kept
outside cli.py (cli_transfer.py) use the same ones without importing cli.py; failures end in
cli_errors.OneLineErrors for every command alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from movierec_tui.cli_errors import fail
from movierec_tui.config import ConfigError, Settings
from movierec_tui.launch import EXIT_BAD_INPUT, describe_os_error, prepare_settings

if TYPE_CHECKING:
    from movierec_tui.model.train import TrainConfig

console = Console()
err_console = Console(stderr=True)

HomeOption = Annotated[Path | None, typer.Option("--home", help="Home dir for all state \\[env MOVIEREC_HOME].")]
MilvusOption = Annotated[
    str | None, typer.Option("--milvus-uri", help="Milvus URI, e.g. http://host:19530 \\[env MOVIEREC_MILVUS_URI].")
]
RedisOption = Annotated[str | None, typer.Option("--redis-url", help="Redis URL \\[env MOVIEREC_REDIS_URL].")]


def resolve_settings(home: Path | None, milvus_uri: str | None, redis_url: str | None) -> Settings:
    try:
        return prepare_settings(home, milvus_uri, redis_url)
    except ConfigError as exc:
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    except OSError as exc:
        raise fail(describe_os_error(exc), EXIT_BAD_INPUT) from None


def parse_novelty(value: str) -> float:
    """The mainstream dial, 0..1 (a float range alone would let "nan" through)."""
    try:
        novelty = float(value)
    except ValueError:
        raise ValueError(f"expected a number 0..1, got {value!r}") from None
    if not 0.0 <= novelty <= 1.0:  # also false for nan
        raise ValueError(f"expected a number 0..1 (0 = by taste alone, 1 = least mainstream), got {value!r}")
    return novelty


def novelty_grid_from(text: str | None) -> tuple[float, ...]:
    """`--novelty-grid`'s settings: comma-separated numbers 0..1; a bad one is a usage error naming it."""
    if not text:
        return ()
    try:
        grid = tuple(sorted({float(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        message = f"expected numbers like 0,0.25,0.5, got {text!r}"
        raise typer.BadParameter(message, param_hint="--novelty-grid") from None
    if not grid or not all(0.0 <= v <= 1.0 for v in grid):
        raise typer.BadParameter(f"each setting must be 0..1, got {text!r}", param_hint="--novelty-grid")
    return grid


def train_config_from(config_json: str | None, epochs: int | None) -> TrainConfig:
    """TrainConfig from `--config` JSON and `--epochs`; a bad field is a usage error naming it."""
    import dataclasses

    from movierec_tui.model.train import TrainConfig

    try:
        fields = json.loads(config_json) if config_json else {}
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--config") from None
    if not isinstance(fields, dict):
        raise typer.BadParameter("expected a JSON object of TrainConfig fields", param_hint="--config")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise typer.BadParameter(f"unknown field {unknown[0]!r}; fields: {', '.join(sorted(known))}",
                                 param_hint="--config")  # fmt: skip
    if epochs is not None:
        fields["epochs"] = epochs
    return TrainConfig(**fields)
