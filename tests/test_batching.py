"""Padding, length bucketing, task samplers, and the multi-task epoch."""

import random
from collections import Counter

import pytest
import torch

from mtl_lib.data.batching import (
    SAMPLERS,
    Batch,
    BucketBatchSampler,
    MultiTaskBatches,
    ProportionalSampler,
    RoundRobinSampler,
    TemperatureSampler,
    TextDataset,
    UniformSampler,
    make_sampler,
    pad_collate,
    task_loader,
)
from mtl_lib.errors import ConfigError, DataError

SIZES = {"a": 900, "b": 90, "c": 10}


def skewed_lengths(n: int = 2000, seed: int = 0) -> list[int]:
    """Mostly short texts with a long tail, like news: lengths from 1 to about 400."""
    rng = random.Random(seed)
    return [1 + int(rng.expovariate(1 / 30)) for _ in range(n)]


def epoch(sampler: BucketBatchSampler) -> list[list[int]]:
    return [list(batch) for batch in sampler]


# pad_collate and Batch


def test_pad_collate_pads_on_the_right():
    batch = pad_collate([([5, 6, 7], 1), ([8], 0), ([9, 10], 2)])
    assert batch.tokens.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert batch.tokens.dtype == batch.lengths.dtype == batch.labels.dtype == torch.int64
    assert batch.lengths.tolist() == [3, 1, 2]
    assert batch.labels.tolist() == [1, 0, 2]
    assert len(batch) == 3


def test_pad_collate_uses_the_pad_id_given():
    batch = pad_collate([([5, 6], 0), ([8], 0)], pad_id=-1)
    assert batch.tokens.tolist() == [[5, 6], [8, -1]]


def test_batch_to_moves_every_tensor():
    batch = pad_collate([([5, 6], 1)]).to("meta")
    assert {batch.tokens.device.type, batch.lengths.device.type, batch.labels.device.type} == {"meta"}
    assert isinstance(batch, Batch)


# TextDataset


def test_text_dataset_items_and_lengths():
    dataset = TextDataset([[1, 2, 3], (4,)], labels=[0, 1])
    assert len(dataset) == 2
    assert dataset[1] == ([4], 1)
    assert dataset.lengths == [3, 1]


def test_text_dataset_rejects_mismatched_or_empty_examples():
    with pytest.raises(DataError, match="2 texts but 1 labels"):
        TextDataset([[1], [2]], [0])
    with pytest.raises(DataError, match="no tokens"):
        TextDataset([[1], []], [0, 1])


# BucketBatchSampler


@pytest.mark.parametrize("shuffle", [True, False])
def test_every_index_exactly_once_per_epoch(shuffle):
    lengths = skewed_lengths(1003)
    sampler = BucketBatchSampler(lengths, batch_size=32, shuffle=shuffle, bucket_batches=5)
    for _ in range(2):
        batches = epoch(sampler)
        assert sorted(i for batch in batches for i in batch) == list(range(1003))
        assert len(batches) == len(sampler) == 32  # ceil(1003 / 32)
        assert sorted(len(batch) for batch in batches) == [11] + [32] * 31


def test_same_seed_same_order_and_epochs_differ():
    lengths = skewed_lengths(500)
    first, second = BucketBatchSampler(lengths, 16, seed=3), BucketBatchSampler(lengths, 16, seed=3)
    first_epochs = [epoch(first), epoch(first)]
    assert first_epochs == [epoch(second), epoch(second)]
    assert first_epochs[0] != first_epochs[1]
    assert epoch(BucketBatchSampler(lengths, 16, seed=4)) != first_epochs[0]


def test_buckets_hold_similar_lengths():
    lengths = skewed_lengths(2000)

    def mean_spread(batches: list[list[int]]) -> float:
        spreads = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
        return sum(spreads) / len(spreads)

    bucketed = mean_spread(epoch(BucketBatchSampler(lengths, batch_size=32, bucket_batches=20)))
    order = torch.randperm(len(lengths), generator=torch.Generator().manual_seed(0)).tolist()
    random_batches = [order[i : i + 32] for i in range(0, len(order), 32)]
    assert bucketed < mean_spread(random_batches) / 5


def test_without_shuffle_batches_follow_length_order_every_time():
    lengths = skewed_lengths(300)
    sampler = BucketBatchSampler(lengths, batch_size=25, shuffle=False)
    batches = epoch(sampler)
    assert batches == epoch(sampler)
    flat_lengths = [lengths[i] for batch in batches for i in batch]
    assert flat_lengths == sorted(lengths)


def test_bucket_sampler_rejects_bad_batch_size():
    with pytest.raises(ConfigError, match="batch_size"):
        BucketBatchSampler([1, 2], batch_size=0)


def test_task_loader_yields_padded_batches():
    dataset = TextDataset([[7] * n for n in (1, 5, 2, 4, 3)], labels=[1, 5, 2, 4, 3])
    batches = list(task_loader(dataset, batch_size=2, shuffle=False))
    assert [batch.lengths.tolist() for batch in batches] == [[1, 2], [3, 4], [5]]
    assert batches[1].labels.tolist() == [3, 4]  # labels travel with their texts
    assert batches[1].tokens.shape == (2, 4)


# Task samplers


def frequencies(schedule: list[str]) -> dict[str, float]:
    counts = Counter(schedule)
    return {task: counts[task] / len(schedule) for task in SIZES}


@pytest.mark.parametrize(
    ("sampler", "expected"),
    [
        (ProportionalSampler(), {"a": 0.9, "b": 0.09, "c": 0.01}),
        (UniformSampler(), {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}),
        (TemperatureSampler(2.0), {task: n**0.5 / (900**0.5 + 90**0.5 + 10**0.5) for task, n in SIZES.items()}),
    ],
)
def test_sampled_frequencies_match_probabilities(sampler, expected):
    probabilities = sampler.probabilities(SIZES)
    assert probabilities == pytest.approx(expected)
    assert sum(probabilities.values()) == pytest.approx(1)
    schedule = sampler.schedule(SIZES, 20_000, torch.Generator().manual_seed(0))
    assert len(schedule) == 20_000
    for task, frequency in frequencies(schedule).items():
        assert frequency == pytest.approx(expected[task], abs=0.01)


def test_temperature_one_is_proportional_and_large_is_nearly_uniform():
    proportional, uniform = ProportionalSampler().probabilities(SIZES), UniformSampler().probabilities(SIZES)
    assert TemperatureSampler(1.0).probabilities(SIZES) == pytest.approx(proportional)
    assert TemperatureSampler(1e6).probabilities(SIZES) == pytest.approx(uniform, abs=1e-4)
    assert TemperatureSampler(0.01).probabilities(SIZES)["a"] == pytest.approx(1)  # no overflow


def test_round_robin_takes_turns():
    sampler = RoundRobinSampler()
    schedule = sampler.schedule(SIZES, 7, torch.Generator().manual_seed(0))
    assert schedule == ["a", "b", "c", "a", "b", "c", "a"]
    assert sampler.probabilities(SIZES) == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3})


@pytest.mark.parametrize("name", SAMPLERS)
def test_same_seed_same_schedule(name):
    sampler = make_sampler(name)
    assert sampler.name == name

    def draw(seed: int) -> list[str]:
        return sampler.schedule(SIZES, 200, torch.Generator().manual_seed(seed))

    assert draw(1) == draw(1)
    if name != "round_robin":
        assert draw(1) != draw(2)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ConfigError, match="temperature must be > 0"):
        make_sampler("temperature", temperature=temperature)


def test_unknown_sampler_name_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="'temprature'.*proportional, uniform, temperature, round_robin"):
        make_sampler("temprature")


def test_samplers_reject_empty_tasks():
    with pytest.raises(DataError, match="at least one task"):
        UniformSampler().probabilities({})
    with pytest.raises(DataError, match=">= 1 example"):
        ProportionalSampler().probabilities({"a": 10, "b": 0})


# MultiTaskBatches


def make_loaders(sizes: dict[str, int], batch_size: int = 4) -> dict:
    """One loader per task; every label is the task's position, so a batch tells its task."""
    loaders = {}
    for label, (task, size) in enumerate(sizes.items()):
        dataset = TextDataset([[label + 2] * (1 + i % 7) for i in range(size)], [label] * size)
        loaders[task] = task_loader(dataset, batch_size, shuffle=True, seed=label)
    return loaders


def test_an_epoch_has_as_many_steps_as_batches_by_default():
    loaders = make_loaders({"big": 40, "small": 6})  # 10 + 2 batches of 4
    batches = MultiTaskBatches(loaders, make_sampler("proportional"))
    assert len(batches) == 12
    assert len(list(batches)) == 12
    assert len(MultiTaskBatches(loaders, make_sampler("uniform"), num_steps=5)) == 5


def test_each_batch_comes_from_its_task():
    loaders = make_loaders({"big": 40, "mid": 20, "small": 6})
    label_of = {"big": 0, "mid": 1, "small": 2}
    steps = list(MultiTaskBatches(loaders, make_sampler("uniform"), num_steps=60))
    assert {task for task, _ in steps} == set(label_of)
    for task, batch in steps:
        assert isinstance(batch, Batch)
        assert set(batch.labels.tolist()) == {label_of[task]}
        assert set(batch.tokens[batch.tokens != 0].tolist()) == {label_of[task] + 2}


def test_a_small_task_is_cycled_each_pass_seeing_every_example():
    loaders = make_loaders({"big": 40, "small": 6}, batch_size=2)  # small: 3 batches per pass
    steps = list(MultiTaskBatches(loaders, make_sampler("round_robin"), num_steps=18))
    small = [batch for task, batch in steps if task == "small"]
    assert len(small) == 9  # three full passes over a task of three batches
    for start in range(0, 9, 3):  # the small task's lengths, 1 to 6, tell its examples apart
        lengths = [n for batch in small[start : start + 3] for n in batch.lengths.tolist()]
        assert sorted(lengths) == [1, 2, 3, 4, 5, 6]
    passes = [[batch.lengths.tolist() for batch in small[start : start + 3]] for start in (0, 3, 6)]
    assert len({str(order) for order in passes}) > 1  # each pass reshuffles


def test_same_seed_same_sequence_and_epochs_differ():
    def run(seed: int) -> list[list[tuple[str, list[int]]]]:
        loaders = make_loaders({"a": 30, "b": 12, "c": 5})
        batches = MultiTaskBatches(loaders, make_sampler("temperature"), seed=seed)
        return [[(task, batch.tokens.flatten().tolist()) for task, batch in batches] for _ in range(2)]

    first = run(seed=7)
    assert first == run(seed=7)
    assert first[0] != first[1]
    assert first != run(seed=8)


def test_multi_task_batches_reject_bad_arguments():
    loaders = make_loaders({"a": 8})
    with pytest.raises(ConfigError, match="num_steps"):
        MultiTaskBatches(loaders, make_sampler("uniform"), num_steps=0)
    empty = task_loader(TextDataset([], []), batch_size=4, shuffle=True)
    with pytest.raises(DataError, match="no training batches"):
        MultiTaskBatches({"a": loaders["a"], "b": empty}, make_sampler("uniform"))
