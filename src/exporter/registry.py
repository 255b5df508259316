"""What plugins register (formats, styles, sources) and the registries that hold them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Generic, TypeVar

from .errors import PluginError, UnknownNameError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    from .model import Document, Entry, Volume
    from .textnorm import Cleaner

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: An option's name: the key in ``Document.options``; the command line spells it with dashes.
OPTION_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: What an option's value may be once checked.
OptionValue = str | int | float | bool


@dataclass
class RenderInfo:
    """What a renderer may report back."""

    rendered_pages: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Option:
    """An option a format takes, such as the ``pdf`` format's ``paper``.

    The engine checks the options of every export against the chosen format's before anything
    is assembled or rendered, and the front ends (the command line, the HTTP service) offer
    exactly what formats declare.  The checked value reaches the renderer in
    ``Document.options[name]``; an option that was not given is absent, and the format applies
    its own default (``default`` is shown in help).
    """

    name: str
    help: str = ""
    #: ``str``, ``int``, ``float`` or ``bool`` (``true``/``false``, ``yes``/``no``, ``1``/``0``).
    type: type = str
    #: Allowed values (compared without case; the listed spelling is passed on), or a function
    #: returning them, called only when the option is given (for values a library defines).
    choices: tuple[str, ...] | Callable[[], Iterable[str]] = ()
    default: OptionValue | None = None

    @property
    def flag(self) -> str:
        """The command-line spelling: ``--pdf-variant`` for ``pdf_variant``."""
        return "--" + self.name.replace("_", "-")

    def describe(self) -> dict[str, object]:
        """The option as JSON data, for listings (choices a function computes are not listed:
        that would import the library they come from)."""
        return {"name": self.name, "flag": self.flag, "type": self.type.__name__, "help": self.help,
                "default": self.default,
                "choices": list(self.choices) if isinstance(self.choices, tuple) and self.choices else None}

    def allowed(self) -> tuple[str, ...]:
        """The allowed values (empty: any value of the type)."""
        return tuple(self.choices() if callable(self.choices) else self.choices)

    def check(self, value: object) -> OptionValue:
        """``value`` converted to the option's type; :class:`UsageError` naming the allowed values."""
        if self.type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise UsageError(f"{self.flag} {value!r}: expected true or false")
        if self.type in (int, float):
            try:
                return self.type(str(value).strip())
            except ValueError:
                kind = "an integer" if self.type is int else "a number"
                raise UsageError(f"{self.flag} {value!r}: expected {kind}") from None
        text = str(value).strip()
        allowed = self.allowed()
        if allowed:
            by_folded = {a.lower(): a for a in allowed}
            if text.lower() not in by_folded:
                raise UsageError(f"{self.flag} {value!r}: unknown; known values: {', '.join(allowed)}")
            return by_folded[text.lower()]
        return text


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
    render: Callable[[Document, BinaryIO], RenderInfo | None]
    material: bool
    description: str = ""
    citations: bool = False
    #: The options the format takes (see :class:`Option`); any other is refused.
    options: tuple[Option, ...] = ()
    #: Set by the registry: the plugin that registered it.
    plugin: str = ""
    #: The format prints the selection's bibliography in one CSL style: the engine formats it
    #: into ``Document.bibliography`` with ``--style`` (default: the house style) and refuses a
    #: style without a bibliography before anything is rendered.
    bibliography: bool = False

    def check_options(self, given: Mapping[str, object]) -> dict[str, OptionValue]:
        """``given`` checked against :attr:`options` (see :meth:`Option.check`).

        Raises :class:`UsageError` for an option the format does not take, naming the ones it
        does, and for a value the option does not allow.
        """
        declared = {o.name: o for o in self.options}
        checked: dict[str, OptionValue] = {}
        for name, value in given.items():
            option = declared.get(name)
            if option is None:
                known = ", ".join(o.flag for o in self.options) or "none"
                raise UsageError(f"format '{self.name}' has no option --{name.replace('_', '-')}; "
                                 f"its options: {known}")
            checked[name] = option.check(value)
        return checked


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

    volume: Volume
    entries: list[Entry]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """A corpus source: turns a file (or other location) into volumes."""

    name: str
    accepts: Callable[[Path], bool]
    load: Callable[[Path, Cleaner], list[LoadedVolume]]
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
            raise PluginError(f"{self.kind} name {name!r} from plugin '{plugin}' is not a lowercase name "
                              "like 'my-format'")
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
