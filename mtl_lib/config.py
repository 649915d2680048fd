"""Run-wide settings: the device, the seeds, and the run mode.

Smoke mode (`MTL_SMOKE=1`) shrinks data and epochs so that every chapter runs in
seconds in CI; the code path is the same as a full run.
"""

import os
import random
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from mtl_lib.errors import ConfigError

T = TypeVar("T")


def is_smoke() -> bool:
    """True when `MTL_SMOKE=1`: chapters and benchmarks shrink their work."""
    return os.environ.get("MTL_SMOKE", "0").strip() not in ("", "0", "false", "False")


def pick(full: T, smoke: T) -> T:
    """The full-run value, or the smoke value in smoke mode: `epochs = pick(6, 1)`."""
    return smoke if is_smoke() else full


def usable_device(name: str) -> torch.device:
    """The device called `name`, if this machine has it; otherwise a `ConfigError` saying what it has."""
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise ConfigError(f"{name!r} is not a device name; use cpu, cuda, cuda:1 or mps") from None
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    count = torch.cuda.device_count() if device.type == "cuda" else 1
    if not available.get(device.type, False) or (device.index or 0) >= count:
        raise ConfigError(f"device {name!r} is not available on this machine, which has: "
                          f"{', '.join(kind for kind, here in available.items() if here)}")
    return device


def get_device() -> torch.device:
    """The best device here: CUDA, then Apple MPS, then CPU (`MTL_DEVICE` overrides)."""
    if name := os.environ.get("MTL_DEVICE"):
        return usable_device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch generator seeded the same way.

    Same seed, same numbers on CPU: every random choice in `mtl_lib` draws from
    these generators or from one passed in explicitly. The same bits need the same
    arithmetic too: the same torch and number of threads on the same kind of CPU
    (`mtl_lib.stored_runs.arithmetic`), since another thread count splits sums differently.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


CHECKOUT = Path(__file__).resolve().parent.parent


def in_checkout() -> bool:
    """True when `mtl_lib` runs from the course repository (not from an installed copy)."""
    return (CHECKOUT / "pyproject.toml").exists()


def _path_from_env(variable: str) -> Path | None:
    """A folder named by an environment variable; relative names start at the project root.

    Notebooks run with the chapter's folder as working directory, so a relative
    `MTL_DATA_MIRROR=../shared/data` set in the project root must not depend on it.
    """
    value = os.environ.get(variable)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = (CHECKOUT if in_checkout() else Path.cwd()) / path
    return path


def data_dir() -> Path:
    """Where downloads are cached: `MTL_DATA_DIR`, else `data/` in the course checkout.

    An installed (not editable) `mtl_lib` has no checkout around it and caches in
    `~/.cache/mtl_lib` instead.
    """
    return _path_from_env("MTL_DATA_DIR") or (CHECKOUT / "data" if in_checkout()
                                              else Path.home() / ".cache" / "mtl_lib")


def data_mirror() -> Path | None:
    """A local folder of upstream archives to read instead of the internet (`MTL_DATA_MIRROR`)."""
    return _path_from_env("MTL_DATA_MIRROR")
