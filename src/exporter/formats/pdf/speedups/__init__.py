"""Speed-ups of the ``pdf`` format that depend on weasyprint's internals, behind one version gate.

* :mod:`.imports` -- importing weasyprint in a third of the time;
* :mod:`.tuning` -- faster style look-ups, kept layouts and line breaks, font subsets kept,
  compression level, fewer garbage collections during a render;
* :mod:`.draw` -- text drawing without a cffi struct per glyph.

Each was written against one weasyprint series and checked to leave the PDF as it was.  They
are taken only when :func:`supported` says the weasyprint in use is that series; any other
weasyprint runs exactly as it is.  This module is the one place that decides.
"""

from __future__ import annotations

#: The weasyprint release series the speed-ups were written and checked against.
SERIES = "70"


def supported(version: str) -> bool:
    """Whether weasyprint ``version`` (``"70.0"``) is the series the speed-ups were written for."""
    return version.split(".")[0] == SERIES


def weasyprint_supported() -> bool:
    """:func:`supported` for the imported weasyprint."""
    import weasyprint

    return supported(weasyprint.__version__)


def installed_supported() -> bool:
    """:func:`supported` for the installed weasyprint, read without importing it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return supported(version("weasyprint"))
    except PackageNotFoundError:
        return False
