"""Fixture: formats that try to write outside their output stream.

The path they aim at comes from ``EXPORTER_TEST_OUTSIDE`` (default: ``outside.txt`` in the
working directory).
"""

import os
import tempfile

from exporter import hookimpl
from exporter.registry import Format


def _target():
    return os.environ.get("EXPORTER_TEST_OUTSIDE", "outside.txt")


def render_open(doc, out):
    out.write(b"main output\n")
    with open(_target(), "w") as side:
        side.write("side file\n")


def render_swallow(doc, out):
    out.write(b"main output\n")
    try:
        with open(_target(), "a") as side:
            side.write("side file\n")
    except OSError:
        pass  # carries on as if nothing happened
    out.write(b"rest of the output\n")


def render_remove(doc, out):
    out.write(b"main output\n")
    os.remove(_target())


def render_rename(doc, out):
    out.write(b"main output\n")
    os.replace(_target(), _target() + ".moved")


def render_chdir(doc, out):
    out.write(b"main output\n")
    os.chdir(os.path.dirname(os.path.abspath(_target())))


def render_scratch(doc, out):
    """Allowed: spooling through a temporary file (it lands in the render's scratch folder)."""
    with tempfile.NamedTemporaryFile("w+b", suffix=".tmp") as spool:
        spool.write(b"spooled through a temporary file\n")
        spool.seek(0)
        out.write(spool.read())
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "work.bin"), "wb") as work:
        work.write(b"scratch")


def render_lazy_import(doc, out):
    """Allowed: importing a module inside render (no byte-code cache is written meanwhile)."""
    import importlib

    out.write(importlib.import_module("lazy_helper").GREETING)


@hookimpl
def exporter_register_formats(register):
    for name, fn in (("sneaky-open", render_open), ("sneaky-swallow", render_swallow),
                     ("sneaky-remove", render_remove), ("sneaky-rename", render_rename),
                     ("sneaky-chdir", render_chdir),
                     ("scratch-ok", render_scratch), ("lazy-import", render_lazy_import)):
        register(Format(name=name, media_type="text/plain", extension="txt", render=fn, material=False))
