"""Figures of training itself (chapters 03 and 04): what the loss terms, the task weights and the
discriminator did over the steps of a run, gradients drawn as arrows, and probes against their
reference lines.

Each function takes what `Trainer` logs (`history`, one row per epoch; `step_log`, one row per
optimiser step) or a small table computed from it, and returns its Axes. Per-step values are
noisy (each step sees one batch), so curves over steps are drawn as a rolling mean, with the raw
values faint behind it where that helps.
"""

from collections.abc import Mapping, Sequence
from itertools import cycle

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.metrics import METRICS
from mtl_lib.plots.style import METRIC_NAMES

STEP_TERMS = ("task_loss", "adversarial_loss", "difference_loss", "discriminator_accuracy", "reversal_scale")
TERM_NAMES = {
    "loss": "total loss",
    "task_loss": "task loss",
    "adversarial_loss": "adversarial loss",
    "difference_loss": "difference loss",
    "penalty": "penalty",
    "discriminator_accuracy": "discriminator accuracy",
    "reversal_scale": "reversal scale (lambda)",
}
REFERENCE_STYLES = ("--", ":", "-.")


def _check_columns(table: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, table.columns))}")


def _check_window(window: int) -> None:
    if not (isinstance(window, int) and window >= 1):
        raise ConfigError(f"window must be an integer >= 1 (steps per rolling mean; 1 draws the raw values); "
                          f"got {window!r}")


def smoothed(values: pd.Series, window: int) -> pd.Series:
    """The rolling mean over the last `window` steps (fewer at the start), NaN steps skipped.

    >>> smoothed(pd.Series([0.0, 1.0, 0.0, 1.0]), window=2).tolist()
    [0.0, 0.5, 0.5, 0.5]
    """
    _check_window(window)
    return values.rolling(window, min_periods=1).mean()


def _draw_references(ax: Axes, references: Mapping[str, float] | None, vertical: bool = False) -> None:
    """Dashed lines at named values (chance, a bound, a baseline), labelled for the legend."""
    draw = ax.axvline if vertical else ax.axhline
    for (name, value), style in zip((references or {}).items(), cycle(REFERENCE_STYLES)):
        draw(value, color="black", linestyle=style, linewidth=1.2, label=f"{name} ({value:.2f})")


def loss_terms(step_log: pd.DataFrame, window: int = 25, terms: Sequence[str] = STEP_TERMS) -> np.ndarray:
    """One panel per logged term of `Trainer.step_log` against the step: raw values faint, the
    rolling mean over `window` steps on top; epochs start at the thin vertical lines.

    Terms that the run did not log (all NaN, e.g. the adversarial loss of a model without a
    discriminator) are left out. Returns the array of Axes, one per panel.
    """
    _check_columns(step_log, ["step", *terms])
    present = [term for term in terms if step_log[term].notna().any()]
    if not present:
        raise DataError(f"none of the terms {', '.join(terms)} has a value in this step log")
    columns = min(len(present), 3)
    rows = -(-len(present) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    epoch_starts = step_log.groupby("epoch").step.min().iloc[1:] if "epoch" in step_log.columns else []
    for ax, term in zip(axes.flat, present):
        ax.plot(step_log.step, step_log[term], color="tab:blue", alpha=0.25, linewidth=0.8)
        ax.plot(step_log.step, smoothed(step_log[term], window), color="tab:blue", linewidth=2)
        for start in epoch_starts:
            ax.axvline(start, color="grey", linewidth=0.6)
        ax.set(title=TERM_NAMES.get(term, term), xlabel="step", ylabel=TERM_NAMES.get(term, term))
    for ax in axes.flat[len(present):]:
        ax.remove()
    fig.suptitle(f"Loss terms per step (faint) and their rolling mean over {window} steps")
    fig.tight_layout()
    return axes.flat[:len(present)]


def step_curves(step_logs: Mapping[str, pd.DataFrame], column: str, window: int = 25,
                references: Mapping[str, float] | None = None, raw: bool = False) -> Axes:
    """One line per run: `column` of each run's `step_log`, as a rolling mean over `window` steps.

    `step_logs` maps a run's name to its step log, `{"lambda 1.0": trainer.step_log, ...}`;
    `references` draws named horizontal lines, `{"chance": 0.2}`. `raw=True` adds each run's
    per-step values, faint, to show how much the steps jump about.
    """
    if not step_logs:
        raise DataError("step_logs is empty; give {run name: Trainer.step_log}")
    _check_window(window)
    _, ax = plt.subplots(figsize=(8, 4))
    for (name, log), color in zip(step_logs.items(), sns.color_palette(n_colors=len(step_logs))):
        _check_columns(log, ["step", column])
        if raw:
            ax.plot(log.step, log[column], color=color, alpha=0.2, linewidth=0.7)
        ax.plot(log.step, smoothed(log[column], window), color=color, linewidth=2, label=name)
    _draw_references(ax, references)
    name = TERM_NAMES.get(column, column)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    smoothing = f" (rolling mean over {window} steps)" if window > 1 else ""
    ax.set(title=f"{name.capitalize()} per step{smoothing}", xlabel="step", ylabel=name)
    return ax


def task_weights(weights: pd.DataFrame, x: str = "step") -> Axes:
    """Each task's loss weight over training, one line per task, on a log scale.

    `weights` has the column `x` and one column per task, either named by the task or
    `weight/<task>` as in `Trainer.history` (`task_weights(trainer.history, x="epoch")`).
    """
    _check_columns(weights, [x])
    per_task = [column for column in weights.columns if column != x]
    if not per_task:
        raise DataError(f"the table has no weight columns beside {x!r}; give one column per task")
    long = (weights.rename(columns={column: column.removeprefix("weight/") for column in per_task})
            .melt(id_vars=x, var_name="task", value_name="weight"))
    _, ax = plt.subplots(figsize=(8, 4))
    sns.lineplot(data=long, x=x, y="weight", hue="task", ax=ax)
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="equal weighting (1)")
    ax.set_yscale("log")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(title="Loss weight of each task during training", xlabel=x, ylabel="weight (log scale)")
    return ax


def gradient_arrows(vectors: Mapping[str, Sequence[float]]) -> Axes:
    """Two-dimensional vectors drawn as arrows from the origin, for toy gradient examples.

    `gradient_arrows({"g1": [1.0, 0.2], "g2": [-0.6, 1.0]})`: equal axis scales, so angles
    (and so conflicts, angles over 90 degrees) look as they are.
    """
    if not vectors:
        raise DataError("vectors is empty; give {name: [x, y]}")
    points = {name: np.asarray(vector, dtype=float) for name, vector in vectors.items()}
    wrong = [name for name, point in points.items() if point.shape != (2,)]
    if wrong:
        raise DataError(f"gradient_arrows draws 2-D vectors; {', '.join(map(repr, wrong))} are not of length 2")
    _, ax = plt.subplots(figsize=(5.5, 5.5))
    for (name, point), color in zip(points.items(), sns.color_palette(n_colors=len(points))):
        ax.annotate("", xy=point, xytext=(0, 0),
                    arrowprops={"arrowstyle": "-|>", "color": color, "linewidth": 2, "mutation_scale": 15})
        ax.plot([], [], color=color, linewidth=2, label=name)  # a legend entry for the arrow
    reach = 1.15 * max(np.abs(point).max() for point in points.values())
    ax.set(xlim=(-reach, reach), ylim=(-reach, reach), aspect="equal",
           title="Gradients in a two-parameter model", xlabel="parameter 1", ylabel="parameter 2")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def gradient_similarity(similarity: pd.DataFrame) -> Axes:
    """Heat map of the cosine similarity between tasks' gradients (a square table, task by task).

    Negative cells are conflicts: a step on one task's gradient raises the other's loss.
    """
    if similarity.shape[0] != similarity.shape[1] or list(similarity.index) != list(similarity.columns):
        raise DataError("similarity must be square, with the same tasks as rows and as columns")
    _, ax = plt.subplots(figsize=(1.5 + 1.1 * len(similarity), 1.0 + 0.8 * len(similarity)))
    sns.heatmap(similarity, annot=True, fmt=".2f", cmap="RdBu", vmin=-1, vmax=1,
                linewidths=0.5, cbar_kws={"label": "cosine similarity"}, ax=ax)
    ax.set_yticklabels(similarity.index, rotation=0)
    ax.set(title="Cosine similarity of the tasks' gradients", xlabel="task", ylabel="task")
    return ax


def seed_spread(scores: pd.DataFrame, metric: str = "accuracy", by: str = "method", task: str = "average") -> Axes:
    """One row per `by` value: each seed's score of `task` as a dot, the mean ± std as a bar.

    Where the dots of two methods overlap, their difference is within the noise of training.
    `scores` is one split of `repeat_experiment`'s long table: `seed_spread(table[table.split == "test"])`.
    """
    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    _check_columns(scores, ["task", by, "seed", metric])
    rows = scores[scores.task == task]
    if rows.empty:
        raise DataError(f"no rows for task {task!r}; tasks are: {', '.join(map(str, scores.task.unique()))}")
    order = list(dict.fromkeys(rows[by]))
    _, ax = plt.subplots(figsize=(7.5, 1.0 + 0.5 * len(order)))
    sns.pointplot(data=rows, x=metric, y=by, order=order, errorbar="sd", linestyle="none", color="black",
                  marker="|", markersize=14, capsize=0.3, err_kws={"linewidth": 1.5}, ax=ax)
    sns.stripplot(data=rows, x=metric, y=by, order=order, hue="seed", palette="deep", size=7, jitter=False,
                  ax=ax)
    ax.legend(title="seed", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    split = f"{rows.split.iloc[0]} " if "split" in rows.columns and rows.split.nunique() == 1 else ""
    name = f"{split}{METRIC_NAMES[metric].lower()}"
    ax.set(title=f"{task.capitalize()} {name}: every seed (dots), mean ± std (bars)", xlabel=name.capitalize(),
           ylabel=by)
    return ax


def probe_scores(probes: pd.DataFrame, references: Mapping[str, float] | None = None, by: str = "model",
                 value: str = "probe accuracy") -> Axes:
    """Bars of `value` per `by` (mean ± std over the rows of each), with named reference lines.

    For probes of task leakage: `probe_scores(table, {"chance": 0.2, "category alone": 0.47})`.
    """
    _check_columns(probes, [by, value])
    order = list(dict.fromkeys(probes[by]))
    _, ax = plt.subplots(figsize=(7.5, 1.2 + 0.6 * len(order)))
    sns.barplot(data=probes, x=value, y=by, order=order, errorbar="sd", capsize=0.15, color="tab:blue",
                err_kws={"linewidth": 1.2}, ax=ax)
    means = probes.groupby(by, sort=False)[value].mean().reindex(order)
    ax.bar_label(ax.containers[0], labels=[f"{mean:.2f}" for mean in means], label_type="center", color="white",
                 fontsize="small")
    _draw_references(ax, references, vertical=True)
    if references:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_xlim(0, 1)
    ax.set(title=f"{value.capitalize()} per {by} (mean ± std)", xlabel=value, ylabel=by)
    return ax
