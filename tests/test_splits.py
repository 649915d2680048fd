"""Split invariants: grouped, sized, deterministic."""

import pandas as pd
import pytest

from mtl_lib.data import MultiTaskData
from mtl_lib.data.splits import grouped_split, linked_groups, stratified_grouped_split


def test_news_splits_are_story_disjoint(news):
    splits_per_story = news.frame.groupby("story").split.nunique()
    assert (splits_per_story == 1).all()


def test_news_split_sizes_are_close_to_70_10_20_overall_and_per_task(news):
    overall = news.frame.split.value_counts(normalize=True)
    assert overall["train"] == pytest.approx(0.7, abs=0.01)
    assert overall["dev"] == pytest.approx(0.1, abs=0.01)
    assert overall["test"] == pytest.approx(0.2, abs=0.01)
    per_task = pd.crosstab(news.frame.task, news.frame.split, normalize="index")
    assert ((per_task["train"] - 0.7).abs() < 0.04).all()
    assert ((per_task["test"] - 0.2).abs() < 0.04).all()


def test_same_seed_same_split_other_seed_other_split(news):
    again = MultiTaskData.load("news", seed=0)
    other = MultiTaskData.load("news", seed=1)
    assert (again.frame.split == news.frame.split).all()
    assert (other.frame.split != news.frame.split).mean() > 0.2


def test_bbc_duplicates_stay_in_one_split_and_categories_keep_their_mix(bbc):
    assert (bbc.frame.groupby("text").split.nunique() == 1).all()
    mix = pd.crosstab(bbc.frame.label, bbc.frame.split, normalize="index")
    assert ((mix["train"] - 0.7).abs() < 0.02).all()


def test_fdu_dev_is_drawn_from_train_and_depends_on_the_seed(fdu):
    other = MultiTaskData.load("fdu-mtl", seed=1)
    dev0 = set(fdu.texts("books", "dev"))
    dev1 = set(other.texts("books", "dev"))
    assert len(dev0) == 200 and dev0 != dev1
    assert set(fdu.texts("books", "test")) == set(other.texts("books", "test"))


def test_grouped_split_never_splits_a_group():
    groups = pd.Series([i // 3 for i in range(300)])
    split = grouped_split(groups, seed=7)
    assert (split.groupby(groups).nunique() == 1).all()
    assert split.value_counts()["train"] == pytest.approx(210, abs=3)


def test_stratified_grouped_split_keeps_each_stratum_mixed():
    strata = pd.Series(["a"] * 100 + ["b"] * 900)
    groups = pd.Series(range(1000))
    split = stratified_grouped_split(strata, groups, seed=0)
    assert (split[strata == "a"] == "test").sum() == pytest.approx(20, abs=1)
    assert (split[strata == "b"] == "test").sum() == pytest.approx(180, abs=1)


def test_news_keeps_identical_headlines_in_one_split(news):
    """251 headlines repeat, some re-filed under another story id: they must not straddle splits."""
    assert (news.frame.groupby(news.frame.text.str.lower()).split.nunique() == 1).all()


def test_linked_groups_joins_rows_that_share_any_key():
    story = pd.Series(["s1", "s1", "s2", "s3", "s4"])
    text = pd.Series(["a", "b", "b", "c", "a"])
    groups = linked_groups(story, text)
    assert groups.nunique() == 2  # {0, 1, 2, 4} via s1, "b" and "a"; {3} alone
    assert len(set(groups[[0, 1, 2, 4]])) == 1 and groups[3] not in set(groups[[0, 1, 2, 4]])


def test_with_split_reassigns_rows(news):
    every_row_test = news.with_split(pd.Series("test", index=news.frame.index).where(
        news.frame.index % 2 == 0, "train"))
    assert (every_row_test.frame.split == "test").sum() == (len(news.frame) + 1) // 2
    assert every_row_test.label_names == news.label_names
