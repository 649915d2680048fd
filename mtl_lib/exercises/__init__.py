"""Checkers for the chapters' "your turn" cells: each says in plain words what is right or wrong.

A checker takes the learner's function, tries it on small cases whose answers are known,
checks the property the method promises, and returns `Feedback`: it never raises, so a
chapter runs top to bottom with the exercise still unsolved, and the message shows as plain
text (on GitHub too). Its docstring says what the function must do; `solution(checker)`
shows one worked answer, kept out of the notebook until asked for.

>>> check_masked_loss(my_masked_loss)
Not yet: with one text of two unlabelled, your loss is 0.347; the mean cross-entropy over the labelled texts is 0.693. ...
>>> solution(check_masked_loss)
def masked_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor: ...

| chapter | checkers |
| --- | --- |
| 00 | `check_story_split` |
| 01 | `check_macro_f1` |
| 02 | `check_sampling_probabilities` |
| 03 | `check_uncertainty_loss`, `check_pcgrad_projection` |
| 04 | `check_gradient_reversal`, `check_difference_loss` |
| 05 | `check_integrated_gradients` |
| 06 | `check_freeze` |
| 07 | `check_paired_difference` |
| 08 | `check_masked_loss`, `check_later_counts`, `check_joint_gini_gain` |
"""

from mtl_lib.exercises.adversarial import check_difference_loss, check_gradient_reversal
from mtl_lib.exercises.auxiliary import check_later_counts, check_masked_loss, later_counts, masked_loss
from mtl_lib.exercises.balancing import (check_pcgrad_projection, check_uncertainty_loss, pcgrad_projection,
                                         uncertainty_loss)
from mtl_lib.exercises.explaining import check_integrated_gradients, path_integrated_gradients
from mtl_lib.exercises.feedback import Feedback, reference, solution
from mtl_lib.exercises.freezing import check_freeze, freeze_all_but_heads
from mtl_lib.exercises.scores import check_macro_f1, macro_f1
from mtl_lib.exercises.seeds import check_paired_difference, paired_difference
from mtl_lib.exercises.story_splits import check_story_split, story_split
from mtl_lib.exercises.task_sampling import check_sampling_probabilities, temperature_probabilities
from mtl_lib.exercises.trees import check_joint_gini_gain, gini, joint_gini_gain

__all__ = [
    "Feedback", "check_difference_loss", "check_freeze", "check_gradient_reversal", "check_integrated_gradients",
    "check_joint_gini_gain", "check_later_counts", "check_macro_f1", "check_masked_loss",
    "check_paired_difference", "check_pcgrad_projection", "check_sampling_probabilities", "check_story_split",
    "check_uncertainty_loss", "freeze_all_but_heads", "gini", "joint_gini_gain", "later_counts", "macro_f1",
    "masked_loss", "paired_difference", "path_integrated_gradients", "pcgrad_projection", "reference",
    "solution", "story_split", "temperature_probabilities", "uncertainty_loss",
]
