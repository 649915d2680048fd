"""Boxes and arrows, the parts every architecture diagram is drawn with (`diagrams`, `architectures`).

A diagram is an axes without frame (`canvas`) in which a unit is the same length across
and up; `box` puts a rounded box with words in it, coloured by the role it plays
(`ROLE_COLOURS`, from seaborn's colour-blind palette), `frame` draws a dashed outline
round a group of boxes, and `arrow` joins two of them. A frozen box is hatched as well
as coloured, a masked or dropped one grey and dashed: each says so in words too.
"""

import textwrap

import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

_PALETTE = sns.color_palette("colorblind")
ROLE_COLOURS = {"input": _PALETTE[2], "shared": _PALETTE[0], "head": _PALETTE[1], "loss": _PALETTE[4],
                "split": _PALETTE[0], "leaf": _PALETTE[1], "off": (0.55, 0.55, 0.55), "private": _PALETTE[8],
                "discriminator": _PALETTE[3], "reversal": _PALETTE[7], "frozen": _PALETTE[9]}
HATCHED_ROLES = {"frozen"}
FONT_SIZE = 9
ARROW_COLOUR = "0.2"


def light(colour: tuple[float, float, float], share: float = 0.82) -> tuple[float, float, float]:
    """`colour` mixed with white, `share` of white: the fill behind black text."""
    return tuple(share + (1 - share) * channel for channel in to_rgb(colour))


def canvas(ax: Axes, width: float, height: float, title: str = "") -> None:
    """An axes without frame or ticks whose data units are `width` x `height`, the same scale on both axes."""
    ax.set(xlim=(0, width), ylim=(0, height), aspect="equal")
    ax.set_title(title, fontsize=FONT_SIZE + 2, fontweight="bold")
    ax.axis("off")


def box(ax: Axes, x: float, y: float, text: str, role: str, width: float = 1.5, height: float = 0.7,
        off: bool = False) -> FancyBboxPatch:
    """A rounded box centred on (x, y) with `text` inside, coloured by `role`; `off` draws it grey and
    dashed (a masked head, a dropped head), a role in HATCHED_ROLES (frozen) hatched."""
    colour = ROLE_COLOURS["off" if off else role]
    fill = "white" if off else light(colour)
    hatched = role in HATCHED_ROLES and not off
    patch = FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0,rounding_size=0.1",
                           facecolor=fill, edgecolor=colour, linewidth=1.5, linestyle="--" if off else "-",
                           hatch="////" if hatched else None)
    ax.add_patch(patch)
    backing = {"bbox": {"facecolor": fill, "edgecolor": "none", "pad": 1.5}} if hatched else {}
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, color=colour if off else "black",
            linespacing=1.15, **backing)
    return patch


def frame(ax: Axes, boxes: list[FancyBboxPatch], role: str, pad: float = 0.12) -> FancyBboxPatch:
    """A dashed outline `pad` clear of every one of `boxes`, in the colour of `role`: the boxes as one group."""
    left = min(patch.get_x() for patch in boxes) - pad
    bottom = min(patch.get_y() for patch in boxes) - pad
    right = max(patch.get_x() + patch.get_width() for patch in boxes) + pad
    top = max(patch.get_y() + patch.get_height() for patch in boxes) + pad
    outline = FancyBboxPatch((left, bottom), right - left, top - bottom, boxstyle="round,pad=0,rounding_size=0.15",
                             facecolor="none", edgecolor=ROLE_COLOURS[role], linewidth=1.3, linestyle="--")
    ax.add_patch(outline)
    return outline


def _level(y: float, low: float, high: float) -> float:
    """`y` kept inside a side that runs from `low` to `high`, clear of its rounded corners."""
    inset = 0.15 * (high - low)
    return min(max(y, low + inset), high - inset)


def arrow(ax: Axes, start: FancyBboxPatch, end: FancyBboxPatch, off: bool = False, role: str | None = None,
          link: bool = False) -> FancyArrowPatch:
    """An arrow between facing sides: from the right side of `start` to the left side of `end` when `end` lies
    to the right (each end as level with the other box as its side allows), else from bottom centre to top centre.

    `role` colours it by what it carries (the shared features: "shared"); `off` draws it grey and dashed;
    `link` makes it a dotted line with a head at each end: a loss between the two, not a flow of data.
    """
    left, bottom, width, height = start.get_x(), start.get_y(), start.get_width(), start.get_height()
    end_left, end_bottom, end_width, end_height = end.get_x(), end.get_y(), end.get_width(), end.get_height()
    if end_left >= left + width:
        tail = (left + width, _level(end_bottom + end_height / 2, bottom, bottom + height))
        head = (end_left, _level(bottom + height / 2, end_bottom, end_bottom + end_height))
    else:
        tail, head = (left + width / 2, bottom), (end_left + end_width / 2, end_bottom + end_height)
    colour = ROLE_COLOURS["off"] if off else ROLE_COLOURS[role] if role else ARROW_COLOUR
    patch = FancyArrowPatch(tail, head, shrinkA=2, shrinkB=2, arrowstyle="<|-|>" if link else "-|>",
                            mutation_scale=8 if link else 12, linewidth=1.2, color=colour,
                            linestyle=":" if link else "--" if off else "-")
    ax.add_patch(patch)
    return patch


def wrap(text: str, width: int) -> str:
    """`text` broken between words onto lines of at most `width` characters."""
    return textwrap.fill(text, width, break_long_words=False)
