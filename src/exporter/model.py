"""The one document model every backend renders.

The engine loads a corpus into :class:`Corpus` (volumes of :class:`Entry`), resolves a
selection, anchors annotations and applies the print policy, then hands every format the
same :class:`Document`.  Backends are thin writers over it: they never read the corpus.

Text model (like pandoc's AST, but smaller): a :class:`Layer` is a list of :class:`Block`
objects; a block is a list of inline items, each one of

* :class:`Text` -- a run of characters with a set of styles (``italic``, ``bold``,
  ``smallcaps``, ``sup``, ``sub``, ``underline``);
* :class:`NoteRef` -- the place an editorial :class:`Note` is called;
* :class:`PageBreak` -- a source page begins here (label as printed, optional facsimile);
* :class:`AnnotationStart` / :class:`AnnotationEnd` -- an annotation's anchored range.

All text has been normalised at load time (see :mod:`exporter.textnorm`): it holds no
character that is illegal in XML.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

#: Layer names.  A volume without translation/transcription divisions has one layer, ``text``.
TRANSLATION = "translation"
TRANSCRIPTION = "transcription"
TEXT = "text"
LAYER_ORDER = (TRANSLATION, TRANSCRIPTION, TEXT)


@dataclass(slots=True)
class Text:
    """A run of text with a (possibly empty) set of character styles."""

    text: str
    styles: frozenset[str] = frozenset()


@dataclass(slots=True)
class Note:
    """An editorial note.  ``label`` is the printed number (FRUS ``n``), or a generated one."""

    id: str
    label: str
    content: list[Text]
    #: Layer the note occurs in, or ``"head"`` for notes in an entry heading.
    layer: str = TEXT

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.content)


@dataclass(slots=True)
class NoteRef:
    """Where an editorial note is called."""

    note: Note


@dataclass(slots=True)
class PageBreak:
    """A source page starts here.  ``label`` is the page number as printed (e.g. ``"21"``)."""

    label: str
    facs: str | None = None


@dataclass(slots=True)
class AnnotationStart:
    """Start of an anchored annotation range (matched by an :class:`AnnotationEnd`)."""

    annotation: Annotation


@dataclass(slots=True)
class AnnotationEnd:
    annotation: Annotation


Inline = Text | NoteRef | PageBreak | AnnotationStart | AnnotationEnd

#: Block kinds a backend must handle; unknown kinds should be rendered as paragraphs.
BLOCK_KINDS = ("paragraph", "heading", "quote", "item", "dateline", "closer", "salute", "verse", "label", "row")


@dataclass(slots=True)
class Block:
    """A paragraph-like block of inline items."""

    kind: str
    inlines: list[Inline]

    @property
    def text(self) -> str:
        """The block's canonical text (notes, page breaks and anchors excluded)."""
        return "".join(i.text for i in self.inlines if isinstance(i, Text))


@dataclass(slots=True)
class Layer:
    """One text layer of an entry (``translation``, ``transcription`` or ``text``)."""

    name: str
    language: str | None
    blocks: list[Block]
    #: Source page labels this layer spans, in order.  An unpaginated layer that inherits no
    #: page has ``[]``; it still counts as one page for the print policy.
    pages: list[str]
    #: The page in effect where the layer begins (inherited from an earlier page break).
    start_page: str | None = None

    @property
    def text(self) -> str:
        """Canonical layer text: block texts joined with newlines (annotation selectors use it)."""
        return "\n".join(b.text for b in self.blocks)

    def notes(self) -> Iterator[Note]:
        for block in self.blocks:
            for item in block.inlines:
                if isinstance(item, NoteRef):
                    yield item.note


@dataclass(slots=True)
class Person:
    """A person or institution.  Institutions (and unsplittable names) have only ``literal``."""

    literal: str | None = None
    family: str | None = None
    given: str | None = None
    #: A short role or description ("Ambassador in Russia"), where the source gives one.
    description: str | None = None

    @property
    def display(self) -> str:
        if self.literal:
            return self.literal
        return " ".join(p for p in (self.given, self.family) if p)

    @property
    def sort_name(self) -> str:
        if self.literal:
            return self.literal
        return ", ".join(p for p in (self.family, self.given) if p)


@dataclass(slots=True)
class EntryDate:
    """A possibly partial, possibly approximate date."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    approximate: bool = False
    #: The date as the source prints it ("April 3, 1917, 6 p.m."), if any.
    text: str | None = None
    #: Time of day where the source gives one ("18:00").
    time: str | None = None

    @property
    def iso(self) -> str | None:
        if self.year is None:
            return None
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
            if self.day:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)

    @property
    def precision(self) -> str | None:
        if self.year is None:
            return None
        return "day" if self.day else "month" if self.month else "year"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.year or 0, self.month or 0, self.day or 0)


@dataclass(slots=True)
class Annotation:
    """A reader's annotation, resolved to exact character positions in one layer."""

    id: str
    entry_id: str
    layer: str
    exact: str
    prefix: str
    suffix: str
    body: str
    body_format: str = "text/plain"
    body_language: str | None = None
    tags: list[str] = field(default_factory=list)
    creator: str = ""
    creator_name: str = ""
    created: str | None = None
    modified: str | None = None
    visibility: str = "private"  # "private" | "group" | "public"
    group: str | None = None
    motivation: str = "commenting"
    #: Offsets into the layer's canonical text (set when anchored).
    start: int = -1
    end: int = -1
    #: Source page at the annotation's start (set when anchored).
    page: str | None = None
    #: Sequence number within the exported document (1, 2, ...), for printed markers.
    number: int = 0
    #: Where the annotation came from (file name), for error messages.
    origin: str = ""
    #: The target source IRI as read (for round-tripping).
    source: str = ""
    #: Set by the engine: ``exact`` (and possibly ``prefix``/``suffix``) was narrowed to the
    #: printed pages or cut by the quote cap, so it is not the annotation's whole quote.
    quote_cut: bool = False
    #: Hidden by a moderator: only its creator and the moderators still receive it.
    hidden: bool = False


@dataclass(slots=True)
class Volume:
    """A volume's bibliographic header and terms of use."""

    id: str
    title: str
    editors: list[Person] = field(default_factory=list)
    publisher: str | None = None
    place: str | None = None
    year: str | None = None
    series: str | None = None
    series_number: str | None = None
    identifier: str | None = None
    languages: list[str] = field(default_factory=list)
    terms: str = ""
    terms_url: str | None = None
    base_url: str | None = None
    source_path: str = ""
    notes: list[str] = field(default_factory=list)
    #: Most source pages one material export may reproduce, as the volume's header sets it
    #: (``None``: the archive's setting applies).
    print_limit: int | None = None


@dataclass(slots=True)
class Citation:
    """Formatted citation lines for an entry (a plain fallback until a CSL style is applied)."""

    note: str
    bibliography: str
    style: str = "plain"
    note_html: str | None = None
    bibliography_html: str | None = None


@dataclass(slots=True)
class BibliographyLine:
    """One line of a selection's bibliography in a CSL style (see ``Document.bibliography``)."""

    entry_id: str
    text: str
    #: The line as HTML: markup from the style only, every value from the record escaped.
    html: str
    #: Why the style could not format the entry; ``text`` and ``html`` are then a marked plain
    #: citation.
    error: str | None = None


@dataclass(slots=True)
class Entry:
    """One entry (diary entry, letter, telegram, document) with its metadata and layers."""

    id: str  # unique within the loaded corpus (see docs/corpus.md on qualification)
    local_id: str  # the xml:id in its volume
    volume: Volume
    title: str
    heading: list[Inline]
    kind: str | None = None  # "Diary entry", "Telegram", ...
    genre: str | None = None  # diary | letter | telegram | memorandum | report | document
    number: str | None = None  # FRUS document number
    date: EntryDate = field(default_factory=EntryDate)
    place: str | None = None
    authors: list[Person] = field(default_factory=list)
    recipients: list[Person] = field(default_factory=list)
    repository: str | None = None
    archival_id: str | None = None
    description: str | None = None
    language: str | None = None
    layers: dict[str, Layer] = field(default_factory=dict)
    annotations: list[Annotation] = field(default_factory=list)
    citation: Citation | None = None
    #: Position in volume order (0-based), across the whole corpus.
    order: int = 0

    @property
    def qualified_id(self) -> str:
        return f"{self.volume.id}:{self.local_id}"

    @property
    def iri(self) -> str:
        base = self.volume.base_url or f"urn:exporter:{self.volume.id}"
        return f"{base.rstrip('/')}/{self.local_id}"

    def layer_iri(self, layer: str) -> str:
        return f"{self.iri}/{layer}"

    @property
    def notes(self) -> list[Note]:
        found = [i.note for i in self.heading if isinstance(i, NoteRef)]
        for layer in self.layers.values():
            found.extend(layer.notes())
        return found

    def pages(self) -> dict[str, list[str]]:
        return {name: list(layer.pages) for name, layer in self.layers.items()}

    @property
    def page_range(self) -> str | None:
        """Source pages of the first layer as ``"21"`` or ``"21-23"``."""
        for layer in self.layers.values():
            if layer.pages:
                first, last = layer.pages[0], layer.pages[-1]
                return first if first == last else f"{first}-{last}"
        return None


@dataclass(slots=True)
class Group:
    name: str
    title: str
    members: list[str]


@dataclass(slots=True)
class Folder:
    """A named, ordered list of entries owned by a user or a group."""

    name: str
    title: str
    entries: list[str]
    owner: str | None = None
    group: str | None = None


class EntrySummary(Protocol):
    """What a table of contents and a selection read of an entry without its text: an
    :class:`Entry`, or a row of a corpus index (:mod:`exporter.sources.lazy`)."""

    id: str
    local_id: str
    title: str
    date: EntryDate
    volume: Volume
    order: int

    @property
    def qualified_id(self) -> str: ...

    def pages(self) -> dict[str, list[str]]: ...


class EntryStore(list[Entry]):
    """Entries read on demand (from an on-disk corpus index) instead of held in memory.

    It is a list in shape -- ``len``, indexing, slicing and iteration work, building the entries
    they reach -- so every reader of :attr:`Corpus.entries` keeps working; :class:`Corpus` asks it
    for an entry by id and for summaries, which it answers without building entries.
    """

    def find(self, entry_id: str) -> Entry | None:
        """The entry named ``entry_id`` (its id or qualified id), or ``None``."""
        raise NotImplementedError

    def summaries(self, volume: str | None = None) -> Iterator[EntrySummary]:
        """Every entry (of ``volume``) in volume order, without its text."""
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        """Entries per volume id."""
        raise NotImplementedError

    def layer_targets(self) -> Mapping[str, tuple[EntrySummary, str]]:
        """Layer IRI -> (entry, layer name), what annotation targets name."""
        raise NotImplementedError


@dataclass(slots=True)
class Corpus:
    """Everything loaded from ``--corpus``: volumes, entries in volume order, annotations."""

    volumes: list[Volume]
    entries: list[Entry]
    annotations: list[Annotation] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=dict)  # nickname -> display name
    groups: dict[str, Group] = field(default_factory=dict)
    folders: list[Folder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Files the corpus was read from (volumes, annotation files, archive file): never an output.
    inputs: list[str] = field(default_factory=list)
    #: The corpus folder (``None`` for a single volume file).
    folder: str | None = None
    #: Warnings about one reader's annotation: ((creator, visibility, group), message); a reader
    #: is shown only those about annotations they may see (see engine.access).
    owned_warnings: list[tuple[tuple[str, str, str | None], str]] = field(default_factory=list)
    #: Longest annotation quote the annotation and citation formats print (characters);
    #: ``None``: no limit (set by ``annotation_quote_cap`` in archive.json).
    quote_cap: int | None = 300
    #: The archive's print limit (``archive.json``); ``None``: the default applies.
    print_limit: int | None = None
    #: Users with the moderator role (they also receive hidden annotations).
    moderators: set[str] = field(default_factory=set)
    _by_id: dict[str, Entry] = field(default_factory=dict, init=False, repr=False)
    #: :meth:`layer_targets` of these entries (the list and its length, so a change is seen).
    _targets: tuple[int, int, dict[str, tuple[EntrySummary, str]]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self._by_id = {}
        self._targets = None
        if isinstance(self.entries, EntryStore):
            return  # it numbers and finds its entries itself
        for i, entry in enumerate(self.entries):
            entry.order = i
            self._by_id[entry.id] = entry
            self._by_id.setdefault(entry.qualified_id, entry)

    def get(self, entry_id: str) -> Entry | None:
        if isinstance(self.entries, EntryStore):
            return self.entries.find(entry_id)
        return self._by_id.get(entry_id)

    def layer_targets(self) -> Mapping[str, tuple[EntrySummary, str]]:
        """Layer IRI (``<entry IRI>/<layer>``) -> (entry, layer name): what annotation targets name."""
        if isinstance(self.entries, EntryStore):
            return self.entries.layer_targets()
        # Built once: a service checks every new annotation's target against it.
        key = (id(self.entries), len(self.entries))
        if self._targets is None or self._targets[:2] != key:
            self._targets = (*key, {e.layer_iri(name): (e, name) for e in self.entries for name in e.layers})
        return self._targets[2]

    def entry_counts(self) -> dict[str, int]:
        """How many entries each volume (by id) has."""
        if isinstance(self.entries, EntryStore):
            return self.entries.counts()
        counts: dict[str, int] = {}
        for entry in self.entries:
            counts[entry.volume.id] = counts.get(entry.volume.id, 0) + 1
        return counts

    def summaries(self, volume: str | None = None) -> Iterator[EntrySummary]:
        """Every entry (of the volume with id ``volume``) in volume order, as far as a table of
        contents or a selection needs it; an indexed corpus answers without reading volumes."""
        if isinstance(self.entries, EntryStore):
            yield from self.entries.summaries(volume)
            return
        for entry in self.entries:
            if volume is None or entry.volume.id == volume:
                yield entry


@dataclass(slots=True)
class Selection:
    """What the reader asked for, as given (for the title block and error messages)."""

    kind: str  # "entries" | "range" | "folder" | "dates" | "all"
    value: str
    pages: tuple[int, int] | None = None
    layer: str = "both"

    def describe(self) -> str:
        text = {"entries": "entries {}", "range": "entries {}", "folder": "folder {}",
                "dates": "dates {}", "all": "whole corpus{}"}[self.kind].format(self.value)
        if self.pages:
            text += f", pages {self.pages[0]}-{self.pages[1]}"
        if self.layer != "both":
            text += f", {self.layer}"
        return text


@dataclass(slots=True)
class Document:
    """The assembled export: what every backend receives."""

    entries: list[Entry]
    volumes: list[Volume]
    selection: Selection
    user: str | None
    user_name: str | None
    exported_at: datetime
    annotations_mode: str = "none"
    style: str | None = None
    #: Citation locale (e.g. ``ru-RU``); None: the style's default locale.
    locale: str | None = None
    #: Distinct (volume, layer, page) triples counted by the print policy.
    source_pages: int = 0
    warnings: list[str] = field(default_factory=list)
    #: The chosen format's options that were given (``paper``, ``pdf_variant``, ...), checked
    #: against what the format declares (:class:`exporter.registry.Option`).
    options: dict[str, str | int | float | bool] = field(default_factory=dict)
    archive_name: str = "the archive"
    #: The selection's bibliography in the chosen style, sorted as the style sorts (entries the
    #: style prints nothing for are left out, with a warning); filled by the engine only for
    #: formats that print one (``Format.bibliography``), else None.
    bibliography: list[BibliographyLine] | None = None

    @property
    def annotations(self) -> list[Annotation]:
        return [a for e in self.entries for a in e.annotations]

    @property
    def title(self) -> str:
        if len(self.entries) == 1:
            return f"{self.entries[0].title} — {self.entries[0].volume.title}"
        vols = "; ".join(v.title for v in self.volumes)
        return f"{len(self.entries)} entries from {vols}"
