"""Figures for the chapters: each function draws the data or results it is given and returns its Axes.

Plotting never trains: a figure of model scores takes the table that training or
`mtl_lib.baselines` produced. Every figure has a title and axis labels; change them
with `ax.set(title=...)` where a chapter wants its own words. One module per topic:
`data` (data sets and scores per task), and more as the chapters need them.
"""

from mtl_lib.plots.data import category_mix, story_spread, task_scores, text_lengths

__all__ = ["category_mix", "story_spread", "task_scores", "text_lengths"]
