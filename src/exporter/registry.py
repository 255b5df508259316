"""What plugins register (formats, styles, sources) and the registries that hold them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Generic, Iterator, TypeVar

from .errors import PluginError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from .model import Document, Entry, Volume
    from .textnorm import Cleaner

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class RenderInfo:
    """What a renderer may report back."""

    rendered_pages: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    """An output format.

    ``material`` -- the format reproduces archive material (text of the entries), so the print
    limit and the terms of use apply.  ``citations`` -- the format prints per-entry citations
    and wants them formatted with the chosen CSL style.
    """

    name: str
    media_type: str
    extension: str
    render: Callable[["Document", BinaryIO], "RenderInfo | None"]
    material: bool
    description: str = ""
    citations: bool = False
    #: Set by the registry: the plugin that registered it.
    plugin: str = ""


@dataclass(frozen=True)
class Style:
    """A CSL citation style, by name."""

    name: str
    title: str
    path: Path
    #: "note" or "in-text", as the style's ``citation-format`` category says.
    kind: str = ""
    plugin: str = ""


@dataclass
class LoadedVolume:
    """What a source returns for one volume."""

    volume: "Volume"
    entries: list["Entry"]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """A corpus source: turns a file (or other location) into volumes."""

    name: str
    accepts: Callable[[Path], bool]
    load: Callable[[Path, "Cleaner"], list[LoadedVolume]]
    description: str = ""
    plugin: str = ""


T = TypeVar("T", Format, Style, Source)


class Registry(Generic[T]):
    """Named items of one kind; rejects duplicates (naming both plugins) and unknown names."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, item: T, plugin: str) -> T:
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise PluginError(f"{self.kind} name {name!r} from plugin '{plugin}' is not a lowercase name like 'my-format'")
        if name in self._items:
            other = self._items[name].plugin
            raise PluginError(f"{self.kind} '{name}' from plugin '{plugin}' is already registered by plugin '{other}'")
        from dataclasses import replace

        item = replace(item, plugin=plugin)
        self._items[name] = item
        return item

    def remove(self, name: str) -> None:
        self._items.pop(name, None)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise UnknownNameError(f"unknown {self.kind} '{name}'; known {self.kind}s: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[T]:
        return iter(sorted(self._items.values(), key=lambda i: i.name))

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return sorted(self._items)
