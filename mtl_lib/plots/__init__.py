"""Figures for the chapters: each function draws the data or results it is given and returns its Axes.

Plotting never trains: a figure of model scores takes the table that training or
`mtl_lib.baselines` produced. Every figure has a title and axis labels; change them
with `ax.set(title=...)` where a chapter wants its own words. One module per topic:
`data` (data sets, scores per task), `results` (comparisons over seeds, learning
curves), `training` (loss terms, discriminator, task weights, probes), `analysis`
(relatedness heat maps, projections, word lists), `transfer` (data-efficiency curves),
`reproduction` (our errors beside Liu et al.'s), `future_signals` (auxiliary targets from
the future), `trees` (multi-output trees against one per task), and the diagrams, which
return a Figure with a title and no axes: `architectures` (one per architecture, from
single task to ASP-MTL and transfer) and `diagrams` (the architectures of chapter 08),
both drawn with the boxes and arrows of `boxes`.
"""

from mtl_lib.plots.analysis import projections, relatedness, word_bars
from mtl_lib.plots.architectures import (adversarial_diagram, hard_sharing_diagram, shared_private_diagram,
                                         single_task_diagram, soft_sharing_diagram, transfer_diagram)
from mtl_lib.plots.diagrams import auxiliary_task_diagram, multi_output_tree_diagram, several_labels_diagram
from mtl_lib.plots.data import category_mix, story_spread, task_scores, text_lengths
from mtl_lib.plots.future_signals import future_signal_scores
from mtl_lib.plots.reproduction import against_paper
from mtl_lib.plots.results import (dev_curves, gain_bars, mean_std_table, paired_gains, sampling_probabilities,
                                   score_bars, score_curve)
from mtl_lib.plots.training import (gradient_arrows, gradient_similarity, loss_terms, probe_scores, seed_spread,
                                    smoothed, step_curves, task_weights)
from mtl_lib.plots.transfer import data_efficiency, data_efficiency_panels
from mtl_lib.plots.trees import tree_curve, tree_panels

__all__ = [
    "adversarial_diagram", "against_paper", "auxiliary_task_diagram", "category_mix", "data_efficiency",
    "data_efficiency_panels", "dev_curves", "future_signal_scores", "gain_bars", "gradient_arrows",
    "gradient_similarity", "hard_sharing_diagram", "loss_terms", "mean_std_table", "multi_output_tree_diagram",
    "paired_gains", "probe_scores", "projections", "relatedness", "sampling_probabilities", "score_bars",
    "score_curve", "seed_spread", "several_labels_diagram", "shared_private_diagram", "single_task_diagram",
    "smoothed", "soft_sharing_diagram", "step_curves", "story_spread", "task_scores", "task_weights", "text_lengths",
    "transfer_diagram", "tree_curve", "tree_panels", "word_bars",
]
