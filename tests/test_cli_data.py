"""`python -m mtl_lib data`: JSON counts, CSV export, and errors as one line with exit 2."""

import json
import subprocess
import sys

import pandas as pd

from mtl_lib.__main__ import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtl_lib", *args], capture_output=True, text=True)


def test_data_json_counts_match_the_library(news, capsys):
    assert main(["data", "news", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == news.counts()


def test_data_export_writes_story_disjoint_splits(tmp_path, capsys):
    assert main(["data", "news", "--export", str(tmp_path)]) == 0
    frames = {split: pd.read_csv(tmp_path / f"{split}.csv") for split in ("train", "dev", "test")}
    assert sum(len(f) for f in frames.values()) == 13340
    stories = [set(f.story) for f in frames.values()]
    assert not (stories[0] & stories[1] or stories[0] & stories[2] or stories[1] & stories[2])


def test_a_csv_path_is_accepted_wherever_a_data_set_name_is(tmp_path, capsys):
    rows = [{"task": t, "text": f"{t} text {i}", "label": "xy"[i % 2]} for t in ("a", "b") for i in range(30)]
    pd.DataFrame(rows).to_csv(tmp_path / "mine.csv", index=False)
    assert main(["data", str(tmp_path / "mine.csv"), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert set(counts) == {"a", "b"}
    assert sum(n for split in counts["a"].values() for n in split.values()) == 30
    assert 20 <= sum(counts["a"]["train"].values()) <= 22


def test_errors_are_one_line_and_exit_2(tmp_path):
    unknown = run_cli("data", "newz", "--json")
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("error: 'newz' is neither") and "Traceback" not in unknown.stderr
    pd.DataFrame({"title": ["x"], "label": ["y"], "task": ["z"]}).to_csv(tmp_path / "bad.csv", index=False)
    bad = run_cli("data", str(tmp_path / "bad.csv"))
    assert bad.returncode == 2 and "no column 'text'" in bad.stderr
