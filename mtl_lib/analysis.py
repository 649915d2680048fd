"""What a trained model's representations hold, and what the shared and the private parts learned.

- Features and probes: `extract_features`, and `probe_task_leakage`. Adversarial training
  fools its own discriminator, but that does not prove the task has left the shared
  features: a fresh classifier trained afterwards on the frozen features may still find
  it (Elazar & Goldberg 2018). The probe is that fresh classifier.
- Words: `word_contributions` and `top_words`, the words that drive the shared and each
  task's private features (Liu et al. 2017, Table 4), from word attributions.
- Relatedness of tasks, tasks x tasks: `discriminator_confusion` (whom the discriminator
  mistakes for whom), `private_similarity` (linear CKA of the private encoders),
  `transfer_accuracy` (a head of one task scored on another).
- Mixing: `project` (PCA or t-SNE) and `task_silhouette`, how apart the publications lie.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mtl_lib.attributions import attribute_texts
from mtl_lib.data import MultiTaskData, TextDataset, Vocab, encode
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.inference import forward_batches
from mtl_lib.models.modes import evaluating
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


def extract_features(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, split: str,
                     max_length: int | None = 64, batch_size: int = 256) -> Features:
    """Run every task's texts of `split` through `model` (eval mode) and keep its features."""
    shared, private, tasks, labels = [], [], [], []
    for task, dataset in encode(data, vocab, split, max_length).items():
        for _, batch, outputs in forward_batches(model, dataset, [task], batch_size):
            output = outputs[task]
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


# --- which words drive the shared and the private features ----------------------------------

def word_contributions(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, split: str = "test",
                       steps: int = 16, max_length: int | None = 64) -> pd.DataFrame:
    """Each word's summed attribution per task and channel, over a split's texts.

    Every text of every task is explained with integrated gradients through its own
    task's head, towards the class that head predicts (`mtl_lib.attributions`); a word's
    attributions are then added up over its occurrences. One row per (task, token):
    count, shared, private (sums) and shared_mean, private_mean (per occurrence).
    A large positive sum: the word often and strongly pushed its texts' predictions,
    through that channel. The analysis of Liu et al. (2017, Table 4), with attributions in
    place of neuron activations.
    """
    frames = [attribute_texts(model, vocab, task, data.texts(task, split), steps, max_length).assign(task=task)
              for task in data.task_names if len(data.examples(task, split))]
    occurrences = pd.concat(frames, ignore_index=True)
    table = occurrences.groupby(["task", "token"], sort=False).agg(
        count=("shared", "size"), shared=("shared", "sum"), private=("private", "sum")).reset_index()
    return table.assign(shared_mean=table.shared / table["count"], private_mean=table.private / table["count"])


def top_words(contributions: pd.DataFrame, channel: str, n: int = 10, min_count: int = 3,
              by_task: bool = True) -> pd.DataFrame:
    """The `n` words with the largest summed `channel` attribution, per task or over all tasks.

    `contributions` is `word_contributions`' table. `by_task=False` adds each word up over
    the tasks first: the natural view of the one shared encoder (task "all publications"). Words seen
    fewer than `min_count` times (in the task, or overall) are left out: one striking
    headline should not make a word list; so is `<unk>`, which stands for many different
    words. Columns: task, token, contribution, count.

    >>> top_words(word_contributions(model, news, vocab), "private", n=5)
    """
    if channel not in ("shared", "private"):
        raise ConfigError(f"channel must be 'shared' or 'private'; got {channel!r}")
    table = contributions if by_task else (
        contributions.groupby("token", sort=False)[["count", "shared", "private"]].sum().reset_index()
        .assign(task="all publications"))
    kept = table[(table["count"] >= min_count) & (table.token != Vocab.UNK)]
    kept = kept.rename(columns={channel: "contribution"})
    columns = ["task", "token", "contribution", "count"]
    if kept.empty:
        return kept[columns].reset_index(drop=True)
    ranked = pd.concat([rows.nlargest(n, "contribution") for _, rows in kept.groupby("task", sort=False)])
    return ranked[columns].reset_index(drop=True)


# --- how related the tasks are ----------------------------------------------------------------

@torch.no_grad()
def discriminator_confusion(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, split: str = "test",
                            max_length: int | None = 64, soft: bool = True) -> pd.DataFrame:
    """Whom the ASP discriminator takes each task's texts for: rows are true tasks, and sum to 1.

    Read from the shared features of `split`, in eval mode. `soft=True` averages the
    discriminator's probabilities over each task's texts; `soft=False` counts its guesses
    (argmax). The soft table says more: a discriminator that adversarial training has
    pushed to chance often guesses the largest task for every text, and its guesses then
    say nothing, while its probabilities still show which tasks look alike to it.
    """
    if model.discriminator is None:
        raise ConfigError("this model has no task discriminator; discriminator_confusion needs an ASP model "
                          "(build_model('asp', ...) or --model asp)")
    features = extract_features(model, data, vocab, split, max_length)
    device = next(model.parameters()).device
    with evaluating(model):
        task_logits = model.discriminator(torch.as_tensor(features.shared, device=device))  # (texts, num_tasks)
    if soft:
        guesses = task_logits.softmax(dim=1).cpu().numpy()  # (texts, num_tasks)
    else:
        guesses = np.eye(len(model.task_names))[task_logits.argmax(dim=1).cpu().numpy()]  # one-hot
    table = pd.DataFrame(guesses, columns=model.task_names).groupby(features.tasks, sort=False).mean()
    return table.reindex(data.task_names).rename_axis(index="task", columns="discriminator's guess")


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear centred kernel alignment of two representations of the same texts (Kornblith et al. 2019).

    `x` (texts, dx) and `y` (texts, dy): 1 when one is a rotation and scaling of the other,
    near 0 when they are unrelated. Unlike comparing units one by one, it does not care
    which unit holds what, so two separately trained encoders can be compared.

    >>> linear_cka(features, 3 * features)
    1.0
    """
    if len(x) != len(y):
        raise DataError(f"both representations must be of the same texts; got {len(x)} and {len(y)} rows")
    x, y = x.astype(np.float64), y.astype(np.float64)  # float32 sums would put the diagonal above 1
    x = x - x.mean(axis=0)  # (texts, dx)
    y = y - y.mean(axis=0)  # (texts, dy)
    cross = np.linalg.norm(y.T @ x) ** 2  # ||Y^T X||_F^2
    return float(cross / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def private_similarity(model: MultiTaskModel, data: MultiTaskData, vocab: Vocab, split: str = "test",
                       max_length: int | None = 64, batch_size: int = 256) -> pd.DataFrame:
    """Linear CKA between the private encoders of every two tasks, on the same texts (tasks x tasks).

    All texts of `split`, whatever their task, go through each task's private encoder;
    two publications whose private encoders represent the same headlines alike have
    learned alike. The diagonal is 1.
    """
    texts = [text for task in data.task_names for text in data.texts(task, split)]
    common = TextDataset([vocab.encode(text, max_length) for text in texts], [0] * len(texts))
    representations = {}
    for task in model.task_names:
        outputs = [by_task[task].private_features for _, _, by_task in forward_batches(model, common, [task],
                                                                                          batch_size)]
        if outputs[0] is None:
            raise ConfigError(f"this {type(model).__name__} model has no private encoders; "
                              "private_similarity needs an sp, asp, soft or single model")
        representations[task] = torch.cat(outputs).float().cpu().numpy()  # (texts, private_dim)
    tasks = model.task_names
    table = pd.DataFrame([[linear_cka(representations[a], representations[b]) for b in tasks] for a in tasks],
                         index=tasks, columns=tasks)
    return table.rename_axis(index="task", columns="compared with")


def transfer_accuracy(features_train: Features, features_test: Features, kind: str = "shared",
                      seed: int = 0) -> pd.DataFrame:
    """Test accuracy of a linear head trained on one task's frozen features, scored on every task.

    Rows: the task the head was trained on; columns: the task it is scored on. The diagonal
    is the ordinary in-task accuracy; an off-diagonal cell near it says the two tasks read
    the features the same way. The tasks must share one label set (as the news
    publications do).

    >>> train, test = (extract_features(model, news, vocab, split) for split in ("train", "test"))
    >>> transfer_accuracy(train, test)
    """
    tasks = list(dict.fromkeys(features_train.tasks))
    train_values, test_values = features_train.of(kind), features_test.of(kind)
    rows = {}
    for source in tasks:
        mine = features_train.tasks == source
        head = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
        head.fit(train_values[mine], features_train.labels[mine])
        rows[source] = {target: float(head.score(test_values[features_test.tasks == target],
                                                 features_test.labels[features_test.tasks == target]))
                        for target in tasks}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(index="trained on", columns="scored on")


# --- how mixed the representations are --------------------------------------------------------

PROJECTIONS = ("pca", "tsne")


def project(features: Features, kinds: tuple[str, ...] = ("shared", "private"), method: str = "pca",
            seed: int = 0) -> pd.DataFrame:
    """Each kind of features brought down to two dimensions, for a scatter plot coloured by task.

    `method` is "pca" (fast, linear, faithful to large distances) or "tsne" (slower, keeps
    neighbourhoods, distorts distances). Columns: kind, task, label, x, y.
    """
    if method not in PROJECTIONS:
        raise ConfigError(f"method must be one of {', '.join(PROJECTIONS)}; got {method!r}")
    frames = []
    for kind in kinds:
        values = features.of(kind)
        reducer = PCA(n_components=2, random_state=seed) if method == "pca" else TSNE(
            n_components=2, init="pca", perplexity=min(30.0, len(values) - 1.0), random_state=seed)
        points = reducer.fit_transform(values)  # (texts, 2)
        frames.append(pd.DataFrame({"kind": kind, "task": features.tasks, "label": features.labels,
                                    "x": points[:, 0], "y": points[:, 1]}))
    return pd.concat(frames, ignore_index=True)


def task_silhouette(features: Features, kinds: tuple[str, ...] = ("shared", "private")) -> pd.Series:
    """The silhouette score of the tasks in each kind of features: how apart the publications lie.

    Computed on the full feature vectors (Euclidean), not on a 2-D projection. Near 1: each
    publication forms its own tight cluster; near 0: publications are mixed together;
    below 0: texts lie closer to other publications than to their own.
    """
    return pd.Series({kind: float(silhouette_score(features.of(kind), features.tasks)) for kind in kinds},
                     name="silhouette by task")
