"""Atomic file writes: a file is either complete or absent, never half-written."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds.

    Example: `with atomic_path("model.pt") as tmp: torch.save(state, tmp)`.
    An exception (or Ctrl-C) inside the block leaves `target` as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(handle)
    try:
        yield Path(partial)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def write_text_atomically(target: str | Path, text: str) -> None:
    """Write UTF-8 text to `target` through `atomic_path`."""
    with atomic_path(target) as partial:
        partial.write_text(text, encoding="utf-8")
