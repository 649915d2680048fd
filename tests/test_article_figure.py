"""The article view as a picture: the HTML view's words, colours and sentences, wrapped inside the figure."""

import re
from base64 import b64decode
from io import BytesIO

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from PIL import Image

from mtl_lib import widgets
from mtl_lib.data import tokenize
from mtl_lib.errors import ConfigError
from mtl_lib.plots.article import FIGURE_WIDTH, MARGIN, article_figure, article_png
from mtl_lib.widgets import (PICTURE_DPI, PRIVATE_RGB, SHARED_RGB, article_html, legend_sentence, show_article,
                             summary_sentence, text_pieces)
from test_widgets import Elements, made_up

LAYER = re.compile(r"(repeating-)?linear-gradient\((?:135deg, )?rgba\((\d+), (\d+), (\d+), ([\d.]+)\)")


def by_gid(fig, gid: str) -> list:
    return [artist for artist in fig.findobj() if artist.get_gid() == gid]


def html_layers(attribution) -> list[list[tuple[bool, tuple[int, int, int], float]]]:
    """Per word the HTML view shows: its (striped, rgb, alpha) layers, shared first, private second."""
    return [[(bool(striped), (int(r), int(g), int(b)), float(alpha))
             for striped, r, g, b, alpha in LAYER.findall(span["style"])]
            for span in Elements(article_html(attribution)).word_spans()]


def figure_layer(fig, gid: str) -> tuple[bool, tuple[int, int, int], float]:
    """A word's half in the figure: striped or solid, its colour and its opacity."""
    stripes = [artist for artist in by_gid(fig, gid) if isinstance(artist, LineCollection)]
    box, = [artist for artist in by_gid(fig, gid) if isinstance(artist, Rectangle)]
    colour = stripes[0].get_colors()[0] if stripes else box.get_facecolor()
    return bool(stripes), tuple(round(channel * 255) for channel in colour[:3]), float(colour[3])


def words_drawn(fig) -> list[tuple[int, str]]:
    return sorted((int(text.get_gid().split()[1]), text.get_text()) for text in fig.texts
                  if (text.get_gid() or "").startswith("word "))


def test_every_word_has_the_html_views_colours_in_each_half():
    attribution = made_up("Fed raises rates , markets fall again", shared=[0.4, -0.2, 0.0, 0.1, -0.4, 0.3, -0.05],
                          private=[-0.1, 0.3, 0.2, -0.3, 0.05, 0.0, 0.4])
    fig = article_figure(attribution)
    for i, (shared, private) in enumerate(html_layers(attribution)):
        for html_layer, (striped, rgb, alpha) in zip((shared, private), (figure_layer(fig, f"shared {i}"),
                                                                          figure_layer(fig, f"private {i}"))):
            assert striped == html_layer[0] and rgb == html_layer[1]
            assert alpha == pytest.approx(html_layer[2], abs=0.006)  # the HTML rounds to two decimals
    assert {figure_layer(fig, f"shared {i}")[1] for i in range(7)} == {SHARED_RGB}
    assert {figure_layer(fig, f"private {i}")[1] for i in range(7)} == {PRIVATE_RGB}


def test_a_larger_contribution_is_a_stronger_colour_and_the_sign_its_pattern():
    values = [0.05, -0.1, 0.2, -0.3, 0.4]
    fig = article_figure(made_up("a b c d e", shared=values, private=np.zeros(5)), scale=0.4)
    layers = [figure_layer(fig, f"shared {i}") for i in range(5)]
    assert [striped for striped, _, _ in layers] == [value < 0 for value in values]
    assert [alpha for _, _, alpha in layers] == pytest.approx([0.85 * abs(value) / 0.4 for value in values])


def test_every_word_of_the_text_is_drawn_once_in_its_place_unread_ones_grey():
    text = "First words here, read.\n\nThen more words nobody read"
    attribution = made_up(text, read=5)
    fig = article_figure(attribution)
    assert words_drawn(fig) == [(i, piece) for piece, i in text_pieces(attribution) if i is not None]
    assert len(words_drawn(fig)) == len(tokenize(text))
    grey = {text.get_text() for text in fig.texts if text.get_color() == "#999999"}
    assert grey == {".", "Then", "more", "words", "nobody", "read"}  # from the sixth word on
    assert by_gid(fig, "shared 4") and not by_gid(fig, "shared 5")  # unread words have no colour
    lines = {round(text.get_position()[1], 3) for text in fig.texts if (text.get_gid() or "").startswith("word")}
    assert len(lines) == 2  # the paragraph break starts a new line


def test_a_word_outside_the_vocabulary_is_underlined_dotted():
    attribution = made_up("Fed raises zzqx")
    attribution.known[2] = False
    fig = article_figure(attribution)
    line, = fig.findobj(Line2D)
    word, = [text for text in fig.texts if text.get_gid() == "word 2"]
    assert line.is_dashed() and min(line.get_xdata()) == pytest.approx(word.get_position()[0])
    assert line.get_ydata()[0] < word.get_position()[1]  # under the baseline


def test_a_long_article_wraps_inside_the_figure_without_words_overlapping(bbc):
    articles = bbc.examples("BBC", "test")
    text = articles[articles.text.str.split().str.len().between(180, 250)].text.iloc[0]
    n = len(tokenize(text))
    rng = np.random.default_rng(0)
    attribution = made_up(text, shared=rng.normal(0, 0.1, n), private=rng.normal(0, 0.1, n))
    fig = article_figure(attribution)
    renderer = fig.canvas.get_renderer()
    width_px, height_px = fig.bbox.width, fig.bbox.height
    boxes = [text.get_window_extent(renderer) for text in fig.texts if text.get_text().strip()]
    margin_px = MARGIN * fig.dpi * 0.9
    assert all(box.x0 >= margin_px and box.x1 <= width_px - margin_px for box in boxes)
    assert all(box.y0 >= 0 and box.y1 <= height_px for box in boxes)
    lines = sorted({round(box.y0) for box in boxes})
    assert len(lines) > 12 and fig.get_figheight() > 6  # it wrapped onto many lines and grew to hold them
    shrunk = [box.shrunk(0.98, 0.9) for box in boxes]
    assert not any(a.overlaps(b) for k, a in enumerate(shrunk) for b in shrunk[k + 1:])
    words = {int(text.get_gid().split()[1]): text.get_window_extent(renderer) for text in fig.texts
             if (text.get_gid() or "").startswith("word ")}
    pieces = text_pieces(attribution)
    for (_, before), (between, word), (_, after) in zip(pieces, pieces[1:], pieces[2:]):
        if word is None and " " in between and before is not None and after is not None:
            left, right = words[before], words[after]
            assert right.x0 - left.x1 > 2 or right.y0 != left.y0  # a space, unless the line broke there
    halves = [box.get_window_extent(renderer) for box in fig.findobj(Rectangle)
              if (box.get_gid() or "").startswith(("shared", "private"))]
    assert len(halves) == 2 * n
    assert all(half.x0 >= 0 and half.x1 <= width_px and half.y0 >= 0 and half.y1 <= height_px for half in halves)


def test_a_word_wider_than_a_line_is_drawn_smaller_to_fit():
    fig = article_figure(made_up("see " + "-".join(["long"] * 60) + " here"))
    renderer = fig.canvas.get_renderer()
    word, = [text for text in fig.texts if text.get_gid() == "word 1"]
    assert word.get_fontsize() < 12
    assert word.get_window_extent(renderer).x1 <= fig.bbox.width - MARGIN * fig.dpi * 0.9


def test_the_figure_says_what_the_html_view_says_above_and_below_the_text():
    attribution = made_up("Fed raises rates", task="Huffington Post", labels=("science and technology", "health"))
    attribution.label = "health"
    drawn = "".join("".join(text.get_text() for text in article_figure(attribution).texts).split())
    for sentence in ("Huffington Post's head predicts science and technology (probability 0.80); explaining health",
                     "shared, for health", "shared, against", "private (Huffington Post), for health",
                     "private, against", legend_sentence(attribution, 1.0), summary_sentence(attribution)):
        assert "".join(sentence.split()) in drawn  # the pieces in order; spaces are gaps in a figure
    bold = {text.get_text() for text in article_figure(attribution).texts if text.get_fontweight() == "bold"}
    assert {"Huffington", "Post", "science", "technology", "health"} <= bold


def test_a_note_goes_above_the_view_and_a_bad_scale_is_refused():
    texts = article_figure(made_up("Fed raises rates"), note="A picture of the picker").texts
    assert texts[0].get_text() == "A" and max(texts, key=lambda text: text.get_position()[1]).get_text() == "A"
    with pytest.raises(ConfigError, match="scale must be >= 0"):
        article_figure(made_up("Fed raises rates"), scale=-1.0)


def test_the_png_is_the_figure_at_its_dpi():
    png = article_png(made_up("Fed raises rates"), dpi=100)
    image = Image.open(BytesIO(png))
    assert image.format == "PNG" and image.width == round(FIGURE_WIDTH * 100)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    for rgb in (SHARED_RGB, PRIVATE_RGB):  # full colour (the legend's boxes) on white survives the 256 colours
        full = 0.85 * np.array(rgb) + 0.15 * 255
        assert (np.abs(pixels - full).max(axis=1) <= 3).sum() > 500


def test_show_article_displays_one_output_a_picture_and_its_text(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "display", lambda *objects, **options: shown.append((objects, options)))
    show_article(made_up("Fed raises rates"))
    (objects, options), = shown
    data, = objects
    assert set(data) == {"image/png", "text/plain"} and options["raw"]  # no text/html: GitHub would show it bare
    assert Image.open(BytesIO(b64decode(data["image/png"]))).width == round(FIGURE_WIDTH * PICTURE_DPI)
    assert data["text/plain"].startswith("Reuters's head predicts business (probability 0.80)")
    assert "Fed raises rates" in data["text/plain"]
    assert options["metadata"]["image/png"]["width"] == widgets.PICTURE_WIDTH
