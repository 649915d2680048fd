"""Newsie in a real headless Chromium, served over HTTP and opened from file://: it draws, it obeys
the keyboard, and markup in a headline stays text."""

import random
import warnings

import pandas as pd
import pytest

from browser import browser_page, served
from mtl_lib.__main__ import main
from mtl_lib.errors import DataWarning
from mtl_lib.newsie import build_app
from mtl_lib.widgets import PRIVATE_RGB, SHARED_RGB

TOPICS = {"business": ["shares", "profit", "bank", "markets", "stocks", "rates", "oil", "trade"],
          "sport": ["goal", "match", "striker", "league", "cup", "coach", "title", "race"]}
SCRIPTED = "Markets <script>alert(1)</script> rally as <b>bold</b> bets pay off"
ARTICLE = "Striker signs a new deal\n\nThe club said on Monday that its striker had signed a new deal for three years."


def headlines(rng: random.Random, label: str, count: int) -> list[str]:
    words = TOPICS[label]
    return [f"{rng.choice(words).capitalize()} and {rng.choice(words)} as {rng.choice(words)} news breaks"
            for _ in range(count)]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app of a tiny SP run on two made-up publications whose test texts hold markup and an article body.

    The Bugle's second test headline holds a <script> and a <b>; the Daily Planet's second test text
    is a BBC-style article: a headline, a blank line, the body."""
    rng = random.Random(0)
    rows = []
    for task in ("Daily Planet", "The Bugle"):
        for split, count in (("train", 16), ("dev", 4), ("test", 3)):
            for label in TOPICS:
                rows += [{"task": task, "text": text, "label": label, "split": split}
                         for text in headlines(rng, label, count)]
    frame = pd.DataFrame(rows)
    test = frame.index[frame.split == "test"]
    frame.loc[test[frame.loc[test].task == "The Bugle"][1], ["text", "label"]] = [SCRIPTED, "business"]
    frame.loc[test[frame.loc[test].task == "Daily Planet"][1], ["text", "label"]] = [ARTICLE, "sport"]
    folder = tmp_path_factory.mktemp("newsie-browser")
    frame.sort_values(["task", "split"], kind="stable").to_csv(folder / "made-up.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main(["train", "--data", str(folder / "made-up.csv"), "--model", "sp", "--encoder", "cnn",
                     "--kernel-sizes", "1", "2", "--embedding-dim", "16", "--hidden-dim", "16", "--epochs", "2",
                     "--quiet", "--out", str(folder / "run")]) == 0
    content = build_app(folder / "run", folder / "app", steps=8)
    return content, folder / "app"


@pytest.fixture(params=["http", "file"])
def opened(request, app):
    """The app open in Chromium, from a local HTTP server or straight from the disk: (page, log, dialogs, content)."""
    content, folder = app
    with browser_page(f"newsie-{request.node.originalname.removeprefix('test_')}-{request.param}") as (page, log):
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        if request.param == "http":
            with served(folder) as url:
                page.goto(f"{url}/index.html")
                page.wait_for_selector("#articles button")
                yield page, log, dialogs, content
        else:
            page.goto((folder / "index.html").as_uri())
            page.wait_for_selector("#articles button")
            yield page, log, dialogs, content


def current(page) -> int:
    """The position of the article marked as shown in the list."""
    return page.eval_on_selector_all("#articles button", "buttons => buttons.findIndex("
                                                         "button => button.getAttribute('aria-current') === 'true')")


def test_the_page_loads_with_the_first_article_in_its_colours_and_the_legend(opened):
    page, log, dialogs, content = opened
    first = content["publications"][0]["articles"][0]
    assert page.inner_text("#publication option:checked").startswith("Daily Planet")
    assert page.locator("#articles button").count() == 6 and current(page) == 0  # 3 per category
    assert page.locator("#headline .word").count() == first["words_read"]
    prediction = page.inner_text("#prediction")
    assert f"predicts {first['predicted']}" in prediction and f"True category: {first['label']}" in prediction
    assert page.locator("#legend-items li").count() == 4
    assert "Top half of a word: shared encoder; bottom half: private encoder" in page.inner_text("#legend-text")
    backgrounds = page.eval_on_selector_all("#headline .word", "words => words.map("
                                                               "word => getComputedStyle(word).backgroundImage)")
    assert all("rgba(%d, %d, %d" % SHARED_RGB in background and "rgba(%d, %d, %d" % PRIVATE_RGB in background
               for background in backgrounds)  # the article view's palette, both channels on every word
    assert page.locator("#shared-words li").count() >= 1 and page.locator("#private-words li").count() >= 1
    assert log.errors == [] and dialogs == []


def test_the_keyboard_chooses_a_publication_and_an_article_whose_markup_stays_text(opened):
    page, log, dialogs, content = opened
    page.focus("#publication")
    page.keyboard.press("ArrowDown")  # the next publication: The Bugle
    assert page.inner_text("#publication option:checked").startswith("The Bugle")
    assert page.inner_text("#private-title") == "Most specific to The Bugle"
    page.focus("#articles li:first-child button")
    page.keyboard.press("ArrowDown")
    assert current(page) == 1
    assert page.evaluate("document.activeElement.getAttribute('aria-current')") == "true"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # the focus is shown
    article = content["publications"][1]["articles"][1]
    assert page.text_content("#headline") == SCRIPTED  # the tags as text, every character of them
    assert page.locator("#headline .word").count() == article["words_read"] > 0
    assert f"True category: {article['label']}" in page.inner_text("#prediction")
    assert page.locator("#legend-items li").count() == 4
    assert page.evaluate("document.querySelectorAll('b').length") == 0  # no element made from the data's <b>
    assert page.evaluate("[...document.scripts].map(script => script.getAttribute('src'))") == ["data.js", "app.js"]
    page.keyboard.press("End")
    page.keyboard.press("Home")
    assert current(page) == 0
    assert log.errors == [] and dialogs == []


def test_an_article_s_body_shows_below_its_headline(opened):
    page, log, dialogs, content = opened
    page.click("#articles li:nth-child(2) button")
    assert page.text_content("#headline") == "Striker signs a new deal"
    assert page.text_content("#body") == ARTICLE.split("\n\n", 1)[1]
    assert page.locator("#body .word").count() > 0
    assert page.locator("#numbers tbody tr").count() == content["publications"][0]["articles"][1]["words_read"]
    assert log.errors == [] and dialogs == []
