"""Multi-task trees: one tree whose every split is scored over all tasks, against one tree per task.

Multi-task learning is an approach, not an algorithm. A decision tree given several label
columns at once (scikit-learn's `DecisionTreeClassifier` and `RandomForestClassifier` accept
`y` of shape (samples, tasks)) chooses each split by the impurity decrease averaged over the
tasks, so every task shares every split. That pays when the tasks want the same splits, and
costs when they do not: one tree must then carve the space into the product of every task's
own partition, or serve each task worse. `related_tasks` makes tasks whose
relatedness is a knob; `compare_trees` and `relatedness_sweep` measure what sharing the splits
does to accuracy, tree size and fit time.
"""

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from mtl_lib.errors import ConfigError, DataError

KINDS = ("tree", "forest")
APPROACHES = ("joint", "separate")
ALL_TASKS = "all tasks"  # the row of a comparison that sums nodes and seconds over tasks and averages accuracy
FOREST_TREES = 50
# The capacity that dev chooses: the most leaves each tree may grow (best-first). Forests get a
# shorter grid as each point of it costs 50 trees: (8, 32, 128) keeps a forest sweep in seconds.
LEAF_GRIDS = {"tree": (4, 8, 16, 32, 64, 128, 256), "forest": (8, 32, 128)}
# Dev accuracies closer than this to the best count as a tie, won by the smaller model. 500 dev
# rows measure an accuracy near 95 % to about one point; a forest's dev accuracy moves by less than
# that from 8 to 128 leaves per tree, so without a tolerance its size would be chosen by noise.
TOLERANCE = 0.005

# Yes/no questions about one digit image. The related ones all ask about 3 and its look-alikes;
# the different ones each ask about another digit, one against the rest. Both sets are still
# questions about one hidden class, so the different ones are less unrelated than the disjoint
# features of `related_tasks(relatedness=0)`.
RELATED_DIGIT_QUESTIONS = {"is it 3?": {3}, "is it 3 or 8?": {3, 8}, "is it 3, 5 or 8?": {3, 5, 8},
                           "is it 3 or 9?": {3, 9}}
DIFFERENT_DIGIT_QUESTIONS = {"is it 0?": {0}, "is it 1?": {1}, "is it 4?": {4}, "is it 6?": {6}}


def related_tasks(n_samples: int, n_tasks: int = 4, relatedness: float = 1.0, n_features: int = 20,
                  relevant: int = 3, noise: float = 0.05, shift: float = 0.0,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Binary tasks on Gaussian features, `relatedness` the fraction of its relevant features each task shares.

    Returns X (n_samples, n_features), every entry drawn from N(0, 1), and Y (n_samples, n_tasks)
    of 0/1 labels, made as follows. Each task looks at `relevant` columns of X: the first
    `round(relatedness * relevant)` of them are columns 0, 1, ..., the same for every task, the
    others are the task's own (task t owns columns `relevant * (t + 1)` to `relevant * (t + 2) - 1`);
    no task looks at the columns left over. A task's label is 1 when more than half of its columns
    exceed their thresholds (with 3 columns: two or three of them), and each label is then flipped
    with probability `noise`, independently per task. The thresholds are 0, or with `shift` > 0 are
    drawn per task and column from N(0, shift^2), so that related tasks want splits a little apart:
    at relatedness=1, shift=0.1 already doubles the nodes of the joint tree (15 to 31, 3 seeds).

    So at relatedness=1 every task is the same rule on the same columns, told apart only by its
    own label noise (and its thresholds); at relatedness=0 the tasks look at disjoint columns and
    are independent. Relatedness moves in steps of 1 / relevant; X is the same at every relatedness.

    >>> X, Y = related_tasks(1000, relatedness=0.0)  # four independent tasks, 20 features
    """
    if not 0.0 <= relatedness <= 1.0:
        raise ConfigError(f"relatedness must be between 0 and 1; got {relatedness!r}")
    if n_features < relevant * (n_tasks + 1):
        raise ConfigError(f"n_features must be at least relevant * (n_tasks + 1) = {relevant * (n_tasks + 1)} "
                          f"(the shared features, then each task's own); got {n_features}")
    if not 0.0 <= noise < 0.5:
        raise ConfigError(f"noise (the chance that a label is flipped) must be in [0, 0.5); got {noise!r}")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    shared = round(relatedness * relevant)
    Y = np.empty((n_samples, n_tasks), dtype=int)
    for task in range(n_tasks):
        own = range(relevant * (task + 1) + shared, relevant * (task + 2))
        columns = [*range(shared), *own]
        thresholds = shift * rng.standard_normal(relevant)
        votes = (X[:, columns] > thresholds).sum(axis=1)  # (n_samples,) how many features are above
        flipped = rng.random(n_samples) < noise
        Y[:, task] = (votes > relevant / 2) ^ flipped
    return X, Y


def digit_tasks(questions: Mapping[str, set[int]]) -> tuple[np.ndarray, pd.DataFrame]:
    """Scikit-learn's bundled 8x8 digits, with one yes/no task per question: `digit_tasks({"is it 3?": {3}})`.

    A real-data counterpart of `related_tasks`: X has the 1,797 images' 64 pixel intensities, Y a
    0/1 column per question. Try `RELATED_DIGIT_QUESTIONS` against `DIFFERENT_DIGIT_QUESTIONS`.
    """
    digits = load_digits()
    labels = pd.DataFrame({question: np.isin(digits.target, sorted(answer_yes)).astype(int)
                           for question, answer_yes in questions.items()})
    return digits.data, labels


def split_indices(n_samples: int, seed: int = 0, dev_fraction: float = 0.25,
                  test_fraction: float = 0.25) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train, dev and test row indices of a random split: `train, dev, test = split_indices(1000)`."""
    if dev_fraction <= 0 or test_fraction <= 0 or dev_fraction + test_fraction >= 1:
        raise ConfigError(f"dev_fraction and test_fraction must be positive and leave rows to train on; "
                          f"got {dev_fraction!r} and {test_fraction!r}")
    order = np.random.default_rng(seed).permutation(n_samples)
    n_dev, n_test = round(dev_fraction * n_samples), round(test_fraction * n_samples)
    return order[n_dev + n_test:], order[:n_dev], order[n_dev:n_dev + n_test]


def make_model(kind: str, max_leaf_nodes: int, seed: int = 0) -> ClassifierMixin:
    """An unfitted tree or forest (50 trees, one process) of at most `max_leaf_nodes` leaves per tree.

    Fitted on Y with several columns it is one multi-output model: every split serves all tasks.
    """
    if kind == "tree":
        return DecisionTreeClassifier(max_leaf_nodes=max_leaf_nodes, random_state=seed)
    if kind == "forest":
        return RandomForestClassifier(n_estimators=FOREST_TREES, max_leaf_nodes=max_leaf_nodes, n_jobs=1,
                                      random_state=seed)
    raise ConfigError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")


def node_count(model: ClassifierMixin) -> int:
    """Nodes (splits and leaves) of a fitted tree, or of all the trees of a fitted forest."""
    trees = getattr(model, "estimators_", [model])
    return int(sum(tree.tree_.node_count for tree in trees))


def _fit(model: ClassifierMixin, X: np.ndarray, y: np.ndarray) -> tuple[ClassifierMixin, float]:
    """The model fitted, and the seconds the fit took."""
    started = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - started


def _accuracies(model: ClassifierMixin, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Accuracy per column of Y, for a model fitted on all of Y's columns or on one."""
    predictions = model.predict(X).reshape(len(X), -1)  # (samples, tasks this model predicts)
    return (predictions == Y.reshape(len(X), -1)).mean(axis=0)


def _select(kind: str, grid: Sequence[int], tolerance: float, seed: int, train: tuple[np.ndarray, np.ndarray],
            dev: tuple[np.ndarray, np.ndarray]) -> tuple[ClassifierMixin, int, float]:
    """The smallest model of the grid whose mean dev accuracy is within `tolerance` of the best,
    its `max_leaf_nodes` and the seconds its fit took."""
    candidates = []  # (dev accuracy, model, max_leaf_nodes, fit seconds), smallest first
    for max_leaf_nodes in sorted(grid):
        model, seconds = _fit(make_model(kind, max_leaf_nodes, seed), *train)
        candidates.append((_accuracies(model, *dev).mean(), model, max_leaf_nodes, seconds))
    best = max(candidate[0] for candidate in candidates)
    _, model, max_leaf_nodes, seconds = next(candidate for candidate in candidates if candidate[0] >= best - tolerance)
    return model, max_leaf_nodes, seconds


def compare_trees(X: np.ndarray, Y: np.ndarray | pd.DataFrame, kind: str = "tree", seed: int = 0,
                  grid: Sequence[int] | None = None, tolerance: float = TOLERANCE, dev_fraction: float = 0.25,
                  test_fraction: float = 0.25) -> pd.DataFrame:
    """One multi-output model for all tasks ("joint") against one model per task ("separate").

    Both are fitted on the train rows of `split_indices(len(X), seed, ...)`, once for each
    `max_leaf_nodes` in `grid` (by default `LEAF_GRIDS[kind]`). Joint keeps the smallest value whose
    mean dev accuracy over tasks is within `tolerance` of the best, separate does the same for each
    task on its own; `tolerance=0` keeps the best. Test rows only score the models kept.

    Columns: approach, task, accuracy (on test), nodes, fit_seconds (the kept model's fit),
    max_leaf_nodes, kind, seed. A task's row has the nodes and seconds of the model
    that predicts it, for joint the whole model; the "all tasks" row has the mean accuracy and the
    nodes and seconds summed over the approach's models.

    >>> pd.concat([compare_trees(*related_tasks(2000, seed=seed), seed=seed) for seed in range(3)])  # doctest: +SKIP
    """
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    tasks = np.asarray(Y.columns if isinstance(Y, pd.DataFrame) else [f"task {t + 1}" for t in range(Y.shape[1])],
                       dtype=object)
    X, Y = np.asarray(X), np.asarray(Y)
    if Y.ndim != 2 or len(Y) != len(X):
        raise DataError(f"Y must hold one row per row of X and one column per task; X has {len(X)} rows, "
                        f"Y has shape {Y.shape}")
    grid = LEAF_GRIDS[kind] if grid is None else grid
    train, dev, test = split_indices(len(X), seed, dev_fraction, test_fraction)
    # Which columns of Y each model learns: all at once, or one each (an int makes y one-dimensional).
    models_columns = {"joint": [slice(None)], "separate": range(len(tasks))}
    rows = []
    for approach, columns_of_models in models_columns.items():
        nodes, seconds, task_rows = [], [], []
        for columns in columns_of_models:
            model, max_leaf_nodes, fit_seconds = _select(kind, grid, tolerance, seed,
                                                         (X[train], Y[train][:, columns]), (X[dev], Y[dev][:, columns]))
            nodes.append(node_count(model))
            seconds.append(fit_seconds)
            accuracies = _accuracies(model, X[test], Y[test][:, columns])
            task_rows += [{"approach": approach, "task": task, "accuracy": float(accuracy), "nodes": nodes[-1],
                           "fit_seconds": fit_seconds, "max_leaf_nodes": max_leaf_nodes}
                          for task, accuracy in zip(np.atleast_1d(tasks[columns]), accuracies)]
        rows += [*task_rows, {"approach": approach, "task": ALL_TASKS,
                              "accuracy": float(np.mean([row["accuracy"] for row in task_rows])),
                              "nodes": sum(nodes), "fit_seconds": sum(seconds),
                              "max_leaf_nodes": task_rows[0]["max_leaf_nodes"] if len(nodes) == 1 else np.nan}]
    return pd.DataFrame(rows).assign(kind=kind, seed=seed)


def relatedness_sweep(levels: Sequence[float] = (0.0, 1 / 3, 2 / 3, 1.0), seeds: Sequence[int] = (0, 1, 2),
                      kind: str = "tree", n_samples: int = 2000, tolerance: float = TOLERANCE,
                      **task_options: float) -> pd.DataFrame:
    """`compare_trees` on `related_tasks` at each relatedness and seed, stacked, with a relatedness column.

    The seed draws the data, the split and the trees. `task_options` go to `related_tasks`:
    `relatedness_sweep(kind="forest", seeds=[0], shift=0.1)`. Measured on the course's 2-core
    machine: 5 to 6 s as it stands (trees), 9 to 13 s with `kind="forest", seeds=[0]`.
    """
    tables = []
    for relatedness in levels:
        for seed in seeds:
            X, Y = related_tasks(n_samples, relatedness=relatedness, seed=seed, **task_options)
            table = compare_trees(X, Y, kind=kind, seed=seed, tolerance=tolerance)
            tables.append(table.assign(relatedness=relatedness))
    return pd.concat(tables, ignore_index=True)
