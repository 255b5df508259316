"""Fixture: calls sys.exit() while registering; the exporter must carry on."""

import sys

from exporter import hookimpl


@hookimpl
def exporter_register_formats(register):
    sys.exit(3)
