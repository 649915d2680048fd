"""Adversarial training's two parts: the gradient reversal layer and the task discriminator.

Ganin & Lempitsky (2015) train a feature extractor against a classifier with one
backward pass: the classifier sees the features unchanged, but the gradient flowing
back into the extractor has its sign flipped. Liu et al. (2017) use it to make the
shared features useless for telling the tasks apart.
"""

import math

import torch
from torch import Tensor, nn

from mtl_lib.errors import ConfigError


class GradientReversal(torch.autograd.Function):
    """Identity on the way forward; the gradient times -scale on the way back."""

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)  # a new tensor node, so autograd calls our backward

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:
        return -ctx.scale * grad_output, None  # no gradient for `scale`, a plain float


def grad_reverse(x: Tensor, scale: float = 1.0) -> Tensor:
    """`x` unchanged, but gradients reaching it are multiplied by -scale.

    >>> x = torch.ones(2, requires_grad=True)
    >>> grad_reverse(x, 0.5).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000])
    """
    return GradientReversal.apply(x, float(scale))


def ganin_lambda(progress: float) -> float:
    """The reversal scale after `progress` (0 to 1) of training: 2 / (1 + exp(-10 p)) - 1.

    Ganin & Lempitsky (2015) ramp the scale from 0 to 1, so that the untrained
    discriminator's noisy gradient cannot derail the encoder early on:
    `ganin_lambda(0.0) == 0.0`, `ganin_lambda(0.5) ≈ 0.987`.
    """
    if not 0.0 <= progress <= 1.0:
        raise ConfigError(f"progress must be in [0, 1] (the fraction of training done); got {progress!r}")
    return 2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0


class TaskDiscriminator(nn.Module):
    """Guesses the task of a text from its shared features, through a gradient reversal.

    The discriminator's own weights get the ordinary gradient, so it learns at full
    strength to tell the tasks apart; the encoder below the reversal receives the
    opposite gradient, scaled by `reversal_scale` (lambda), and so learns shared features
    from which the task cannot be told. The trainer sets `reversal_scale` from a schedule
    such as `ganin_lambda`.

    The perceptron reads each text's features standardised (`LayerNorm`). A CNN's features
    are max-pooled ReLUs: all positive, and for every text of about the same size, so what
    tells the tasks apart is a small variation on a large common level. Read raw, the
    discriminator never learned from them: it named one task for every text, whatever the
    reversal did (the same accuracy, step for step, with lambda 0, 0.05 or 1).
    """

    def __init__(self, input_dim: int, num_tasks: int, hidden_dim: int = 64, dropout: float = 0.2):
        super().__init__()
        self.input_dim = input_dim
        self.num_tasks = num_tasks
        self.reversal_scale: float = 1.0
        self.classifier = nn.Sequential(
            nn.LayerNorm(input_dim),  # each text's features standardised: see the class docstring
            nn.Linear(input_dim, hidden_dim),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, num_tasks),
        )

    def forward(self, shared_features: Tensor) -> Tensor:
        reversed_features = grad_reverse(shared_features, self.reversal_scale)  # (batch, input_dim)
        return self.classifier(reversed_features)  # (batch, num_tasks): task_logits
