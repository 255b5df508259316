"""RFC 9457 problem responses: one-line ``detail``, a status, and the engine's errors mapped.

Every error the service gives goes through :class:`Problem`; nothing answers with a traceback.
"""

from __future__ import annotations

import re
from typing import Any

from .. import errors

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 412: "Precondition failed",
    413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    428: "Precondition required", 429: "Too many requests", 500: "Internal error",
    503: "Service unavailable",
}

#: The print policy's refusals are 422 too; their title says so (other 422s are bad content).
POLICY_TITLE = "Refused by the print policy"


class Problem(Exception):
    """An error answer.  ``extra`` fields are added to the problem object (e.g. ``pages``)."""

    def __init__(self, status: int, detail: str, *, type_: str = "about:blank",
                 headers: dict[str, str] | None = None, title: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = one_line(detail)
        self.type = type_
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out = {"type": self.type, "title": self.title, "status": self.status,
               "detail": self.detail}
        if instance:
            out["instance"] = instance
        out.update(self.extra)
        return out


def one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def from_engine(exc: errors.ExporterError) -> Problem:
    """The HTTP answer to an engine error (the command line's exit codes, as statuses)."""
    if isinstance(exc, errors.PolicyRefusal):
        extra: dict[str, Any] = {k: v for k, v in (("pages", exc.pages), ("limit", exc.limit)) if v is not None}
        return Problem(422, _service_words(str(exc)), type_="/problems/print-policy", title=POLICY_TITLE,
                       **extra)
    if isinstance(exc, errors.FolderRefused):
        return Problem(403, _service_words(str(exc)))
    if isinstance(exc, errors.SelectionError):
        return Problem(404, _service_words(str(exc)))
    if isinstance(exc, (errors.UsageError, errors.UnknownNameError)):
        return Problem(400, _service_words(str(exc)))
    if isinstance(exc, errors.CorpusError):
        return Problem(503, f"the corpus cannot be read: {exc}")
    if isinstance(exc, errors.RenderError):
        return Problem(500, str(exc))
    return Problem(500, "the export failed: " + str(exc))


def _service_words(text: str) -> str:
    """The engine names the command line's options; name the request fields instead."""
    # Hints to run a command become the route that answers the same question.
    for command, route in (("'exporter styles --search TEXT'", "GET /v1/styles?search=TEXT"),
                           ("`exporter toc` lists the ids", "GET /v1/volumes/{volume}/entries lists the ids")):
        text = text.replace(command, route)
    for flag, field in (("--entries", "entries"), ("--range", "range"), ("--folder", "folder"),
                        ("--dates", "dates"), ("--all", "all"), ("--pages", "pages"), ("--layer", "layer"),
                        ("--annotations", "annotations"), ("(give --user)", "(send a token)"), ("--user", "a token"),
                        ("--style", "style"),
                        ("--format", "format"), ("--accept-terms", "accept_terms"), ("--locator", "locator"),
                        ("--locale", "locale"), ("--cluster", "cluster"),
                        ("--mode", "mode")):
        text = text.replace(flag, field)
    # What is left are format options (--pdf-variant): the request names them by key (pdf_variant).
    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)", lambda m: m.group(1).replace("-", "_"), text)
