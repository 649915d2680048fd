"""The terms of a training step's loss beside the task losses, one small class each.

A step's loss is the loss weighting's combination of the task losses plus, for every term
here, `term.weight * term(model, forwarded)`:

| term              | what it adds                                            | in                 |
| ----------------- | ------------------------------------------------------- | ------------------ |
| `ModelPenalty`    | the model's own penalty (soft sharing's L2 pull)        | every model        |
| `AdversarialLoss` | the discriminator's cross entropy, through the reversal | ASP (Liu et al.)   |
| `DifferenceLoss`  | squared correlations of shared and private features     | ASP, with gamma > 0 |

`Trainer` picks the built-in terms that its model and config call for (`default_terms`);
a term of your own goes beside them with `Trainer(..., terms=[*default_terms(model, config),
MyTerm()])`, and its unweighted value is logged per step under its `name`.

>>> class Sparsity(StepTerm):
...     name, weight = "sparsity", 1e-4
...     def __call__(self, model, forwarded):
...         return sum(step.output.shared_features.abs().mean() for step in forwarded)
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from mtl_lib.losses import adversarial_loss, difference_loss
from mtl_lib.models.multitask import ModelOutput, MultiTaskModel


@dataclass
class Forwarded:
    """One task's part of a step: the model's output on its batch, the targets, and the discriminator's logits
    (of the batch and of any unlabeled texts of the task)."""

    task: str
    output: ModelOutput
    targets: Tensor
    task_logits: list[Tensor]


class StepTerm(ABC):
    """One term of a step's loss: a scalar from the step's forward pass, added times `weight`."""

    name: ClassVar[str]  # its column in the step log
    weight: float = 1.0

    @abstractmethod
    def __call__(self, model: MultiTaskModel, forwarded: list[Forwarded]) -> Tensor | None:
        """The term's unweighted value in this step; None where it has nothing to add (logged as NaN)."""


class ModelPenalty(StepTerm):
    """`model.penalty()`: zero for most architectures, soft sharing's weighted L2 distance between encoders."""

    name = "penalty"

    def __call__(self, model: MultiTaskModel, forwarded: list[Forwarded]) -> Tensor:
        return model.penalty()


class AdversarialLoss(StepTerm):
    """The discriminator's cross entropy over the step's texts, each batch against its true task.

    Added with weight 1: the gradient reversal layer already scales what reaches the shared
    encoder by lambda (`TrainConfig.adversarial_weight` and its schedule).
    """

    name = "adversarial_loss"

    def __call__(self, model: MultiTaskModel, forwarded: list[Forwarded]) -> Tensor | None:
        losses = [adversarial_loss(logits.float(), model.task_index(step.task))
                  for step in forwarded for logits in step.task_logits]
        return torch.stack(losses).mean() if losses else None


class DifferenceLoss(StepTerm):
    """Liu et al.'s orthogonality constraint between the shared and the private features, times gamma."""

    name = "difference_loss"

    def __init__(self, weight: float):
        self.weight = weight

    def __call__(self, model: MultiTaskModel, forwarded: list[Forwarded]) -> Tensor | None:
        losses = [difference_loss(step.output.shared_features.float(), step.output.private_features.float())
                  for step in forwarded
                  if step.output.shared_features is not None and step.output.private_features is not None]
        return torch.stack(losses).mean() if losses else None


def default_terms(model: MultiTaskModel, difference_weight: float) -> list[StepTerm]:
    """The built-in terms for `model`: its penalty; with a discriminator, the adversarial loss; with
    `difference_weight` > 0, the difference loss."""
    terms: list[StepTerm] = [ModelPenalty()]
    if model.discriminator is not None:
        terms.append(AdversarialLoss())
    if difference_weight:
        terms.append(DifferenceLoss(difference_weight))
    return terms
