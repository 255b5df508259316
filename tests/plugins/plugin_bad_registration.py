"""Fixture: registers things that are not formats, and a format with an invalid name."""

from exporter import hookimpl
from exporter.registry import Format


@hookimpl
def exporter_register_formats(register):
    register({"name": "dict-format", "render": print})
    register(Format(name="Bad Name!", media_type="text/plain", extension="txt", render=print, material=False))
    register(Format(name="not-callable", media_type="text/plain", extension="txt", render="render",
                    material=False))
