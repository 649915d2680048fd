"""Runs a benchmark stores and a chapter reads: written whole, read back as they were, missing ones named."""

import warnings

import pytest

from mtl_lib import EncoderConfig, TrainConfig, run_experiment
from mtl_lib.errors import DataError, DataWarning
from mtl_lib.experiment import tidy
from mtl_lib.stored_runs import read_stored_run, store_run, stored_run_folder


def test_a_stored_run_reads_back_as_it_was_trained(news, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        run = run_experiment(news.sample(per_split=20, seed=0), "asp", EncoderConfig(kind="bow"),
                             TrainConfig.for_model("asp", epochs=1, seed=3, progress=False))
    folder = store_run(tmp_path, "lambda 0.05, constant", run, probe_accuracy=0.5, cpu_seconds=1.5)
    assert folder == tmp_path / "lambda_005_constant" / "seed-3" == stored_run_folder(tmp_path, "lambda 0.05, constant", 3)
    assert [path.name for path in tmp_path.iterdir()] == ["lambda_005_constant"]  # no partial folder left
    stored = read_stored_run(tmp_path, "lambda 0.05, constant", 3)
    expected = tidy(run.metrics, method="lambda 0.05, constant", seed=3)
    assert stored.scores[expected.columns].equals(expected)
    assert stored.steps.discriminator_accuracy.tolist() == pytest.approx(run.trainer.step_log.discriminator_accuracy)
    assert (stored.probe_accuracy, stored.cpu_seconds) == (0.5, 1.5)
    with pytest.raises(FileExistsError):  # a stored run is never overwritten
        store_run(tmp_path, "lambda 0.05, constant", run, probe_accuracy=0.6, cpu_seconds=2.0)
    with pytest.raises(DataError, match="no stored run 'ASP-MTL' with seed 0 in .*: run the benchmark"):
        read_stored_run(tmp_path, "ASP-MTL", 0)
