"""Features and probes: what the representations of a model tell about the task."""

import pandas as pd
import pytest
import torch

from mtl_lib import MultiTaskData, build_model, build_vocab
from mtl_lib.analysis import category_reveals_task, extract_features, probe_task_leakage
from mtl_lib.errors import ConfigError
from mtl_lib.models import EncoderConfig, ModelOutput, MultiTaskModel


class TaskStampedModel(MultiTaskModel):
    """Shared features that are the task's one-hot code plus noise: the task is fully recoverable."""

    def __init__(self, num_labels):
        super().__init__(num_labels)
        self.unused = torch.nn.Linear(1, 1)

    def forward(self, tokens, lengths, task):
        stamp = torch.zeros(len(tokens), len(self.task_names))
        stamp[:, self.task_index(task)] = 1.0
        shared = stamp + 0.01 * torch.randn(len(tokens), len(self.task_names))
        return ModelOutput(logits=torch.zeros(len(tokens), self.num_labels[task]), shared_features=shared)

    def shared_parameters(self):
        return []


@pytest.fixture(scope="module")
def small(news):
    return news.sample(per_split=60, seed=2)


def test_features_have_one_row_per_text_in_task_order(small):
    vocab = build_vocab(small)
    model = build_model("sp", len(vocab), {n: t.num_labels for n, t in small.tasks.items()},
                        EncoderConfig(kind="bow", embedding_dim=8))
    features = extract_features(model, small, vocab, "test")
    sizes = small.frame[small.frame.split == "test"].groupby("task", sort=False).size()
    assert features.shared.shape == (sizes.sum(), 8) and features.private.shape == (sizes.sum(), 8)
    assert list(pd.Series(features.tasks).drop_duplicates()) == small.task_names
    assert (features.labels == [l for t in small.task_names for l in small.labels(t, "test")]).all()


def test_a_model_without_private_features_says_so(small):
    vocab = build_vocab(small)
    model = build_model("hard", len(vocab), {n: t.num_labels for n, t in small.tasks.items()},
                        EncoderConfig(kind="bow", embedding_dim=8))
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
