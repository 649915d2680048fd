"""Difference and adversarial losses, and the loss weightings."""

import pytest
import torch
import torch.nn.functional as F

from mtl_lib.errors import ConfigError, UnknownTaskError
from mtl_lib.losses import (
    WEIGHTINGS,
    EqualWeighting,
    FixedWeighting,
    PCGrad,
    UncertaintyWeighting,
    adversarial_loss,
    difference_loss,
    discriminator_accuracy,
    feature_correlations,
    make_weighting,
)

# Three zero-mean columns over a batch of 4, orthogonal to each other.
U1 = torch.tensor([1.0, 1.0, -1.0, -1.0])
U2 = torch.tensor([1.0, -1.0, 1.0, -1.0])
U3 = torch.tensor([1.0, -1.0, -1.0, 1.0])


def batchwise_difference(shared: torch.Tensor, private: torch.Tensor) -> torch.Tensor:
    """The ||S H^T||_F^2 variant: every text's shared vector against every text's private one."""
    return (shared @ private.T).pow(2).sum()


def test_feature_correlations_are_one_for_identical_and_zero_for_orthogonal_features():
    features = torch.randn(32, 5, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(feature_correlations(features, 3 * features + 1).diagonal(), torch.ones(5))
    shared = torch.stack([U1, U2], dim=1)  # (batch 4, 2 features)
    private = U3.unsqueeze(1)  # (batch 4, 1 feature): uncorrelated with both shared features
    assert torch.allclose(feature_correlations(shared, private), torch.zeros(2, 1), atol=1e-6)


def test_difference_loss_is_one_for_copies_and_ignores_scale():
    feature = torch.randn(16, 1, generator=torch.Generator().manual_seed(0))
    copies = feature.repeat(1, 4)  # (16, 4): four copies of one feature
    assert difference_loss(copies, copies).item() == pytest.approx(1.0)
    features = torch.randn(16, 5, generator=torch.Generator().manual_seed(1))
    assert difference_loss(10 * features, 0.1 * features).item() == pytest.approx(
        difference_loss(features, features).item(), rel=1e-5)


def mean_difference_loss(batch: int, draws: int, dependence: float) -> float:
    """The mean of the loss over `draws` batches of one distribution: private = dependence * shared + noise."""
    generator = torch.Generator().manual_seed(batch)
    total = 0.0
    for _ in range(draws):
        shared = torch.randn(batch, 8, generator=generator)
        private = dependence * shared + torch.randn(batch, 8, generator=generator)
        total += difference_loss(shared, private).item()
    return total / draws


@pytest.mark.parametrize("dependence", [0.0, 1.0])
def test_difference_loss_does_not_depend_on_the_batch_size(dependence):
    # Features 0.7 correlated pair by pair (dependence 1), or independent (0): the same value
    # at batch 16 and at batch 256. The unnormalised ||S^T H||_F^2 grows 16-fold in between.
    small, large = mean_difference_loss(16, 400, dependence), mean_difference_loss(256, 25, dependence)
    assert small == pytest.approx(large, abs=0.01)
    expected = 0.5 / 8  # corr = 1/sqrt(2) on the 8 matched pairs out of 64: mean square 8 * 0.5 / 64
    assert large == pytest.approx(dependence * expected, abs=0.01)


def test_difference_loss_and_the_batchwise_variant_ask_different_things():
    # Features uncorrelated across the batch, yet texts' shared and private vectors overlap.
    shared = torch.stack([U1, U2], dim=1)
    private = torch.stack([U3, U3], dim=1)
    assert torch.allclose(feature_correlations(shared, private), torch.zeros(2, 2), atol=1e-6)
    assert batchwise_difference(shared, private).item() > 1.0

    # Every shared vector orthogonal to every private vector, yet the features correlate.
    zeros = torch.zeros(4)
    shared = torch.stack([U1, zeros], dim=1)  # all shared vectors along the first axis
    private = torch.stack([zeros, U1], dim=1)  # all private vectors along the second
    assert batchwise_difference(shared, private).item() == 0.0
    assert feature_correlations(shared, private)[0, 1].item() == pytest.approx(1.0)


def test_difference_loss_of_a_batch_too_small_to_correlate_is_zero():
    assert difference_loss(torch.randn(2, 3), torch.randn(2, 3)).item() == 0.0


def test_adversarial_loss_and_accuracy_compare_with_the_true_task():
    task_logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert discriminator_accuracy(task_logits, 0) == 0.5
    for task_index in range(3):
        true_tasks = torch.full((4,), task_index)
        expected = F.cross_entropy(task_logits, true_tasks)
        assert torch.allclose(adversarial_loss(task_logits, task_index), expected)


def test_equal_and_fixed_weighting():
    losses = {"Reuters": torch.tensor(2.0), "Daily Mail": torch.tensor(3.0)}
    assert EqualWeighting().combine(losses).item() == 5.0
    fixed = FixedWeighting({"Reuters": 0.5, "Daily Mail": 2.0})
    assert fixed.combine(losses).item() == 0.5 * 2 + 2.0 * 3
    assert fixed.weights() == {"Reuters": 0.5, "Daily Mail": 2.0}
    with pytest.raises(UnknownTaskError, match="'BBC' is not a task.*Reuters, Daily Mail"):
        fixed.combine({"BBC": torch.tensor(1.0)})
    with pytest.raises(ConfigError, match="weights\\['Reuters'\\]"):
        FixedWeighting({"Reuters": -1.0})


def test_default_backward_adds_the_extra_loss():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    losses = {"Reuters": (w**2).sum(), "Daily Mail": w.sum()}
    total = EqualWeighting().backward(losses, extra_loss=3 * w[0], parameters=[w])
    assert total.item() == 5.0 + 3.0 + 3.0
    assert torch.equal(w.grad, torch.tensor([2.0 + 1 + 3, 4.0 + 1]))


def test_uncertainty_weighting_gradient_matches_the_formula():
    weighting = UncertaintyWeighting(["Reuters", "Daily Mail"])
    with torch.no_grad():
        weighting.log_variances.copy_(torch.tensor([0.3, -0.7]))
    losses = {"Reuters": torch.tensor(2.0), "Daily Mail": torch.tensor(0.5)}
    total = weighting.combine(losses)
    s, task_loss = torch.tensor([0.3, -0.7]), torch.tensor([2.0, 0.5])
    assert total.item() == pytest.approx((torch.exp(-s) * task_loss + s).sum().item())
    total.backward()
    # d/ds_t [exp(-s_t) L_t + s_t] = 1 - exp(-s_t) L_t
    assert torch.allclose(weighting.log_variances.grad, 1 - torch.exp(-s) * task_loss)
    expected_weights = torch.exp(-s).tolist()
    assert weighting.weights() == pytest.approx(dict(zip(["Reuters", "Daily Mail"], expected_weights)))
    assert len(list(weighting.parameters())) == 1  # the optimizer must be given it


def test_pcgrad_projects_conflicting_gradients_apart():
    shared = torch.zeros(2, requires_grad=True)
    head = torch.zeros(1, requires_grad=True)  # not shared: gets its plain gradient
    g1, g2 = torch.tensor([1.0, 0.0]), torch.tensor([-2.0, 1.0])  # g1 . g2 = -2: they conflict
    losses = {"Reuters": g1 @ shared + 2 * head.sum(), "Daily Mail": g2 @ shared}
    extra = torch.tensor([0.25, 0.25]) @ shared
    PCGrad().backward(losses, extra, parameters=[shared])

    projected_sum = shared.grad - torch.tensor([0.25, 0.25])  # the extra loss goes unprojected
    # g1 loses its part along g2: (0.2, 0.4); g2 loses its part along g1: (0, 1).
    assert torch.allclose(projected_sum, torch.tensor([0.2, 1.4]))
    assert projected_sum @ g1 >= 0 and projected_sum @ g2 >= 0
    assert (g1 + g2) @ g1 < 0  # the plain sum would have undone task 1's progress
    assert torch.equal(head.grad, torch.tensor([2.0]))


def test_pcgrad_with_one_task_is_plain_backward():
    generator = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 2))
    inputs = torch.randn(5, 4, generator=generator)

    def loss() -> torch.Tensor:
        return model(inputs).pow(2).mean()

    model.zero_grad()
    shared = list(model[0].parameters())
    PCGrad().backward({"Reuters": loss()}, extra_loss=model[0].weight.sum(), parameters=shared)
    with_pcgrad = [parameter.grad.clone() for parameter in model.parameters()]
    model.zero_grad()
    (loss() + model[0].weight.sum()).backward()
    assert all(torch.equal(a, parameter.grad) for a, parameter in zip(with_pcgrad, model.parameters()))


def test_make_weighting_builds_each_method_and_names_the_valid_ones():
    tasks = ["Reuters", "Daily Mail"]
    assert isinstance(make_weighting("pcgrad", tasks, seed=1), PCGrad)
    assert make_weighting("equal", tasks).weights() == {"Reuters": 1.0, "Daily Mail": 1.0}
    assert make_weighting("uncertainty", tasks).weights() == {"Reuters": 1.0, "Daily Mail": 1.0}
    fixed = make_weighting("fixed", tasks, weights={"Reuters": 1, "Daily Mail": 3})
    assert fixed.weights() == {"Reuters": 1.0, "Daily Mail": 3.0}
    with pytest.raises(ConfigError, match="missing: Daily Mail"):
        make_weighting("fixed", tasks, weights={"Reuters": 1.0})
    with pytest.raises(ConfigError, match=f"weightings are: {', '.join(WEIGHTINGS)}"):
        make_weighting("gradnorm", tasks)


def test_uncertainty_weighting_learns_the_inverse_of_each_fixed_loss():
    losses = {"noisy": torch.tensor(2.0), "easy": torch.tensor(0.25)}
    weighting = UncertaintyWeighting(losses)
    optimizer = torch.optim.Adam(weighting.parameters(), lr=0.05)
    for _ in range(1500):
        optimizer.zero_grad()
        weighting.combine(losses).backward()
        optimizer.step()
    assert weighting.weights() == pytest.approx({"noisy": 1 / 2.0, "easy": 1 / 0.25}, rel=1e-3)


THREE_CONFLICTING = [torch.tensor([1.0, 0.0]), torch.tensor([-0.6, 0.8]), torch.tensor([-0.6, -0.7])]


def pcgrad_update(weighting: PCGrad) -> list[float]:
    theta = torch.zeros(2, requires_grad=True)
    losses = {task: gradient @ theta for task, gradient in zip("abc", THREE_CONFLICTING)}
    weighting.backward(losses, torch.zeros(()), parameters=[theta])
    return theta.grad.tolist()


def test_pcgrad_draws_its_projection_orders_from_the_run_seed():
    updates = {}
    for seed in range(6):
        torch.manual_seed(seed)  # what seed_everything(config.seed) does first
        updates[seed] = pcgrad_update(PCGrad())
        torch.manual_seed(seed)
        assert pcgrad_update(PCGrad()) == updates[seed], "the same seed draws the same orders"
        assert pcgrad_update(PCGrad(seed=seed)) == updates[seed], "an explicit seed draws as the run's seed does"
    assert len({tuple(update) for update in updates.values()}) > 1, "other seeds, other orders"
