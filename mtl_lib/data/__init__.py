"""The data layer: sources -> tasks -> text -> batches."""

from mtl_lib.data.batching import (
    SAMPLERS,
    MISSING_LABEL,
    Batch,
    BucketBatchSampler,
    LabeledTexts,
    LabelsBatch,
    MultiTaskBatches,
    TaskSampler,
    TextDataset,
    encode,
    encode_labeled_texts,
    has_label,
    labeled_texts_loader,
    make_sampler,
    pad_collate,
    task_loader,
)
from mtl_lib.data.prepared import TrainingData, prepare
from mtl_lib.data.sources import SOURCES
from mtl_lib.data.splits import SPLITS
from mtl_lib.data.tasks import MultiTaskData, Task
from mtl_lib.data.text import Vocab, tokenize

__all__ = [
    "MISSING_LABEL", "SAMPLERS", "SOURCES", "SPLITS", "Batch", "BucketBatchSampler", "LabeledTexts", "LabelsBatch",
    "MultiTaskBatches", "MultiTaskData", "Task", "TaskSampler", "TextDataset", "TrainingData", "Vocab", "encode",
    "encode_labeled_texts", "has_label", "labeled_texts_loader", "make_sampler", "pad_collate", "prepare",
    "task_loader", "tokenize",
]
