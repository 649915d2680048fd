"""The course's address lives in pyproject.toml; every badge, link and set-up cell follows it."""

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("repository_url", ROOT / "scripts" / "repository_url.py")
repository_url = importlib.util.module_from_spec(spec)
spec.loader.exec_module(repository_url)


def test_every_badge_link_and_set_up_cell_follows_the_one_address():
    assert repository_url.disagreements(ROOT) == []


def test_every_chapter_opens_with_one_colab_and_one_binder_badge_for_itself():
    url = repository_url.repository_url(ROOT)
    for path in repository_url.chapters(ROOT):
        title = nbformat.read(path, as_version=4).cells[0].source
        assert title.count("colab-badge.svg") == 1 and title.count("badge_logo.svg") == 1
        assert f"colab.research.google.com/github/{url.removeprefix('https://github.com/')}/blob/main/chapters/{path.name})" in title


@pytest.fixture
def copy_of_the_course(tmp_path) -> Path:
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path)
    (tmp_path / "chapters").mkdir()
    for path in repository_url.chapters(ROOT)[:2]:
        shutil.copy(path, tmp_path / "chapters")
    return tmp_path


def test_a_new_address_rewrites_everything_and_the_check_sees_a_stale_link(copy_of_the_course):
    root = copy_of_the_course
    repository_url.write("https://github.com/someone/fork.git", root)
    assert repository_url.repository_url(root) == "https://github.com/someone/fork"
    assert repository_url.disagreements(root) == []
    chapter = repository_url.chapters(root)[0]
    text = chapter.read_text()
    assert "mtl-news/mtl-course" not in text and "someone/fork" in text
    assert len(nbformat.read(chapter, as_version=4).cells) == len(nbformat.read(ROOT / "chapters" / chapter.name, 4).cells)

    readme = root / "README.md"
    readme.write_text(readme.read_text() + "\n[Binder](https://mybinder.org/v2/gh/old/place/HEAD)\n")
    assert repository_url.disagreements(root) == ["README.md: opens old/place in Colab, Binder or nbviewer, not someone/fork"]


def test_an_address_that_is_not_github_is_refused():
    with pytest.raises(SystemExit, match="not a GitHub repository address"):
        repository_url.github_path("https://gitlab.com/someone/fork")
