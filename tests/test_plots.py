"""Every figure comes back as Axes with a title and both axis labels, and refuses bad input by name."""

import pandas as pd
import pytest

from mtl_lib import plots
from mtl_lib.baselines import majority_class
from mtl_lib.metrics import score_table
from mtl_lib.data import MultiTaskData
from mtl_lib.errors import ConfigError, DataError

from figures import assert_labelled


@pytest.fixture(scope="module")
def small(news: MultiTaskData) -> MultiTaskData:
    return news.sample(per_split=30)


@pytest.mark.parametrize("normalize", [True, False])
def test_category_mix_has_a_row_per_task_and_a_cell_per_label(small, normalize):
    ax = plots.category_mix(small, normalize=normalize)
    assert_labelled(ax)
    assert [tick.get_text() for tick in ax.get_yticklabels()] == small.task_names
    assert len(ax.texts) == len(small.tasks) * 4  # one annotation per task and category


@pytest.mark.parametrize("unit", ["tokens", "characters"])
def test_text_lengths(small, unit):
    ax = plots.text_lengths(small, unit=unit, split="train")
    assert_labelled(ax)
    assert unit in ax.get_xlabel()


def test_text_lengths_names_the_units_it_knows(small):
    with pytest.raises(ConfigError, match="tokens, characters"):
        plots.text_lengths(small, unit="words")


def test_story_spread_counts_every_story_once(small):
    ax = plots.story_spread(small)
    assert_labelled(ax)
    assert sum(bar.get_height() for bar in ax.patches) == small.frame.story.nunique()


def test_story_spread_needs_stories():
    data = MultiTaskData.from_frame(
        pd.DataFrame({"task": "a", "text": [f"text {i}" for i in range(10)], "label": ["x", "y"] * 5}))
    with pytest.raises(DataError, match="no 'story' column"):
        plots.story_spread(data)


def test_task_scores_draws_a_bar_per_task_and_run(small):
    table = score_table({"majority": majority_class(small), "again": majority_class(small)})
    ax = plots.task_scores(table, metric="macro_f1")
    assert_labelled(ax)
    assert len(ax.patches) >= 2 * (len(small.tasks) + 1)  # tasks plus the average, two runs


def test_task_scores_names_missing_columns(small):
    table = score_table({"majority": majority_class(small)})
    with pytest.raises(DataError, match="no column 'split'"):
        plots.task_scores(table, by="split")
