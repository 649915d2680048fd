"""Chapter 05: integrated gradients of a function of a vector, and their promise of completeness."""

from collections.abc import Callable

import torch

from mtl_lib.exercises.feedback import Feedback, answered_by, attempt, close, hint_for, mismatch, returned

Scalar = Callable[[torch.Tensor], torch.Tensor]


def path_integrated_gradients(f: Scalar, x: torch.Tensor, baseline: torch.Tensor, steps: int) -> torch.Tensor:
    """The reference: (x - x') times the mean gradient of f at the midpoints of `steps` pieces of the path.

    The midpoint Riemann sum that `mtl_lib.attributions.integrated_gradients` uses.
    """
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps  # (steps,) midpoints in (0, 1)
    gradient_sum = torch.zeros_like(x)
    for alpha in alphas:
        point = (baseline + alpha * (x - baseline)).detach().requires_grad_(True)
        (gradient,) = torch.autograd.grad(f(point), point)
        gradient_sum += gradient
    return (x - baseline) * gradient_sum / steps


def _linear(x: torch.Tensor) -> torch.Tensor:
    return (torch.tensor([1.0, -2.0, 0.5]) * x).sum(-1)


def _smooth(x: torch.Tensor) -> torch.Tensor:
    return torch.tanh(x[..., 0] * x[..., 1]) + torch.sin(x[..., 2]) + x[..., 0] ** 3 / 3


@answered_by(path_integrated_gradients)
def check_integrated_gradients(function: Callable[[Scalar, torch.Tensor, torch.Tensor, int], torch.Tensor]
                               ) -> Feedback:
    """Check `function(f, x, baseline, steps) -> torch.Tensor`: integrated gradients, shaped like x.

    `f` maps a vector (dim,) to a scalar tensor; `x` and `baseline` are (dim,). Attribution
    i is (x_i - baseline_i) times the mean of df/dx_i over the straight path from baseline to
    x, taken at the midpoints alpha = (k + 0.5) / steps, k = 0 .. steps - 1, as
    `mtl_lib.attributions` does. Promise (completeness): the attributions add up to
    f(x) - f(baseline), exactly for a linear f, nearly for a smooth f with many steps.
    """
    x, baseline = torch.tensor([1.0, 2.0, -1.5]), torch.tensor([0.5, -1.0, 0.5])
    cases = [("a linear f, a zero baseline, 4 steps", _linear, torch.zeros(3), 4),
             ("a linear f, a non-zero baseline, 4 steps", _linear, baseline, 4),
             ("a nonlinear f, 3 steps", _smooth, baseline, 3),
             ("a nonlinear f, 200 steps", _smooth, baseline, 200)]
    for name, f, start, steps in cases:
        result = attempt(function, f, x.clone(), start.clone(), steps)
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, torch.Tensor) or result.shape != x.shape:
            return returned(name, result, f"one attribution per entry of x, a tensor shaped {tuple(x.shape)}")
        expected = path_integrated_gradients(f, x, start, steps)
        mean_gradient = expected / (x - start)
        mistakes = [(mean_gradient, "Those are mean gradients: multiply them by (x - baseline)."),
                    (mean_gradient * x, "Multiply the mean gradient by (x - baseline), not by x.")]
        hint = hint_for(result, mistakes, "Average the gradient at the midpoints baseline + (k + 0.5) / steps "
                                          "* (x - baseline), then multiply by (x - baseline).")
        total, change = result.detach().sum().item(), (f(x) - f(start)).item()
        if (f is _linear or steps > 100) and abs(total - change) > 1e-3:
            return Feedback(False, f"with {name}, your attributions add up to {total:.4g}, but f(x) - f(baseline) "
                                   f"is {change:.4g}; integrated gradients are complete, they add up to it. {hint}")
        if not close(result, expected, 1e-4):
            return mismatch(name, "your attributions are", result, expected, hint)
    return Feedback(True, "your attributions follow the midpoint rule along the straight path, and they add up "
                          "to f(x) - f(baseline).")
