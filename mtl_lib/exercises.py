"""Checkers for the chapters' "your turn" cells: each says in plain words what is right or wrong.

A checker takes the learner's function, tries it on small cases whose answers are known,
and returns `Feedback`: it never raises, so a chapter runs top to bottom with the exercise
still unsolved, and the message shows as plain text (on GitHub too).

>>> check_masked_loss(my_masked_loss)
Not yet: with one text of two unlabelled, your loss is 1.386; the mean over the labelled text alone is 0.693 ...
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from mtl_lib.data.batching import MISSING_LABEL


@dataclass(frozen=True)
class Feedback:
    """What a checker found: `passed`, and a message for the learner."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return ("Right: " if self.passed else "Not yet: ") + self.message


def _attempt(function: Callable, *args):
    """The learner's result, or a `Feedback` that names the exception it raised."""
    try:
        return function(*args)
    except Exception as exc:  # the learner's code may fail in any way; say how, do not crash
        return Feedback(False, f"your function raised {type(exc).__name__}: {exc}")


# --- 1. a loss that masks missing labels --------------------------------------------------------

def masked_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The reference: mean cross-entropy over the rows whose target is not `MISSING_LABEL`; 0 if none."""
    labelled = targets != MISSING_LABEL
    if not labelled.any():
        return logits.sum() * 0.0  # zero, still attached to the graph: no head gets a gradient
    return F.cross_entropy(logits[labelled], targets[labelled])


def check_masked_loss(function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Feedback:
    """Check `function(logits, targets)`: the mean cross-entropy of the labelled rows, 0 when none is."""
    cases = [
        ("every text labelled", torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.tensor([0, 1, 1])),
        ("one text of two unlabelled", torch.tensor([[0.0, 0.0], [5.0, -5.0]]), torch.tensor([1, MISSING_LABEL])),
        ("no text labelled", torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([MISSING_LABEL, MISSING_LABEL])),
    ]
    for name, logits, targets in cases:
        result = _attempt(function, logits.clone().requires_grad_(True), targets)
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, torch.Tensor) or result.numel() != 1:
            return Feedback(False, f"with {name}, your function returned {result!r}; return one number as a "
                                   "tensor (a 0-dimensional torch.Tensor), so that it can be backpropagated")
        expected = masked_loss(logits, targets)
        if math.isnan(result.item()):
            return Feedback(False, f"with {name}, your loss is NaN; a batch in which no text has this task's "
                                   "label must add nothing (0), not the mean of an empty set")
        if not math.isclose(result.item(), expected.item(), rel_tol=1e-4, abs_tol=1e-6):
            hint = (" It looks like the unlabelled rows were counted: keep only rows whose target is not "
                    "MISSING_LABEL before averaging." if "unlabelled" in name else "")
            return Feedback(False, f"with {name}, your loss is {result.item():.3f}; the mean cross-entropy over "
                                   f"the labelled texts is {expected.item():.3f}.{hint}")
    return Feedback(True, "your loss averages over the labelled texts only, and a batch without labels adds 0.")


# --- 2. a future signal: later coverage within one story ----------------------------------------

def later_counts(times: np.ndarray, window: float) -> np.ndarray:
    """The reference: for each time, how many of the other times fall in (time, time + window]."""
    times = np.asarray(times, dtype=float)
    return np.array([int(((times > time) & (times <= time + window)).sum()) for time in times])


def check_later_counts(function: Callable[[np.ndarray, float], np.ndarray]) -> Feedback:
    """Check `function(times, window)` against `later_counts` on cases with ties and window edges."""
    cases = [
        ("times in order", np.array([0.0, 1.0, 2.0, 10.0]), 5.0),
        ("times out of order", np.array([10.0, 0.0, 2.0, 1.0]), 5.0),
        ("a headline exactly at the window's end", np.array([0.0, 7.0, 7.5]), 7.0),
        ("two headlines at the same moment", np.array([3.0, 3.0, 4.0]), 2.0),
    ]
    for name, times, window in cases:
        result = _attempt(function, times.copy(), window)
        if isinstance(result, Feedback):
            return result
        expected = later_counts(times, window)
        if result is None or np.shape(result) != expected.shape:
            return Feedback(False, f"with {name}, your function returned {result!r}; return one count per time, "
                                   f"in the order of the times given ({len(times)} numbers)")
        if not np.array_equal(np.asarray(result), expected):
            return Feedback(False, f"with {name} (times {times.tolist()}, window {window}), your counts are "
                                   f"{np.asarray(result).tolist()} but should be {expected.tolist()}: count the "
                                   "other headlines strictly after each one and at most `window` later (not "
                                   "the headline itself, nor one at the same moment)")
    return Feedback(True, "your counts look only forward, within the window, and never count a headline itself.")


# --- 3. the split score of a multi-output tree --------------------------------------------------

def gini(labels: np.ndarray) -> float:
    """Gini impurity of one task's labels: 1 - sum of squared class shares (0 for a pure node)."""
    _, counts = np.unique(labels, return_counts=True)
    shares = counts / counts.sum()
    return float(1.0 - (shares ** 2).sum())


def joint_gini_gain(Y: np.ndarray, goes_left: np.ndarray) -> float:
    """The reference: the Gini decrease of a split, per task weighted by child size, averaged over tasks.

    What scikit-learn's multi-output trees maximise (up to a constant factor); `Y` is
    (samples, tasks), `goes_left` a boolean mask of the samples the split sends left.
    """
    Y, goes_left = np.asarray(Y), np.asarray(goes_left, dtype=bool)
    share_left = goes_left.mean()
    gains = [gini(column) - share_left * gini(column[goes_left]) - (1 - share_left) * gini(column[~goes_left])
             for column in Y.T]
    return float(np.mean(gains))


def check_joint_gini_gain(function: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Check `function(Y, goes_left)` against `joint_gini_gain`, on splits that help one task, both or none."""
    Y = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 1], [0, 0]])
    cases = [
        ("a split that separates task 0 perfectly", np.array([1, 1, 0, 0, 0, 1], dtype=bool)),
        ("a split that helps neither task", np.array([1, 0, 1, 0, 1, 0], dtype=bool)),
        ("a split that sends one sample left", np.array([1, 0, 0, 0, 0, 0], dtype=bool)),
    ]
    for name, goes_left in cases:
        result = _attempt(function, Y.copy(), goes_left.copy())
        if isinstance(result, Feedback):
            return result
        expected = joint_gini_gain(Y, goes_left)
        if not isinstance(result, (int, float, np.floating)):
            return Feedback(False, f"with {name}, your function returned {result!r}; return one number")
        if not math.isclose(float(result), expected, abs_tol=1e-9):
            unweighted = np.mean([gini(c) - (gini(c[goes_left]) + gini(c[~goes_left])) / 2 for c in Y.T])
            hint = (" Weight each child's impurity by the share of samples it receives."
                    if math.isclose(float(result), unweighted, abs_tol=1e-9) else
                    " Compute each task's gain from its own column of Y, then average the gains.")
            return Feedback(False, f"with {name}, your gain is {float(result):.4f}; it should be "
                                   f"{expected:.4f}.{hint}")
    return Feedback(True, "your split score is the size-weighted Gini decrease averaged over the tasks, "
                          "as a multi-output tree scores its splits.")


__all__ = ["Feedback", "check_joint_gini_gain", "check_later_counts", "check_masked_loss", "gini",
           "joint_gini_gain", "later_counts", "masked_loss"]
