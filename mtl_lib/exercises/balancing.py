"""Chapter 03: two ways to balance tasks, uncertainty weighting and PCGrad's projection of conflicting gradients."""

from collections.abc import Callable

import torch

from mtl_lib.exercises.feedback import Feedback, answered_by, attempt, close, hint_for, mismatch, returned
from mtl_lib.losses import UncertaintyWeighting


def uncertainty_loss(losses: torch.Tensor, log_variances: torch.Tensor) -> torch.Tensor:
    """The reference: sum over tasks of exp(-s_t) L_t + s_t, the form of `UncertaintyWeighting.combine`."""
    return (torch.exp(-log_variances) * losses + log_variances).sum()


def _library_uncertainty_loss(losses: torch.Tensor, log_variances: torch.Tensor) -> torch.Tensor:
    """`UncertaintyWeighting.combine` with its log-variances set to `log_variances`."""
    tasks = [f"task {t}" for t in range(len(losses))]
    weighting = UncertaintyWeighting(tasks)
    with torch.no_grad():
        weighting.log_variances.copy_(log_variances)
    return weighting.combine(dict(zip(tasks, losses))).detach()


@answered_by(uncertainty_loss)
def check_uncertainty_loss(function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Feedback:
    """Check `function(losses, log_variances) -> torch.Tensor`: uncertainty weighting's total loss.

    `losses` and `log_variances` are (tasks,) tensors, L_t and s_t. Return one scalar tensor,
    sum over tasks of exp(-s_t) * L_t + s_t: the form of the library's `UncertaintyWeighting`
    (Kendall et al.'s 1/(2 sigma^2) L + log sigma, times 2, with s = log sigma^2). Its promise:
    minimising over s_t sets each task's weight exp(-s_t) to 1 / L_t.
    """
    losses = torch.tensor([0.7, 2.0, 0.1])
    cases = [("three tasks, every log-variance 0", losses, torch.tensor([0.0, 0.0, 0.0])),
             ("three tasks, log-variances 0.5, -1 and 2", losses, torch.tensor([0.5, -1.0, 2.0])),
             ("three other losses", torch.tensor([1.5, 0.2, 3.0]), torch.tensor([1.0, -0.5, 0.3]))]
    for name, task_losses, log_variances in cases:
        result = attempt(function, task_losses.clone(), log_variances.clone())
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, torch.Tensor) or result.numel() != 1:
            return returned(name, result, "one scalar tensor (0-dimensional), so that it can be backpropagated")
        expected = _library_uncertainty_loss(task_losses, log_variances)
        if not close(result, expected):
            mistakes = [((torch.exp(-log_variances) * task_losses).sum(),
                         "The + s_t term is missing: without it the loss falls by raising every s_t, until "
                         "every weight is 0."),
                        ((torch.exp(log_variances) * task_losses + log_variances).sum(),
                         "Weight each loss by exp(-s_t), the inverse of the variance, not exp(s_t)."),
                        (expected / 2, "That is the paper's 1/(2 sigma^2) L + log sigma form; the library "
                                       "uses twice it, exp(-s_t) L_t + s_t."),
                        (expected / len(task_losses), "Sum over the tasks, do not average.")]
            return mismatch(name, "your loss is", result, expected,
                            hint_for(result, mistakes, "The loss is sum over tasks of exp(-s_t) * L_t + s_t."))
    balanced = losses.log().requires_grad_(True)  # s_t = log L_t: each weight exp(-s_t) is 1 / L_t
    result = attempt(function, losses.clone(), balanced)
    if isinstance(result, Feedback):
        return result
    gradient = None
    if isinstance(result, torch.Tensor) and result.requires_grad:
        (gradient,) = torch.autograd.grad(result.sum(), balanced, allow_unused=True)
    if gradient is None:
        return Feedback(False, "your loss carries no gradient to log_variances, so they could never learn; "
                               "build it from torch operations on the tensors given (no .item(), no math.exp).")
    if not close(gradient, torch.zeros(3), 1e-4):
        return Feedback(False, f"at s_t = log L_t your loss's gradient with respect to s is {gradient.tolist()}; "
                               "it should be 0 there, where each weight exp(-s_t) is 1 / L_t.")
    return Feedback(True, "your loss is sum of exp(-s_t) L_t + s_t, as UncertaintyWeighting combines losses, "
                          "and it is stationary where each weight is 1 / L_t.")


def pcgrad_projection(gradient: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """The reference: `gradient` without its component along `other` if the two conflict, else unchanged."""
    conflict = gradient @ other
    if conflict >= 0:
        return gradient.clone()
    return gradient - conflict / (other @ other) * other  # onto the plane normal to `other`


@answered_by(pcgrad_projection)
def check_pcgrad_projection(function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Feedback:
    """Check `function(gradient, other) -> torch.Tensor`: PCGrad's projection of one task's gradient.

    Both are flat (parameters,) gradients of two tasks. If they conflict (gradient . other < 0),
    return `gradient` minus its component along `other`, (g.o / o.o) o; otherwise return
    `gradient` unchanged. Leave both inputs as they were. The result never conflicts with `other`.
    """
    cases = [("gradients that conflict", torch.tensor([1.0, -2.0]), torch.tensor([0.0, 1.0])),
             ("gradients that agree", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 1.0])),
             ("conflicting gradients of four parameters", torch.tensor([3.0, -1.0, 0.5, 2.0]),
              torch.tensor([-1.0, 0.5, 2.0, -2.0])),
             ("gradients at a right angle", torch.tensor([1.0, 0.0]), torch.tensor([0.0, 3.0]))]
    for name, gradient, other in cases:
        given = (gradient.clone(), other.clone())
        result = attempt(function, *given)
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, torch.Tensor) or result.shape != gradient.shape:
            return returned(name, result, f"a tensor shaped like the gradient, {tuple(gradient.shape)}")
        if not (torch.equal(given[0], gradient) and torch.equal(given[1], other)):
            return Feedback(False, f"with {name}, your function changed its inputs in place; work on a copy "
                                   "(gradient.clone()), so that PCGrad can still project the other tasks' gradients.")
        conflict = float(result.detach().double() @ other.double())
        if conflict < -1e-5:
            return Feedback(False, f"with {name}, your result still conflicts with other: their dot product is "
                                   f"{conflict:.4g} < 0. Remove from gradient all of its "
                                   "component along other, (gradient . other) / (other . other) * other.")
        expected = pcgrad_projection(gradient, other)
        if not close(result, expected):
            always = gradient - (gradient @ other) / (other @ other) * other
            mistakes = [(always, "You projected gradients that do not conflict: project only when "
                                 "gradient . other < 0, and return the gradient unchanged otherwise."),
                        (pcgrad_projection(other, gradient), "You projected `other`; remove the conflicting "
                                                             "component from `gradient`, along `other`."),
                        (gradient - (gradient @ other) / other.norm() * other,
                         "Divide by other . other, the squared length, not the length.")]
            return mismatch(name, "your projected gradient is", result, expected, hint_for(
                result, mistakes, "Subtract (gradient . other) / (other . other) * other when they conflict."))
    return Feedback(True, "your projection removes a conflicting component, leaves an agreeing gradient alone, "
                          "and never conflicts with the other task.")
