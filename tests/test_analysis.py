"""Features and probes, word lists, task relatedness and mixing: what a model's representations tell."""

import numpy as np
import pandas as pd
import pytest
import torch

from mtl_lib import MultiTaskData, TrainConfig, build_model, build_vocab, run_experiment
from mtl_lib.analysis import (Features, category_reveals_task, discriminator_confusion,
                              extract_features, linear_cka, private_similarity, probe_task_leakage, project,
                              task_silhouette, top_words, transfer_accuracy, word_contributions)
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.models import EncoderConfig, ModelOutput, MultiTaskModel
from mtl_lib.plots import analysis as analysis_plots

from figures import assert_labelled


class TaskStampedModel(MultiTaskModel):
    """Shared features that are the task's one-hot code plus noise: the task is fully recoverable."""

    def __init__(self, num_labels):
        super().__init__(num_labels)
        self.unused = torch.nn.Linear(1, 1)

    def forward_tasks(self, tokens, lengths, tasks):
        outputs = {}
        for task in tasks:
            stamp = torch.zeros(len(tokens), len(self.task_names))
            stamp[:, self.task_index(task)] = 1.0
            shared = stamp + 0.01 * torch.randn(len(tokens), len(self.task_names))
            outputs[task] = ModelOutput(logits=torch.zeros(len(tokens), self.num_labels[task]), shared_features=shared)
        return outputs

    def shared_parameters(self):
        return []


@pytest.fixture(scope="module")
def small(news):
    return news.sample(per_split=60, seed=2)


def untrained(name: str, data):
    """An untrained `name` model of bag-of-embeddings width 8 for `data`'s tasks, and its vocabulary."""
    vocab = build_vocab(data)
    model = build_model(name, len(vocab), {n: t.num_labels for n, t in data.tasks.items()},
                        EncoderConfig(kind="bow", embedding_dim=8))
    return model, vocab


def test_features_have_one_row_per_text_in_task_order(small):
    model, vocab = untrained("sp", small)
    features = extract_features(model, small, vocab, "test")
    sizes = small.frame[small.frame.split == "test"].groupby("task", sort=False).size()
    assert features.shared.shape == (sizes.sum(), 8) and features.private.shape == (sizes.sum(), 8)
    assert list(pd.Series(features.tasks).drop_duplicates()) == small.task_names
    assert (features.labels == [l for t in small.task_names for l in small.labels(t, "test")]).all()


def test_a_model_without_private_features_says_so(small):
    model, vocab = untrained("hard", small)
    with pytest.raises(ConfigError, match="no 'private' features"):
        extract_features(model, small, vocab, "dev").of("private")


def test_the_probe_reads_a_task_that_the_features_carry(small):
    model = TaskStampedModel({n: t.num_labels for n, t in small.tasks.items()})
    assert probe_task_leakage(model, small, build_vocab(small)) == 1.0


def test_category_reveals_task_on_a_hand_made_frame():
    rows = [("a", "x")] * 8 + [("b", "x")] * 2 + [("b", "y")] * 10
    frame = pd.DataFrame(rows, columns=["task", "label"]).assign(text=[f"t{i}" for i in range(20)], split="train")
    test = pd.DataFrame([("a", "x"), ("b", "x"), ("b", "y"), ("a", "y")], columns=["task", "label"])
    frame = pd.concat([frame, test.assign(text=[f"s{i}" for i in range(4)], split="test")], ignore_index=True)
    data = MultiTaskData.from_frame(frame)
    assert category_reveals_task(data) == 0.5  # x -> a (right once), y -> b (right once)


def test_the_category_reveals_the_publication_about_half_the_time(news):
    assert 0.40 < category_reveals_task(news) < 0.55


# --- words, relatedness, mixing ---------------------------------------------------------------

@pytest.fixture(scope="module")
def trained_asp(small):
    """A tiny ASP model with a CNN encoder (one with weights: the private encoders differ)."""
    return run_experiment(small, "asp", EncoderConfig(kind="cnn", embedding_dim=8, hidden_dim=8, kernel_sizes=(1, 2)),
                          TrainConfig.for_model("asp", epochs=1, progress=False, learning_rate=1e-2))


def made_up_features(shared: np.ndarray, tasks: list[str], labels: list[int], private=None) -> Features:
    return Features(shared, private, np.array(tasks), np.array(labels))


def test_word_contributions_count_every_word_read_once(small, trained_asp):
    table = word_contributions(trained_asp.model, small, trained_asp.vocab, steps=4, max_length=20)
    words_read = sum(len(trained_asp.vocab.encode(text, 20)) for text in small.frame[small.frame.split == "test"].text)
    assert table["count"].sum() == words_read
    assert list(table.task.drop_duplicates()) == small.task_names
    assert np.allclose(table.shared_mean * table["count"], table.shared)
    assert not table.duplicated(["task", "token"]).any()


def test_top_words_rank_per_task_or_over_all_tasks():
    table = pd.DataFrame({"task": ["a", "a", "a", "b", "b", "b"], "token": ["x", "y", "z", "x", "w", "<unk>"],
                          "count": [5, 5, 1, 5, 9, 50], "shared": [1.0, 3.0, 9.0, 4.0, -1.0, 99.0],
                          "private": [2.0, 1.0, 0.0, -2.0, 0.5, 99.0]})
    per_task = top_words(table, "shared", n=1)
    assert per_task.to_dict("records") == [{"task": "a", "token": "y", "contribution": 3.0, "count": 5},
                                           {"task": "b", "token": "x", "contribution": 4.0, "count": 5}]
    pooled = top_words(table, "shared", n=2, by_task=False)
    assert list(pooled.token) == ["x", "y"] and set(pooled.task) == {"all publications"}
    assert pooled.contribution.iloc[0] == 5.0 and pooled["count"].iloc[0] == 10  # x: 1 + 4, seen 5 + 5 times
    assert list(top_words(table, "private", n=5, min_count=6).token) == ["w"]
    with pytest.raises(ConfigError, match="'shared' or 'private'"):
        top_words(table, "both")


class StampedASP(TaskStampedModel):
    """Task-stamped shared features and a 'discriminator' that reads the stamp: it never errs."""

    def __init__(self, num_labels):
        super().__init__(num_labels)
        self.discriminator = torch.nn.Identity()


def test_a_discriminator_that_reads_the_task_has_the_identity_for_confusion(small):
    model = StampedASP({n: t.num_labels for n, t in small.tasks.items()})
    guesses = discriminator_confusion(model, small, build_vocab(small), soft=False)
    assert guesses.shape == (5, 5) and list(guesses.index) == small.task_names
    assert np.allclose(guesses.to_numpy(), np.eye(5))
    probabilities = discriminator_confusion(model, small, build_vocab(small))  # softmax of the stamp
    assert np.allclose(np.diag(probabilities), np.e / (np.e + 4), atol=0.01)
    assert (probabilities.to_numpy().argmax(axis=1) == np.arange(5)).all()


@pytest.mark.parametrize("soft", [True, False])
def test_discriminator_confusion_rows_are_shares(small, trained_asp, soft):
    confusion = discriminator_confusion(trained_asp.model, small, trained_asp.vocab, soft=soft)
    assert confusion.shape == (5, 5) and list(confusion.columns) == small.task_names
    assert np.allclose(confusion.sum(axis=1), 1.0) and (confusion.to_numpy() >= 0).all()


def test_discriminator_confusion_needs_a_discriminator(small):
    model, vocab = untrained("sp", small)
    with pytest.raises(ConfigError, match="no task discriminator"):
        discriminator_confusion(model, small, vocab)


def test_linear_cka_ignores_rotation_and_scale_and_sees_unrelated_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 6))
    rotation, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    assert linear_cka(x, 3.0 * x @ rotation) == pytest.approx(1.0)
    assert linear_cka(x, x[:, :3]) == pytest.approx(0.5 ** 0.5, abs=0.05)  # half of 6 isotropic directions
    assert linear_cka(x, rng.normal(size=(500, 4))) < 0.05
    with pytest.raises(DataError, match="same texts"):
        linear_cka(x, x[:10])


def test_private_similarity_is_a_symmetric_task_table_with_ones_on_the_diagonal(small, trained_asp):
    similarity = private_similarity(trained_asp.model, small, trained_asp.vocab)
    assert similarity.shape == (5, 5) and list(similarity.index) == list(similarity.columns) == small.task_names
    assert np.allclose(np.diag(similarity), 1.0)
    assert np.allclose(similarity, similarity.T) and ((similarity > 0) & (similarity < 1 + 1e-9)).all().all()
    assert (similarity.to_numpy()[~np.eye(5, dtype=bool)] < 1 - 1e-3).all()  # separate encoders differ


def test_private_similarity_needs_private_encoders(small):
    model, vocab = untrained("hard", small)
    with pytest.raises(ConfigError, match="no private encoders"):
        private_similarity(model, small, vocab)


def test_transfer_accuracy_diagonal_and_a_task_with_flipped_labels():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(400, 3))
    labels = (values[:, 0] > 0).astype(int)
    tasks = ["a"] * 200 + ["b"] * 200
    flipped = np.where(np.arange(400) < 200, labels, 1 - labels)  # task b calls everything the other way
    same = transfer_accuracy(made_up_features(values, tasks, labels), made_up_features(values, tasks, labels))
    assert same.shape == (2, 2) and (same.to_numpy() > 0.95).all()
    other = transfer_accuracy(made_up_features(values, tasks, flipped), made_up_features(values, tasks, flipped))
    assert np.diag(other).min() > 0.95 and other.loc["a", "b"] < 0.05 and other.loc["b", "a"] < 0.05


def test_silhouette_is_high_for_apart_tasks_and_low_for_mixed_ones():
    rng = np.random.default_rng(0)
    tasks = ["a"] * 100 + ["b"] * 100
    apart = rng.normal(size=(200, 4)) + np.repeat([[10.0, 0, 0, 0], [-10.0, 0, 0, 0]], 100, axis=0)
    mixed = rng.normal(size=(200, 4))
    scores = task_silhouette(made_up_features(mixed, tasks, [0] * 200, private=apart))
    assert scores["private"] > 0.8 and abs(scores["shared"]) < 0.05


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_project_gives_two_coordinates_per_text_and_kind(method):
    rng = np.random.default_rng(0)
    features = made_up_features(rng.normal(size=(60, 5)), ["a", "b", "c"] * 20, [0, 1] * 30,
                                private=rng.normal(size=(60, 7)))
    points = project(features, method=method)
    assert list(points.columns) == ["kind", "task", "label", "x", "y"] and len(points) == 120
    assert list(points.kind.drop_duplicates()) == ["shared", "private"] and points[["x", "y"]].notna().all().all()
    with pytest.raises(ConfigError, match="pca, tsne"):
        project(features, method="umap")


# --- the figures of the analysis --------------------------------------------------------------

def test_relatedness_heatmap_has_a_cell_per_pair():
    table = pd.DataFrame(np.eye(3), index=list("abc"), columns=list("abc")).rename_axis(
        index="task", columns="compared with")
    ax = analysis_plots.relatedness(table, "Alike")
    assert_labelled(ax)
    assert len(ax.texts) == 9 and ax.get_xlabel() == "compared with"


def test_projections_draw_a_panel_per_kind_with_its_silhouette():
    points = pd.DataFrame({"kind": ["shared"] * 4 + ["private"] * 4, "task": ["a", "b"] * 4,
                           "x": range(8), "y": range(8)})
    axes = analysis_plots.projections(points, pd.Series({"shared": 0.01, "private": 0.62}))
    assert len(axes) == 2
    for ax in axes:
        assert_labelled(ax)
    assert "0.62" in axes[1].get_title() and len(axes[1].collections[0].get_offsets()) == 4


def test_word_bars_draw_a_panel_per_task():
    words = pd.DataFrame({"task": ["a", "a", "b"], "token": ["x", "y", "z"], "contribution": [2.0, 1.0, 3.0],
                          "count": [3, 3, 3]})
    axes = analysis_plots.word_bars(words, "private")
    assert len(axes) == 2 and [ax.get_title() for ax in axes] == ["a", "b"]
    for ax in axes:
        assert_labelled(ax)
    assert len(axes[0].patches) == 2
    with pytest.raises(DataError, match="no column 'token'"):
        analysis_plots.word_bars(words.drop(columns="token"), "shared")
