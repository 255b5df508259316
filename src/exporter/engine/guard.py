"""Guards around a renderer: a time limit, and no writing outside the output stream.

A renderer receives an open stream and has no business writing files.  While one runs, an audit
hook (PEP 578) refuses, in the rendering thread:

* opening a file for writing, and removing, renaming, linking, copying onto, truncating or
  changing the mode/owner/times of a path -- anywhere except a private scratch folder
  (``tempfile`` is pointed there, so libraries that spool to temporary files keep working);
* changing the working directory (the output is published by path after the render).

Threads the renderer starts are held to the same rule: a thread that did not exist when the
render began is guarded as part of it, and a render that returns while such a thread is still
running fails (its output is never published).  Writing to ``os.devnull`` is allowed.  Child
processes are out of the hook's sight: libraries
start them while probing (``ctypes.util.find_library`` runs ``gcc`` and ``ld``), so they are not
refused, and what a child writes is not checked.

The refused call raises :class:`WriteOutsideOutput` (a ``PermissionError``) in the renderer.  A
renderer that catches it and carries on still fails: the first refusal is raised again when the
renderer returns, so its output is never published.  Python does not write byte-code caches
(``__pycache__``) while a renderer runs (``sys.dont_write_bytecode``), so lazy imports inside a
renderer need no exception to the rule.

The time limit uses ``SIGALRM`` and therefore applies in the main thread of a POSIX process (the
command line); elsewhere renders run without it.  When the limit passes, :class:`RenderTimeout`
is raised in the renderer, and again every :data:`REPEAT` seconds in case the renderer swallows
it; a renderer that swallows it and returns still fails.  A renderer that swallows it every
time and never returns is stopped hard after :data:`GRACE` more seconds when the caller asks for
it (the command line does): what is being written is removed, the reason printed, and the
process ends with the render-failure exit code.  Code blocked inside a C extension that
never returns to the interpreter cannot be interrupted this way.

These guards catch mistakes and careless plugins; they are not a sandbox against hostile code
(``ctypes`` or an extension module can bypass any audit hook).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Seconds between repeated time-out signals once the limit has passed.
REPEAT = 0.5
#: Seconds after the limit before a renderer that swallows every time-out is stopped hard.
GRACE = 3.0
#: Seconds a render waits for threads it started before failing because of them.
THREAD_WAIT = 1.0

_state = threading.local()
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
#: Audit events that change the file system -> indexes of the arguments that are written paths.
_PATH_EVENTS: dict[str, tuple[int, ...]] = {
    "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,), "os.rename": (0, 1), "os.symlink": (1,),
    "os.link": (1,), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
    "os.setxattr": (0,), "os.removexattr": (0,), "os.chflags": (0,), "os.lchflags": (0,),
    "shutil.rmtree": (0,), "shutil.move": (0, 1), "shutil.copyfile": (1,), "shutil.copymode": (1,),
    "shutil.copystat": (1,), "shutil.copytree": (1,), "shutil.unpack_archive": (1,),
    "shutil.make_archive": (0,),
}
#: Audit events refused outright while rendering.
_REFUSED_EVENTS = {"os.chdir": "changed the working directory"}
#: Every event the hook looks at.
_WATCHED = frozenset({"open", *_PATH_EVENTS, *_REFUSED_EVENTS})
_installed = False
#: ``os._exit`` as it was at start-up (:func:`no_exit` replaces it while plugin code runs).
REAL_EXIT = os._exit


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


def _allowed(path: Any, scratch: str) -> bool:
    """May the renderer write ``path``?  Open file descriptors (ints) were checked when opened."""
    if isinstance(path, int) or path is None:
        return True
    if not isinstance(path, (str, bytes, os.PathLike)):
        return False
    try:
        name = os.fsdecode(path)
    except (TypeError, ValueError):
        return False
    return _inside(name, scratch) or name == os.devnull


def _refuse(message: str, violations: list[WriteOutsideOutput] | None) -> None:
    error = WriteOutsideOutput(message)
    if violations is not None:
        violations.append(error)
    raise error


class _Render:
    """One active render: its scratch folder, refusals and the threads that existed before it."""

    __slots__ = ("scratch", "violations", "before")

    def __init__(self, scratch: str, violations: list[WriteOutsideOutput], before: set[int]) -> None:
        self.scratch, self.violations, self.before = scratch, violations, before


_active: list[_Render] = []
_saved_hook: list[Any] = []
_active_lock = threading.Lock()


def _adopted() -> tuple[str, list[WriteOutsideOutput]] | None:
    """The render a thread without guard state belongs to: one started after the thread was not."""
    if not _active:
        return None
    ident = threading.get_ident()
    for render in list(_active):
        if ident not in render.before:
            return render.scratch, render.violations
    return None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Most events are of no concern (a render raises thousands of "builtins.id" alone, from
    # copy.deepcopy and weasyprint's style code): they leave before anything is looked up.
    if event not in _WATCHED:
        return
    scratch = getattr(_state, "scratch", None)
    if scratch is None:
        if not _active or getattr(_state, "suspended", False):
            return
        found = _adopted()
        if found is None:
            return
        scratch, violations = found
        return _check(event, args, scratch, violations)
    _check(event, args, scratch, getattr(_state, "violations", None))


def _check(event: str, args: tuple[Any, ...], scratch: str, violations: list[WriteOutsideOutput] | None) -> None:
    if event == "open":
        path, mode, flags = (args + (None, None, None))[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
        if writing and not _allowed(path, scratch):
            _refuse(f"renderer tried to write {os.fsdecode(path)!r} outside its output", violations)
    elif event in _PATH_EVENTS:
        for index in _PATH_EVENTS[event]:
            path = args[index] if index < len(args) else None
            if not _allowed(path, scratch):
                shown = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else path
                _refuse(f"renderer tried {event} on {shown!r} outside its output", violations)
    elif event in _REFUSED_EVENTS:
        what = args[0] if args else ""
        _refuse(f"renderer {_REFUSED_EVENTS[event]} ({event} {what!r}); renderers may only write to their output",
                violations)


@contextmanager
def suspended() -> Iterator[None]:
    """Lift the write guard in this thread for the block (the engine's own clean-up uses it)."""
    saved = (getattr(_state, "scratch", None), getattr(_state, "violations", None))
    _state.scratch, _state.violations = None, None
    _state.suspended = True
    try:
        yield
    finally:
        _state.scratch, _state.violations = saved
        _state.suspended = False


def _thread_failed(args: Any) -> None:
    """One line, not a traceback, for a renderer thread that failed (a refusal is reported anyway)."""
    if isinstance(args.exc_value, WriteOutsideOutput):
        return
    name = args.thread.name if args.thread is not None else "?"
    try:
        sys.stderr.write(f"exporter: warning: renderer thread {name} failed: "
                         f"{type(args.exc_value).__name__}: {' '.join(str(args.exc_value).split())[:200]}\n")
    except (OSError, ValueError, AttributeError):
        pass


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True


@contextmanager
def no_writes() -> Iterator[str]:
    """Refuse writes outside a private scratch folder (yielded) for the duration.

    A refusal the block swallowed is raised again when the block ends normally.
    """
    from .live import track, untrack

    _install()
    scratch = os.path.realpath(tempfile.mkdtemp(prefix="exporter-render-"))
    track(scratch, folder=True)
    before = {t.ident for t in threading.enumerate() if t.ident is not None}
    old_tempdir = tempfile.tempdir
    outer = (getattr(_state, "scratch", None), getattr(_state, "violations", None))
    violations: list[WriteOutsideOutput] = []
    old_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    tempfile.tempdir = scratch
    _state.scratch, _state.violations = scratch, violations
    render = _Render(scratch, violations, before)
    with _active_lock:
        if not _active:  # the first of the renders running now: keep the caller's hook
            _saved_hook[:] = [threading.excepthook]
            threading.excepthook = _thread_failed
        _active.append(render)
    try:
        yield scratch
        _wait_for_threads(before)
    except WriteOutsideOutput:
        raise
    except (KeyboardInterrupt, RenderTimeout):
        raise
    except BaseException as exc:
        if violations:  # the refusal surfaced as some other error: report the refusal
            raise _summary(violations, "the renderer then failed") from exc
        raise
    else:
        if violations:
            raise _summary(violations, "the renderer carried on after the refusal")
    finally:
        with _active_lock:
            _active.remove(render)
            if not _active and _saved_hook:
                threading.excepthook = _saved_hook.pop()
        _state.scratch, _state.violations = outer
        tempfile.tempdir = old_tempdir
        sys.dont_write_bytecode = old_bytecode
        shutil.rmtree(scratch, ignore_errors=True)
        untrack(scratch, folder=True)


def _wait_for_threads(before: set[int]) -> None:
    """Fail the render if threads it started are still running (they could still write)."""
    import time

    deadline = time.monotonic() + THREAD_WAIT
    for thread in threading.enumerate():
        if thread.ident in before or thread is threading.current_thread():
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in threading.enumerate() if t.ident not in before and t.is_alive()
            and t is not threading.current_thread()]
    if left:
        raise WriteOutsideOutput(f"renderer left {len(left)} thread(s) running ({', '.join(left[:3])}) "
                                 f"after it returned")


def _summary(violations: list[WriteOutsideOutput], what: str) -> WriteOutsideOutput:
    more = f" (and {len(violations) - 1} more refused)" if len(violations) > 1 else ""
    return WriteOutsideOutput(f"{violations[0]}{more}; {what}")


@contextmanager
def time_limit(seconds: float | None,
               hard_stop: Callable[[], None] | None = None) -> Iterator[None]:
    """Raise :class:`RenderTimeout` in the block after ``seconds`` (main thread, POSIX only).

    ``hard_stop`` is called (from the signal handler) when the block still runs :data:`GRACE`
    seconds after the limit, having swallowed every time-out; it is expected not to return.
    """
    usable = (seconds and seconds > 0 and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    assert seconds is not None  # usable implies a positive number
    fired = False
    import time

    stop_at = time.monotonic() + float(seconds) + GRACE

    def on_alarm(signum: int, frame: Any) -> None:
        nonlocal fired
        fired = True
        if hard_stop is not None and time.monotonic() >= stop_at:
            hard_stop()
        raise RenderTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    if previous is None:  # a handler not installed from Python
        previous = signal.SIG_DFL
    # The interval re-raises every REPEAT seconds until the block is left.
    signal.setitimer(signal.ITIMER_REAL, float(seconds), REPEAT)
    outcome: BaseException | None = None
    try:
        yield
    except BaseException as exc:
        outcome = exc
    finally:
        _disarm(previous)
    if fired and not isinstance(outcome, (RenderTimeout, KeyboardInterrupt)):
        # the renderer swallowed the time-out (and returned, or failed in another way)
        raise RenderTimeout() from outcome
    if outcome is not None:
        raise outcome


def _disarm(previous: Any) -> None:
    """Stop the timer and restore the handler, even if a last alarm arrives meanwhile."""
    while True:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            return
        except (RenderTimeout, PluginTimeout):
            continue


# -- plugin code that prints or ends the process --------------------------------------------------

class PluginExit(BaseException):
    """Raised instead of ending the process when plugin code calls ``os._exit``."""

    def __init__(self, code: Any) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"called os._exit({self.code!r})"


_swap_lock = threading.Lock()
_swaps: dict[str, list[Any]] = {"stdout": [0, None], "exit": [0, None]}


def _enter(kind: str, install: Any) -> None:
    """Install a process-wide swap on the first of overlapping users (threads), counted."""
    with _swap_lock:
        count = _swaps[kind]
        if count[0] == 0:
            count[1] = install()
        count[0] += 1


def _leave(kind: str, restore: Any) -> None:
    """Undo the swap when the last overlapping user leaves, whatever order they leave in."""
    with _swap_lock:
        count = _swaps[kind]
        count[0] -= 1
        if count[0] == 0:
            restore(count[1])
            count[1] = None


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send what plugin code prints to stderr, so stdout carries only the command's output.

    ``sys.stdout`` is redirected and, when the first user is the main thread, file descriptor 1
    too (for C code).  Overlapping users (threads of a service) share one redirection, undone
    when the last one leaves.
    """

    def install() -> tuple[Any, int | None]:
        saved_fd = None
        if threading.current_thread() is threading.main_thread():
            try:
                if sys.stdout is not None:
                    sys.stdout.flush()
                saved_fd = os.dup(1)
                os.dup2(2, 1)
            except (OSError, ValueError):
                saved_fd = None
        previous = sys.stdout
        sys.stdout = sys.stderr
        return previous, saved_fd

    def restore(saved: tuple[Any, int | None]) -> None:
        previous, saved_fd = saved
        sys.stdout = previous
        if saved_fd is not None:
            try:
                sys.stderr.flush()
            except (OSError, ValueError, AttributeError):
                pass
            os.dup2(saved_fd, 1)
            os.close(saved_fd)

    _enter("stdout", install)
    try:
        yield
    finally:
        _leave("stdout", restore)


@contextmanager
def no_exit() -> Iterator[None]:
    """Turn ``os._exit`` in plugin code into :class:`PluginExit` for the duration.

    ``os._exit`` skips every clean-up and reports whatever code the plugin chose, so a plugin
    calling it while it is imported or renders would end a command with "success" and no
    output.  Only this process is affected: a child process (after ``fork``) exits for real.
    Overlapping users share one replacement, undone when the last one leaves.
    """
    import posix

    pid = os.getpid()

    def refuse(code: int = 0) -> None:
        if os.getpid() != pid:
            REAL_EXIT(code)
        raise PluginExit(code)

    def install() -> None:
        os._exit = posix._exit = refuse  # type: ignore[assignment]

    def restore(_: Any) -> None:
        os._exit = posix._exit = REAL_EXIT

    _enter("exit", install)
    try:
        yield
    finally:
        _leave("exit", restore)


class PluginTimeout(BaseException):
    """Plugin code ran past its time limit (raised in the main thread by ``SIGALRM``)."""


@contextmanager
def call_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`PluginTimeout` in the block after ``seconds`` (main thread, POSIX only)."""
    usable = (seconds and seconds > 0 and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return
    assert seconds is not None  # usable implies a positive number

    def on_alarm(signum: int, frame: Any) -> None:
        raise PluginTimeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, float(seconds), REPEAT)
    try:
        yield
    finally:
        _disarm(previous if previous is not None else signal.SIG_DFL)
