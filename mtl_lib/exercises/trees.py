"""Chapter 08, multi-task trees: how one split is scored over all tasks at once."""

import math
from collections.abc import Callable

import numpy as np

from mtl_lib.exercises.feedback import Feedback, answered_by, as_number, attempt


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


@answered_by(joint_gini_gain, gini)
def check_joint_gini_gain(function: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Check `function(Y, goes_left)` against `joint_gini_gain`, on splits that help one task, both or none."""
    Y = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [1, 1], [0, 0]])
    cases = [
        ("a split that separates task 0 perfectly", np.array([1, 1, 0, 0, 0, 1], dtype=bool)),
        ("a split that helps neither task", np.array([1, 0, 1, 0, 1, 0], dtype=bool)),
        ("a split that sends one sample left", np.array([1, 0, 0, 0, 0, 0], dtype=bool)),
    ]
    for name, goes_left in cases:
        result = attempt(function, Y.copy(), goes_left.copy())
        if isinstance(result, Feedback):
            return result
        expected, gain = joint_gini_gain(Y, goes_left), as_number(result)
        if gain is None:
            return Feedback(False, f"with {name}, your function returned {result!r}; return one number")
        if not math.isclose(gain, expected, abs_tol=1e-9):
            unweighted = np.mean([gini(c) - (gini(c[goes_left]) + gini(c[~goes_left])) / 2 for c in Y.T])
            hint = (" Weight each child's impurity by the share of samples it receives."
                    if math.isclose(gain, unweighted, abs_tol=1e-9) else
                    " Compute each task's gain from its own column of Y, then average the gains.")
            return Feedback(False, f"with {name}, your gain is {gain:.4f}; it should be {expected:.4f}.{hint}")
    return Feedback(True, "your split score is the size-weighted Gini decrease averaged over the tasks, "
                          "as a multi-output tree scores its splits.")
