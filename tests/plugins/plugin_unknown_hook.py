"""Fixture: a hook implementation whose name is not a hook (a typo of exporter_register_formats)."""

from exporter import hookimpl


@hookimpl
def exporter_register_format(register):
    raise AssertionError("never called: no such hook")
