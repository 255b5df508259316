"""What the engine is writing right now: temp files and scratch folders to remove on SIGTERM/SIGHUP.

Kept apart from :mod:`.output` (which removes them) and :mod:`.guard` (which creates scratch
folders) so that neither has to import the other for it.
"""

from __future__ import annotations

import threading

_live_lock = threading.Lock()
_live_files: set[str] = set()
_live_dirs: set[str] = set()


def track(path: str, folder: bool = False) -> None:
    """Remember ``path`` as being written: it is removed if SIGTERM/SIGHUP arrives."""
    with _live_lock:
        (_live_dirs if folder else _live_files).add(path)


def untrack(path: str, folder: bool = False) -> None:
    """Forget ``path``: it was published or removed."""
    with _live_lock:
        (_live_dirs if folder else _live_files).discard(path)


def live() -> tuple[list[str], list[str]]:
    """The files and the folders being written."""
    with _live_lock:
        return list(_live_files), list(_live_dirs)
