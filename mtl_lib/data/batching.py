"""From token ids to padded batches, and which task each training step learns from.

Two ideas live here. Within a task, `BucketBatchSampler` groups examples of similar
length so that batches carry little padding. Across tasks, a `TaskSampler` draws the
task of every step, and `MultiTaskBatches` turns that draw into (task, batch) pairs.
Texts that carry labels of several tasks can instead be batched by text
(`LabeledTexts`, `LabelsBatch`): each batch holds every task's label of its texts,
with a mark where a text has none.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset, Sampler

from mtl_lib.data.tasks import MultiTaskData
from mtl_lib.data.text import Vocab
from mtl_lib.errors import ConfigError, DataError


@dataclass
class Batch:
    """Padded token ids of a batch of texts, with their true lengths and labels."""

    tokens: torch.Tensor  # (batch, seq) int64, right-padded with pad id 0
    lengths: torch.Tensor  # (batch,) int64, true lengths (>= 1)
    labels: torch.Tensor  # (batch,) int64 label ids, or float32 targets of a regression task

    def to(self, device: torch.device | str) -> "Batch":
        """The same batch on `device`, all three tensors moved."""
        return Batch(self.tokens.to(device), self.lengths.to(device), self.labels.to(device))

    def __len__(self) -> int:
        return self.tokens.shape[0]


class TextDataset(Dataset[tuple[list[int], int | float]]):
    """One task's examples as token id lists and labels: `dataset[i] == (ids, label)`.

    Labels are label ids (ints), or the numbers of a regression task (floats).
    """

    def __init__(self, token_ids: Sequence[Sequence[int]], labels: Sequence[int | float]):
        if len(token_ids) != len(labels):
            raise DataError(f"{len(token_ids)} texts but {len(labels)} labels; give one label per text")
        self.token_ids = [list(ids) for ids in token_ids]
        self.labels = [label.item() if hasattr(label, "item") else label for label in labels]
        empty = [i for i, ids in enumerate(self.token_ids) if not ids]
        if empty:
            raise DataError(
                f"{len(empty)} examples have no tokens (the first: {empty[:5]}); "
                "encode texts with Vocab.encode, which never returns an empty list"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[list[int], int]:
        return self.token_ids[i], self.labels[i]

    @property
    def lengths(self) -> list[int]:
        """The number of tokens of each example, for `BucketBatchSampler`."""
        return [len(ids) for ids in self.token_ids]


def encode(data: MultiTaskData, vocab: Vocab, split: str, max_length: int | None = None) -> dict[str, TextDataset]:
    """Every task's examples of one split as token ids: `encode(news, vocab, "train")["Reuters"]`.

    `max_length` truncates long texts (BBC articles run to thousands of tokens).
    """
    return {task: TextDataset([vocab.encode(text, max_length) for text in data.texts(task, split)],
                              data.labels(task, split))
            for task in data.task_names}


def pad_collate(examples: list[tuple[list[int], int]], pad_id: int = 0) -> Batch:
    """Stack examples of different lengths into one `Batch`, padding on the right.

    >>> pad_collate([([5, 6, 7], 1), ([8], 0)]).tokens
    tensor([[5, 6, 7],
            [8, 0, 0]])
    """
    sequences = [torch.tensor(ids, dtype=torch.long) for ids, _ in examples]
    tokens = pad_sequence(sequences, batch_first=True, padding_value=pad_id)  # (batch, longest)
    lengths = torch.tensor([len(ids) for ids, _ in examples], dtype=torch.long)  # (batch,)
    labels = torch.tensor([label for _, label in examples])  # (batch,): int64 ids, or float32 numbers
    return Batch(tokens, lengths, labels)


def batches_in_order(dataset: TextDataset, batch_size: int) -> Iterator[Batch]:
    """The dataset's examples as padded batches in their original order (for predictions and features)."""
    for start in range(0, len(dataset), batch_size):
        yield pad_collate([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])


MISSING_LABEL = -100  # a text without a label for a classification task (F.cross_entropy's ignore_index)


def has_label(targets: torch.Tensor) -> torch.Tensor:
    """Which rows of one task's targets hold a label: not `MISSING_LABEL` (ids), not NaN (numbers)."""
    return ~torch.isnan(targets) if targets.is_floating_point() else targets != MISSING_LABEL


@dataclass
class LabelsBatch:
    """Padded texts with every task's targets: `targets[task]` is (batch,), missing labels marked."""

    tokens: torch.Tensor  # (batch, seq) int64
    lengths: torch.Tensor  # (batch,) int64
    targets: dict[str, torch.Tensor]  # task -> (batch,): ids or MISSING_LABEL, numbers or NaN

    def to(self, device: torch.device | str) -> "LabelsBatch":
        return LabelsBatch(self.tokens.to(device), self.lengths.to(device),
                           {task: targets.to(device) for task, targets in self.targets.items()})

    def __len__(self) -> int:
        return self.tokens.shape[0]


class LabeledTexts(Dataset[tuple[list[int], dict[str, float]]]):
    """Distinct texts of one split, each with the labels of every task that labels it.

    `dataset[i] == (ids, {"Reuters": 2, "coverage": 1.4})`; tasks without a label for the
    text are absent. What batching by text reads: one pass of the encoder per text.
    """

    def __init__(self, token_ids: Sequence[Sequence[int]], labels: Sequence[Mapping[str, int | float]],
                 regression: Sequence[str] = ()):
        if len(token_ids) != len(labels):
            raise DataError(f"{len(token_ids)} texts but {len(labels)} label sets; give one per text")
        self.token_ids = [list(ids) for ids in token_ids]
        self.labels = [dict(text_labels) for text_labels in labels]
        self.tasks = list(dict.fromkeys(task for text_labels in self.labels for task in text_labels))
        self.regression = set(regression)

    def __len__(self) -> int:
        return len(self.token_ids)

    def __getitem__(self, i: int) -> tuple[list[int], dict[str, int | float]]:
        return self.token_ids[i], self.labels[i]

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.token_ids]

    def collate(self, examples: list[tuple[list[int], dict[str, int | float]]]) -> LabelsBatch:
        """Pad the texts; one target tensor per task, marked missing where a text has no label."""
        padded = pad_collate([(ids, 0) for ids, _ in examples])
        targets = {}
        for task in self.tasks:
            missing = math.nan if task in self.regression else MISSING_LABEL
            values = [text_labels.get(task, missing) for _, text_labels in examples]
            targets[task] = torch.tensor(values, dtype=torch.float32 if task in self.regression else torch.long)
        return LabelsBatch(padded.tokens, padded.lengths, targets)


def encode_labeled_texts(data: MultiTaskData, vocab: Vocab, split: str,
                         max_length: int | None = None) -> LabeledTexts:
    """The texts of one split, each with the label of every task that labels it.

    A text is one example however many tasks label it; a text that one task labels twice (a
    headline two publications both ran) is two examples, so that no row is lost.
    """
    rows = data.frame[data.frame.split == split]
    texts: list[str] = []
    labels: list[dict[str, int | float]] = []
    examples_of: dict[str, list[int]] = {}  # text -> its examples, in order
    for task in data.task_names:
        examples = rows[rows.task == task]
        for text, target in zip(examples.text, data.task(task).targets(examples.label).tolist()):
            free = [i for i in examples_of.get(text, []) if task not in labels[i]]
            if not free:  # the text's first label for this task
                examples_of.setdefault(text, []).append(len(texts))
                texts.append(text)
                labels.append({})
                free = examples_of[text][-1:]
            labels[free[0]][task] = target
    return LabeledTexts([vocab.encode(text, max_length) for text in texts], labels, data.regression_tasks)


def labeled_texts_loader(dataset: LabeledTexts, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """Length-bucketed batches of texts with all their labels (`LabelsBatch`)."""
    sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=dataset.collate, num_workers=0)


def _epoch_generator(seed: int, epoch: int) -> torch.Generator:
    """A random generator for one epoch: the same (seed, epoch) always draws the same numbers."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch)


def _cut(indices: list[int], size: int) -> list[list[int]]:
    """Consecutive pieces of `size` indices; the last one may be shorter."""
    return [indices[start : start + size] for start in range(0, len(indices), size)]


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length (less padding, faster LSTMs), in a seeded random order.

    With `shuffle`, each epoch shuffles the examples, sorts each chunk of
    `batch_size * bucket_batches` of them by length, cuts the chunks into batches and
    shuffles the batches: random enough to train on, yet little padding. Without
    `shuffle` (for evaluation) batches follow length order, the same every time.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        bucket_batches: int = 50,
    ):
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1; got {batch_size}")
        if bucket_batches < 1:
            raise ConfigError(f"bucket_batches must be >= 1 (1 sorts each batch only); got {bucket_batches}")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.bucket_batches = bucket_batches
        self.epoch = 0  # how many epochs have started; with `seed`, it fixes the next order

    def __len__(self) -> int:
        return math.ceil(len(self.lengths) / self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._shuffled_batches() if self.shuffle else self._sorted_batches()
        self.epoch += 1
        return iter(batches)

    def _sorted_batches(self) -> list[list[int]]:
        by_length = sorted(range(len(self.lengths)), key=self.lengths.__getitem__)
        return _cut(by_length, self.batch_size)

    def _shuffled_batches(self) -> list[list[int]]:
        generator = _epoch_generator(self.seed, self.epoch)
        shuffled = torch.randperm(len(self.lengths), generator=generator).tolist()
        batches = []
        for chunk in _cut(shuffled, self.batch_size * self.bucket_batches):
            batches += _cut(sorted(chunk, key=self.lengths.__getitem__), self.batch_size)
        order = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in order]


def task_loader(dataset: TextDataset, batch_size: int, shuffle: bool, seed: int = 0) -> DataLoader:
    """A loader of padded, length-bucketed batches of one task's `dataset`.

    `shuffle=True` for training (a new order each epoch), `False` for evaluation.
    """
    sampler = BucketBatchSampler(dataset.lengths, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=pad_collate, num_workers=0)


def _check_sizes(sizes: Mapping[str, int]) -> None:
    """Every sampler needs at least one task, and a task without examples cannot be trained."""
    if not sizes or min(sizes.values()) < 1:
        raise DataError(f"task sizes must name at least one task, each with >= 1 example; got {dict(sizes)}")


class TaskSampler(ABC):
    """Chooses which task each training step draws its batch from.

    `sizes` maps each task to its number of training examples.
    """

    name: ClassVar[str]

    @abstractmethod
    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        """The chance of each task at each step; they sum to 1."""

    def schedule(self, sizes: Mapping[str, int], num_steps: int, generator: torch.Generator) -> list[str]:
        """The task of each of `num_steps` steps, drawn independently from `probabilities`."""
        probabilities = self.probabilities(sizes)
        tasks = list(probabilities)
        weights = torch.tensor([probabilities[task] for task in tasks], dtype=torch.float64)
        draws = torch.multinomial(weights, num_steps, replacement=True, generator=generator)  # (num_steps,)
        return [tasks[i] for i in draws.tolist()]


@dataclass
class ProportionalSampler(TaskSampler):
    """p(task) ∝ its size: every example is equally likely, so big tasks dominate."""

    name = "proportional"

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        _check_sizes(sizes)
        total = sum(sizes.values())
        return {task: size / total for task, size in sizes.items()}


@dataclass
class UniformSampler(TaskSampler):
    """p(task) = 1 / number of tasks: small tasks get as many steps as big ones."""

    name = "uniform"

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        _check_sizes(sizes)
        return {task: 1 / len(sizes) for task in sizes}


@dataclass
class TemperatureSampler(TaskSampler):
    """p(task) ∝ size^(1/temperature): 1 is proportional, larger values tend to uniform."""

    name = "temperature"
    temperature: float = 2.0

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ConfigError(
                f"temperature must be > 0 (1 is proportional sampling, larger values approach "
                f"uniform); got {self.temperature}"
            )

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        _check_sizes(sizes)
        # size^(1/T), normalised, is a softmax of log(size) / T, which cannot overflow.
        log_sizes = torch.tensor([math.log(size) for size in sizes.values()], dtype=torch.float64)
        return dict(zip(sizes, torch.softmax(log_sizes / self.temperature, dim=0).tolist()))


@dataclass
class RoundRobinSampler(UniformSampler):
    """Tasks take turns in the order given: a, b, c, a, b, c, ... (uniform, without the noise).

    Its schedule needs no randomness, so it ignores the generator.
    """

    name = "round_robin"

    def schedule(self, sizes: Mapping[str, int], num_steps: int, generator: torch.Generator) -> list[str]:
        tasks = list(self.probabilities(sizes))
        return [tasks[step % len(tasks)] for step in range(num_steps)]


SAMPLERS = ("proportional", "uniform", "temperature", "round_robin")


def make_sampler(name: str, temperature: float = 2.0) -> TaskSampler:
    """The task sampler called `name` (one of `SAMPLERS`): `make_sampler("temperature", 3.0)`."""
    if name == "temperature":
        return TemperatureSampler(temperature)
    samplers = {"proportional": ProportionalSampler, "uniform": UniformSampler, "round_robin": RoundRobinSampler}
    if name not in samplers:
        raise ConfigError(f"unknown task sampler {name!r}; choose one of: {', '.join(SAMPLERS)}")
    return samplers[name]()


class MultiTaskBatches:
    """One epoch of multi-task training: yields (task, Batch) pairs in sampled task order.

    `for task, batch in MultiTaskBatches(loaders, make_sampler("uniform")): ...` trains
    one epoch. A task's pass over its data carries on into the next epoch and restarts,
    reshuffled, only when it ends: every example is seen before any is seen twice.
    """

    def __init__(
        self,
        loaders: Mapping[str, DataLoader],
        sampler: TaskSampler,
        num_steps: int | None = None,
        seed: int = 0,
    ):
        empty = [task for task, loader in loaders.items() if len(loader) == 0]
        if empty:
            raise DataError(f"tasks {empty} have no training batches; give every task examples")
        if num_steps is not None and num_steps < 1:
            raise ConfigError(f"num_steps must be >= 1, or None for one step per batch of data; got {num_steps}")
        self.loaders = dict(loaders)
        self.sampler = sampler
        self.sizes = {task: len(loader.dataset) for task, loader in self.loaders.items()}
        if num_steps is None:  # as many steps as all tasks have batches
            num_steps = sum(len(loader) for loader in self.loaders.values())
        self.num_steps = num_steps
        self.seed = seed
        self.epoch = 0  # how many epochs have started; with `seed`, it fixes the next schedule
        self.passes = {task: Passes(loader) for task, loader in self.loaders.items()}  # carried across epochs

    def __len__(self) -> int:
        return self.num_steps

    def __iter__(self) -> Iterator[tuple[str, Batch]]:
        generator = _epoch_generator(self.seed, self.epoch)
        schedule = self.sampler.schedule(self.sizes, self.num_steps, generator)
        self.epoch += 1
        return ((task, self.passes[task].next()) for task in schedule)

    def restore(self, epochs: int, served: Mapping[str, int]) -> None:
        """Continue as after `epochs` epochs in which each task served `served[task]` batches (resuming training)."""
        self.epoch = epochs
        for task, count in served.items():
            self.passes[task].restore(count)


class Passes:
    """A loader's batches, pass after pass, each pass in its sampler's next order; resumable at a count.

    A pass that an epoch leaves unfinished carries on into the next one: every example is
    seen before any is seen twice. `served` counts the batches handed out so far.
    """

    def __init__(self, loader: DataLoader):
        self.loader = loader
        self.served = 0
        self._pass: Iterator = iter(())  # the current pass; none to start

    def next(self) -> Batch:
        """The next batch; when the pass is over, a new pass in a new shuffled order."""
        batch = next(self._pass, None)
        if batch is None:
            self._pass = iter(self.loader)
            batch = next(self._pass)
        self.served += 1
        return batch

    def restore(self, served: int) -> None:
        """Continue as after `served` batches: in the same pass, at the same place, as then."""
        passes, into_pass = divmod(served, len(self.loader))
        self.loader.batch_sampler.epoch = passes  # the order of pass k is its sampler's epoch k
        self._pass = iter(self.loader) if into_pass else iter(())
        for _ in range(into_pass):
            next(self._pass)
        self.served = served
