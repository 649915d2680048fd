"""The state of a fit after each epoch, on disk, and resuming from it: `Trainer.fit(state_file=...)`.

A fit interrupted (a killed process, a closed laptop) loses at most the epoch under way:
run the same fit again with the same `state_file` and it carries on after the last finished
epoch. The state holds everything that the next epoch depends on, so the resumed fit ends
with the same model, history and step log, to the bit on the same machine, as a fit that
was never interrupted:

- the weights now, those of the best dev epoch so far, and the early-stopping counters;
- the optimiser's state (Adam's moments and step counts) and the loss weighting's (its
  learned weights; PCGrad's random generator);
- torch's random generator (dropout, the discriminator's draws);
- how many batches each task's data has served, so that each task's pass over its data, and
  the sampler's task schedule, carry on where they were;
- the history and the step log so far.

A state made with another configuration or other tasks is refused: resuming it would train
a model that no single fit makes.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from mtl_lib.data import MultiTaskBatches
from mtl_lib.distributed import is_main_process, world_size
from mtl_lib.errors import CheckpointError, ConfigError
from mtl_lib.files import atomic_path

if TYPE_CHECKING:
    from mtl_lib.training import Trainer

FORMAT = 1
UNCHECKED = ("progress", "device")  # config fields that do not change what is trained


@dataclass
class FitProgress:
    """Where a fit stands after its last finished epoch."""

    epochs: int = 0
    best_score: float = -math.inf
    best_state: dict | None = None
    epochs_since_best: int = 0
    stopped: bool = False  # early stopping ended it
    epoch_rows: list[dict] = field(default_factory=list)
    step_rows: list[dict] = field(default_factory=list)


def save_state(trainer: "Trainer", fitted: FitProgress, path: str | Path) -> None:
    """Write the state of `trainer`'s fit after `fitted.epochs` epochs to `path`, whole or not at all."""
    if not is_main_process():
        return
    state = {
        "format": FORMAT, "config": _checked_config(trainer), "tasks": trainer.tasks,
        "epochs": fitted.epochs, "best_score": fitted.best_score, "epochs_since_best": fitted.epochs_since_best,
        "stopped": fitted.stopped, "best_state": fitted.best_state, "model": trainer.model.state_dict(),
        "optimizer": trainer.optimizer.state_dict(), "weighting": trainer.weighting.state_dict(),
        "rng": torch.get_rng_state(), "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "served": _served(trainer), "unlabeled_served": {task: passes.served
                                                          for task, passes in trainer._unlabeled_batches.items()},
        # rows hold numpy numbers, which weights-only loading refuses: as JSON, with NaN kept
        "history": json.dumps(fitted.epoch_rows, default=float), "steps": json.dumps(fitted.step_rows, default=float),
    }
    with atomic_path(path) as partial:
        torch.save(state, partial)


def resume(trainer: "Trainer", path: str | Path) -> FitProgress:
    """Load the state at `path` into `trainer` (whose fit has set up its batches) and return where it stands."""
    if world_size() > 1:
        raise ConfigError("resuming a fit runs in one process: each process of a torchrun fit reads its own shard, "
                          "which a state of one process cannot restore")
    try:
        state = torch.load(path, map_location=trainer.device, weights_only=True)
    except Exception as exc:  # torch raises several types for a damaged file
        raise CheckpointError(f"{path} is not a readable training state ({type(exc).__name__}); delete it to "
                              "train from the start") from exc
    if state.get("format") != FORMAT or state["tasks"] != trainer.tasks:
        raise CheckpointError(f"{path} is the state of a fit on other tasks ({', '.join(state.get('tasks', []))}); "
                              "delete it, or resume with the data it was made with")
    saved, now = json.loads(state["config"]), json.loads(_checked_config(trainer))
    changed = sorted(name for name in saved.keys() | now.keys() if saved.get(name) != now.get(name))
    if changed:
        raise ConfigError(f"{path} was made with another configuration ({', '.join(changed)} differ): resume with "
                          "the configuration it was made with, or delete it to train from the start")
    trainer.model.load_state_dict(state["model"])
    trainer.optimizer.load_state_dict(state["optimizer"])
    trainer.weighting.load_state_dict(state["weighting"])
    source = trainer._epoch_source
    if isinstance(source, MultiTaskBatches):
        source.restore(state["epochs"], state["served"])
    else:  # batching by text: one pass per epoch
        source.batch_sampler.epoch = state["epochs"]
    for task, served in state["unlabeled_served"].items():
        trainer._unlabeled_batches[task].restore(served)
    # Last: starting a pass over a loader draws from torch's generator, as it did in the fit saved.
    torch.set_rng_state(state["rng"].cpu())
    if state["cuda_rng"]:
        torch.cuda.set_rng_state_all([generator.cpu() for generator in state["cuda_rng"]])
    return FitProgress(state["epochs"], state["best_score"], state["best_state"], state["epochs_since_best"],
                       state["stopped"], json.loads(state["history"]), json.loads(state["steps"]))


def _checked_config(trainer: "Trainer") -> str:
    return json.dumps({name: value for name, value in trainer.config.to_dict().items() if name not in UNCHECKED},
                      sort_keys=True)


def _served(trainer: "Trainer") -> dict[str, int]:
    source = trainer._epoch_source
    return {task: passes.served for task, passes in source.passes.items()} if isinstance(source, MultiTaskBatches) \
        else {}
