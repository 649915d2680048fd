"""Shared fixtures: the three built-in data sets, loaded once per test session, and figure cleanup.

They come from `MTL_DATA_MIRROR` when it is set (CI points it at ../shared/data),
else from the download cache, downloading on first use.
"""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: the tests draw figures off screen

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mtl_lib.data import MultiTaskData  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test drew, so figures never pile up across the session."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def news() -> MultiTaskData:
    return MultiTaskData.load("news")


@pytest.fixture(scope="session")
def bbc() -> MultiTaskData:
    return MultiTaskData.load("bbc")


@pytest.fixture(scope="session")
def fdu() -> MultiTaskData:
    return MultiTaskData.load("fdu-mtl")
