"""`evaluating(model)`: eval mode (no dropout) for a prediction, and the model's own mode back afterwards.

A helper that scores or explains a model mid-training must not leave it in eval mode: the
next training step would run without dropout, silently.

>>> with evaluating(model):
...     logits = model(tokens, lengths, "Reuters").logits
"""

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """`model` in eval mode inside the block; each submodule's own train/eval mode restored after it."""
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes.items():
            module.training = training
