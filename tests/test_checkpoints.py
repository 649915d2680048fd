"""Checkpoints: a saved run rebuilds in a new process and predicts exactly the same."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from mtl_lib import EncoderConfig, TrainConfig, build_model, load_run, run_experiment
from mtl_lib.checkpoints import Run, load_weights
from mtl_lib.errors import CheckpointError, UnknownTaskError

SMALL = EncoderConfig(kind="cnn", embedding_dim=16, hidden_dim=8, kernel_sizes=(2, 3))


@pytest.fixture(scope="module")
def saved(news, tmp_path_factory):
    data = news.sample(per_split=60, seed=1)
    result = run_experiment(data, "asp", SMALL, TrainConfig.for_model("asp", epochs=1, progress=False))
    directory = result.save(tmp_path_factory.mktemp("run") / "asp")
    return result, data, directory


def test_the_run_directory_holds_every_file(saved):
    _, _, directory = saved
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["history.csv", "metrics.json", "model.pt", "run.json", "steps.csv", "vocab.json"]
    assert json.loads((directory / "run.json").read_text())["spec"]["architecture"] == "asp"


def test_round_trip_gives_identical_predictions(saved):
    result, data, directory = saved
    texts = data.texts("Daily Mail", "test")[:20]
    run = load_run(directory)
    for name, value in result.model.state_dict().items():
        assert torch.equal(value.cpu(), run.model.state_dict()[name])
    reference = run.predict("Daily Mail", texts)
    assert list(reference.label) == list(run.predict("Daily Mail", texts).label)
    assert reference.iloc[:, 2:].sum(axis=1).round(5).eq(1).all()


def test_the_experiment_in_memory_predicts_and_explains_as_its_saved_run_does(saved):
    result, data, directory = saved
    assert isinstance(result, Run) and result.directory == directory  # one type: save() recorded where
    texts = data.texts("Reuters", "test")[:20]
    loaded = load_run(directory)
    pd.testing.assert_frame_equal(result.predict("Reuters", texts), loaded.predict("Reuters", texts))
    pd.testing.assert_frame_equal(result.predict_all(texts), loaded.predict_all(texts))
    here, there = result.explain("Reuters", texts[0], steps=8), loaded.explain("Reuters", texts[0], steps=8)
    assert here.predicted == there.predicted and np.allclose(here.shared, there.shared, atol=1e-6)
    assert result.train_config == loaded.train_config


def test_predictions_in_a_new_process_match(saved):
    _, data, directory = saved
    text = data.texts("Reuters", "test")[0]
    here = load_run(directory).predict("Reuters", [text]).iloc[0]
    code = (f"from mtl_lib import load_run; p = load_run({str(directory)!r}).predict('Reuters', [{text!r}]);"
            "print(p.iloc[0, 2:].to_json())")
    there = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      check=True).stdout)
    assert there == pytest.approx(here.iloc[2:].to_dict(), abs=1e-6)


def test_loading_into_the_wrong_architecture_says_so(saved):
    result, _, directory = saved
    hard = build_model("hard", len(result.vocab), {t: len(l) for t, l in result.spec.label_names.items()}, SMALL)
    with pytest.raises(CheckpointError, match="holds a 'asp' model .*HardSharing"):
        load_weights(hard, directory)
    sp = build_model("sp", len(result.vocab), {t: len(l) for t, l in result.spec.label_names.items()}, SMALL)
    with pytest.raises(CheckpointError, match="holds a 'asp' model"):
        load_weights(sp, directory)


def test_a_folder_that_is_not_a_run_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="has no model.pt"):
        load_run(tmp_path)


def test_predict_for_an_unknown_task(saved):
    with pytest.raises(UnknownTaskError, match="'BBC' is not a task of this model"):
        load_run(saved[2]).predict("BBC", ["hello"])


def copy_of(directory, tmp_path):
    import shutil

    return shutil.copytree(directory, tmp_path / "copy")


def test_weights_from_another_save_beside_this_run_json_are_refused(saved, tmp_path, news):
    _, _, directory = saved
    other = run_experiment(news.sample(per_split=60, seed=2), "asp", SMALL,
                           TrainConfig.for_model("asp", epochs=1, progress=False, seed=5)).save(tmp_path / "other")
    mixed = copy_of(directory, tmp_path)
    (mixed / "model.pt").write_bytes((other / "model.pt").read_bytes())
    with pytest.raises(CheckpointError, match="not the file run.json was saved with"):
        load_run(mixed)


def test_a_damaged_weights_file_gives_one_clear_line_not_torch_advice(saved, tmp_path):
    _, _, directory = saved
    damaged = copy_of(directory, tmp_path)
    (damaged / "model.pt").write_bytes(b"not a checkpoint")
    record = json.loads((damaged / "run.json").read_text())
    del record["weights_sha256"]  # a run saved before the checksum existed still gets a clear error
    (damaged / "run.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="damaged or not a mtl_lib checkpoint") as error:
        load_run(damaged)
    assert "weights_only" not in str(error.value)


def test_an_interrupted_save_leaves_the_old_run_whole(saved, tmp_path, monkeypatch):
    result, _, directory = saved
    target = copy_of(directory, tmp_path)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("mtl_lib.data.text.Vocab.save", interrupted)  # after the weights, before the vocabulary
    with pytest.raises(KeyboardInterrupt):
        result.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["copy"], "a partial folder was left behind"


def test_saving_over_a_run_replaces_it_and_never_over_other_files(saved, tmp_path):
    result, _, directory = saved
    target = copy_of(directory, tmp_path)
    (target / "stale.txt").write_text("from the old run")
    result.save(target)
    assert not (target / "stale.txt").exists() and load_run(target)
    elsewhere = tmp_path / "documents"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="a folder of other files, not a run folder"):
        result.save(elsewhere)
    with pytest.raises(CheckpointError, match="is a file, not a run folder"):
        result.save(elsewhere / "notes.txt")
    assert (elsewhere / "notes.txt").read_text() == "mine"
