"""Writing output atomically: a temp file beside the target, fsync, then ``os.replace``.

On any failure -- an exception in the renderer, a time-out, Ctrl-C -- the temp file is removed
and the target is left as it was.  Output to stdout is spooled first (in memory up to a few
megabytes, then on disk), so a failed render prints nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, TypeVar

T = TypeVar("T")
SPOOL_BYTES = 8 * 1024 * 1024


def write_atomic(target: Path, write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    """Call ``write(stream)`` and publish the result at ``target``; return (result, size)."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            result = write(stream)
            stream.flush()
            os.fsync(stream.fileno())
            size = stream.tell()
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(folder)
    return result, size


def write_stdout(write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        result = write(spool)
        size = spool.tell()
        spool.seek(0)
        out = sys.stdout.buffer
        while chunk := spool.read(1 << 20):
            out.write(chunk)
        out.flush()
    return result, size


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
