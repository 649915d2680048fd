"""Figures of the data sets, and of scores per task (chapters 00 and 01)."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

from mtl_lib.data import MultiTaskData, tokenize
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.metrics import METRICS
from mtl_lib.plots.style import METRIC_NAMES, wrapped

LENGTH_UNITS = ("tokens", "characters")


def _rows(data: MultiTaskData, split: str | None) -> pd.DataFrame:
    """All labeled rows, or those of one split."""
    return data.frame if split is None else data.frame[data.frame.split == split]


def category_mix(data: MultiTaskData, normalize: bool = True, split: str | None = None) -> Axes:
    """Heat map of each task's labels: a row per task, a column per label.

    With `normalize` each cell is the label's share of the task's examples (rows sum
    to 100 %), else a count. For news this is the category mix per publication: it
    shows at a glance which publications write about what. `split=None` uses all splits.
    """
    rows = _rows(data, split)
    labels = list(dict.fromkeys(label for task in data.tasks.values() for label in task.label_names))
    table = pd.crosstab(rows.task, rows.label).reindex(index=data.task_names, columns=labels, fill_value=0)
    if normalize:
        table = table.div(table.sum(axis=1), axis=0)
    _, ax = plt.subplots(figsize=(2.0 + 1.3 * len(labels), 1.2 + 0.5 * len(table)))
    sns.heatmap(table, annot=True, fmt=".0%" if normalize else "d", cmap="Blues", cbar=False,
                vmin=0, vmax=1 if normalize else None, linewidths=0.5, ax=ax)
    ax.set_xticklabels(wrapped(labels), rotation=0)
    ax.set_yticklabels(table.index, rotation=0)
    ax.set(title=f"Label {'share' if normalize else 'count'} per task", xlabel="label", ylabel="task")
    return ax


def text_lengths(data: MultiTaskData, unit: str = "tokens", split: str | None = None,
                 log_scale: bool = False) -> Axes:
    """Violin plot of text length per task, quartiles dashed: `text_lengths(news, unit="characters")`.

    Tokens are counted as `mtl_lib.data.tokenize` splits them. Length decides how much a
    model sees of each example, and how much padding a batch carries. `log_scale` spreads
    out long-tailed lengths (reviews, BBC articles).
    """
    if unit not in LENGTH_UNITS:
        raise ConfigError(f"unit must be one of {', '.join(LENGTH_UNITS)}; got {unit!r}")
    rows = _rows(data, split)
    measure = (lambda text: len(tokenize(text))) if unit == "tokens" else len
    lengths = pd.DataFrame({"task": rows.task, "length": rows.text.map(measure)})
    _, ax = plt.subplots(figsize=(7, 1.2 + 0.5 * len(data.tasks)))
    sns.violinplot(data=lengths, x="length", y="task", order=data.task_names, color="tab:blue",
                   inner="quartile", cut=0, density_norm="width", log_scale=log_scale, ax=ax)
    ax.set(title="Text length per task", xlabel=f"length in {unit}", ylabel="task")
    return ax


def story_spread(data: MultiTaskData) -> Axes:
    """Bar chart: how many stories are covered by one task, by two, ... (needs a `story` column).

    Stories that several publications wrote up are why news must be split by story:
    split by row, and one headline of a story lands in train, another in test.
    """
    if "story" not in data.frame.columns:
        raise DataError(f"the {data.name!r} data has no 'story' column; "
                        "of the built-in data sets only news has one")
    tasks_per_story = data.frame.groupby("story").task.nunique()
    counts = tasks_per_story.value_counts().reindex(range(1, len(data.tasks) + 1), fill_value=0)
    _, ax = plt.subplots(figsize=(6, 3.5))
    sns.barplot(x=counts.index, y=counts.to_numpy(), color="tab:blue", ax=ax)
    ax.bar_label(ax.containers[0])
    ax.set(title="Tasks that carry each story", xlabel="number of tasks with an example of the story",
           ylabel="stories")
    return ax


def task_scores(table: pd.DataFrame, metric: str = "accuracy", by: str = "method") -> Axes:
    """Horizontal bars of one metric per task, one bar per value of the `by` column.

    `table` has columns task, `by` and the metrics, as `mtl_lib.metrics.score_table` returns.
    """
    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    missing = [column for column in ("task", by, metric) if column not in table.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, table.columns))}")
    tasks = list(dict.fromkeys(table.task))
    runs = table[by].nunique()
    _, ax = plt.subplots(figsize=(7, 1.2 + 0.25 * len(tasks) * (runs + 1)))
    sns.barplot(data=table, x=metric, y="task", hue=by, order=tasks, ax=ax)
    for bars in ax.containers:
        ax.bar_label(bars, fmt="%.2f", padding=2, fontsize="small")
    ax.set_xlim(0, 1.1)
    ax.legend(title=by, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(title=f"{METRIC_NAMES[metric]} per task", xlabel=METRIC_NAMES[metric], ylabel="task")
    return ax
