"""Train/dev/test splits that are deterministic from a seed and keep groups whole.

A group is a set of rows that must land in the same split: the headlines of one
news story (written up by several publications), or copies of the same text.
Splitting row by row would put one story's headlines on both sides and let the
test set leak into training.
"""

import numpy as np
import pandas as pd

SPLITS = ("train", "dev", "test")
FRACTIONS = (0.7, 0.1, 0.2)


def linked_groups(*keys: pd.Series) -> pd.Series:
    """One group id per row, such that rows sharing a value in any of `keys` share a group.

    The groups are the connected components of "same story or same text": a
    headline re-filed under a new story id stays with its first copy.
    Example: `linked_groups(news.story, news.text.str.lower())`.
    """
    parent = np.arange(len(keys[0]))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    for key in keys:
        first_row_of = {}
        for row, value in enumerate(key.to_numpy()):
            if value in first_row_of:
                parent[root(row)] = root(first_row_of[value])
            else:
                first_row_of[value] = row
    return pd.Series([root(row) for row in range(len(parent))], index=keys[0].index, name="group")


def grouped_split(groups: pd.Series, seed: int, fractions: tuple[float, ...] = FRACTIONS) -> pd.Series:
    """Assign each row a split so that no group is in two splits.

    Groups are shuffled with the seed and laid end to end; a group goes to the
    split in which its middle row falls, so split sizes come out close to the
    fractions (in rows, not groups). Example: `grouped_split(news.story, seed=0)`.
    """
    if not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"split fractions must sum to 1, got {fractions}")
    sizes = groups.value_counts(sort=False)
    order = np.random.default_rng(seed).permutation(len(sizes))
    sizes = sizes.iloc[order]
    middles = (sizes.cumsum() - sizes / 2) / len(groups)  # where each group's middle row falls, in [0, 1]
    bounds = np.cumsum(fractions)[:-1]
    split_of_group = pd.Series(np.asarray(SPLITS[: len(fractions)])[np.searchsorted(bounds, middles.to_numpy())],
                               index=sizes.index)
    return groups.map(split_of_group).rename("split")


def stratified_grouped_split(strata: pd.Series, groups: pd.Series, seed: int,
                             fractions: tuple[float, ...] = FRACTIONS) -> pd.Series:
    """Like `grouped_split`, but within each stratum (a label, a task), so each split keeps its mix.

    A group belongs to the stratum of its first row. Example: BBC articles
    stratified by category, with exact duplicate texts as groups.
    """
    stratum_of_group = strata.groupby(groups, sort=False).transform("first")
    parts = [grouped_split(groups[stratum_of_group == stratum], seed + offset, fractions)
             for offset, stratum in enumerate(sorted(stratum_of_group.unique(), key=str))]
    return pd.concat(parts).reindex(groups.index)
