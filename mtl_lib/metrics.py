"""How every model in the course is scored: accuracy and macro-F1 per task, and their average.

One function for the neural models and the classical baselines alike, so that
their numbers can stand in one table.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

METRICS = ("accuracy", "macro_f1")


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


def average(per_task: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The unweighted mean over tasks of each metric: every publication counts the same."""
    return {metric: float(np.mean([scores[metric] for scores in per_task.values()])) for metric in METRICS}


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
