"""Figures of transfer to a new task (chapter 06): data-efficiency curves.

They draw the long table that `mtl_lib.transfer.data_efficiency` returns: one row per
run, with columns such as source, method, fraction, seed, train_examples and the metrics.
"""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import NullFormatter, PercentFormatter, ScalarFormatter

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.metrics import METRICS
from mtl_lib.plots.style import METRIC_NAMES

METHOD_NAMES = {"scratch": "from scratch", "single_channel": "single channel", "bi_channel": "bi-channel"}
X_AXES = {"train_examples": "target training examples (log scale)", "fraction": "fraction of the target's "
          "training data (log scale)"}


def _check(table: pd.DataFrame, columns: list[str], metric: str, x: str) -> None:
    if metric not in METRICS:
        raise ConfigError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")
    if x not in X_AXES:
        raise ConfigError(f"x must be one of {', '.join(X_AXES)}; got {x!r}")
    missing = [column for column in [*columns, x, metric, "seed"] if column not in table.columns]
    if missing:
        raise DataError(f"the table has no column {', '.join(map(repr, missing))}; its columns are "
                        f"{', '.join(map(repr, table.columns))}")


def data_efficiency(table: pd.DataFrame, hue: str = "method", metric: str = "accuracy", x: str = "train_examples",
                    reference: pd.DataFrame | None = None, ax: Axes | None = None) -> Axes:
    """Test score against the amount of target training data: one line per value of `hue`.

    Each line is the mean over seeds with a band of plus and minus one standard deviation.
    `reference` rows of one method (say, the models trained from scratch) are drawn as one
    dashed black line in the same way. Method ids in the legend read as in `METHOD_NAMES`.
    """
    _check(table, [hue], metric, x)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    lines = table.assign(**{hue: table[hue].map(lambda name: METHOD_NAMES.get(name, name))})
    if reference is not None:
        _check(reference, ["method"], metric, x)
        label = METHOD_NAMES.get(reference.method.iloc[0], reference.method.iloc[0])
        sns.lineplot(data=reference, x=x, y=metric, errorbar="sd", color="black", linestyle="--", marker="o",
                     label=label, ax=ax)
    sns.lineplot(data=lines, x=x, y=metric, hue=hue, errorbar="sd", marker="o", ax=ax)
    ax.set_xscale("log")
    ax.set_xticks(sorted(table[x].unique()))  # a tick at each amount of data that was run
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0) if x == "fraction" else ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    seeds = table.seed.nunique()
    ax.set(title=f"{METRIC_NAMES[metric]} on the new task (mean of {seeds} seeds, band ±1 s.d.)",
           xlabel=X_AXES[x], ylabel=f"test {METRIC_NAMES[metric].lower()}")
    ax.legend(title=hue, loc="best")
    return ax


def data_efficiency_panels(table: pd.DataFrame, panel: str = "method", hue: str = "source",
                           metric: str = "accuracy", x: str = "train_examples",
                           reference: pd.DataFrame | None = None) -> list[Axes]:
    """`data_efficiency` side by side, one panel per value of `panel`, sharing the y axis.

    `data_efficiency_panels(transfers, panel="method", hue="source", reference=scratch)`
    puts the shared layers of several sources side by side, for each way of transferring.
    """
    _check(table, [panel, hue], metric, x)
    names = list(dict.fromkeys(table[panel]))
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 4), sharey=True, squeeze=False)
    for name, ax in zip(names, axes[0]):
        data_efficiency(table[table[panel] == name], hue, metric, x, reference, ax)
        ax.set_title(f"{METHOD_NAMES.get(name, name)}")
    fig.suptitle(f"{METRIC_NAMES[metric]} on the new task (mean of {table.seed.nunique()} seeds, band ±1 s.d.)")
    fig.tight_layout()
    return list(axes[0])
