"""Atomic file writes: a file is either complete or absent, never half-written."""

import os
import stat
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
        os.chmod(partial, _mode_for(target))  # mkstemp makes the file private (0600)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _mode_for(target: Path) -> int:
    """The permissions `target` has, or those a new file gets here (0666 less the umask)."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomically(target: str | Path, text: str) -> None:
    """Write UTF-8 text to `target` through `atomic_path`."""
    with atomic_path(target) as partial:
        partial.write_text(text, encoding="utf-8")
