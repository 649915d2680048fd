"""Architecture diagrams of chapter 08: several labels per text, auxiliary tasks and multi-output trees.

Each function draws boxes and arrows (`mtl_lib.plots.boxes`) and returns the Figure, so a
notebook shows it as a PNG. Colours come from seaborn's colour-blind palette and every
box says in words what it is; a masked or dropped part is grey and dashed as well.
Nothing here trains or reads data: the labels are parameters with the news defaults.
"""

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mtl_lib.errors import ConfigError
from mtl_lib.plots.boxes import FONT_SIZE, arrow, box, canvas, wrap

NEWS_HEADS = {"category": "4 classes", "publisher": "5 classes", "coverage": "a number (regression)"}


def several_labels_diagram(text: str = "headline", heads: dict[str, str] = NEWS_HEADS,
                           masked: str | None = "publisher") -> Figure:
    """One text, one pass of the shared encoder, a head per label; the loss sums the heads that have a label.

    `heads` maps each task to what its head predicts; the head of `masked` (None: no head) is drawn
    without a label for this text, so it adds no loss and no gradient.
    `several_labels_diagram("clinical note", {"diagnosis": "12 classes", "stay": "days (regression)"}, "stay")`.
    """
    if masked is not None and masked not in heads:
        raise ConfigError(f"masked must be one of the heads {', '.join(map(repr, heads))} or None; got {masked!r}")
    height = max(3.0, 1.05 * len(heads) + 0.2)
    fig, ax = plt.subplots(figsize=(10, height + 0.5))
    canvas(ax, 10, height)
    middle = height / 2
    source = box(ax, 0.7, middle, wrap(text, 12), "input", width=1.3)
    embedding = box(ax, 2.3, middle, "embedding", "shared", width=1.3)
    encoder = box(ax, 4.1, middle, "shared encoder\n(computed once)", "shared", width=1.8, height=0.9)
    arrow(ax, source, embedding)
    arrow(ax, embedding, encoder)
    labelled = [task for task in heads if task != masked]
    loss_text = "loss =\n" + "\n+ ".join(f"{task} loss" for task in labelled) + "\n(sum over the heads\nwith a label)"
    loss = box(ax, 8.95, middle, loss_text, "loss", width=1.95, height=0.7 + 0.17 * len(labelled) + 0.35)
    step = (height - 0.2) / len(heads)
    for row, (task, prediction) in enumerate(heads.items()):
        y = height - 0.1 - step * (row + 0.5)
        if task == masked:
            head = box(ax, 6.65, y, f"{task} head: {prediction}\nno label for this text:\nmasked, no gradient",
                        "head", width=2.2, height=0.85, off=True)
        else:
            head = box(ax, 6.65, y, f"{task} head\n{prediction}", "head", width=2.2, height=0.7)
            arrow(ax, head, loss)
        arrow(ax, encoder, head)
    fig.suptitle(f"Several labels for one {text}: one encoder pass, a head per label", fontsize=FONT_SIZE + 3)
    fig.tight_layout()
    return fig


def auxiliary_task_diagram(input_name: str = "headline", trunk_name: str = "shared encoder",
                           main_name: str = "category",
                           auxiliary_name: str = "later coverage (known only afterwards)",
                           future_note: str = "the future signal does not exist yet") -> Figure:
    """Training with a main and an auxiliary head beside deployment, where only the main head is left.

    The auxiliary target is known only after the fact, so it can train the shared part but never
    be an input. The tabular case of chapter 08:
    `auxiliary_task_diagram("admission measurements", "MLP trunk", "progression in a year",
    "lab results that arrive later")`.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for ax, deployed in zip(axes, (False, True)):
        canvas(ax, 5.2, 3.0, "deployment" if deployed else "training")
        source = box(ax, 0.65, 1.55, wrap(input_name, 12), "input", width=1.25, height=0.8)
        trunk = box(ax, 2.0, 1.55, wrap(trunk_name, 10), "shared", width=1.1, height=0.8)
        main = box(ax, 4.0, 2.35, "main head\n" + wrap(main_name, 24), "head", width=2.2, height=0.8)
        auxiliary_text = "auxiliary head\n" + wrap(auxiliary_name, 22)
        if deployed:
            auxiliary_text = "auxiliary head dropped:\n" + wrap(future_note, 22)
        auxiliary = box(ax, 4.0, 0.95, auxiliary_text, "head", width=2.2, height=1.0, off=deployed)
        arrow(ax, source, trunk)
        arrow(ax, trunk, main)
        arrow(ax, trunk, auxiliary, off=deployed)
        caption = ("predictions come from the main head alone" if deployed
                   else "loss = main loss + weight × auxiliary loss")
        ax.text(2.6, 0.05, caption, ha="center", va="bottom", fontsize=FONT_SIZE, style="italic")
    fig.suptitle("An auxiliary task trains the shared part and is dropped at deployment", fontsize=FONT_SIZE + 3)
    fig.tight_layout()
    return fig


def _tree(ax: Axes, nodes: dict[str, tuple[float, float, str, str]], edges: list[tuple[str, str]]) -> None:
    """Nodes {name: (x, y, text, "split" or "leaf")} as boxes and an arrow from each parent to its child."""
    boxes = {name: box(ax, x, y, text, role, width=0.3 + 0.08 * max(map(len, text.split("\n"))), height=0.5)
             for name, (x, y, text, role) in nodes.items()}
    for parent, child in edges:
        arrow(ax, boxes[parent], boxes[child])


def multi_output_tree_diagram() -> Figure:
    """One tree per task beside one multi-output tree, whose split is scored by the gain summed over the tasks
    and whose leaves predict every task."""
    fig, (separate_ax, joint_ax) = plt.subplots(1, 2, figsize=(10, 3.4), width_ratios=(5.4, 5.0))
    canvas(separate_ax, 5.4, 2.9, "one tree per task")
    _tree(separate_ax, {"root": (1.1, 2.45, "task A tree\nx₃ < 0.5 ?", "split"),
                        "yes": (0.5, 1.35, "A: yes", "leaf"), "no": (1.7, 1.35, "A: no", "leaf")},
          [("root", "yes"), ("root", "no")])
    _tree(separate_ax, {"root": (3.6, 2.45, "task B tree\nx₇ < 0.2 ?", "split"),
                        "no": (3.0, 1.35, "B: no", "leaf"), "split": (4.2, 1.35, "x₁ < 0.8 ?", "split"),
                        "left": (3.6, 0.3, "B: yes", "leaf"), "right": (4.8, 0.3, "B: no", "leaf")},
          [("root", "no"), ("root", "split"), ("split", "left"), ("split", "right")])
    canvas(joint_ax, 5.0, 2.9, "one multi-output tree")
    _tree(joint_ax, {"root": (2.7, 2.45, "x₃ < 0.5 ?\ngain A + gain B", "split"),
                     "split": (1.5, 1.35, "x₇ < 0.2 ?\ngain A + gain B", "split"),
                     "right": (3.9, 1.35, "A: no, B: no", "leaf"),
                     "left_left": (0.8, 0.3, "A: yes, B: no", "leaf"),
                     "left_right": (2.3, 0.3, "A: yes, B: yes", "leaf")},
          [("root", "split"), ("root", "right"), ("split", "left_left"), ("split", "left_right")])
    fig.suptitle("Trees for several tasks: one per task, or one whose leaves predict them all",
                 fontsize=FONT_SIZE + 3)
    fig.text(0.5, 0.02, "a split is scored by the gain summed over the tasks", ha="center", va="bottom",
             fontsize=FONT_SIZE + 1, style="italic")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig
