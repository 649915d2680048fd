"""Figures of training: right values drawn, every panel labelled, bad input refused by name."""

import warnings

import numpy as np
import pandas as pd
import pytest

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.plots import training

from figures import assert_labelled


def step_log(steps: int = 40, adversarial: bool = True) -> pd.DataFrame:
    """A step log shaped like `Trainer.step_log`, two epochs, with or without a discriminator."""
    step = np.arange(1, steps + 1)
    nan = np.full(steps, np.nan)
    return pd.DataFrame({
        "step": step, "epoch": np.where(step <= steps // 2, 1, 2), "task": "Reuters",
        "loss": 1.0 / step, "task_loss": 1.0 / step,
        "adversarial_loss": np.full(steps, 1.6) if adversarial else nan,
        "difference_loss": np.linspace(10, 5, steps) if adversarial else nan,
        "penalty": 0.0,
        "discriminator_accuracy": np.tile([0.0, 1.0], steps // 2) if adversarial else nan,
        "reversal_scale": np.full(steps, 0.05) if adversarial else nan,
    })


def test_smoothed_is_a_trailing_mean_that_starts_at_once():
    assert training.smoothed(pd.Series([0.0, 1.0, 0.0, 1.0]), window=2).tolist() == [0.0, 0.5, 0.5, 0.5]
    assert training.smoothed(pd.Series([2.0, np.nan, 4.0]), window=3).tolist() == [2.0, 2.0, 3.0]


@pytest.mark.parametrize("window", [0, 2.5])
def test_smoothed_refuses_a_window_that_is_not_a_positive_integer(window):
    with pytest.raises(ConfigError, match="window must be an integer >= 1"):
        training.smoothed(pd.Series([1.0]), window=window)


def test_loss_terms_draws_a_panel_per_logged_term():
    axes = training.loss_terms(step_log(), window=4)
    assert [ax.get_title() for ax in axes] == [training.TERM_NAMES[term] for term in training.STEP_TERMS]
    for ax in axes:
        assert_labelled(ax)
    accuracy = axes[3]
    smooth = accuracy.get_lines()[1].get_ydata()  # raw first, then the rolling mean
    assert np.allclose(smooth[3:], 0.5)  # alternating 0, 1 averages to one half
    assert len(axes[0].get_figure().axes) == len(training.STEP_TERMS)  # the empty sixth panel is removed


def test_loss_terms_leaves_out_terms_the_run_did_not_log():
    axes = training.loss_terms(step_log(adversarial=False))
    assert [ax.get_title() for ax in axes] == ["task loss"]


def test_loss_terms_names_a_missing_column():
    with pytest.raises(DataError, match="no column 'difference_loss'"):
        training.loss_terms(step_log().drop(columns="difference_loss"))


def test_step_curves_draws_a_line_per_run_and_the_references():
    logs = {"lambda 0.05": step_log(), "lambda 1": step_log().assign(discriminator_accuracy=0.2)}
    ax = training.step_curves(logs, "discriminator_accuracy", window=2, references={"chance": 0.2, "bound": 0.47})
    assert_labelled(ax)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["lambda 0.05", "lambda 1", "chance (0.20)", "bound (0.47)"]
    assert np.allclose(ax.get_lines()[1].get_ydata(), 0.2)


def test_step_curves_with_raw_values_draws_two_lines_per_run():
    ax = training.step_curves({"run": step_log()}, "task_loss", raw=True)
    assert len(ax.get_lines()) == 2
    assert "rolling mean over 25 steps" in ax.get_title()


def test_step_curves_without_smoothing_says_so_in_the_title():
    ax = training.step_curves({"run": step_log()}, "reversal_scale", window=1)
    assert ax.get_title() == "Reversal scale (lambda) per step"
    assert np.allclose(ax.get_lines()[0].get_ydata(), 0.05)


def test_step_curves_needs_runs():
    with pytest.raises(DataError, match="step_logs is empty"):
        training.step_curves({}, "task_loss")


def test_task_weights_reads_the_history_columns():
    history = pd.DataFrame({"epoch": [1, 2], "weight/Reuters": [1.0, 2.0], "weight/Daily Mail": [1.0, 0.5]})
    ax = training.task_weights(history, x="epoch")
    assert_labelled(ax)
    assert ax.get_yscale() == "log"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["Reuters", "Daily Mail"]


def test_task_weights_needs_weight_columns():
    with pytest.raises(DataError, match="no weight columns"):
        training.task_weights(pd.DataFrame({"step": [1, 2]}))


def test_gradient_arrows_draws_each_vector_and_keeps_angles():
    ax = training.gradient_arrows({"g1": [1.0, 0.0], "g2": [-0.5, 2.0]})
    assert_labelled(ax)
    arrows = [child for child in ax.texts]
    assert [tuple(arrow.xy) for arrow in arrows] == [(1.0, 0.0), (-0.5, 2.0)]
    assert ax.get_aspect() == 1.0
    assert ax.get_ylim()[1] >= 2.0


def test_gradient_arrows_refuses_vectors_that_are_not_2d():
    with pytest.raises(DataError, match="'g3' are not of length 2"):
        training.gradient_arrows({"g1": [1.0, 0.0], "g3": [1.0, 0.0, 0.0]})


def test_gradient_similarity_annotates_every_pair():
    tasks = ["Reuters", "Daily Mail"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = training.gradient_similarity(
            pd.DataFrame([[1.0, -0.25], [-0.25, 1.0]], index=tasks, columns=tasks))
    assert_labelled(ax)
    assert sorted(text.get_text() for text in ax.texts) == ["-0.25", "-0.25", "1.00", "1.00"]


def test_gradient_similarity_must_be_square():
    with pytest.raises(DataError, match="must be square"):
        training.gradient_similarity(pd.DataFrame([[1.0, 0.0]], index=["a"], columns=["a", "b"]))


def scores() -> pd.DataFrame:
    rows = [{"task": "average", "split": "test", "method": method, "seed": seed, "accuracy": base + 0.01 * seed}
            for method, base in (("equal", 0.80), ("uncertainty", 0.85)) for seed in (0, 1, 2)]
    return pd.DataFrame(rows)


def test_seed_spread_shows_every_seed_and_the_mean():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deprecated seaborn call would fail here
        ax = training.seed_spread(scores())
    assert_labelled(ax)
    assert "Test accuracy" in ax.get_xlabel()
    dots = np.concatenate([collection.get_offsets()[:, 0] for collection in ax.collections
                           if len(collection.get_offsets())])
    assert sorted(np.round(dots, 2)) == [0.8, 0.81, 0.82, 0.85, 0.86, 0.87]
    means = next(line for line in ax.get_lines() if line.get_marker() == "|").get_xdata()
    assert np.allclose(means, [0.81, 0.86])


def test_seed_spread_names_an_unknown_task():
    with pytest.raises(DataError, match="no rows for task 'Reuters'"):
        training.seed_spread(scores(), task="Reuters")


def test_probe_scores_draws_the_mean_per_model_and_the_references():
    probes = pd.DataFrame({"model": ["hard", "hard", "asp", "asp"], "probe accuracy": [0.6, 0.5, 0.4, 0.5]})
    ax = training.probe_scores(probes, {"chance": 0.2, "category alone": 0.47})
    assert_labelled(ax)
    assert [round(bar.get_width(), 2) for bar in ax.patches] == [0.55, 0.45]
    assert [text.get_text() for text in ax.texts] == ["0.55", "0.45"]  # the means, written on the bars
    assert [line.get_xdata()[0] for line in ax.get_lines() if line.get_label().startswith(("chance", "category"))] \
        == [0.2, 0.47]


def test_probe_scores_names_a_missing_column():
    with pytest.raises(DataError, match="no column 'probe accuracy'"):
        training.probe_scores(pd.DataFrame({"model": ["hard"], "accuracy": [0.5]}))
