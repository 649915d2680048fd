"""How every model in the course is scored: accuracy and macro-F1 per task, and their average.

One function for the neural models and the classical baselines alike, so that
their numbers can stand in one table. A regression task is scored by R^2 and the mean
absolute error instead (`score_regression`).
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score

METRICS = ("accuracy", "macro_f1")
REGRESSION_METRICS = ("r2", "mae")


def score(labels: Sequence[int], predictions: Sequence[int]) -> dict[str, float]:
    """Accuracy and macro-F1 of one task's predictions: `score([0, 1, 1], [0, 1, 0])`.

    Macro-F1 averages over the labels that occur in `labels` or `predictions`:
    a category that a publication never uses in its test set (Contactmusic.com
    has two business headlines in all) neither helps nor hurts it.
    """
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "macro_f1": float(f1_score(labels, predictions, average="macro", zero_division=0)),
    }


def score_regression(targets: Sequence[float], predictions: Sequence[float]) -> dict[str, float]:
    """R^2 (1 is perfect, 0 is always predicting the mean) and mean absolute error of one regression task."""
    targets, predictions = np.asarray(targets, dtype=float), np.asarray(predictions, dtype=float)
    r2 = float(r2_score(targets, predictions)) if len(targets) > 1 else float("nan")
    return {"r2": r2, "mae": float(mean_absolute_error(targets, predictions))}


def average(per_task: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The unweighted mean over tasks of each metric: every publication counts the same.

    Each metric is averaged over the tasks that have it: accuracy over the classification
    tasks, R^2 over the regression tasks.
    """
    present = [metric for metric in (*METRICS, *REGRESSION_METRICS)
               if any(metric in scores for scores in per_task.values())] or list(METRICS)
    return {metric: float(np.mean([scores[metric] for scores in per_task.values() if metric in scores]))
            for metric in present}


def score_table(results: Mapping[str, Mapping[str, Mapping[str, float]]], by: str = "method") -> pd.DataFrame:
    """Scores of several runs as one tidy table, with an "average" row per run.

    `results` maps a run's name to its scores per task; `by` names the column that
    holds the run's name. Columns: task, `by`, accuracy, macro_f1. Example:
    `score_table({"majority class": majority_class(news)})`.
    """
    rows = []
    for name, per_task in results.items():
        for task, scores in {**per_task, "average": average(per_task)}.items():
            rows.append({"task": task, by: name, **{metric: scores[metric] for metric in METRICS}})
    return pd.DataFrame(rows)
