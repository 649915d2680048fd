"""Stage the site's sources: README.md as the home page, the chapters, a hidden table of contents.

    python site/stage.py OUT_DIR

Links in the README to chapters stay (they become the chapter pages); links to any other file or
folder of the repository go to it on GitHub (the address in pyproject.toml), since they are no pages."""

import importlib.util
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")
NEWSIE = ("\n\n## Newsie, the app\n"
          '<a href="newsie/index.html">Newsie, the app</a>: the test headlines of the course\'s ASP model, '
          "each word coloured by its shared and by its private contribution.\n")


def repository_url() -> str:
    spec = importlib.util.spec_from_file_location("repository_url", ROOT / "scripts" / "repository_url.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.repository_url(ROOT)


def linked(target: str, url: str) -> str:
    """A README link target as the site needs it: a chapter page, or the file on GitHub."""
    path = ROOT / target.split("#")[0]
    if target.startswith("chapters/") and target.endswith(".ipynb") and path.is_file():
        return target
    if not path.exists():
        raise SystemExit(f"error: README.md links to {target!r}, which is not in the repository")
    return f"{url}/{'tree' if path.is_dir() else 'blob'}/main/{target}"


def index_page(readme: str, chapters: list[Path], url: str) -> str:
    """The home page: the README with its links fixed, Newsie's link and the chapters' table of contents."""
    page = LOCAL_LINK.sub(lambda match: f"]({linked(match[1], url)})", readme)
    toctree = "\n".join(f"chapters/{path.stem}" for path in chapters)
    return f"{page.rstrip()}{NEWSIE}\n```{{toctree}}\n:hidden:\n:caption: Chapters\n\n{toctree}\n```\n"


def stage(out: Path) -> None:
    """Write the site's source folder into `out` (emptied first)."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "chapters").mkdir(parents=True)
    chapters = sorted((ROOT / "chapters").glob("[0-9]*.ipynb"))
    for path in chapters:
        shutil.copy(path, out / "chapters" / path.name)
    (out / "index.md").write_text(index_page((ROOT / "README.md").read_text(), chapters, repository_url()))


if __name__ == "__main__":
    stage(Path(sys.argv[1]))
