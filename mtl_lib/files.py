"""Atomic writes: a file or a folder is either complete or absent, never half-written."""

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
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
    return 0o666 & ~_umask()


def write_text_atomically(target: str | Path, text: str) -> None:
    """Write UTF-8 text to `target` through `atomic_path`."""
    with atomic_path(target) as partial:
        partial.write_text(text, encoding="utf-8")


def sha256_of(path: str | Path) -> str:
    """The hex SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def unreplaceable(target: str | Path, replaceable: Callable[[Path], bool]) -> str | None:
    """What stands at `target` that a new folder may not replace ("a file", "a folder of other files"),
    or None where it may: nothing, an empty folder, or a folder that `replaceable` accepts."""
    target = Path(target)
    if not target.exists() or (target.is_dir() and (not any(target.iterdir()) or replaceable(target))):
        return None
    return "a folder of other files" if target.is_dir() else "a file"


@contextmanager
def atomic_directory(target: str | Path, replaceable: Callable[[Path], bool]) -> Iterator[Path]:
    """Yield a new folder beside `target`, which replaces `target` as a whole if the block succeeds.

    At every moment `target` is the old folder, the new one, or (between two renames) absent;
    never a mix of both. An existing `target` is replaced only if it is empty or
    `replaceable(target)` says so: a folder of someone's other files is never swept away.
    """
    target = Path(target)
    if unreplaceable(target, replaceable):
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part"))
    try:
        yield partial
        os.chmod(partial, 0o777 & ~_umask())  # mkdtemp makes the folder private (0700)
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
            os.replace(target, old)
            os.replace(partial, target)
            shutil.rmtree(old)
        else:
            os.replace(partial, target)
    finally:
        if partial.exists():
            shutil.rmtree(partial)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
