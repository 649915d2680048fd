"""The architecture diagrams: each draws the tasks it is given, says its ideas in words, and keeps its boxes,
words and arrows clear of each other."""

import itertools

import numpy as np
import pytest
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text
from test_diagrams import assert_drawn, words

from mtl_lib.data.sources import NEWS_PUBLISHERS
from mtl_lib.errors import ConfigError
from mtl_lib.plots import architectures
from mtl_lib.plots.boxes import ROLE_COLOURS

REVIEWS = ("books", "dvd", "electronics")
TASK_DIAGRAMS = [architectures.single_task_diagram, architectures.hard_sharing_diagram,
                 architectures.soft_sharing_diagram, architectures.shared_private_diagram,
                 architectures.adversarial_diagram]


def said(fig: Figure) -> str:
    """`words(fig)` with the minus sign read as a hyphen, so "-λ" matches "−λ"."""
    return words(fig).replace("−", "-")


def boxes(fig: Figure) -> list[FancyBboxPatch]:
    """The filled boxes of the figure; the dashed outlines round a group have no fill."""
    return [patch for ax in fig.axes for patch in ax.patches
            if isinstance(patch, FancyBboxPatch) and patch.get_facecolor()[3] > 0]


def holder(text: Text, drawn: list[FancyBboxPatch]) -> FancyBboxPatch | None:
    """The box that `text` is centred in, if any."""
    for patch in drawn:
        centre = (patch.get_x() + patch.get_width() / 2, patch.get_y() + patch.get_height() / 2)
        if patch.axes is text.axes and np.allclose(centre, text.get_position()):
            return patch
    return None


def box_texts(fig: Figure, phrase: str) -> list[str]:
    """The words in each box whose words hold `phrase`."""
    drawn = boxes(fig)
    texts = [" ".join(text.get_text().split()) for ax in fig.axes for text in ax.texts if holder(text, drawn)]
    return [text for text in texts if phrase in text]


def assert_tidy(fig: Figure) -> None:
    """No two boxes overlap, every box holds its words, no loose words lie on a box or on each other, no arrow
    runs through a box, nothing is cut off at the figure's edge, and every colour is the palette's."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    drawn = boxes(fig)
    for first, second in itertools.combinations(drawn, 2):
        if first.axes is second.axes:
            assert not first.get_window_extent().overlaps(second.get_window_extent()), "two boxes overlap"
    loose = []
    for ax in fig.axes:
        for text in ax.texts:
            extent = text.get_window_extent(renderer)
            patch = holder(text, drawn)
            if patch is None:
                canvas = ax.get_window_extent().expanded(1.0, 1.0)
                assert (canvas.x0 <= extent.x0 and extent.x1 <= canvas.x1), \
                    f"the words {text.get_text()!r} are wider than the drawing, which shrinks to make room"
                loose.append(extent)
                continue
            frame = patch.get_window_extent().expanded(1.0, 1.0)
            assert (frame.x0 <= extent.x0 and extent.x1 <= frame.x1 and frame.y0 <= extent.y0
                    and extent.y1 <= frame.y1), f"the words {text.get_text()!r} spill out of their box"
    for extent in loose:
        assert not any(extent.overlaps(patch.get_window_extent()) for patch in drawn), "loose words lie on a box"
    for first, second in itertools.combinations(loose, 2):
        assert not first.overlaps(second), "two lines of loose words overlap"
    figure_extent = fig.bbox
    for text in [*fig.texts, *(text for ax in fig.axes for text in [ax.title, *ax.texts])]:
        if text.get_text():
            extent = text.get_window_extent(renderer)
            assert (figure_extent.x0 <= extent.x0 and extent.x1 <= figure_extent.x1 and figure_extent.y0 <= extent.y0
                    and extent.y1 <= figure_extent.y1), f"{text.get_text()!r} is cut off"
    for ax in fig.axes:
        insides = [patch.get_window_extent().padded(-3) for patch in drawn if patch.axes is ax]
        for arrow in (patch for patch in ax.patches if isinstance(patch, FancyArrowPatch)):
            for points in arrow.get_path().to_polygons(ax.transData, closed_only=False):
                for start, end in zip(points, points[1:]):
                    for share in np.linspace(0, 1, 25):
                        x, y = start + share * (end - start)
                        assert not any(inside.contains(x, y) for inside in insides), "an arrow runs through a box"
    palette = {tuple(round(channel, 3) for channel in colour)
               for colour in [*sns.color_palette("colorblind"), *ROLE_COLOURS.values()]}
    for patch in drawn:
        assert tuple(round(channel, 3) for channel in patch.get_edgecolor()[:3]) in palette, "a colour off the palette"


@pytest.mark.parametrize("draw", TASK_DIAGRAMS, ids=lambda draw: draw.__name__)
@pytest.mark.parametrize("tasks", [REVIEWS, NEWS_PUBLISHERS, ("Reuters",), tuple(f"domain {i}" for i in range(16))],
                         ids=["three", "news", "one", "sixteen"])
def test_task_diagrams_are_tidy_for_any_number_of_tasks(draw, tasks, tmp_path):
    fig = draw(tasks)
    assert_drawn(fig, [tasks[0]], tmp_path)
    assert_tidy(fig)


@pytest.mark.parametrize("draw", TASK_DIAGRAMS, ids=lambda draw: draw.__name__)
def test_task_diagrams_draw_a_head_per_task_given(draw):
    fig = draw(REVIEWS)
    assert [text.split(" head")[0] for text in box_texts(fig, " head")] == list(REVIEWS)
    assert "Reuters" not in words(fig)


@pytest.mark.parametrize("draw", TASK_DIAGRAMS, ids=lambda draw: draw.__name__)
def test_task_diagrams_name_every_publication_by_default(draw):
    fig = draw()
    for publication in NEWS_PUBLISHERS:
        assert publication.lower() in words(fig)
    assert "each drawn the same way" in words(fig), "five tasks draw the first rows and name the rest"


@pytest.mark.parametrize("draw", TASK_DIAGRAMS, ids=lambda draw: draw.__name__)
@pytest.mark.parametrize("tasks", [(), [], "Reuters", ("Reuters", "")])
def test_task_diagrams_refuse_tasks_that_are_no_task_names(draw, tasks):
    with pytest.raises(ConfigError, match="tasks"):
        draw(tasks)


def test_single_task_diagram_gives_each_task_its_own_everything(tmp_path):
    fig = architectures.single_task_diagram(REVIEWS)
    assert_drawn(fig, ["nothing is shared", "books embedding", "dvd encoder", "electronics head"], tmp_path)
    for part in ("texts", "embedding", "encoder", "head"):
        assert len(box_texts(fig, part)) == len(REVIEWS)
    assert "shared by all" not in words(fig) and "shared encoder" not in words(fig)


def test_hard_sharing_diagram_shares_embedding_and_encoder_and_the_task_picks_the_head(tmp_path):
    fig = architectures.hard_sharing_diagram(REVIEWS)
    assert_drawn(fig, ["embedding shared by all tasks", "shared encoder", "the task picks the head"], tmp_path)
    assert len(box_texts(fig, "encoder")) == 1
    assert "private" not in words(fig)


def test_soft_sharing_diagram_pulls_an_encoder_per_task_together(tmp_path):
    fig = architectures.soft_sharing_diagram(REVIEWS)
    assert_drawn(fig, ["embedding shared by all tasks", "L2 penalty", "‖W_t − W̄‖²", "mean W̄ over the tasks",
                       "Σ task losses + soft_weight × penalty"], tmp_path)
    assert box_texts(fig, "encoder") == [f"{task} encoder" for task in REVIEWS]
    assert "shared encoder" not in words(fig)


def test_shared_private_diagram_sets_a_private_encoder_per_task_beside_one_shared(tmp_path):
    fig = architectures.shared_private_diagram(REVIEWS)
    assert_drawn(fig, ["embedding shared by all", "shared encoder", "concat(shared, private)"], tmp_path)
    assert box_texts(fig, "private encoder") == [f"{task} private encoder" for task in REVIEWS]
    assert len(box_texts(fig, "shared encoder")) == 1
    assert "discriminator" not in words(fig) and "difference loss" not in words(fig)


def test_adversarial_diagram_adds_the_reversal_the_discriminator_and_the_losses(tmp_path):
    fig = architectures.adversarial_diagram(REVIEWS)
    assert_drawn(fig, ["shared encoder", "concat(shared, private)", "gradient reversal", "forward: identity",
                       "task discriminator", "the shared features", "adversarial loss", "difference loss",
                       "orthogonality", "correlation²"], tmp_path)
    for phrase in ("backward: × -λ", "l = σ task losses + adversarial loss + γ × difference loss",
                   "reversed (× -λ)"):
        assert phrase in said(fig)
    assert box_texts(fig, "private encoder") == [f"{task} private encoder" for task in REVIEWS]


def test_adversarial_diagram_draws_two_tasks_of_five_and_names_the_rest():
    fig = architectures.adversarial_diagram()
    assert len(box_texts(fig, "private encoder")) == 2
    assert "and 3 more tasks" in words(fig)


def test_transfer_diagram_sets_the_frozen_shared_channel_under_new_parts(tmp_path):
    fig = architectures.transfer_diagram()
    single, bi = fig.axes
    assert [single.get_title(), bi.get_title()] == ["single channel", "bi-channel"]
    assert_drawn(fig, ["BBC text", "shared embedding frozen", "shared encoder frozen", "copied from the source model",
                       "new BBC head", "new private embedding trained on BBC", "new private encoder trained on BBC",
                       "concat(shared, private)", "no gradient", "eval mode"], tmp_path)
    assert_tidy(fig)
    for ax in (single, bi):
        frozen = [patch for patch in ax.patches if isinstance(patch, FancyBboxPatch) and patch.get_hatch()]
        assert len(frozen) == 2, "the shared embedding and encoder are hatched, nothing else"
        assert {tuple(patch.get_edgecolor()[:3]) for patch in frozen} == {tuple(ROLE_COLOURS["frozen"])}
    assert len(box_texts(fig, "frozen")) == 4
    assert not any("private" in text.get_text() for text in single.texts), "the single channel has no private part"


def test_transfer_diagram_draws_the_target_it_is_given():
    fig = architectures.transfer_diagram("kitchen")
    assert "new kitchen head" in words(fig) and "bbc" not in words(fig)
    with pytest.raises(ConfigError, match="target"):
        architectures.transfer_diagram("")
