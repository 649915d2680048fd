"""`python -m mtl_lib train / evaluate / predict` on a multi-task CSV the library has never seen."""

import json
import subprocess
import sys

import pandas as pd
import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtl_lib", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def two_task_csv(bbc, fdu, tmp_path_factory):
    """BBC articles (5 categories) beside book reviews (2 sentiments): different label sets."""
    articles = bbc.frame.sample(150, random_state=0).assign(task="bbc articles")
    reviews = fdu.frame[fdu.frame.task == "books"].sample(150, random_state=0).assign(task="book reviews")
    path = tmp_path_factory.mktemp("csv") / "mixed.csv"
    pd.concat([articles, reviews])[["task", "text", "label"]].to_csv(path, index=False)
    return path


TRAIN = ["--model", "sp", "--encoder", "bow", "--epochs", "2", "--seed", "5", "--quiet", "--max-length", "40"]


@pytest.fixture(scope="module")
def trained(two_task_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    first = run_cli("train", "--data", str(two_task_csv), *TRAIN, "--out", str(out / "a"))
    second = run_cli("train", "--data", str(two_task_csv), *TRAIN, "--out", str(out / "b"))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    return out


def test_train_writes_the_run_and_metrics_in_the_documented_shape(trained):
    metrics = json.loads((trained / "a" / "metrics.json").read_text())
    assert set(metrics["tasks"]) == {"bbc articles", "book reviews"}
    assert set(metrics["tasks"]["book reviews"]) == {"dev", "test"}
    assert set(metrics["average"]["test"]) == {"accuracy", "macro_f1"}
    history = pd.read_csv(trained / "a" / "history.csv")
    assert len(history) == 2 and "dev_accuracy" in history


def test_same_seed_gives_identical_metrics_json(trained):
    assert (trained / "a" / "metrics.json").read_text() == (trained / "b" / "metrics.json").read_text()


def test_evaluate_reprints_the_metrics_from_the_checkpoint(trained):
    evaluated = run_cli("evaluate", str(trained / "a"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout) == json.loads((trained / "a" / "metrics.json").read_text())


def test_predict_prints_a_label_of_the_task_and_its_probabilities(trained):
    predicted = run_cli("predict", str(trained / "a"), "--task", "book reviews", "--text", "a wonderful, moving book")
    assert predicted.returncode == 0, predicted.stderr
    lines = predicted.stdout.splitlines()
    assert lines[0] in ("label: negative", "label: positive")
    assert sum(float(line.split(": ")[1]) for line in lines[1:]) == pytest.approx(1, abs=0.01)


def test_errors_are_one_line(trained, two_task_csv, tmp_path):
    unknown_task = run_cli("predict", str(trained / "a"), "--task", "Reuters", "--text", "x")
    assert unknown_task.returncode == 2 and "'Reuters' is not a task of this model" in unknown_task.stderr
    not_a_run = run_cli("evaluate", str(tmp_path))
    assert not_a_run.returncode == 2 and "is not a run directory" in not_a_run.stderr
    unknown_model = run_cli("train", "--data", "news", "--model", "deep", "--out", str(tmp_path))
    assert unknown_model.returncode == 2 and "invalid choice: 'deep'" in unknown_model.stderr
    no_unlabeled = run_cli("train", "--data", str(two_task_csv), *TRAIN[2:], "--model", "asp", "--unlabeled",
                           "--out", str(tmp_path / "u"))
    assert no_unlabeled.returncode == 2 and "has no unlabeled texts for its tasks" in no_unlabeled.stderr
    assert len(no_unlabeled.stderr.strip().splitlines()) == 1 and not (tmp_path / "u").exists()


def test_an_out_that_is_a_file_is_refused_before_any_training(two_task_csv, tmp_path):
    taken = tmp_path / "results.txt"
    taken.write_text("keep me")
    refused = run_cli("train", "--data", str(two_task_csv), *TRAIN, "--out", str(taken))
    assert refused.returncode == 2 and "is a file, not a run folder" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and taken.read_text() == "keep me"


def test_evaluate_scores_with_the_run_own_labels_when_the_csv_changed(two_task_csv, tmp_path):
    from mtl_lib import MultiTaskData, load_run

    csv = tmp_path / "data.csv"
    csv.write_bytes(two_task_csv.read_bytes())
    assert run_cli("train", "--data", str(csv), *TRAIN, "--out", str(tmp_path / "run")).returncode == 0
    rows = pd.read_csv(csv)
    rows[rows.label != "business"].to_csv(csv, index=False)  # the first of BBC's labels: every id would shift
    evaluated = run_cli("evaluate", str(tmp_path / "run"))
    assert evaluated.returncode == 0, evaluated.stderr
    accuracy = json.loads(evaluated.stdout)["tasks"]["bbc articles"]["test"]["accuracy"]
    test = MultiTaskData.load(str(csv)).frame.query("task == 'bbc articles' and split == 'test'")
    predicted = load_run(tmp_path / "run").predict("bbc articles", list(test.text)).label
    assert accuracy == pytest.approx((predicted.to_numpy() == test.label.to_numpy()).mean())

    rows.assign(label=rows.label.replace({"sport": "football"})).to_csv(csv, index=False)
    unknown = run_cli("evaluate", str(tmp_path / "run"))
    assert unknown.returncode == 2 and "'football' is not a label of task 'bbc articles'" in unknown.stderr


def test_a_device_this_machine_lacks_or_that_does_not_exist_is_refused_before_training(two_task_csv, tmp_path):
    import torch

    if not torch.cuda.is_available():
        no_cuda = run_cli("train", "--data", str(two_task_csv), *TRAIN, "--device", "cuda", "--out", str(tmp_path / "a"))
        assert no_cuda.returncode == 2 and "device 'cuda' is not available on this machine, which has: cpu" in no_cuda.stderr
    unknown = run_cli("train", "--data", str(two_task_csv), *TRAIN, "--device", "gpu0", "--out", str(tmp_path / "b"))
    assert unknown.returncode == 2 and "'gpu0' is not a device name" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1 and not any(tmp_path.iterdir())


def test_ctrl_c_prints_one_line_and_exits_130(monkeypatch, capsys):
    from mtl_lib import __main__ as cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.MultiTaskData, "load", interrupted)
    assert cli.main(["data", "news"]) == 130
    assert capsys.readouterr().err.strip().splitlines() == [
        "interrupted: nothing half-written was left (a run folder is saved whole or not at all); "
        "train continues after its last finished epoch with --resume"]


def test_every_option_of_every_command_has_a_help_line_and_the_help_names_the_environment():
    from mtl_lib.__main__ import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0]  # the sub-command action: its choices are the commands
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"{name} {action.option_strings[0]} has no help line"
        shown = command.format_help()
        assert "MTL_DATA_MIRROR" in shown and "MTL_SMOKE" in shown
    assert "(default: 6)" in commands.choices["train"].format_help()
    assert "examples:" in parser.format_help()


def test_a_csv_with_other_column_names_trains_and_evaluates_with_the_column_flags(two_task_csv, tmp_path):
    csv = tmp_path / "renamed.csv"
    pd.read_csv(two_task_csv).rename(columns={"text": "headline", "label": "topic", "task": "site"}).to_csv(csv)
    missing = run_cli("train", "--data", str(csv), *TRAIN, "--out", str(tmp_path / "no"))
    assert missing.returncode == 2 and "--text-column, --label-column, --task-column" in missing.stderr
    columns = ["--text-column", "headline", "--label-column", "topic", "--task-column", "site"]
    trained = run_cli("train", "--data", str(csv), *columns, *TRAIN, "--out", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    evaluated = run_cli("evaluate", str(tmp_path / "run"))
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["tasks"] == json.loads((tmp_path / "run" / "metrics.json").read_text())["tasks"]


def test_sampling_and_soft_sharing_options_reach_the_run_and_pcgrad_needs_several_tasks(two_task_csv, tmp_path):
    options = ["--encoder", "bow", "--epochs", "1", "--quiet", "--max-length", "20", "--sampler", "temperature"]
    soft = run_cli("train", "--data", str(two_task_csv), "--model", "soft", *options, "--temperature", "3",
                   "--tasks-per-step", "2", "--soft-weight", "0.5", "--out", str(tmp_path / "soft"))
    assert soft.returncode == 0, soft.stderr
    record = json.loads((tmp_path / "soft" / "run.json").read_text())
    assert record["train_config"]["temperature"] == 3 and record["train_config"]["tasks_per_step"] == 2
    assert record["spec"]["options"] == {"soft_weight": 0.5}
    hard = run_cli("train", "--data", str(two_task_csv), "--model", "hard", *options, "--soft-weight", "0.5",
                   "--out", str(tmp_path / "hard"))
    assert hard.returncode == 2 and "--soft-weight sets the pull between the task encoders of --model soft" in hard.stderr
    pcgrad = run_cli("train", "--data", str(two_task_csv), "--model", "hard", *options, "--weighting", "pcgrad",
                     "--out", str(tmp_path / "pcgrad"))
    assert pcgrad.returncode == 2 and "--tasks-per-step 2 --sampler round_robin" in pcgrad.stderr
    assert not (tmp_path / "hard").exists() and not (tmp_path / "pcgrad").exists()
