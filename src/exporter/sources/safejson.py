"""Reading reader-supplied JSON files with bounds: regular files only, size, depth, numbers.

* only a regular file is read (a named pipe, device or folder is refused without opening it
  for blocking reads, so nothing hangs);
* at most ``max_bytes`` are read;
* nesting deeper than Python's recursion limit allows is refused as "nested too deeply" (the
  parser recurses); what is nested less deeply is only ever walked as far as the schema
  describes it (:mod:`exporter.sources.schema`), so nothing else recurses over reader data;
* ``NaN``/``Infinity``, numbers of more than :data:`MAX_NUMBER_CHARS` characters and numbers
  that overflow to infinity are refused (Python refuses integers over 4,300 digits with an
  error of its own, and turns ``1e999`` into ``inf``).

Every refusal is a :class:`JSONFileError` whose ``str()`` is one line naming the file.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

MAX_NUMBER_CHARS = 40


class JSONFileError(ValueError):
    """A JSON file that cannot be read safely; ``str()`` is the one-line reason."""


def read_regular(path: Path, max_bytes: int) -> bytes:
    """Read a regular file of at most ``max_bytes``; refuse anything else without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise JSONFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise JSONFileError(f"{path}: not a regular file")
        if st.st_size > max_bytes:
            raise JSONFileError(f"{path}: larger than {_size(max_bytes)}")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise JSONFileError(f"{path}: larger than {_size(max_bytes)}")
        return b"".join(chunks)
    except OSError as exc:
        raise JSONFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n // 2**20} MB" if n >= 2**20 else f"{n} bytes"


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return value


def loads(data: bytes, name: str) -> Any:
    """Parse JSON text with the bounds above; ``name`` is used in the error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JSONFileError(f"{name}: not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise JSONFileError(f"{name}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise JSONFileError(f"{name}: not accepted: arrays or objects nested too deeply") from None
    except ValueError as exc:
        raise JSONFileError(f"{name}: not valid JSON: {' '.join(str(exc).split())[:200]}") from None


def load(path: Path, max_bytes: int) -> Any:
    """Read and parse the regular JSON file at ``path`` within the bounds."""
    return loads(read_regular(path, max_bytes), str(path))
