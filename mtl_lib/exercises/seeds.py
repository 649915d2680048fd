"""Chapter 07: compare two methods seed by seed, the mean and spread of their paired differences."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from mtl_lib.exercises.feedback import Feedback, answered_by, attempt, close, hint_for, mismatch, returned
from mtl_lib.plots.results import paired_gains


def paired_difference(ours: dict[int, float], baseline: dict[int, float]) -> tuple[float, float]:
    """The reference: mean and standard deviation (ddof=1) of ours - baseline over the seeds both have."""
    differences = np.array([ours[seed] - baseline[seed] for seed in ours if seed in baseline])
    return float(differences.mean()), float(differences.std(ddof=1))


def _library_paired_difference(ours: dict[int, float], baseline: dict[int, float]) -> tuple[float, float]:
    """What `paired_gains` finds for these scores, with pandas' std (ddof=1), as the chapters' tables show it."""
    scores = pd.DataFrame([{"task": "Books", "method": method, "seed": seed, "accuracy": value}
                           for method, runs in (("ours", ours), ("baseline", baseline))
                           for seed, value in runs.items()])
    gains = paired_gains(scores, baseline="baseline").gain
    return float(gains.mean()), float(gains.std())


@answered_by(paired_difference)
def check_paired_difference(function: Callable[[dict[int, float], dict[int, float]], tuple[float, float]]
                            ) -> Feedback:
    """Check `function(ours, baseline) -> (mean, std)`: the paired difference of two methods over seeds.

    `ours` and `baseline` map each seed to a score. Pair the runs by seed (the key, not the
    order of the dicts), over the seeds both have; return the mean of ours - baseline and its
    standard deviation with ddof=1, as `mtl_lib.plots.results.paired_gains` and pandas do.
    """
    our_scores = {0: 0.80, 1: 0.83, 2: 0.79, 3: 0.86}
    cases = [("four seeds listed in the same order", our_scores, {0: 0.78, 1: 0.82, 2: 0.76, 3: 0.85}),
             ("four seeds listed in different orders", our_scores, {2: 0.76, 0: 0.78, 3: 0.85, 1: 0.82}),
             ("a baseline with a seed of its own", our_scores, {4: 0.70, 3: 0.85, 1: 0.82, 0: 0.78, 2: 0.76})]
    for name, ours, baseline in cases:
        result = attempt(function, dict(ours), dict(baseline))
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            return returned(name, result, "two numbers, (mean, std) of the per-seed differences")
        expected = _library_paired_difference(ours, baseline)
        if not close(result, expected):
            seeds = [seed for seed in ours if seed in baseline]
            differences = np.array([ours[seed] - baseline[seed] for seed in seeds])
            in_order = np.array(list(ours.values())) - np.array(list(baseline.values())[: len(ours)])
            unpaired = np.sqrt(np.var([ours[seed] for seed in seeds], ddof=1)
                               + np.var([baseline[seed] for seed in seeds], ddof=1))
            mistakes = [((-expected[0], expected[1]), "The sign is reversed: take ours - baseline."),
                        ((expected[0], differences.std()), "That std uses ddof=0; the spread of a sample of "
                                                           "seeds uses ddof=1 (pandas' default)."),
                        ((in_order.mean(), in_order.std(ddof=1)), "You paired the runs by their order in the "
                                                                   "dicts; pair them by seed: ours[seed] - "
                                                                   "baseline[seed]."),
                        ((expected[0], unpaired), "That std treats the runs as unpaired; take the std of the "
                                                  "per-seed differences, which is smaller when both methods "
                                                  "move together from seed to seed.")]
            return mismatch(name, "your (mean, std) is", result, expected, hint_for(
                result, mistakes, "Take ours[seed] - baseline[seed] for each seed both have, then the mean "
                                  "and the std (ddof=1) of those differences."))
    return Feedback(True, "your differences pair the runs by seed, over the seeds both have, and their spread "
                          "is the sample standard deviation.")
