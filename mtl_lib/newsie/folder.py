"""The app's folder: the static page, its style and its script, and the data as `data.js`, written as a whole.

The data is a script that assigns `window.NEWSIE_DATA`, not a JSON file for the page to
fetch: a browser refuses `fetch()` of a file beside a page opened from a `file://` URL,
while a `<script src>` works from a disk and from any static host alike.
"""

import json
from importlib.resources import files
from pathlib import Path

from mtl_lib.errors import ConfigError
from mtl_lib.files import atomic_directory, unreplaceable

ASSETS = ("index.html", "app.css", "app.js")  # the page, as installed with the package in mtl_lib/newsie/app/
DATA = "data.js"

# Characters escaped in the JSON although JSON allows them: with none of `<`, `>` or `&` left
# in it, the data could even be inlined in a page without a string like `</script>` closing its tag.
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def is_app_folder(directory: Path) -> bool:
    """True for a folder that `write_app` wrote: one that a new app may replace."""
    return all((directory / name).is_file() for name in (*ASSETS, DATA))


def check_app_target(directory: str | Path) -> None:
    """Refuse, before any work, a `directory` that the app may not replace: a file, or a folder of other files."""
    kind = unreplaceable(directory, is_app_folder)
    if kind:
        raise ConfigError(f"{directory} is {kind}, not a Newsie app: write the app to a new or empty folder "
                          "(an existing app folder is replaced as a whole)")


def data_script(content: dict) -> str:
    """The app's data as a script: `window.NEWSIE_DATA = {...};` (JSON, with `<`, `>` and `&` escaped)."""
    text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for character, escaped in _ESCAPES.items():
        text = text.replace(character, escaped)  # inside JSON strings, the only place these can occur
    return f"window.NEWSIE_DATA = {text};\n"


def write_app(content: dict, directory: str | Path) -> Path:
    """Write the app, the page and `content` (what `app_data` returns), as the folder `directory`.

    Built in a temporary folder beside `directory`, then renamed onto it: an existing app folder
    is replaced as a whole, and an interrupted build leaves the old app or none, never a mix.
    """
    directory = Path(directory)
    check_app_target(directory)
    page = files("mtl_lib.newsie") / "app"
    with atomic_directory(directory, replaceable=is_app_folder) as partial:
        for name in ASSETS:
            (partial / name).write_bytes((page / name).read_bytes())
        (partial / DATA).write_text(data_script(content), encoding="utf-8")
    return directory
