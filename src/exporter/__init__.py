"""exporter: the export and citation pipeline of a digital archive of historical documents."""

__version__ = "0.1.0"

from .hookspec import hookimpl

__all__ = ["hookimpl", "__version__"]
