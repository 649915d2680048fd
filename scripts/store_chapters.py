"""Run chapters in full mode and store them with their outputs: the report a reader sees.

    .venv/bin/python scripts/store_chapters.py [chapters/02_hard_parameter_sharing.ipynb ...]

Each chapter (all of `chapters/` by default) runs top to bottom in a fresh kernel, in its
own folder, with smoke mode off, and is written back in place, atomically, only if every
cell ran. `MTL_DATA_MIRROR` and the other settings pass through to the kernel.

Progress bars are ipywidgets. Their final state is stored with the notebook, but their
text fallback (what GitHub and other renderers without widgets show) is the bar as it was
drawn at the start, at 0%; it is rewritten here from the stored final state.
"""

import html
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from mtl_lib.files import write_text_atomically

ROOT = Path(__file__).resolve().parent.parent

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BAR_WIDTH = 10  # characters, as tqdm draws a bar of unknown width


def finished_bar_text(states: dict, model_id: str) -> str | None:
    """The text of a tqdm bar in its final state, or None if `model_id` is not a tqdm bar.

    tqdm.notebook draws a bar as an HBox of (HTML left text, FloatProgress, HTML right text).
    """
    box = states.get(model_id, {})
    if box.get("model_name") != "HBoxModel":
        return None
    parts = [states.get(child.removeprefix("IPY_MODEL_"), {}) for child in box["state"].get("children", [])]
    if [part.get("model_name") for part in parts] != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    left, progress, right = (part["state"] for part in parts)
    maximum = progress.get("max") or 0
    fraction = min(1.0, max(0.0, progress.get("value", 0) / maximum)) if maximum else 0.0
    filled = round(BAR_WIDTH * fraction)
    bar = "█" * filled + " " * (BAR_WIDTH - filled)
    return html.unescape(f"{left.get('value', '')}|{bar}|{right.get('value', '')}").replace("\u2007", " ")


def finish_progress_bars(notebook: nbformat.NotebookNode) -> int:
    """Set each stored progress bar's text fallback to its final state; return how many changed."""
    states = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    changed = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            text = view and finished_bar_text(states, view["model_id"])
            if text:
                output["data"]["text/plain"] = text
                changed += 1
    return changed


def store(path: Path) -> float:
    """Execute one chapter in full mode and write it back with its outputs; return the seconds taken."""
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=1800, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - started
    finish_progress_bars(notebook)
    write_text_atomically(path, nbformat.writes(notebook) + "\n")
    return seconds


def main(paths: list[str]) -> None:
    os.environ["MTL_SMOKE"] = "0"  # the stored outputs are those of a full run
    chapters = [Path(p).resolve() for p in paths] or sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    for chapter in chapters:
        print(f"==> {chapter.relative_to(ROOT)}", flush=True)
        print(f"    stored after {store(chapter):.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
