"""The architecture diagrams of chapter 08: each is a Figure with a title, says its ideas in words and draws."""

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from mtl_lib.errors import ConfigError
from mtl_lib.plots import diagrams


def words(fig: Figure) -> str:
    """Every text of the figure in lower case, line breaks and runs of spaces read as one space."""
    return " ".join(" ".join(text.get_text() for text in fig.findobj(Text)).lower().split())


def assert_drawn(fig: Figure, expected: list[str], tmp_path: Path) -> None:
    assert isinstance(fig, Figure)
    assert fig.get_suptitle()
    missing = [word for word in expected if word.lower() not in words(fig)]
    assert not missing, f"the diagram does not say {missing}"
    fig.savefig(tmp_path / "diagram.png", dpi=50)
    assert (tmp_path / "diagram.png").stat().st_size > 0


def test_several_labels_diagram_shows_one_encoder_heads_and_a_masked_label(tmp_path):
    fig = diagrams.several_labels_diagram()
    assert_drawn(fig, ["headline", "embedding", "shared encoder", "computed once", "category head", "publisher head",
                       "coverage head", "regression", "masked", "no gradient", "sum over the heads"], tmp_path)
    assert "publisher loss" not in words(fig), "the masked head adds no loss"


def test_several_labels_diagram_draws_the_heads_it_is_given(tmp_path):
    fig = diagrams.several_labels_diagram("clinical note", {"diagnosis": "12 classes", "stay": "days"}, masked=None)
    assert_drawn(fig, ["clinical note", "diagnosis head", "12 classes", "stay head", "diagnosis loss + stay loss"],
                 tmp_path)
    assert "masked" not in words(fig)


def test_several_labels_diagram_names_an_unknown_masked_head():
    with pytest.raises(ConfigError, match="'category', 'publisher', 'coverage'"):
        diagrams.several_labels_diagram(masked="sentiment")


def test_auxiliary_task_diagram_drops_the_auxiliary_head_at_deployment(tmp_path):
    fig = diagrams.auxiliary_task_diagram()
    assert [ax.get_title() for ax in fig.axes] == ["training", "deployment"]
    assert_drawn(fig, ["headline", "shared encoder", "main head category", "later coverage (known only afterwards)",
                       "auxiliary loss", "dropped", "the future signal does not exist yet"], tmp_path)


def test_auxiliary_task_diagram_takes_the_tabular_labels(tmp_path):
    fig = diagrams.auxiliary_task_diagram("admission measurements", "MLP trunk", "progression in a year",
                                          "lab results that arrive later")
    assert_drawn(fig, ["admission measurements", "MLP trunk", "progression in a year",
                       "lab results that arrive later", "deployment"], tmp_path)
    assert "headline" not in words(fig)


def test_multi_output_tree_diagram_sets_one_tree_per_task_beside_one_for_all(tmp_path):
    fig = diagrams.multi_output_tree_diagram()
    assert [ax.get_title() for ax in fig.axes] == ["one tree per task", "one multi-output tree"]
    assert_drawn(fig, ["task A tree", "task B tree", "A: yes, B: no", "gain A + gain B",
                       "a split is scored by the gain summed over the tasks"], tmp_path)
