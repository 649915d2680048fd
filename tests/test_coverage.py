"""The news's future signal: later coverage of a headline's story, computed without crossing the split."""

import csv
import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from mtl_lib.data import SOURCES
from mtl_lib.data.coverage import DAY_MS, counted_splits, later_coverage, with_coverage_task
from mtl_lib.data.download import fetch
from mtl_lib.data.sources import NEWS_PUBLISHERS
from mtl_lib.errors import DataError


def test_later_coverage_counts_the_same_storys_rows_within_the_window_after_each_row():
    frame = pd.DataFrame({"story": ["a", "a", "a", "a", "b"],
                          "timestamp": [0, DAY_MS, 3 * DAY_MS, 9 * DAY_MS, DAY_MS]})
    assert later_coverage(frame, days=7).tolist() == [2, 1, 1, 0, 0]  # the row at day 9 is 9 days after day 0
    assert later_coverage(frame, days=1).tolist() == [1, 0, 0, 0, 0]


def test_later_coverage_needs_stories_and_timestamps():
    with pytest.raises(DataError, match="'timestamp'"):
        later_coverage(pd.DataFrame({"story": ["a"]}))


def test_no_training_headline_counts_a_dev_or_test_headline(news):
    splits = counted_splits(news.frame)
    assert all(counted <= {own} for counted, own in zip(splits, news.frame.split))
    assert sum(bool(counted) for counted in splits) > 5000  # most headlines do count later ones


def test_coverage_is_an_auxiliary_regression_task_of_training_rows_only(news):
    data = with_coverage_task(news)
    rows = data.frame[data.frame.task == "coverage"]
    assert data.task("coverage").is_regression and set(rows.split) == {"train"}
    assert len(rows) == (news.frame.split == "train").sum()
    assert data.labels_per_text("train").max() >= 2  # a headline: its category and its coverage


def test_coverage_recomputed_independently_from_the_archive(news):
    """Read newsCorpora.csv with the csv module and count by brute force, for a sample of headlines."""
    with zipfile.ZipFile(fetch(SOURCES["news"].archive)) as archive:
        text = archive.read("newsCorpora.csv").decode("utf-8")
    rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
            if row[3] in NEWS_PUBLISHERS]
    by_story: dict[str, list[int]] = {}
    for row in rows:
        by_story.setdefault(row[5], []).append(int(row[7]))

    def brute_force(row: list[str]) -> int:
        own = int(row[7])
        return sum(own < other <= own + 7 * DAY_MS for other in by_story[row[5]])

    ours = later_coverage(news.frame)
    sample = np.random.default_rng(0).choice(len(rows), size=2000, replace=False)
    assert len(rows) == len(news.frame)
    assert [int(ours.iloc[i]) for i in sample] == [brute_force(rows[i]) for i in sample]
