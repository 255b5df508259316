"""Fixture: a well-behaved plugin that cleans up when the process ends.

On import it registers an atexit handler, a ``weakref.finalize`` and a module-level object whose
``__del__`` runs at interpreter teardown; each appends a line to the file named by
``EXPORTER_TEST_CLEANUP``.  Its format ``cleanup-check`` writes one line.
"""

from __future__ import annotations

import atexit
import os
import weakref

from exporter.hookspec import hookimpl
from exporter.registry import Format

_LOG = os.environ.get("EXPORTER_TEST_CLEANUP")


def _note(what: str, _open=open, _log=_LOG) -> None:
    # open and the path are bound now: at interpreter teardown module globals may be gone
    if _log:
        with _open(_log, "a", encoding="utf-8") as f:
            f.write(what + "\n")


class _Resource:
    """Stands for a handle a plugin keeps open for the whole process (a cache, a connection)."""

    def __del__(self) -> None:
        _note("del")


_resource = _Resource()
atexit.register(_note, "atexit")
weakref.finalize(_resource, _note, "finalize")


def _render(doc, out):
    out.write(f"{len(doc.entries)} entries\n".encode())


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="cleanup-check", media_type="text/plain", extension="txt", material=False,
                    render=_render, description="writes the number of entries"))
