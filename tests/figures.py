"""What every test of a figure checks: it is a Matplotlib Axes with a title and both axis labels."""

from matplotlib.axes import Axes


def assert_labelled(ax: Axes) -> None:
    assert isinstance(ax, Axes)
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
