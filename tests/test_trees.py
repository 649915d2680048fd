"""Multi-task trees: the task generator, the joint-against-separate comparison, the sweep and its figures."""

import numpy as np
import pandas as pd
import pytest

from mtl_lib.errors import ConfigError, DataError
from mtl_lib.plots import trees as tree_plots
from mtl_lib.trees import (ALL_TASKS, DIFFERENT_DIGIT_QUESTIONS, RELATED_DIGIT_QUESTIONS, compare_trees,
                           digit_tasks, make_model, node_count, related_tasks, relatedness_sweep, split_indices)

from figures import assert_labelled

TIMINGS = ["fit_seconds"]


def mean_correlation(Y: np.ndarray) -> float:
    """The mean correlation between the label columns of distinct tasks."""
    correlations = np.corrcoef(Y.T)
    return float(correlations[~np.eye(len(correlations), dtype=bool)].mean())


@pytest.fixture(scope="module")
def sweep() -> pd.DataFrame:
    return relatedness_sweep(levels=(0.0, 1.0), seeds=(0, 1), n_samples=1000)


def test_related_tasks_follow_the_documented_rule():
    X, Y = related_tasks(500, relatedness=1.0, noise=0.0)
    majority_of_shared = ((X[:, :3] > 0).sum(axis=1) >= 2).astype(int)
    assert (Y == majority_of_shared[:, None]).all()
    X, Y = related_tasks(500, relatedness=0.0, noise=0.0)
    for task in range(4):
        own = X[:, 3 * (task + 1):3 * (task + 2)]
        assert (Y[:, task] == ((own > 0).sum(axis=1) >= 2)).all()


def test_relatedness_moves_the_correlation_between_tasks():
    correlations = [mean_correlation(related_tasks(4000, relatedness=level)[1]) for level in (0, 1 / 3, 2 / 3, 1)]
    assert abs(correlations[0]) < 0.05
    assert correlations[-1] > 0.75  # the same rule: only the 5 % label noise of each task differs
    assert correlations == sorted(correlations)


def test_related_tasks_are_not_copies_and_are_reproducible():
    X, Y = related_tasks(1000, relatedness=1.0, shift=0.1)
    assert not (Y[:, 0] == Y[:, 1]).all()
    assert 0.35 < Y.mean() < 0.65
    X_again, Y_again = related_tasks(1000, relatedness=1.0, shift=0.1)
    assert (X == X_again).all() and (Y == Y_again).all()
    assert not (related_tasks(1000, seed=1)[1] == Y).all()


def test_related_tasks_explain_bad_settings():
    with pytest.raises(ConfigError, match="relatedness must be between 0 and 1"):
        related_tasks(100, relatedness=1.5)
    with pytest.raises(ConfigError, match="n_features must be at least relevant"):
        related_tasks(100, n_tasks=8, n_features=20)


def test_split_indices_cover_every_row_once():
    train, dev, test = split_indices(101, seed=3)
    assert sorted(np.concatenate([train, dev, test])) == list(range(101))
    assert (len(dev), len(test)) == (25, 25)


def test_compare_trees_never_lets_test_labels_choose_or_fit():
    X, Y = related_tasks(800, relatedness=2 / 3, seed=2)
    _, _, test = split_indices(len(X), seed=2)
    flipped = Y.copy()
    flipped[test] = 1 - flipped[test]  # the worst models on test are now the best
    table, on_flipped = compare_trees(X, Y, seed=2), compare_trees(X, flipped, seed=2)
    pd.testing.assert_frame_equal(table.drop(columns=[*TIMINGS, "accuracy"]),
                                  on_flipped.drop(columns=[*TIMINGS, "accuracy"]))
    assert np.allclose(table.accuracy + on_flipped.accuracy, 1.0)


def test_separate_models_choose_their_capacity_task_by_task():
    X, Y = related_tasks(1000, relatedness=0.0, seed=0)
    Y[:, 0] = X[:, 0] > 0  # one split answers this task exactly: every capacity ties, the smallest wins
    table = compare_trees(X, Y, grid=(4, 8, 16, 64), tolerance=0.0).set_index(["approach", "task"])
    assert table.loc[("separate", "task 1"), "max_leaf_nodes"] == 4
    assert table.loc[("separate", "task 1"), "nodes"] == 3
    assert table.loc[("separate", "task 2"), "max_leaf_nodes"] > 4


def test_node_counts_add_up_over_the_models_of_an_approach():
    table = compare_trees(*related_tasks(600, relatedness=0.0), kind="forest", grid=(8, 16))
    separate, joint = table[table.approach == "separate"], table[table.approach == "joint"]
    per_task = separate[separate.task != ALL_TASKS]
    assert separate[separate.task == ALL_TASKS].nodes.item() == per_task.nodes.sum()
    assert separate[separate.task == ALL_TASKS].fit_seconds.item() == pytest.approx(per_task.fit_seconds.sum())
    assert joint.nodes.nunique() == 1  # one model answers every task
    model = make_model("forest", 8).fit(*related_tasks(300))
    assert node_count(model) == sum(tree.tree_.node_count for tree in model.estimators_) > 50 * 3


def test_the_joint_model_is_one_multi_output_estimator():
    X, Y = related_tasks(800, relatedness=1.0, seed=4)
    table = compare_trees(X, Y, seed=4)
    joint = table[table.approach == "joint"].set_index("task")
    train, _, test = split_indices(len(X), seed=4)
    model = make_model("tree", int(joint.max_leaf_nodes.iloc[0]), seed=4).fit(X[train], Y[train])
    assert model.n_outputs_ == 4
    assert node_count(model) == joint.loc[ALL_TASKS, "nodes"]
    accuracies = (model.predict(X[test]) == Y[test]).mean(axis=0)
    assert np.allclose(accuracies, joint.loc[["task 1", "task 2", "task 3", "task 4"], "accuracy"])


def test_compare_trees_is_reproducible_and_tidy():
    X, Y = related_tasks(600, relatedness=0.5)
    table = compare_trees(X, Y, seed=1)
    pd.testing.assert_frame_equal(table.drop(columns=TIMINGS), compare_trees(X, Y, seed=1).drop(columns=TIMINGS))
    assert not table.drop(columns=TIMINGS).equals(compare_trees(X, Y, seed=2).drop(columns=TIMINGS))
    assert list(table.columns) == ["approach", "task", "accuracy", "nodes", "fit_seconds", "max_leaf_nodes",
                                   "kind", "seed"]
    assert len(table) == 2 * (4 + 1)
    assert (table.fit_seconds > 0).all()


def test_compare_trees_explains_bad_input():
    X, Y = related_tasks(100)
    with pytest.raises(ConfigError, match="kind must be one of tree, forest"):
        compare_trees(X, Y, kind="boosting")
    with pytest.raises(DataError, match="one row per row of X"):
        compare_trees(X, Y[:50])


def test_sharing_splits_pays_only_for_related_tasks(sweep):
    means = sweep[sweep.task == ALL_TASKS].groupby(["relatedness", "approach"])[["accuracy", "nodes"]].mean()
    related, unrelated = means.loc[1.0], means.loc[0.0]
    assert related.loc["joint", "nodes"] < related.loc["separate", "nodes"] / 2
    assert related.loc["joint", "accuracy"] > related.loc["separate", "accuracy"] - 0.02
    assert unrelated.loc["joint", "accuracy"] < unrelated.loc["separate", "accuracy"] - 0.05


def test_digit_tasks_ask_yes_or_no_about_each_image():
    X, Y = digit_tasks(RELATED_DIGIT_QUESTIONS)
    assert X.shape == (1797, 64) and list(Y.columns) == list(RELATED_DIGIT_QUESTIONS)
    assert (Y["is it 3?"] <= Y["is it 3 or 8?"]).all()  # a 3 is a yes to both
    assert (digit_tasks(DIFFERENT_DIGIT_QUESTIONS)[1].sum(axis=1) <= 1).all()  # one digit per image


def test_tree_panels_draw_every_measure(sweep):
    axes = tree_plots.tree_panels(sweep)
    assert [ax.get_title() for ax in axes] == ["Mean test accuracy over tasks", "Nodes in all the trees",
                                               "Seconds to fit"]
    for ax in axes:
        assert_labelled(ax)
        assert [text.get_text() for text in ax.get_legend().get_texts()] == ["joint", "separate"]
    assert axes[1].get_yscale() == "log"


def test_tree_curve_refuses_a_mix_of_kinds_and_unknown_measures(sweep):
    assert_labelled(tree_plots.tree_curve(sweep, "nodes"))
    with pytest.raises(DataError, match="pass one"):
        tree_plots.tree_curve(pd.concat([sweep, sweep.assign(kind="forest")]))
    with pytest.raises(ConfigError, match="measure must be one of accuracy, nodes, fit_seconds"):
        tree_plots.tree_curve(sweep, "depth")
