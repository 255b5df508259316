"""Fixture: registers one format, then raises; the half-done registration must be withdrawn."""

from exporter import hookimpl
from exporter.registry import Format


def render(doc, out):
    out.write(b"never used\n")


@hookimpl
def exporter_register_formats(register):
    register(Format(name="half-registered", media_type="text/plain", extension="txt", render=render,
                    material=False))
    raise RuntimeError("configuration file missing")
