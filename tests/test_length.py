"""The text-length task: characters or standard deviations, training rows only, trained on and never scored."""

import numpy as np
import pandas as pd
import pytest

from mtl_lib import EncoderConfig, TrainConfig, build_vocab, run_experiment
from mtl_lib.data.length import text_lengths, with_length_task


def test_lengths_count_characters_and_standardise_to_mean_0_std_1():
    texts = pd.Series(["ab", "abcd", "abcdef"])
    assert text_lengths(texts).tolist() == [2.0, 4.0, 6.0]
    assert text_lengths(texts, standardised=True).tolist() == pytest.approx([-1.0, 0.0, 1.0])


def test_the_length_task_labels_every_training_headline_and_nothing_else(news):
    for standardised in (False, True):
        data = with_length_task(news, standardised=standardised)
        rows = data.frame[data.frame.task == "length"]
        train = news.frame[news.frame.split == "train"]
        assert data.task("length").is_regression and set(rows.split) == {"train"}
        assert rows.text.tolist() == train.text.tolist()
        values = rows.label.astype(float)
        if standardised:
            assert abs(values.mean()) < 1e-9 and values.std() == pytest.approx(1.0)
        else:
            assert values.tolist() == train.text.str.len().tolist()
            assert values.mean() ** 2 > 1000, "in characters, a squared error in the thousands: the point of the task"


def test_a_length_task_is_trained_on_and_never_scored(news):
    small = news.select(["Reuters", "Daily Mail"]).sample(per_split=40, seed=0)
    data = with_length_task(small)
    run = run_experiment(data, "hard", EncoderConfig(kind="bow"), TrainConfig(epochs=1, progress=False),
                         vocab=build_vocab(small))
    assert "length" in set(run.trainer.step_log.task)  # trained on
    assert set(run.metrics["tasks"]) == set(small.task_names)  # never scored
    news_tests = [run.metrics["tasks"][task]["test"]["accuracy"] for task in small.task_names]
    assert np.isclose(run.metrics["average"]["test"]["accuracy"], np.mean(news_tests))
