"""Install the course's library into this Python, keeping the torch it already has.

    python mtl-course/scripts/install_course.py

Every chapter's set-up cell runs this where `mtl_lib` is not installed (Colab, a notebook opened
on its own), from the course folder the cell cloned. Colab brings its own torch, built for its
GPU, and the library asks only for a range (`torch>=2.2,<3`); pip is told to keep the installed
version exactly, so it is never replaced. Where no torch is installed yet, the pinned one is
installed first, by install_torch.py (the CPU build on a Linux machine without an NVIDIA GPU).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import install_torch

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    if install_torch.installed_torch() is None and install_torch.main([]) != 0:
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        keep = Path(scratch) / "keep-torch.txt"
        keep.write_text(f"torch=={install_torch.installed_torch()}\n")
        print(f"==> installing the course's library from {ROOT}, keeping torch {install_torch.installed_torch()}")
        return subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--constraint", str(keep), "--editable", str(ROOT)]).returncode


if __name__ == "__main__":
    sys.exit(main())
