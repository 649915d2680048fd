"""A chapter opened the way Colab opens it: alone, outside any checkout, beside a torch already installed.

The simulated Colab is a fresh virtual environment holding only torch and a Jupyter kernel (Colab's
torch comes preinstalled). The chapter is copied into an empty scratch folder and run there in smoke
mode, set-up cell first. The set-up cell clones the course from `MTL_COURSE_REPOSITORY` (this
repository's committed HEAD here, GitHub in Colab) and installs it. Afterwards torch must be exactly
the files it was, and the library must come from the clone. It needs PyPI for the library's other
dependencies, and takes a few minutes.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "01_single_task_baselines.ipynb"
TORCH = next(line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("torch=="))

RUN_CHAPTER = textwrap.dedent("""
    import json, sys
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(sys.argv[1], as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json, sys, mtl_lib, torch; "
        "print(json.dumps({'mtl_lib': mtl_lib.__file__, 'torch': torch.__version__, 'python': sys.executable}))"))
    NotebookClient(notebook, timeout=1200, kernel_name="python3").execute()
    print(notebook.cells[-1].outputs[-1]["text"])
""")


def torch_files(python: Path) -> tuple[str, str]:
    """torch's version and a digest of its installed files' record (which lists every file's hash)."""
    found = subprocess.run([python, "-c", "import importlib.metadata as m; d = m.distribution('torch'); "
                                          "print(d.version); print(d.read_text('RECORD'))"],
                           capture_output=True, text=True, check=True).stdout
    version, record = found.split("\n", 1)
    return version, hashlib.sha256(record.encode()).hexdigest()


@pytest.fixture(scope="module")
def colab(tmp_path_factory) -> Path:
    """A fresh virtual environment with torch and a kernel installed, and nothing of the course."""
    home = tmp_path_factory.mktemp("colab")
    subprocess.run([sys.executable, "-m", "venv", home / "python"], check=True)
    python = home / "python" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    TORCH, "ipykernel", "nbclient", "nbformat"], check=True)
    return python


def test_a_chapter_opened_alone_sets_itself_up_and_keeps_the_installed_torch(colab, tmp_path):
    before = torch_files(colab)
    scratch = tmp_path / "content"  # Colab's working directory, outside any checkout
    scratch.mkdir()
    shutil.copy(CHAPTER, scratch)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "PYTHON"))}
    environment.update(MTL_COURSE_REPOSITORY=f"file://{ROOT}", MTL_SMOKE="1", HOME=str(tmp_path),
                       JUPYTER_PATH="", JUPYTER_DATA_DIR=str(tmp_path / "jupyter"))
    if "MTL_DATA_MIRROR" in os.environ:
        environment["MTL_DATA_MIRROR"] = str(Path(os.environ["MTL_DATA_MIRROR"]).resolve())
    ran = subprocess.run([colab, "-c", RUN_CHAPTER, CHAPTER.name], cwd=scratch, env=environment,
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr[-3000:]

    kernel = json.loads(ran.stdout.strip().splitlines()[-1])
    clone = scratch / "mtl-course"
    assert Path(kernel["mtl_lib"]).is_relative_to(clone), "the chapter did not use the library it cloned"
    assert Path(kernel["python"]).parent == colab.parent, "the chapter ran in another Python"
    assert torch_files(colab) == before, "the set-up changed the torch that was installed"
    assert kernel["torch"] == before[0]
    later = subprocess.run([colab, "-c", "import mtl_lib; print(mtl_lib.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert Path(later.strip()).is_relative_to(clone), "a restarted kernel would not find the library"


def test_the_set_up_cell_does_nothing_where_the_library_is_installed(tmp_path):
    setup = json.loads(CHAPTER.read_text())["cells"][1]
    ran = subprocess.run([sys.executable, "-c", "".join(setup["source"])], cwd=tmp_path,
                         env={**os.environ, "MTL_COURSE_REPOSITORY": "file:///nowhere"}, capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout == "" and ran.stderr == ""
    assert not (tmp_path / "mtl-course").exists()
