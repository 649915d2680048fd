"""Atomic writes: a file is complete or untouched, and gets the permissions any new file would."""

import os
import stat

import pytest

from mtl_lib.files import atomic_path, write_text_atomically


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_permissions_not_the_temporary_files(tmp_path):
    umask = os.umask(0o022)
    try:
        write_text_atomically(tmp_path / "metrics.json", "{}")
    finally:
        os.umask(umask)
    assert mode(tmp_path / "metrics.json") == 0o644


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    target = tmp_path / "chapter.ipynb"
    target.write_text("old")
    target.chmod(0o664)
    write_text_atomically(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o664


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "model.pt"
    target.write_text("the last good checkpoint")
    with pytest.raises(RuntimeError), atomic_path(target) as partial:
        partial.write_text("half a check")
        raise RuntimeError("interrupted")
    assert target.read_text() == "the last good checkpoint"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
