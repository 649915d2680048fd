"""Sphinx extension: refuse to build when a vendored file differs from `vendor.json`'s sha256."""

import hashlib
import json
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

MANIFEST = Path(__file__).parent / "vendor.json"
STATIC = Path(__file__).parent / "_static"


def mismatches(manifest: Path = MANIFEST, static: Path = STATIC) -> list[str]:
    """Every vendored file that is missing or whose sha256 is not the manifest's."""
    found = []
    for package in json.loads(manifest.read_text())["packages"]:
        for name, expected in package["files"].items():
            path = static / name
            if not path.is_file():
                found.append(f"{name} ({package['package']} {package['version']}) is missing")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
                found.append(f"{name} ({package['package']} {package['version']}) has another sha256 than {expected}")
    return found


def check(app: Sphinx) -> None:
    found = mismatches()
    if found:
        raise ExtensionError("vendored files differ from site/vendor.json; fetch them again as its "
                             "'fetched_with' says:\n  " + "\n  ".join(found))


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check)
    return {"parallel_read_safe": True}
