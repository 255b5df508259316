"""Hook specifications: the whole plugin interface of ``exporter``.

A plugin is a module (or object) with functions decorated by :data:`hookimpl` whose names are
the hooks below.  Built-in formats, styles and corpus sources are plugins of exactly this kind;
third-party plugins are found through the ``exporter`` entry-point group.

Every hook here is a *registration* hook: it is called once per plugin, right after the
plugin is loaded, with a ``register`` callback.  The plugin calls ``register`` once per thing it
provides and returns nothing.  Registrations are checked as they are made: a name that another
plugin already registered is rejected (naming both plugins), and a plugin that raises while
registering has everything it registered in that call withdrawn and is reported by name, while
all other plugins keep working.  Hooks are called in the order sources, formats, styles.

Example (a complete one-file plugin)::

    from exporter import hookimpl
    from exporter.registry import Format

    def render(document, out):
        for entry in document.entries:
            out.write(entry.title.encode("utf-8") + b"\\n")

    @hookimpl
    def exporter_register_formats(register):
        register(Format(name="titles", media_type="text/plain", extension="txt",
                        render=render, material=False, description="Entry titles"))
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

PROJECT = "exporter"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorator for plugin hook implementations: ``@exporter.hookimpl``.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def exporter_register_sources(register: Callable[..., None]) -> None:
    """Register corpus sources: loaders that turn a location into volumes and entries.

    Called once per plugin when the plugin manager is built, before formats and styles.

    :param register: call ``register(source)`` with an :class:`exporter.registry.Source` for
        each source.  ``source.accepts(path)`` must answer quickly (it is asked for every file
        of a corpus folder, and for the ``--corpus`` argument itself); ``source.load(path,
        cleaner)`` returns a list of :class:`exporter.registry.LoadedVolume`, passes every
        string through ``cleaner.clean`` and raises :class:`exporter.errors.CorpusError` with a
        one-line reason naming the file when the input is unusable.  The built-in source is
        ``tei`` (TEI P5 files, see ``docs/corpus.md``).
    :return: nothing; the return value is ignored.
    """


@hookspec
def exporter_register_formats(register: Callable[..., None]) -> None:
    """Register output formats.

    Called once per plugin when the plugin manager is built, after sources.

    :param register: call ``register(fmt)`` with an :class:`exporter.registry.Format` for each
        format.  ``fmt.render(document, out)`` receives the assembled
        :class:`exporter.model.Document` and a binary file object to write to; it returns
        ``None`` or an :class:`exporter.registry.RenderInfo` (rendered page count, warnings).
        It must not write anywhere else, must not re-read the corpus, and should import heavy
        libraries inside ``render`` so that other commands stay fast.  While ``render`` runs, the
        engine refuses file writes outside a scratch folder (``tempfile`` works) and stops it
        after the time limit (``--timeout``); an exception, a refused write or a time-out is
        reported naming the format and its plugin, and no output is written.  A format that
        reproduces archive material declares ``material=True``: the engine then enforces the
        print limit and the terms of use before calling ``render``.
    :return: nothing; the return value is ignored.
    """


@hookspec
def exporter_register_styles(register: Callable[..., None]) -> None:
    """Register citation styles (CSL).

    Called once per plugin when the plugin manager is built, after formats.

    :param register: call ``register(style)`` with an :class:`exporter.registry.Style` for each
        style: a name (``[a-z0-9-]+``), a human title and the path of its CSL file.  Only
        registered names can be used with ``--style``; a path given on the command line is
        refused.
    :return: nothing; the return value is ignored.
    """


#: Hook name -> registry kind, in calling order.
REGISTRATION_HOOKS = {
    "exporter_register_sources": "source",
    "exporter_register_formats": "format",
    "exporter_register_styles": "style",
}
