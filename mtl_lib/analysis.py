"""What a trained model's representations hold: features per text, and probes that read them.

Adversarial training fools its own discriminator, but that does not prove the
task has left the shared features: a fresh classifier trained afterwards on the
frozen features may still find it (Elazar & Goldberg 2018). `probe_task_leakage`
is that fresh classifier.
"""

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mtl_lib.data import MultiTaskData, Vocab, encode
from mtl_lib.data.batching import batches_in_order
from mtl_lib.errors import ConfigError
from mtl_lib.models.multitask import MultiTaskModel


@dataclass
class Features:
    """Every text's shared and private feature vectors, with its task and label id."""

    shared: np.ndarray | None  # (texts, shared_dim), or None if the model has no shared encoder
    private: np.ndarray | None  # (texts, private_dim), or None if it has no private encoders
    tasks: np.ndarray  # (texts,) task names
    labels: np.ndarray  # (texts,) label ids within each task

    def of(self, kind: str) -> np.ndarray:
        """`features.of("shared")` or `features.of("private")`, with a clear error if absent."""
        values = {"shared": self.shared, "private": self.private}.get(kind)
        if values is None:
            raise ConfigError(f"this model has no {kind!r} features; kinds are 'shared' and 'private', "
                              "and only SP/ASP models have both")
        return values


@torch.no_grad()
def extract_features(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, split: str,
                     max_length: int | None = 64, batch_size: int = 256) -> Features:
    """Run every task's texts of `split` through `model` (eval mode) and keep its features."""
    model.eval()
    device = next(model.parameters()).device
    shared, private, tasks, labels = [], [], [], []
    for task, dataset in encode(data, vocab, split, max_length).items():
        for batch in batches_in_order(dataset, batch_size):
            batch = batch.to(device)
            output = model(batch.tokens, batch.lengths, task)
            if output.shared_features is not None:
                shared.append(output.shared_features.float().cpu().numpy())
            if output.private_features is not None:
                private.append(output.private_features.float().cpu().numpy())
            tasks += [task] * len(batch)
            labels.append(batch.labels.cpu().numpy())
    return Features(np.concatenate(shared) if shared else None, np.concatenate(private) if private else None,
                    np.array(tasks), np.concatenate(labels))


def probe_task_leakage(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, kind: str = "shared",
                       max_length: int | None = 64, seed: int = 0) -> float:
    """Test accuracy of a fresh linear classifier that reads the task off frozen features.

    Trained on the train split's features, scored on the test split's. Chance is
    1 / number of tasks; compare also with `category_reveals_task`, since a useful
    representation must carry the category, and the category alone hints at the task.
    """
    train = extract_features(model, data, vocab, "train", max_length)
    test = extract_features(model, data, vocab, "test", max_length)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    probe.fit(train.of(kind), train.tasks)
    return float(probe.score(test.of(kind), test.tasks))


def category_reveals_task(data: MultiTaskData, split: str = "test") -> float:
    """How often the label alone names the task: guess, for each label, its commonest task in train.

    On the news data a headline's category says a lot about its publication
    (entertainment: probably Contactmusic.com), so no representation that keeps
    the category can be fully task-agnostic.
    """
    train = data.frame[data.frame.split == "train"]
    commonest_task = train.groupby("label").task.agg(lambda tasks: tasks.value_counts().index[0])
    evaluated = data.frame[data.frame.split == split]
    return float((evaluated.label.map(commonest_task) == evaluated.task).mean())
