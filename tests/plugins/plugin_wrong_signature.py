"""Fixture: a hook implementation with an argument the hookspec does not have."""

from exporter import hookimpl


@hookimpl
def exporter_register_formats(register, options):  # 'options' is not part of the hookspec
    raise AssertionError("never called: pluggy refuses the signature")
