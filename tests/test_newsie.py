"""Newsie, the app: its data (every shown article explained, the word lists), its refusals, its atomic folder, its CLI."""

import json
import shutil
import warnings

import numpy as np
import pytest

from mtl_lib import load_run
from mtl_lib.__main__ import main
from mtl_lib.analysis import top_words, word_contributions
from mtl_lib.attributions import explain
from mtl_lib.errors import CheckpointError, ConfigError, DataError, DataWarning
from mtl_lib.experiment import run_data
from mtl_lib.newsie import app_data, build_app, write_app
from mtl_lib.newsie.build import WORD_LIST_STEPS, headline_and_body
from mtl_lib.newsie.folder import DATA, data_script

PER_SPLIT = 30  # what the runs train on, of the CSV's 40 rows per task and split (train --per-split)
TINY = ["--encoder", "cnn", "--kernel-sizes", "1", "2", "--embedding-dim", "16", "--hidden-dim", "16",
        "--epochs", "1", "--per-split", str(PER_SPLIT), "--quiet"]


@pytest.fixture(scope="module")
def runs(news, tmp_path_factory):
    """Tiny runs trained by the command line in smoke mode on 40 headlines per publication and split:
    an ASP run (what Newsie reads) and a hard-sharing one (no private channel)."""
    folder = tmp_path_factory.mktemp("newsie-runs")
    csv = folder / "headlines.csv"
    news.sample(per_split=40, seed=0).frame[["task", "text", "label", "split"]].to_csv(csv, index=False)
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setenv("MTL_SMOKE", "1")
        warnings.simplefilter("ignore", DataWarning)  # 40 headlines: Contactmusic.com's are all entertainment
        for architecture in ("asp", "hard"):
            assert main(["train", "--data", str(csv), "--model", architecture, *TINY,
                         "--out", str(folder / architecture)]) == 0
    return folder


@pytest.fixture(scope="module")
def app(runs, tmp_path_factory):
    """The app of the ASP run, five articles per publication: (its data, its folder)."""
    out = tmp_path_factory.mktemp("newsie-app") / "app"
    return build_app(runs / "asp", out, articles=5), out


def words_of(article: dict) -> list[dict]:
    return [piece for piece in article["headline"] + article["body"] if isinstance(piece, dict)]


def test_the_runs_record_the_cnn_windows_and_the_sample_they_trained_on(runs):
    run = load_run(runs / "asp")
    assert run.spec.encoder.kernel_sizes == (1, 2)
    assert run.train_config["data"]["per_split"] == PER_SPLIT
    assert run_data(run).frame.groupby(["task", "split"]).size().eq(PER_SPLIT).all()


def test_every_article_has_its_words_with_shared_and_private_values(app):
    content, _ = app
    articles = [article for publication in content["publications"] for article in publication["articles"]]
    assert len(articles) == 5 * 5
    for article in articles:
        words = words_of(article)
        read = [word for word in words if "shared" in word]
        assert read and len(read) == article["words_read"] and len(words) == article["words"]
        assert all(isinstance(word["shared"], float) and isinstance(word["private"], float) for word in read)
        assert sum(word["shared"] for word in read) == pytest.approx(article["shared"], abs=1e-3 * len(read))
        assert sum(word["private"] for word in read) == pytest.approx(article["private"], abs=1e-3 * len(read))
        assert article["scale"] == pytest.approx(max(abs(word[channel]) for word in read
                                                     for channel in ("shared", "private")), abs=1e-4)


def test_the_words_are_explain_s_attributions_and_the_text_is_kept_whole(runs, app):
    content, _ = app
    run = load_run(runs / "asp")
    data = run_data(run)
    for publication in content["publications"]:
        texts = data.texts(publication["name"], "test")[:5]
        for text, article in zip(texts, publication["articles"]):
            shown = "".join(piece if isinstance(piece, str) else piece["word"] for piece in article["headline"])
            assert shown == text.strip()
            expected = explain(run, publication["name"], text, steps=content["steps"])
            read = [word for word in words_of(article) if "shared" in word]
            assert np.allclose([word["shared"] for word in read], expected.shared, atol=1e-4)
            assert np.allclose([word["private"] for word in read], expected.private, atol=1e-4)


def test_predicted_and_true_labels_come_from_the_run_s_label_names_and_its_data(runs, app):
    content, _ = app
    run = load_run(runs / "asp")
    data = run_data(run)
    assert [publication["name"] for publication in content["publications"]] == run.model.task_names
    for publication in content["publications"]:
        labels = run.spec.label_names[publication["name"]]
        assert publication["labels"] == labels
        assert publication["articles_in_split"] == PER_SPLIT
        true_labels = data.examples(publication["name"], "test").label.head(5).tolist()
        assert [article["label"] for article in publication["articles"]] == true_labels
        for article in publication["articles"]:
            assert article["predicted"] in labels and article["explained"] == article["predicted"]
            assert 1 / len(labels) <= article["probability"] <= 1


def test_the_word_lists_are_chapter_05_s_top_words_of_the_whole_split(runs, app):
    content, _ = app
    run = load_run(runs / "asp")
    contributions = word_contributions(run.model, run_data(run), run.vocab, "test", steps=WORD_LIST_STEPS)
    shared = top_words(contributions, "shared", n=10, by_task=False)
    private = top_words(contributions, "private", n=10)
    assert [word["token"] for word in content["shared_words"]] == shared.token.tolist()
    assert content["shared_words"] and all(word["count"] >= 3 for word in content["shared_words"])
    for publication in content["publications"]:
        assert ([word["token"] for word in publication["private_words"]]
                == private[private.task == publication["name"]].token.tolist())
    assert content["palette"] == {"shared": [31, 119, 180], "private": [255, 127, 14], "strongest_alpha": 0.85}


def test_articles_and_words_set_how_much_is_shown(runs):
    run = load_run(runs / "asp")
    content = app_data(run, run_data(run), articles=2, words=3, steps=4)
    assert [len(publication["articles"]) for publication in content["publications"]] == [2] * 5
    assert len(content["shared_words"]) <= 3 and all(len(p["private_words"]) <= 3 for p in content["publications"])
    every = app_data(run, run_data(run), articles=1000, words=1, steps=1)
    assert [len(publication["articles"]) for publication in every["publications"]] == [PER_SPLIT] * 5


def test_a_bbc_style_article_has_its_headline_apart_from_its_body():
    pieces = ["", {"word": "Rates"}, " ", {"word": "rise"}, "\n\n", {"word": "The"}, " bank ", {"word": "said"}]
    assert headline_and_body(pieces) == ([pieces[0], pieces[1], " ", pieces[3]], pieces[5:])
    assert headline_and_body(pieces[:4]) == (pieces[:4], [])


@pytest.fixture
def never_explained(monkeypatch):
    """Fail a test that reaches the attributions: every refusal comes before them."""
    def explained(*args, **kwargs):
        raise AssertionError("the attributions were computed before the refusal")

    monkeypatch.setattr("mtl_lib.newsie.build.word_contributions", explained)
    monkeypatch.setattr("mtl_lib.newsie.build.explain", explained)


def test_a_missing_run_and_a_run_without_channels_are_refused(runs, tmp_path, never_explained):
    with pytest.raises(CheckpointError, match="there is no such folder"):
        build_app(tmp_path / "no-run", tmp_path / "app")
    with pytest.raises(ConfigError, match="'hard' model, which has no shared and private encoders.*sp or asp run"):
        build_app(runs / "hard", tmp_path / "app")
    assert not (tmp_path / "app").exists()


def copy_of_run(runs, tmp_path, **data):
    """A copy of the ASP run whose run.json records other data (what a moved or edited data set looks like)."""
    copy = tmp_path / "run"
    shutil.copytree(runs / "asp", copy)
    record = json.loads((copy / "run.json").read_text())
    record["train_config"]["data"] = data
    (copy / "run.json").write_text(json.dumps(record))
    return copy


def test_an_empty_split_and_a_run_without_its_data_are_refused(runs, tmp_path, never_explained):
    without_test = tmp_path / "no-test.csv"
    recorded = load_run(runs / "asp").train_config["data"]
    frame = run_data(load_run(runs / "asp")).frame
    frame[frame.split != "test"][["task", "text", "label", "split"]].to_csv(without_test, index=False)
    run = copy_of_run(runs, tmp_path, **(recorded | {"dataset": str(without_test)}))
    with pytest.raises(DataError, match="the test split of .* has no articles"):
        build_app(run, tmp_path / "app")
    unrecorded = copy_of_run(runs, tmp_path / "other")
    with pytest.raises(CheckpointError, match="does not say which data the model was trained on"):
        build_app(unrecorded, tmp_path / "app")
    with pytest.raises(ConfigError, match="articles must be an integer >= 1; got 0"):
        build_app(runs / "asp", tmp_path / "app", articles=0)
    assert not (tmp_path / "app").exists()


def test_an_out_that_is_a_file_or_a_folder_of_other_files_is_refused_first(tmp_path, never_explained):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(ConfigError, match="is a file, not a Newsie app"):
        build_app(tmp_path / "no-run", notes)  # refused before the run is even looked for
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "cv.txt").write_text("mine")
    with pytest.raises(ConfigError, match="is a folder of other files, not a Newsie app"):
        build_app(tmp_path / "no-run", tmp_path / "documents")
    assert notes.read_text() == "mine" and (tmp_path / "documents" / "cv.txt").read_text() == "mine"


def test_an_app_folder_is_replaced_as_a_whole_and_an_interrupted_write_leaves_the_old_one(app, tmp_path, monkeypatch):
    content, built = app
    target = tmp_path / "app"
    shutil.copytree(built, target)
    (target / "stale.txt").write_text("from the old app")
    write_app(content | {"run": "newer"}, target)
    assert sorted(path.name for path in target.iterdir()) == ["app.css", "app.js", "data.js", "index.html"]
    assert '"run":"newer"' in (target / DATA).read_text()
    before = {path.name: path.read_bytes() for path in target.iterdir()}

    def interrupted(content):
        raise KeyboardInterrupt

    monkeypatch.setattr("mtl_lib.newsie.folder.data_script", interrupted)  # after the page is copied, before data.js
    with pytest.raises(KeyboardInterrupt):
        write_app(content, target)
    assert {path.name: path.read_bytes() for path in target.iterdir()} == before
    assert [path.name for path in tmp_path.iterdir()] == ["app"], "a partial folder was left behind"


def test_the_data_script_assigns_the_json_with_no_markup_characters_left():
    content = {"headline": ['<script>alert("x")</script> & <b>bold</b>', "\u2028"]}
    script = data_script(content)
    assert script.startswith("window.NEWSIE_DATA = ") and script.endswith(";\n")
    assert not set("<>&\u2028") & set(script)
    assert json.loads(script.removeprefix("window.NEWSIE_DATA = ").removesuffix(";\n")) == content


def test_the_command_line_writes_the_app_and_says_what_it_wrote(runs, tmp_path, capsys):
    out = tmp_path / "newsie"
    assert main(["newsie", str(runs / "asp"), "--out", str(out), "--articles", "3", "--steps", "4"]) == 0
    printed = capsys.readouterr()
    assert printed.out == "5 publications, 15 test articles explained (4 integration steps each)\n"
    assert f"wrote {out}/: index.html, app.css, app.js, data.js" in printed.err
    page = (out / "index.html").read_text()
    assert '<script src="data.js" defer></script>' in page and '<script src="app.js" defer></script>' in page
    content = json.loads((out / DATA).read_text().removeprefix("window.NEWSIE_DATA = ").removesuffix(";\n"))
    assert content["split"] == "test" and content["steps"] == 4
    assert [len(publication["articles"]) for publication in content["publications"]] == [3] * 5


def test_the_command_line_refuses_in_one_line_with_exit_2(runs, tmp_path, capsys):
    assert main(["newsie", str(runs / "hard"), "--out", str(tmp_path / "app")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "needs an sp or asp run" in error and len(error.splitlines()) == 1
    assert main(["newsie", str(tmp_path / "missing"), "--out", str(tmp_path / "app")]) == 2
    assert "there is no such folder" in capsys.readouterr().err and not (tmp_path / "app").exists()


def test_the_command_line_help_names_the_options_and_their_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["newsie", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for option in ("--out DIR", "--split {train,dev,test}", "(default: test)", "--articles N", "(default: 200)",
                   "--steps STEPS", "(default: 32)", "--words N", "(default: 10)", "--max-length"):
        assert option in shown
