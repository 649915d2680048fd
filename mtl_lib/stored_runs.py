"""Runs computed once and read many times: what a benchmark stores and a chapter reads back.

Where a chapter's runs cost more than its time budget, a benchmark trains them and stores
each one in a folder of its own, `ROOT/NAME/seed-N/`:

    scores.csv     the tidy scores (`mtl_lib.experiment.tidy`): task, split, accuracy, macro_f1, method, seed
    steps.csv      the step log (`Trainer.step_log`): every loss term of every optimiser step
    summary.json   the fresh probe's accuracy on the shared features (null without them), CPU seconds,
                   and the arithmetic the run was computed with (`arithmetic()`)

A folder is written whole or not at all, so an interrupted benchmark resumes by skipping the
runs whose folder exists.

Same seed, same numbers holds for the same arithmetic: the same torch, the same number of
CPU threads and the same vector instructions. Another thread count splits sums differently,
the last bits of a step differ, and after a few hundred steps so can a few predictions. A
chapter that trains a stored run again does it inside `torch_threads(run.arithmetic["threads"])`
and compares the two only where `same_arithmetic` says so.

>>> store_run("benchmarks/results/shared_private", "ASP-MTL", experiment, probe_accuracy=0.49, cpu_seconds=40.0)
>>> read_stored_run("benchmarks/results/shared_private", "ASP-MTL", seed=0).scores
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from mtl_lib.errors import DataError
from mtl_lib.experiment import Experiment, tidy
from mtl_lib.files import atomic_directory


@dataclass(frozen=True)
class StoredRun:
    """One stored run: its scores, its step log, and what was measured beside them."""

    scores: pd.DataFrame
    steps: pd.DataFrame
    probe_accuracy: float | None
    cpu_seconds: float
    arithmetic: dict[str, object] | None  # None for a run stored without it


def arithmetic() -> dict[str, object]:
    """What decides a CPU run's last bits besides its seed: torch's version, its threads, the CPU's vector instructions."""
    return {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run the block with `count` CPU threads for torch, then go back to the count before it."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def same_arithmetic(recorded: dict[str, object] | None) -> bool:
    """Whether this process computes as the run that recorded `recorded` did, so that the same seed gives the same bits."""
    return recorded == arithmetic()


def arithmetic_note(recorded: dict[str, object] | None) -> str:
    """Why a run trained here is not compared with the stored one: the two computed differently."""
    return (f"This kernel computes with {arithmetic()}, the stored run with {recorded}: another thread count, another "
            "kind of CPU or another torch splits some sums differently, so the two runs differ in their last bits, "
            "and a few predictions may differ; they are not compared.")


def stored_run_folder(root: str | Path, name: str, seed: int) -> Path:
    """`ROOT/NAME/seed-N`, the name written without spaces, commas or dots ("lambda 0.05" -> "lambda_005")."""
    return Path(root) / name.replace(" ", "_").replace(",", "").replace(".", "") / f"seed-{seed}"


def store_run(root: str | Path, name: str, experiment: Experiment, probe_accuracy: float | None,
              cpu_seconds: float) -> Path:
    """Write one run's folder as a whole, under the method name `name` and the run's seed."""
    seed = experiment.trainer.config.seed
    folder = stored_run_folder(root, name, seed)
    with atomic_directory(folder, replaceable=lambda path: False) as partial:
        tidy(experiment.metrics, method=name, seed=seed).to_csv(partial / "scores.csv", index=False)
        experiment.trainer.step_log.to_csv(partial / "steps.csv", index=False)
        (partial / "summary.json").write_text(json.dumps({"probe_accuracy": probe_accuracy, "cpu_seconds": cpu_seconds,
                                                          "arithmetic": arithmetic()}))
    return folder


def read_stored_run(root: str | Path, name: str, seed: int) -> StoredRun:
    """The run `name`, seed `seed`, as a benchmark stored it under `root`."""
    folder = stored_run_folder(root, name, seed)
    if not (folder / "summary.json").is_file():
        raise DataError(f"no stored run {name!r} with seed {seed} in {root}: run the benchmark that stores it "
                        "(its script in benchmarks/ names this folder)")
    summary = json.loads((folder / "summary.json").read_text())
    return StoredRun(pd.read_csv(folder / "scores.csv"), pd.read_csv(folder / "steps.csv"),
                     summary["probe_accuracy"], summary["cpu_seconds"], summary.get("arithmetic"))


__all__ = ["StoredRun", "arithmetic", "arithmetic_note", "read_stored_run", "same_arithmetic", "store_run", "stored_run_folder",
           "torch_threads"]
