"""Scoring a model, as free functions: what the trainer does after each epoch, and anyone after training.

>>> evaluate(model, prepared, "test")   # {"tasks": {task: {"accuracy", "macro_f1"}}, "average": {...}}
>>> scores(model, prepared)             # dev and test, per task and on average

Nothing here needs a trainer: a model and the data the data layer prepared (`mtl_lib.data.prepare`).
"""

import numpy as np
import torch

from mtl_lib.data import SPLITS, TextDataset
from mtl_lib.data.prepared import TrainingData
from mtl_lib.errors import ConfigError
from mtl_lib.inference import autocast, forward_batches
from mtl_lib.metrics import average, score, score_regression
from mtl_lib.models.multitask import MultiTaskModel

EVALUATION_BATCH_SIZE = 128  # four training batches of the default size


def predictions(model: MultiTaskModel, task: str, dataset: TextDataset, regression: bool = False,
                batch_size: int = EVALUATION_BATCH_SIZE,
                mixed_precision: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(true labels, predictions) of `task`'s head on `dataset`, one per example, in the dataset's order.

    Label ids and predicted ids, or for a regression task the true and predicted numbers. The
    batches go by length (less padding); the rows come back in their own order. The model's
    train/eval mode is as it was before. `mixed_precision`: bfloat16 autocast, on CUDA only.
    """
    order, labels, predicted = [], [], []
    with autocast(next(model.parameters()).device, mixed_precision):
        for indices, batch, outputs in forward_batches(model, dataset, [task], batch_size, by_length=True):
            logits = outputs[task].logits.float()
            order += indices
            labels.append(batch.labels.cpu())
            predicted.append(logits[:, 0].cpu() if regression else logits.argmax(dim=1).cpu())
    in_order = np.argsort(order)  # where each example's row lies among the batches
    return torch.cat(labels).numpy()[in_order], torch.cat(predicted).numpy()[in_order]


def evaluate(model: MultiTaskModel, data: TrainingData, split: str = "test",
             batch_size: int = EVALUATION_BATCH_SIZE, mixed_precision: bool = False) -> dict:
    """Accuracy and macro-F1 per task on `split` (R^2 and MAE for a regression task), and their averages.

    A task without examples in `split` is left out (an auxiliary task has training rows only).
    """
    if split not in SPLITS:
        raise ConfigError(f"{split!r} is not a split; splits are: {', '.join(SPLITS)}")
    tasks = {}
    for task, dataset in data.splits[split].items():
        if len(dataset):
            regression = data.is_regression(task)
            found = predictions(model, task, dataset, regression, batch_size, mixed_precision)
            tasks[task] = score_regression(*found) if regression else score(*found)
    return {"tasks": tasks, "average": average(tasks)}


def scores(model: MultiTaskModel, data: TrainingData, batch_size: int = EVALUATION_BATCH_SIZE,
           mixed_precision: bool = False) -> dict:
    """`{"tasks": {task: {"dev": {...}, "test": {...}}}, "average": {"dev": {...}, "test": {...}}}`."""
    by_split = {split: evaluate(model, data, split, batch_size, mixed_precision) for split in ("dev", "test")}
    return {
        "tasks": {task: {split: by_split[split]["tasks"][task] for split in by_split}
                  for task in by_split["test"]["tasks"]},
        "average": {split: result["average"] for split, result in by_split.items()},
    }

