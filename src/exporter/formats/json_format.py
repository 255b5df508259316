"""``json``: the assembled document model, for programs (:func:`exporter.view.document_dict`)."""

from __future__ import annotations

import json
from typing import BinaryIO

from .. import hookimpl
from ..model import Document
from ..registry import Format
from ..view import document_dict


def render(doc: Document, out: BinaryIO) -> None:
    out.write(json.dumps(document_dict(doc), ensure_ascii=False, indent=1).encode("utf-8"))
    out.write(b"\n")


@hookimpl
def exporter_register_formats(register) -> None:
    register(Format(name="json", media_type="application/json", extension="json", render=render,
                    material=True, citations=True, description="The assembled document model as JSON"))
