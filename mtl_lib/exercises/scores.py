"""Chapter 01: macro-F1, the score that counts every category the same, however rare."""

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import f1_score

from mtl_lib.exercises.feedback import Feedback, answered_by, as_number, attempt, hint_for, mismatch, returned
from mtl_lib.metrics import score


def macro_f1(true_labels: Sequence[str], predicted_labels: Sequence[str], label_names: Sequence[str]) -> float:
    """The reference: each category's F1 = 2 TP / (predicted + true), then their plain mean."""
    f1s = []
    for label in label_names:
        hits = sum(true == label and predicted == label for true, predicted in zip(true_labels, predicted_labels))
        guesses, actual = list(predicted_labels).count(label), list(true_labels).count(label)
        f1s.append(2 * hits / (guesses + actual) if guesses + actual else 0.0)
    return sum(f1s) / len(f1s)


def _library_macro_f1(true_labels: list[str], predicted_labels: list[str], label_names: list[str]) -> float:
    """Macro-F1 as `mtl_lib.metrics.score` computes it for the course's tables."""
    return score([label_names.index(label) for label in true_labels],
                 [label_names.index(label) for label in predicted_labels])["macro_f1"]


@answered_by(macro_f1)
def check_macro_f1(function: Callable[[list[str], list[str], list[str]], float]) -> Feedback:
    """Check `function(true_labels, predicted_labels, label_names) -> float`: macro-F1.

    The F1 of each category in `label_names` (a category never predicted has F1 0), then the
    plain mean over the categories, so a rare category counts as much as a common one. The
    expected values are `mtl_lib.metrics.score`'s, the course's macro-F1.
    """
    names = ["business", "entertainment", "health"]
    business, entertainment, health = names
    cases = [
        ("every category predicted at least once", [business, business, entertainment, health, health, health],
         [business, entertainment, entertainment, health, health, business]),
        ("a category that is never predicted", [business, business, entertainment, health, health, health],
         [business, business, business, health, health, health]),
        ("a skewed task: eight business headlines of ten", [business] * 8 + [entertainment, health],
         [business] * 7 + [entertainment, business, health]),
    ]
    for name, true_labels, predicted_labels in cases:
        result = attempt(function, list(true_labels), list(predicted_labels), list(names))
        if isinstance(result, Feedback):
            return result
        value, expected = as_number(result), _library_macro_f1(true_labels, predicted_labels, names)
        if value is None:
            return returned(name, result, "one number, the mean of the categories' F1 scores")
        if not np.isclose(value, expected):
            predicted = sorted(set(predicted_labels))
            mistakes = [
                (f1_score(true_labels, predicted_labels, labels=predicted, average="macro"),
                 "You averaged over the predicted categories only: a category that is never predicted "
                 "still counts, with F1 0."),
                (f1_score(true_labels, predicted_labels, average="micro"),
                 "That is the micro average (here equal to accuracy): it pools all headlines, so the "
                 "common category dominates. Compute F1 per category, then take their plain mean."),
                (f1_score(true_labels, predicted_labels, average="weighted"),
                 "That mean is weighted by each category's number of headlines; macro-F1 weights every "
                 "category the same."),
            ]
            return mismatch(name, "your macro-F1 is", value, expected, hint_for(
                value, mistakes, "Per category, F1 = 2 TP / (2 TP + FP + FN); then the mean over label_names."))
    return Feedback(True, "your macro-F1 scores every category, the never-predicted ones with 0, and weights "
                          "them equally.")
