"""RIS writer (Zotero's RIS importer is the reference reader).

One record per entry: ``TY`` first, ``ER`` last, one ``TAG  - value`` line per value, CRLF line
ends, UTF-8 without BOM.  A value never spans lines: every line-break character
(:data:`~exporter.formats.references.LINE_BREAKS`) becomes a space and the value is trimmed, so
no title can end a record or start a forged one.  Empty values are left out.
"""

from __future__ import annotations

from typing import BinaryIO, Iterable

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry, Person
from .common import CHUNK, LINE_BREAKS, volume_info

ONE_LINE = str.maketrans({c: " " for c in LINE_BREAKS})

#: CSL type -> RIS ``TY``.
RIS_TYPE = {"personal_communication": "PCOMM", "manuscript": "MANSCPT"}
CRLF = "\r\n"
TY_LINE = {k: f"TY  - {v}\r\n" for k, v in RIS_TYPE.items()}


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


#: Volume-level CSL variables -> RIS tags (taken from the mapping once per volume).
VOLUME_TAGS = (("container-title", "T2"), ("collection-title", "T3"), ("volume", "VL"),
               ("publisher", "PB"), ("publisher-place", "CY"))


def _volume_lines(entry: Entry) -> str:
    """The lines every entry of a volume shares, from the mapping of one of its entries."""
    rec = entry_to_csl(entry)
    lines = []
    for key, tag in VOLUME_TAGS:
        value = rec.get(key)
        if value:
            v = one_line(str(value))
            if v:
                lines.append(f"{tag}  - {v}\r\n")
    for name in rec.get("editor", ()):
        v = ris_name(name)
        if v:
            lines.append(f"A3  - {v}\r\n")
    return "".join(lines)


def _cached_name(p: Person, cache: dict) -> str:
    key = (p.literal, p.family, p.given)
    v = cache.get(key)
    if v is None:
        if len(cache) > 4096:  # bounded: names repeat, but a run must not grow without limit
            cache.clear()
        v = cache[key] = ris_name(csl_name(p))
    return v


def _has_break(raw: str) -> bool:
    """Whether ``raw`` holds any line-break character (fast C scans; most values have none)."""
    return ("\n" in raw or "\r" in raw or "\v" in raw or "\f" in raw or "\x1c" in raw or "\x1d" in raw
            or "\x1e" in raw or (not raw.isascii() and ("\x85" in raw or "\u2028" in raw or "\u2029" in raw)))


def _volume_info(entry: Entry) -> tuple:
    vol = entry.volume
    langs = vol.languages
    base = f"{vol.base_url.rstrip('/')}/" if vol.base_url else ""  # as Entry.iri builds it
    return vol, _volume_lines(entry), langs[0] if langs else "", base, f"{vol.id}:"


def _names_block(tag: str, people: list[Person], cache: dict) -> str:
    out = []
    for p in people:
        v = _cached_name(p, cache)
        if v:
            out.append(f"{tag}  - {v}\r\n")
    return "".join(out)


def _record_slow(e: Entry, ty: str, kind: str | None, lang: str, url: str, qid: str,
                 first: str, last: str, au: str, a2: str, vol_lines: str) -> str:
    """A record whose values hold line breaks: every value through :func:`one_line`."""
    lines = [ty]
    for tag, value in (("ID", qid), ("TI", e.title)):
        v = one_line(value) if value else ""
        if v:
            lines.append(f"{tag}  - {v}\r\n")
    lines.append(au)
    lines.append(a2)
    lines.append(_date_lines(e))
    for tag, value in (("M3", kind), ("M1", e.number), ("SP", first), ("EP", last), ("LA", lang),
                       ("DB", e.repository), ("AN", e.archival_id), ("UR", url), ("N1", e.description)):
        v = one_line(value) if value else ""
        if v:
            lines.append(f"{tag}  - {v}\r\n")
    lines.append(vol_lines)
    lines.append("ER  - \r\n\r\n")
    return "".join(lines)


def _date_lines(e: Entry) -> str:
    d = e.date
    y = d.year
    if y is None:
        return ""
    return f"DA  - {ris_date(y, d.month, d.day, d.approximate)}\r\nPY  - {y:04d}\r\n"


def ris_from_csl(rec: dict, entry: Entry) -> str:
    """One record straight from the mapping's record (the reference the fast path must equal).

    Only the description (not a CSL variable) and the page bounds come from the entry."""
    lines = [TY_LINE.get(rec["type"], TY_LINE["manuscript"])]

    def add(tag: str, value) -> None:
        v = one_line(str(value)) if value is not None else ""
        if v:
            lines.append(f"{tag}  - {v}\r\n")

    add("ID", rec.get("id"))
    add("TI", rec.get("title"))
    for tag, key in (("AU", "author"), ("A2", "recipient")):
        for name in rec.get(key, ()):
            v = ris_name(name)
            if v:
                lines.append(f"{tag}  - {v}\r\n")
    issued = rec.get("issued")
    if issued and issued.get("date-parts"):
        y, m, d = (list(issued["date-parts"][0]) + [None, None])[:3]
        lines.append(f"DA  - {ris_date(y, m, d, bool(issued.get('circa')))}\r\nPY  - {y:04d}\r\n")
    add("M3", rec.get("genre"))
    add("M1", rec.get("number"))
    page = rec.get("page")
    bounds = next(((lay.pages[0], lay.pages[-1]) for lay in entry.layers.values() if lay.pages), None)
    if page and bounds and page in (bounds[0], f"{bounds[0]}-{bounds[1]}"):
        add("SP", bounds[0])
        if bounds[1] != bounds[0]:
            add("EP", bounds[1])
    else:
        add("SP", page)
    add("LA", rec.get("language"))
    add("DB", rec.get("archive"))
    add("AN", rec.get("archive_location"))
    add("UR", rec.get("URL"))
    add("N1", entry.description)
    for key, tag in VOLUME_TAGS:
        add(tag, rec.get(key))
    for name in rec.get("editor", ()):
        v = ris_name(name)
        if v:
            lines.append(f"A3  - {v}\r\n")
    lines.append("ER  - \r\n\r\n")
    return "".join(lines)


def write_ris(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write one RIS record per entry to ``out`` (UTF-8, CRLF); return the record count.

    ``fallbacks`` collects the ids of volumes written through the mapping because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    dates: dict = {}  # formatting a date costs more than looking it up; dates repeat
    # Titles repeat too (the FRUS volume's 478 entries have 96) and are the values most often
    # non-ASCII, whose line-break scan costs the most: their whole TI line is cached.
    titles: dict = {}
    # Whole lines for other values that repeat (entry types, kinds, languages, single names):
    # one dict lookup instead of trimming and formatting per record.
    lines: dict = {}
    # Entries come volume by volume: the volume's lookup and unpacking are skipped while it stays.
    cur_vol, vol_lines, vol_lang, base, vol_prefix = None, None, "", "", ""
    volumes: dict[int, tuple] = {}
    buf: list[str] = []
    count = 0
    for e in entries:
        vol = e.volume
        check = False
        if vol is not cur_vol:
            info, check = volume_info(volumes, e, _volume_info)
            cur_vol = vol
            vol_lines = info[1]
            if vol_lines is not None:
                _, vol_lines, vol_lang, base, vol_prefix = info
        if vol_lines is None:  # this volume goes through the mapping (see the guard below)
            buf.append(ris_from_csl(entry_to_csl(e), e))
            count += 1
            if len(buf) >= CHUNK:
                out.write("".join(buf).encode("utf-8"))
                buf.clear()
            continue
        genre = e.genre
        ty = lines.get(genre)
        if ty is None:
            ty = lines[genre] = TY_LINE[CSL_TYPE.get(genre or "", "manuscript")]
        kind = e.kind if genre != "diary" else None
        m3 = lines.get(("M3", kind))
        if m3 is None:
            if len(lines) > 4096:
                lines.clear()
            v = one_line(kind) if kind else ""
            m3 = lines[("M3", kind)] = f"M3  - {v}{CRLF}" if v else ""
        title, number, repo, aid, desc = e.title, e.number, e.repository, e.archival_id, e.description
        lang = e.language or vol_lang
        la = lines.get(("LA", lang))
        if la is None:
            v = one_line(lang) if lang else ""
            la = lines[("LA", lang)] = f"LA  - {v}{CRLF}" if v else ""
        url = f"{base}{e.local_id}" if base else ""
        qid = f"{vol_prefix}{e.local_id}"
        first = last = ""
        for layer in e.layers.values():
            pages = layer.pages
            if pages:
                first = pages[0]
                if pages[-1] != first:
                    last = pages[-1]
                break
        authors = e.authors
        if not authors:
            au = ""
        elif len(authors) == 1:
            p = authors[0]
            key = ("AU", p.literal, p.family, p.given)
            au = lines.get(key)
            if au is None:
                v = _cached_name(p, names)
                au = lines[key] = f"AU  - {v}\r\n" if v else ""
        else:
            au = _names_block("AU", authors, names)
        recipients = e.recipients
        if not recipients:
            a2 = ""
        elif len(recipients) == 1:
            p = recipients[0]
            key = ("A2", p.literal, p.family, p.given)
            a2 = lines.get(key)
            if a2 is None:
                v = _cached_name(p, names)
                a2 = lines[key] = f"A2  - {v}\r\n" if v else ""
        else:
            a2 = _names_block("A2", recipients, names)
        ti = titles.get(title)
        if ti is None:
            if len(titles) > 4096:
                titles.clear()
            t = (one_line(title) if _has_break(title) else title.strip()) if title else ""
            ti = titles[title] = f"TI  - {t}{CRLF}" if t else ""
        raw = f"{qid}{number or ''}{repo or ''}{aid or ''}{desc or ''}{url}{first}{last}"
        if _has_break(raw):
            buf.append(_record_slow(e, ty, kind, lang, url, qid, first, last, au, a2, vol_lines))
        else:
            # The common case, one f-string per record: values need only trimming.
            d = e.date
            dkey = (d.year, d.month, d.day, d.approximate)
            da = dates.get(dkey)
            if da is None:
                if len(dates) > 8192:
                    dates.clear()
                da = dates[dkey] = _date_lines(e)
            qid = qid.strip()
            number = number.strip() if number else ""
            first = first.strip()
            last = last.strip()
            repo = repo.strip() if repo else ""
            aid = aid.strip() if aid else ""
            url = url.strip()
            desc = desc.strip() if desc else ""
            buf.append(
                f"{ty}{f'ID  - {qid}{CRLF}' if qid else ''}{ti}{au}{a2}{da}"
                f"{m3}{f'M1  - {number}{CRLF}' if number else ''}"
                f"{f'SP  - {first}{CRLF}' if first else ''}{f'EP  - {last}{CRLF}' if last else ''}"
                f"{la}{f'DB  - {repo}{CRLF}' if repo else ''}"
                f"{f'AN  - {aid}{CRLF}' if aid else ''}{f'UR  - {url}{CRLF}' if url else ''}"
                f"{f'N1  - {desc}{CRLF}' if desc else ''}{vol_lines}ER  - {CRLF}{CRLF}")
        if check:
            # Guard: the first record of each volume must equal the one written from the mapping;
            # if the mapping changed in a way this writer does not follow, use it for the volume.
            reference = ris_from_csl(entry_to_csl(e), e)
            if buf[-1] != reference:
                buf[-1] = reference
                volumes[id(vol)] = (vol, None)
                vol_lines = None
                if fallbacks is not None:
                    fallbacks.append(vol.id)
        count += 1
        if len(buf) >= CHUNK:
            out.write("".join(buf).encode("utf-8"))
            buf.clear()
    if buf:
        out.write("".join(buf).encode("utf-8"))
    return count
