"""Chapter 04: the gradient reversal layer, and the difference loss that keeps shared and private apart."""

from collections.abc import Callable

import torch
import torch.nn.functional as F

from mtl_lib.exercises.feedback import Feedback, answered_by, as_number, attempt, close, hint_for, mismatch, returned
from mtl_lib.losses import difference_loss, feature_correlations
from mtl_lib.models.layers import GradientReversal, grad_reverse


def _reversal_gradient(function: Callable, x: torch.Tensor, scale: float, upstream: torch.Tensor):
    """`function(x, scale)` and the gradient that reaches x when `upstream` comes back from above it."""
    leaf = x.clone().requires_grad_(True)
    result = attempt(function, leaf, scale)
    if not isinstance(result, torch.Tensor) or result.shape != x.shape or not result.requires_grad:
        return result, leaf, None
    (gradient,) = torch.autograd.grad(result, leaf, upstream.to(result.dtype), allow_unused=True)
    return result, leaf, gradient


@answered_by(grad_reverse, GradientReversal)
def check_gradient_reversal(function: Callable[[torch.Tensor, float], torch.Tensor]) -> Feedback:
    """Check `function(x, scale) -> torch.Tensor`: the gradient reversal layer.

    On the way forward it returns x unchanged; on the way back it multiplies the gradient
    that reaches it by -scale. A `torch.autograd.Function` does it: `forward` returns
    `x.view_as(x)`, `backward` returns `-scale * grad_output` (and None for `scale`).
    """
    generator = torch.Generator().manual_seed(0)
    cases = [(f"scale {scale}", torch.randn(2, 3, generator=generator), scale, torch.randn(2, 3, generator=generator))
             for scale in (1.0, 0.5, 2.5)]
    for name, x, scale, upstream in cases:
        result, leaf, gradient = _reversal_gradient(function, x, scale, upstream)
        if isinstance(result, Feedback):
            return result
        if not isinstance(result, torch.Tensor) or result.shape != x.shape:
            return returned(name, result, f"a tensor shaped like x, {tuple(x.shape)}")
        if not torch.equal(leaf.detach(), x):
            return Feedback(False, f"with {name}, your function changed x in place; the forward pass must leave "
                                   "x as it is and return it unchanged (x.view_as(x)).")
        if not close(result, x):
            hint = ("You negated the forward pass: forward is the identity, only the gradient is reversed."
                    if close(result, -x) else "Forward is the identity: return x.view_as(x).")
            return mismatch(name, "your forward output is", result, x, hint)
        _, _, expected = _reversal_gradient(grad_reverse, x, scale, upstream)
        if gradient is None:
            return Feedback(False, f"with {name}, no gradient reaches x through your layer: do not detach it; "
                                   "in a torch.autograd.Function, backward returns -scale * grad_output.")
        if not close(gradient, expected):
            mistakes = [(upstream, "The gradient flows through unreversed, as through a plain `return x`: "
                                   "multiply it by -scale in the backward pass of a torch.autograd.Function."),
                        (-upstream, "The sign is flipped but the scale is missing: multiply by -scale."),
                        (scale * upstream, "The gradient is scaled but not reversed: multiply by -scale.")]
            return mismatch(name, "the gradient reaching x is", gradient, expected,
                            hint_for(gradient, mistakes, "backward must return -scale * grad_output."))
    return Feedback(True, "your layer passes x forward unchanged and sends back -scale times the gradient, "
                          "as mtl_lib's grad_reverse does.")


@answered_by(difference_loss, feature_correlations)
def check_difference_loss(function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> Feedback:
    """Check `function(shared, private) -> torch.Tensor`: the difference (orthogonality) loss.

    `shared` is (batch, ds), `private` (batch, dp), features of the same texts. The expected
    value is `mtl_lib.losses.difference_loss`: not the paper's raw ||S^T H||^2 but a normalised
    form. Centre each feature (column) over the batch and scale it to unit length, so S^T H holds
    correlations r; then average 1 - (1 - r^2) (n - 1) / (n - 2) over all ds * dp pairs, which
    removes the squared correlation that n texts show by chance. Fewer than 3 texts give 0.
    Return a scalar tensor that carries the gradient back to both inputs.
    """
    generator = torch.Generator().manual_seed(0)
    shared, private = torch.randn(10, 4, generator=generator), torch.randn(10, 3, generator=generator)
    cases = [("independent features of 10 texts", shared, private),
             ("private features that copy shared ones, rescaled", shared, 3 * shared[:, [0, 1, 1]] + 2),
             ("the same shared features times 10 plus 5", 10 * shared + 5, private),
             ("a batch of two texts", shared[:2], private[:2])]
    for name, shared, private in cases:
        inputs = (shared.clone().requires_grad_(True), private.clone().requires_grad_(True))
        result = attempt(function, *inputs)
        if isinstance(result, Feedback):
            return result
        loss, expected = as_number(result), difference_loss(shared, private)
        if not isinstance(result, torch.Tensor) or loss is None:
            return returned(name, result, "one scalar tensor (0-dimensional), so that it can be backpropagated")
        if not close(result, expected):
            correlations = feature_correlations(shared, private)
            mistakes = [((shared.T @ private).pow(2).sum(),
                         "That is the paper's raw ||S^T H||_F^2, which grows with the batch and the features' "
                         "scale; centre each feature, scale it to unit length, and average the squared correlations."),
                        (correlations.pow(2).mean(),
                         "Those are plain mean squared correlations; remove the chance level: average "
                         "1 - (1 - r^2) (n - 1) / (n - 2)."),
                        ((F.normalize(shared, dim=1).T @ F.normalize(private, dim=1)).pow(2).mean(),
                         "You scaled each text (row) to unit length; scale each feature (column), after "
                         "centring it over the batch.")]
            return mismatch(name, "your difference loss is", loss, expected.item(), hint_for(
                loss, mistakes, "The loss is the mean over pairs of 1 - (1 - r^2) (n - 1) / (n - 2), r the "
                                "correlations of centred, unit-length features; 0 below 3 texts."))
        if len(shared) >= 3 and not result.requires_grad:
            return Feedback(False, f"with {name}, your loss carries no gradient to the features; build it from "
                                   "torch operations on shared and private (no .item(), no NumPy).")
    return Feedback(True, "your loss is difference_loss: mean squared correlation of centred, unit-length "
                          "features, corrected for chance, the same at any scale of the features.")
