"""A text's length as a regression task: an auxiliary task whose loss scale is yours to choose.

Every text has a length, so any data can take it as one more task, with training rows only
(trained on, never scored or selected on; see `MultiTaskData.with_task`). In characters, its
squared error is counted in characters squared: thousands at the start of training, where a
classification task's cross-entropy is about ln(number of labels). Standardised (minus the mean,
over the standard deviation of the training texts' lengths), the same target has a loss of
about 1. Chapter 02 adds both to the news tasks to show what a task on another scale does to
the tasks it shares an encoder with.
"""

import pandas as pd

from mtl_lib.data.tasks import MultiTaskData


def text_lengths(texts: pd.Series, standardised: bool = False) -> pd.Series:
    """Each text's length in characters, or in standard deviations from the mean length of `texts`."""
    lengths = texts.str.len().astype(float)
    return (lengths - lengths.mean()) / lengths.std() if standardised else lengths


def with_length_task(data: MultiTaskData, name: str = "length", standardised: bool = False) -> MultiTaskData:
    """`data` plus a regression task: the length of every training text, in characters or standardised.

    >>> with_length_task(news).frame.query("task == 'length'").label.astype(float).mean()   # about 64 characters
    """
    train = data.frame[data.frame.split == "train"]
    rows = pd.DataFrame({"text": train.text, "label": text_lengths(train.text, standardised), "split": "train"})
    return data.with_task(name, rows)
