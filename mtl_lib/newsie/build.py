"""The Newsie app's data: a run's articles explained word by word, and the words each channel listens to.

`build_app(run_directory, out)` is what `python -m mtl_lib newsie RUN_DIR --out DIR` runs. It
loads a saved SP or ASP run and the data it was trained on, explains the first articles of
each publication's split through that publication's own head (`mtl_lib.attributions.explain`,
integrated gradients split into the shared and the private channel, as chapter 05's article
view), lists the words that pushed the split's predictions hardest through the shared encoder
and through each private one (`mtl_lib.analysis.top_words`, as chapter 05), and writes the
app (`mtl_lib.newsie.folder`). `app_data` returns everything the page shows, as plain JSON.
"""

from pathlib import Path

import pandas as pd

from mtl_lib.analysis import top_words, word_contributions
from mtl_lib.attributions import Attribution, explain
from mtl_lib.checkpoints import Run, load_run
from mtl_lib.data import SPLITS, MultiTaskData, tokenize
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.experiment import run_data
from mtl_lib.models.multitask import SharedPrivate
from mtl_lib.newsie.folder import check_app_target, write_app
from mtl_lib.widgets import PRIVATE_RGB, SHARED_RGB, STRONGEST_ALPHA, largest_contribution, text_pieces

ARTICLES = 200  # per publication: the course's model (scripts/newsie.sh) builds in about 20 s on 2 CPU cores
STEPS = 32  # integration steps per shown article, as `explain`
WORDS = 10  # words in each word list
WORD_LIST_STEPS = 8  # a word list adds up many occurrences, so a coarser integral will do (as chapter 05)
WORD_LIST_MIN_COUNT = 3  # `top_words`' default: one striking headline makes no word list

Piece = str | dict  # text between words, or one word and its contributions


def word_pieces(attribution: Attribution) -> list[Piece]:
    """The text as the app draws it: strings for the text between words, a dict for each word.

    A word the model read: `{"word", "shared", "private", "known"}`; one past `max_length`,
    which the model never read: `{"word"}` alone.
    """
    pieces: list[Piece] = []
    for piece, i in text_pieces(attribution):
        if i is None:
            if piece:
                pieces.append(piece)
        elif i < len(attribution.tokens):
            pieces.append({"word": piece, "shared": _rounded(attribution.shared[i]),
                           "private": _rounded(attribution.private[i]), "known": bool(attribution.known[i])})
        else:
            pieces.append({"word": piece})
    return pieces


def headline_and_body(pieces: list[Piece]) -> tuple[list[Piece], list[Piece]]:
    """The pieces before and after the text's first line break: a news headline has no body; a BBC
    article's first line is its headline."""
    for k, piece in enumerate(pieces):
        if isinstance(piece, str) and "\n" in piece:
            end_of_headline, start_of_body = piece.split("\n", 1)
            start_of_body = start_of_body.lstrip()
            return ([*pieces[:k], end_of_headline] if end_of_headline.strip() else pieces[:k],
                    [start_of_body, *pieces[k + 1:]] if start_of_body else pieces[k + 1:])
    return pieces, []


def article_record(attribution: Attribution, label: str) -> dict:
    """One article as the app shows it: its words in their colours, the prediction and the true `label`."""
    headline, body = headline_and_body(word_pieces(attribution))
    probability = attribution.probabilities.get(attribution.predicted)  # None for a regression head
    return {
        "headline": headline, "body": body, "label": label, "predicted": attribution.predicted,
        "probability": None if probability is None else _rounded(probability),
        "explained": attribution.label,  # the class the colours push towards: the predicted one
        "scale": _rounded(largest_contribution(attribution)),  # the contribution drawn at full colour
        "shared": _rounded(attribution.shared.sum()), "private": _rounded(attribution.private.sum()),
        "words_read": len(attribution.tokens), "words": attribution.words_in_text,
    }


def app_data(run: Run, data: MultiTaskData, split: str = "test", articles: int = ARTICLES, steps: int = STEPS,
             words: int = WORDS, max_length: int | None = None) -> dict:
    """Everything the page shows: the first `articles` articles of each publication's `split`,
    explained through its own head, and the `words` most shared and most publication-specific words.

    `max_length` cuts the texts as training did (None: the run's own). Publications without
    articles (with words) in the split are left out.

    >>> app_data(load_run("runs/asp"), run_data(load_run("runs/asp")), articles=5)["publications"][0]["name"]
    'Reuters'
    """
    max_length = max_length or run.train_config.get("max_length")
    contributions = word_contributions(run.model, data, run.vocab, split, steps=WORD_LIST_STEPS,
                                       max_length=max_length)
    shared_words = top_words(contributions, "shared", n=words, min_count=WORD_LIST_MIN_COUNT, by_task=False)
    private_words = top_words(contributions, "private", n=words, min_count=WORD_LIST_MIN_COUNT)
    publications = []
    for task in data.task_names:
        rows = data.examples(task, split)
        shown = rows[rows.text.map(lambda text: bool(tokenize(text)))].head(articles)  # a text without words shows nothing
        if shown.empty:
            continue
        publications.append({
            "name": task, "labels": list(run.spec.label_names[task]), "articles_in_split": len(rows),
            "articles": [article_record(explain(run, task, text, steps=steps, max_length=max_length), label)
                         for text, label in zip(shown.text, shown.label)],
            "private_words": _word_list(private_words[private_words.task == task]),
        })
    return {
        "run": run.directory.name, "architecture": run.spec.architecture,
        "dataset": Path(str(run.train_config.get("data", {}).get("dataset", data.name))).name,
        "split": split, "steps": steps, "max_length": max_length,
        "palette": {"shared": list(SHARED_RGB), "private": list(PRIVATE_RGB), "strongest_alpha": STRONGEST_ALPHA},
        "word_lists": {"min_count": WORD_LIST_MIN_COUNT, "steps": WORD_LIST_STEPS},
        "shared_words": _word_list(shared_words),
        "publications": publications,
    }


def build_app(run_directory: str | Path, out: str | Path, split: str = "test", articles: int = ARTICLES,
              steps: int = STEPS, words: int = WORDS, max_length: int | None = None) -> dict:
    """Explain a saved SP or ASP run's articles and write the Newsie app as the folder `out`; returns its data.

    Everything that can be refused is refused before the attributions are computed: the
    options, `out` (a file, or a folder of other files), a missing run, a run without a
    shared and a private channel, and a split without articles.
    """
    for name, value in (("articles", articles), ("steps", steps), ("words", words)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise ConfigError(f"{name} must be an integer >= 1; got {value!r}")
    if max_length is not None and not max_length >= 1:
        raise ConfigError(f"max_length must be >= 1, or None to read as the run was trained; got {max_length!r}")
    if split not in SPLITS:
        raise DataError(f"{split!r} is not a split; splits are: {', '.join(SPLITS)}")
    check_app_target(out)
    run = load_run(run_directory)
    if not isinstance(run.model, SharedPrivate):
        raise ConfigError(f"{run_directory} holds a {run.spec.architecture!r} model, which has no shared and private "
                          "encoders to split its predictions between: Newsie needs an sp or asp run "
                          "(`python -m mtl_lib train --model asp ...`)")
    data = run_data(run)
    if not (data.frame.split == split).any():
        raise DataError(f"the {split} split of {run_directory}'s data ({data.name}) has no articles: "
                        f"choose another split (one of {', '.join(SPLITS)})")
    content = app_data(run, data, split, articles, steps, words, max_length)
    write_app(content, out)
    return content


def _word_list(words: pd.DataFrame) -> list[dict]:
    return [{"token": token, "contribution": _rounded(contribution), "count": int(count)}
            for token, contribution, count in zip(words.token, words.contribution, words["count"])]


def _rounded(value: float) -> float:
    return round(float(value), 4)
