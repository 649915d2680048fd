"""Future signals as auxiliary targets: never inputs, scaled by training rows, selected on dev, reproducible."""

import numpy as np
import pandas as pd
import pytest
import torch

from mtl_lib import future_signals as fs
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.plots.future_signals import future_signal_scores

from figures import assert_labelled

QUICK = fs.FitConfig(max_epochs=80, patience=20)  # enough to learn something, fast enough for a test
WITH_AUX = fs.Condition("MLP + serum aux", aux_weight=1.0)
ALL_TEN = fs.Condition("MLP, all ten inputs", inputs="all")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return fs.diabetes_frame()


@pytest.fixture(scope="module")
def data(frame) -> fs.FutureSignalsData:
    return fs.split_patients(frame, seed=0)


def test_the_split_covers_every_patient_once(data):
    rows = [data.train.rows, data.dev.rows, data.test.rows]
    assert [len(split) for split in rows] == [265, 89, 88]
    assert sorted(np.concatenate(rows)) == list(range(442))
    assert data.train.admission.shape == (265, 4) and data.train.future.shape == (265, 6)
    assert data.admission_names == ("age", "sex", "bmi", "bp") and data.target_name == "progression"


def test_standardisation_uses_the_training_rows_only(frame, data):
    changed = frame.copy()
    changed.iloc[data.test.rows] *= 100  # wild test patients, every column
    again = fs.split_patients(changed, seed=0)
    pd.testing.assert_series_equal(again.mean, data.mean)
    np.testing.assert_array_equal(again.train.future, data.train.future)
    np.testing.assert_array_equal(again.dev.admission, data.dev.admission)
    assert not np.allclose(again.test.admission, data.test.admission)
    assert abs(data.train.target.mean()) < 1e-6 and abs(data.train.target.std() - 1) < 1e-4
    first, second = (fs.train_mlp(split.train, split.dev, 1.0, QUICK).model for split in (data, again))
    for (name, weight), other in zip(first.state_dict().items(), second.state_dict().values()):
        assert torch.equal(weight, other), name


def test_the_deployed_model_reads_the_admission_features_only(data):
    model = fs.train_mlp(data.train, data.dev, 1.0, QUICK).model
    assert model.trunk[0].in_features == 4
    with pytest.raises(DataError, match="reads 4 features"):
        model.predict(np.hstack([data.test.admission, data.test.future]))


def test_test_lab_results_change_only_the_models_that_read_them(frame, data):
    shuffled = frame.copy()
    test_rows = shuffled.index[data.test.rows]
    shuffled.loc[test_rows, list(fs.FUTURE_SIGNALS)] = shuffled.loc[test_rows, list(fs.FUTURE_SIGNALS)].to_numpy()[::-1]
    runs = [fs.future_signals_experiment([0], [WITH_AUX, ALL_TEN], QUICK, table) for table in (frame, shuffled)]
    scores = [run.set_index(["condition", "split"])[["r2", "mae"]] for run in runs]
    pd.testing.assert_frame_equal(scores[0].loc["MLP + serum aux"], scores[1].loc["MLP + serum aux"])
    assert scores[0].loc[("MLP, all ten inputs", "test"), "r2"] != scores[1].loc[("MLP, all ten inputs", "test"), "r2"]


def test_aux_weight_zero_gives_the_future_heads_no_gradient(data):
    model = fs.FutureSignalsMLP(4, fs.FUTURE_SIGNALS)
    batch = [torch.as_tensor(array) for array in (data.train.admission, data.train.target, data.train.future)]
    for aux_weight in (0.0, 1.0):
        model.zero_grad()
        fs.training_loss(model, *batch, aux_weight=aux_weight).backward()
        head_gradient = sum(head.weight.grad.abs().sum() for head in model.future_heads.values())
        assert (head_gradient == 0) == (aux_weight == 0)
        assert model.trunk[0].weight.grad.abs().sum() > 0


def test_with_aux_weight_zero_the_aux_targets_make_no_difference(data):
    noise = fs.with_noise_signals(data, seed=0)
    assert noise.future_names[0] == "noise_1" and not np.allclose(noise.train.future, data.train.future)
    serum_model = fs.train_mlp(data.train, data.dev, 0.0, QUICK).model
    noise_model = fs.train_mlp(noise.train, noise.dev, 0.0, QUICK, future_names=noise.future_names).model
    np.testing.assert_array_equal(serum_model.predict(data.test.admission), noise_model.predict(data.test.admission))


def test_selection_keeps_the_best_dev_epoch_of_the_main_target_only(data):
    trained = fs.train_mlp(data.train, data.dev, 1.0, QUICK)
    assert trained.best_epoch == trained.history.epoch[trained.history.dev_loss.idxmin()]
    dev_loss = np.mean((trained.model.predict(data.dev.admission) - data.dev.target) ** 2)
    assert dev_loss == pytest.approx(trained.history.dev_loss.min(), rel=1e-5)
    other_dev_signals = fs.with_noise_signals(data, seed=1).dev
    again = fs.train_mlp(data.train, other_dev_signals, 1.0, QUICK)
    assert again.best_epoch == trained.best_epoch
    np.testing.assert_array_equal(again.model.predict(data.test.admission), trained.model.predict(data.test.admission))


def test_test_targets_never_reach_training_or_selection(frame, data):
    changed = frame.copy()
    changed.loc[changed.index[data.test.rows], "progression"] = 25.0  # every test patient at the minimum
    runs = [fs.future_signals_experiment([0], [WITH_AUX], QUICK, table) for table in (frame, changed)]
    dev = [run[run.split == "dev"].reset_index(drop=True) for run in runs]
    pd.testing.assert_frame_equal(dev[0], dev[1])
    assert runs[0].query("split == 'test'").r2.item() != runs[1].query("split == 'test'").r2.item()


def test_the_same_seed_gives_the_same_numbers(frame):
    conditions = [fs.Condition("linear", model="linear"), WITH_AUX]
    first, second = (fs.future_signals_experiment([0], conditions, QUICK, frame) for _ in range(2))
    pd.testing.assert_frame_equal(first, second)
    other_seed = fs.future_signals_experiment([1], conditions, QUICK, frame)
    assert not np.allclose(first.r2, other_seed.r2)
    assert list(first.columns) == ["seed", "condition", "model", "inputs", "aux_targets", "aux_weight",
                                   "deployable", "split", "r2", "mae"]


def test_the_mlp_learns_a_linear_target():
    rng = np.random.default_rng(0)
    synthetic = pd.DataFrame(rng.standard_normal((400, 6)), columns=["a", "b", "c", "d", "lab_1", "lab_2"])
    synthetic["outcome"] = synthetic[["a", "b", "c", "d"]] @ [1.0, -2.0, 0.5, 1.5] + 0.1 * rng.standard_normal(400)
    data = fs.split_patients(synthetic, ["a", "b", "c", "d"], ["lab_1", "lab_2"], "outcome", seed=0)
    trained = fs.train_mlp(data.train, data.dev, 0.0, future_names=data.future_names)
    scores = fs.score_progression(data, data.test, trained.model.predict(data.test.admission))
    assert scores["r2"] > 0.9


@pytest.fixture
def scores() -> pd.DataFrame:
    """Two seeds of three conditions: the aux model beats the baseline on seed 0 only."""
    r2 = {"MLP, no aux": [0.40, 0.30], "MLP + serum aux": [0.42, 0.29], "MLP, all ten inputs": [0.50, 0.45]}
    rows = [{"seed": seed, "condition": condition, "deployable": "all ten" not in condition, "split": split,
             "r2": values[seed], "mae": 50 - 10 * values[seed]}
            for condition, values in r2.items() for seed in (0, 1) for split in ("dev", "test")]
    return pd.DataFrame(rows)


def test_paired_differences_subtract_the_baseline_seed_by_seed(scores):
    differences = fs.paired_differences(scores)
    assert list(differences.condition) == ["MLP + serum aux"] * 2 + ["MLP, all ten inputs"] * 2
    np.testing.assert_allclose(differences.r2, [0.02, -0.01, 0.10, 0.15])
    summary = fs.difference_summary(differences)
    assert summary.loc["MLP + serum aux", "r2_mean"] == pytest.approx(0.005)
    assert summary.loc["MLP + serum aux", ["r2_improved", "mae_improved", "seeds"]].tolist() == [1, 1, 2]
    assert summary.loc["MLP, all ten inputs", "r2_improved"] == 2
    with pytest.raises(DataError, match="is not a condition"):
        fs.paired_differences(scores, baseline="MLP")


def test_bad_settings_are_refused_by_name(frame):
    with pytest.raises(ConfigError, match="aux_weight must be 0"):
        fs.Condition("linear + aux", model="linear", aux_weight=1.0)
    with pytest.raises(ConfigError, match="patience"):
        fs.FitConfig(patience=0)
    with pytest.raises(DataError, match="'s7'"):
        fs.split_patients(frame, future_names=["s1", "s7"])


def test_the_figure_shows_scores_and_differences(scores):
    score_ax, difference_ax = future_signal_scores(scores, metric="mae")
    assert_labelled(score_ax)
    assert_labelled(difference_ax)
    assert "MAE" in score_ax.get_title() and "lower is better" in difference_ax.get_xlabel()
    with pytest.raises(ConfigError, match="metric"):
        future_signal_scores(scores, metric="accuracy")
