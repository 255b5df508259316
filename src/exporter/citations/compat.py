"""Installing the citeproc-py patches, gated on the citeproc-py version they were written for.

The patches replace citeproc-py methods wholesale, so they are only right for the exact
citeproc-py release they were written against (:data:`PATCHED_VERSION`).  :func:`apply`
installs, once per process:

* :mod:`.names` -- the project's names renderer in place of ``Name.process`` (unless
  ``EXPORTER_CITE_NAMES=0``);
* :mod:`.fidelity` -- what makes the output citeproc-js's (always, on that version);
* :mod:`.speedups` -- the same output faster (unless ``EXPORTER_CITE_SPEEDUPS=0``).

On any other citeproc-py version nothing is patched: a warning says so once, and the driver
formats with citeproc-py as it is (correct citeproc-py output, not necessarily citeproc-js's).
``EXPORTER_CITEPROC_STRICT=1`` turns that into an error instead.
"""

from __future__ import annotations

import os
import threading
import warnings

#: The citeproc-py release the patches in :mod:`.fidelity` and :mod:`.speedups` were written for.
PATCHED_VERSION = "0.11.1"

_lock = threading.Lock()
_state: dict[str, object] = {}


class UnsupportedCiteproc(RuntimeError):
    """The installed citeproc-py is not the version the patches were written for (strict mode)."""


class CiteprocVersionWarning(UserWarning):
    """citeproc-py runs unpatched because its version differs from :data:`PATCHED_VERSION`."""


def citeproc_version() -> str:
    """The installed citeproc-py distribution's version."""
    from importlib.metadata import version

    return version("citeproc-py")


def speedups_wanted() -> bool:
    """``EXPORTER_CITE_SPEEDUPS`` is unset or not ``0``/``false``/``no``/``off``."""
    return os.environ.get("EXPORTER_CITE_SPEEDUPS", "1").strip().lower() not in ("0", "false", "no", "off")


def apply() -> dict[str, object]:
    """Install the patches once per process; returns what was installed
    (``{"version", "fidelity", "speedups"}``)."""
    with _lock:
        if _state:
            return dict(_state)
        from citeproc import model

        from . import fidelity, names, speedups

        found = citeproc_version()
        if found != PATCHED_VERSION:
            message = (f"citeproc-py {found} is installed but the citation patches were written for "
                       f"{PATCHED_VERSION}: formatting with citeproc-py unpatched, which may differ "
                       f"from citeproc-js (install citeproc-py=={PATCHED_VERSION})")
            if os.environ.get("EXPORTER_CITEPROC_STRICT", "").strip() in ("1", "true", "yes"):
                raise UnsupportedCiteproc(message)
            warnings.warn(message, CiteprocVersionWarning, stacklevel=2)
            _state.update(version=found, fidelity=False, speedups=False, names=False)
            return dict(_state)
        # the names renderer replaces Name.process first: the fidelity patches wrap it
        names.patch_names(model)
        for patch in fidelity.PATCHES:
            patch(model)
        fast = speedups_wanted()
        if fast:
            for patch in speedups.PATCHES:
                patch(model)
            speedups.INSTALLED = True
        _state.update(version=found, fidelity=True, speedups=fast, names=names.INSTALLED)
        return dict(_state)


def installed() -> dict[str, object]:
    """What :func:`apply` installed (empty before the first call)."""
    return dict(_state)
