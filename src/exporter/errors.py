"""Errors the command line turns into a one-line reason and an exit code."""

from __future__ import annotations


class ExporterError(Exception):
    """Base class: ``str(error)`` is the one-line reason shown to the user."""

    exit_code = 1


class UsageError(ExporterError):
    """The request itself is malformed (bad range, unknown option value)."""

    exit_code = 2


class CorpusError(ExporterError):
    """A corpus file cannot be read safely or is not a volume we understand."""

    exit_code = 3


class SelectionError(ExporterError):
    """The selection names nothing, or something unknown."""

    exit_code = 4


class FolderRefused(SelectionError):
    """The folder exists but belongs to another reader (or a group the reader is not in)."""


class PolicyRefusal(ExporterError):
    """The print policy refuses the export (page limit, terms not accepted).

    ``pages`` and ``limit`` are set when the page limit refused it (for front ends that report
    them as fields, e.g. the HTTP service).
    """

    exit_code = 5

    def __init__(self, message: str, pages: int | None = None, limit: int | None = None) -> None:
        super().__init__(message)
        self.pages = pages
        self.limit = limit


class UnknownNameError(ExporterError):
    """A format, style or source name that no plugin registered."""

    exit_code = 6


class RenderError(ExporterError):
    """A backend failed while rendering; no output was written."""

    exit_code = 7


class PluginError(ExporterError):
    """A plugin could not be loaded or registered something invalid."""

    exit_code = 8
