"""Install the pinned torch in a way that fits this machine.

    python scripts/install_torch.py [--dry-run]

PyPI's torch for Linux is the CUDA build, several GB with its NVIDIA packages, even on a
machine with no GPU. So on Linux without an NVIDIA GPU, torch comes from PyTorch's CPU wheel
index, provided it answers within a few seconds; where it cannot be reached (offline, behind a
proxy, on a registry mirror), pip's own index is used at once instead of minutes of retries.
Elsewhere (a GPU machine, macOS, Windows) pip's own index already has the right build.
The pin is requirements.txt's. An installed torch that meets it is kept as it is.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = os.environ.get("MTL_TORCH_CPU_INDEX", "https://download.pytorch.org/whl/cpu")
PROBE_SECONDS = 5.0


def pinned_torch(requirements: Path = ROOT / "requirements.txt") -> str:
    """The `torch==X` line of requirements.txt."""
    for line in requirements.read_text().splitlines():
        if re.match(r"torch\s*==", line.strip()):
            return line.strip()
    raise SystemExit(f"error: {requirements} pins no torch (a line `torch==X.Y.Z`)")


def has_nvidia_gpu() -> bool:
    """An NVIDIA driver is loaded, or its tool is on the PATH."""
    return Path("/proc/driver/nvidia/version").exists() or shutil.which("nvidia-smi") is not None


def wants_cpu_index(system: str, nvidia_gpu: bool) -> bool:
    """Only Linux without an NVIDIA GPU gets a CUDA build it cannot use from pip's own index."""
    return system == "Linux" and not nvidia_gpu


def answers(url: str, seconds: float = PROBE_SECONDS) -> bool:
    """The index answers an HTTP request within `seconds`, with any status."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/torch/", timeout=seconds):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, if only to refuse
    except (OSError, ValueError):
        return False


def installed_torch() -> str | None:
    """The version of the torch installed in this Python, or None."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return None


def meets(installed: str | None, pin: str) -> bool:
    """`2.13.0+cpu` meets `torch==2.13.0`: a local label (`+cpu`) is the same release."""
    return installed is not None and installed.split("+")[0] == pin.split("==")[1].strip()


def pip_command(pin: str, system: str, nvidia_gpu: bool, index_answers) -> tuple[list[str], str]:
    """The pip command that installs `pin`, and why it was chosen."""
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pin]
    if not wants_cpu_index(system, nvidia_gpu):
        return pip, "pip's own index has the right build here"
    if index_answers(CPU_INDEX):
        return pip + ["--index-url", CPU_INDEX], f"the CPU build from {CPU_INDEX} (Linux, no NVIDIA GPU)"
    return pip, f"{CPU_INDEX} did not answer within {PROBE_SECONDS:.0f} s: pip's own index instead"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the choice and the command; install nothing")
    args = parser.parse_args(argv)
    pin = pinned_torch()
    if meets(installed_torch(), pin):
        print(f"==> torch {installed_torch()} is installed: kept")
        return 0
    command, reason = pip_command(pin, platform.system(), has_nvidia_gpu(), answers)
    print(f"==> {pin}: {reason}")
    if args.dry_run:
        print(" ".join(command))
        return 0
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
