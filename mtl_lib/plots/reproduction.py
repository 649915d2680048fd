"""Figures of the Liu et al. (2017) reproduction (chapter 07): our errors per domain beside the paper's.

They draw the table that `mtl_lib.reproduce.paper_table` returns: one row per domain and
"Average", columns `(method, "ours" | "std" | "paper" | "seeds")`.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from mtl_lib.errors import DataError
from mtl_lib.reproduce import PAPER_METHOD_NAMES


def against_paper(table: pd.DataFrame, methods: list[str] | None = None, ax: Axes | None = None) -> Axes:
    """Test error per domain: ours as a dot with ±1 s.d. over seeds, the paper's as a cross, per method."""
    methods = methods or list(dict.fromkeys(method for method, _ in table.columns))
    missing = [method for method in methods if (method, "ours") not in table.columns]
    if missing:
        raise DataError(f"the table has no results for {', '.join(missing)}; it has "
                        f"{', '.join(dict.fromkeys(method for method, _ in table.columns))}")
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 4.2))
    positions = np.arange(len(table.index))
    width = 0.8 / len(methods)
    for i, method in enumerate(methods):
        x = positions - 0.4 + width * (i + 0.5)
        name = PAPER_METHOD_NAMES[method]
        line = ax.errorbar(x, table[(method, "ours")], yerr=table[(method, "std")].fillna(0), fmt="o",
                           markersize=4, capsize=2, label=f"{name}, ours")
        ax.scatter(x, table[(method, "paper")], marker="x", color=line[0].get_color(), label=f"{name}, paper")
    ax.set_xticks(positions, table.index, rotation=45, ha="right")
    seeds = int(table[(methods[0], "seeds")].iloc[-1])
    ax.set(title=f"Test error per domain: ours (dots, mean ± 1 s.d. over {seeds} seeds) and Liu et al.'s (crosses)",
           xlabel="domain", ylabel="test error (%)")
    ax.legend(ncol=len(methods), fontsize="small", loc="upper left")
    return ax
