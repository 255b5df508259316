"""Given names raised name by name, as citeproc-js's disambiguation raises them.

Disambiguation decides, per cite, a given-name level for some of its names -- 0 none, 1
initials, 2 in full -- and :func:`rendering` makes them current while the cite renders.  The
names renderer asks :func:`level` for each name it prints (its ``LEVELS`` hook); when no
names renderer with that hook is installed, nothing asks and the levels have no effect
(:func:`available` says which).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

#: One cite's levels: ((names variable, index of the name, level), ...), sorted.
Levels = tuple[tuple[str, int, int], ...]


class _Current:
    levels: dict[tuple[str, int], int] = {}
    key: Levels = ()


CURRENT = _Current


def level(variable: str, index: int) -> int | None:
    """The level disambiguation asks for the ``index``-th name of ``variable`` (None: the
    style's own)."""
    return CURRENT.levels.get((variable, index)) if CURRENT.levels else None


def available() -> bool:
    """Whether the installed names renderer asks for per-name levels."""
    import importlib

    try:  # the names renderer is a module of its own, installed with the fidelity patches
        names = importlib.import_module(f"{__package__}.names")
    except ImportError:
        return False
    hook = getattr(names, "LEVELS", None)
    if hook is None or not getattr(names, "INSTALLED", False):
        return False
    if getattr(hook, "get", None) is not level:
        hook.get = level
    return True


@contextmanager
def rendering(levels: Levels) -> Iterator[None]:
    """``levels`` current while a cite renders (restored afterwards)."""
    saved = CURRENT.levels, CURRENT.key
    CURRENT.levels = {(v, i): n for v, i, n in levels}
    CURRENT.key = levels
    try:
        yield
    finally:
        CURRENT.levels, CURRENT.key = saved
