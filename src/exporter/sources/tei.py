"""The built-in corpus source: TEI P5 volumes (the project's subset and FRUS).

See ``docs/corpus.md`` for the subset.  The loader maps what exists and leaves absent fields
empty; it never guesses.  Every string goes through the :class:`~exporter.textnorm.Cleaner`.
"""

from __future__ import annotations

import re
from copy import deepcopy
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .. import hookimpl
from ..errors import CorpusError
from ..model import (
    TEXT,
    TRANSCRIPTION,
    TRANSLATION,
    Block,
    Entry,
    EntryDate,
    Inline,
    Layer,
    Note,
    NoteRef,
    PageBreak,
    Person,
    Text,
    Volume,
)
from ..registry import LoadedVolume, Source
from ..textnorm import Cleaner, collapse

if TYPE_CHECKING:  # lxml is imported when a volume is parsed, not by every command
    from lxml import etree

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"

DEFAULT_TERMS = (
    "This material is made available for personal study and research. Printing is limited to "
    "ten source pages at a time; cite the edition when you quote from it. Reproduction or "
    "redistribution beyond fair use requires the permission of the archive."
)

ENTRY_TYPES = {"entry", "document"}
LAYER_TYPES = {TRANSLATION, TRANSCRIPTION}
#: Elements that form a block of text (a nested one belongs to the outer block).
BLOCK_TAGS = {
    "p": "paragraph", "head": "heading", "quote": "quote", "item": "item", "dateline": "dateline",
    "signed": "closer", "salute": "salute", "l": "verse", "ab": "paragraph", "label": "label",
    "row": "row", "byline": "closer", "postscript": "paragraph", "trailer": "paragraph",
}
STYLE_OF_REND = {
    "italic": "italic", "italics": "italic", "i": "italic", "bold": "bold", "strong": "bold",
    "smallcaps": "smallcaps", "sc": "smallcaps", "sup": "sup", "superscript": "sup",
    "sub": "sub", "subscript": "sub", "underline": "underline", "u": "underline",
}
ITALIC_TAGS = {"emph", "foreign", "title", "term"}
GENRE_OF_KIND = {
    "diary entry": "diary", "diary": "diary", "letter": "letter", "telegram": "telegram",
    "memorandum": "memorandum", "report": "report", "note": "letter", "despatch": "letter",
    "dispatch": "letter", "circular telegram": "telegram", "circular": "letter",
}
SKIP_IN_LAYER = {"docAuthor", "docDate", "teiHeader", "figDesc"}
MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"])}


_LOCAL_NAMES: dict[str, str] = {}


def local(el: etree._Element) -> str:
    """The element's local name ("" for comments and other non-elements); memoised per tag."""
    tag = el.tag
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        pass
    except TypeError:  # comments and processing instructions have a function as tag
        return ""
    name = _LOCAL_NAMES[tag] = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
    return name


class _Ctx:
    """Per-volume loading state."""

    def __init__(self, path: Path, cleaner: Cleaner, persons: dict[str, str]) -> None:
        self.path = path
        self.cleaner = cleaner
        self.persons = persons
        self.warnings: list[str] = []
        self.note_seq = 0

    def text(self, s: str | None) -> str:
        return self.cleaner.clean(s) if s else ""


def accepts(path: Path) -> bool:
    if path.suffix.lower() not in {".xml", ".tei"}:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b"<TEI" in head or b"tei-c.org/ns" in head


def load(path: Path, cleaner: Cleaner) -> list[LoadedVolume]:
    from .safexml import parse_file

    root = parse_file(path)
    if local(root) == "teiCorpus":
        roots = [el for el in root if local(el) == "TEI"]
    elif local(root) == "TEI":
        roots = [root]
    else:
        raise CorpusError(f"{path}: not a TEI document (root element <{local(root)}>)")
    return [_load_volume(r, path, cleaner) for r in roots]


def _first(el: etree._Element, *names: str) -> etree._Element | None:
    for child in el.iter():
        if local(child) in names:
            return child
    return None


def _find_path(el: etree._Element | None, *path: str) -> etree._Element | None:
    for name in path:
        if el is None:
            return None
        el = next((c for c in el if local(c) == name), None)
    return el


def _plain(ctx: _Ctx, el: etree._Element | None, skip_notes: bool = True) -> str:
    if el is None:
        return ""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = local(node)
        if name == "note" and skip_notes and node is not el:
            pass
        elif name == "lb":
            parts.append(" ")
        elif name:
            if node.text:
                parts.append(node.text)
            for child in node:
                walk(child)
        if node is not el and node.tail:
            parts.append(node.tail)

    walk(el)
    return ctx.text(collapse("".join(parts)).strip())


def _person_from_text(text: str, literal: bool = False) -> Person:
    if literal:
        return Person(literal=text)
    if "," in text:
        family, given = (p.strip() for p in text.split(",", 1))
        return Person(family=family, given=given or None)
    if " " not in text:
        return Person(family=text)
    return Person(literal=text)


def _person(ctx: _Ctx, el: etree._Element) -> Person:
    if local(el) in {"orgName", "gloss"}:
        return Person(literal=_plain(ctx, el))
    forename = [c for c in el.iter() if local(c) == "forename"]
    surname = [c for c in el.iter() if local(c) == "surname"]
    if surname:
        return Person(
            family=" ".join(_plain(ctx, s) for s in surname),
            given=" ".join(_plain(ctx, f) for f in forename) or None,
        )
    ref = (el.get("corresp") or el.get("ref") or "").lstrip("#")
    if ref and ref in ctx.persons:
        return _person_from_text(ctx.persons[ref])
    return _person_from_text(_plain(ctx, el))


def _volume(root: etree._Element, path: Path, ctx: _Ctx) -> Volume:
    header = _find_path(root, "teiHeader")
    file_desc = _find_path(header, "fileDesc")
    title_stmt = _find_path(file_desc, "titleStmt")
    pub = _find_path(file_desc, "publicationStmt")
    titles = [t for t in (title_stmt if title_stmt is not None else []) if local(t) == "title"]
    by_type = {t.get("type") or "": _plain(ctx, t) for t in titles}
    title = by_type.get("complete") or by_type.get("main") or by_type.get("") or next(
        (v for v in by_type.values() if v), path.stem)
    editors = []
    for ed in (title_stmt if title_stmt is not None else []):
        if local(ed) == "editor" and _plain(ctx, ed):
            name = next((c for c in ed if local(c) in {"persName", "name"}), ed)
            editors.append(_person(ctx, name) if name is not ed else _person_from_text(_plain(ctx, ed)))
    idnos = {}
    for el in (pub if pub is not None else []):
        if local(el) == "idno" and (el.text or "").strip():
            idnos[el.get("type") or ""] = ctx.text(el.text.strip())
    series_stmt = _find_path(file_desc, "seriesStmt")
    series = _plain(ctx, _find_path(series_stmt, "title")) or by_type.get("series") or None
    series_no = _plain(ctx, _find_path(series_stmt, "biblScope")) or by_type.get("volumenumber") or None
    vol_id = root.get(XML_ID) or idnos.get("volume") or idnos.get("frus") or path.stem
    base_url = idnos.get("URI") or idnos.get("uri")
    if not base_url and "frus" in idnos:
        base_url = f"https://history.state.gov/historicaldocuments/{idnos['frus']}"
    availability = _find_path(pub, "availability")
    licence = _find_path(availability, "licence")
    print_limit, availability = _print_limit(path, availability)
    terms = _plain(ctx, availability) if availability is not None else ""
    languages = []
    lang_usage = _find_path(header, "profileDesc", "langUsage")
    for lang in (lang_usage if lang_usage is not None else []):
        if local(lang) == "language" and lang.get("ident"):
            languages.append(lang.get("ident"))
    if not languages:
        languages = [root.get(XML_LANG) or "en"]
    notes_stmt = _find_path(file_desc, "notesStmt")
    notes = [_plain(ctx, n) for n in (notes_stmt if notes_stmt is not None else []) if local(n) == "note"]
    date = _find_path(pub, "date")
    return Volume(
        id=ctx.text(vol_id),
        title=title,
        editors=editors,
        publisher=_plain(ctx, _find_path(pub, "publisher")) or None,
        place=_plain(ctx, _find_path(pub, "pubPlace")) or None,
        year=(date.get("when") if date is not None and date.get("when") else _plain(ctx, date)) or None,
        series=series,
        series_number=series_no,
        identifier=idnos.get("volume") or idnos.get("frus") or idnos.get("isbn-13") or vol_id,
        languages=languages,
        terms=terms or DEFAULT_TERMS,
        terms_url=licence.get("target") if licence is not None else None,
        base_url=base_url,
        source_path=str(path),
        notes=[n for n in notes if n],
        print_limit=print_limit,
    )


def _print_limit(path: Path, availability: etree._Element | None) -> tuple[int | None, etree._Element | None]:
    """The volume's print limit, ``availability/ab[@type="print-limit"]`` (its ``@n`` or text), and
    the availability element without it (so the number is not read as part of the terms)."""
    if availability is None:
        return None, None
    found = [el for el in availability.iter() if local(el) == "ab" and el.get("type") == "print-limit"]
    if not found:
        return None, availability
    from .corpus import parse_print_limit

    el = found[0]
    limit = parse_print_limit(el.get("n") if el.get("n") is not None else (el.text or ""),
                              f"{path}: availability/ab[@type='print-limit']")
    copy = deepcopy(availability)
    for el in [e for e in copy.iter() if local(e) == "ab" and e.get("type") == "print-limit"]:
        parent = el.getparent()
        if el.tail:  # keep the text that follows the number's element
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    return limit, copy


def _persons_list(root: etree._Element, cleaner: Cleaner) -> dict[str, str]:
    """FRUS front matter: ``persName xml:id`` -> "Family, Given"."""
    found = {}
    front = _first(root, "front")
    if front is None:
        return found
    for el in front.iter(f"{{{TEI_NS}}}persName", "persName"):
        pid = el.get(XML_ID)
        if pid:
            found[pid] = cleaner.clean(collapse("".join(el.itertext())).strip())
    return found


def _load_volume(root: etree._Element, path: Path, cleaner: Cleaner) -> LoadedVolume:
    ctx = _Ctx(path, cleaner, _persons_list(root, cleaner))
    volume = _volume(root, path, ctx)
    text_el = _find_path(root, "text")
    if text_el is None:
        raise CorpusError(f"{path}: TEI document has no <text>")
    entries: list[Entry] = []
    # One pass in document order: the page in effect per layer stream at each entry's start.
    current: dict[str, tuple[str, str | None]] = {}
    entry_pages: dict[int, dict[str, tuple[str, str | None]]] = {}
    entry_divs: list[etree._Element] = []
    for el in text_el.iter():
        name = local(el)
        if name == "pb":
            label = el.get("n")
            if label is not None:
                current[_stream_of(el)] = (ctx.text(label.strip()), el.get("facs"))
        elif name == "div" and el.get("type") in ENTRY_TYPES:
            if any(local(a) == "div" and a.get("type") in ENTRY_TYPES for a in el.iterancestors()):
                continue  # entries never nest; an inner one is part of the outer
            entry_pages[id(el)] = dict(current)
            entry_divs.append(el)
    seen_ids: set[str] = set()
    for n, div in enumerate(entry_divs, 1):
        try:
            entry = _entry(div, n, volume, ctx, entry_pages[id(div)])
        except CorpusError:
            raise
        except Exception as exc:  # a malformed entry must not sink the volume
            ctx.warnings.append(f"{path}: entry {div.get(XML_ID) or n} skipped: {type(exc).__name__}: {exc}")
            continue
        if entry.local_id in seen_ids:
            ctx.warnings.append(f"{path}: duplicate xml:id '{entry.local_id}'; later entry renamed")
            entry.local_id = entry.id = f"{entry.local_id}-{n}"
        seen_ids.add(entry.local_id)
        entries.append(entry)
    warn = cleaner.warning(str(path))
    if warn:
        ctx.warnings.append(warn)
    return LoadedVolume(volume, entries, ctx.warnings)


def _stream_of(pb: etree._Element) -> str:
    for anc in pb.iterancestors():
        if local(anc) == "div":
            t = anc.get("type")
            if t in LAYER_TYPES:
                return t
            if t in ENTRY_TYPES:
                break
    return TEXT


def _parse_date(ctx: _Ctx, el: etree._Element | None) -> EntryDate:
    if el is None:
        return EntryDate()
    when = (el.get("when") or el.get("when-iso") or el.get("notBefore") or el.get("from") or "").strip()
    text = _plain(ctx, el) or None
    approximate = (el.get("cert") in {"low", "unknown"} or el.get("precision") == "low"
                   or el.get("type") in {"approximate", "circa"} or (not el.get("when") and bool(when)))
    m = re.match(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}:\d{2}))?)?)?", when)
    if m:
        year, month, day, time = m.groups()
        month_i = int(month) if month and 1 <= int(month) <= 12 else None
        day_i = int(day) if day and month_i and 1 <= int(day) <= 31 else None
        if time == "00:00" and "T00:00:00" in when and el.get("when", "").endswith("T00:00:00"):
            time = None
        return EntryDate(int(year), month_i, day_i, approximate, text, time if day_i else None)
    if text:  # no machine-readable date: try "April 3, 1917" / "3 April 1917" / "1917"
        words = re.findall(r"[A-Za-z]+|\d+", text)
        year = next((int(w) for w in words if len(w) == 4 and w.isdigit()), None)
        month = next((MONTHS[w.lower()] for w in words if w.lower() in MONTHS), None)
        day = next((int(w) for w in words if w.isdigit() and len(w) <= 2 and 1 <= int(w) <= 31), None)
        if year:
            return EntryDate(year, month, day if month else None, True, text)
    return EntryDate(text=text)


def _entry(div: etree._Element, n: int, volume: Volume, ctx: _Ctx,
           pages: dict[str, tuple[str, str | None]]) -> Entry:
    local_id = ctx.text(div.get(XML_ID) or f"{volume.id}-{n}")
    children = list(div)
    head = next((c for c in children if local(c) == "head"), None)
    entry = Entry(id=local_id, local_id=local_id, volume=volume, title="", heading=[],
                  number=div.get("n"), language=div.get(XML_LANG))
    if head is not None:
        entry.heading = _block_inlines(head, ctx, "head", entry)
        entry.title = "".join(i.text for i in entry.heading if isinstance(i, Text))
        for el in head.iter():
            role = el.get("type") or el.get("role")
            if local(el) in {"gloss", "persName", "orgName"} and role in {"from", "to"}:
                (entry.authors if role == "from" else entry.recipients).append(_person(ctx, el))
    # FRUS source notes: archival file numbers and the document kind.
    archival, kinds = [], []
    for note in div.iter(f"{{{TEI_NS}}}note", "note"):
        if note.get("type") == "source" and not _inside_layer_or_block(note, div):
            text = _plain(ctx, note, skip_notes=False)
            if re.match(r"^\[.*\]$", text):
                kinds.append(text.strip("[]").strip())
            elif text:
                archival.append(re.sub(r"^File\s+No\.?\s*", "File No. ", text))
    if archival:
        entry.archival_id = "; ".join(archival)
    # Project subset: docAuthor, docDate, note type="meta".
    for c in children:
        name = local(c)
        if name == "docAuthor":
            who = next((p for p in c if local(p) in {"persName", "orgName", "name"}), None)
            entry.authors.append(_person(ctx, who) if who is not None else _person_from_text(_plain(ctx, c)))
        elif name == "docDate":
            entry.date = _parse_date(ctx, c)
        elif name == "note" and c.get("type") == "meta":
            _meta(c, entry, ctx, kinds)
    if entry.date.year is None and entry.date.text is None:
        dateline = _dateline(div)
        if dateline is not None:
            date_el = next((d for d in dateline.iter() if local(d) == "date"), None)
            entry.date = _parse_date(ctx, date_el)
            place = next((d for d in dateline.iter() if local(d) == "placeName"), None)
            if place is not None and not entry.place:
                entry.place = _plain(ctx, place) or None
    entry.kind = kinds[0] if kinds else None
    entry.genre = div.get("subtype") if div.get("subtype") in {
        "diary", "letter", "telegram", "memorandum", "report"} else None
    if entry.genre is None:
        kind = (entry.kind or "").lower()
        if kind in GENRE_OF_KIND:
            entry.genre = GENRE_OF_KIND[kind]
        elif entry.title.lower().startswith(("memorandum", "aide-m")):
            entry.genre = "memorandum"
        elif entry.recipients:
            entry.genre = "letter"
        else:
            entry.genre = "document"
    if entry.kind is None:
        entry.kind = {"diary": "Diary entry", "letter": "Letter", "telegram": "Telegram",
                      "memorandum": "Memorandum", "report": "Report"}.get(entry.genre)
    # Layers.
    layer_divs = [c for c in children if local(c) == "div" and c.get("type") in LAYER_TYPES]
    if layer_divs:
        for ld in layer_divs:
            name = ld.get("type")
            if name in entry.layers:
                ctx.warnings.append(f"{ctx.path}: entry {local_id} has two {name} layers; second ignored")
                continue
            inherited = pages.get(name)
            entry.layers[name] = _layer(name, list(ld), ld.get(XML_LANG) or (
                entry.language if name == TRANSCRIPTION else "en"), inherited, ctx, entry)
    else:
        body = [c for c in children if not (
            local(c) in {"head", "docAuthor", "docDate"}
            or (local(c) == "note" and c.get("type") in {"source", "meta"}))]
        entry.layers[TEXT] = _layer(TEXT, body, entry.language or (volume.languages or ["en"])[0],
                                    pages.get(TEXT), ctx, entry)
    return entry


def _inside_layer_or_block(note: etree._Element, div: etree._Element) -> bool:
    for anc in note.iterancestors():
        if anc is div:
            return False
        if local(anc) in BLOCK_TAGS and local(anc) != "head" or (
                local(anc) == "div" and anc.get("type") in LAYER_TYPES):
            return True
    return False


def _dateline(div: etree._Element) -> etree._Element | None:
    for c in div:
        if local(c) == "dateline":
            return c
        if local(c) == "opener":
            found = next((d for d in c if local(d) == "dateline"), None)
            if found is not None:
                return found
    return None


def _meta(el: etree._Element, entry: Entry, ctx: _Ctx, kinds: list[str]) -> None:
    for c in el:
        name, role = local(c), c.get("role") or c.get("type")
        if name in {"persName", "orgName", "name"} and role == "recipient":
            entry.recipients.append(_person(ctx, c))
        elif name in {"persName", "orgName", "name"} and role == "author":
            entry.authors.append(_person(ctx, c))
        elif name == "orgName" and role == "repository":
            entry.repository = _plain(ctx, c) or None
        elif name == "idno" and role in {"archival", "archive", "shelfmark"}:
            entry.archival_id = _plain(ctx, c) or None
        elif name == "placeName":
            entry.place = _plain(ctx, c) or None
        elif name == "term" and role == "kind":
            kinds.insert(0, _plain(ctx, c))
        elif name == "desc":
            entry.description = _plain(ctx, c) or None


def _layer(name: str, elements: Iterable[etree._Element], language: str | None,
           inherited: tuple[str, str | None] | None, ctx: _Ctx, entry: Entry) -> Layer:
    builder = _LayerBuilder(name, ctx, entry, inherited[0] if inherited else None)
    for el in elements:
        builder.element(el)
    return builder.finish(language)


class _LayerBuilder:
    """Turns a layer's elements into blocks, tracking source pages."""

    def __init__(self, name: str, ctx: _Ctx, entry: Entry, page: str | None) -> None:
        self.name = name
        self.ctx = ctx
        self.entry = entry
        self.start_page = page
        self.page = page
        self.pages: list[str] = []
        self.blocks: list[Block] = []
        self.pending: list[Inline] = []  # page breaks / notes between blocks
        self.has_text = False

    def _visit_page(self, label: str) -> None:
        if not self.pages or self.pages[-1] != label:
            if label not in self.pages:
                self.pages.append(label)

    def element(self, el: etree._Element) -> None:
        name = local(el)
        if not name or name in SKIP_IN_LAYER:
            self._tail(el)
            return
        if name == "pb":
            self.pending.append(_page_break(el, self.ctx))
        elif name == "note":
            if el.get("type") not in {"source", "meta"}:
                self.pending.append(_note(el, self.ctx, self.entry, self.name))
        elif name in BLOCK_TAGS and name != "head":
            self._block(BLOCK_TAGS[name], _block_inlines(el, self.ctx, self.name, self.entry))
        elif name == "head":
            self._block("heading", _block_inlines(el, self.ctx, self.name, self.entry))
        elif name in {"figure", "graphic", "gap", "milestone", "anchor", "cb", "fw"}:
            pass
        else:  # a container (div, list, closer, opener, table, floatingText, lg, ...)
            if el.text and el.text.strip():
                self._block("paragraph", [Text(self.ctx.text(collapse(el.text).strip()))])
            for child in el:
                self.element(child)
        self._tail(el)

    def _tail(self, el: etree._Element) -> None:
        if el.tail and el.tail.strip() and local(el.getparent()) not in BLOCK_TAGS:
            self._block("paragraph", [Text(self.ctx.text(collapse(el.tail).strip()))])

    def _block(self, kind: str, inlines: list[Inline]) -> None:
        inlines = self.pending + inlines
        self.pending = []
        if not any(isinstance(i, Text) for i in inlines):
            # No text: keep page breaks and notes for the next block.
            self.pending = [i for i in inlines if isinstance(i, (PageBreak, NoteRef))]
            return
        for item in inlines:
            if isinstance(item, PageBreak):
                self.page = item.label
            elif isinstance(item, Text) and self.page is not None:
                self._visit_page(self.page)
        self.blocks.append(Block(kind, inlines))
        self.has_text = True

    def finish(self, language: str | None) -> Layer:
        if self.pending and self.blocks:
            # Trailing notes belong to the last block; a trailing page break starts no text.
            self.blocks[-1].inlines.extend(i for i in self.pending if isinstance(i, NoteRef))
        elif self.pending:
            self.blocks.append(Block("paragraph", [i for i in self.pending if isinstance(i, NoteRef)]))
        return Layer(self.name, language, self.blocks, self.pages, self.start_page)


def _page_break(el: etree._Element, ctx: _Ctx) -> PageBreak:
    return PageBreak(ctx.text((el.get("n") or "").strip()) or "?", el.get("facs"))


def _note(el: etree._Element, ctx: _Ctx, entry: Entry, layer: str) -> NoteRef:
    ctx.note_seq += 1
    label = ctx.text((el.get("n") or "").strip()) or str(ctx.note_seq)
    note_id = ctx.text(el.get(XML_ID) or f"{entry.local_id}-note-{ctx.note_seq}")
    content = _strip(_inlines(el, ctx, frozenset(), entry, layer, in_note=True))
    return NoteRef(Note(note_id, label, [i for i in content if isinstance(i, Text)], layer))


def _inlines(el: etree._Element, ctx: _Ctx, styles: frozenset[str], entry: Entry, layer: str,
             in_note: bool = False) -> list[Inline]:
    out: list[Inline] = []
    if el.text:
        out.append(Text(ctx.text(collapse(el.text)), styles))
    for child in el:
        name = local(child)
        if name == "note" and not in_note:
            if child.get("type") not in {"source", "meta"}:
                out.append(_note(child, ctx, entry, layer))
        elif name == "pb":
            if not in_note:
                out.append(_page_break(child, ctx))
        elif name == "lb":
            out.append(Text(" ", styles))
        elif name in {"figure", "graphic", "gap", "anchor", "milestone", "fw", "figDesc"} or not name:
            pass
        else:
            sub = styles
            rend = (child.get("rend") or "").lower().split()
            sub = sub | {STYLE_OF_REND[r] for r in rend if r in STYLE_OF_REND}
            if name in ITALIC_TAGS and not rend:
                sub = sub | {"italic"}
            if name == "cell" and out:
                out.append(Text(" | ", styles))
            out.extend(_inlines(child, ctx, frozenset(sub), entry, layer, in_note))
        if child.tail:
            out.append(Text(ctx.text(collapse(child.tail)), styles))
    return out


def _block_inlines(el: etree._Element, ctx: _Ctx, layer: str, entry: Entry) -> list[Inline]:
    return _strip(_inlines(el, ctx, frozenset(), entry, layer))


def _strip(items: list[Inline]) -> list[Inline]:
    """Collapse whitespace across spans and strip the ends, merging equal-style neighbours."""
    out: list[Inline] = []
    last_space = True  # at block start, leading spaces go
    for item in items:
        if isinstance(item, Text):
            text = item.text
            if last_space:
                text = text.lstrip(" ")
            if not text:
                continue
            last_space = text.endswith(" ")
            prev = out[-1] if out else None
            if isinstance(prev, Text) and prev.styles == item.styles:
                prev.text += text
            else:
                out.append(Text(text, item.styles))
        else:
            out.append(item)
    for item in reversed(out):
        if isinstance(item, Text):
            item.text = item.text.rstrip(" ")
            if item.text:
                break
    return [i for i in out if not (isinstance(i, Text) and not i.text)]


@hookimpl
def exporter_register_sources(register) -> None:
    register(Source(name="tei", accepts=accepts, load=load,
                    description="TEI P5 volumes (the project's subset and FRUS); see docs/corpus.md"))
