"""Bring your own data: MultiTaskData from a DataFrame or CSV, and what it refuses."""

import json

import pandas as pd
import pytest

from mtl_lib.data import MultiTaskData
from mtl_lib.errors import DataError, UnknownDatasetError, UnknownLabelError, UnknownTaskError


def own_frame(n: int = 60) -> pd.DataFrame:
    """Two tasks with different label sets and other column names."""
    rows = [{"site": "shop", "headline": f"review number {i} of the shop", "topic": ["good", "bad"][i % 2]}
            for i in range(n)]
    rows += [{"site": "blog", "headline": f"post {i} on the blog", "topic": ["a", "b", "c"][i % 3]}
             for i in range(n)]
    return pd.DataFrame(rows)


def test_from_frame_renames_columns_splits_and_keeps_each_tasks_labels():
    data = MultiTaskData.from_frame(own_frame(), text="headline", label="topic", task="site")
    assert data.task_names == ["shop", "blog"]
    assert data.tasks["shop"].label_names == ("bad", "good")
    assert data.tasks["blog"].label_names == ("a", "b", "c")
    sizes = data.frame.groupby(["task", "split"]).size()
    assert sizes["shop", "train"] == 42 and sizes["shop", "test"] == 12
    assert data.labels("blog", "train").max() == 2


def test_from_frame_keeps_a_given_split_column():
    frame = own_frame().rename(columns={"site": "task", "headline": "text", "topic": "label"})
    frame["split"] = ["train"] * 100 + ["dev"] * 10 + ["test"] * 10
    data = MultiTaskData.from_frame(frame)
    assert data.frame.split.value_counts()["dev"] == 10


def test_missing_columns_are_named_with_the_ones_there_are():
    with pytest.raises(DataError, match=r"no column 'text'.*'headline'"):
        MultiTaskData.from_frame(own_frame(), label="topic", task="site")


def test_empty_texts_are_refused():
    frame = own_frame()
    frame.loc[3, "headline"] = "   "
    with pytest.raises(DataError, match="1 examples have an empty text"):
        MultiTaskData.from_frame(frame, text="headline", label="topic", task="site")


def test_a_label_outside_the_given_label_set_is_refused():
    with pytest.raises(UnknownLabelError, match="'c' is not a label of task 'blog'"):
        MultiTaskData.from_frame(own_frame(), text="headline", label="topic", task="site",
                                 label_names={"shop": ["bad", "good"], "blog": ["a", "b"]})


def test_unknown_split_names_are_refused():
    frame = own_frame().rename(columns={"site": "task", "headline": "text", "topic": "label"})
    frame["split"] = "validation"
    with pytest.raises(DataError, match="unknown split names"):
        MultiTaskData.from_frame(frame)


def test_unknown_task_lists_the_tasks(news):
    with pytest.raises(UnknownTaskError, match="'Reuter' is not a task.*Reuters, Huffington Post"):
        news.texts("Reuter", "train")


def test_unknown_dataset_name():
    with pytest.raises(UnknownDatasetError, match="news, bbc, fdu-mtl"):
        MultiTaskData.load("newz")


def test_csv_round_trip_through_export(tmp_path, news):
    small = news.sample(per_split=20)
    small.export(tmp_path)
    train = pd.read_csv(tmp_path / "train.csv")
    assert list(train.columns) == ["task", "text", "label", "story"]
    both = pd.concat([pd.read_csv(tmp_path / f"{s}.csv").assign(split=s) for s in ("train", "dev", "test")])
    both.to_csv(tmp_path / "all.csv", index=False)
    again = MultiTaskData.load(tmp_path / "all.csv")
    assert nonzero(again.counts()) == nonzero(small.counts())


def nonzero(counts: dict) -> dict:
    """Counts without the zero entries (a CSV only knows the labels that occur in it)."""
    return {task: {split: {label: n for label, n in labels.items() if n} for split, labels in splits.items()}
            for task, splits in counts.items()}


def test_counts_json_has_every_task_split_and_label(news):
    counts = json.loads(news.to_json())
    assert set(counts) == set(news.task_names)
    assert set(counts["Reuters"]) == {"train", "dev", "test"}
    assert sum(sum(labels.values()) for splits in counts.values() for labels in splits.values()) == 13340


def test_sample_shrinks_training_data_of_one_task(news):
    low = news.sample(train_fraction={"Reuters": 0.05}, seed=3)
    assert len(low.examples("Reuters", "train")) == round(0.05 * len(news.examples("Reuters", "train")))
    assert len(low.examples("Daily Mail", "train")) == len(news.examples("Daily Mail", "train"))
    assert len(low.examples("Reuters", "test")) == len(news.examples("Reuters", "test"))


def test_select_keeps_only_the_named_tasks(fdu):
    two = fdu.select(["books", "dvd"])
    assert two.task_names == ["books", "dvd"]
    assert set(two.unlabeled.task) == {"books", "dvd"}


def test_test_texts_repeated_from_training_are_found_and_can_be_dropped():
    frame = pd.DataFrame({"task": ["a", "a", "a", "a", "b", "b"],
                          "text": ["Good  BOOK", "bad", "good book", "new one", "good book", "bad"],
                          "label": ["pos", "neg", "pos", "pos", "pos", "neg"],
                          "split": ["train", "dev", "test", "test", "test", "train"]})
    data = MultiTaskData.from_frame(frame, split="split")
    repeated = data.repeated_test_texts()
    assert repeated.tolist() == [True, False, False]  # b's "good book" is only in a's training rows
    kept = data.without_repeated_test_texts()
    assert kept.texts("a", "test") == ["new one"] and kept.texts("b", "test") == ["good book"]
    assert kept.texts("a", "train") == data.texts("a", "train")
