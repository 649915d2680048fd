"""The course's address in one place, `[project.urls] Repository` in pyproject.toml, and
everything generated from it: the README's badges and links, the "Open in Colab" and "Binder"
badges at the top of every chapter, and every chapter's set-up cell.

    python scripts/repository_url.py                                  # regenerate from pyproject.toml
    python scripts/repository_url.py https://github.com/OWNER/REPO    # publish under a new address
    python scripts/repository_url.py --check                          # exit 1 where anything disagrees

The address must be a GitHub repository: Colab and Binder open notebooks from GitHub.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GITHUB = re.compile(r"https://github\.com/(?P<path>[A-Za-z0-9][\w.-]*/[\w.-]+?)(\.git)?/?")
URL_LINE = re.compile(r'^Repository = ".*"$', re.MULTILINE)
BADGES = re.compile(r"^\[!\[Open in Colab\].*$", re.MULTILINE)
README_BLOCK = re.compile(r"<!-- repository links -->\n.*?<!-- /repository links -->", re.DOTALL)
OPENED_FROM = re.compile(r"(?:mybinder\.org/v2/gh|colab\.research\.google\.com/github|nbviewer\.org/github)"
                         r"/([\w.-]+/[\w.-]+?)/")
SETUP_MARK = "# Set-up."
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"

SETUP_CELL = '''\
# Set-up. Where `mtl_lib` is installed (a checkout of the course, Binder) this does nothing.
# Elsewhere (Colab, this notebook opened on its own) it clones the course into ./mtl-course and
# installs the library from there, keeping the torch already installed. Data download on first use.
import importlib.util, os, subprocess, sys

if importlib.util.find_spec("mtl_lib") is None:
    course = os.path.abspath("mtl-course")
    if not os.path.isdir(course):
        repository = os.environ.get("MTL_COURSE_REPOSITORY", "{url}")
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", repository, course], check=True)
    subprocess.run([sys.executable, os.path.join(course, "scripts", "install_course.py")], check=True)
    sys.path.insert(0, course)'''


def github_path(url: str) -> str:
    """`OWNER/REPO` of a GitHub address; anything else is refused."""
    match = GITHUB.fullmatch(url.strip())
    if not match:
        raise SystemExit(f"error: {url!r} is not a GitHub repository address (https://github.com/OWNER/REPO)")
    return match["path"]


def repository_url(root: Path = ROOT) -> str:
    """The one address, read from pyproject.toml."""
    urls = tomllib.loads((root / "pyproject.toml").read_text())["project"].get("urls", {})
    if "Repository" not in urls:
        raise SystemExit("error: pyproject.toml has no [project.urls] Repository")
    return f"https://github.com/{github_path(urls['Repository'])}"


def colab_url(url: str, chapter: str) -> str:
    return f"https://colab.research.google.com/github/{github_path(url)}/blob/main/chapters/{chapter}"


def binder_url(url: str, chapter: str = "") -> str:
    return f"https://mybinder.org/v2/gh/{github_path(url)}/HEAD?urlpath=lab/tree/chapters/{chapter}".rstrip("/")


def nbviewer_url(url: str) -> str:
    return f"https://nbviewer.org/github/{github_path(url)}/tree/main/chapters/"


def chapter_badges(url: str, chapter: str) -> str:
    """The badge line at the top of a chapter: open this chapter in Colab, or on Binder."""
    return (f"[![Open in Colab]({COLAB_BADGE})]({colab_url(url, chapter)}) "
            f"[![Binder]({BINDER_BADGE})]({binder_url(url, chapter)})")


def readme_links(url: str) -> str:
    """The README's block of badges and links: the first chapter in Colab, the course on Binder and nbviewer."""
    first = "00_welcome_and_data.ipynb"
    return (f"<!-- repository links -->\n{chapter_badges(url, first).replace(binder_url(url, first), binder_url(url))}"
            f"\n\nRepository: <{url}>. Read the chapters with their outputs on [nbviewer]({nbviewer_url(url)})."
            f"\n<!-- /repository links -->")


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("[0-9]*.ipynb"))


def with_badges(markdown: str, badges: str) -> str:
    """The title cell with its badge line replaced, or inserted under the `# Title` line."""
    if BADGES.search(markdown):
        return BADGES.sub(lambda _: badges, markdown, count=1)
    title, _, rest = markdown.partition("\n")
    return f"{title}\n\n{badges}\n{rest}"


def updated_chapter(notebook: nbformat.NotebookNode, url: str, chapter: str) -> nbformat.NotebookNode:
    """The chapter with its badges and set-up cell generated from `url` (the set-up cell is added if missing)."""
    title = notebook.cells[0]
    title.source = with_badges(title.source, chapter_badges(url, chapter))
    source = SETUP_CELL.replace("{url}", url)
    setup = notebook.cells[1]
    if setup.cell_type == "code" and setup.source.startswith(SETUP_MARK):
        setup.source = source
    else:
        notebook.cells.insert(1, nbformat.v4.new_code_cell(source))
    return notebook


def write(url: str, root: Path = ROOT) -> None:
    """Set the address in pyproject.toml and regenerate every badge, link and set-up cell from it."""
    url = f"https://github.com/{github_path(url)}"
    pyproject = root / "pyproject.toml"
    pyproject.write_text(URL_LINE.sub(f'Repository = "{url}"', pyproject.read_text(), count=1))
    readme = root / "README.md"
    readme.write_text(README_BLOCK.sub(lambda _: readme_links(url), readme.read_text(), count=1))
    for path in chapters(root):
        notebook = updated_chapter(nbformat.read(path, as_version=4), url, path.name)
        path.write_text(nbformat.writes(notebook) + "\n")


def disagreements(root: Path = ROOT) -> list[str]:
    """Every place where a badge, link or set-up cell does not follow pyproject.toml's address."""
    url = repository_url(root)
    found = []
    readme = (root / "README.md").read_text()
    if readme_links(url) not in readme:
        found.append("README.md: its repository links are not generated from the address")
    for path in chapters(root):
        notebook = nbformat.read(path, as_version=4)
        if chapter_badges(url, path.name) not in notebook.cells[0].source:
            found.append(f"{path.name}: the badges under its title do not match the address")
        if notebook.cells[1].source != SETUP_CELL.replace("{url}", url):
            found.append(f"{path.name}: its second cell is not the generated set-up cell")
    for path in [root / "README.md", *chapters(root)]:
        for other in set(OPENED_FROM.findall(path.read_text())) - {github_path(url)}:
            found.append(f"{path.name}: opens {other} in Colab, Binder or nbviewer, not {github_path(url)}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="a new address, https://github.com/OWNER/REPO")
    parser.add_argument("--check", action="store_true", help="only report what disagrees with the address")
    args = parser.parse_args(argv)
    if args.check:
        found = disagreements()
        print("\n".join(found) or f"every badge, link and set-up cell follows {repository_url()}")
        return 1 if found else 0
    write(args.url or repository_url())
    print(f"==> README.md, pyproject.toml and {len(chapters())} chapters now use {repository_url()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
