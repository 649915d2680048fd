"""The classical baselines: majority class, TF-IDF + logistic regression, and their table."""

import pandas as pd
import pytest

from mtl_lib.baselines import baseline_table, majority_class, tfidf_logistic_regression, tfidf_pipeline
from mtl_lib.data import MultiTaskData
from mtl_lib.metrics import average, score_table


def hand_made() -> MultiTaskData:
    """Two tasks whose commonest training label is rare in test."""
    rows = [("shop", "train", "good")] * 3 + [("shop", "train", "bad")] + [("shop", "test", "good")] \
        + [("shop", "test", "bad")] * 3 + [("blog", "train", "a")] * 2 + [("blog", "test", "a")] * 2
    frame = pd.DataFrame(rows, columns=["task", "split", "label"])
    frame["text"] = [f"text number {i}" for i in range(len(frame))]
    return MultiTaskData.from_frame(frame)


def test_majority_accuracy_is_the_test_share_of_the_commonest_train_label():
    scores = majority_class(hand_made())
    assert scores["shop"]["accuracy"] == pytest.approx(1 / 4)
    assert scores["blog"]["accuracy"] == 1.0


def test_tfidf_logistic_regression_beats_majority_on_news(news):
    tfidf = average(tfidf_logistic_regression(news))
    majority = average(majority_class(news))
    assert tfidf["accuracy"] > majority["accuracy"] + 0.05
    assert tfidf["macro_f1"] > majority["macro_f1"] + 0.2


def test_same_seed_same_scores(news):
    small = news.sample(per_split=150)
    options = {"solver": "saga", "C": 1.0}  # a solver that shuffles, so the seed matters
    assert (tfidf_logistic_regression(small, seed=3, **options)
            == tfidf_logistic_regression(small, seed=3, **options))


def test_a_task_with_one_training_label_predicts_it():
    scores = tfidf_logistic_regression(hand_made())
    assert scores["blog"]["accuracy"] == 1.0


def test_options_override_the_logistic_regression():
    classifier = tfidf_pipeline(C=1.0, class_weight="balanced").named_steps["classifier"]
    assert classifier.C == 1.0 and classifier.class_weight == "balanced" and classifier.max_iter == 1000


def test_score_table_adds_an_average_row_per_run():
    table = score_table({"x": {"a": {"accuracy": 0.5, "macro_f1": 0.2}, "b": {"accuracy": 1.0, "macro_f1": 0.4}}},
                        by="split")
    assert list(table.columns) == ["task", "split", "accuracy", "macro_f1"]
    assert table.set_index("task").loc["average"].tolist() == ["x", 0.75, pytest.approx(0.3)]


def test_baseline_table_has_both_methods_for_every_task_and_the_average():
    data = hand_made()
    table = baseline_table(data)
    assert set(table.method) == {"majority class", "TF-IDF + logistic regression"}
    assert sorted(table.task.unique()) == ["average", "blog", "shop"]
