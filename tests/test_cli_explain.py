"""`python -m mtl_lib explain RUN_DIR --task TASK --text ... --html FILE` on a run saved by a test."""

import re
import subprocess
import sys

import pytest

from mtl_lib import EncoderConfig, TrainConfig, run_experiment


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtl_lib", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def runs(news, tmp_path_factory):
    """Two tiny runs on 40 headlines per task and split: an ASP model and a single-task one."""
    small = news.sample(per_split=40)
    out = tmp_path_factory.mktemp("runs")
    for architecture in ("asp", "single"):
        run_experiment(small, architecture, EncoderConfig(kind="bow", embedding_dim=16),
                       TrainConfig.for_model(architecture, epochs=1, progress=False)).save(out / architecture)
    return out


def test_explain_writes_the_article_view_of_any_text(runs, tmp_path):
    page = tmp_path / "view" / "article.html"
    text = 'Fed <script>alert("owned")</script> raises "rates" as stocks <b>rally</b>'
    result = run_cli("explain", str(runs / "asp"), "--task", "Reuters", "--text", text, "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert re.match(r"label: (business|science and technology|entertainment|health) \(probability 0\.\d{3}\)",
                    result.stdout)
    assert "logit difference" in result.stdout and f"wrote {page}" in result.stderr
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<b>Reuters</b>'s head predicts" in html
    assert "<script" not in html and "<b>rally" not in html
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in re.sub(r"</?span[^>]*>", "", html)
    assert not list(page.parent.glob(".*.part"))  # written atomically: no temporary file left behind


def test_explain_an_unknown_task_or_a_run_without_channels_is_one_line_and_exit_2(runs, tmp_path):
    page = tmp_path / "x.html"
    unknown_task = run_cli("explain", str(runs / "asp"), "--task", "Reuter", "--text", "x", "--html", str(page))
    assert unknown_task.returncode == 2
    assert unknown_task.stderr.startswith("error: 'Reuter' is not a task of this model; tasks are: Reuters")
    single = run_cli("explain", str(runs / "single"), "--task", "Reuters", "--text", "x", "--html", str(page))
    assert single.returncode == 2 and "need a model with a shared encoder (sp, asp or hard)" in single.stderr
    assert len(single.stderr.strip().splitlines()) == 1 and not page.exists()
