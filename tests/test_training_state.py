"""Resuming a fit: interrupted after an epoch and run again, it ends as a fit never interrupted, to the bit."""

import pandas as pd
import pytest
import torch

import mtl_lib.training as training
from mtl_lib import EncoderConfig, TrainConfig, Trainer, build_model, build_vocab
from mtl_lib.__main__ import main
from mtl_lib.errors import CheckpointError, ConfigError
from mtl_lib.training_state import save_state

pytestmark = pytest.mark.filterwarnings("ignore::mtl_lib.errors.DataWarning")  # Contactmusic.com, 50 rows
LSTM = EncoderConfig(kind="lstm", embedding_dim=16, hidden_dim=16)


@pytest.fixture(scope="module")
def small(news):
    return news.sample(per_split=50, seed=0)


def make_trainer(data, architecture: str, **config) -> Trainer:
    torch.manual_seed(0)
    vocab = build_vocab(data)
    model = build_model(architecture, len(vocab), {task: 4 for task in data.task_names}, LSTM)
    config = TrainConfig.for_model(architecture, **({"epochs": 4, "batch_size": 16, "progress": False} | config))
    return Trainer(model, config.prepare(data, vocab), config)


def interrupted_after(epochs: int, monkeypatch) -> None:
    """Make the next fit stop, as a killed process would, right after the state of epoch `epochs` is written."""
    def save_then_stop(trainer, fitted, path):
        save_state(trainer, fitted, path)
        if fitted.epochs == epochs:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "save_state", save_then_stop)


@pytest.mark.parametrize("architecture, config", [
    ("asp", {}),  # dropout, the discriminator's tasks, gradient reversal, four tasks per step
    ("hard", {"weighting": "pcgrad", "tasks_per_step": 2}),  # PCGrad's random projection orders
    ("soft", {"weighting": "uncertainty", "sampler": "temperature"}),  # learned weights, a penalty, another sampler
])
def test_a_fit_resumed_after_two_epochs_ends_as_one_never_interrupted(small, tmp_path, monkeypatch, architecture,
                                                                      config):
    straight = make_trainer(small, architecture, **config)
    straight.fit()
    state = tmp_path / "fit.pt"
    with monkeypatch.context() as patch:
        interrupted_after(2, patch)
        with pytest.raises(KeyboardInterrupt):
            make_trainer(small, architecture, **config).fit(state_file=state)
    resumed = make_trainer(small, architecture, **config)
    resumed.fit(state_file=state)
    assert resumed.step_log.epoch.iloc[0] == 1 and len(resumed.step_log) == len(straight.step_log)
    pd.testing.assert_frame_equal(straight.history, resumed.history)
    pd.testing.assert_frame_equal(straight.step_log, resumed.step_log)
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name
    assert resumed.evaluate("test") == straight.evaluate("test")


def test_a_fit_stopped_early_stays_stopped_when_resumed(small, tmp_path):
    config = {"epochs": 12, "patience": 1, "learning_rate": 0.3}  # too fast to keep improving
    straight = make_trainer(small, "hard", **config)
    straight.fit(state_file=tmp_path / "fit.pt")
    assert len(straight.history) < 12
    again = make_trainer(small, "hard", **config)
    again.fit(state_file=tmp_path / "fit.pt")  # the state of the finished fit: nothing left to train
    pd.testing.assert_frame_equal(straight.history, again.history)


def test_a_state_of_another_configuration_other_tasks_or_a_damaged_file_is_refused(small, tmp_path):
    state = tmp_path / "fit.pt"
    make_trainer(small, "hard", epochs=1).fit(state_file=state)
    with pytest.raises(ConfigError, match=r"another configuration \(learning_rate differ\)"):
        make_trainer(small, "hard", epochs=1, learning_rate=1e-2).fit(state_file=state)
    fewer = small.select(small.task_names[:3])
    with pytest.raises(CheckpointError, match="the state of a fit on other tasks"):
        make_trainer(fewer, "hard", epochs=1).fit(state_file=state)
    state.write_bytes(state.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="is not a readable training state"):
        make_trainer(small, "hard", epochs=1).fit(state_file=state)


def test_the_command_line_resumes_with_resume_and_refuses_to_start_over_a_state(small, tmp_path, monkeypatch, capsys):
    csv = tmp_path / "headlines.csv"
    small.frame[["task", "text", "label", "split"]].to_csv(csv, index=False)
    train = ["train", "--data", str(csv), "--model", "hard", "--encoder", "bow", "--epochs", "3", "--quiet"]
    assert main([*train, "--out", str(tmp_path / "straight")]) == 0
    with monkeypatch.context() as patch:
        interrupted_after(1, patch)
        assert main([*train, "--out", str(tmp_path / "run")]) == 130
    state = tmp_path / "run.fit-state.pt"
    assert state.is_file() and not (tmp_path / "run").exists()
    capsys.readouterr()
    assert main([*train, "--out", str(tmp_path / "run")]) == 2
    assert "holds the state of an interrupted fit" in capsys.readouterr().err
    assert main([*train, "--resume", "--out", str(tmp_path / "run")]) == 0
    assert not state.exists()
    straight, resumed = (pd.read_csv(tmp_path / name / "steps.csv") for name in ("straight", "run"))
    pd.testing.assert_frame_equal(straight, resumed)
