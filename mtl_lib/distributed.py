"""Training past one process: `torchrun --nproc_per_node=N -m mtl_lib train ...`.

torchrun starts N copies of the command and tells each its place through the environment
(RANK, WORLD_SIZE, LOCAL_RANK). Each process loads the same data, keeps its own shard of
every task's training texts (`shard`), and trains the same model wrapped in PyTorch's
`DistributedDataParallel`, which averages the gradients of all processes in every backward
pass: the processes hold the same weights after every step, so the trained model is of the
same family as one trained in one process, on N times the batch per step. Every process
scores the whole dev set (the same model gives the same scores, so all stop at the same
epoch); only the main process (rank 0) prints and writes the run.

The backend is gloo on CPU (over loopback on one machine) and NCCL on CUDA, one GPU per
process. What DDP cannot run is refused before training (`Trainer` says which):
a loss weighting that takes several backward passes per step (PCGrad projects per-task
gradients against each other, and DDP averages once per backward), and batching by text.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.distributed as dist

from mtl_lib.data.batching import TextDataset


def world_size() -> int:
    """How many processes train together: 1 unless torch.distributed has been started with more."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's place among them, 0 for the main process (and for a run of one)."""
    return dist.get_rank() if world_size() > 1 else 0


def is_main_process() -> bool:
    return rank() == 0


def launched_by_torchrun() -> bool:
    """True in a process that torchrun started with others (WORLD_SIZE > 1 in its environment)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def process_device() -> str | None:
    """The device of this process under torchrun: its own GPU (cuda:LOCAL_RANK) if there are GPUs, else None."""
    if launched_by_torchrun() and torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
    return None


@contextmanager
def process_group() -> Iterator[None]:
    """The process group for the duration of a command, when torchrun started it with others; else nothing.

    NCCL where this process has a GPU, gloo otherwise.
    """
    if not launched_by_torchrun() or dist.is_initialized():
        yield
        return
    dist.init_process_group(backend="nccl" if process_device() else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def shard(dataset: TextDataset, part: int, parts: int) -> TextDataset:
    """Every `parts`-th example of `dataset`, starting at `part`: this process's share of it."""
    keep = range(part, len(dataset), parts)
    return TextDataset([dataset.token_ids[i] for i in keep], [dataset.labels[i] for i in keep])
