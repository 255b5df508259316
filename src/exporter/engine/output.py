"""The output policy: where an export may be written, and writing it so that failure leaves nothing.

One policy for every front end:

* the target is a regular file (new or existing), written atomically: a hidden temp file beside
  it, fsync, then ``os.replace``.  A symbolic link is followed and the file it names is replaced
  (the link stays).  A character device or a named pipe (``/dev/null``, ``>(gzip)``) is written
  in place, never replaced, and only after the whole output was rendered.  Folders, block
  devices and sockets are refused;
* the target is never an input of the export: not a corpus file (volume, annotation file,
  archive file, or a name the corpus loader would read next time), not the citation style,
  not a file of the program itself.  Hard links and symbolic links are seen through;
* on any failure -- an exception in the renderer, a time-out, Ctrl-C, SIGTERM or SIGHUP -- the
  temp file and the renderer's scratch folder are removed and an old target is left as it was;
* output to stdout is spooled first (in memory up to a few megabytes, then on disk), so a
  failed render prints nothing.

Problems with the target are refused before anything is rendered, with a one-line reason
(:class:`OutputError`, exit code 2).
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, TypeVar

from ..errors import UsageError

T = TypeVar("T")
SPOOL_BYTES = 8 * 1024 * 1024
#: Longest temp-file prefix taken from the target's name (bytes), so that the hidden
#: ``.NAME.XXXXXXXX.part`` stays within the file system's name limit.
_TEMP_NAME_BYTES = 200
#: Signals after which the files being written are removed (SIGINT raises KeyboardInterrupt).
CLEANUP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
_PROGRAM_DIR = os.path.realpath(Path(__file__).resolve().parents[1])


class OutputError(UsageError):
    """The output target cannot or must not be written."""


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM or SIGHUP arrives during an export.

    A ``KeyboardInterrupt`` so that every layer that cleans up after Ctrl-C cleans up after it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        return f"terminated by {signal.Signals(self.signum).name}"


@dataclass(frozen=True)
class Target:
    """A checked output: ``kind`` is ``"file"`` (atomic replace), ``"stream"`` (written in place) or ``"stdout"``."""

    path: Path | None
    kind: str
    shown: str


# -- checking the target ---------------------------------------------------------------------

def _kind_name(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISFIFO, "a named pipe")):
        if test(mode):
            return name
    return "not a regular file"


def name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_target(output: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
                 reserved: Callable[[str], str | None] | None = None) -> Target:
    """Check ``output`` against the policy and return where and how to write it.

    :param inputs: files the export reads (refused as targets, also through links).
    :param reserved: given a resolved path that does not exist yet, the reason it must not be
        created (a name the corpus loader would read), or ``None``.
    """
    shown = os.fsdecode(output) if isinstance(output, (bytes, os.PathLike)) else str(output)
    if shown == "-":
        return Target(None, "stdout", "-")
    if not shown or "\0" in shown:
        raise OutputError(f"--output {shown!r}: not a usable file name")
    if shown.endswith(os.sep) or os.path.basename(shown) in ("", ".", ".."):
        raise OutputError(f"--output {shown}: names a folder; give a file name")
    try:
        real = os.path.realpath(shown)
        folder, name = os.path.split(real)
        limit = name_max(folder if os.path.isdir(folder) else ".")
        if len(os.fsencode(name)) > limit:
            raise OutputError(f"--output: the file name is {len(os.fsencode(name))} bytes long; "
                              f"the limit here is {limit}")
        try:
            st = os.stat(real)
        except FileNotFoundError:
            st = None
        if st is None:
            if not os.path.isdir(folder):
                raise OutputError(f"--output {shown}: folder {os.path.dirname(shown) or folder} does not exist")
        elif not stat.S_ISREG(st.st_mode) and not stat.S_ISCHR(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
            what = _kind_name(st.st_mode)
            hint = "give a file name" if stat.S_ISDIR(st.st_mode) else "give a regular file, or - for stdout"
            raise OutputError(f"--output {shown}: is {what}; {hint}")
    except OSError as exc:
        raise OutputError(f"--output {shown}: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISREG(st.st_mode):
        for item in inputs:
            try:
                ist = os.stat(item)
            except (OSError, ValueError):
                continue
            if (ist.st_dev, ist.st_ino) == (st.st_dev, st.st_ino):
                raise OutputError(f"--output {shown}: is an input of this export ({os.fsdecode(item)}); "
                                  f"choose another file")
    if real == _PROGRAM_DIR or real.startswith(_PROGRAM_DIR + os.sep):
        raise OutputError(f"--output {shown}: is inside the program's own files; choose another folder")
    if st is None and reserved is not None:
        why = reserved(real)
        if why:
            raise OutputError(f"--output {shown}: {why}; choose another name or folder")
    if st is not None and not stat.S_ISREG(st.st_mode):
        return Target(Path(real), "stream", shown)
    return Target(Path(real), "file", shown)


# -- cleaning up on signals ------------------------------------------------------------------

_live_lock = threading.Lock()
_live_files: set[str] = set()
_live_dirs: set[str] = set()


def track(path: str, folder: bool = False) -> None:
    """Remember ``path`` as being written: it is removed if SIGTERM/SIGHUP arrives."""
    with _live_lock:
        (_live_dirs if folder else _live_files).add(path)


def untrack(path: str, folder: bool = False) -> None:
    with _live_lock:
        (_live_dirs if folder else _live_files).discard(path)


def remove_live() -> None:
    """Remove every temp file and scratch folder being written (signal handlers call this)."""
    import shutil

    from .guard import suspended

    with _live_lock:
        files, dirs = list(_live_files), list(_live_dirs)
    with suspended():  # called from inside a render, whose guard would refuse the removal
        for name in files:
            try:
                os.unlink(name)
            except OSError:
                pass
        for name in dirs:
            shutil.rmtree(name, ignore_errors=True)


_terminated: list[int] = []


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """While the block runs (main thread only), SIGTERM/SIGHUP remove what is being written.

    The handler removes the temp files and scratch folders at once -- so nothing is left even if
    a renderer swallows the exception -- then raises :class:`Terminated`.  A render that carries
    on anyway is not published (:func:`write_atomic` checks).  Previous handlers are restored.
    """
    if threading.current_thread() is not threading.main_thread() or not CLEANUP_SIGNALS:
        yield
        return

    def on_signal(signum: int, frame: object) -> None:
        _terminated.append(signum)
        remove_live()
        raise Terminated(signum)

    previous = {}
    try:
        for sig in CLEANUP_SIGNALS:
            previous[sig] = signal.signal(sig, on_signal)
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)
        if _terminated:
            signum = _terminated.pop()
            _terminated.clear()
            raise Terminated(signum)


def _check_not_terminated() -> None:
    if _terminated:
        raise Terminated(_terminated[-1])


# -- writing ---------------------------------------------------------------------------------

def _temp_prefix(name: str) -> str:
    while len(os.fsencode(name)) > _TEMP_NAME_BYTES:
        name = name[:-1]
    return f".{name}."


def write_target(target: Target, write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    """Render with ``write(stream)`` and publish at ``target``; return (result, size)."""
    if target.kind == "stdout":
        return write_stdout(write)
    if target.kind == "stream":
        return write_in_place(target, write)
    return write_atomic(target.path, write)


def write_atomic(target: Path, write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    """Call ``write(stream)`` and publish the result at ``target``; return (result, size)."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(target.name), suffix=".part")
    except OSError as exc:
        raise OutputError(f"--output {target}: cannot write in {folder}: {exc.strerror or exc}") from None
    track(tmp_name)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            result = write(stream)
            try:
                stream.flush()
                os.fsync(stream.fileno())
            except OSError as exc:
                raise OutputError(f"--output {target}: cannot write: {exc.strerror or exc}") from None
            size = stream.tell()
        _check_not_terminated()
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise
    finally:
        untrack(tmp_name)
    _fsync_dir(folder)
    return result, size


def _spooled(write: Callable[[BinaryIO], T], copy: Callable[[BinaryIO], None]) -> tuple[T, int]:
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        result = write(spool)
        size = spool.tell()
        _check_not_terminated()
        spool.seek(0)
        copy(spool)
    return result, size


def write_in_place(target: Target, write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    """Write a character device or named pipe in place, after the whole output is rendered."""

    def copy(spool: BinaryIO) -> None:
        try:
            # Non-blocking open: a pipe nobody reads is refused instead of hanging.
            fd = os.open(target.path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            reason = "nobody reads the pipe" if exc.errno == errno.ENXIO else (exc.strerror or str(exc))
            raise OutputError(f"--output {target.shown}: cannot write: {reason}") from None
        try:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) or not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
                raise OutputError(f"--output {target.shown}: changed while the export ran; nothing was written")
            os.set_blocking(fd, True)
            with os.fdopen(fd, "wb", closefd=True) as out:
                fd = -1
                while chunk := spool.read(1 << 20):
                    out.write(chunk)
        except OSError as exc:
            raise OutputError(f"--output {target.shown}: cannot write: {exc.strerror or exc}") from None
        finally:
            if fd >= 0:
                os.close(fd)

    return _spooled(write, copy)


def write_stdout(write: Callable[[BinaryIO], T]) -> tuple[T, int]:
    """Render into a spool, then copy it to stdout (nothing is printed when the render fails)."""
    if sys.stdout is None or not hasattr(sys.stdout, "buffer"):
        raise OutputError("--output -: standard output is closed")

    def copy(spool: BinaryIO) -> None:
        out = sys.stdout.buffer
        while chunk := spool.read(1 << 20):
            out.write(chunk)
        out.flush()

    return _spooled(write, copy)


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
