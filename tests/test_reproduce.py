"""`reproduce liu2017`: records on disk, resuming, the table beside the paper's, the command line."""

import json
import os
import subprocess
import sys

import pytest

from mtl_lib import reproduce as reproduction
from mtl_lib.errors import ConfigError, DataError
from mtl_lib.plots import against_paper
from mtl_lib.reproduce import (METHODS, PAPER_AVERAGES, PAPER_ERRORS, format_table, load_results, paper_table,
                               reproduce, transfer, transfer_table)

from figures import assert_labelled


@pytest.fixture(scope="module")
def two_domains(fdu):
    return fdu.select(["books", "dvd"]).sample(per_split=24, seed=0)


def quick_reproduction(data, results, **options):
    return reproduce(data, ["single", "asp"], "cnn", seeds=[0], results=results, epochs=1, glove=False,
                     progress=False, **options)


def test_the_papers_numbers_average_to_its_average_row():
    for method in METHODS:
        errors = [row[method] for _, row in PAPER_ERRORS.values()]
        assert sum(errors) / len(errors) == pytest.approx(PAPER_AVERAGES[method], abs=0.05), method
    assert len(PAPER_ERRORS) == 16


def test_each_run_is_recorded_with_what_it_depends_on(two_domains, tmp_path):
    records = quick_reproduction(two_domains, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cnn-asp-seed0.json", "cnn-single-seed0.json"]
    record = json.loads((tmp_path / "cnn-asp-seed0.json").read_text())
    assert record == records[1]
    assert set(record["tasks"]) == {"books", "dvd"}
    for errors in record["tasks"].values():
        assert 0 <= errors["dev_error"] <= 100 and 0 <= errors["test_error"] <= 100 and errors["epoch"] == 1
    assert record["machine"]["cpu_capability"] and record["machine"]["torch"] and record["machine"]["mtl_lib"]
    assert record["config"]["train"]["unlabeled"] and record["config"]["rows"]["books"]["dev"] == 24
    assert record["wall_seconds"] > 0


def test_a_rerun_skips_finished_runs_and_prints_the_same_table(two_domains, tmp_path, monkeypatch):
    quick_reproduction(two_domains, tmp_path)
    before = format_table(paper_table(load_results(tmp_path), "cnn"))

    def no_training(*args, **kwargs):
        raise AssertionError("a finished run was trained again")

    monkeypatch.setattr(reproduction, "run_one", no_training)
    quick_reproduction(two_domains, tmp_path)
    assert format_table(paper_table(load_results(tmp_path), "cnn")) == before


def test_a_record_of_another_configuration_is_refused(two_domains, tmp_path):
    quick_reproduction(two_domains, tmp_path)
    with pytest.raises(ConfigError, match="another configuration"):
        reproduce(two_domains, ["asp"], "cnn", seeds=[0], results=tmp_path, epochs=2, glove=False, progress=False)


def write_record(results, method, seed, error):
    """A record of every domain at the same test error, as `reproduce` writes it."""
    tasks = {task: {"dev_error": error, "test_error": error, "epoch": 1} for task in PAPER_ERRORS}
    record = {"method": method, "encoder": "cnn", "seed": seed, "tasks": tasks, "wall_seconds": 10.0 + seed,
              "config": {}}
    (results / f"cnn-{method}-seed{seed}.json").write_text(json.dumps(record))


def test_the_table_gives_mean_and_spread_over_seeds_beside_the_paper(tmp_path):
    write_record(tmp_path, "asp", 0, 10.0)
    write_record(tmp_path, "asp", 1, 20.0)
    table = paper_table(load_results(tmp_path), "cnn")
    assert list(table.index)[0] == "Books" and list(table.index)[-1] == "Average"
    assert table.loc["Average", ("asp", "ours")] == pytest.approx(15.0)
    assert table.loc["Average", ("asp", "std")] == pytest.approx(7.0711, abs=1e-3)
    assert table.loc["Average", ("asp", "paper")] == PAPER_AVERAGES["asp"]
    assert table.loc["Books", ("asp", "paper")] == 16.0
    assert "15.0 ± 7.1 (13.9)" in format_table(table, markdown=True).splitlines()[-1]


def test_damaged_or_missing_results_are_named(tmp_path):
    with pytest.raises(DataError, match="no run records"):
        load_results(tmp_path)
    (tmp_path / "cnn-asp-seed0.json").write_text("{not json")
    with pytest.raises(DataError, match="is not a run record"):
        load_results(tmp_path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mtl_lib", *args], capture_output=True, text=True,
                          env=os.environ | {"MTL_SMOKE": "1"})


def test_reproduce_from_the_command_line_and_again_from_its_results(tmp_path):
    subset = ["reproduce", "liu2017", "--tasks", "books", "dvd", "--methods", "hard", "asp", "--seeds", "0",
              "--epochs", "1", "--results", str(tmp_path), "--quiet"]
    first = run_cli(*subset)
    assert first.returncode == 0, first.stderr
    assert "Books" in first.stdout and "Average" in first.stdout and "ASP-MTL (asp, 1 seeds)" in first.stdout
    again = run_cli(*subset, "--table-only")
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout


def test_reproduce_refuses_unknown_domains_in_one_line(tmp_path):
    result = run_cli("reproduce", "liu2017", "--tasks", "bookz", "--results", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "bookz" in result.stderr
    assert not any(tmp_path.iterdir())


def test_transfer_freezes_a_shared_layer_learned_without_the_held_out_domain(fdu, tmp_path):
    data = fdu.select(["books", "dvd", "MR"]).sample(per_split=24, seed=0)
    record = transfer(data, "asp", "cnn", 0, tmp_path, held_out=["MR"], epochs=1, glove=False, progress=False)
    assert set(record["tasks"]) == {"MR"} and set(record["tasks"]["MR"]) == {"single_channel", "bi_channel"}
    assert record["config"]["held_out"] == ["MR"] and sorted(record["config"]["tasks"]) == ["MR", "books", "dvd"]
    table = transfer_table(tmp_path, "cnn")
    assert list(table.index) == ["MR"]
    assert table.loc["MR", ("ASP-MTL-BC", "paper")] == 23.5
    assert table.loc["MR", ("ASP-MTL-SC", "ours")] == record["tasks"]["MR"]["single_channel"]["test_error"]
    again = transfer(data, "asp", "cnn", 0, tmp_path, held_out=["MR"], epochs=1, glove=False, progress=False)
    assert again == record  # read back, not trained again


def test_the_figure_puts_each_domain_beside_the_papers_number(tmp_path):
    write_record(tmp_path, "asp", 0, 10.0)
    write_record(tmp_path, "asp", 1, 20.0)
    ax = against_paper(paper_table(load_results(tmp_path), "cnn"))
    assert_labelled(ax)
    ours, paper = ax.lines[0].get_ydata(), ax.collections[-1].get_offsets()[:, 1]
    assert list(ours) == [15.0] * 17  # 16 domains and the average, mean of the two seeds
    assert paper[0] == 16.0 and paper[-1] == PAPER_AVERAGES["asp"]
    with pytest.raises(DataError, match="no results for hard"):
        against_paper(paper_table(load_results(tmp_path), "cnn"), ["hard"])


def test_bad_results_folders_and_held_out_sets_are_refused_before_training(two_domains, tmp_path):
    not_a_folder = tmp_path / "results.json"
    not_a_folder.write_text("{}")
    with pytest.raises(ConfigError, match="is a file"):
        quick_reproduction(two_domains, not_a_folder)
    with pytest.raises(ConfigError, match="every domain is held out"):
        transfer(two_domains, "asp", "cnn", 0, tmp_path, held_out=["books", "dvd"], epochs=1, glove=False,
                 progress=False)
    assert not any(path.name != "results.json" for path in tmp_path.iterdir())
