"""Speed-ups of the ``pdf`` format that depend on weasyprint's internals, behind one version gate.

* :mod:`.imports` -- importing weasyprint in a third of the time;
* :mod:`.tuning` -- faster style look-ups, kept layouts and line breaks, font subsets kept,
  compression level, fewer garbage collections during a render;
* :mod:`.draw` -- text drawing without a cffi struct per glyph.

Each was written against one weasyprint release and checked to leave the PDF as it was.  They
are taken only when :func:`supported` says the weasyprint in use is exactly that release
(:data:`WEASYPRINT_VERSION`; the compression level also needs pydyf :data:`PYDYF_VERSION`) and
the switch :data:`SWITCH` is not off; any other weasyprint, or ``EXPORTER_PDF_SPEEDUPS=0``, runs
plain weasyprint.  This module is the one place that decides.

The speed-ups of :mod:`.tuning` are active only while the format renders
(:func:`.tuning.render_scope`): before and after, weasyprint, pydyf and the garbage collector
are as they were, so an application that embeds the engine gets a stock weasyprint for its own
documents.
"""

from __future__ import annotations

import os

#: The exact weasyprint release the speed-ups were written and checked against.
WEASYPRINT_VERSION = "70.0"
#: The exact pydyf release whose stream compression the compression level is set for.
PYDYF_VERSION = "0.13.0"
#: Environment variable: ``0`` (or ``off``, ``false``, ``no``) turns every speed-up off.
SWITCH = "EXPORTER_PDF_SPEEDUPS"
_OFF = frozenset({"0", "off", "false", "no"})


def switched_on() -> bool:
    """Whether the speed-ups are allowed (:data:`SWITCH` is unset or not off)."""
    return os.environ.get(SWITCH, "1").strip().lower() not in _OFF


def supported(version: str) -> bool:
    """Whether the speed-ups apply to weasyprint ``version``: exactly :data:`WEASYPRINT_VERSION`,
    with the switch on."""
    return version == WEASYPRINT_VERSION and switched_on()


def pydyf_supported(version: str) -> bool:
    """Whether the compression level applies to pydyf ``version`` (exact release, switch on)."""
    return version == PYDYF_VERSION and switched_on()


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
