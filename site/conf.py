"""Sphinx configuration of the course site: the stored chapters rendered as they are, offline.

Built by `scripts/site.sh` from a staged source folder (`site/stage.py`); this folder holds the
configuration, the local extensions and the static files (vendored JavaScript, badges)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

project = "Multi-Task Learning in PyTorch"
extensions = ["myst_nb", "sphinx.ext.mathjax", "vendored", "offline_badges"]
html_theme = "furo"
html_title = project
html_static_path = ["_static"]
exclude_patterns = ["**.ipynb_checkpoints"]

nb_execution_mode = "off"  # render the stored outputs; never run a chapter
nb_ipywidgets_js = {"vendor/html-manager-1.0.15/embed.js": {}}
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

mathjax_path = "vendor/mathjax-3.2.2/tex-chtml.js"
mathjax3_config = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}
html_js_files = [("mathjax2_hub.js", {"priority": 100})]
