"""One diagram per architecture of the course, from sharing nothing to transfer, each drawn as the code builds it.

| function                 | draws                                            | model (`build_model` name) |
| ------------------------ | ------------------------------------------------ | -------------------------- |
| `single_task_diagram`    | one model per task, nothing shared               | `SingleTask` ("single")    |
| `hard_sharing_diagram`   | one embedding and encoder, a head per task       | `HardSharing` ("hard")     |
| `soft_sharing_diagram`   | an encoder per task, pulled together (L2)        | `SoftSharing` ("soft")     |
| `shared_private_diagram` | a shared encoder beside a private one per task   | `SharedPrivate` ("sp")     |
| `adversarial_diagram`    | shared-private, a task discriminator, two losses | `SharedPrivate` ("asp")    |
| `transfer_diagram`       | a frozen shared channel under a new task         | `mtl_lib.transfer`         |

Each returns a Figure (a PNG in a notebook) with a title and no axes. The tasks are a
parameter, the five publications by default; beyond four tasks the first three are drawn
and one row names the rest. Nothing here trains or reads data.
"""

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from mtl_lib.data.sources import NEWS_PUBLISHERS
from mtl_lib.errors import ConfigError
from mtl_lib.plots.boxes import FONT_SIZE, ROLE_COLOURS, arrow, box, canvas, frame

WIDTH = 10.0  # the canvas is WIDTH units across, about an inch each
MOST_ROWS = 4  # more tasks than this: the first MOST_ROWS - 1 are drawn, one row names the rest
MOST_NAMED = 4  # that row names at most this many tasks, else only counts them
PITCH = 0.66  # from one task's row to the next
ROW_HEIGHT = 0.5  # of a box in a task's row
MORE_PITCH = 0.45  # the row that names the tasks not drawn
CAPTION = 0.5  # below the rows, for one or two lines of words


def _task_rows(tasks: Sequence[str], most: int = MOST_ROWS) -> tuple[list[str], str | None]:
    """The tasks drawn one row each, and the words of a last row for the rest (None when all are drawn):
    beyond `most` tasks, the first `most` - 1."""
    if isinstance(tasks, str):
        raise ConfigError(f"tasks must be a sequence of task names, not one string; got {tasks!r}, write ({tasks!r},)")
    if not tasks:
        raise ConfigError("tasks is empty; give the names of the tasks to draw, such as ('Reuters', 'Daily Mail')")
    for task in tasks:
        if not isinstance(task, str) or not task.strip():
            raise ConfigError(f"tasks must be non-empty strings; got {task!r}")
    if len(tasks) <= most:
        return list(tasks), None
    drawn, rest = list(tasks[:most - 1]), list(tasks[most - 1:])
    names = f": {', '.join(rest)}" if len(rest) <= MOST_NAMED else ""
    return drawn, f"… and {len(rest)} more tasks, each drawn the same way{names}"


def _figure(drawn: list[str], more: str | None, title: str, above: float = 0.1,
            below: float = CAPTION) -> tuple[Figure, Axes, list[float]]:
    """A figure WIDTH inches across, `title` over it, and the heights of the task rows of its canvas: `above`
    units over the rows (for a shared row, say), the rows, the row for the rest, then `below` for words."""
    height = above + PITCH * len(drawn) + (MORE_PITCH if more else 0.0) + below
    fig, ax = plt.subplots(figsize=(WIDTH, height + 0.55))
    canvas(ax, WIDTH, height)
    fig.suptitle(title, fontsize=FONT_SIZE + 3)
    top = height - above - PITCH / 2
    return fig, ax, [top - PITCH * row for row in range(len(drawn))]


def _note(ax: Axes, x: float, y: float, text: str) -> None:
    """Words without a box, centred on (x, y), in italics: what a row of boxes or the whole figure means."""
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, style="italic", linespacing=1.3)


def _finish(fig: Figure, ax: Axes, levels: list[float], more: str | None, more_x: float, caption: str,
            caption_y: float = 0.2) -> Figure:
    """`fig` done: the row under the task rows that names the tasks not drawn (if any) centred on `more_x`,
    `caption` at the foot, and the layout."""
    if more:
        _note(ax, more_x, levels[-1] - (PITCH + MORE_PITCH) / 2, more)
    _note(ax, WIDTH / 2, caption_y, caption)
    fig.tight_layout()
    return fig


def _column(ax: Axes, x: float, levels: list[float], texts: list[str], role: str,
            width: float) -> list[FancyBboxPatch]:
    """One box per task row at `x`, saying `texts`."""
    return [box(ax, x, y, text, role, width=width, height=ROW_HEIGHT) for y, text in zip(levels, texts)]


def _fan(ax: Axes, start: FancyBboxPatch, ends: list[FancyBboxPatch], role: str | None = None) -> None:
    """An arrow from `start` to every one of `ends`."""
    for end in ends:
        arrow(ax, start, end, role=role)


def _chain(ax: Axes, parts: Sequence[FancyBboxPatch]) -> None:
    """An arrow from each of `parts` to the next."""
    for start, end in zip(parts, parts[1:]):
        arrow(ax, start, end)


def single_task_diagram(tasks: Sequence[str] = NEWS_PUBLISHERS) -> Figure:
    """One separate model per task, embedding, encoder and head of its own: the baseline whose gap to the
    others is the gain of sharing (`SingleTask`).

    `single_task_diagram(("books", "dvd", "electronics"))` draws review domains instead.
    """
    drawn, more = _task_rows(tasks)
    fig, ax, levels = _figure(drawn, more, "Single task: one model per task, nothing shared")
    texts = _column(ax, 1.0, levels, [f"{task}\ntexts" for task in drawn], "input", width=1.6)
    embeddings = _column(ax, 3.4, levels, [f"{task}\nembedding" for task in drawn], "private", width=1.9)
    encoders = _column(ax, 5.9, levels, [f"{task}\nencoder" for task in drawn], "private", width=1.9)
    heads = _column(ax, 8.4, levels, [f"{task}\nhead" for task in drawn], "head", width=1.9)
    for parts in zip(texts, embeddings, encoders, heads):
        _chain(ax, parts)
    return _finish(fig, ax, levels, more, WIDTH / 2,
                   "nothing is shared: each task trains its own embedding, encoder and head")


def hard_sharing_diagram(tasks: Sequence[str] = NEWS_PUBLISHERS) -> Figure:
    """One embedding and one encoder read every task's texts, and the task picks the head: the simplest
    sharing, where every task trains the same encoder (`HardSharing`, FS-MTL in Liu et al. 2017)."""
    drawn, more = _task_rows(tasks)
    fig, ax, levels = _figure(drawn, more, "Hard parameter sharing: one encoder for every task, one head per task")
    middle = (levels[0] + levels[-1]) / 2
    text = box(ax, 0.9, middle, "a text of\nany task", "input", width=1.4, height=ROW_HEIGHT)
    embedding = box(ax, 3.0, middle, "embedding\nshared by all tasks", "shared", width=1.9, height=ROW_HEIGHT)
    encoder = box(ax, 5.3, middle, "shared encoder\none for all tasks", "shared", width=1.9, height=ROW_HEIGHT)
    heads = _column(ax, 8.2, levels, [f"{task}\nhead" for task in drawn], "head", width=1.9)
    _chain(ax, [text, embedding, encoder])
    _fan(ax, encoder, heads, "shared")
    return _finish(fig, ax, levels, more, 6.6,
                   "the task picks the head: a text is scored by its own task's head, "
                   "while the embedding and the encoder learn from every task")


def soft_sharing_diagram(tasks: Sequence[str] = NEWS_PUBLISHERS) -> Figure:
    """A shared embedding, an encoder per task, and an L2 penalty pulling each encoder's weights towards the
    mean over the tasks' encoders: each task keeps its own encoder, but not far from the others (`SoftSharing`)."""
    drawn, more = _task_rows(tasks)
    fig, ax, levels = _figure(drawn, more, "Soft parameter sharing: an encoder per task, pulled together by an L2 "
                                           "penalty", above=0.55)
    middle = (levels[0] + levels[-1]) / 2
    text = box(ax, 0.75, middle, "a text of\nany task", "input", width=1.3, height=ROW_HEIGHT)
    embedding = box(ax, 2.55, middle, "embedding\nshared by all tasks", "shared", width=1.8, height=ROW_HEIGHT)
    encoders = _column(ax, 4.75, levels, [f"{task}\nencoder" for task in drawn], "private", width=1.8)
    heads = _column(ax, 6.85, levels, [f"{task}\nhead" for task in drawn], "head", width=1.7)
    loss = box(ax, 8.95, middle, "loss =\nΣ task losses\n+ soft_weight × penalty", "loss", width=1.9,
               height=max(0.9, levels[0] - levels[-1] + ROW_HEIGHT))
    arrow(ax, text, embedding)
    _fan(ax, embedding, encoders)
    for encoder, head in zip(encoders, heads):
        _chain(ax, [encoder, head, loss])
    pulled = frame(ax, encoders, "loss")
    ax.text(4.75, pulled.get_y() + pulled.get_height() + 0.05,
            "L2 penalty = Σ over tasks t of ‖W_t − W̄‖²:\n"
            "each encoder weight W_t against its mean W̄ over the tasks",
            ha="center", va="bottom", fontsize=FONT_SIZE, color=ROLE_COLOURS["loss"], linespacing=1.15)
    return _finish(fig, ax, levels, more, 5.8,
                   "only the embedding is shared outright; the encoders are shared softly, "
                   "by the penalty on how far their weights drift apart")


def _shared_private(ax: Axes, drawn: list[str], shared_level: float, levels: list[float], columns: tuple[float, ...],
                    widths: tuple[float, ...]) -> tuple[FancyBboxPatch, list[FancyBboxPatch], list[FancyBboxPatch]]:
    """SP-MTL's boxes and arrows: a text, the shared embedding, the shared encoder at `shared_level`, a private
    encoder and a head per task at `levels`; `columns` and `widths` place those four columns. Returns the
    shared encoder, the private encoders and the heads."""
    middle = (shared_level + levels[-1]) / 2
    text = box(ax, columns[0], middle, "a text of\nany task", "input", width=widths[0], height=ROW_HEIGHT)
    embedding = box(ax, columns[1], middle, "embedding\nshared by all", "shared", width=widths[1], height=ROW_HEIGHT)
    shared = box(ax, columns[2], shared_level, "shared encoder\none for all tasks", "shared", width=widths[2],
                 height=ROW_HEIGHT)
    privates = _column(ax, columns[2], levels, [f"{task}\nprivate encoder" for task in drawn], "private", widths[2])
    heads = _column(ax, columns[3], levels, [f"{task} head on\nconcat(shared, private)" for task in drawn],
                    "head", widths[3])
    arrow(ax, text, embedding)
    _fan(ax, embedding, [shared, *privates])
    for private, head in zip(privates, heads):
        arrow(ax, private, head)
    _fan(ax, shared, heads, "shared")
    return shared, privates, heads


def shared_private_diagram(tasks: Sequence[str] = NEWS_PUBLISHERS) -> Figure:
    """A shared encoder beside a private encoder per task, one shared embedding below both, and each task's
    head reading both views of the text: what every task has in common is kept apart from what only
    one task needs (`SharedPrivate`, SP-MTL in Liu et al. 2017)."""
    drawn, more = _task_rows(tasks)
    fig, ax, levels = _figure(drawn, more, "Shared-private (SP-MTL): a shared encoder beside a private encoder "
                                           "per task", above=0.1 + PITCH)
    _shared_private(ax, drawn, levels[0] + PITCH, levels, columns=(0.75, 2.45, 4.6, 7.9), widths=(1.3, 1.6, 1.9, 2.4))
    return _finish(fig, ax, levels, more, 6.2,
                   "each head reads concat(shared, private): the shared encoder learns from every "
                   "task, a private encoder from its own task alone")


def adversarial_diagram(tasks: Sequence[str] = NEWS_PUBLISHERS) -> Figure:
    """ASP-MTL (Liu et al. 2017): shared-private, plus a task discriminator behind a gradient reversal layer
    and a difference loss, so that the shared features carry nothing that tells the tasks apart.

    The discriminator learns to name the task from the shared features; the reversal hands the shared
    encoder the opposite gradient, times λ, so it learns to hide the task. The difference loss keeps the
    private features from repeating the shared ones (`SharedPrivate` with a `TaskDiscriminator`,
    `mtl_lib.losses`, `mtl_lib.step_terms`); λ is `TrainConfig.adversarial_weight`, γ its
    `difference_weight`. Beyond three tasks the first two are drawn.
    """
    drawn, more = _task_rows(tasks, most=3)
    top_height = 0.72  # the shared row, with its three-line boxes
    link, difference_height, pad = 0.25, 0.4, 0.08  # the difference loss's two links and its box; the frame's pad
    gap = 2 * link + difference_height + pad  # from the shared encoder down to the first private one
    first_row = 0.05 + top_height / 2 + ROW_HEIGHT + gap  # from the canvas's top to the first task row's centre
    fig, ax, levels = _figure(drawn, more, "Adversarial shared-private (ASP-MTL): a task discriminator through "
                                           "gradient reversal, and a difference loss",
                              above=first_row - PITCH / 2, below=0.55)
    shared_level = levels[0] + ROW_HEIGHT + gap
    columns = (0.55, 2.0, 4.0, 7.1)
    shared, privates, _ = _shared_private(ax, drawn, shared_level, levels, columns, widths=(1.0, 1.5, 1.8, 2.3))
    reversal = box(ax, 6.5, shared_level, "gradient reversal\nforward: identity\nbackward: × −λ", "reversal",
                   width=1.7, height=top_height)
    discriminator = box(ax, 8.75, shared_level, "task discriminator\nguesses the task from\nthe shared features",
                        "discriminator", width=2.2, height=top_height)
    adversarial = box(ax, 9.15, levels[0], "adversarial loss:\ncross entropy\nagainst the task", "loss", width=1.4,
                      height=0.62)
    _chain(ax, [reversal, discriminator, adversarial])
    arrow(ax, shared, reversal, role="shared")
    private_group = frame(ax, privates, "loss", pad=pad)
    difference = box(ax, columns[2], shared_level - ROW_HEIGHT / 2 - link - difference_height / 2,
                     "difference loss\n(orthogonality)", "loss", width=1.8, height=difference_height)
    arrow(ax, shared, difference, role="loss", link=True)
    arrow(ax, difference, private_group, role="loss", link=True)
    return _finish(fig, ax, levels, more, 5.5,
                   "L = Σ task losses + adversarial loss + γ × difference loss (correlation² of the "
                   "shared and the private features)\nthe discriminator learns to name the task; reversed "
                   "(× −λ), its gradient teaches the shared encoder to hide it", caption_y=0.25)


def transfer_diagram(target: str = "BBC") -> Figure:
    """A new task, `target`, learned on the frozen shared embedding and encoder of a trained multi-task
    model, alone (single channel) or beside a new private channel (bi-channel), as in `mtl_lib.transfer`.

    Frozen parts are copies that never learn; only the parts marked trained fit the new task.
    `transfer_diagram("kitchen")` draws the review domain of Liu et al.'s transfer table.
    """
    if not isinstance(target, str) or not target.strip():
        raise ConfigError(f"target must be the new task's name, a non-empty string; got {target!r}")
    fig, (single_ax, bi_ax) = plt.subplots(1, 2, figsize=(WIDTH, 4.2))
    for ax, title in ((single_ax, "single channel"), (bi_ax, "bi-channel")):
        canvas(ax, 5.0, 3.5, title)
    frozen = "\nfrozen, copied from\nthe source model"
    text = box(single_ax, 2.5, 3.2, f"{target} text", "input", width=2.0, height=0.4)
    embedding = box(single_ax, 2.5, 2.35, f"shared embedding{frozen}", "frozen", width=2.6, height=0.7)
    encoder = box(single_ax, 2.5, 1.4, f"shared encoder{frozen}", "frozen", width=2.6, height=0.7)
    head = box(single_ax, 2.5, 0.4, f"new {target} head\ntrained", "head", width=2.6, height=0.5)
    _chain(single_ax, [text, embedding, encoder])
    arrow(single_ax, encoder, head, role="shared")

    text = box(bi_ax, 2.5, 3.2, f"{target} text", "input", width=2.0, height=0.4)
    embedding = box(bi_ax, 1.25, 2.35, f"shared embedding{frozen}", "frozen", width=2.3, height=0.7)
    encoder = box(bi_ax, 1.25, 1.4, f"shared encoder{frozen}", "frozen", width=2.3, height=0.7)
    private_embedding = box(bi_ax, 3.75, 2.35, f"new private embedding\ntrained on {target}", "private",
                            width=2.3, height=0.7)
    private_encoder = box(bi_ax, 3.75, 1.4, f"new private encoder\ntrained on {target}", "private", width=2.3,
                          height=0.7)
    head = box(bi_ax, 2.5, 0.4, f"new {target} head, trained,\non concat(shared, private)", "head", width=3.0,
               height=0.5)
    _chain(bi_ax, [text, embedding, encoder])
    _chain(bi_ax, [text, private_embedding, private_encoder, head])
    arrow(bi_ax, encoder, head, role="shared")
    fig.suptitle(f"Transfer to {target}: a trained multi-task model's shared layer, frozen, under new trained parts",
                 fontsize=FONT_SIZE + 3)
    fig.text(0.5, 0.02, "frozen (hatched): copied from the source model, no gradient, always in eval mode "
                        f"(dropout off)\nthe new parts train on {target}, which keeps the source model's vocabulary",
             ha="center", va="bottom", fontsize=FONT_SIZE, style="italic", linespacing=1.3)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
