"""RIS writer, for Zotero's RIS importer (RIS.js): every tag is one RIS.js maps to the right field.

One record per entry: ``TY`` first, ``ER`` last, one ``TAG  - value`` line per value, CRLF line
ends, UTF-8 without BOM.  A value never spans lines: every line-break character
(:data:`~exporter.formats.references.common.LINE_BREAKS`) becomes a space and the value is trimmed, so
no title can end a record or start a forged one.  Empty values are left out.

``PCOMM`` imports as a Zotero letter, ``MANSCPT`` as a manuscript.  What those item types have no
field for (the edition, a letter's place of writing, a manuscript's recipients) is written as
``M2`` lines, ``Name: value``, which RIS.js puts in Extra (:mod:`exporter.formats.references.zotero`).
The tag table is in ``docs/references.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry, Person
from .common import LINE_BREAKS, Chunks, check_volume, page_span, volume_info
from .zotero import ZOTERO_TYPE, edition_lines, extra_name, zotero_record

ONE_LINE = str.maketrans({c: " " for c in LINE_BREAKS})

#: CSL type -> RIS ``TY`` (RIS.js exportTypeMap: letter "PCOMM", manuscript "MANSCPT").
RIS_TYPE = {"personal_communication": "PCOMM", "manuscript": "MANSCPT"}
CRLF = "\r\n"
TY_LINE = {k: f"TY  - {v}\r\n" for k, v in RIS_TYPE.items()}
END = b"ER  - \r\n\r\n"


def one_line(value: str) -> str:
    """A value as RIS writes it: line breaks become spaces, then trimmed."""
    return value.translate(ONE_LINE).strip()


def ris_name(name: dict | None) -> str:
    """A CSL name as RIS writes it: ``Family, Given`` or the literal (one line, trimmed)."""
    if not name:
        return ""
    literal = name.get("literal")
    if literal is not None:
        return one_line(literal)
    family = one_line(name.get("family") or "")
    given = one_line(name.get("given") or "")
    if family and given:
        return f"{family}, {given}"
    return family or given


def ris_date(year: int, month: int | None, day: int | None, circa: bool) -> str:
    """``YYYY/MM/DD/`` as Zotero writes ``DA`` (unknown parts empty; ``circa`` in the last part)."""
    return (f"{year:04d}/{month:02d}/" if month else f"{year:04d}//") + (
        f"{day:02d}/" if month and day else "/") + ("circa" if circa else "")


def _m2(lines: list[tuple[str, str]]) -> str:
    return "".join(f"M2  - {k}: {v}\r\n" for k, v in lines)


def ris_from_csl(rec: dict | None, entry: Entry) -> str:
    """One record straight from the Zotero record (:func:`~exporter.formats.references.zotero.zotero_record`):
    the reference the fast path must equal."""
    zrec = zotero_record(entry) if rec is None else rec
    lines = [TY_LINE.get(zrec["type"], TY_LINE["manuscript"])]

    def add(tag: str, value) -> None:
        v = one_line(str(value)) if value is not None else ""
        if v:
            lines.append(f"{tag}  - {v}\r\n")

    add("ID", zrec.get("id"))
    add("TI", zrec.get("title"))
    m2_names = []
    for tag, key in (("AU", "author"), ("A2", "recipient")):
        for name in zrec.get(key, ()):
            if _single_field(name):
                m2_names.append(f"{key}: {extra_name(name)}")
            else:
                add(tag, ris_name(name))
    issued = zrec.get("issued")
    if issued and issued.get("date-parts"):
        y, m, d = (list(issued["date-parts"][0]) + [None, None])[:3]
        lines.append(f"DA  - {ris_date(y, m, d, bool(issued.get('circa')))}\r\nPY  - {y:04d}\r\n")
    add("M3", zrec.get("genre"))
    if ZOTERO_TYPE[zrec["type"]] == "manuscript":
        add("CY", zrec.get("event-place"))  # RIS.js fieldMap.CY: place (a manuscript's Place)
    add("LA", zrec.get("language"))
    add("DB", zrec.get("archive"))
    add("AN", zrec.get("archive_location"))
    add("UR", zrec.get("URL"))
    add("AB", zrec.get("abstract"))
    for line in (zrec.get("note") or "").split("\n") + m2_names:
        add("M2", line)
    lines.append("ER  - \r\n\r\n")
    return "".join(lines)


def _single_field(name: dict) -> bool:
    """A single-field name with a comma: RIS.js would split it at the comma into last and first
    name (processTag: ``value.split(/\\s*,\\s*/)``), so it is written as an ``M2`` line
    ``author: Name`` / ``recipient: Name``, which Zotero turns into a single-field creator."""
    return "literal" in name and "," in name["literal"]


def _cached_name(p: Person, cache: dict) -> tuple[str, str, bool]:
    key = (p.literal, p.family, p.given)
    v = cache.get(key)
    if v is None:
        if len(cache) > 4096:  # bounded: names repeat, but a run must not grow without limit
            cache.clear()
        name = csl_name(p)
        v = cache[key] = ((ris_name(name), extra_name(name), _single_field(name)) if name else ("", "", False))
    return v


def _has_break(raw: str) -> bool:
    """Whether ``raw`` holds any line-break character (fast C scans; most values have none)."""
    return ("\n" in raw or "\r" in raw or "\v" in raw or "\f" in raw or "\x1c" in raw or "\x1d" in raw
            or "\x1e" in raw or (not raw.isascii() and ("\x85" in raw or "\u2028" in raw or "\u2029" in raw)))


def _volume_info(entry: Entry) -> tuple:
    vol = entry.volume
    langs = vol.languages
    base = f"{vol.base_url.rstrip('/')}/" if vol.base_url else ""  # as Entry.iri builds it
    return (vol, _m2(edition_lines(entry_to_csl(entry), entry)).encode("utf-8"), langs[0] if langs else "", base,
            f"{vol.id}:")


def _line(tag: str, value: str | None) -> str:
    v = one_line(value) if value else ""
    return f"{tag}  - {v}{CRLF}" if v else ""


def _names(tag: str, key: str, people: list[Person], cache: dict, lines: dict) -> tuple[bytes, bytes]:
    """The ``tag`` lines of ``people`` and the ``M2`` lines of those written as Extra lines (UTF-8)."""
    if len(people) == 1:
        p = people[0]
        ckey = (tag, p.literal, p.family, p.given)
        out = lines.get(ckey)
        if out is None:
            if len(lines) > 8192:
                lines.clear()
            out = lines[ckey] = _names_uncached(tag, key, people, cache)
        return out
    return _names_uncached(tag, key, people, cache)


def _names_uncached(tag: str, key: str, people: list[Person], cache: dict) -> tuple[bytes, bytes]:
    inline, extra = [], []
    for p in people:
        ris, ext, single = _cached_name(p, cache)
        if tag == "M2" or single:
            if ext:
                extra.append(f"M2  - {key}: {ext}{CRLF}")
        elif ris:
            inline.append(f"{tag}  - {ris}{CRLF}")
    return "".join(inline).encode("utf-8"), "".join(extra).encode("utf-8")


def write_ris(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write one RIS record per entry to ``out`` (UTF-8, CRLF); return the record count.

    ``fallbacks`` collects the ids of volumes written through the plain path because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    dates: dict = {}  # formatting a date costs more than looking it up; dates repeat
    # Titles repeat (the FRUS volume's 478 entries have 96) and are the values most often
    # non-ASCII, whose line-break scan costs the most: their whole TI line is cached.
    titles: dict = {}
    # Whole lines for other values that repeat (types, kinds, languages, places, names).
    lines: dict = {}
    cur_vol, vol_m2, vol_lang, base, vol_prefix = None, None, "", "", ""
    volumes: dict[int, tuple] = {}
    # The cached lines are kept UTF-8 encoded and the output is joined as bytes: one non-ASCII
    # name or title makes a joined chunk a wide string that UTF-8 encodes character by
    # character, while the per-entry parts left to encode are nearly always ASCII (a copy).
    out_chunks = Chunks(out)
    for e in entries:
        vol = e.volume
        check = False
        if vol is not cur_vol:
            info, check = volume_info(volumes, e, _volume_info)
            cur_vol = vol
            vol_m2 = info[1]
            if vol_m2 is not None:
                _, vol_m2, vol_lang, base, vol_prefix = info
        if vol_m2 is None:  # this volume goes through the plain path (see the guard below)
            out_chunks.add((ris_from_csl(None, e).encode("utf-8"),))
        else:
            genre = e.genre
            head = lines.get(genre)
            if head is None:
                ctype = CSL_TYPE.get(genre or "", "manuscript")
                head = lines[genre] = (TY_LINE[ctype].encode(), ZOTERO_TYPE[ctype] == "letter")
            ty, is_letter = head
            kind = e.kind if genre != "diary" else None
            m3 = lines.get(("M3", kind))
            if m3 is None:
                m3 = lines[("M3", kind)] = _line("M3", kind).encode("utf-8")
            lang = e.language or vol_lang
            la = lines.get(("LA", lang))
            if la is None:
                la = lines[("LA", lang)] = _line("LA", lang).encode("utf-8")
            place = e.place
            pl = lines.get(("PL", is_letter, place))
            if pl is None:
                if len(lines) > 8192:
                    lines.clear()
                v = one_line(place) if place else ""
                # a manuscript's place of writing is its Place (CY); a letter has no such field
                pl = lines[("PL", is_letter, place)] = (
                    (f"M2  - event-place: {v}{CRLF}" if is_letter else f"CY  - {v}{CRLF}") if v else "").encode("utf-8")
            title = e.title
            ti = titles.get(title)
            if ti is None:
                if len(titles) > 4096:
                    titles.clear()
                ti = titles[title] = _line("TI", title).encode("utf-8")
            d = e.date
            dkey = (d.year, d.month, d.day, d.approximate)
            da = dates.get(dkey)
            if da is None:
                if len(dates) > 8192:
                    dates.clear()
                y = d.year
                da = dates[dkey] = (f"DA  - {ris_date(y, d.month, d.day, d.approximate)}{CRLF}PY  - {y:04d}{CRLF}"
                                    if y is not None else "").encode()
            au, au_m2 = _names("AU", "author", e.authors, names, lines) if e.authors else (b"", b"")
            recipients = e.recipients
            rc, rc_m2 = (_names("A2" if is_letter else "M2", "recipient", recipients, names, lines)
                         if recipients else (b"", b""))
            first, last = page_span(e)
            page = f"{first}-{last}" if last else first
            number, repo, aid, desc = e.number, e.repository, e.archival_id, e.description
            url = f"{base}{e.local_id}" if base else ""
            qid = f"{vol_prefix}{e.local_id}"
            raw = f"{qid}{number or ''}{repo or ''}{aid or ''}{desc or ''}{url}{page}"
            if _has_break(raw):
                qid, number, repo, aid, desc, url, page = (
                    one_line(x) if x else "" for x in (qid, number, repo, aid, desc, url, page))
            else:
                # The common case: values need only trimming.
                qid = qid.strip()
                number = number.strip() if number else ""
                repo = repo.strip() if repo else ""
                aid = aid.strip() if aid else ""
                desc = desc.strip() if desc else ""
                url = url.strip()
                page = page.strip()
            # The record's own lines, the same for both kinds; only the order around them differs.
            id_line = f"ID  - {qid}{CRLF}".encode() if qid else b""
            archive = (f"{f'DB  - {repo}{CRLF}' if repo else ''}{f'AN  - {aid}{CRLF}' if aid else ''}"
                       f"{f'UR  - {url}{CRLF}' if url else ''}{f'AB  - {desc}{CRLF}' if desc else ''}").encode()
            position = (f"{f'M2  - number: {number}{CRLF}' if number else ''}"
                        f"{f'M2  - page: {page}{CRLF}' if page else ''}").encode()
            parts: tuple[bytes, ...]
            if is_letter:
                parts = (ty, id_line, ti, au, rc, da, m3, la, archive, vol_m2, position, pl, au_m2, rc_m2, END)
            else:
                parts = (ty, id_line, ti, au, da, m3, pl, la, archive, vol_m2, position, rc_m2, au_m2, END)
            if check:  # the guard on the volume's first record (see check_volume)
                reference = check_volume(b"".join(parts), ris_from_csl(None, e).encode("utf-8"),
                                         volumes, vol, fallbacks)
                if reference is not None:
                    parts = (reference,)
                    vol_m2 = None
            out_chunks.add(parts)
    return out_chunks.close()
