"""The look shared by every figure: one seaborn theme, readable names, wrapped labels."""

import textwrap

import seaborn as sns

sns.set_theme(style="whitegrid", context="notebook")

METRIC_NAMES = {"accuracy": "Accuracy", "macro_f1": "Macro-F1"}


def wrapped(names: list[str], width: int = 12) -> list[str]:
    """Long tick labels broken between words onto several lines ("science and\\ntechnology")."""
    return [textwrap.fill(name, width, break_long_words=False) for name in names]
