"""What setup's training costs per step at a catalogue's size, and what the whole of it would cost.

Usage: python benchmarks/train_budget.py --from DIR_OR_ZIP [--steps 10] [--epochs 3] [--threads N] [--config JSON]

Why: at 32x MovieLens 1M one measured setup takes about an hour even when all goes well, too long
to tune the training budget by trial. The cost of a training step does not depend on how many
users there are (a batch is 512 of them) but on the catalogue (the embeddings the optimizer
updates, the softmax's candidates) and on the histories' lengths; so a few steps on a sample of
the users, with the whole catalogue, measure it. For the dataset at DIR (any format setup reads)
this prints, with the resident-memory peak after each step of the way:

- parse, movie features, the user histories of every user (as setup builds them), the cards;
- `--epochs` short epochs of `--steps` steps each on a random sample of users, through
  `train_model` itself (the background sampler, the sampled or exact softmax, AdamW); the first
  epoch warms up, the others give seconds per step, wall and CPU (this process's, both threads);
  the per-epoch checkpoint is left out (one write per epoch of the whole dataset, not per step);
- the number of steps the default budget (`TrainConfig.max_contexts`, `epochs`) plans on the whole
  dataset, and the training time that makes at the measured cost. On a shared machine the wall
  time is inflated by the neighbours: CPU seconds per step is the upper bound of a quiet machine's
  wall time (its two threads overlap, so a quiet run takes less).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from movierec_tui import logs
from movierec_tui.data_loader.parse import load_dataset
from movierec_tui.model.features import build_movie_features
from movierec_tui.model.train import TrainConfig, build_histories, planned_epochs, train_model
from movierec_tui.stores.cards import build_cards

T = TypeVar("T")


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, required=True, help="Dataset dir or archive.")
    parser.add_argument("--steps", type=int, default=10, help="Steps per timed epoch.")
    parser.add_argument("--epochs", type=int, default=3, help="Timed epochs (the first is a warm-up).")
    parser.add_argument("--threads", type=int, default=None, help="Paddle threads (default: every core).")
    parser.add_argument("--json", type=Path, default=None, help="Also write the numbers here.")
    parser.add_argument("--config", type=json.loads, default={},
                        help="TrainConfig fields replacing the defaults (JSON), e.g. '{\"linear_recent\": false}'.")
    args = parser.parse_args()
    logs.quiet_libraries()
    report: dict[str, float | int | str] = {"source": str(args.source), "config": json.dumps(args.config)}

    def stage(name: str, action: Callable[[], T]) -> T:
        started, cpu = time.perf_counter(), time.process_time()
        value = action()
        report[f"{name}_s"] = round(time.perf_counter() - started, 2)
        report[f"{name}_cpu_s"] = round(time.process_time() - cpu, 2)
        report[f"{name}_peak_gb"] = round(peak_gb(), 2)
        print(f"{name}: {report[f'{name}_s']} s wall, {report[f'{name}_cpu_s']} s CPU, peak RSS so far "
              f"{report[f'{name}_peak_gb']} GB", flush=True)  # fmt: skip
        return value

    dataset = stage("parse", lambda: load_dataset(args.source))
    report.update(movies=len(dataset.movies), users=len(dataset.users), ratings=len(dataset.ratings))
    features = stage("features", lambda: build_movie_features(dataset))
    histories = stage("histories", lambda: build_histories(dataset, features, sorted(dataset.users)))
    report["history_mb"] = round((histories.all_rows.nbytes + histories.all_ratings.nbytes) / 1e6, 1)
    stage("cards", lambda: len(build_cards(dataset)))

    config = dataclasses.replace(TrainConfig(), **args.config)
    users = len(histories)
    del histories
    epochs = planned_epochs(config, users)
    steps_per_epoch = -(-users // config.batch_size)
    report.update(planned_epochs=epochs, planned_steps=epochs * steps_per_epoch)

    sample_size = min(users, args.steps * config.batch_size)
    sample = np.random.default_rng(0).choice(np.array(sorted(dataset.users)), size=sample_size, replace=False)
    timed = dataclasses.replace(config, epochs=args.epochs, max_contexts=args.epochs * sample_size)
    marks: list[tuple[float, float]] = []

    def progress(epoch: int, total: int, loss: float) -> None:
        marks.append((time.perf_counter(), time.process_time()))
        print(f"  epoch {epoch}/{total}: loss {loss:.3f}", flush=True)

    started = (time.perf_counter(), time.process_time())
    trained = train_model(dataset, features, timed, user_ids=sample.tolist(), progress=progress,
                          threads=args.threads)  # fmt: skip
    steps = -(-sample_size // config.batch_size)
    walls = [b[0] - a[0] for a, b in zip([started, *marks], marks, strict=False)][1:]
    cpus = [b[1] - a[1] for a, b in zip([started, *marks], marks, strict=False)][1:]
    wall_step, cpu_step = float(np.median(walls)) / steps, float(np.median(cpus)) / steps
    report.update(
        train_peak_gb=round(peak_gb(), 2), candidates="exact" if features.num_rows - 1 <= config.full_softmax_max_movies
        else f"sampled ({config.sampled_negatives} drawn)", step_wall_s=round(wall_step, 3),
        step_cpu_s=round(cpu_step, 3), final_loss=round(trained.final_loss, 4),
        estimate_train_wall_min=round(wall_step * int(report["planned_steps"]) / 60, 1),
        estimate_train_cpu_min=round(cpu_step * int(report["planned_steps"]) / 60, 1),
    )  # fmt: skip
    print(json.dumps(report, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
