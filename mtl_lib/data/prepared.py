"""The data a trainer reads, encoded once and checked before any training: `prepare`.

The data layer hands the trainer ready datasets, so data flows one way:

    MultiTaskData --prepare(vocab)--> TrainingData --> Trainer (trains) --> evaluate (scores)

`prepare` encodes every task's split as token ids, and, where asked, the training texts with
all their labels (batching by text) and each task's unlabeled texts (the discriminator's extra
food). It refuses data that model selection could not read, before any work: a task with test
rows but no dev rows, or no dev rows at all. And it warns of a task that trains but cannot learn.
"""

import warnings
from dataclasses import dataclass, field

from mtl_lib.data.batching import LabeledTexts, TextDataset, encode, encode_labeled_texts
from mtl_lib.data.splits import SPLITS
from mtl_lib.data.tasks import MultiTaskData
from mtl_lib.data.text import Vocab
from mtl_lib.errors import DataError, DataWarning

MIN_TRAIN_ROWS = 10  # fewer training rows than this, and a task is warned of as unlearnable


@dataclass(frozen=True)
class TrainingData:
    """Every task's splits as token ids, and what the training options need beside them.

    `splits[split][task]` is a `TextDataset`; `labeled_texts` is there when prepared for
    batching by text, `unlabeled` when prepared with unlabeled texts.
    """

    name: str
    splits: dict[str, dict[str, TextDataset]]
    label_names: dict[str, tuple[str, ...]]  # a regression task's is empty
    regression_tasks: frozenset[str]
    max_length: int | None
    labeled_texts: LabeledTexts | None = field(default=None, repr=False)
    unlabeled: dict[str, TextDataset] = field(default_factory=dict, repr=False)

    @property
    def task_names(self) -> list[str]:
        return list(self.label_names)

    def is_regression(self, task: str) -> bool:
        return task in self.regression_tasks

    def sizes(self, split: str) -> dict[str, int]:
        """The number of examples of each task in `split`."""
        return {task: len(dataset) for task, dataset in self.splits[split].items()}


def prepare(data: MultiTaskData, vocab: Vocab, max_length: int | None = 64, by_text: bool = False,
            unlabeled: bool = False) -> TrainingData:
    """`data` as the trainer reads it: each split encoded with `vocab`, texts cut to `max_length` tokens.

    `by_text=True` adds the training texts with all their labels (`TrainConfig(batching="text")`);
    `unlabeled=True` each task's unlabeled texts (`TrainConfig(unlabeled=True)`).
    `TrainConfig.prepare(data, vocab)` passes a configuration's own options.
    """
    splits = {split: encode(data, vocab, split, max_length) for split in SPLITS}
    _check_splits(data, splits)
    return TrainingData(
        name=data.name, splits=splits, label_names=data.label_names, regression_tasks=frozenset(data.regression_tasks),
        max_length=max_length,
        labeled_texts=encode_labeled_texts(data, vocab, "train", max_length) if by_text else None,
        unlabeled=_encode_unlabeled(data, vocab, max_length) if unlabeled else {})


def _check_splits(data: MultiTaskData, splits: dict[str, dict[str, TextDataset]]) -> None:
    """Model selection reads dev: refuse, before any training, data it could not select on.

    A task with test rows needs dev rows too (else it would train, then fail to be scored);
    a task with training rows only is an auxiliary task, trained on and never scored.
    """
    sizes = {split: {task: len(dataset) for task, dataset in datasets.items()} for split, datasets in splits.items()}
    for task in data.task_names:
        if sizes["test"][task] and not sizes["dev"][task]:
            raise DataError(
                f"task {task!r} has {sizes['test'][task]} test rows but no dev rows, and model selection reads "
                "dev: give it dev rows (a split column with train/dev/test), or more rows for the automatic "
                "70/10/20 split to draw them from; without test rows it would be an auxiliary task")
    if not any(sizes["dev"].values()):
        raise DataError("no task has dev rows, and model selection reads dev: give some task dev rows "
                        "(a split column with train/dev/test)")
    _warn_unlearnable_tasks(data, splits["train"])


def _warn_unlearnable_tasks(data: MultiTaskData, train: dict[str, TextDataset]) -> None:
    """Warn of a task that trains but cannot learn: the rule is fewer than `MIN_TRAIN_ROWS`
    training rows, or one label in all of them (its head learns a constant, and a score of 1.0
    from a constant would lift the average while saying nothing)."""
    for task, dataset in train.items():
        if len(dataset) < MIN_TRAIN_ROWS:
            warnings.warn(f"task {task!r} has {len(dataset)} training rows, too few to learn from "
                          f"(fewer than {MIN_TRAIN_ROWS}); give it more rows or leave it out", DataWarning,
                          stacklevel=5)
        labels = set(dataset.labels)
        if not data.task(task).is_regression and len(labels) == 1:
            only = data.task(task).label_names[labels.pop()]
            warnings.warn(f"every training row of task {task!r} has the label {only!r}: its head can only learn "
                          f"to predict {only!r}, and its scores say nothing; give it rows of its other labels "
                          "or leave it out", DataWarning, stacklevel=5)


def _encode_unlabeled(data: MultiTaskData, vocab: Vocab, max_length: int | None) -> dict[str, TextDataset]:
    """Each task's unlabeled texts as token ids (label 0, never read): food for the discriminator.

    The task of an unlabeled text is known, and the task is all the adversarial loss needs
    (Liu et al. 2017, section 3.3), so texts without a category still train the
    discriminator and, through gradient reversal, the shared encoder.
    """
    texts = data.unlabeled.groupby("task").text.agg(list)
    datasets = {task: TextDataset([vocab.encode(text, max_length) for text in texts[task]], [0] * len(texts[task]))
                for task in data.task_names if task in texts.index}
    if not datasets:
        raise DataError(f"TrainConfig.unlabeled=True, but data set {data.name!r} has no unlabeled texts "
                        "for its tasks (fdu-mtl ships them); train without them (unlabeled=False, no --unlabeled)")
    return datasets
