"""Figures and tables of multi-seed results: right numbers, labelled axes, bad input refused by name."""

import numpy as np
import pandas as pd
import pytest

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.experiment import tidy
from mtl_lib.plots import results

from figures import assert_labelled

TASKS = ["Reuters", "Contactmusic.com"]


def metrics(accuracy: dict[str, float]) -> dict:
    """`Experiment.metrics` with these test (and equal dev) accuracies; macro-F1 is half of each."""
    per_task = {task: {split: {"accuracy": value, "macro_f1": value / 2} for split in ("dev", "test")}
                for task, value in accuracy.items()}
    mean = float(np.mean(list(accuracy.values())))
    return {"tasks": per_task, "average": {split: {"accuracy": mean, "macro_f1": mean / 2} for split in ("dev", "test")}}


@pytest.fixture
def scores() -> pd.DataFrame:
    """Test scores of two methods over two seeds, as `repeat_experiment` returns them."""
    runs = [tidy(metrics({"Reuters": 0.80 + 0.02 * seed, "Contactmusic.com": 0.90}), method="single", seed=seed)
            for seed in (0, 1)]
    runs += [tidy(metrics({"Reuters": 0.85 + 0.02 * seed, "Contactmusic.com": 0.89}), method="hard", seed=seed)
             for seed in (0, 1)]
    table = pd.concat(runs, ignore_index=True)
    return table[table.split == "test"]


def test_mean_std_table_writes_mean_and_spread_per_method_and_task(scores):
    table = results.mean_std_table(scores)
    assert list(table.index) == ["single", "hard"]
    assert list(table.columns) == [*TASKS, "average"]
    assert table.loc["single", "Reuters"] == f"0.810 ± {np.std([0.80, 0.82], ddof=1):.3f}"
    assert table.loc["hard", "Contactmusic.com"] == "0.890 ± 0.000"


def test_mean_std_table_shows_a_single_run_without_a_spread(scores):
    once = scores[scores.seed == 0]
    assert results.mean_std_table(once, metric="macro_f1", digits=2).loc["single", "Reuters"] == "0.40"


def test_tables_refuse_a_mix_of_splits(scores):
    both = pd.concat([scores, scores.assign(split="dev")])
    with pytest.raises(DataError, match="table.split == 'test'"):
        results.mean_std_table(both)
    with pytest.raises(DataError, match="pass one"):
        results.score_bars(both)


def test_score_bars_draws_the_mean_of_each_task_and_method(scores):
    ax = results.score_bars(scores)
    assert_labelled(ax)
    assert "Test accuracy" in ax.get_title()
    widths = sorted(round(bar.get_width(), 3) for bar in ax.patches if bar.get_height() > 0)
    assert widths == sorted([0.81, 0.9, 0.855, 0.86, 0.89, 0.875])


def test_score_bars_names_the_metrics_it_knows(scores):
    with pytest.raises(ConfigError, match="accuracy, macro_f1"):
        results.score_bars(scores, metric="f1")


def test_paired_gains_subtract_the_baseline_of_the_same_seed(scores):
    gains = results.paired_gains(scores, baseline="single")
    assert set(gains.method) == {"hard"}
    reuters = gains[gains.task == "Reuters"].set_index("seed").gain
    assert reuters.to_dict() == pytest.approx({0: 0.05, 1: 0.05})
    assert gains[gains.task == "Contactmusic.com"].gain.to_list() == pytest.approx([-0.01, -0.01])


def test_paired_gains_name_an_unknown_baseline_and_unmatched_seeds(scores):
    with pytest.raises(DataError, match="'single', 'hard'"):
        results.paired_gains(scores, baseline="soft")
    shifted = pd.concat([scores[scores.method == "single"], scores[scores.method == "hard"].assign(seed=7)])
    with pytest.raises(DataError, match="same seeds"):
        results.paired_gains(shifted, baseline="single")


def test_gain_bars_show_gains_in_points_around_zero(scores):
    ax = results.gain_bars(results.paired_gains(scores, baseline="single"), baseline="single")
    assert_labelled(ax)
    widths = sorted(round(bar.get_width(), 2) for bar in ax.patches if bar.get_height() > 0)
    assert widths == [-1.0, 2.0, 5.0]  # Contactmusic.com, average, Reuters
    assert "single" in ax.get_title()


def test_dev_curves_draw_each_task_and_the_average():
    history = pd.DataFrame({"epoch": [1, 2], "dev_accuracy": [0.7, 0.8],
                            "dev_accuracy/Reuters": [0.6, 0.7], "dev_accuracy/Daily Mail": [0.8, 0.9],
                            "train_loss": [1.0, 0.5]})
    ax = results.dev_curves(pd.concat([history.assign(seed=0), history.assign(seed=1)]))
    assert_labelled(ax)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Reuters", "Daily Mail", "average"]
    average = [line for line in ax.get_lines() if line.get_label() == "average"][0]
    assert list(average.get_ydata()) == pytest.approx([0.7, 0.8])


def test_dev_curves_need_a_trainer_history():
    with pytest.raises(DataError, match="no column 'dev_accuracy'"):
        results.dev_curves(pd.DataFrame({"epoch": [1]}))


def test_score_curve_has_a_line_per_method_through_the_means(scores):
    curve = pd.concat([scores.assign(fraction=0.5, accuracy=scores.accuracy - 0.1), scores.assign(fraction=1.0)])
    average = curve[curve.task == "average"]
    ax = results.score_curve(average, x="fraction", log_x=True)
    assert_labelled(ax)
    assert ax.get_xscale() == "log"
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["0.5", "1"]
    means = sorted(np.round(line.get_ydata(), 3).tolist() for line in ax.get_lines() if len(line.get_ydata()) == 2)
    assert means == [[0.755, 0.855], [0.775, 0.875]]  # single, hard: the average over seeds


def test_sampling_probabilities_label_every_bar():
    probabilities = pd.DataFrame({"proportional": [0.75, 0.25], "uniform": [0.5, 0.5]}, index=["big", "small"])
    ax = results.sampling_probabilities(probabilities)
    assert_labelled(ax)
    assert sorted(text.get_text() for text in ax.texts) == ["0.25", "0.50", "0.50", "0.75"]


def test_sampling_probabilities_must_sum_to_one():
    with pytest.raises(DataError, match="sum to 1"):
        results.sampling_probabilities(pd.DataFrame({"broken": [0.5, 0.2]}, index=["a", "b"]))
