"""The exercise checkers: right answers pass, typical wrong ones get a message that names the mistake."""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.tree import DecisionTreeClassifier

from mtl_lib.data.coverage import later_coverage
from mtl_lib.exercises import (check_joint_gini_gain, check_later_counts, check_masked_loss, gini, joint_gini_gain,
                               later_counts, masked_loss)


def test_the_references_pass_their_own_checkers():
    assert check_masked_loss(masked_loss).passed
    assert check_later_counts(later_counts).passed
    assert check_joint_gini_gain(joint_gini_gain).passed


def test_an_unsolved_or_crashing_exercise_gets_feedback_not_an_exception():
    for checker in (check_masked_loss, check_later_counts, check_joint_gini_gain):
        unsolved = checker(lambda *args: None)
        assert not unsolved.passed and "returned None" in unsolved.message
        crashing = checker(lambda *args: 1 / 0)
        assert not crashing.passed and "ZeroDivisionError" in crashing.message
        assert repr(crashing).startswith("Not yet: ")


def test_a_loss_over_all_rows_is_told_to_drop_the_unlabelled_ones():
    def counts_missing_rows(logits, targets):
        return F.cross_entropy(logits, targets.clamp(min=0))

    feedback = check_masked_loss(counts_missing_rows)
    assert not feedback.passed and "MISSING_LABEL" in feedback.message


def test_a_loss_that_is_nan_without_labels_is_told_so():
    def mean_of_nothing(logits, targets):
        labelled = targets != -100
        return F.cross_entropy(logits[labelled], targets[labelled])

    feedback = check_masked_loss(mean_of_nothing)
    assert not feedback.passed and "NaN" in feedback.message


def test_counts_that_include_the_headline_itself_or_look_backwards_fail():
    def including_itself(times, window):
        return np.array([int(((times >= t) & (times <= t + window)).sum()) for t in times])

    def backwards(times, window):
        return np.array([int(((times < t) & (times >= t - window)).sum()) for t in times])

    for wrong in (including_itself, backwards):
        feedback = check_later_counts(wrong)
        assert not feedback.passed and "should be" in feedback.message


def test_the_exercise_counts_are_the_librarys_coverage():
    import pandas as pd

    times = np.array([5.0, 0.0, 3.0, 3.0, 9.0])
    frame = pd.DataFrame({"story": ["s"] * len(times), "timestamp": times * 24 * 60 * 60 * 1000})
    assert later_coverage(frame, days=4).tolist() == later_counts(times, 4.0).tolist()


def test_an_unweighted_split_score_is_told_to_weight_by_child_size():
    def unweighted(Y, goes_left):
        return float(np.mean([gini(c) - (gini(c[goes_left]) + gini(c[~goes_left])) / 2 for c in Y.T]))

    feedback = check_joint_gini_gain(unweighted)
    assert not feedback.passed and "Weight each child" in feedback.message


def test_joint_gini_gain_picks_the_root_split_of_a_scikit_learn_multi_output_tree():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    Y = np.stack([(X[:, 0] + 0.3 * rng.normal(size=300)) > 0, (X[:, 0] - X[:, 1]) > 0.5], axis=1).astype(int)
    tree = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, Y)
    assert np.isclose(tree.tree_.impurity[0], np.mean([gini(column) for column in Y.T]))
    candidates = [(feature, threshold) for feature in range(3)
                  for threshold in np.unique(X[:, feature])[:-1]]
    best = max(candidates, key=lambda c: joint_gini_gain(Y, X[:, c[0]] <= c[1]))
    assert best[0] == tree.tree_.feature[0]
    chosen = X[:, tree.tree_.feature[0]] <= tree.tree_.threshold[0]
    assert np.isclose(joint_gini_gain(Y, chosen), joint_gini_gain(Y, X[:, best[0]] <= best[1]))


def test_masked_loss_gives_no_gradient_without_labels():
    logits = torch.zeros(2, 3, requires_grad=True)
    masked_loss(logits, torch.tensor([-100, -100])).backward()
    assert logits.grad.abs().sum() == 0
