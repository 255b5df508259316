"""CSL-JSON writer: a JSON array of :func:`exporter.csl.entry_to_csl` records, one per line.

Streamed: ``[``, the records separated by ``,``, ``]`` -- never a list of all records.
"""

from __future__ import annotations

import json
from typing import BinaryIO, Iterable

from ..csl import entry_to_csl
from ..model import Entry
from .references import CHUNK

# One encoder for the run: json.dumps with non-default arguments builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_csl_json(entries: Iterable[Entry], out: BinaryIO) -> int:
    """Write the entries' CSL-JSON records as a JSON array to ``out``; return the record count."""
    count = 0
    buf: list[str] = ["[\n"]
    sep = ""
    for entry in entries:
        buf.append(sep)
        buf.append(_encode(entry_to_csl(entry)))
        sep = ",\n"
        count += 1
        if len(buf) >= 2 * CHUNK:
            out.write("".join(buf).encode("utf-8"))
            buf.clear()
    buf.append("\n]\n")
    out.write("".join(buf).encode("utf-8"))
    return count
