"""The article view: a text with every word highlighted by what it contributed, shared and private apart.

Like the article view of Fast Forward Labs' prototype Newsie, it shows word by word how
the model reached its category, and which of that came through the shared encoder
(language every publication uses alike) and which through the publication's private one.

- `article_html(attribution)`: the view as an HTML fragment, for `IPython.display.HTML`.
- `article_document(attribution)`: the same as a whole HTML page (what `python -m mtl_lib
  explain` writes).
- `text_pieces(attribution)`: the text cut into its words and what lies between them, which
  the views colour (here, and in the Newsie app, `mtl_lib.newsie`).
- `ArticlePicker`: drop-downs over publications, articles and heads that re-render the view;
  `show()` also displays a static rendering, which a notebook keeps for readers without a kernel.

Every piece of text that comes from data (the article, its words, task and label names)
is escaped with `html.escape(..., quote=True)`: a headline holding `<script>` or a quote
shows as text and can neither run nor break out of an attribute.
"""

from html import escape

import ipywidgets as widgets
import numpy as np
from IPython.display import HTML, display

from mtl_lib.attributions import Attribution, explain
from mtl_lib.checkpoints import Run
from mtl_lib.data import MultiTaskData, tokenize
from mtl_lib.errors import ConfigError

SHARED_RGB = (31, 119, 180)  # matplotlib's tab:blue
PRIVATE_RGB = (255, 127, 14)  # matplotlib's tab:orange
STRONGEST_ALPHA = 0.85  # the opacity of the word with the largest contribution


def _layer(rgb: tuple[int, int, int], value: float, scale: float) -> str:
    """One channel's half of a word's background: solid if the word speaks for the label, striped if against."""
    alpha = STRONGEST_ALPHA * min(1.0, abs(value) / scale) if scale > 0 else 0.0
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


def _legend(attribution: Attribution, scale: float) -> str:
    label, task = escape(attribution.label, quote=True), escape(attribution.task, quote=True)
    items = [_swatch(SHARED_RGB, 1.0, f"shared, for <b>{label}</b>"), _swatch(SHARED_RGB, -1.0, "shared, against"),
             _swatch(PRIVATE_RGB, 1.0, f"private ({task}), for <b>{label}</b>"),
             _swatch(PRIVATE_RGB, -1.0, "private, against")]
    return ('<div style="font-size: 85%; margin-top: 0.6em">' + " &nbsp; ".join(items)
            + f"<br>Top half of a word: shared encoder; bottom half: private encoder. Solid: the word pushes "
            f"towards {label}; striped: away from it. Full colour: a contribution of {scale:.3f} or more. "
            "Dotted underline: a word outside the vocabulary. Hover over a word for its numbers.</div>")


def _summary(attribution: Attribution) -> str:
    shared, private = float(attribution.shared.sum()), float(attribution.private.sum())
    read = (f"; the model read the first {len(attribution.tokens)} of {attribution.words_in_text} words (grey: unread)"
            if attribution.words_in_text > len(attribution.tokens) else "")
    return ('<div style="font-size: 85%; color: #444; margin-top: 0.4em">'
            f"Shared words add {shared:+.3f} and private words {private:+.3f} to the logit of "
            f"{escape(attribution.label, quote=True)}: together {shared + private:+.3f}, which is logit(text) "
            f"{attribution.logit:+.3f} minus logit(all padding) {attribution.baseline_logit:+.3f} = "
            f"{attribution.logit_difference:+.3f} (integrated gradients, {attribution.steps} steps){read}.</div>")


def _header(attribution: Attribution) -> str:
    probability = attribution.probabilities.get(attribution.predicted)  # None for a regression head
    explained = ("" if attribution.label == attribution.predicted or probability is None
                 else f"; explaining <b>{escape(attribution.label, quote=True)}</b>")
    certainty = "" if probability is None else f" (probability {probability:.2f})"
    return ('<div style="margin-bottom: 0.4em">'
            f"<b>{escape(attribution.task, quote=True)}</b>'s head predicts "
            f"<b>{escape(attribution.predicted, quote=True)}</b>{certainty}{explained}</div>")


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


class ArticlePicker:
    """Drop-downs over publications, their articles and the head that reads them, above the article view.

    The head may be any task of the model, so an article of one publication (or of the BBC)
    can be read as another publication would classify it. `show()` displays a static
    rendering of the current article, then the live widget.

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
        """Display a static rendering (kept in a saved notebook), then the live picker."""
        display(HTML(self.html()))
        display(self.widget)

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
            self.view.value = article_html(self.attribution()) if self.article.value is not None else ""
