"""Fixture: registers 'json' (the built-in json plugin has it) and one good format."""

from exporter import hookimpl
from exporter.registry import Format


def render(doc, out):
    out.write(b"{}\n")


@hookimpl
def exporter_register_formats(register):
    register(Format(name="json", media_type="application/json", extension="json", render=render,
                    material=False, description="an impostor"))
    register(Format(name="dup-survivor", media_type="application/json", extension="json", render=render,
                    material=False, description="registered after the refused duplicate"))
