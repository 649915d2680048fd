"""The one inference loop: a dataset's texts through a model's heads, batch by batch, in eval mode.

Everything that reads a trained model (`Run.predict`, `evaluation.predictions` and so every score,
`analysis.extract_features`, `analysis.private_similarity`) goes through `forward_batches`.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import torch

from mtl_lib.data.batching import Batch, BucketBatchSampler, TextDataset, pad_collate
from mtl_lib.models.modes import evaluating
from mtl_lib.models.multitask import ModelOutput, MultiTaskModel


def forward_batches(model: MultiTaskModel, dataset: TextDataset, tasks: list[str], batch_size: int = 256,
                    by_length: bool = False) -> Iterator[tuple[list[int], Batch, dict[str, ModelOutput]]]:
    """`(indices, batch, outputs)` for every batch of `dataset`: the positions of its texts in the
    dataset, the padded batch (on the model's device), and each of `tasks`' outputs on it.

    Without gradients and in eval mode (the model's own mode is restored when the loop ends); what the
    tasks share runs once per batch. Batches follow the dataset's order, or with `by_length` group
    texts of similar length (less padding: faster), and `indices` say where each row belongs.

    >>> for indices, batch, outputs in forward_batches(model, dataset, ["Reuters"]):
    ...     outputs["Reuters"].logits   # (batch, labels)
    """
    device = next(model.parameters()).device
    positions = list(range(len(dataset)))
    order = (BucketBatchSampler(dataset.lengths, batch_size, shuffle=False) if by_length
             else [positions[start:start + batch_size] for start in range(0, len(dataset), batch_size)])
    with torch.no_grad(), evaluating(model):
        for indices in order:
            batch = pad_collate([dataset[i] for i in indices]).to(device)
            yield indices, batch, model.forward_tasks(batch.tokens, batch.lengths, tasks)


def autocast(device: torch.device, mixed_precision: bool) -> AbstractContextManager:
    """bfloat16 autocast where `mixed_precision` asks for it and the device is CUDA; else nothing."""
    if mixed_precision and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()
