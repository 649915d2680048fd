"""Sphinx extension: the Colab and Binder badge images come from the site, not from their hosts.

The links stay pointing to Colab and Binder; only the images are swapped for `_static/badges/`."""

import posixpath

from docutils import nodes
from sphinx.application import Sphinx

LOCAL_BADGES = {
    "https://colab.research.google.com/assets/colab-badge.svg": "_static/badges/colab.svg",
    "https://mybinder.org/badge_logo.svg": "_static/badges/binder.svg",
}


def use_local_badges(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Point each badge image at its local copy, relative to the page."""
    page_folder = posixpath.dirname(docname)
    for image in doctree.findall(nodes.image):
        local = LOCAL_BADGES.get(image["uri"])
        if local:
            image["uri"] = posixpath.relpath(local, page_folder or ".")


def setup(app: Sphinx) -> dict:
    app.connect("doctree-resolved", use_local_badges)
    return {"parallel_read_safe": True}
