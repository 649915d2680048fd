"""Losses of multi-task training: the extra terms of ASP-MTL, and how task losses combine.

Liu et al. (2017) train ASP-MTL on task loss + adversarial loss + gamma * difference
loss, where lambda scales the adversarial gradient the shared encoder receives through
gradient reversal (not the loss itself). The first two functions here are the extra
terms. The rest are loss weightings: one small class per method behind one interface,
`LossWeighting`, that sees losses and parameters but never the model.

`WEIGHTINGS` is the registry of weightings by name (`mtl_lib.registry`): a builder takes
the task names and the weighting's options, `builder(task_names, **options)`, so a class
of your own joins with `@WEIGHTINGS.register("name")` over a `LossWeighting` subclass
whose `__init__(self, task_names, ...)` takes them.
"""

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mtl_lib.errors import ConfigError, UnknownTaskError
from mtl_lib.registry import Registry


def feature_correlations(shared: Tensor, private: Tensor) -> Tensor:
    """The Pearson correlation, across the batch, of every shared feature with every private one.

    `shared` S is (batch, ds), `private` H is (batch, dp), both for the same texts. Each
    feature (column) is centred over the batch and scaled to unit length, so entry (i, j) of
    the (ds, dp) result is corr(S[:, i], H[:, j]), in [-1, 1] whatever the batch size. A
    feature that is constant over the batch correlates with nothing: its entries are 0.
    """
    shared = F.normalize(shared - shared.mean(dim=0), dim=0)  # (batch, ds), unit-length columns
    private = F.normalize(private - private.mean(dim=0), dim=0)  # (batch, dp)
    return shared.T @ private  # (ds, dp)


def difference_loss(shared: Tensor, private: Tensor) -> Tensor:
    """Liu et al.'s (2017) orthogonality constraint, as a mean squared correlation.

    The paper's L_diff = ||S^T H||_F^2 uses raw features, so its value grows with the batch
    and with the features' scale. Here S^T H holds true correlations (`feature_correlations`),
    and the loss is their mean square over all ds * dp pairs: 1 when every private feature
    is a copy of every shared one, about 0 on average for independent features (see below:
    a batch with no correlation at all, r = 0 everywhere, reads -1 / (n - 2)). Bousmalis et al.'s (2016)
    code scales each *row* (text) to unit length instead, and averages; its entries are sums
    over the batch, so that loss grows with the square of the batch size.

    Even for independent features, a sample of n texts shows squared correlations of about
    1 / (n - 1) by chance. The loss removes that excess, as the adjusted R^2 does:
    1 - (1 - r^2) (n - 1) / (n - 2) per pair, so it averages 0 for independent features at any
    batch size (single batches may read slightly below 0). Its gradient is the plain mean
    square's times (n - 1) / (n - 2). Batches of fewer than 3 texts give 0.
    """
    batch = shared.size(0)
    if batch < 3:
        return shared.new_zeros(())
    squared = feature_correlations(shared, private).pow(2)  # (ds, dp)
    adjusted = 1 - (1 - squared) * (batch - 1) / (batch - 2)
    return adjusted.mean()


def adversarial_loss(task_logits: Tensor, task_index: int) -> Tensor:
    """Cross entropy of the discriminator's `task_logits` (batch, num_tasks) against the true task.

    Every text of the batch comes from task `task_index`. Minimised by the discriminator;
    through gradient reversal the shared encoder maximises it.
    """
    true_tasks = torch.full((task_logits.size(0),), task_index, dtype=torch.long, device=task_logits.device)
    return F.cross_entropy(task_logits, true_tasks)


def discriminator_accuracy(task_logits: Tensor, task_index: int) -> float:
    """How often the discriminator names the true task.

    Its chance level is not 1 / num_tasks but the largest task's share of the training
    steps (`Trainer.discriminator_chance`): always naming that task scores that much.
    """
    return (task_logits.argmax(dim=1) == task_index).float().mean().item()


def _unknown_task(task: str, task_names: Iterable[str]) -> UnknownTaskError:
    return UnknownTaskError(f"{task!r} is not a task of this weighting; tasks are: {', '.join(task_names)}")


class LossWeighting(nn.Module, ABC):
    """How the losses of several tasks become one training signal.

    `combine` turns {task: loss} into one scalar; `backward` runs the backward pass of a
    step (gradient methods such as PCGrad override it); `weights` reports each task's
    current weight, for logging and plots.
    """

    needs_several_tasks = False  # True: acts only on steps with two or more tasks' losses (Trainer checks)

    @abstractmethod
    def combine(self, task_losses: Mapping[str, Tensor]) -> Tensor:
        """One scalar loss from the loss of each task."""

    def backward(
        self, task_losses: Mapping[str, Tensor], extra_loss: Tensor, parameters: Sequence[nn.Parameter]
    ) -> Tensor:
        """Fill `.grad` for this step's loss, combine(task_losses) + extra_loss, and return it detached.

        `extra_loss` holds the terms that are not task losses (adversarial, difference,
        `model.penalty()`); `parameters` are the model's shared ones, which only gradient
        methods look at.
        """
        total = self.combine(task_losses) + extra_loss
        total.backward()
        return total.detach()

    @abstractmethod
    def weights(self) -> dict[str, float]:
        """The current weight of each task."""


WEIGHTINGS = Registry("weighting", LossWeighting, "mtl_lib.losses.WEIGHTINGS")


@WEIGHTINGS.register("equal")
class EqualWeighting(LossWeighting):
    """The sum of the task losses, each weighted 1.

    With one task per step (each batch drawn from one task) it is that task's plain loss.
    `task_names`, if given, are the tasks that `weights()` lists.
    """

    def __init__(self, task_names: Iterable[str] = ()):
        super().__init__()
        self.task_names = list(task_names)

    def combine(self, task_losses: Mapping[str, Tensor]) -> Tensor:
        return torch.stack(list(task_losses.values())).sum()

    def weights(self) -> dict[str, float]:
        return {task: 1.0 for task in self.task_names}


class FixedWeighting(LossWeighting):
    """A weight per task, chosen by hand: `FixedWeighting({"Reuters": 1.0, "Daily Mail": 0.5})`."""

    def __init__(self, weights: Mapping[str, float]):
        super().__init__()
        if not weights:
            raise ConfigError("weights is empty; give one weight per task, {task: weight}")
        for task, weight in weights.items():
            if not isinstance(weight, numbers.Real) or not 0 <= weight < float("inf"):
                raise ConfigError(f"weights[{task!r}] must be a finite number >= 0; got {weight!r}")
        self.task_weights = {task: float(weight) for task, weight in weights.items()}

    def combine(self, task_losses: Mapping[str, Tensor]) -> Tensor:
        for task in task_losses:
            if task not in self.task_weights:
                raise _unknown_task(task, self.task_weights)
        return torch.stack([self.task_weights[task] * loss for task, loss in task_losses.items()]).sum()

    def weights(self) -> dict[str, float]:
        return dict(self.task_weights)


@WEIGHTINGS.register("uncertainty")
class UncertaintyWeighting(LossWeighting):
    """Kendall, Gal & Cipolla (2018): each task's weight learned from its noise.

    Each task t has a learned log-variance s_t, and the loss is sum_t exp(-s_t) L_t + s_t:
    a noisy task (large L_t) gains by raising s_t, which lowers its weight exp(-s_t),
    while the + s_t term stops every weight falling to zero. At the best s_t for a fixed
    loss the weight is exp(-s_t) = 1 / L_t. This is the common simplified form, twice
    Kendall et al.'s regression form L_t / (2 sigma_t^2) + log sigma_t. Their form for a
    classification task, exp(-s_t) L_t + s_t / 2, has its best weight at 1 / (2 L_t): the
    same ratios between the tasks, every weight halved, so one form serves every task here.
    This weighting has parameters: move it to the model's device and give its parameters
    to the optimizer, `Adam([*model.parameters(), *weighting.parameters()])`.
    """

    def __init__(self, task_names: Iterable[str]):
        super().__init__()
        self.task_names = list(task_names)
        if not self.task_names:
            raise ConfigError("task_names is empty; uncertainty weighting learns one weight per task")
        self.log_variances = nn.Parameter(torch.zeros(len(self.task_names)))  # s_t, one per task

    def combine(self, task_losses: Mapping[str, Tensor]) -> Tensor:
        weighted = []
        for task, loss in task_losses.items():
            if task not in self.task_names:
                raise _unknown_task(task, self.task_names)
            log_variance = self.log_variances[self.task_names.index(task)]
            weighted.append(torch.exp(-log_variance) * loss + log_variance)
        return torch.stack(weighted).sum()

    def weights(self) -> dict[str, float]:
        task_weights = torch.exp(-self.log_variances.detach())  # exp(-s_t)
        return {task: weight.item() for task, weight in zip(self.task_names, task_weights)}


@WEIGHTINGS.register("pcgrad")
class PCGrad(LossWeighting):
    """Yu et al. (2020), "gradient surgery": task gradients that conflict are projected apart.

    For the shared parameters, each task's gradient g_i is compared with every other
    task's gradient g_j, in a random order; where they conflict (g_i . g_j < 0), the
    component of g_i along g_j is removed. The projected gradients are summed; all other
    parameters, and `extra_loss`, get their plain gradients. PCGrad only acts on a step that
    holds the losses of two or more tasks, so `Trainer` refuses it with one task per step.
    The orders are drawn from `seed`; None: the seed torch was seeded with
    (`seed_everything(config.seed)`), so each run's seed gives its own orders.
    `task_names`, if given, are the tasks that `weights()` lists.
    """

    needs_several_tasks = True

    def __init__(self, task_names: Iterable[str] = (), seed: int | None = None):
        super().__init__()
        self.task_names = list(task_names)
        self.generator = torch.Generator().manual_seed(torch.initial_seed() if seed is None else seed)

    def get_extra_state(self) -> Tensor:
        """The generator's state, kept in `state_dict()`: a resumed fit draws the orders it would have drawn."""
        return self.generator.get_state()

    def set_extra_state(self, state: Tensor) -> None:
        self.generator.set_state(state)

    def combine(self, task_losses: Mapping[str, Tensor]) -> Tensor:
        return torch.stack(list(task_losses.values())).sum()

    def weights(self) -> dict[str, float]:
        return {task: 1.0 for task in self.task_names}

    def backward(
        self, task_losses: Mapping[str, Tensor], extra_loss: Tensor, parameters: Sequence[nn.Parameter]
    ) -> Tensor:
        parameters = [parameter for parameter in parameters if parameter.requires_grad]
        if not parameters:  # nothing shared (a SingleTask model): nothing to project
            return super().backward(task_losses, extra_loss, parameters)
        task_gradients = [_flat_gradient(loss, parameters) for loss in task_losses.values()]  # (num_shared,)
        projected = [self._project(i, task_gradients) for i in range(len(task_gradients))]

        total = self.combine(task_losses) + extra_loss
        total.backward()  # plain gradients everywhere: sum of task gradients + extra_loss's
        # On the shared parameters, swap the plain sum of task gradients for the projected one.
        correction = torch.stack(projected).sum(dim=0) - torch.stack(task_gradients).sum(dim=0)
        for parameter, delta in zip(parameters, correction.split([p.numel() for p in parameters])):
            if parameter.grad is not None:
                parameter.grad += delta.view_as(parameter)
        return total.detach()

    def _project(self, i: int, task_gradients: list[Tensor]) -> Tensor:
        """Task i's gradient with its conflicts with the other tasks' gradients removed."""
        gradient = task_gradients[i].clone()
        order = torch.randperm(len(task_gradients), generator=self.generator).tolist()
        for other in [task_gradients[j] for j in order if j != i]:
            conflict = gradient @ other
            if conflict < 0:
                gradient -= conflict / other.pow(2).sum() * other  # onto the plane normal to `other`
        return gradient


def _flat_gradient(loss: Tensor, parameters: Sequence[nn.Parameter]) -> Tensor:
    """d loss / d parameters as one flat vector, zeros for parameters the loss does not use."""
    gradients = torch.autograd.grad(loss, parameters, retain_graph=True, allow_unused=True)
    return torch.cat(
        [
            (torch.zeros_like(parameter) if gradient is None else gradient).reshape(-1)
            for parameter, gradient in zip(parameters, gradients)
        ]
    )


@WEIGHTINGS.register("fixed")
def fixed_weighting(task_names: Iterable[str], weights: Mapping[str, float] | None = None) -> FixedWeighting:
    """`FixedWeighting(weights)`, refused unless `weights` gives every one of `task_names` its weight."""
    missing = [task for task in task_names if task not in (weights or {})]
    if missing:
        raise ConfigError(f'"fixed" weighting needs weights={{task: weight}} for every task; missing: {", ".join(missing)}')
    return FixedWeighting(weights)


def make_weighting(name: str, task_names: Iterable[str], **options) -> LossWeighting:
    """The loss weighting registered as `name` (one of WEIGHTINGS, yours too) for `task_names`.

    `options` go to the method: `weights={task: weight}` for "fixed" (one per task),
    `seed` for "pcgrad".

    >>> make_weighting("uncertainty", ["Reuters", "Daily Mail"]).weights()
    {'Reuters': 1.0, 'Daily Mail': 1.0}
    """
    return WEIGHTINGS.build(name, list(task_names), **options)
