"""Newsie, the app: a static page to browse a run's articles, coloured word by word, shared and private apart.

After Fast Forward Labs' prototype Newsie (FF08), which showed how its model reached each
category, and which words were publication-specific and which shared.

>>> build_app("runs/asp", "newsie")   # what `python -m mtl_lib newsie runs/asp --out newsie` runs

- `build`: the app's data: the shown articles explained word by word (`mtl_lib.attributions`),
  and the words most shared and most specific to each publication (`mtl_lib.analysis`).
- `folder`: the app's folder, written as a whole: the static page of `app/` and the data.
- `app/`: `index.html`, `app.css`, `app.js`, the page itself: no server, no build step; it
  works opened from a disk (`file://`) and from any static host.
"""

from mtl_lib.newsie.build import app_data, build_app
from mtl_lib.newsie.folder import write_app

__all__ = ["app_data", "build_app", "write_app"]
