"""Figures and tables of results over several seeds (chapters 01 and 02).

Every function takes the long score tables that `mtl_lib.experiment.repeat_experiment`
returns (one row per task, split, method and seed) or `Trainer.history` rows, and
shows a mean with its spread over seeds: a difference between methods means little
until it is larger than the spread of either.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.metrics import METRICS
from mtl_lib.plots.style import METRIC_NAMES

ERROR_BARS = {"errorbar": "sd", "capsize": 0.15, "err_kws": {"linewidth": 1.2}}


def _check_columns(table: pd.DataFrame, columns: list[str]) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, table.columns))}")


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")


def _metric_name(table: pd.DataFrame, metric: str) -> str:
    """"Test accuracy" for a table of test scores, "Accuracy" for a table without a split column.

    A table that mixes splits is refused: its mean would average dev and test scores.
    """
    if "split" not in table.columns:
        return METRIC_NAMES[metric]
    splits = list(table.split.unique())
    if len(splits) > 1:
        raise DataError(f"the table holds the splits {', '.join(map(repr, splits))}; pass one, "
                        f"for example table[table.split == 'test']")
    return f"{splits[0].capitalize()} {METRIC_NAMES[metric].lower()}"


def _tasks(table: pd.DataFrame) -> list[str]:
    """The tasks in order of first appearance, with "average" last."""
    tasks = list(dict.fromkeys(table.task))
    return [task for task in tasks if task != "average"] + (["average"] if "average" in tasks else [])


def mean_std_table(scores: pd.DataFrame, metric: str = "accuracy", by: str = "method",
                   digits: int = 3) -> pd.DataFrame:
    """"mean ± std" over seeds as text: one row per `by` value, one column per task.

    A method scored once (a deterministic baseline) shows its score alone, without "± nan".
    Example: `mean_std_table(scores[scores.split == "test"]).T`, a row per task with cells
    such as "0.842 ± 0.003".
    """
    _check_metric(metric)
    _check_columns(scores, ["task", by, metric])
    _metric_name(scores, metric)
    grouped = scores.groupby([by, "task"], sort=False)[metric].agg(["mean", "std"])

    def text(row: pd.Series) -> str:
        mean = f"{row['mean']:.{digits}f}"
        return mean if np.isnan(row["std"]) else f"{mean} ± {row['std']:.{digits}f}"

    table = grouped.apply(text, axis=1).unstack("task")
    return table.reindex(index=list(dict.fromkeys(scores[by])), columns=_tasks(scores)).rename_axis(columns=None)


def score_bars(scores: pd.DataFrame, metric: str = "accuracy", by: str = "method") -> Axes:
    """Horizontal bars of one metric per task, one bar per `by` value: the mean over seeds, the
    error bar one standard deviation.

    `scores` is a long table of one split, as `repeat_experiment` returns it:
    `score_bars(scores[scores.split == "test"], metric="macro_f1")`.
    """
    _check_metric(metric)
    _check_columns(scores, ["task", by, metric])
    name = _metric_name(scores, metric)
    tasks = _tasks(scores)
    runs = scores[by].nunique()
    _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.22 * len(tasks) * (runs + 1)))
    sns.barplot(data=scores, x=metric, y="task", hue=by, order=tasks, ax=ax, **ERROR_BARS)
    ax.set_xlim(0, 1)
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(title=f"{name} per task (mean ± std over seeds)", xlabel=name, ylabel="task")
    return ax


def paired_gains(scores: pd.DataFrame, baseline: str, metric: str = "accuracy", by: str = "method") -> pd.DataFrame:
    """How much each method beats `baseline`, seed by seed: columns task, `by`, seed, gain.

    Runs with the same seed are paired: the trainer draws the order of tasks and batches
    from the seed alone, so two architectures trained with one seed see the same batches
    in the same order, and their difference is less noisy than a difference of two means.
    """
    _check_metric(metric)
    _check_columns(scores, ["task", by, "seed", metric])
    _metric_name(scores, metric)
    if baseline not in set(scores[by]):
        raise DataError(f"{baseline!r} is not in the {by!r} column; it holds "
                        f"{', '.join(map(repr, scores[by].unique()))}")
    reference = scores[scores[by] == baseline].set_index(["task", "seed"])[metric]
    others = scores[scores[by] != baseline]
    gains = others.assign(gain=others[metric].to_numpy()
                          - reference.reindex(pd.MultiIndex.from_frame(others[["task", "seed"]])).to_numpy())
    if gains.gain.isna().all():
        raise DataError(f"no seed of {baseline!r} matches a seed of the other runs; run them with the same seeds")
    return gains.dropna(subset=["gain"])[["task", by, "seed", "gain"]].reset_index(drop=True)


def gain_bars(gains: pd.DataFrame, metric: str = "accuracy", by: str = "method", baseline: str = "baseline") -> Axes:
    """Bars of the mean gain per task (from `paired_gains`), error bars one standard deviation
    over seeds, with the line of no gain at zero.
    """
    _check_metric(metric)
    _check_columns(gains, ["task", by, "gain"])
    tasks = _tasks(gains)
    runs = gains[by].nunique()
    points = gains.assign(gain=100 * gains.gain)  # in points of the metric
    _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.3 * len(tasks) * max(runs, 2)))
    sns.barplot(data=points, x="gain", y="task", hue=by, order=tasks, ax=ax, **ERROR_BARS)
    ax.axvline(0, color="black", linewidth=1)
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(title=f"Gain over {baseline} per task (mean ± std over seeds)",
           xlabel=f"{METRIC_NAMES[metric]} gain (points)", ylabel="task")
    return ax


def dev_curves(histories: pd.DataFrame) -> Axes:
    """Dev accuracy per epoch, one line per task plus their average, mean ± std over seeds.

    `histories` stacks `Trainer.history` tables (columns epoch, dev_accuracy and
    dev_accuracy/<task>), one per seed: `pd.concat([e.trainer.history for e in runs])`.
    """
    _check_columns(histories, ["epoch", "dev_accuracy"])
    per_task = [column for column in histories.columns if column.startswith("dev_accuracy/")]
    curves = histories[["epoch", *per_task, "dev_accuracy"]].rename(
        columns={column: column.split("/", 1)[1] for column in per_task} | {"dev_accuracy": "average"})
    long = curves.melt(id_vars="epoch", var_name="task", value_name="dev accuracy")
    _, ax = plt.subplots(figsize=(7.5, 4))
    sns.lineplot(data=long[long.task != "average"], x="epoch", y="dev accuracy", hue="task",
                 errorbar="sd", marker="o", ax=ax)
    sns.lineplot(data=long[long.task == "average"], x="epoch", y="dev accuracy", color="black", linewidth=3,
                 errorbar="sd", marker="o", label="average", ax=ax)
    ax.legend(title="task", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set(title="Dev accuracy per epoch (mean ± std over seeds)", xlabel="epoch", ylabel="dev accuracy")
    return ax


def score_curve(scores: pd.DataFrame, x: str, metric: str = "accuracy", by: str = "method",
                log_x: bool = False) -> Axes:
    """A metric against `x` (a training-set size or fraction), one line per `by` value,
    mean ± std over seeds: learning curves.

    `score_curve(curve[curve.task == "average"], x="train fraction")`.
    """
    _check_metric(metric)
    _check_columns(scores, [x, by, metric])
    name = _metric_name(scores, metric)
    _, ax = plt.subplots(figsize=(7, 4))
    sns.lineplot(data=scores, x=x, y=metric, hue=by, style=by, markers=True, dashes=False,
                 errorbar="sd", ax=ax)
    if log_x:  # a log axis, ticked at the values measured rather than at powers of ten
        ax.set_xscale("log")
        values = sorted(scores[x].unique())
        ax.set_xticks(values, labels=[f"{value:g}" for value in values])
        ax.set_xticks([], minor=True)
    ax.legend(title=by, loc="lower right", frameon=True)
    ax.set(title=f"{name} against {x} (mean ± std over seeds)", xlabel=x, ylabel=name)
    return ax


def sampling_probabilities(probabilities: pd.DataFrame) -> Axes:
    """Grouped bars: the chance that a training step draws each task, one bar per sampler.

    `probabilities` has a row per task and a column per sampler, each column summing to 1
    (`{name: sampler.probabilities(sizes) for name, sampler in ...}` as a DataFrame).
    """
    sums = probabilities.sum()
    if not np.allclose(sums, 1.0):
        raise DataError(f"each sampler's probabilities must sum to 1; the columns sum to {sums.round(3).to_dict()}")
    long = probabilities.rename_axis("task").reset_index().melt(
        id_vars="task", var_name="sampler", value_name="probability")
    _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.22 * len(probabilities) * (probabilities.shape[1] + 1)))
    sns.barplot(data=long, x="probability", y="task", hue="sampler", order=list(probabilities.index), ax=ax)
    for bars in ax.containers:
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize="small")
    ax.set_xlim(0, min(1.0, 1.25 * long.probability.max()))
    ax.legend(title="sampler", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(title="Chance that a training step draws each task", xlabel="probability per step", ylabel="task")
    return ax
