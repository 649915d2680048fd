"""The article view: every word in its colours, every piece of data escaped, a picker that re-renders."""

import re
from html.parser import HTMLParser

from base64 import b64decode
from io import BytesIO

import numpy as np
import pytest
from IPython.core.formatters import DisplayFormatter
from PIL import Image

from mtl_lib import EncoderConfig, TrainConfig, run_experiment, widgets
from mtl_lib.attributions import Attribution
from mtl_lib.data import tokenize
from mtl_lib.widgets import PRIVATE_RGB, SHARED_RGB, ArticlePicker, article_document, article_html

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class Elements(HTMLParser):
    """Every start tag with its attributes, in order, as a browser would parse them."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def word_spans(self) -> list[dict[str, str]]:
        return [dict(attrs) for tag, attrs in self.tags if tag == "span" and "title" in dict(attrs)]


def made_up(text: str, shared=None, private=None, task="Reuters", labels=("business", "health"),
            read: int | None = None) -> Attribution:
    """An attribution built by hand: no model needed to test how it is drawn."""
    words = tokenize(text)[:read]
    shared = np.linspace(-1, 1, len(words)) if shared is None else np.asarray(shared, dtype=float)
    private = np.linspace(0.5, -0.5, len(words)) if private is None else np.asarray(private, dtype=float)
    return Attribution(text=text, task=task, tokens=words, known=np.ones(len(words), dtype=bool), shared=shared,
                       private=private, label=labels[0], predicted=labels[0],
                       probabilities={labels[0]: 0.8, labels[1]: 0.2}, logit=2.0, baseline_logit=0.5, steps=8,
                       words_in_text=len(tokenize(text)))


PINNED_VIEW = (  # article_html(made_up("up down", shared=[0.4, -0.2], private=[-0.1, 0.3])), as Newsie shows it
    '<div style="font-family: sans-serif; line-height: 1.9; max-width: 56em; padding: 0.5em; border: 1px '
    'solid #ddd; border-radius: 4px"><div style="margin-bottom: 0.4em"><b>Reuters</b>\'s head predicts '
    '<b>business</b> (probability 0.80)</div><div style="font-size: 105%"><span style="background-image: '
    'linear-gradient(rgba(31, 119, 180, 0.85), rgba(31, 119, 180, 0.85)), repeating-linear-gradient(135deg, '
    'rgba(255, 127, 14, 0.21) 0 2px, transparent 2px 4px); background-size: 100% 50%; background-position: '
    'top, bottom; background-repeat: no-repeat; padding: 1px 1px; border-radius: 2px" title="up | shared '
    '+0.400 | private -0.100 | total +0.300">up</span> <span style="background-image: '
    'repeating-linear-gradient(135deg, rgba(31, 119, 180, 0.42) 0 2px, transparent 2px 4px), '
    'linear-gradient(rgba(255, 127, 14, 0.64), rgba(255, 127, 14, 0.64)); background-size: 100% 50%; '
    'background-position: top, bottom; background-repeat: no-repeat; padding: 1px 1px; border-radius: 2px" '
    'title="down | shared -0.200 | private +0.300 | total +0.100">down</span></div><div style="font-size: '
    '85%; margin-top: 0.6em"><span style="background-image: linear-gradient(rgba(31, 119, 180, 0.85), '
    'rgba(31, 119, 180, 0.85)); padding: 1px 8px; border-radius: 2px">&nbsp;</span> shared, for '
    '<b>business</b> &nbsp; <span style="background-image: repeating-linear-gradient(135deg, rgba(31, 119, '
    '180, 0.85) 0 2px, transparent 2px 4px); padding: 1px 8px; border-radius: 2px">&nbsp;</span> shared, '
    'against &nbsp; <span style="background-image: linear-gradient(rgba(255, 127, 14, 0.85), rgba(255, 127, '
    '14, 0.85)); padding: 1px 8px; border-radius: 2px">&nbsp;</span> private (Reuters), for <b>business</b> '
    '&nbsp; <span style="background-image: repeating-linear-gradient(135deg, rgba(255, 127, 14, 0.85) 0 2px, '
    'transparent 2px 4px); padding: 1px 8px; border-radius: 2px">&nbsp;</span> private, against<br>Top half '
    'of a word: shared encoder; bottom half: private encoder. Solid: the word pushes towards business; '
    'striped: away from it. Full colour: a contribution of 0.400 or more. Dotted underline: a word outside '
    'the vocabulary. Hover over a word for its numbers.</div><div style="font-size: 85%; color: #444; '
    'margin-top: 0.4em">Shared words add +0.200 and private words +0.200 to the logit of business: together '
    '+0.400, which is logit(text) +2.000 minus logit(all padding) +0.500 = +1.500 (integrated gradients, 8 '
    'steps).</div></div>'
)


def test_the_html_view_is_the_one_newsie_and_the_command_line_show():
    assert article_html(made_up("up down", shared=[0.4, -0.2], private=[-0.1, 0.3])) == PINNED_VIEW


def test_markup_in_the_text_comes_out_inert():
    markup = article_html(made_up('Fed <script>alert("hi")</script> raises <b>rates</b>'))
    assert "<script" not in markup and "</script>" not in markup and "<b>rates" not in markup
    visible = re.sub(r"</?span[^>]*>", "", markup)  # the text without the view's own word spans
    assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in visible


def test_a_quote_inside_a_title_attribute_stays_one_attribute():
    text = 'He said "rates" won\'t rise" onclick="alert(1)'
    elements = Elements(article_html(made_up(text)))
    spans = elements.word_spans()
    assert len(spans) == len(tokenize(text))
    assert all(set(span) == {"style", "title"} for span in spans)  # no attribute smuggled in
    assert [span["title"].split(" | ")[0].lower() for span in spans] == tokenize(text)
    assert spans[2]["title"].startswith('"')  # the quote survives, as text of the title


def test_task_and_label_names_are_escaped_too():
    markup = article_html(made_up("Fed raises rates", task='<img src=x onerror="boom">',
                                  labels=("<i>business</i>", "health")))
    assert "<img" not in markup and "<i>business" not in markup
    assert "&lt;img src=x onerror=&quot;boom&quot;&gt;" in markup


def test_the_channels_have_their_colours_and_the_sign_its_pattern():
    spans = Elements(article_html(made_up("up down", shared=[0.4, -0.4], private=[-0.2, 0.2]))).word_spans()
    up, down = (span["style"] for span in spans)
    shared_full = f"rgba({SHARED_RGB[0]}, {SHARED_RGB[1]}, {SHARED_RGB[2]}, 0.85)"
    private_half = f"rgba({PRIVATE_RGB[0]}, {PRIVATE_RGB[1]}, {PRIVATE_RGB[2]}, 0.42)"
    assert up.startswith(f"background-image: linear-gradient({shared_full}")  # for the label: solid
    assert f"repeating-linear-gradient(135deg, {private_half}" in up  # against it: striped
    assert down.startswith(f"background-image: repeating-linear-gradient(135deg, {shared_full}")


def test_the_view_shows_the_prediction_a_legend_and_the_sum():
    markup = article_html(made_up("Fed raises rates"))
    assert "predicts <b>business</b> (probability 0.80)" in markup
    assert "shared, for <b>business</b>" in markup and "private (Reuters), for" in markup
    assert "logit(text) +2.000 minus logit(all padding) +0.500 = +1.500" in markup


def test_words_the_model_did_not_read_are_grey_and_paragraphs_kept():
    text = "First words here.\n\nThen more words"
    markup = article_html(made_up(text, read=3))
    assert len(Elements(markup).word_spans()) == 3
    assert '<span style="color: #999">more</span>' in markup and "<br><br>" in markup
    assert "the first 3 of 7 words" in markup


def test_the_text_keeps_its_case_unless_lowercasing_changes_its_length():
    assert ">Fed</span>" in article_html(made_up("Fed raises rates"))
    turkish = "İstanbul shares rise"  # 'İ'.lower() is two characters
    spans = Elements(article_html(made_up(turkish))).word_spans()
    assert [span["title"].split(" | ")[0] for span in spans] == tokenize(turkish)  # shown lowercased


def test_the_document_is_a_whole_page():
    page = article_document(made_up("Fed <raises> rates"))
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert page.rstrip().endswith("</html>") and "&lt;raises&gt;" in re.sub(r"</?span[^>]*>", "", page)


@pytest.fixture(scope="module")
def trained(news):
    small = news.sample(per_split=30, seed=3)
    return run_experiment(small, "sp", EncoderConfig(kind="bow", embedding_dim=8),
                          TrainConfig.for_model("sp", epochs=1, progress=False)), small


def test_the_picker_renders_the_choice_and_follows_the_publication(trained):
    experiment, data = trained
    picker = ArticlePicker(experiment, data, steps=4, max_articles=5)
    assert picker.head.value == data.task_names[0] and len(picker.article.options) == 5
    assert picker.html() == picker.view.value and "predicts" in picker.html()
    picker.article.value = 3
    assert Elements(picker.html()).word_spans()[0]["title"].split(" | ")[0].lower() == \
           tokenize(data.texts(data.task_names[0], "test")[3])[0]
    picker.publication.value = "Daily Mail"
    assert picker.head.value == "Daily Mail" and picker.article.value == 0
    assert "<b>Daily Mail</b>'s head" in picker.html()
    picker.head.value = "Reuters"  # a Daily Mail headline, read as Reuters would
    first_word = Elements(picker.html()).word_spans()[0]["title"].split(" | ")[0].lower()
    assert "<b>Reuters</b>'s head" in picker.html() and first_word == tokenize(data.texts("Daily Mail", "test")[0])[0]


def test_the_picker_reads_another_data_sets_articles_through_a_chosen_head(trained, bbc):
    experiment, _ = trained
    picker = ArticlePicker(experiment, bbc.sample(per_split=3), head="Reuters", max_length=40, max_articles=2)
    assert picker.publication.value == "BBC" and picker.head.value == "Reuters"
    assert "the model read the first 40" in picker.html()


def test_the_picker_is_one_output_the_live_widget_with_a_picture_of_its_choice(trained, monkeypatch):
    experiment, data = trained
    picker = ArticlePicker(experiment, data, steps=4, max_articles=5)
    shown = []
    monkeypatch.setattr(widgets, "display", lambda *objects, **options: shown.append(objects))
    picker.show()
    assert shown == [(picker,)]  # one output: JupyterLab draws the widget, GitHub the picture
    bundle, metadata = DisplayFormatter().format(picker)
    assert WIDGET_VIEW in bundle and "image/png" in bundle and "text/html" not in bundle
    assert bundle[WIDGET_VIEW]["model_id"] == picker.widget.model_id
    assert Image.open(BytesIO(b64decode(bundle["image/png"]))).format == "PNG"
    assert metadata["image/png"]["width"] == widgets.PICTURE_WIDTH
    first = data.task_names[0]
    note = bundle["text/plain"].split("\n")[0]  # the line the picture carries above the view
    assert f"publication {first}, head {first}" in note and picker.article.label in note
    assert data.texts(first, "test")[0] in bundle["text/plain"]
    picker.article.value = 3
    picker.head.value = "Daily Mail"
    later, _ = DisplayFormatter().format(picker)
    assert data.texts(first, "test")[3] in later["text/plain"] and "Daily Mail's head predicts" in later["text/plain"]
    assert later["image/png"] != bundle["image/png"]
