"""Figures of multi-task trees (chapter 08): one tree for all tasks against one tree per task.

They draw the long table that `mtl_lib.trees.relatedness_sweep` returns, reading its "all tasks"
rows: the mean test accuracy over tasks, and the nodes and fit seconds summed over the models
that an approach needs.
"""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.plots.style import METRIC_NAMES
from mtl_lib.trees import ALL_TASKS, APPROACHES

MEASURES = {"accuracy": f"mean test {METRIC_NAMES['accuracy'].lower()} over tasks",
            "nodes": "nodes in all the trees (log scale)", "fit_seconds": "seconds to fit (log scale)"}
KIND_NAMES = {"tree": "One tree", "forest": "One forest"}


def _all_tasks_rows(sweep: pd.DataFrame) -> pd.DataFrame:
    """The "all tasks" rows of a sweep of one kind of model; a sweep that mixes trees and forests is refused."""
    missing = [column for column in ["approach", "task", "relatedness", "kind", "seed", *MEASURES]
               if column not in sweep.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, sweep.columns))}")
    kinds = list(sweep.kind.unique())
    if len(kinds) > 1:
        raise DataError(f"the table holds the kinds {', '.join(map(repr, kinds))}; pass one, "
                        f"for example sweep[sweep.kind == 'tree']")
    return sweep[sweep.task == ALL_TASKS]


def tree_curve(sweep: pd.DataFrame, measure: str = "accuracy", ax: Axes | None = None) -> Axes:
    """One measure of joint and separate models against the tasks' relatedness, mean ± std over seeds.

    `tree_curve(relatedness_sweep(), "nodes")`. Nodes and seconds are drawn on a log scale: the
    joint tree's size changes by a factor, not by a constant.
    """
    if measure not in MEASURES:
        raise ConfigError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    rows = _all_tasks_rows(sweep)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(data=rows, x="relatedness", y=measure, hue="approach", hue_order=APPROACHES, style="approach",
                 markers=True, dashes=False, errorbar="sd", ax=ax)
    if measure != "accuracy":
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(ScalarFormatter())  # 200 rather than 2 x 10^2
        ax.yaxis.set_minor_formatter(NullFormatter())
    levels = sorted(rows.relatedness.unique())
    ax.set_xticks(levels, labels=[f"{level:.2g}" for level in levels])
    ax.legend(title="approach", loc="best")
    name = KIND_NAMES.get(rows.kind.iloc[0], rows.kind.iloc[0])
    ax.set(title=f"{name} for all tasks or one per task ({rows.seed.nunique()} seeds)",
           xlabel="relatedness (share of relevant features)", ylabel=MEASURES[measure])
    return ax


def tree_panels(sweep: pd.DataFrame) -> list[Axes]:
    """`tree_curve` of accuracy, nodes and fit seconds side by side: what sharing the splits gains and costs.

    `tree_panels(relatedness_sweep(kind="forest", seeds=[0]))`.
    """
    rows = _all_tasks_rows(sweep)
    fig, axes = plt.subplots(1, len(MEASURES), figsize=(15, 4))
    for measure, ax in zip(MEASURES, axes):
        tree_curve(rows, measure, ax)
        ax.set_title(MEASURES[measure].split(" (")[0].capitalize())
    name = KIND_NAMES.get(rows.kind.iloc[0], rows.kind.iloc[0])
    fig.suptitle(f"{name} for all tasks (joint) or one per task (separate), mean ± std over "
                 f"{rows.seed.nunique()} seeds")
    fig.tight_layout()
    return list(axes)
