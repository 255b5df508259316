"""Building a plugin manager: built-in plugins, then entry points, one at a time.

There is no global plugin manager: :func:`load_plugins` builds a fresh :class:`Plugins` each
time (tests build their own).  Entry points are loaded one by one instead of with pluggy's
``load_setuptools_entrypoints``, which stops at the first broken plugin: a plugin that fails to
import, has a hook with a wrong signature or an unknown hook, or raises while registering is
recorded in :attr:`Plugins.failures` (and printed on stderr by the CLI) and skipped.

Which plugins load can be restricted with environment variables:

* ``EXPORTER_PLUGINS`` -- comma-separated entry-point names of the third-party plugins to load
  (unset: all; empty: none).  Built-in plugins always load.
* ``EXPORTER_DISABLE_PLUGINS`` -- comma-separated plugin names (entry-point names or built-in
  plugin names such as ``html``) not to load.

Built-in plugins have short, stable names (:data:`BUILTIN_PLUGINS`), independent of the module
that implements them.  Their former names, the module paths (``exporter.formats.html``), are
still accepted in both variables for one release, with a :class:`DeprecationWarning` and a
notice in :attr:`Plugins.notices`.

Third-party plugin code runs isolated while it is imported and registers: what it prints goes
to stderr (stdout carries only the command's output), ``os._exit`` becomes a recorded failure
instead of ending the process, and a plugin that does not finish within
``EXPORTER_PLUGIN_TIMEOUT`` seconds (default :data:`LOAD_TIMEOUT`; in the main thread) is
recorded as failed and skipped.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

from . import hookspec
from .errors import PluginError
from .registry import OPTION_NAME_RE, Format, Option, Registry, Source, Style

ENTRY_POINT_GROUP = "exporter"
#: Seconds a third-party plugin may take to import, and to register what it adds.
LOAD_TIMEOUT = 10.0

#: Built-in plugins, registered exactly like third-party ones: stable name -> module.
BUILTIN_PLUGINS: dict[str, str] = {
    "tei": "exporter.sources.tei",
    "json": "exporter.formats.json_format",
    "html": "exporter.formats.html",
    "pdf": "exporter.formats.pdf",
    "docx": "exporter.formats.docx",
    "references": "exporter.formats.references",
    "bibliography": "exporter.formats.bibliography",
    "annotations": "exporter.formats.annotations",
    "styles": "exporter.citations.styles",
}

#: Names built-in plugins had before they got short ones (their module paths then), accepted in
#: ``EXPORTER_PLUGINS``/``EXPORTER_DISABLE_PLUGINS`` until the next release.
DEPRECATED_NAMES: dict[str, str] = {
    "exporter.sources.tei": "tei",
    "exporter.formats.json_format": "json",
    "exporter.formats.html": "html",
    "exporter.formats.pdf": "pdf",
    "exporter.formats.docx": "docx",
    "exporter.formats.references": "references",
    "exporter.formats.annotation_exports": "annotations",
    "exporter.citations.styles": "styles",
}


@dataclass
class PluginInfo:
    """A loaded plugin and what it registered."""

    name: str
    module: str
    version: str | None
    builtin: bool
    registered: dict[str, list[str]] = field(default_factory=lambda: {"source": [], "format": [], "style": []})
    #: The installed distribution that declared the entry point (``None`` for built-ins).
    distribution: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "builtin": self.builtin,
            "distribution": self.distribution,
            "formats": self.registered["format"],
            "styles": self.registered["style"],
            "sources": self.registered["source"],
        }


@dataclass
class PluginFailure:
    """A plugin that could not be loaded or registered (or one registration it got refused)."""

    name: str
    stage: str  # "import" | "validate" | "register"
    reason: str

    def __str__(self) -> str:
        return f"plugin '{self.name}' failed ({self.stage}): {self.reason}"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "stage": self.stage, "reason": self.reason}


class Plugins:
    """A plugin manager with its registries.  Build one with :func:`load_plugins`."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspec.PROJECT)
        self.pm.add_hookspecs(hookspec)
        self.sources: Registry[Source] = Registry("source")
        self.formats: Registry[Format] = Registry("format")
        self.styles: Registry[Style] = Registry("style")
        self.info: dict[str, PluginInfo] = {}
        self.failures: list[PluginFailure] = []
        self.load_timeout: float | None = LOAD_TIMEOUT
        #: Warnings about how plugins were chosen (deprecated names), for front ends to show.
        self.notices: list[str] = []

    def _registry(self, kind: str) -> Registry[Any]:
        registries: dict[str, Registry[Any]] = {"source": self.sources, "format": self.formats, "style": self.styles}
        return registries[kind]

    def add(self, plugin: object, name: str, version: str | None = None, builtin: bool = False,
            distribution: str | None = None) -> bool:
        """Register one plugin object and run its registration hooks.  Returns success."""
        try:
            self.pm.register(plugin, name=name)
            # Unknown hook names (typos) are only found by check_pending; earlier plugins passed,
            # so a failure here is this plugin's.
            self.pm.check_pending()
        except Exception as exc:  # pluggy raises PluginValidationError and ValueError
            if self.pm.is_registered(plugin):
                self.pm.unregister(plugin)
            self.failures.append(PluginFailure(name, "validate", _one_line(exc)))
            return False
        info = PluginInfo(name, getattr(plugin, "__name__", type(plugin).__name__), version, builtin,
                          distribution=distribution)
        self.info[name] = info
        for hook_name, kind in hookspec.REGISTRATION_HOOKS.items():
            caller = getattr(self.pm.hook, hook_name)
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    self._call_register(impl.function, name, kind, info)
        return True

    def _call_register(self, function: Any, plugin: str, kind: str, info: PluginInfo) -> None:
        registry = self._registry(kind)
        added: list[str] = []

        def register(item: Any) -> None:
            problem = _check_item(kind, item)
            if problem:
                self.failures.append(PluginFailure(plugin, "register", f"{kind} {problem}"))
                return
            try:
                stored = registry.add(item, plugin)
            except PluginError as exc:
                self.failures.append(PluginFailure(plugin, "register", str(exc)))
                return
            added.append(stored.name)

        try:
            with isolated(self.load_timeout if not info.builtin else None):
                function(register=register)
        except BaseException as exc:  # SystemExit from a plugin must not end the run
            if isinstance(exc, KeyboardInterrupt):
                raise
            for item_name in added:  # withdraw a half-done registration
                registry.remove(item_name)
            self.failures.append(PluginFailure(plugin, "register", _failure(exc, "registering", self.load_timeout)))
            return
        info.registered[kind].extend(added)

    def plugin_of(self, kind: str, name: str) -> PluginInfo | None:
        item = self._registry(kind).get(name)
        return self.info.get(item.plugin)


_KINDS = {"format": (Format, ("render",)), "style": (Style, ()), "source": (Source, ("accepts", "load"))}


def _check_item(kind: str, item: Any) -> str | None:
    """Why ``item`` cannot be registered as a ``kind`` (``None`` when it can)."""
    cls, functions = _KINDS[kind]
    if not isinstance(item, cls):
        return f"registration must be an exporter.registry.{cls.__name__}, not {type(item).__name__}"
    for attr in functions:
        if not callable(getattr(item, attr, None)):
            return f"'{getattr(item, 'name', '?')}': {attr} is not callable"
    if isinstance(item, Format):
        return _check_options(item)
    return None


def _check_options(fmt: Format) -> str | None:
    """Why ``fmt``'s declared options are unusable (``None`` when they are fine)."""
    if not isinstance(fmt.options, tuple):
        return f"'{fmt.name}': options must be a tuple of exporter.registry.Option"
    seen: set[str] = set()
    for option in fmt.options:
        if not isinstance(option, Option):
            return f"'{fmt.name}': options must be exporter.registry.Option, not {type(option).__name__}"
        if not isinstance(option.name, str) or not OPTION_NAME_RE.match(option.name) or option.name in seen:
            return f"'{fmt.name}': option name {option.name!r} is not a new lowercase name like 'paper_size'"
        if option.type not in (str, int, float, bool):
            return f"'{fmt.name}': option '{option.name}' has type {option.type!r}; expected str, int, float or bool"
        seen.add(option.name)
    return None


@contextmanager
def isolated(seconds: float | None) -> Iterator[None]:
    """Run plugin code with stdout sent to stderr, ``os._exit`` refused and a time limit."""
    from .engine import guard

    with guard.stdout_to_stderr(), guard.no_exit(), guard.call_limit(seconds):
        yield


def _failure(exc: BaseException, doing: str, seconds: float | None) -> str:
    from .engine import guard

    if isinstance(exc, guard.PluginTimeout):
        return f"did not finish {doing} within {seconds:g} s"
    if isinstance(exc, guard.PluginExit):
        return f"{exc} while {doing}; the process was kept running"
    return f"raised {_one_line(exc)}" if doing == "registering" else _one_line(exc)


def _timeout_from(env: Mapping[str, str]) -> float | None:
    value = env.get("EXPORTER_PLUGIN_TIMEOUT")
    if value is None:
        return LOAD_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        return LOAD_TIMEOUT
    return seconds if seconds > 0 and seconds == seconds else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no message"
    return f"{type(exc).__name__}: {text}"


def _names(value: str | None, variable: str, notices: list[str]) -> set[str] | None:
    """The plugin names listed in an environment variable's ``value``, former built-in names
    replaced by the current ones (each replacement is warned about and noted)."""
    if value is None:
        return None
    names = set()
    for name in (n.strip() for n in value.split(",")):
        if not name:
            continue
        if name in DEPRECATED_NAMES:
            current = DEPRECATED_NAMES[name]
            notice = (f"{variable}: plugin name '{name}' is deprecated and will not be accepted in the "
                      f"next release; use '{current}'")
            warnings.warn(notice, DeprecationWarning, stacklevel=3)
            notices.append(notice)
            name = current
        names.add(name)
    return names


def load_plugins(
    env: Mapping[str, str] | None = None,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    builtins: Mapping[str, str] = BUILTIN_PLUGINS,
    extra: Iterable[tuple[str, object]] = (),
) -> Plugins:
    """Build a fresh :class:`Plugins`: built-ins, then entry points, then ``extra`` objects.

    :param env: environment to read ``EXPORTER_PLUGINS``/``EXPORTER_DISABLE_PLUGINS`` from
        (default ``os.environ``).
    :param entry_points: entry points to load instead of the installed ``exporter`` group
        (tests pass their own).
    :param builtins: built-in plugins to load, name -> module (default :data:`BUILTIN_PLUGINS`).
    :param extra: ``(name, plugin_object)`` pairs registered after everything else.
    """
    env = os.environ if env is None else env
    plugins = Plugins()
    plugins.load_timeout = _timeout_from(env)
    only = _names(env.get("EXPORTER_PLUGINS"), "EXPORTER_PLUGINS", plugins.notices)
    disabled = _names(env.get("EXPORTER_DISABLE_PLUGINS"), "EXPORTER_DISABLE_PLUGINS", plugins.notices) or set()
    for name, module_name in builtins.items():
        if name in disabled:
            continue
        module = _import(plugins, name, module_name)
        if module is not None:
            plugins.add(module, name, version=_own_version(), builtin=True)
    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    seen: set[str] = set()
    for ep in entry_points:
        if ep.name in disabled or (only is not None and ep.name not in only):
            continue
        if ep.name in seen or ep.name in plugins.info:
            plugins.failures.append(PluginFailure(ep.name, "import", f"another plugin is already named '{ep.name}'"))
            continue
        seen.add(ep.name)
        try:
            with isolated(plugins.load_timeout):
                obj = ep.load()
        except BaseException as exc:  # SystemExit from a broken plugin must not end the run
            if isinstance(exc, KeyboardInterrupt):
                raise
            plugins.failures.append(PluginFailure(ep.name, "import", _failure(exc, "importing", plugins.load_timeout)))
            continue
        dist = getattr(ep, "dist", None)
        plugins.add(obj, ep.name, version=dist.version if dist is not None else None,
                    distribution=dist.metadata["Name"] if dist is not None else None)
    for name, obj in extra:
        plugins.add(obj, name)
    return plugins


def _import(plugins: Plugins, name: str, module_name: str) -> ModuleType | None:
    try:
        return importlib.import_module(module_name)
    except Exception as exc:
        plugins.failures.append(PluginFailure(name, "import", _one_line(exc)))
        return None


def _own_version() -> str:
    from . import __version__

    return __version__
