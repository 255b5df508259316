"""Guards around a renderer: a time limit, and no writing outside the output stream.

A renderer receives an open stream and has no business writing files.  While one runs, an audit
hook (PEP 578) refuses file opens for writing, removals, renames and directory changes anywhere
except a private scratch folder (``tempfile`` is pointed there, so libraries that spool to
temporary files keep working).  The time limit uses ``SIGALRM`` and therefore applies in the main
thread of a POSIX process (the command line); elsewhere renders run without it.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_state = threading.local()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_FS_EVENTS = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.truncate",
    "os.chmod", "os.chown", "shutil.rmtree", "shutil.move", "shutil.copyfile", "os.utime",
}
_installed = False


class RenderTimeout(BaseException):
    """Raised inside a renderer that ran past its time limit.

    A ``BaseException`` so that a renderer's own ``except Exception`` cannot swallow it.
    """


class WriteOutsideOutput(PermissionError):
    """A renderer tried to write somewhere other than its output stream."""


def _inside(path: str, folder: str) -> bool:
    try:
        real = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return real == folder or real.startswith(folder + os.sep)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    scratch = getattr(_state, "scratch", None)
    if scratch is None:
        return
    if event == "open":
        path, mode, flags = (args + (None, None, None))[:3]
        if path is None or isinstance(path, int):
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing and not _inside(os.fsdecode(path), scratch):
            raise WriteOutsideOutput(f"renderer tried to write {os.fsdecode(path)!r} outside its output")
    elif event in _FS_EVENTS:
        path = args[0] if args else None
        if isinstance(path, (str, bytes, os.PathLike)) and _inside(os.fsdecode(path), scratch):
            return
        raise WriteOutsideOutput(f"renderer tried {event} on {path!r} outside its output")


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


@contextmanager
def no_writes() -> Iterator[str]:
    """Refuse writes outside a private scratch folder (yielded) for the duration."""
    _install()
    scratch = os.path.realpath(tempfile.mkdtemp(prefix="exporter-render-"))
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = scratch
    _state.scratch = scratch
    try:
        yield scratch
    finally:
        _state.scratch = None
        tempfile.tempdir = old_tempdir
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RenderTimeout` in the block after ``seconds`` (main thread, POSIX only)."""
    usable = (seconds and seconds > 0 and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
