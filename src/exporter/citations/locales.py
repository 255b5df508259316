"""Citation locales: the CSL locale files citeproc-py ships (``en-US``, ``en-GB``, ``ru-RU``,
``de-DE``, ``fr-FR`` and about sixty more)."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def locales_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("citeproc")
    if spec is None or spec.origin is None:
        raise RuntimeError("citeproc-py is not installed")
    return Path(spec.origin).parent / "data" / "locales"


@functools.lru_cache(maxsize=1)
def available() -> tuple[str, ...]:
    """Locale names with a locale file, sorted."""
    return tuple(sorted(p.name[len("locales-"):-len(".xml")] for p in locales_dir().glob("locales-*.xml")))


@functools.lru_cache(maxsize=1)
def _primary() -> dict[str, str]:
    data = json.loads((locales_dir() / "locales.json").read_text(encoding="utf-8"))
    return dict(data.get("primary-dialects", {}))


def check_locale(name: str) -> str:
    """The locale file name for ``name`` (``ru`` -> ``ru-RU``; case as in the files), or a
    :class:`UsageError` naming the available ones."""
    from ..errors import UsageError

    if _NAME.match(name or ""):
        by_lower = {n.lower(): n for n in available()}
        found = by_lower.get(name.lower()) or by_lower.get(_primary().get(name.lower(), "").lower())
        if found:
            return found
    raise UsageError(f"unknown locale '{name}'; available: {', '.join(available())}")
