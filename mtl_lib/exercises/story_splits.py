"""Chapter 00: split the headlines by story, so that no story is on both sides of the split."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from mtl_lib.exercises.feedback import Feedback, answered_by, attempt, returned, shown

SHARE_TOLERANCE = 0.1  # how far the share of test stories may stray from the share asked for


def story_split(stories: list[str], test_share: float, seed: int) -> list[str]:
    """The reference: shuffle the distinct stories with the seed; the first `test_share` of them are "test"."""
    distinct = sorted(set(stories))
    order = np.random.default_rng(seed).permutation(len(distinct))
    test_stories = {distinct[i] for i in order[: round(test_share * len(distinct))]}
    return ["test" if story in test_stories else "train" for story in stories]


def _headline_stories(count: int, seed: int) -> list[str]:
    """The story of each headline: `count` stories of 1 to 4 headlines each, in a shuffled order."""
    rng = np.random.default_rng(seed)
    rows = [f"story {i}" for i in range(count) for _ in range(rng.integers(1, 5))]
    return [rows[i] for i in rng.permutation(len(rows))]


def _as_splits(result) -> list | None:
    """The learner's result as a list, or None when it is not a sequence of "train"/"test" strings."""
    if not isinstance(result, (list, tuple, np.ndarray, pd.Series)):
        return None
    splits = list(result)
    return splits if all(split in ("train", "test") for split in splits) else None


def _splits_of_stories(stories: list[str], splits: list[str]) -> dict[str, set[str]]:
    splits_of: dict[str, set[str]] = {}
    for story, split in zip(stories, splits):
        splits_of.setdefault(story, set()).add(split)
    return splits_of


@answered_by(story_split)
def check_story_split(function: Callable[[list[str], float, int], list[str]]) -> Feedback:
    """Check `function(stories, test_share, seed) -> list[str]`: "train" or "test" for each row.

    `stories[i]` is the story of headline i, and one story has several headlines. Every story
    must land whole in one split, about `test_share` of the stories in "test", and the same
    seed must always give the same split (draw from `np.random.default_rng(seed)`).
    """
    cases = [("100 stories, a fifth of them for testing", _headline_stories(100, 0), 0.2, 0),
             ("100 stories, half of them for testing", _headline_stories(100, 1), 0.5, 1)]
    for name, stories, test_share, seed in cases:
        result = attempt(function, list(stories), test_share, seed)
        if isinstance(result, Feedback):
            return result
        splits = _as_splits(result)
        if splits is None or len(splits) != len(stories):
            return returned(name, result, f'one split per row, "train" or "test" ({len(stories)} strings, '
                                          "in the order of the rows)")
        splits_of = _splits_of_stories(stories, splits)
        torn = [story for story, story_splits in splits_of.items() if len(story_splits) == 2]
        if torn:
            return Feedback(False, f"with {name}, {len(torn)} stories have headlines in both splits ({torn[0]!r} "
                                   "among them), so the test set leaks into training. Choose the split of each "
                                   "story once, then give every row the split of its story.")
        share = sum(story_splits == {"test"} for story_splits in splits_of.values()) / len(splits_of)
        if abs(share - test_share) > SHARE_TOLERANCE:
            return Feedback(False, f"with {name}, your share of stories in test is {share:.2f}; it should be "
                                   f"about {test_share}. Put round(test_share * number of stories) of the "
                                   "distinct stories in test.")
        again, other_seed = (attempt(function, list(stories), test_share, draw) for draw in (seed, seed + 1))
        if isinstance(again, Feedback) or isinstance(other_seed, Feedback):
            return again if isinstance(again, Feedback) else other_seed
        if _as_splits(again) != splits:
            return Feedback(False, f"with {name}, two calls with seed {seed} gave different splits; draw from "
                                   "np.random.default_rng(seed), not from the global random state, so that a "
                                   "seed always gives the same split.")
        if _as_splits(other_seed) == splits:
            return Feedback(False, f"with {name}, seeds {seed} and {seed + 1} gave the same split "
                                   f"({shown(splits[:4])} ...); let the seed choose which stories are tested.")
    return Feedback(True, "every story lands whole in one split, the test share is as asked, and a seed "
                          "always gives the same split.")
