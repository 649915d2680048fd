"""Figures of what a multi-task model learned (chapter 05): relatedness, projections, word lists.

Each function draws a table that `mtl_lib.analysis` computed; none of them trains or
explains anything itself.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from mtl_lib.errors import DataError
from mtl_lib.plots.style import wrapped

KIND_PALETTE = {"shared": "tab:blue", "private": "tab:orange"}


def _require(table: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, table.columns))}")


def relatedness(matrix: pd.DataFrame, title: str, fmt: str = ".2f", vmin: float | None = 0.0,
                vmax: float | None = 1.0, ax: Axes | None = None) -> Axes:
    """Heat map of a tasks x tasks table, its row and column names as axis labels.

    For `discriminator_confusion`, `private_similarity` or `transfer_accuracy`:
    `relatedness(private_similarity(model, news, vocab), "Private encoders alike (linear CKA)")`.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(2.0 + 1.5 * matrix.shape[1], 1.2 + 0.7 * matrix.shape[0]))
    sns.heatmap(matrix, annot=True, fmt=fmt, cmap="Blues", vmin=vmin, vmax=vmax, linewidths=0.5, cbar=False, ax=ax)
    ax.set_xticklabels(wrapped([str(column) for column in matrix.columns]), rotation=0)
    ax.set_yticklabels([str(index) for index in matrix.index], rotation=0)
    ax.set(title=title, xlabel=matrix.columns.name or "task", ylabel=matrix.index.name or "task")
    return ax


def projections(points: pd.DataFrame, silhouettes: pd.Series | None = None, method: str = "PCA") -> np.ndarray:
    """Scatter plots of projected features, one panel per kind (shared, private), coloured by task.

    `points` has columns kind, task, x, y (as `mtl_lib.analysis.project` returns); the
    silhouette score by task of each kind, if given, goes into its panel's title.
    Returns the Axes, one per kind.
    """
    _require(points, ("kind", "task", "x", "y"))
    kinds = list(dict.fromkeys(points.kind))
    tasks = list(dict.fromkeys(points.task))
    figure, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.8), squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        mine = points[points.kind == kind]
        sns.scatterplot(data=mine, x="x", y="y", hue="task", hue_order=tasks, s=10, alpha=0.6, linewidth=0,
                        legend=kind == kinds[-1], ax=ax)
        score = "" if silhouettes is None else f"\nsilhouette by publication {silhouettes[kind]:.2f}"
        ax.set(title=f"{kind.capitalize()} features{score}", xlabel=f"{method} 1", ylabel=f"{method} 2")
    axes[0][-1].legend(title="task", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, markerscale=2)
    figure.suptitle(f"Features of the test texts, projected to two dimensions ({method})")
    figure.tight_layout()
    return axes[0]


def word_bars(words: pd.DataFrame, channel: str, columns: int = 3) -> np.ndarray:
    """Horizontal bars of the top words of each task (as `mtl_lib.analysis.top_words` returns).

    One panel per task, words sorted by their summed contribution through `channel`
    (shared in blue, private in orange). Returns the Axes of the panels.
    """
    _require(words, ("task", "token", "contribution"))
    tasks = list(dict.fromkeys(words.task))
    columns = min(columns, len(tasks))
    rows = -(-len(tasks) // columns)  # ceiling division
    longest = words.groupby("task").size().max()
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, rows * (1.3 + 0.28 * longest)),
                                squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        mine = words[words.task == task]
        sns.barplot(data=mine, x="contribution", y="token", color=KIND_PALETTE.get(channel, "tab:gray"), ax=ax)
        ax.set(title=str(task), xlabel=f"summed {channel} attribution", ylabel="word")
    for ax in axes.flat[len(tasks):]:
        ax.remove()
    figure.suptitle(f"Words that drive the {channel} features")
    figure.tight_layout()
    return axes.flat[: len(tasks)]
