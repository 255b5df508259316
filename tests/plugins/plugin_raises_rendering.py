"""Fixture: formats that write part of their output, then fail in different ways."""

import sys

from exporter import hookimpl
from exporter.registry import Format


def render_raises(doc, out):
    out.write(b"half of a file " * 1000)
    raise ValueError("renderer bug: unexpected block kind")


def render_exits(doc, out):
    out.write(b"half of a file " * 1000)
    sys.exit("renderer gave up")


def render_returns_junk(doc, out):
    out.write(b"complete looking output\n")
    return {"pages": 3}  # not a RenderInfo


@hookimpl
def exporter_register_formats(register):
    for name, fn in (("boom", render_raises), ("boom-exit", render_exits), ("boom-junk", render_returns_junk)):
        register(Format(name=name, media_type="text/plain", extension="txt", render=fn, material=False))
