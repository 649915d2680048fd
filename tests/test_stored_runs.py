"""Runs a benchmark stores and a chapter reads: written whole, read back as they were, missing ones named."""

import json
import warnings

import pytest

from mtl_lib import EncoderConfig, TrainConfig, run_experiment
from mtl_lib.errors import DataError, DataWarning
from mtl_lib.experiment import tidy
import torch

from mtl_lib.stored_runs import (arithmetic, arithmetic_note, read_stored_run, same_arithmetic, store_run,
                                 stored_run_folder, torch_threads)


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
    assert stored.arithmetic == arithmetic() and same_arithmetic(stored.arithmetic)
    with pytest.raises(FileExistsError):  # a stored run is never overwritten
        store_run(tmp_path, "lambda 0.05, constant", run, probe_accuracy=0.6, cpu_seconds=2.0)
    with pytest.raises(DataError, match="no stored run 'ASP-MTL' with seed 0 in .*: run the benchmark"):
        read_stored_run(tmp_path, "ASP-MTL", 0)


def test_same_arithmetic_needs_the_same_threads_and_instructions_and_a_record(tmp_path):
    here = arithmetic()
    assert set(here) == {"torch", "threads", "cpu_capability"}
    assert not same_arithmetic(here | {"threads": here["threads"] + 1})
    assert not same_arithmetic(here | {"cpu_capability": "a CPU of another kind"})
    assert not same_arithmetic(None)
    folder = tmp_path / "ASP-MTL" / "seed-0"  # a run stored before the arithmetic was recorded
    folder.mkdir(parents=True)
    (folder / "scores.csv").write_text("task,split,accuracy\n")
    (folder / "steps.csv").write_text("step\n")
    (folder / "summary.json").write_text(json.dumps({"probe_accuracy": None, "cpu_seconds": 1.0}))
    assert read_stored_run(tmp_path, "ASP-MTL", 0).arithmetic is None


def test_torch_threads_sets_the_count_for_the_block_and_restores_it_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"):
        with torch_threads(before + 1):
            assert torch.get_num_threads() == before + 1 and same_arithmetic(arithmetic())
            raise RuntimeError("inside")
    assert torch.get_num_threads() == before


def test_the_arithmetic_note_names_both_arithmetics():
    other = arithmetic() | {"threads": 7}
    note = arithmetic_note(other)
    assert str(arithmetic()) in note and str(other) in note and "not compared" in note
