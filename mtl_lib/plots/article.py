"""The article view as a picture: the words of `mtl_lib.widgets.article_html`, in the same colours.

GitHub's notebook viewer removes inline CSS, so there the HTML view shows as plain text; a PNG
keeps its colours in every viewer. `article_figure` draws the same text word by word: the top
half of each word is coloured by its shared contribution, the bottom half by its private one,
solid where the word pushes towards the label and striped where it pushes away, on the HTML
view's colour scale. Colours, opacities (`channel_alpha`), the scale (`largest_contribution`),
the cut into words (`text_pieces`) and the header, legend and summary sentences all come from
`mtl_lib.widgets`, so the two views cannot drift apart. Lines break at the spaces between
words, where the next word would cross the figure's right margin, widths measured by
Matplotlib's renderer: a 200-word article wraps as a paragraph does on a page.

- `article_figure(attribution, scale=None)`: the Figure. It is drawn without pyplot, so a
  notebook shows it once, when it is a cell's last expression.
- `article_png(attribution, scale=None)`: the same as PNG bytes (what `mtl_lib.widgets.show_article`
  displays).
"""

import re
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle
from PIL import Image

from mtl_lib.attributions import Attribution
from mtl_lib.errors import ConfigError
from mtl_lib.widgets import (PRIVATE_RGB, SHARED_RGB, channel_alpha, header_runs, largest_contribution,
                             legend_sentence, summary_sentence, text_pieces)

FIGURE_WIDTH = 9.0  # inches: 900 pixels at 100 dpi, the HTML view's max-width of 56em
TEXT_SIZE = 12.0  # points: the article's words
HEADER_SIZE = 11.0  # the line saying what the head predicts
SMALL_SIZE = 9.5  # legend and summary (the HTML view's 85%)
LINE_SPACING = 1.9  # line height / font size, the HTML view's line-height
MARGIN = 0.2  # inches from the figure's edge to the text
GAP = 0.08  # inches between the header, the text, the legend and the summary
PAD = 0.012  # inches of colour around a word, the HTML view's 1px padding
STRIPE = 0.04  # inches from one stripe to the next (a contribution against the label), the HTML view's 4px
GREY, SUMMARY, FRAME = "#999999", "#444444", "#dddddd"  # unread words, the summary, the frame
BREAKS = re.compile(r"([ \t\r\n]+)")  # where a line may end; a no-break space is part of a word
SPACE, NEWLINE = "space", "newline"


@dataclass
class Run:
    """Text in one style: a word of the article, the text between two words, or part of a sentence."""

    text: str
    word: int | None = None  # the word's position among `tokenize(text)`, None for anything else
    bold: bool = False
    colour: str = "black"
    swatch: tuple[tuple[int, int, int], float] | None = None  # a legend's colour box (rgb, sign) in place of text


@dataclass
class Placed:
    """A piece of a run, between two breaks, on its line: inches from the figure's left and top edges."""

    run: Run
    text: str
    size: float  # points: the block's font size, smaller only for a word wider than a whole line
    x: float
    width: float
    top: float  # the top of the text's box (where its colour starts), which lies above the baseline
    baseline: float
    bottom: float


def _font(size: float, bold: bool = False) -> FontProperties:
    return FontProperties(family="sans-serif", size=size, weight="bold" if bold else "normal")


def _extent(renderer: RendererAgg, text: str, font: FontProperties) -> tuple[float, float, float]:
    """Width, height and descent of `text` in inches, as the renderer draws it."""
    width, height, descent = renderer.get_text_width_height_descent(text, font, ismath=False)
    return width / renderer.dpi, height / renderer.dpi, descent / renderer.dpi


def _pieces(renderer: RendererAgg, runs: list[Run], size: float) -> list:
    """The runs cut at their breaks: `[(run, text, width), ...]` for each stretch without a break
    (a word with the punctuation touching it), SPACE and NEWLINE between them."""
    pieces: list = []
    for run in runs:
        for part in filter(None, BREAKS.split(run.text)):
            if BREAKS.fullmatch(part):
                pieces += [NEWLINE] * part.count("\n") or [SPACE]
                continue
            piece = (run, part, _extent(renderer, part, _font(size, run.bold))[0])
            if pieces and isinstance(pieces[-1], list):
                pieces[-1].append(piece)  # no break since the last piece: the two stay on one line
            else:
                pieces.append([piece])
    return pieces


def _flow(renderer: RendererAgg, runs: list[Run], top: float, size: float, width: float) -> tuple[list[Placed], float]:
    """Lay `runs` out from `top` between the margins of a figure `width` inches wide, as text wraps.

    A line ends at a space when the next stretch of text would cross the right margin (a
    stretch wider than a whole line is broken between its runs, and a single word wider than
    a line is drawn smaller, to fit). Each line break of the text starts a new line, so a blank
    line between paragraphs stays, as `<br><br>` does. Returns the pieces placed and the
    bottom of the last line, in inches from the top.
    """
    left, right = MARGIN, width - MARGIN
    line_height = LINE_SPACING * size / 72
    _, height, descent = _extent(renderer, "Ág", _font(size))  # the box the colour fills: ascent + descent
    ascent = height - descent
    space = _extent(renderer, "x x", _font(size))[0] - _extent(renderer, "xx", _font(size))[0]
    placed, x, line, last_line = [], left, 0, 0

    def new_line() -> None:
        nonlocal x, line
        x, line = left, line + 1

    for stretch in _pieces(renderer, runs, size):
        if stretch == NEWLINE:
            new_line()
        elif stretch == SPACE:
            x += space if x > left else 0.0  # a line does not start with a space
        else:
            if x > left and x + sum(piece_width for _, _, piece_width in stretch) > right:
                new_line()
            for run, text, piece_width in stretch:
                if x > left and x + piece_width > right:
                    new_line()
                piece_size = size
                while piece_width > right - left:  # glyph widths do not shrink quite in proportion: measure again
                    piece_size *= 0.98 * (right - left) / piece_width
                    piece_width = _extent(renderer, text, _font(piece_size, run.bold))[0]
                baseline = top + line * line_height + (line_height - height) / 2 + ascent  # the box centred in its line
                placed.append(Placed(run, text, piece_size, x, piece_width, baseline - ascent, baseline,
                                     baseline + descent))
                x, last_line = x + piece_width, line
    return placed, top + (last_line + 1) * line_height


def _article_runs(attribution: Attribution) -> list[Run]:
    """The text as `text_pieces` cuts it: words the model read, words past `max_length` (grey), text between."""
    read = len(attribution.tokens)
    return [Run(piece) if i is None else Run(piece, word=i, colour="black" if i < read else GREY)
            for piece, i in text_pieces(attribution)]


def _legend_runs(attribution: Attribution) -> list[Run]:
    """The four colour boxes of the HTML view's legend, each before its words (no break between the two)."""
    label = attribution.label
    entries = [(SHARED_RGB, 1.0, "shared, for ", label), (SHARED_RGB, -1.0, "shared, against", ""),
               (PRIVATE_RGB, 1.0, f"private ({attribution.task}), for ", label),
               (PRIVATE_RGB, -1.0, "private, against", "")]
    runs = []
    for rgb, sign, words, bold_words in entries:
        runs += [Run("\u2007\u2007\u2007", swatch=(rgb, sign)),  # figure spaces: the box's width, no break
                 Run("\u00a0" + words), Run(bold_words, bold=True), Run("\u2003 ")]  # an em space, then a break
    return runs


class _Canvas:
    """Draws on a figure in inches from its top-left corner, the way `_flow` measures."""

    def __init__(self, fig: Figure, height: float):
        self.fig, self.height = fig, height

    def text(self, piece: Placed, gid: str | None = None) -> None:
        self.fig.text(piece.x, self.height - piece.baseline, piece.text, transform=self.fig.dpi_scale_trans,
                      fontproperties=_font(piece.size, piece.run.bold), color=piece.run.colour, ha="left",
                      va="baseline", parse_math=False, gid=gid)

    def half(self, piece: Placed, upper: bool, rgb: tuple[int, int, int], value: float, scale: float,
             gid: str) -> None:
        """One channel's half of a word's colour: solid where `value` >= 0, striped where it is < 0."""
        middle = (piece.top + piece.bottom) / 2
        top, bottom = (piece.top - PAD, middle) if upper else (middle, piece.bottom + PAD)
        x0, x1 = piece.x - PAD, piece.x + piece.width + PAD
        colour = (rgb[0] / 255, rgb[1] / 255, rgb[2] / 255, channel_alpha(value, scale))
        box = Rectangle((x0, self.height - bottom), x1 - x0, bottom - top, transform=self.fig.dpi_scale_trans,
                        facecolor=colour if value >= 0 else "none", linewidth=0, antialiased=False, gid=gid)
        self.fig.add_artist(box)
        if value < 0:  # stripes rising to the right, half colour and half gap, as the HTML view's 135deg gradient
            step = STRIPE * np.sqrt(2)
            starts = np.arange(x0 - (bottom - top), x1, step)
            lines = [[(start, self.height - bottom), (start + bottom - top, self.height - top)] for start in starts]
            stripes = LineCollection(lines, colors=[colour], linewidths=STRIPE / 2 * 72, capstyle="butt",
                                     antialiaseds=False, transform=self.fig.dpi_scale_trans, gid=gid)
            stripes.set_clip_path(box)
            self.fig.add_artist(stripes)

    def underline(self, piece: Placed) -> None:
        """A dotted line under a word outside the vocabulary (the HTML view's `underline dotted`)."""
        y = self.height - (piece.baseline + (piece.bottom - piece.baseline) * 0.45)
        self.fig.add_artist(Line2D([piece.x, piece.x + piece.width], [y, y], transform=self.fig.dpi_scale_trans,
                                   color="black", linewidth=0.9, linestyle=(0, (1, 1.5))))

    def frame(self, width: float) -> None:
        self.fig.add_artist(FancyBboxPatch((MARGIN / 3, MARGIN / 3), width - 2 * MARGIN / 3,
                                           self.height - 2 * MARGIN / 3, boxstyle="round,pad=0,rounding_size=0.05",
                                           transform=self.fig.dpi_scale_trans, facecolor="white", edgecolor=FRAME,
                                           linewidth=1, zorder=0))


def article_figure(attribution: Attribution, scale: float | None = None, note: str | None = None,
                   width: float = FIGURE_WIDTH, dpi: int = 200) -> Figure:
    """The article view of one explained text as a Figure `width` inches wide, as tall as its text needs.

    `scale` is the contribution drawn at full colour, by default the largest |contribution| of
    this text in either channel, as in `article_html`. `note` is an optional grey line above the
    view (the article picker says there what it shows). Each word's text artist has the gid
    "word i" (i its position among the words) and its two halves "shared i" and "private i".

    >>> article_figure(explain(result, "Reuters", "Fed raises rates again"))
    """
    scale = largest_contribution(attribution) if scale is None else scale
    if not scale >= 0:
        raise ConfigError(f"scale must be >= 0 (None: the largest contribution of the text); got {scale!r}")
    if not width > 2 * MARGIN + 1:
        raise ConfigError(f"width must leave room for text: more than {2 * MARGIN + 1:.1f} inches; got {width!r}")
    fig = Figure(figsize=(width, 1.0), dpi=dpi, facecolor="white")  # measured at the dpi it is drawn at
    renderer = FigureCanvasAgg(fig).get_renderer()
    placed: list[Placed] = []
    y = MARGIN
    for runs, size in [([Run(note, colour=SUMMARY)] if note else [], SMALL_SIZE),
                       ([Run(text, bold=bold) for text, bold in header_runs(attribution)], HEADER_SIZE),
                       (_article_runs(attribution), TEXT_SIZE), (_legend_runs(attribution), SMALL_SIZE),
                       ([Run(legend_sentence(attribution, scale))], SMALL_SIZE),
                       ([Run(summary_sentence(attribution), colour=SUMMARY)], SMALL_SIZE)]:
        if runs:
            block, y = _flow(renderer, runs, y, size, width)
            placed += block
            y += GAP
    height = y - GAP + MARGIN
    fig.set_size_inches(width, height)
    canvas = _Canvas(fig, height)
    canvas.frame(width)
    for piece in placed:
        i = piece.run.word
        if piece.run.swatch is not None:
            rgb, sign = piece.run.swatch
            canvas.half(piece, True, rgb, sign, 1.0, gid="legend")
            canvas.half(piece, False, rgb, sign, 1.0, gid="legend")
        elif i is not None and i < len(attribution.tokens):
            canvas.half(piece, True, SHARED_RGB, float(attribution.shared[i]), scale, gid=f"shared {i}")
            canvas.half(piece, False, PRIVATE_RGB, float(attribution.private[i]), scale, gid=f"private {i}")
            if not attribution.known[i]:
                canvas.underline(piece)
            canvas.text(piece, gid=f"word {i}")
        else:
            canvas.text(piece, gid=None if i is None else f"word {i}")
    return fig


def article_png(attribution: Attribution, scale: float | None = None, note: str | None = None,
                dpi: int = 200) -> bytes:
    """`article_figure` as PNG bytes, `dpi` pixels per inch (200: sharp on high-density screens).

    The picture keeps 256 colours, which makes it a quarter of the size (about 180 kB for a
    200-word article): the colours of words and legend stay as drawn, only tints fainter than
    about 5% of full colour turn white.
    """
    drawn = BytesIO()
    article_figure(attribution, scale, note, dpi=dpi).savefig(drawn, format="png", dpi=dpi)
    picture = Image.open(drawn).convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE,
                                                          dither=Image.Dither.NONE)
    kept = BytesIO()
    picture.save(kept, format="png", optimize=True)
    return kept.getvalue()
