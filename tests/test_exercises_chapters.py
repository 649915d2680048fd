"""The chapters' exercise checkers: references pass, typical mistakes are named, the library agrees."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score

import mtl_lib.exercises as exercises
from mtl_lib import EncoderConfig, build_model
from mtl_lib.attributions import channel_logits, integrated_gradients
from mtl_lib.data import pad_collate
from mtl_lib.data.batching import TemperatureSampler
from mtl_lib.data.splits import grouped_split
from mtl_lib.exercises import (check_difference_loss, check_freeze, check_gradient_reversal,
                               check_integrated_gradients, check_macro_f1, check_paired_difference,
                               check_pcgrad_projection, check_sampling_probabilities, check_story_split,
                               check_uncertainty_loss, pcgrad_projection, path_integrated_gradients, reference,
                               solution)
from mtl_lib.losses import PCGrad, feature_correlations

CHECKERS = [getattr(exercises, name) for name in exercises.__all__ if name.startswith("check_")]


def assert_named(feedback, *words):
    """The checker failed, and its message holds every one of `words`."""
    assert not feedback.passed, feedback
    for word in words:
        assert word in feedback.message, feedback


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda checker: checker.__name__)
def test_every_checker_passes_its_reference_and_shows_it_as_a_solution(checker):
    assert checker(reference(checker)).passed
    source = solution(checker)
    assert "def " in source and repr(source) == str(source)
    assert checker.__doc__.startswith("Check `function(")


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda checker: checker.__name__)
def test_a_crashing_function_gets_feedback_that_names_the_exception(checker):
    feedback = checker(lambda *args: 1 / 0)
    assert_named(feedback, "ZeroDivisionError")
    assert repr(feedback).startswith("Not yet: ")


@pytest.mark.parametrize("checker", [c for c in CHECKERS if c is not check_freeze], ids=lambda c: c.__name__)
def test_an_unsolved_exercise_is_told_what_to_return(checker):
    assert_named(checker(lambda *args: None), "returned None", "return ")


def test_solution_refuses_what_is_not_a_checker():
    with pytest.raises(TypeError, match="check_freeze"):
        solution(print)


# --- chapter 00 ---------------------------------------------------------------------------------

def test_the_librarys_grouped_split_passes_the_story_split_checker():
    def library(stories, test_share, seed):
        return grouped_split(pd.Series(stories), seed, (1 - test_share, 0.0, test_share)).tolist()

    assert check_story_split(library).passed


def test_story_split_mistakes_are_named():
    def by_row(stories, test_share, seed):
        rng = np.random.default_rng(seed)
        return ["test" if draw < test_share else "train" for draw in rng.random(len(stories))]

    def global_random(stories, test_share, seed):
        test = {story for story in set(stories) if np.random.random() < test_share}
        return ["test" if story in test else "train" for story in stories]

    def ignores_the_seed(stories, test_share, seed):
        distinct = sorted(set(stories))
        test = set(distinct[: round(test_share * len(distinct))])
        return ["test" if story in test else "train" for story in stories]

    def always_a_third(stories, test_share, seed):
        return exercises.story_split(stories, 1 / 3, seed)

    assert_named(check_story_split(by_row), "both splits", "split of its story")
    assert_named(check_story_split(global_random), "default_rng(seed)")
    assert_named(check_story_split(ignores_the_seed), "seeds 0 and 1 gave the same split")
    assert_named(check_story_split(always_a_third), "share of stories in test is 0.33")


# --- chapter 01 ---------------------------------------------------------------------------------

def test_scikit_learns_macro_f1_over_the_label_names_passes():
    def sklearn_macro(true, predicted, names):
        return f1_score(true, predicted, labels=names, average="macro", zero_division=0)

    assert check_macro_f1(sklearn_macro).passed


def test_macro_f1_mistakes_are_named():
    def micro(true, predicted, names):
        return float(np.mean(np.array(true) == np.array(predicted)))

    def weighted(true, predicted, names):
        return f1_score(true, predicted, labels=names, average="weighted", zero_division=0)

    def predicted_only(true, predicted, names):
        return f1_score(true, predicted, labels=sorted(set(predicted)), average="macro")

    assert_named(check_macro_f1(micro), "micro average", "accuracy", "your macro-F1 is 0.6667; it should be 0.6556")
    assert_named(check_macro_f1(weighted), "weighted by each category")
    assert_named(check_macro_f1(predicted_only), "never predicted", "F1 0")


# --- chapter 02 ---------------------------------------------------------------------------------

def test_sampling_probability_mistakes_are_named():
    def power_t(sizes, temperature):
        return exercises.temperature_probabilities(sizes, 1 / temperature)

    def unnormalised(sizes, temperature):
        return {task: size ** (1 / temperature) for task, size in sizes.items()}

    def proportional(sizes, temperature):
        return exercises.temperature_probabilities(sizes, 1.0)

    assert_named(check_sampling_probabilities(power_t), "power T", "1/T")
    assert_named(check_sampling_probabilities(unnormalised), "sum to", "Divide each size^(1/T) by their sum")
    assert_named(check_sampling_probabilities(proportional), "temperature is missing")
    assert check_sampling_probabilities(lambda sizes, t: TemperatureSampler(t).probabilities(sizes)).passed


# --- chapter 03 ---------------------------------------------------------------------------------

def test_uncertainty_loss_mistakes_are_named():
    assert_named(check_uncertainty_loss(lambda L, s: (torch.exp(-s) * L).sum()), "+ s_t term is missing")
    assert_named(check_uncertainty_loss(lambda L, s: (torch.exp(s) * L + s).sum()), "exp(-s_t)")
    assert_named(check_uncertainty_loss(lambda L, s: (0.5 * torch.exp(-s) * L + 0.5 * s).sum()), "1/(2 sigma^2)")
    assert_named(check_uncertainty_loss(lambda L, s: (torch.exp(-s) * L + s).mean()), "do not average")
    assert_named(check_uncertainty_loss(lambda L, s: torch.tensor((torch.exp(-s) * L + s).detach().sum().item())),
                 "no gradient")


def test_pcgrad_projection_is_what_pcgrad_does_to_two_tasks():
    generator = torch.Generator().manual_seed(3)
    for _ in range(20):
        gradients = torch.randn(2, 5, generator=generator)
        parameter = torch.nn.Parameter(torch.zeros(5))
        losses = {"a": gradients[0] @ parameter, "b": gradients[1] @ parameter}  # d loss / d parameter = gradient
        PCGrad(["a", "b"]).backward(losses, parameter.sum() * 0, [parameter])
        by_hand = pcgrad_projection(gradients[0], gradients[1]) + pcgrad_projection(gradients[1], gradients[0])
        assert torch.allclose(parameter.grad, by_hand, atol=1e-6)


def test_pcgrad_projection_mistakes_are_named():
    def always(gradient, other):
        return gradient - (gradient @ other) / (other @ other) * other

    def in_place(gradient, other):
        if gradient @ other < 0:
            gradient -= (gradient @ other) / (other @ other) * other
        return gradient

    def half_way(gradient, other):
        return gradient - 0.5 * (gradient @ other).clamp(max=0) / (other @ other) * other

    assert_named(check_pcgrad_projection(always), "gradients that agree", "only when")
    assert_named(check_pcgrad_projection(lambda g, o: pcgrad_projection(o, g)), "You projected `other`")
    assert_named(check_pcgrad_projection(lambda g, o: g - (g @ o).clamp(max=0) / o.norm() * o), "squared length")
    assert_named(check_pcgrad_projection(in_place), "in place")
    assert_named(check_pcgrad_projection(half_way), "still conflicts")


# --- chapter 04 ---------------------------------------------------------------------------------

class NegatedForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return -x

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.scale * grad_output, None


class UnchangedBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class InPlaceForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.mul_(1.0 - scale)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.scale * grad_output, None


def test_gradient_reversal_mistakes_are_named():
    assert_named(check_gradient_reversal(lambda x, scale: -x), "negated the forward")
    assert_named(check_gradient_reversal(NegatedForward.apply), "negated the forward")
    assert_named(check_gradient_reversal(lambda x, scale: x), "unreversed", "return x")
    assert_named(check_gradient_reversal(UnchangedBackward.apply), "unreversed", "-scale")
    assert_named(check_gradient_reversal(InPlaceForward.apply), "in place")
    assert_named(check_gradient_reversal(lambda x, scale: x.detach()), "no gradient reaches x")
    assert_named(check_gradient_reversal(lambda x, scale: exercises.reference(check_gradient_reversal)(x, 1.0)),
                 "scale 0.5", "scale is missing")


def test_difference_loss_mistakes_are_named():
    def unadjusted(shared, private):
        return feature_correlations(shared, private).pow(2).mean()

    def by_rows(shared, private):
        return (F.normalize(shared, dim=1).T @ F.normalize(private, dim=1)).pow(2).mean()

    def detached(shared, private):
        return torch.tensor(reference(check_difference_loss)(shared, private).item())

    assert_named(check_difference_loss(lambda s, h: (s.T @ h).pow(2).sum()), "raw ||S^T H||_F^2")
    assert_named(check_difference_loss(unadjusted), "chance level")
    assert_named(check_difference_loss(by_rows), "each text (row)")
    assert_named(check_difference_loss(detached), "no gradient")


# --- chapter 05 ---------------------------------------------------------------------------------

def test_integrated_gradients_mistakes_are_named():
    def no_factor(f, x, baseline, steps):
        return path_integrated_gradients(f, x, baseline, steps) / (x - baseline)

    def times_x(f, x, baseline, steps):
        return path_integrated_gradients(f, x, baseline, steps) / (x - baseline) * x

    def left_sum(f, x, baseline, steps):  # alphas 0, 1/steps, ...: the left Riemann sum
        points = [baseline + k / steps * (x - baseline) for k in range(steps)]
        return (x - baseline) * sum(torch.autograd.functional.jacobian(f, point) for point in points) / steps

    assert_named(check_integrated_gradients(no_factor), "mean gradients", "add up to")
    assert_named(check_integrated_gradients(times_x), "not by x", "non-zero baseline")
    assert_named(check_integrated_gradients(left_sum), "3 steps", "midpoints")


def test_the_exercises_integrated_gradients_are_the_librarys_for_one_text():
    torch.manual_seed(0)
    model = build_model("hard", 30, {"a": 3}, EncoderConfig(kind="lstm", embedding_dim=4, hidden_dim=4,
                                                             dropout=0.0)).double().eval()
    batch = pad_collate([([5, 9, 2, 7], 0)])
    library = integrated_gradients(model, "a", batch.tokens, batch.lengths, steps=5)
    embedded = model.embedding(batch.tokens).detach()  # (1, seq, emb)
    logits = channel_logits(model, "a")

    def target_logit(flat: torch.Tensor) -> torch.Tensor:
        words = flat.view_as(embedded)
        return logits(words, words, batch.lengths)[0, library["targets"][0]]

    ours = path_integrated_gradients(target_logit, embedded.flatten(), torch.zeros(embedded.numel()).double(), 5)
    assert torch.allclose(ours.view_as(embedded).sum(-1), library["shared"], atol=1e-10)


# --- chapter 06 ---------------------------------------------------------------------------------

def test_freeze_mistakes_are_named():
    def freeze_embedding_only(model):
        model.embedding.requires_grad_(False)

    def freeze_a_head_too(model):
        exercises.freeze_all_but_heads(model)
        model.heads["BBC"].requires_grad_(False)

    assert_named(check_freeze(lambda model: None), "every parameter outside the heads", "requires_grad = False")
    assert_named(check_freeze(lambda model: model.eval()), "eval() only switches dropout off")
    assert_named(check_freeze(lambda model: model.requires_grad_(False)), "no head learns")
    assert_named(check_freeze(freeze_embedding_only), "changed: encoder.0.bias")
    assert_named(check_freeze(freeze_a_head_too), "Frozen by mistake: heads.BBC.bias, heads.BBC.weight")


def test_freeze_leaves_the_learners_random_numbers_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    check_freeze(exercises.freeze_all_but_heads)
    assert torch.equal(torch.rand(3), expected)


# --- chapter 07 ---------------------------------------------------------------------------------

def test_paired_difference_mistakes_are_named():
    def reversed_sign(ours, baseline):
        mean, std = exercises.paired_difference(ours, baseline)
        return -mean, std

    def population_std(ours, baseline):
        differences = [ours[seed] - baseline[seed] for seed in ours]
        return float(np.mean(differences)), float(np.std(differences))

    def by_order(ours, baseline):
        differences = [a - b for a, b in zip(ours.values(), baseline.values())]
        return float(np.mean(differences)), float(np.std(differences, ddof=1))

    def unpaired(ours, baseline):
        seeds = [seed for seed in ours if seed in baseline]
        a, b = np.array([ours[s] for s in seeds]), np.array([baseline[s] for s in seeds])
        return float(a.mean() - b.mean()), float(np.sqrt(a.var(ddof=1) + b.var(ddof=1)))

    assert_named(check_paired_difference(reversed_sign), "sign is reversed")
    assert_named(check_paired_difference(population_std), "ddof=0")
    assert_named(check_paired_difference(by_order), "different orders", "pair them by seed")
    assert_named(check_paired_difference(unpaired), "unpaired")
