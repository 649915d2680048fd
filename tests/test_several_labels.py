"""One text, several labels: long-format data, batching by text, masked labels, regression heads."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from mtl_lib import MultiTaskData, run_experiment
from mtl_lib.attributions import explain
from mtl_lib.checkpoints import load_run
from mtl_lib.data import MISSING_LABEL, LabelsBatch, Vocab, encode_labeled_texts, has_label, prepare
from mtl_lib.errors import ConfigError, DataError, UnknownTaskError
from mtl_lib.metrics import average, score_regression
from mtl_lib.models import EncoderConfig, build_model
from mtl_lib.training import Trainer, TrainConfig
from mtl_lib.widgets import ArticlePicker

BOW = EncoderConfig(kind="bow", embedding_dim=16)
WORDS = [f"w{i}" for i in range(30)]


def word_sum_frame(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Texts of random words; "score" is the sum of the words' hidden weights, "sign" its sign,
    and "first" (labelled for two texts in three) whether the first word's number is even."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=len(WORDS))
    records = []
    for i in range(rows):
        words = rng.choice(len(WORDS), size=6)
        text = " ".join(WORDS[w] for w in words)
        value = weights[words].mean()
        records += [{"text": text, "task": "score", "label": f"{value:.5f}"},
                    {"text": text, "task": "sign", "label": "up" if value > 0 else "down"}]
        if i % 3:
            records.append({"text": text, "task": "first", "label": "even" if words[0] % 2 == 0 else "odd"})
    return pd.DataFrame(records)


@pytest.fixture(scope="module")
def several() -> MultiTaskData:
    return MultiTaskData.from_frame(word_sum_frame(), regression=["score"])


def test_long_format_keeps_each_text_in_one_split_across_its_tasks(several):
    splits_per_text = several.frame.groupby("text").split.nunique()
    assert (splits_per_text == 1).all()
    assert several.labels_per_text("train").max() == 3
    assert several.regression_tasks == ["score"]
    assert several.labels("score", "train").dtype == np.float32
    assert several.counts()["score"]["test"] == {"values": int((several.examples("score", "test")).shape[0])}


def test_regression_labels_must_be_numbers_and_labels_must_not_be_empty():
    frame = word_sum_frame(30)
    bad_number = frame.copy()
    bad_number.loc[bad_number.task == "score", "label"] = "many"
    with pytest.raises(DataError, match="'score' is a regression task"):
        MultiTaskData.from_frame(bad_number, regression=["score"])
    empty = frame.copy()
    empty.loc[empty.index[1], "label"] = " "
    with pytest.raises(DataError, match="empty label"):
        MultiTaskData.from_frame(empty, regression=["score"])
    with pytest.raises(UnknownTaskError, match="'scores'"):
        MultiTaskData.from_frame(frame, regression=["scores"])


def test_many_numeric_labels_of_a_classification_task_bring_a_warning_and_wide_data_a_hint():
    frame = word_sum_frame(60)
    with pytest.warns(UserWarning, match="'score' has .* distinct labels, all numbers.*regression="):
        MultiTaskData.from_frame(frame)
    wide = pd.DataFrame({"text": ["a b", "c d"], "sign": ["up", "down"], "score": ["1.0", "2.0"]})
    with pytest.raises(DataError, match="one row per task: text, task, label"):
        MultiTaskData.from_frame(wide)


def test_labeled_texts_hold_each_text_once_with_every_label_and_marks_for_missing_ones(several):
    vocab = Vocab.build(several.frame.text)
    dataset = encode_labeled_texts(several, vocab, "train")
    assert len(dataset) == several.frame[several.frame.split == "train"].text.nunique()
    batch = dataset.collate([dataset[i] for i in range(len(dataset))])
    for task in ("score", "sign", "first"):
        assert int(has_label(batch.targets[task]).sum()) == len(several.examples(task, "train"))
    assert batch.targets["score"].dtype == torch.float32 and torch.isnan(batch.targets["score"]).sum() == 0
    assert (batch.targets["first"] == MISSING_LABEL).sum() > 0


def test_a_text_that_one_task_labels_twice_is_two_examples_and_no_row_is_lost():
    frame = pd.DataFrame({"text": ["same words", "same words", "same words", "other"],
                          "task": ["publisher", "publisher", "category", "category"],
                          "label": ["Reuters", "Daily Mail", "business", "health"], "split": "train"})
    data = MultiTaskData.from_frame(frame)
    dataset = encode_labeled_texts(data, Vocab.build(frame.text, min_freq=1), "train")
    assert sorted(map(sorted, (labels.items() for labels in dataset.labels))) == sorted(
        [[("category", 0), ("publisher", 1)], [("publisher", 0)], [("category", 1)]])


def untrained_hard(data: MultiTaskData, vocab: Vocab):
    outputs = {name: task.num_outputs for name, task in data.tasks.items()}
    return build_model("hard", len(vocab), outputs, BOW)


def test_a_head_without_labels_in_the_batch_gets_no_gradient_and_missing_rows_add_nothing(several):
    vocab = Vocab.build(several.frame.text)
    model = untrained_hard(several, vocab)
    config = TrainConfig(batching="text", progress=False, grad_clip=None)
    trainer = Trainer(model, config.prepare(several, vocab), config)
    model.eval()  # no dropout: the masked loss can be compared with the loss of the labelled row alone
    tokens, lengths = torch.tensor([[1, 2, 3], [4, 5, 0]]), torch.tensor([3, 2])
    batch = LabelsBatch(tokens, lengths, {"score": torch.tensor([0.5, float("nan")]),
                                          "sign": torch.tensor([1, MISSING_LABEL]),
                                          "first": torch.tensor([MISSING_LABEL, MISSING_LABEL])})
    forwarded = trainer._forward_by_text(batch)
    assert [step.task for step in forwarded] == ["score", "sign"]  # "first" has no label: not run
    model.zero_grad()
    total = sum(trainer.task_loss(step.task, step.output.logits, step.targets) for step in forwarded)
    total.backward()
    assert model.heads["first"].weight.grad is None
    assert model.heads["sign"].weight.grad.abs().sum() > 0
    # the masked loss is the loss of the labelled row alone: the unlabelled second text adds nothing
    alone = model(tokens[:1], lengths[:1], "sign").logits
    sign_loss = {step.task: trainer.task_loss(step.task, step.output.logits, step.targets) for step in forwarded}["sign"]
    assert torch.allclose(sign_loss, F.cross_entropy(alone, torch.tensor([1])))


def test_batching_by_text_runs_the_shared_encoder_once_per_batch(several):
    vocab = Vocab.build(several.frame.text)
    model = untrained_hard(several, vocab)
    calls = []
    model.encoder.register_forward_hook(lambda *_: calls.append(1))
    config = TrainConfig(batching="text", progress=False, epochs=1)
    trainer = Trainer(model, config.prepare(several, vocab), config)
    loader_batch = next(iter(trainer._step_batches()[0]()))
    trainer.train_step(loader_batch, 0.0)
    assert len(calls) == 1


def test_batching_by_text_is_refused_for_a_model_with_a_discriminator(several):
    vocab = Vocab.build(several.frame.text)
    model = build_model("asp", len(vocab), {name: task.num_outputs for name, task in several.tasks.items()}, BOW)
    config = TrainConfig(batching="text", progress=False)
    with pytest.raises(ConfigError, match="batching='text'"):
        Trainer(model, config.prepare(several, vocab), config)


def test_a_regression_head_learns_a_linear_target():
    data = MultiTaskData.from_frame(word_sum_frame(1500, seed=1), regression=["score"])
    result = run_experiment(data, "hard", BOW, TrainConfig(epochs=25, batching="text", progress=False,
                                                           learning_rate=1e-2))
    assert result.metrics["tasks"]["score"]["test"]["r2"] > 0.8
    assert result.metrics["tasks"]["sign"]["test"]["accuracy"] > 0.8


def test_regression_scores_and_averages_keep_the_two_kinds_apart():
    assert score_regression([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == {"r2": 1.0, "mae": 0.0}
    assert score_regression([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])["r2"] == 0.0
    mean = average({"a": {"accuracy": 0.5, "macro_f1": 0.4}, "b": {"accuracy": 1.0, "macro_f1": 1.0},
                    "c": {"r2": 0.2, "mae": 1.0}})
    assert mean == {"accuracy": 0.75, "macro_f1": 0.7, "r2": 0.2, "mae": 1.0}


def test_an_auxiliary_task_with_training_rows_only_is_trained_and_never_selected_on(several):
    main = MultiTaskData.from_frame(word_sum_frame()[lambda f: f.task != "score"])
    train_rows = several.frame[(several.frame.task == "score") & (several.frame.split == "train")]
    with_aux = main.with_task("score", train_rows)
    assert with_aux.task("score").is_regression
    result = run_experiment(with_aux, "hard", BOW, TrainConfig(epochs=2, batching="text", progress=False))
    assert set(result.metrics["tasks"]) == {"sign", "first"}  # no dev or test rows: never scored
    assert "dev_r2" not in result.trainer.history.columns


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtl_lib", *args], capture_output=True, text=True)


def test_a_several_label_csv_round_trip_through_train_checkpoint_predict_and_explain(tmp_path):
    path = tmp_path / "several.csv"
    word_sum_frame(300).to_csv(path, index=False)
    trained = run_cli("train", "--data", str(path), "--model", "hard", "--encoder", "bow", "--epochs", "3",
                      "--batching", "text", "--regression", "score", "--quiet", "--out", str(tmp_path / "run"))
    assert trained.returncode == 0, trained.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["tasks"]["score"]["test"]) == {"r2", "mae"}
    again = run_cli("evaluate", str(tmp_path / "run"))
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["tasks"] == metrics["tasks"]

    empty = run_cli("predict", str(tmp_path / "run"), "--text", "  ")
    assert empty.returncode == 2 and empty.stderr.startswith("error: the text has no words")
    every_head = run_cli("predict", str(tmp_path / "run"), "--text", "w1 w2 w3")
    assert every_head.returncode == 0, every_head.stderr
    lines = every_head.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["score", "sign", "first"]
    assert lines[1].split(": ")[1] in {"up", "down"} and float(lines[0].split(": ")[1]) == pytest.approx(
        load_run(tmp_path / "run").predict("score", ["w1 w2 w3"]).value[0], abs=1e-3)

    run = load_run(tmp_path / "run")
    texts = ["w3 w4", "w1 w2 w3 w9 w9 w9", "w5"]
    table = run.predict_all(texts)
    assert table.text.tolist() == texts  # input order, whatever the lengths
    for task in ("sign", "first"):
        assert table[task].tolist() == run.predict(task, texts).label.tolist()
    assert np.allclose(table.score, run.predict("score", texts).value)
    regression = explain(run, "score", texts[0])
    assert regression.probabilities == {} and float(regression.predicted) == pytest.approx(table.score[0], abs=1e-3)
    assert regression.completeness_error < 1e-3 * max(1.0, abs(regression.logit_difference))
    picker = ArticlePicker(run, MultiTaskData.load(path, regression=["score"]))
    for head in ("score", "sign", "first"):  # every head, regression included, in the article view
        picker.head.value = head
        assert f"<b>{head}</b>'s head predicts" in picker.html()
    html = run_cli("explain", str(tmp_path / "run"), "--task", "score", "--text", "w1 w2", "--html",
                   str(tmp_path / "a.html"))
    assert html.returncode == 0 and html.stdout.startswith("value: ")


def test_fixed_task_weights_come_from_the_config_and_are_checked(several):
    weights = {"score": 0.1, "sign": 1.0, "first": 1.0}
    result = run_experiment(several, "hard", BOW, TrainConfig(epochs=1, batching="text", progress=False,
                                                              weighting="fixed", task_weights=weights))
    assert result.trainer.weighting.weights() == pytest.approx(weights)
    assert result.trainer.history["weight/score"].tolist() == pytest.approx([0.1])
    with pytest.raises(ConfigError, match='weighting="fixed"'):
        TrainConfig(task_weights=weights)
    with pytest.raises(ConfigError, match='weighting="fixed"'):
        TrainConfig(weighting="fixed")


def test_a_task_with_test_rows_but_no_dev_rows_is_refused_before_training():
    frame = word_sum_frame(60)[lambda f: f.task != "score"].assign(split="train")
    frame.loc[frame.index[-6:], "split"] = "test"  # the last texts' rows: test, and no task has dev rows
    data = MultiTaskData.from_frame(frame)
    vocab = Vocab.build(data.frame.text)
    with pytest.raises(DataError, match="test rows but no dev rows"):
        prepare(data, vocab)
    no_dev_at_all = MultiTaskData.from_frame(frame.assign(split="train"))
    with pytest.raises(DataError, match="no task has dev rows"):
        prepare(no_dev_at_all, vocab)


def test_batching_by_text_refuses_tasks_per_step_which_it_could_not_honour():
    with pytest.raises(ConfigError, match="leave tasks_per_step unset"):
        TrainConfig(batching="text", tasks_per_step=2)
