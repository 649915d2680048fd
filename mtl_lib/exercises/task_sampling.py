"""Chapter 02: how often each task is drawn, when a temperature flattens the tasks' sizes."""

from collections.abc import Callable

import numpy as np

from mtl_lib.data.batching import TemperatureSampler
from mtl_lib.exercises.feedback import Feedback, answered_by, as_number, attempt, close, hint_for, mismatch, returned


def temperature_probabilities(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """The reference: p(task) = n^(1/T) / sum over tasks of n^(1/T)."""
    weights = {task: size ** (1 / temperature) for task, size in sizes.items()}
    total = sum(weights.values())
    return {task: weight / total for task, weight in weights.items()}


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    return {task: weight / sum(weights.values()) for task, weight in weights.items()}


@answered_by(temperature_probabilities)
def check_sampling_probabilities(function: Callable[[dict[str, int], float], dict[str, float]]) -> Feedback:
    """Check `function(sizes, temperature) -> dict[str, float]`: each task's chance of being drawn.

    `sizes` maps each task to its number of training examples; p(task) is proportional to
    size^(1/temperature), and the chances sum to 1. Temperature 1 is proportional sampling;
    the higher the temperature, the nearer to uniform. The expected values are those of the
    library's `TemperatureSampler(temperature).probabilities(sizes)`.
    """
    news_sizes = {"Reuters": 8000, "Huffington Post": 2000, "Contactmusic.com": 500}
    cases = [(f"temperature {temperature}", news_sizes, temperature) for temperature in (2.0, 1.0, 5.0)]
    cases.append(("one task only, temperature 2", {"Reuters": 8000}, 2.0))
    for name, sizes, temperature in cases:
        result = attempt(function, dict(sizes), temperature)
        if isinstance(result, Feedback):
            return result
        expected = TemperatureSampler(temperature).probabilities(sizes)
        if (not isinstance(result, dict) or set(result) != set(sizes)
                or any(as_number(chance) is None for chance in result.values())):
            return returned(name, result, f"a dict with one probability (a number) per task: {', '.join(sizes)}")
        result = {task: as_number(chance) for task, chance in result.items()}
        total = sum(result.values())
        if not np.isclose(total, 1.0):
            powered = {task: size ** (1 / temperature) for task, size in sizes.items()}
            hint = ("Divide each size^(1/T) by their sum." if close(result, powered) else
                    "Divide each task's weight by the sum of all the weights.")
            return Feedback(False, f"with {name}, your probabilities sum to {total:.4g}; they must sum to 1. {hint}")
        if not close(result, expected):
            mistakes = [(_normalised({task: size ** temperature for task, size in sizes.items()}),
                         "You raised the sizes to the power T; raise them to 1/T, so that a higher "
                         "temperature flattens the chances towards uniform."),
                        (_normalised(dict(sizes)), "Those are proportional chances: the temperature is missing.")]
            return mismatch(name, "your probabilities are", result, expected,
                            hint_for(result, mistakes, "p(task) is size^(1/temperature), divided by the sum."))
    return Feedback(True, "your chances are size^(1/T), normalised: proportional at T = 1, flatter as T grows.")
