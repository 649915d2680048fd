"""The figure of future signals as auxiliary tasks (chapter 08): each condition's score, and its paired difference.

It draws the long table that `mtl_lib.future_signals.future_signals_experiment` returns:
one row per seed, condition and split, with the columns r2 and mae.
"""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.future_signals import BASELINE, paired_differences

REGRESSION_METRICS = {"r2": "R²", "mae": "MAE"}
BETTER = {"r2": "higher is better", "mae": "lower is better"}
INPUT_NAMES = {True: "admission features only", False: "reads the lab results too"}


def future_signal_scores(scores: pd.DataFrame, metric: str = "r2", baseline: str = BASELINE,
                         split: str = "test") -> list[Axes]:
    """Two panels, one row per condition: the metric of every seed (dots) with its mean ± std, and
    the paired difference from `baseline`, seed by seed, with the line of no difference at zero.

    Dots are coloured by what the condition reads: only models of the admission features could
    be deployed. `future_signal_scores(future_signals_experiment(), metric="mae")`.
    """
    if metric not in REGRESSION_METRICS:
        raise ConfigError(f"metric must be one of {', '.join(REGRESSION_METRICS)}; got {metric!r}")
    missing = [column for column in ("seed", "condition", "deployable", "split", metric) if column not in scores]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, scores.columns))}")
    differences = paired_differences(scores, baseline, split)
    points = scores[scores.split == split].assign(reads=lambda table: table.deployable.map(INPUT_NAMES))
    conditions = list(dict.fromkeys(points.condition))
    name, seeds = REGRESSION_METRICS[metric], points.seed.nunique()

    height = 1.6 + 0.45 * len(conditions)
    fig, (score_ax, difference_ax) = plt.subplots(1, 2, figsize=(11, height), sharey=True)
    sns.pointplot(data=points, x=metric, y="condition", order=conditions, errorbar="sd", color="black",
                  linestyle="none", capsize=0.3, ax=score_ax)
    sns.stripplot(data=points, x=metric, y="condition", order=conditions, hue="reads",
                  hue_order=list(INPUT_NAMES.values()), alpha=0.6, ax=score_ax)
    fig.legend(*score_ax.get_legend_handles_labels(), title="inputs", loc="lower center", ncol=2, frameon=False)
    score_ax.get_legend().remove()
    score_ax.set(title=f"{split.capitalize()} {name} ({seeds} seeds, mean ± std)",
                 xlabel=f"{split} {name} ({BETTER[metric]})", ylabel="condition")

    sns.pointplot(data=differences, x=metric, y="condition", order=conditions, errorbar="sd", color="black",
                  linestyle="none", capsize=0.3, ax=difference_ax)
    sns.stripplot(data=differences, x=metric, y="condition", order=conditions, color="tab:gray", alpha=0.6,
                  ax=difference_ax)
    difference_ax.axvline(0, color="black", linewidth=1)
    difference_ax.set(title=f"Minus {baseline!r}, seed by seed", xlabel=f"{name} difference ({BETTER[metric]})",
                      ylabel="condition")
    fig.tight_layout(rect=(0, 0.5 / height, 1, 1))  # room below for the legend
    return [score_ax, difference_ax]
