"""The article view: a text with every word highlighted by what it contributed, shared and private apart.

Like the article view of Fast Forward Labs' prototype Newsie, it shows word by word how
the model reached its category, and which of that came through the shared encoder
(language every publication uses alike) and which through the publication's private one.

- `article_html(attribution)`: the view as an HTML fragment, for `IPython.display.HTML`.
- `article_document(attribution)`: the same as a whole HTML page (what `python -m mtl_lib
  explain` writes).
- `text_pieces(attribution)`: the text cut into its words and what lies between them, which
  the views colour (here, and in the Newsie app, `mtl_lib.newsie`).
- `show_article(attribution)`: the view as a picture (`mtl_lib.plots.article`), one PNG output
  that keeps its colours in every notebook viewer, GitHub's included.
- `ArticlePicker`: drop-downs over publications, articles and heads that re-render the view;
  its notebook output carries a picture of its current choice for viewers that cannot run widgets.

Why a picture: GitHub's notebook viewer removes inline CSS, so `article_html` shows there as
plain text. A viewer draws one representation of each output (JupyterLab and nbconvert take
text/html before image/png), so an output holding both would still show GitHub the bare text,
and two outputs would show the view twice everywhere else. A widget is different: viewers that
can draw it prefer it to any image, and GitHub, which cannot, shows the image.

Every piece of text that comes from data (the article, its words, task and label names)
is escaped with `html.escape(..., quote=True)`: a headline holding `<script>` or a quote
shows as text and can neither run nor break out of an attribute.
"""

from base64 import b64encode
from html import escape

import ipywidgets as widgets
import numpy as np
from IPython.display import display

from mtl_lib.attributions import Attribution, explain
from mtl_lib.checkpoints import Run
from mtl_lib.data import MultiTaskData, tokenize
from mtl_lib.errors import ConfigError

SHARED_RGB = (31, 119, 180)  # matplotlib's tab:blue
PRIVATE_RGB = (255, 127, 14)  # matplotlib's tab:orange
STRONGEST_ALPHA = 0.85  # the opacity of the word with the largest contribution


def channel_alpha(value: float, scale: float) -> float:
    """The opacity of one channel's colour behind a word: `STRONGEST_ALPHA` for |value| >= scale, 0 at 0."""
    return STRONGEST_ALPHA * min(1.0, abs(value) / scale) if scale > 0 else 0.0


def _layer(rgb: tuple[int, int, int], value: float, scale: float) -> str:
    """One channel's half of a word's background: solid if the word speaks for the label, striped if against."""
    alpha = channel_alpha(value, scale)
    colour = f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha:.2f})"
    if value >= 0:
        return f"linear-gradient({colour}, {colour})"
    return f"repeating-linear-gradient(135deg, {colour} 0 2px, transparent 2px 4px)"


def _word_style(shared: float, private: float, scale: float, known: bool) -> str:
    """Inline CSS: the shared channel colours the top half of the word, the private channel the bottom."""
    layers = f"{_layer(SHARED_RGB, shared, scale)}, {_layer(PRIVATE_RGB, private, scale)}"
    style = (f"background-image: {layers}; background-size: 100% 50%; background-position: top, bottom; "
             "background-repeat: no-repeat; padding: 1px 1px; border-radius: 2px")
    return style if known else style + "; text-decoration: underline dotted"


def _word_title(word: str, shared: float, private: float, known: bool) -> str:
    unknown = " | not in the vocabulary: read as <unk>" if not known else ""
    return f"{word} | shared {shared:+.3f} | private {private:+.3f} | total {shared + private:+.3f}{unknown}"


def _word_span(word: str, shared: float, private: float, scale: float, known: bool) -> str:
    title = escape(_word_title(word, shared, private, known), quote=True)
    return (f'<span style="{_word_style(shared, private, scale, known)}" title="{title}">'
            f"{escape(word, quote=True)}</span>")


def _plain(text: str) -> str:
    """Text between words: escaped, with its line breaks kept (articles have paragraphs)."""
    return escape(text, quote=True).replace("\n", "<br>")


def text_pieces(attribution: Attribution) -> list[tuple[str, int | None]]:
    """The text as written, cut into its words and what lies between them: `(piece, word)` pairs.

    `word` is the word's position among `tokenize(text)`, None for the text between words.
    Words at positions from `len(attribution.tokens)` on lie past `max_length`: the model never
    read them. Words are found where `tokenize` found them (it lowercases first; where
    lowercasing changes the length of the text, the lowercased text is shown).

    >>> text_pieces(explain(result, "Reuters", "Fed raises rates"))
    [('', None), ('Fed', 0), (' ', None), ('raises', 1), (' ', None), ('rates', 2), ('', None)]
    """
    text = attribution.text
    lowered = text.lower()
    shown = text if len(lowered) == len(text) else lowered
    pieces, position = [], 0
    for i, word in enumerate(tokenize(text)):
        start = lowered.find(word, position)
        end = start + len(word)
        pieces += [(shown[position:start], None), (shown[start:end], i)]
        position = end
    pieces.append((shown[position:], None))
    return pieces


def _highlighted_text(attribution: Attribution, scale: float) -> str:
    """The text as written, each attributed word wrapped in a coloured span, the rest plain; unread words grey."""
    pieces = []
    for piece, i in text_pieces(attribution):
        if i is None:
            pieces.append(_plain(piece))
        elif i < len(attribution.tokens):
            pieces.append(_word_span(piece, float(attribution.shared[i]), float(attribution.private[i]),
                                     scale, bool(attribution.known[i])))
        else:
            pieces.append(f'<span style="color: #999">{escape(piece, quote=True)}</span>')
    return "".join(pieces)


def _swatch(rgb: tuple[int, int, int], value: float, words: str) -> str:
    """A legend entry: a small box in one channel's colour, solid (value >= 0) or striped (< 0)."""
    return (f'<span style="background-image: {_layer(rgb, value, 1.0)}; padding: 1px 8px; border-radius: 2px">'
            f"&nbsp;</span> {words}")


def legend_sentence(attribution: Attribution, scale: float) -> str:
    """How to read the colours, in words (plain text): the legend of the HTML view and of the figure."""
    return ("Top half of a word: shared encoder; bottom half: private encoder. Solid: the word pushes "
            f"towards {attribution.label}; striped: away from it. Full colour: a contribution of {scale:.3f} or more. "
            "Dotted underline: a word outside the vocabulary.")


def _legend(attribution: Attribution, scale: float) -> str:
    label, task = escape(attribution.label, quote=True), escape(attribution.task, quote=True)
    items = [_swatch(SHARED_RGB, 1.0, f"shared, for <b>{label}</b>"), _swatch(SHARED_RGB, -1.0, "shared, against"),
             _swatch(PRIVATE_RGB, 1.0, f"private ({task}), for <b>{label}</b>"),
             _swatch(PRIVATE_RGB, -1.0, "private, against")]
    return ('<div style="font-size: 85%; margin-top: 0.6em">' + " &nbsp; ".join(items)
            + f"<br>{escape(legend_sentence(attribution, scale), quote=True)} Hover over a word for its numbers.</div>")


def summary_sentence(attribution: Attribution) -> str:
    """What the words add up to, shared and private apart, and what that sum equals (plain text)."""
    shared, private = float(attribution.shared.sum()), float(attribution.private.sum())
    read = (f"; the model read the first {len(attribution.tokens)} of {attribution.words_in_text} words (grey: unread)"
            if attribution.words_in_text > len(attribution.tokens) else "")
    return (f"Shared words add {shared:+.3f} and private words {private:+.3f} to the logit of {attribution.label}: "
            f"together {shared + private:+.3f}, which is logit(text) {attribution.logit:+.3f} minus logit(all padding) "
            f"{attribution.baseline_logit:+.3f} = {attribution.logit_difference:+.3f} "
            f"(integrated gradients, {attribution.steps} steps){read}.")


def _summary(attribution: Attribution) -> str:
    return ('<div style="font-size: 85%; color: #444; margin-top: 0.4em">'
            f"{escape(summary_sentence(attribution), quote=True)}</div>")


def header_runs(attribution: Attribution) -> list[tuple[str, bool]]:
    """The view's first line as `(text, bold)` runs: the head, what it predicts, and how sure it is.

    >>> header_runs(explain(result, "Reuters", "Fed raises rates"))
    [('Reuters', True), ("'s head predicts ", False), ('business', True), (' (probability 0.93)', False)]
    """
    probability = attribution.probabilities.get(attribution.predicted)  # None for a regression head
    runs = [(attribution.task, True), ("'s head predicts ", False), (attribution.predicted, True)]
    if probability is not None:
        runs.append((f" (probability {probability:.2f})", False))
        if attribution.label != attribution.predicted:
            runs += [("; explaining ", False), (attribution.label, True)]
    return runs


def _header(attribution: Attribution) -> str:
    """The header in HTML: the bold runs come from data and are escaped; the others are this module's words."""
    return ('<div style="margin-bottom: 0.4em">'
            + "".join(f"<b>{escape(text, quote=True)}</b>" if bold else text for text, bold in header_runs(attribution))
            + "</div>")


def largest_contribution(attribution: Attribution) -> float:
    """The largest |contribution| of any word, either channel: what a view draws at full colour by default."""
    return float(np.abs(np.concatenate([attribution.shared, attribution.private])).max())


def article_html(attribution: Attribution, scale: float | None = None) -> str:
    """The article view of one explained text, as an HTML fragment with inline styles only.

    `scale` is the contribution drawn at full colour; by default the largest |contribution|
    of this text, either channel. Give the same scale to several views to compare them.

    >>> display(HTML(article_html(explain(result, "Reuters", "Fed raises rates again"))))
    """
    scale = largest_contribution(attribution) if scale is None else scale
    if not scale >= 0:
        raise ConfigError(f"scale must be >= 0 (None: the largest contribution of the text); got {scale!r}")
    return ('<div style="font-family: sans-serif; line-height: 1.9; max-width: 56em; padding: 0.5em; '
            'border: 1px solid #ddd; border-radius: 4px">'
            + _header(attribution)
            + f'<div style="font-size: 105%">{_highlighted_text(attribution, scale)}</div>'
            + _legend(attribution, scale) + _summary(attribution) + "</div>")


def article_document(attribution: Attribution, scale: float | None = None) -> str:
    """The article view as a complete HTML page (UTF-8), to save and open in a browser."""
    title = escape(f"{attribution.task}: {attribution.predicted}", quote=True)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n</head>\n'
            f"<body>\n{article_html(attribution, scale)}\n</body>\n</html>\n")


PICTURE_DPI = 200  # pixels per inch of a stored picture: sharp on high-density screens
PICTURE_WIDTH = 900  # CSS pixels a notebook shows it at, the HTML view's width


def _plain_view(attribution: Attribution) -> str:
    """The view in plain text (for viewers without images): header, text and summary."""
    header = "".join(text for text, _ in header_runs(attribution))
    return f"{header}\n\n{attribution.text}\n\n{summary_sentence(attribution)}"


def _picture(attribution: Attribution, scale: float | None = None, note: str | None = None) -> tuple[dict, dict]:
    """The view as a PNG output: (data, metadata) of a notebook's display_data."""
    from mtl_lib.plots.article import article_png  # here, not above: it draws with this module's colours

    png = b64encode(article_png(attribution, scale, note, dpi=PICTURE_DPI)).decode("ascii")
    text = _plain_view(attribution) if note is None else f"{note}\n\n{_plain_view(attribution)}"
    return {"image/png": png, "text/plain": text}, {"image/png": {"width": PICTURE_WIDTH}}


def show_article(attribution: Attribution, scale: float | None = None) -> None:
    """Display the article view as a picture: one output, in its colours wherever the notebook is read.

    The picture has no tooltips: `attribution.frame()` lists every word's numbers, and
    `display(HTML(article_html(attribution)))` shows them on hover in a running notebook.

    >>> show_article(explain(result, "Reuters", "Fed raises rates again"))
    """
    data, metadata = _picture(attribution, scale)
    display(data, raw=True, metadata=metadata)


class ArticlePicker:
    """Drop-downs over publications, their articles and the head that reads them, above the article view.

    The head may be any task of the model, so an article of one publication (or of the BBC)
    can be read as another publication would classify it. `show()` displays the picker as one
    output: the live widget, and a picture of its current article for viewers that cannot draw
    widgets (GitHub). JupyterLab, nbconvert (nbviewer) and the course site draw the widget
    instead, from the kernel or from the widget state saved with the notebook; nbconvert shows
    the picture only when no state was saved.

    >>> picker = ArticlePicker(result, news, split="test")
    >>> picker.show()
    """

    def __init__(self, trained: Run, data: MultiTaskData, split: str = "test", head: str | None = None,
                 steps: int = 32, max_length: int | None = None, max_articles: int = 100):
        self.trained, self.data, self.split = trained, data, split
        self.steps, self.max_length, self.max_articles = steps, max_length, max_articles
        tasks = trained.model.task_names
        if head is not None:
            trained.model.task_index(head)  # an unknown head fails here, naming the known ones
        first = data.task_names[0]
        self.publication = widgets.Dropdown(options=data.task_names, value=first, description="publication")
        self.article = widgets.Dropdown(description="article", layout=widgets.Layout(width="60em"))
        self.head = widgets.Dropdown(options=tasks, description="head",
                                     value=head or (first if first in tasks else tasks[0]))
        self.view = widgets.HTML()
        self.shown: Attribution | None = None  # what the view shows; None when the publication has no articles
        self._choosing = False  # True while one choice updates the others: render once, at the end
        self._fill_articles()
        self._render()
        self.publication.observe(self._on_publication, names="value")
        self.article.observe(self._render, names="value")
        self.head.observe(self._render, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.publication, self.head]), self.article, self.view])

    def attribution(self) -> Attribution:
        """The current article, explained through the current head."""
        text = self.data.texts(self.publication.value, self.split)[self.article.value]
        return explain(self.trained, self.head.value, text, steps=self.steps, max_length=self.max_length)

    def html(self) -> str:
        """The article view of the current choice (what the widget shows)."""
        return self.view.value

    def show(self) -> None:
        """Display the picker: live where a kernel runs it, as a picture of this choice where none can."""
        display(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """The widget's own output (application/vnd.jupyter.widget-view+json) and a picture of the view."""
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        if self.shown is None:
            return bundle, {}
        note = (f"The picker's current choice, as a picture (run the notebook to choose another): publication "
                f"{self.publication.value}, head {self.head.value}, article \u201c{self.article.label}\u201d.")
        data, metadata = _picture(self.shown, note=note)
        return {**bundle, **data}, metadata

    def _fill_articles(self) -> None:
        """The first `max_articles` articles of the chosen publication, labelled by category and text."""
        rows = self.data.examples(self.publication.value, self.split).head(self.max_articles)
        self.article.options = [(f"{label} | {text[:90]}", i)
                                for i, (label, text) in enumerate(zip(rows.label, rows.text))]
        self.article.value = 0 if len(rows) else None  # the first article of the publication

    def _on_publication(self, change: dict) -> None:
        self._choosing = True
        try:
            self._fill_articles()
            if change["new"] in self.trained.model.task_names:
                self.head.value = change["new"]  # a publication is read by its own head, until the reader picks another
        finally:
            self._choosing = False
        self._render()

    def _render(self, change: dict | None = None) -> None:
        if not self._choosing:
            self.shown = self.attribution() if self.article.value is not None else None
            self.view.value = "" if self.shown is None else article_html(self.shown)
