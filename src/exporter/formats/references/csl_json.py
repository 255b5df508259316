"""CSL-JSON writer: a JSON array of :func:`exporter.csl.entry_to_csl` records, one per line.

Streamed: ``[``, the records separated by ``,``, ``]`` -- never a list of all records.

Calling the mapping and the JSON encoder for every entry is the slow part of a large export, so
records are written as JSON text directly: the volume's variables (container title, editors,
publisher, ...) are taken from the mapping once per volume and encoded once, names and dates
are encoded once per distinct value, and the entry's own variables are read from the
:class:`~exporter.model.Entry` as the mapping reads them.  A guard keeps this honest at run
time: the first entry of every volume is also mapped with :func:`entry_to_csl` and, if the two
records differ (the mapping changed in a way this writer does not know), the whole volume is
written through the mapping instead.  The tests compare every record with the mapping.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _s  # the C encoder used for ensure_ascii=False
from typing import BinaryIO, Iterable

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry, Person
from .common import CHUNK
from .zotero import edition_lines, extra_name, one_line, zotero_record

# One encoder for the run: json.dumps with non-default arguments builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

K_TITLE, K_ARCHIVE, K_LOCATION, K_PAGE, K_LANGUAGE, K_GENRE, K_NUMBER, K_URL, K_PLACE, K_ABSTRACT, K_NOTE = (
    f',"{k}":' for k in ("title", "archive", "archive_location", "page", "language", "genre", "number", "URL",
                         "event-place", "abstract", "note"))

#: Mapping variables that come from the volume, in the mapping's order (``editor`` and
#: ``publisher-place`` are not written: they go to ``note``, see :func:`~.zotero.zotero_record`).
VOLUME_KEYS = ("container-title", "publisher", "collection-title", "volume")


def _volume_info(entry: Entry) -> tuple:
    rec = entry_to_csl(entry)
    fragment = "".join(f",{_s(k)}:{_encode(rec[k])}" for k in VOLUME_KEYS if k in rec)
    note = "\n".join(f"{k}: {v}" for k, v in edition_lines(rec, entry))
    langs = entry.volume.languages
    base = f"{entry.volume.base_url.rstrip('/')}/" if entry.volume.base_url else ""  # as Entry.iri
    # JSON escapes character by character, so the volume's lines are encoded once here (without
    # the closing quote) and each entry's lines appended encoded (without the opening one).
    return entry.volume, fragment, langs[0] if langs else None, base, f"{entry.volume.id}:", _s(note)[:-1], note


def _names(key: str, people: list[Person], cache: dict) -> str:
    parts = []
    for p in people:
        k = (p.literal, p.family, p.given)
        v = cache.get(k)
        if v is None:
            if len(cache) > 4096:
                cache.clear()
            name = csl_name(p)
            v = cache[k] = (_encode(name), extra_name(name)) if name else ("", "")
        if v[0]:
            parts.append(v[0])
    return f',"{key}":[{",".join(parts)}]' if parts else ""


def _extra_names(people: list[Person], cache: dict) -> list[str]:
    out = []
    for p in people:
        k = (p.literal, p.family, p.given)
        v = cache.get(k)
        if v is None:
            name = csl_name(p)
            v = cache[k] = (_encode(name), extra_name(name)) if name else ("", "")
        if v[1]:
            out.append(f"recipient: {v[1]}")
    return out


def _has_break(raw: str) -> bool:
    """Whether ``raw`` holds any line-break character (fast C scans; most values have none)."""
    return ("\n" in raw or "\r" in raw or "\v" in raw or "\f" in raw or "\x1c" in raw or "\x1d" in raw
            or "\x1e" in raw or (not raw.isascii() and ("\x85" in raw or "\u2028" in raw or "\u2029" in raw)))


def _record(e: Entry, info: tuple, names: dict, dates: dict, places: dict) -> str:
    """One record as JSON text, equal (as JSON) to ``zotero_record(e)``."""
    _, fragment, vol_lang, base, prefix, vol_note, vol_note_text = info
    genre = e.genre
    ctype = CSL_TYPE.get(genre or "", "manuscript")
    d = e.date
    dkey = (d.year, d.month, d.day, d.approximate)
    issued = dates.get(dkey)
    if issued is None:
        if len(dates) > 8192:
            dates.clear()
        if d.year is None:
            issued = ""
        else:
            parts = [d.year] + ([d.month] if d.month else []) + ([d.day] if d.month and d.day else [])
            issued = ',"issued":' + _encode({"date-parts": [parts], **({"circa": True} if d.approximate else {})})
        dates[dkey] = issued
    title, repo, aid, kind, number, desc = e.title, e.repository, e.archival_id, e.kind, e.number, e.description
    page = None
    for layer in e.layers.values():
        pages = layer.pages
        if pages:
            page = pages[0] if pages[0] == pages[-1] else f"{pages[0]}-{pages[-1]}"
            break
    lang = e.language or vol_lang
    letter = ctype == "personal_communication"
    place = e.place
    hit = places.get((place, letter))
    if hit is None:
        if len(places) > 4096:
            places.clear()
        v = one_line(place) if place else ""
        # the place of writing as a variable, and (a letter has no Place field) as an Extra line
        hit = places[(place, letter)] = (K_PLACE + _s(v) if v else "", f"event-place: {v}" if v and letter else "")
    place_json, place_line = hit
    extra = []
    if _has_break(f"{number or ''}{page or ''}"):
        number_v, page_v = (one_line(x) if x else "" for x in (number, page))
    else:
        number_v, page_v = number.strip() if number else "", page.strip() if page else ""
    if number_v:
        extra.append(f"number: {number_v}")
    if page_v:
        extra.append(f"page: {page_v}")
    if place_line:
        extra.append(place_line)
    elif not letter and e.recipients:
        extra += _extra_names(e.recipients, names)
    if extra:
        rest = "\n".join(extra)
        note = (f"{vol_note}{_s(chr(10) + rest)[1:]}" if vol_note_text else _s(rest))
    else:
        note = f'{vol_note}"' if vol_note_text else ""
    return (
        f'{{"id":{_s(prefix + e.local_id)},"type":"{ctype}"'
        f'{K_TITLE + _s(title) if title else ""}'
        f'{_names("author", e.authors, names) if e.authors else ""}'
        f'{_names("recipient", e.recipients, names) if letter and e.recipients else ""}'
        f'{issued}{place_json}{fragment}'
        f'{K_ARCHIVE + _s(repo) if repo else ""}'
        f'{K_LOCATION + _s(aid) if aid else ""}'
        f'{K_PAGE + _s(page) if page else ""}'
        f'{K_LANGUAGE + _s(lang) if lang else ""}'
        f'{K_GENRE + _s(kind) if kind and genre != "diary" else ""}'
        f'{K_NUMBER + _s(number) if number else ""}'
        f'{K_URL + _s(base + e.local_id) if base else ""}'
        f'{K_ABSTRACT + _s(desc) if desc and desc.strip() else ""}'
        f'{K_NOTE + note if note else ""}}}')


def write_csl_json(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write the entries' CSL-JSON records as a JSON array to ``out``; return the record count.

    ``fallbacks`` collects the ids of volumes written through the mapping because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    dates: dict = {}
    places: dict = {}
    volumes: dict[int, tuple] = {}
    count = 0
    buf: list[str] = ["[\n"]
    sep = ""
    for e in entries:
        vol = e.volume
        info = volumes.get(id(vol))
        if info is None or info[0] is not vol:
            if len(volumes) > 256:
                volumes.clear()
            info = _volume_info(e)
            if json.loads(_record(e, info, names, dates, places)) != zotero_record(e):
                info = (vol, None)  # the mapping knows more than this writer: use it for the volume
                if fallbacks is not None:
                    fallbacks.append(vol.id)
            volumes[id(vol)] = info
        buf.append(sep)
        buf.append(_encode(zotero_record(e)) if info[1] is None else _record(e, info, names, dates, places))
        sep = ",\n"
        count += 1
        if len(buf) >= 2 * CHUNK:
            out.write("".join(buf).encode("utf-8"))
            buf.clear()
    buf.append("\n]\n")
    out.write("".join(buf).encode("utf-8"))
    return count
