"""The data layer: sources -> tasks -> text -> batches."""

from mtl_lib.data.batching import (
    SAMPLERS,
    Batch,
    BucketBatchSampler,
    MultiTaskBatches,
    TaskSampler,
    TextDataset,
    encode,
    make_sampler,
    pad_collate,
    task_loader,
)
from mtl_lib.data.sources import SOURCES
from mtl_lib.data.splits import SPLITS
from mtl_lib.data.tasks import MultiTaskData, Task
from mtl_lib.data.text import Vocab, tokenize

__all__ = [
    "SAMPLERS", "SOURCES", "SPLITS", "Batch", "BucketBatchSampler", "MultiTaskBatches", "MultiTaskData",
    "Task", "TaskSampler", "TextDataset", "Vocab", "encode", "make_sampler", "pad_collate", "task_loader", "tokenize",
]
