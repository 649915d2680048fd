"""scripts/store_chapters.py: stored progress bars read as finished where widgets do not render."""

import importlib.util
from pathlib import Path

import nbformat

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "store_chapters.py"
spec = importlib.util.spec_from_file_location("store_chapters", SCRIPT)
store_chapters = importlib.util.module_from_spec(spec)
spec.loader.exec_module(store_chapters)


def model(name: str, **state) -> dict:
    return {"model_name": name, "model_module": "@jupyter-widgets/controls", "state": state}


def notebook_with(states: dict, *model_ids: str) -> nbformat.NotebookNode:
    outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "epoch 1/2:   0%|          | 0/300 [00:00<?, ?step/s]",
        store_chapters.WIDGET_VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0}})
        for model_id in model_ids]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fit()", outputs=outputs)])
    notebook.metadata["widgets"] = {store_chapters.WIDGET_STATE: {"state": states, "version_major": 2}}
    return notebook


def tqdm_bar(value: float, maximum: float) -> dict:
    return {
        "box": model("HBoxModel", children=["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"]),
        "left": model("HTMLModel", value="epoch\u20072/2:\u2007100%"),
        "bar": model("FloatProgressModel", value=value, max=maximum, bar_style="success"),
        "right": model("HTMLModel", value="\u2007300/300\u2007[00:05&lt;00:00,\u200760.0step/s,\u2007dev=0.8]"),
    }


def test_a_finished_bar_replaces_the_zero_percent_fallback():
    notebook = notebook_with(tqdm_bar(300, 300), "box")
    assert store_chapters.finish_progress_bars(notebook) == 1
    text = notebook.cells[0].outputs[0].data["text/plain"]
    assert text == "epoch 2/2: 100%|██████████| 300/300 [00:05<00:00, 60.0step/s, dev=0.8]"


def test_a_bar_stopped_early_is_drawn_as_far_as_it_got():
    notebook = notebook_with(tqdm_bar(150, 300), "box")
    store_chapters.finish_progress_bars(notebook)
    assert "|█████     |" in notebook.cells[0].outputs[0].data["text/plain"]


def test_other_widgets_and_unknown_models_keep_their_fallback():
    states = {"picker": model("VBoxModel", children=["IPY_MODEL_x"]), "x": model("DropdownModel")}
    notebook = notebook_with(states, "picker", "not-stored")
    assert store_chapters.finish_progress_bars(notebook) == 0
    assert all(output.data["text/plain"].startswith("epoch 1/2:   0%") for output in notebook.cells[0].outputs)
