"""Shared fixtures: the three built-in data sets, loaded once per test session.

They come from `MTL_DATA_MIRROR` when it is set (CI points it at ../shared/data),
else from the download cache, downloading on first use.
"""

import pytest

from mtl_lib.data import MultiTaskData


@pytest.fixture(scope="session")
def news() -> MultiTaskData:
    return MultiTaskData.load("news")


@pytest.fixture(scope="session")
def bbc() -> MultiTaskData:
    return MultiTaskData.load("bbc")


@pytest.fixture(scope="session")
def fdu() -> MultiTaskData:
    return MultiTaskData.load("fdu-mtl")
