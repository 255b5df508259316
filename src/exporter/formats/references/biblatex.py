"""BibLaTeX writer, for Biber and LaTeX (``bibtex`` is the flavour Zotero imports right).

Entry types: ``@letter`` for letters and telegrams, ``@unpublished`` for diary entries, memoranda,
reports and other documents, and one ``@collection`` per volume -- the edition, with its editors,
series, publisher, place and year -- written before the first entry of that volume.  Each entry
points to its edition with ``related`` (and ``relatedstring = {Printed in}``) and gives its number
and pages in it in ``addendum``; the archive and the archive location are ``library`` (BibLaTeX's
field for "a library name and a call number"); the place of writing is ``location``; recipients
are ``namea`` with ``nameatype = {recipient}``.  Escaping, names and keys are the BibTeX
writer's (:mod:`exporter.formats.references.bibtex`).  See ``docs/references.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry
from .bibtex import (
    _URL_BAD,
    LANGID,
    NL,
    _bib_csl_name,
    _cached_names,
    _field_line,
    bib_date,
    bib_url,
    csl_entry_start,
    entry_url,
    key_id,
    key_prefix,
    key_year,
    page_text,
    pages_text,
    plain_values,
    tex,
    text,
)
from .common import Chunks, check_volume, volume_info

#: Entry types by CSL type.
BIBLATEX_TYPE = {"personal_communication": "letter", "manuscript": "unpublished"}
_EDTF = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?")


def edition_key(entry: Entry) -> str:
    """The ``@collection`` key of an entry's volume: ``edition-<volume id>`` (entry keys start with
    a capitalised name and a year, so the two never meet)."""
    return f"edition-{key_id(entry.volume.id)}"


def collection_entry(rec: dict, entry: Entry) -> str:
    """The volume as a ``@collection`` entry, from a mapping record of one of its entries."""
    vol = entry.volume
    fields = [f"@collection{{{edition_key(entry)},\n"]
    editors = " and ".join(n for n in (_bib_csl_name(x) for x in rec.get("editor", ())) if n)
    if editors:
        fields.append(f"  editor = {{{editors}}},\n")
    title = text(rec.get("container-title"))
    if title:
        fields.append(f"  title = {{{{{title}}}}},\n")
    for name, value in (("series", rec.get("collection-title")), ("number", rec.get("volume")),
                        ("publisher", rec.get("publisher")), ("location", vol.place)):
        fields.append(_field_line(name, value))
    year = (vol.year or "").strip()
    if year:
        # BibLaTeX dates are ISO 8601; any other year is kept as text
        fields.append(f"  date = {{{year}}},\n" if _EDTF.fullmatch(year) else _field_line("addendum", year))
    fields.append("}\n\n")
    return "".join(fields)


def position(number: str | None, page: str | None) -> str:
    parts = [f"no. {text(number)}" if number and text(number) else "",
             pages_text(text(page)) if page and text(page) else ""]
    return ", ".join(p for p in parts if p)


def biblatex_from_csl(rec: dict, entry: Entry) -> str:
    """One entry straight from the mapping's record (the reference the fast path must equal)."""
    fields, add, parts = csl_entry_start(rec, entry, BIBLATEX_TYPE)
    issued = rec.get("issued") or {}
    if parts[0] is not None:
        fields.append(f"  date = {{{bib_date(parts[0], parts[1], parts[2], bool(issued.get('circa')))}}},\n")
    add("location", entry.place)
    recipients = " and ".join(v for v in (_bib_csl_name(n) for n in rec.get("recipient", ())) if v)
    if recipients:
        fields.append(f"  namea = {{{recipients}}},\n  nameatype = {{recipient}},\n")
    add("library", ", ".join(x for x in (rec.get("archive"), rec.get("archive_location")) if x))
    lang = rec.get("language")
    add("langid", LANGID.get(lang.split("-", 1)[0].lower()) if lang else None, str)
    add("url", rec.get("URL"), bib_url)
    add("abstract", entry.description)
    fields.append(f"  related = {{{edition_key(entry)}}},\n  relatedstring = {{Printed in}},\n")
    add("addendum", position(rec.get("number"), rec.get("page")), str)
    fields.append("}\n\n")
    return "".join(fields)


def _volume_info(entry: Entry) -> tuple:
    vol = entry.volume
    langs = vol.languages
    base = f"{vol.base_url.rstrip('/')}/" if vol.base_url else ""  # as Entry.iri builds it
    return (vol, collection_entry(entry_to_csl(entry), entry), langs[0] if langs else "", base,
            bool(base) and not _URL_BAD.search(base),
            f"  related = {{{edition_key(entry)}}},\n  relatedstring = {{Printed in}},\n")


def write_biblatex(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write one BibLaTeX entry per entry (and one ``@collection`` per volume, before its first
    entry) to ``out`` (UTF-8); return the number of entries written for ``entries``.

    ``fallbacks`` collects the ids of volumes written through the mapping because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    lines: dict = {}
    dates: dict = {}
    titles: dict = {}
    volumes: dict[int, tuple] = {}
    written: set[str] = set()  # volumes whose @collection is out (one key each: never twice)
    out_chunks = Chunks(out)
    collection = ""  # a volume's @collection, written before its first entry
    cur_vol = None
    vol_lang, base, base_safe, related = "", "", False, ""
    for e in entries:
        vol = e.volume
        check = False
        if vol is not cur_vol:
            info, check = volume_info(volumes, e, _volume_info)
            key = edition_key(e)
            if key not in written:
                written.add(key)
                # the @collection is not a record of ``entries``: it joins the next one's parts
                collection = (info[1] if info[1] is not None else collection_entry(entry_to_csl(e), e))
            if info[1] is None:  # this volume goes through the mapping (see the guard below)
                out_chunks.add((collection.encode("utf-8"), biblatex_from_csl(entry_to_csl(e), e).encode("utf-8")))
                collection = ""
                continue
            cur_vol = vol
            _, _, vol_lang, base, base_safe, related = info
        genre = e.genre
        head = lines.get(genre)
        if head is None:
            head = lines[genre] = f"@{BIBLATEX_TYPE[CSL_TYPE.get(genre or '', 'manuscript')]}{{"
        kind = e.kind if genre != "diary" else None
        type_line = lines.get(("type", kind))
        if type_line is None:
            type_line = lines[("type", kind)] = _field_line("type", kind)
        place = e.place
        place_line = lines.get(("location", place))
        if place_line is None:
            if len(lines) > 8192:
                lines.clear()
            place_line = lines[("location", place)] = _field_line("location", place)
        lang = e.language or vol_lang
        lang_line = lines.get(("langid", lang))
        if lang_line is None:
            code = LANGID.get(lang.split("-", 1)[0].lower(), "") if lang else ""
            lang_line = lines[("langid", lang)] = f"  langid = {{{code}}},\n" if code else ""
        title = e.title
        title_line = titles.get(title)
        if title_line is None:
            if len(titles) > 4096:
                titles.clear()
            t = text(title)
            title_line = titles[title] = f"  title = {{{{{t}}}}},\n" if t else ""
        people = e.authors
        if people:
            p = people[0]
            pkey = (p.literal, p.family, p.given)
            hit = lines.get(("author", pkey)) if len(people) == 1 else None
            if hit is None:
                authors = _cached_names(people, names)
                hit = (f"  author = {{{authors}}},\n" if authors else "",
                       key_prefix([p]) if csl_name(p) else key_prefix(people))
                if len(people) == 1:
                    lines[("author", pkey)] = hit
            author, who = hit
        else:
            author, who = "", "Anon"
        people = e.recipients
        if people:
            recipients = _cached_names(people, names)
            recipient = f"  namea = {{{recipients}}},\n  nameatype = {{recipient}},\n" if recipients else ""
        else:
            recipient = ""
        eid = e.id
        simple_id = eid.isascii() and eid.isalnum()
        kid = eid if simple_id else key_id(eid)
        d = e.date
        dkey = (d.year, d.month, d.day, d.approximate)
        hit = dates.get(dkey)
        if hit is None:
            if len(dates) > 8192:
                dates.clear()
            hit = dates[dkey] = ((f"  date = {{{bib_date(d.year, d.month, d.day, d.approximate)}}},\n"
                                  if d.year is not None else ""), key_year(d.year))
        date, year = hit
        url = entry_url(e, base, base_safe, simple_id)
        page = page_text(e)
        number, repo, aid, desc = e.number, e.repository, e.archival_id, e.description
        raw = f"{number or ''}{page}{repo or ''}{aid or ''}{desc or ''}"
        if plain_values(raw):  # one escaping check for all of the entry's own values
            number = number.strip(" ") if number else ""
            page = page.strip(" ")
            desc = desc.strip(" ") if desc else ""
            library = f"{repo}, {aid}" if repo and aid else (repo or aid or "")
            # the joint itself can make a pair TeX reads differently ("x," + ", y")
            library = library.strip(" ") if ",," not in library and "  " not in library else text(library)
        else:
            number, page, desc = (tex(x) if x else "" for x in (number, page, desc))
            library = text(f"{repo}, {aid}" if repo and aid else (repo or aid or ""))
        if number:
            addendum = f"no. {number}, pp. {page}" if "-" in page else (
                f"no. {number}, p. {page}" if page else f"no. {number}")
        else:
            addendum = (f"pp. {page}" if "-" in page else f"p. {page}") if page else ""
        body = (f"{head}{who}{year}-{kid},\n{author}{title_line}{type_line}{date}{place_line}{recipient}"
                f"{f'  library = {{{library}}},{NL}' if library else ''}{lang_line}"
                f"{f'  url = {{{url}}},{NL}' if url else ''}"
                f"{f'  abstract = {{{desc}}},{NL}' if desc else ''}{related}"
                f"{f'  addendum = {{{addendum}}},{NL}' if addendum else ''}"
                "}\n\n")
        if check:  # the guard on the volume's first entry (see check_volume)
            reference = check_volume(body, biblatex_from_csl(entry_to_csl(e), e), volumes, vol, fallbacks)
            if reference is not None:
                body = reference
                cur_vol = None
        if collection:
            out_chunks.add((collection.encode("utf-8"), body.encode("utf-8")))
            collection = ""
        else:
            out_chunks.add((body.encode("utf-8"),))
    return out_chunks.close()
