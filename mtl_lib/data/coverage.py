"""A future signal of the news: how widely a headline's story is covered after it appears.

When a headline is published nobody knows how many more articles its story will get;
the archive knows, because it records every headline's story cluster (`story`) and the
time the aggregator saw it (`timestamp`). Such a number can be a training target (an
auxiliary task) and never an input: at deployment it does not exist yet.

Coverage is counted among the rows of the data itself (for the news, the five
publishers' headlines), so it is the same whether the archive read is upstream's full
file or the five-publisher mirror. Because the news is split by story, every headline
counted for a training headline is itself a training headline: the target reads
nothing across the split (`counted_splits` shows it).
"""

import numpy as np
import pandas as pd

from mtl_lib.data.tasks import MultiTaskData
from mtl_lib.errors import DataError

DAY_MS = 24 * 60 * 60 * 1000
COVERAGE_DAYS = 7.0


def _check_columns(frame: pd.DataFrame) -> None:
    missing = [column for column in ("story", "timestamp") if column not in frame.columns]
    if missing:
        raise DataError(f"coverage needs each row's story and timestamp, but the data has no column "
                        f"{', '.join(map(repr, missing))}; the built-in news data set has both")


def later_coverage(frame: pd.DataFrame, days: float = COVERAGE_DAYS) -> pd.Series:
    """For each row, how many rows of the same story appeared in the `days` after it (itself excluded).

    >>> later_coverage(news.frame).describe()   # most stories get a few more headlines, some dozens
    """
    _check_columns(frame)
    window = days * DAY_MS
    counts = pd.Series(0, index=frame.index, name="later_coverage")
    for _, rows in frame.groupby("story", sort=False):
        times = np.sort(rows.timestamp.to_numpy(dtype=float))
        own = rows.timestamp.to_numpy(dtype=float)
        # rows later than this one, up to the end of the window: a difference of two positions
        counts[rows.index] = (np.searchsorted(times, own + window, side="right")
                              - np.searchsorted(times, own, side="right"))
    return counts


def counted_splits(frame: pd.DataFrame, days: float = COVERAGE_DAYS) -> pd.Series:
    """For each row, the splits of the rows its coverage counts (an empty set if none).

    The leakage check: with the news split by story, each set is empty or holds the
    row's own split only, so a training headline's target never reads a test headline.
    """
    _check_columns(frame)
    window = days * DAY_MS
    splits = pd.Series([frozenset()] * len(frame), index=frame.index, name="counted_splits", dtype=object)
    for _, rows in frame.groupby("story", sort=False):
        times, row_splits = rows.timestamp.to_numpy(dtype=float), rows.split.to_numpy()
        for index, time in zip(rows.index, times):
            counted = (times > time) & (times <= time + window)
            splits[index] = frozenset(row_splits[counted])
    return splits


def with_coverage_task(data: MultiTaskData, name: str = "coverage", days: float = COVERAGE_DAYS) -> MultiTaskData:
    """`data` plus a regression task: log(1 + later coverage) of every training headline.

    An auxiliary task: it has training rows only, so it is trained on and never scored or
    selected on, and the deployed model never reads coverage (it has not happened yet).
    """
    coverage = later_coverage(data.frame, days)
    train = data.frame.split == "train"
    rows = pd.DataFrame({"text": data.frame.text[train], "label": np.log1p(coverage[train]).round(6),
                         "split": "train"})
    return data.with_task(name, rows)
