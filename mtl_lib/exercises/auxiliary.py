"""Chapter 08, auxiliary tasks: a loss over texts that lack some labels, and a target from the future."""

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from mtl_lib.data.batching import MISSING_LABEL
from mtl_lib.exercises.feedback import Feedback, answered_by, attempt


def masked_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The reference: mean cross-entropy over the rows whose target is not `MISSING_LABEL`; 0 if none."""
    labelled = targets != MISSING_LABEL
    if not labelled.any():
        return logits.sum() * 0.0  # zero, still attached to the graph: no head gets a gradient
    return F.cross_entropy(logits[labelled], targets[labelled])


@answered_by(masked_loss)
def check_masked_loss(function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Feedback:
    """Check `function(logits, targets)`: the mean cross-entropy of the labelled rows, 0 when none is."""
    cases = [
        ("every text labelled", torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.tensor([0, 1, 1])),
        ("one text of two unlabelled", torch.tensor([[0.0, 0.0], [5.0, -5.0]]), torch.tensor([1, MISSING_LABEL])),
        ("no text labelled", torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([MISSING_LABEL, MISSING_LABEL])),
    ]
    for name, logits, targets in cases:
        result = attempt(function, logits.clone().requires_grad_(True), targets)
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


def later_counts(times: np.ndarray, window: float) -> np.ndarray:
    """The reference: for each time, how many of the other times fall in (time, time + window]."""
    times = np.asarray(times, dtype=float)
    return np.array([int(((times > time) & (times <= time + window)).sum()) for time in times])


@answered_by(later_counts)
def check_later_counts(function: Callable[[np.ndarray, float], np.ndarray]) -> Feedback:
    """Check `function(times, window)` against `later_counts` on cases with ties and window edges."""
    cases = [
        ("times in order", np.array([0.0, 1.0, 2.0, 10.0]), 5.0),
        ("times out of order", np.array([10.0, 0.0, 2.0, 1.0]), 5.0),
        ("a headline exactly at the window's end", np.array([0.0, 7.0, 7.5]), 7.0),
        ("two headlines at the same moment", np.array([3.0, 3.0, 4.0]), 2.0),
    ]
    for name, times, window in cases:
        result = attempt(function, times.copy(), window)
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
