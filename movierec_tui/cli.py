"""The `movierec-tui` command.

Every failure a person can cause or meet (bad data, a bad flag, a store that is down, no setup yet)
ends in one red line and a distinct exit code, never a traceback: 0 ok, 2 bad input or data, 3 a
service (Redis, Milvus, the download) unavailable, 4 not set up yet. Commands only raise; the one
place that turns exceptions into the line and the code is `cli_errors.OneLineErrors`, which every
command runs in.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from movierec_tui import __version__
from movierec_tui.cli_errors import OneLineErrors, UsageProblem, fail
from movierec_tui.cli_options import (
    HomeOption,
    MilvusOption,
    RedisOption,
    console,
    err_console,
    novelty_grid_from,
    parse_novelty,
    resolve_settings,
    train_config_from,
)
from movierec_tui.cli_signals import stop_on_signals
from movierec_tui.cli_transfer import export_ratings, import_ratings
from movierec_tui.config import ENV_SERVED, Settings
from movierec_tui.launch import (
    EXIT_BAD_INPUT,
    EXIT_NOT_SET_UP,
    EXIT_SERVICE,
    NotSetUp,
    describe_os_error,
    report_failure,
    run_app,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from movierec_tui.data_loader.dataset import Catalogue

app = typer.Typer(
    name="movierec-tui",
    cls=OneLineErrors,
    help="A keyboard-driven terminal movie recommender (MovieLens 1M, PaddlePaddle, Milvus, Redis).",
    rich_markup_mode="rich",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
class RichReporter:
    """Progress bars for the setup steps, one bar per step."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def start(self, step: str, total: float | None) -> None:
        self.tasks[step] = self.progress.add_task(step, total=total, note="")

    def advance(self, step: str, completed: float, total: float | None = None, note: str = "") -> None:
        """Also starts the bar of a step reported for the first time (evaluate's steps just report)."""
        if step not in self.tasks:
            self.start(step, total)
        self.progress.update(self.tasks[step], completed=completed, total=total, note=note)

    def skip(self, step: str, note: str = "") -> None:
        detail = f" ({escape(note)})" if note else ""
        self.progress.console.print(f"[dim]{step:<9} already done{detail}[/]", highlight=False)

    def finish(self, step: str, note: str = "") -> None:
        task = self.tasks[step]
        total = self.progress.tasks[task].total or 1
        self.progress.update(task, total=total, completed=total, note=note)

    def message(self, text: str) -> None:
        self.progress.console.print(escape(text), highlight=False)

    def warn(self, text: str) -> None:
        self.progress.console.print(f"[yellow]warning:[/] {escape(text)}", highlight=False)


class LineReporter:
    """Progress as plain lines, for output that is not a terminal (a log file, a pipe), where a
    progress bar only shows up at the end: a line when a step starts and ends, and in between one
    at most every 10% or every 30 s. Each line is flushed as it is written."""

    EVERY_SECONDS = 30.0

    def __init__(self, out=None) -> None:
        self.out = out or sys.stdout
        self.shown: dict[str, tuple[float, float]] = {}  # step -> (fraction, time) last written

    def _line(self, text: str) -> None:
        self.out.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        self.out.flush()

    def start(self, step: str, total: float | None) -> None:
        self.shown[step] = (0.0, time.monotonic())
        self._line(f"{step}: started" + (f" ({total:,.0f} to do)" if total else ""))

    def advance(self, step: str, completed: float, total: float | None = None, note: str = "") -> None:
        if step not in self.shown:
            self.start(step, total)
        fraction = completed / total if total else 0.0
        last_fraction, last_time = self.shown[step]
        if fraction >= last_fraction + 0.1 or time.monotonic() - last_time >= self.EVERY_SECONDS:
            self.shown[step] = (fraction, time.monotonic())
            done = f"{completed:,.0f}/{total:,.0f}" if total else f"{completed:,.0f}"
            self._line(f"{step}: {done}" + (f" {note}" if note else ""))

    def finish(self, step: str, note: str = "") -> None:
        self._line(f"{step}: done" + (f" ({note})" if note else ""))

    def skip(self, step: str, note: str = "") -> None:
        self._line(f"{step}: already done" + (f" ({note})" if note else ""))

    def message(self, text: str) -> None:
        self._line(text)

    def warn(self, text: str) -> None:
        self._line(f"warning: {text}")


@contextmanager
def setup_reporter():
    """Progress bars on a terminal, plain lines otherwise."""
    if console.is_terminal:
        with progress_bars() as progress:
            yield RichReporter(progress)
    else:
        yield LineReporter()


def progress_bars() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    )


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    profile_name: Annotated[
        str | None, typer.Option("--profile", help="Open the app with this saved profile.")
    ] = None,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Without a command: open the app, running setup first (with progress bars) if it was never done."""
    if version:
        console.print(f"movierec-tui {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand != "serve":  # serve handles its signals itself (serve/)
        ctx.call_on_close(stop_on_signals())  # SIGTERM, SIGHUP: the stores are closed on the way out
    if ctx.invoked_subcommand is not None:
        return
    served = os.environ.get(ENV_SERVED, "")
    settings = resolve_settings(home, milvus_uri, redis_url)
    run_app(
        settings,
        profile_name=profile_name,
        served=served,
        set_up=None if served else set_up_first,  # a served session never sets up
        loading=lambda: console.status("Loading the model…"),
    )


def set_up_first(settings: Settings, backends) -> None:
    """What the command without a subcommand does on a home that was never set up."""
    from movierec_tui.pipeline import run_setup

    console.print(
        "[bold]Setup has not been done yet.[/] First: download MovieLens 1M, write the movie cards, "
        "train the model and index the vectors (a few minutes, once)."
    )
    with setup_reporter() as reporter:
        run_setup(settings, backends, None, reporter)


@app.command()
def setup(
    source: Annotated[
        Path | None,
        typer.Option("--from", help="Use a local MovieLens zip, its extracted folder, or a folder of your own data."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="Download this MovieLens release: ml-1m (default), ml-latest-small, ml-25m or ml-32m.",
        ),
    ] = None,
    epochs: Annotated[int | None, typer.Option(min=1, max=500, help="Training epochs.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=8, max=8192, help="Users per training step.")] = None,
    learning_rate: Annotated[float | None, typer.Option(min=1e-5, max=1.0, help="Adam learning rate.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Redo every step even if it is done.")] = False,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Download MovieLens (or use --from), write the movie cards, train the model, index the vectors.

    --dataset picks the release (default ml-1m); steps already done are skipped (--force redoes them)."""
    from movierec_tui.data_loader.download import RELEASES
    from movierec_tui.model.train import TrainConfig
    from movierec_tui.pipeline import run_setup
    from movierec_tui.stores.backends import open_backends

    if dataset is not None and dataset not in RELEASES:
        raise typer.BadParameter(f"must be one of {', '.join(RELEASES)}, got {dataset!r}", param_hint="--dataset")
    if dataset is not None and source is not None:
        raise typer.BadParameter("give --dataset (a release to download) or --from (local files), not both")
    settings = resolve_settings(home, milvus_uri, redis_url)
    if source is not None and not source.exists():
        raise fail(f"--from {source}: no such file or folder", EXIT_BAD_INPUT)
    overrides = {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate}
    config = TrainConfig(**{name: value for name, value in overrides.items() if value is not None})
    started = time.perf_counter()
    with open_backends(settings) as backends, setup_reporter() as reporter:
        result = run_setup(settings, backends, source, reporter, config, force=force, release=dataset)
    took = time.perf_counter() - started
    if result.skipped:
        console.print(f"already done: {', '.join(result.skipped)}")
    console.print(
        f"[green]ready[/] in {took:.0f} s: dataset {result.dataset_fingerprint}, model {result.model_version}, "
        f"collection {result.collection}"
    )


@app.command()
def index(
    hnsw: Annotated[
        bool,
        typer.Option(
            "--hnsw", help="An HNSW graph (Milvus server only; approximate) instead of FLAT or IVF_FLAT by size."
        ),
    ] = False,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """(Re)write the movie vectors of the installed model into Milvus and swap the new collection in."""
    from movierec_tui.model.encoder import ModelMissing
    from movierec_tui.pipeline import DEFAULT_INDEX, index_movies, installed_model_version
    from movierec_tui.status import collect_status
    from movierec_tui.stores.backends import open_backends

    settings = resolve_settings(home, milvus_uri, redis_url)
    if installed_model_version(settings) is None:
        raise ModelMissing(f"no trained model in {settings.model_dir}; run `movierec-tui setup` first")
    with open_backends(settings) as backends:
        if not collect_status(settings, backends).cards:  # the index step reads each movie's card
            raise NotSetUp("no movie cards in Redis; run `movierec-tui setup` first")
        with progress_bars() as progress:
            name = index_movies(settings, backends, RichReporter(progress), "HNSW" if hnsw else DEFAULT_INDEX)
    console.print(f"[green]indexed[/] into {name}")


def parse_rating(text: str) -> tuple[str, float]:
    """A --rate value, "TITLE=STARS" in half stars ("Alien=4.5")."""
    from movierec_tui.vocabulary import VocabularyError, parse_stars

    title, sep, value = text.rpartition("=")
    if not sep or not title.strip():
        raise typer.BadParameter(
            f'expected TITLE=STARS, e.g. "Toy Story=5" or "Alien=4.5", got {text!r}', param_hint="--rate"
        )
    try:
        return title.strip(), parse_stars(value)
    except VocabularyError as exc:
        raise typer.BadParameter(f"{exc} in {text!r}", param_hint="--rate") from None


def _parse_with(parser):
    def callback(value):
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def _parse_genres(values: list[str] | None) -> list[tuple[bool, str]]:
    """(include, genre) per --genre flag; the same genre both wanted and excluded is a usage error."""
    from movierec_tui.vocabulary import VocabularyError, parse_genre

    parsed: dict[str, tuple[bool, str]] = {}  # genre -> (include, the flag as typed)
    for value in values or []:
        include = not value.startswith("-")
        try:
            genre = parse_genre(value.lstrip("+-"))
        except VocabularyError as exc:
            raise typer.BadParameter(str(exc), param_hint="--genre") from None
        if genre in parsed and parsed[genre][0] != include:
            raise UsageProblem(f"--genre {parsed[genre][1]} and --genre {value} contradict each other")
        parsed[genre] = (include, value)
    return [(include, genre) for genre, (include, _) in parsed.items()]


def _gender(value: str) -> str:
    from movierec_tui.vocabulary import parse_gender

    return parse_gender(value)


def _age(value: str) -> int:
    from movierec_tui.vocabulary import parse_age

    return parse_age(value)


def _occupation(value: str) -> int:
    from movierec_tui.vocabulary import parse_occupation

    return parse_occupation(value)


@app.command()
def recommend(
    gender: Annotated[str | None, typer.Option(help="M or F.", callback=_parse_with(_gender))] = None,
    age: Annotated[
        str | None,
        typer.Option(help="Age in years (33 is the 25-34 bucket), or a bucket (25-34).", callback=_parse_with(_age)),
    ] = None,
    occupation: Annotated[
        str | None, typer.Option(help="Occupation name or code, e.g. programmer.", callback=_parse_with(_occupation))
    ] = None,
    rate: Annotated[
        list[str] | None, typer.Option("--rate", "-r", help='A rating, "TITLE=0.5..5" in half stars; repeatable.')
    ] = None,
    genre: Annotated[
        list[str] | None,
        typer.Option("--genre", "-g", help="Only this genre (+Comedy) or never it (-Horror); repeatable."),
    ] = None,
    year_from: Annotated[int | None, typer.Option(min=1900, max=2100, help="Earliest release year.")] = None,
    year_to: Annotated[int | None, typer.Option(min=1900, max=2100, help="Latest release year.")] = None,
    novelty: Annotated[
        str | None,
        typer.Option(help="Mainstream dial: 0 (by taste) .. 1 (least known).", callback=_parse_with(parse_novelty)),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=1000, help="How many movies.")] = 10,
    profile_name: Annotated[str | None, typer.Option("--profile", help="Start from a saved profile.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (stable schema, see README).")] = False,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch", metavar="FILE.jsonl", help="One profile object per line (- for stdin); one JSON result per line."
        ),
    ] = None,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Recommend movies for a profile given on the command line, or for each profile of a --batch file."""
    from movierec_tui.batch import resolve_title, result_object
    from movierec_tui.engine import Recommender
    from movierec_tui.profile import Profile

    ratings = [parse_rating(r) for r in rate or []]
    genres = _parse_genres(genre)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise UsageProblem(f"--year-from {year_from} is after --year-to {year_to}")
    if batch is not None:
        profile_flags = {
            "--gender": gender, "--age": age, "--occupation": occupation, "--rate": rate, "--genre": genre,
            "--year-from": year_from, "--year-to": year_to, "--profile": profile_name, "--novelty": novelty,
        }  # fmt: skip
        given = [flag for flag, value in profile_flags.items() if value not in (None, [])]
        if given:
            raise UsageProblem(f"--batch reads every profile from its file; {given[0]} cannot go with it")
        settings = resolve_settings(home, milvus_uri, redis_url)
        recommend_batch(settings, batch, k)
        return
    settings = resolve_settings(home, milvus_uri, redis_url)
    with Recommender(settings) as recommender:
        profile = Profile()
        if profile_name is not None:
            stored = recommender.profiles.load(profile_name)
            if stored is None:
                raise fail(f"no saved profile named {profile_name!r}", EXIT_BAD_INPUT)
            profile = stored
        profile.gender = gender if gender is not None else profile.gender
        profile.age = age if age is not None else profile.age
        profile.occupation = occupation if occupation is not None else profile.occupation
        for title, rating in ratings:
            profile.ratings[resolve_title(recommender, title)] = rating
        for include, name in genres:  # a flag overrides the saved profile's opposite choice
            wanted, unwanted = profile.genres_in, profile.genres_out
            kept, dropped = (wanted, unwanted) if include else (unwanted, wanted)
            kept += [] if name in kept else [name]
            dropped[:] = [g for g in dropped if g != name]
        profile.year_min = year_from if year_from is not None else profile.year_min
        profile.year_max = year_to if year_to is not None else profile.year_max
        profile.novelty = novelty if novelty is not None else profile.novelty
        if profile.year_min is not None and profile.year_max is not None and profile.year_min > profile.year_max:
            raise UsageProblem(f"years {profile.year_min}..{profile.year_max}: the start is after the end")
        results = recommender.recommend(profile, k)
        if as_json:
            print(json.dumps(result_object(recommender, profile, results), indent=2))
        else:
            print_recommendations(profile, results, recommender.cards(list(profile.ratings)), recommender.catalogue)


def recommend_batch(settings: Settings, source: str, k: int) -> None:
    """`recommend --batch`: every line's result as soon as it is ready; a line that cannot be used is
    reported and skipped, and the exit code is 2 at the end if there was one (batch.run_batch)."""
    from movierec_tui.batch import run_batch
    from movierec_tui.engine import Recommender

    try:
        lines = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise fail(describe_os_error(exc), EXIT_BAD_INPUT) from None
    name = "stdin" if source == "-" else source
    with lines, Recommender(settings) as recommender:
        waiting = _input_waiting(lines) if source == "-" else (lambda: True)
        outcome = run_batch(recommender, lines, name, k, write=_print_line, warn=report_failure, more_waiting=waiting)
    if outcome.failed:
        lines_text = ", ".join(map(str, outcome.failed[:10])) + (", ..." if len(outcome.failed) > 10 else "")
        raise fail(f"{name}: {len(outcome.failed)} of {outcome.read} profiles could not be used (lines {lines_text})",
                   EXIT_BAD_INPUT)  # fmt: skip


def _input_waiting(stream) -> Callable[[], bool]:
    """Whether more of a pipe (or terminal) can be read at once: a script that writes a profile and
    waits for its answer gets it before the batch reads on. A stream without a file descriptor
    (tests' input) always has more."""
    import select

    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return lambda: True
    return lambda: bool(select.select([descriptor], [], [], 0)[0])


def _print_line(text: str) -> None:
    print(text, flush=True)


def print_recommendations(profile, results, rated_cards, catalogue: Catalogue | None) -> None:
    from movierec_tui.wording import stars, title_with_year

    if rated_cards:
        rated = ", ".join(f"{title_with_year(c)}={profile.ratings[m]:g}" for m, c in rated_cards.items())
        console.print(f"[dim]rated:[/] {escape(rated)}", highlight=False)
    if not results:
        known = f" (the catalogue: {catalogue.describe()})" if catalogue is not None else ""
        console.print(f"[yellow]no movie matches these filters{escape(known)}[/]", highlight=False)
        return
    table = Table(show_lines=False, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("Movie")
    table.add_column("Genres", style="dim")
    table.add_column("Rating", justify="right")
    table.add_column("Match", justify="right")
    table.add_column("Why", style="italic")
    for rank, r in enumerate(results, start=1):
        table.add_row(
            str(rank),
            escape(title_with_year(r.card)),
            escape(", ".join(r.card.genres)),
            f"{stars(r.card.mean_rating)} {r.card.mean_rating:.1f} ({r.card.rating_count:,})",
            f"{r.score:.2f}",
            escape(r.reason),
        )
    console.print(table)


@app.command()
def evaluate(
    source: Annotated[
        Path | None, typer.Option("--from", help="Dataset (zip or folder); default: the one setup used.")
    ] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated N (seed ratings per user).")] = "0,5,10,20",
    on: Annotated[str, typer.Option("--on", help="Report on 'test' users, or 'validation' while tuning.")] = "test",
    splits: Annotated[int, typer.Option("--splits", min=1, max=10, help="User splits (seeds 42, 43, ...).")] = 3,
    epochs: Annotated[int | None, typer.Option(min=1, max=500, help="Training epochs.")] = None,
    config_json: Annotated[
        str | None, typer.Option("--config", help='TrainConfig fields as JSON, e.g. \'{"dislike_weight": 1}\'.')
    ] = None,
    tutorial: Annotated[bool, typer.Option(help="Also train the tutorial-objective model.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for evaluation.md/.json (default: home).")] = None,
    novelty_grid: Annotated[
        str | None,
        typer.Option("--novelty-grid", help="Also score the mainstream dial at these settings: 0,0.25,0.5,0.75,1."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """The cold-start quality protocol, both profile orders: the model against tuned baselines on held-out users."""
    from movierec_tui.data_loader.parse import load_dataset
    from movierec_tui.evaluation.report import dial_table, onboarding_table, rich_tables, write_reports
    from movierec_tui.evaluation.runner import run_evaluation
    from movierec_tui.pipeline import ARCHIVE_NAME

    try:
        seed_list = sorted({int(part) for part in seeds.split(",") if part.strip()})
    except ValueError:
        raise typer.BadParameter(f"expected numbers like 0,5,10,20, got {seeds!r}", param_hint="--seeds") from None
    if not seed_list or min(seed_list) < 0 or max(seed_list) > 200:
        raise typer.BadParameter("each N must be 0..200", param_hint="--seeds")
    if on not in ("test", "validation"):
        raise typer.BadParameter(f"must be 'test' or 'validation', got {on!r}", param_hint="--on")
    config = train_config_from(config_json, epochs)
    dial_grid = novelty_grid_from(novelty_grid)
    settings = resolve_settings(home, None, None)
    path = source or settings.data_dir / ARCHIVE_NAME
    if not path.exists():
        raise fail(f"no dataset at {path}; pass --from PATH or run `movierec-tui setup` first", EXIT_NOT_SET_UP)
    command = "movierec-tui " + " ".join(sys.argv[1:])
    with setup_reporter() as reporter:
        reporter.start("parse", None)
        dataset = load_dataset(path)
        reporter.finish("parse")
        report = run_evaluation(
            dataset, seed_list, config, on, tutorial, reporter.advance, splits=splits, novelty_grid=dial_grid
        )
    for table in rich_tables(report):
        console.print(table)
    if report.dial:
        console.print(dial_table(report))
    if report.onboarding:
        console.print(onboarding_table(report))
    md_path, json_path = write_reports(report, out or settings.home, command)
    console.print(f"written: {md_path} and {json_path}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Where everything lives, which stores are in use and answer, and what is indexed.

    Exit code 0 when ready, 3 when a store does not answer, 4 when setup is not done (README, `status --json`)."""
    from movierec_tui.status import collect_status

    settings = resolve_settings(home, milvus_uri, redis_url)
    report = collect_status(settings)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        table = Table(show_header=False, box=None)
        for key, value in report.rows():
            table.add_row(f"[bold]{key}[/]", escape(value))
        console.print(table)
    stores = {"Redis": "MOVIEREC_REDIS_URL", "Milvus": "MOVIEREC_MILVUS_URI"}
    down = report.stores_down
    if down:
        fix = " or ".join(stores[name] for name in down)
        raise fail(f"{' and '.join(down)} not reachable: start it, or fix {fix}", EXIT_SERVICE)
    if not report.ready:
        raise fail("not ready: " + "; ".join(report.problems), EXIT_NOT_SET_UP)


serve_app = typer.Typer(help="Serve the app to other people: over SSH, or in a browser.")
app.add_typer(serve_app, name="serve")


@serve_app.callback(invoke_without_command=True)
def serve_callback(ctx: typer.Context) -> None:
    """Without ssh or web: a usage error of one line, as for any other missing argument."""
    if ctx.invoked_subcommand is None:
        raise UsageProblem("serve what? `serve ssh` or `serve web`", ctx=ctx)


def _log_to_console() -> None:
    """The server's own log lines also go to stderr (sessions' lines only to the log file)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    server_log = logging.getLogger("movierec_tui.serve")
    server_log.addHandler(handler)
    server_log.setLevel(logging.INFO)


@contextmanager
def serving(settings: Settings):
    """Start the shared stores for a server."""
    from movierec_tui.serve.shared import shared_stores

    _log_to_console()
    with shared_stores(settings) as stores:  # a ServeError is one line and its code (cli_errors)
        yield stores


@serve_app.command("ssh")
def serve_ssh(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port; 0: a free one, named in the 'connect with' line.")
    ] = 2222,
    authorized_keys: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, readable=True, help="Only these public keys may connect."),
    ] = None,
    allow_anonymous: Annotated[
        bool, typer.Option("--allow-anonymous", help="Anyone who can reach the port gets a session, no key.")
    ] = False,
    max_sessions: Annotated[int, typer.Option(min=1, max=1000, help="Sessions at once, in all.")] = 16,
    max_per_ip: Annotated[int, typer.Option(min=1, max=1000, help="Sessions at once from one address.")] = 4,
    idle_timeout: Annotated[
        int, typer.Option(min=0, max=7 * 86400, help="End a session after this many seconds without a key; 0: never.")
    ] = 900,
    prefork: Annotated[
        bool,
        typer.Option(help="Fork sessions from a warm process that has the libraries loaded (faster, less memory)."),
    ] = True,
    starts_at_once: Annotated[
        int,
        typer.Option(min=0, max=1000, help="Apps starting at once; more connecting wait their turn. 0: no limit."),
    ] = 0,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Host the app as an SSH demo: `ssh -p 2222 demo@host` and you are in the recommender."""
    import asyncio

    from movierec_tui.serve.shared import session_base_env
    from movierec_tui.serve.ssh import SSHServeConfig, load_or_create_host_key, run_until_stopped

    try:
        config = SSHServeConfig(
            host=host, port=port, authorized_keys=authorized_keys, allow_anonymous=allow_anonymous,
            max_sessions=max_sessions, max_per_ip=max_per_ip, idle_timeout=float(idle_timeout), prefork=prefork,
            starts_at_once=starts_at_once,
        )
    except ValueError as exc:  # flags that do not go together, e.g. no auth choice, or both
        raise UsageProblem(str(exc)) from None
    settings = resolve_settings(home, milvus_uri, redis_url)
    try:
        host_key = load_or_create_host_key(settings.home / "ssh" / "host_ed25519")
    except ValueError as exc:  # a host key file that cannot be used, with the reason
        raise fail(str(exc), EXIT_BAD_INPUT) from None
    with serving(settings) as stores:
        asyncio.run(run_until_stopped(config, session_base_env(stores), host_key))


@serve_app.command("web")
def serve_web(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    public_url: Annotated[
        str | None, typer.Option(help="The URL people use, when behind a reverse proxy, e.g. https://demo.example.")
    ] = None,
    max_tabs: Annotated[int, typer.Option(min=1, max=1000, help="Tabs (apps) at once.")] = 16,
    max_per_ip: Annotated[
        int, typer.Option(min=1, max=1000, help="Tabs at once from one address (behind a proxy: as --max-tabs).")
    ] = 4,
    home: HomeOption = None,
    milvus_uri: MilvusOption = None,
    redis_url: RedisOption = None,
) -> None:
    """Serve the app in a browser with textual-serve; one app process per browser tab."""
    from movierec_tui.serve.web import serve_web as run_web

    settings = resolve_settings(home, milvus_uri, redis_url)
    with serving(settings) as stores:
        run_web(stores, host, port, public_url, max_tabs, max_per_ip)


app.command("import")(import_ratings)
app.command("export")(export_ratings)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
