"""BibTeX writer, in the BibLaTeX data model (for Biber), readable by BibTeX tools as well.

Entry types: ``@misc`` for letters and telegrams (CSL ``personal_communication``),
``@unpublished`` for diary entries, memoranda, reports and other manuscripts (CSL
``manuscript``) -- both exist in BibTeX and BibLaTeX.  Every value is escaped for LaTeX
(``\\ { } % & # _ $ ^ ~``) with brace-balanced commands, so BibTeX's and Biber's brace counting
always agrees with the text; whitespace runs (including line breaks) become one space; TeX
ligatures (``--``, ``''``, ``<<`` ...) are broken with ``{}`` so the printed text is the text given;
non-ASCII stays UTF-8.  See ``docs/references.md`` for the field mapping and the key scheme.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import BinaryIO
from urllib.parse import quote

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry, Person
from .common import LINE_BREAKS, Chunks, check_volume, page_span, volume_info

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "\t": " ",
}
_ESCAPES.update({c: " " for c in LINE_BREAKS})
TEX = str.maketrans(_ESCAPES)
TEX_SPACE = str.maketrans({c: " " for c in LINE_BREAKS + "\t"})

# Character pairs TeX fonts turn into one glyph: -- --- `` '' ?` !` << >> ,,
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=[?!])(?=`)|(?<=<)(?=<)|(?<=>)(?=>)|(?<=,)(?=,)")
_HAS_LIGATURE = re.compile(r"--|``|''|[?!]`|<<|>>|,,")
_SPACES = re.compile(" {2,}")
# Characters that may stand in a URL as written; anything else is percent-encoded.
_URL_BAD = re.compile(r"[^!#$%&'()*+,\-./0-9:;=?@A-Z\[\]_a-z~]")
_AND = re.compile(r"(?i)(?:^|\s)and(?:\s|$)")

NL = "\n"

#: Entry types by CSL type.
BIB_TYPE = {"personal_communication": "letter", "manuscript": "unpublished"}

#: Language code -> BibLaTeX ``langid`` (babel/polyglossia name); other codes are left out.
LANGID = {"en": "english", "ru": "russian", "fr": "french", "de": "german", "it": "italian",
          "es": "spanish", "pl": "polish", "uk": "ukrainian", "cs": "czech", "ja": "japanese",
          "zh": "chinese", "la": "latin", "sv": "swedish", "nl": "dutch", "pt": "portuguese"}


def tex(value: str) -> str:
    """Escape a value for a braced BibTeX field (trimmed, whitespace runs as one space)."""
    v = value.translate(TEX)
    if "  " in v:
        v = _SPACES.sub(" ", v)
    v = v.strip(" ")
    if _HAS_LIGATURE.search(v):
        v = _LIGATURE.sub("{}", v)
    return v


def bib_url(url: str) -> str:
    """A URL for BibLaTeX's verbatim ``url`` field: not LaTeX-escaped, but percent-encoded
    wherever a character is not allowed in a URI (spaces, braces, backslash, non-ASCII ...)."""
    url = url.translate(TEX_SPACE).strip()
    if _URL_BAD.search(url):
        url = quote(url, safe="!#$%&'()*+,/:;=?@[]~")
    return url


def _protect_given(given: str) -> str:
    # A comma or a free-standing "and" would split the name list or the name.
    return "{" + given + "}" if ("," in given or _AND.search(given)) else given


def bib_name(person: Person) -> str:
    """One name for an ``author``/``editor`` list: ``{Family}, Given`` or ``{Literal name}``."""
    return _bib_csl_name(csl_name(person))


def _bib_csl_name(name: dict | None) -> str:
    if not name:
        return ""
    literal = name.get("literal")
    if literal is not None:
        v = tex(literal)
        return "{" + v + "}" if v else ""
    family = tex(name.get("family") or "")
    given = tex(name.get("given") or "")
    if family and given:
        return "{" + family + "}, " + _protect_given(given)
    if family or given:
        return "{" + (family or given) + "}"
    return ""


_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
     "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia", "i", "i", "ie", "g"]))
_TRANSLIT = str.maketrans({**{k: v for k, v in _CYRILLIC.items()},
                           **{k.upper(): v.capitalize() for k, v in _CYRILLIC.items()}})
_WORDS = re.compile(r"[A-Za-z0-9]+")
_KEY_SAFE = re.compile(r"[^A-Za-z0-9.:-]")


@lru_cache(maxsize=4096)
def key_name(name: str) -> str:
    """ASCII key part of a name: transliterated, accents dropped, words capitalised, ≤ 24 chars."""
    ascii_ = unicodedata.normalize("NFKD", name.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    words = _WORDS.findall(ascii_)
    return "".join(w[:1].upper() + w[1:] for w in words)[:24] or "Anon"


def key_id(entry_id: str) -> str:
    """The entry id made safe for a key, injectively: ``[A-Za-z0-9.:-]`` kept, any other
    character (``_`` included) written as ``_<hex code point>_``."""
    if (entry_id.isascii() and entry_id.isalnum()) or not _KEY_SAFE.search(entry_id):
        return entry_id
    return _KEY_SAFE.sub(lambda m: f"_{ord(m.group()):x}_", entry_id)


def key_prefix(people: list[Person]) -> str:
    """The key's name part: the first author with a name (family, else the literal), or Anon."""
    for person in people:
        first = csl_name(person)
        if first:
            return key_name(first.get("family") or first.get("literal") or "")
    return "Anon"


def key_year(year: int | None) -> str:
    """The key's year part: the year, ``nd`` without one, ``bc44`` for 44 BC (no ``-``)."""
    return "nd" if year is None else str(year) if year >= 0 else f"bc{-year}"


def bib_key(entry: Entry) -> str:
    """``<first author's family or name><year or nd>-<entry id>``: ASCII, stable, and unique
    because entry ids are (the part before the first ``-`` never contains one)."""
    return f"{key_prefix(entry.authors)}{key_year(entry.date.year)}-{key_id(entry.id)}"


def _names(people: list[Person], cache: dict) -> str:
    out = []
    for p in people:
        k = (p.literal, p.family, p.given)
        v = cache.get(k)
        if v is None:
            if len(cache) > 4096:
                cache.clear()
            v = cache[k] = bib_name(p)
        if v:
            out.append(v)
    return " and ".join(out)


def display_name(name: dict | None) -> str:
    """A CSL name as it is read in running text: ``Given Family``, or the literal."""
    if not name:
        return ""
    if "literal" in name:
        return name["literal"]
    return " ".join(x for x in (name.get("given"), name.get("family")) if x)


def text(value: str | None) -> str:
    """``value`` as LaTeX text: as is (trimmed) when nothing needs escaping, else :func:`tex`."""
    if not value:
        return ""
    return value.strip(" ") if _plain(value) else tex(value)


def pages_text(page: str) -> str:
    return f"pp. {page}" if "-" in page else f"p. {page}"


def edition_text(rec: dict, entry: Entry) -> str:
    """The edition as one line of running text (LaTeX-escaped): title, editors, series and volume,
    imprint (place: publisher, year).  Zotero's BibTeX importer keeps ``howpublished`` in Extra
    as ``Published: ...``."""
    vol = entry.volume
    title = text(rec.get("container-title"))
    editors = " and ".join(t for t in (text(display_name(n)) for n in rec.get("editor", ())) if t)
    series = ", ".join(t for t in (text(rec.get("collection-title")), text(rec.get("volume"))) if t)
    publisher, place, year = text(rec.get("publisher")), text(vol.place), text(vol.year)
    imprint = (f"{place}: {publisher}" if place and publisher else place or publisher)
    imprint = ", ".join(t for t in (imprint, year) if t)
    inside = "; ".join(t for t in (series, imprint) if t)
    out = ", ed. ".join(t for t in (title, editors) if t)
    if inside:
        out = f"{out} ({inside})" if out else inside
    return out


def position_text(number: str | None, page: str | None) -> str:
    """The document's number and pages in the edition, appended to :func:`edition_text`."""
    parts = [f"no. {text(number)}" if number and text(number) else "",
             pages_text(text(page)) if page and text(page) else ""]
    return ", ".join(p for p in parts if p)


def note_text(rec: dict, entry: Entry, letter: bool) -> str:
    """What Zotero's letter or manuscript has no BibTeX field for (BibTeX.js reads no recipient,
    archive or archive location), labelled: a child note in Zotero."""
    parts = []
    recipients = " and ".join(t for t in (text(display_name(n)) for n in rec.get("recipient", ())) if t)
    if recipients:
        parts.append(f"Recipient: {recipients}")
    for label, value in (("Archive", rec.get("archive")), ("Loc. in Archive", rec.get("archive_location")),
                         ("Place", entry.place if letter else None)):
        t = text(value)
        if t:
            parts.append(f"{label}: {t}")
    return "; ".join(parts)


def csl_entry_start(rec: dict, entry: Entry, types: dict[str, str]) -> tuple[list[str], Callable[..., None], list]:
    """The start of a BibTeX or BibLaTeX entry from the mapping's record, shared by the reference
    functions of both: ``(fields, add, date parts)``.

    ``fields`` holds the key line (``types`` maps the CSL type to the entry type) and the author,
    title and type fields; ``add(name, value, escape=text)`` appends a field when its value is not
    empty; the date parts are ``[year, month, day]`` with ``None`` for what the record lacks.
    """
    authors = rec.get("author", ())
    who = next((key_name(n.get("family") or n.get("literal") or "") for n in authors if n), "Anon")
    issued = rec.get("issued") or {}
    parts = (list(issued.get("date-parts", [[]])[0]) + [None, None, None])[:3]
    fields = [f"@{types.get(rec['type'], 'unpublished')}{{{who}{key_year(parts[0])}-{key_id(entry.id)},\n"]

    def add(name: str, value, escape=text) -> None:
        v = escape(str(value)) if value else ""
        if v:
            fields.append(f"  {name} = {{{v}}},\n")

    add("author", " and ".join(v for v in (_bib_csl_name(n) for n in authors) if v), str)
    title = text(rec.get("title") or "")
    if title:
        fields.append(f"  title = {{{{{title}}}}},\n")
    add("type", rec.get("genre"))
    return fields, add, parts


def bib_from_csl(rec: dict, entry: Entry) -> str:
    """One entry straight from the mapping's record (the reference the fast path must equal).

    Only the key's entry id, the place of writing, the edition's place and year and the
    description (not CSL variables) come from the entry."""
    letter = rec["type"] == "personal_communication"
    fields, add, parts = csl_entry_start(rec, entry, BIB_TYPE)
    if parts[0] is not None:
        fields.append(f"  date = {{{bib_date(parts[0], parts[1], parts[2], False)}}},\n")
    if not letter:
        add("address", entry.place)
    add("language", rec.get("language"))
    add("url", rec.get("URL"), bib_url)
    add("abstract", entry.description)
    edition = ", ".join(t for t in (edition_text(rec, entry), position_text(rec.get("number"), rec.get("page")))
                        if t)
    add("howpublished", edition, str)
    add("note", note_text(rec, entry, letter), str)
    fields.append("}\n\n")
    return "".join(fields)


def bib_date(year: int, month: int | None, day: int | None, circa: bool) -> str:
    """ISO 8601 / EDTF date as BibLaTeX reads it (``~`` marks an approximate date)."""
    text = f"{year:04d}-{month:02d}-{day:02d}" if month and day else (
        f"{year:04d}-{month:02d}" if month else f"{year:04d}")
    return text + "~" if circa else text


_TEX_BYTES = b"\\{}%&#_$^~\t\n\r\v\f\x1c\x1d\x1e"
# The above plus the rare characters of every ligature other than -- and ,, (`` ?` !` '' << >>):
# if deleting them all leaves the length unchanged, only "  ", "--" and ",," remain to look for.
_TEX_LIG_BYTES = _TEX_BYTES + b"`'<>"


def _plain(raw: str) -> bool:
    """Whether ``raw`` needs no escaping at all (fast C scans; most values need none)."""
    b = raw.encode("utf-8", "surrogatepass")
    if len(b.translate(None, _TEX_BYTES)) != len(b) or "  " in raw:
        return False
    if not raw.isascii() and ("\x85" in raw or "\u2028" in raw or "\u2029" in raw):
        return False
    return not (("-" in raw and "--" in raw) or ("`" in raw and ("``" in raw or "?`" in raw or "!`" in raw))
                or ("'" in raw and "''" in raw) or ("<" in raw and "<<" in raw)
                or (">" in raw and ">>" in raw) or ("," in raw and ",," in raw))


def plain_values(raw: str) -> bool:
    """Whether the joined values ``raw`` of one entry need no escaping (the check of ``text()``,
    inlined for the common case: ASCII with none of TeX's special characters or ligature pairs).
    A substring of a value that needs none needs none either, so one check serves them all."""
    if not raw.isascii():
        return _plain(raw)
    if len(raw.encode().translate(None, _TEX_LIG_BYTES)) == len(raw):
        return "  " not in raw and "--" not in raw and ",," not in raw
    return _plain(raw)


def entry_url(entry: Entry, base: str, base_safe: bool, simple_id: bool) -> str:
    """The entry's URL for a ``url`` field: ``base`` + its local id, percent-encoded only where
    the id holds characters a URL may not (``base_safe``: the base itself needs none)."""
    if not base:
        return ""
    local = entry.local_id
    if base_safe and ((simple_id and local == entry.id) or (local.isascii() and local.isalnum())
                      or not _URL_BAD.search(local)):
        return f"{base}{local}"
    return bib_url(f"{base}{local}")


def page_text(entry: Entry) -> str:
    """``first-last`` (or the one page) of the entry's first paged layer."""
    first, last = page_span(entry)
    return f"{first}-{last}" if last else first


def _cached_names(people: list[Person], cache: dict) -> str:
    if len(people) == 1:
        p = people[0]
        k = (p.literal, p.family, p.given)
        v = cache.get(k)
        if v is None:
            if len(cache) > 4096:
                cache.clear()
            v = cache[k] = bib_name(p)
        return v
    return _names(people, cache)


def _field_line(name: str, value: str | None) -> str:
    """``  name = {value},`` for a value that repeats across entries (cached by the writer)."""
    v = tex(value) if value else ""
    return f"  {name} = {{{v}}},\n" if v else ""


def _volume_info(entry: Entry) -> tuple:
    """What every entry of a volume shares, from the mapping of one of its entries."""
    vol = entry.volume
    langs = vol.languages
    base = f"{vol.base_url.rstrip('/')}/" if vol.base_url else ""  # as Entry.iri builds it
    return (vol, edition_text(entry_to_csl(entry), entry), langs[0] if langs else "", base,
            bool(base) and not _URL_BAD.search(base))


HOWPUBLISHED = b"  howpublished = {"


def write_bibtex(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write one BibTeX entry per entry to ``out`` (UTF-8), as Zotero's BibTeX importer reads
    it; return the entry count.

    ``fallbacks`` collects the ids of volumes written through the mapping because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    shown: dict = {}  # the note's recipients as running text, by the one recipient
    # Whole field lines for values that repeat across entries (names, kinds, dates, languages,
    # places, entry types): one dict lookup instead of building the line for every entry.
    lines: dict = {}
    dates: dict = {}
    # Titles repeat (the FRUS volume's 478 entries have 96 titles), and are the values most
    # often non-ASCII, whose escaping check costs the most.
    titles: dict = {}
    volumes: dict[int, tuple] = {}
    # The cached lines are kept UTF-8 encoded and the output is joined as bytes: one non-ASCII
    # name or title makes a joined chunk a wide string that UTF-8 encodes character by
    # character, while the per-entry parts left to encode are nearly always ASCII (a copy).
    out_chunks = Chunks(out)
    cur_vol = None  # entries come volume by volume: skip the volume lookup while it stays the same
    edition, vol_lang, base, base_safe = b"", "", "", False
    for e in entries:
        vol = e.volume
        check = False
        if vol is not cur_vol:
            info, check = volume_info(volumes, e, _volume_info)
            if info[1] is None:  # this volume goes through the mapping (see the guard below)
                out_chunks.add((bib_from_csl(entry_to_csl(e), e).encode("utf-8"),))
                continue
            cur_vol = vol
            _, edition, vol_lang, base, base_safe = info
            edition = edition.encode("utf-8")
        genre = e.genre
        head = lines.get(genre)
        if head is None:
            ctype = CSL_TYPE.get(genre or "", "manuscript")
            head = lines[genre] = (f"@{BIB_TYPE[ctype]}{{", ctype == "personal_communication")
        head, letter = head
        kind = e.kind if genre != "diary" else None
        type_line = lines.get(("type", kind))
        if type_line is None:
            type_line = lines[("type", kind)] = _field_line("type", kind).encode("utf-8")
        place = e.place
        place_line = lines.get(("address", letter, place))
        if place_line is None:
            if len(lines) > 8192:
                lines.clear()
            place_line = lines[("address", letter, place)] = (
                b"" if letter else _field_line("address", place).encode("utf-8"))
        lang = e.language or vol_lang
        lang_line = lines.get(("language", lang))
        if lang_line is None:
            lang_line = lines[("language", lang)] = _field_line("language", lang).encode("utf-8")
        title = e.title
        title_line = titles.get(title)
        if title_line is None:
            if len(titles) > 4096:
                titles.clear()
            t = text(title)
            title_line = titles[title] = f"  title = {{{{{t}}}}},\n".encode() if t else b""
        people = e.authors
        if people:
            p = people[0]
            pkey = (p.literal, p.family, p.given)
            hit = lines.get(("author", pkey)) if len(people) == 1 else None
            if hit is None:
                authors = _cached_names(people, names)
                hit = (f"  author = {{{authors}}},\n".encode() if authors else b"",
                       key_prefix([p]) if csl_name(p) else key_prefix(people))
                if len(people) == 1:
                    lines[("author", pkey)] = hit
            author, who = hit
        else:
            author, who = b"", "Anon"
        eid = e.id
        simple_id = eid.isascii() and eid.isalnum()
        kid = eid if simple_id else key_id(eid)
        d = e.date
        dkey = (d.year, d.month, d.day)
        hit = dates.get(dkey)
        if hit is None:
            if len(dates) > 8192:
                dates.clear()
            hit = dates[dkey] = ((f"  date = {{{bib_date(d.year, d.month, d.day, False)}}},\n".encode()
                                  if d.year is not None else b""), key_year(d.year))
        date, year = hit
        url = entry_url(e, base, base_safe, simple_id)
        page = page_text(e)
        number, repo, aid, desc = e.number, e.repository, e.archival_id, e.description
        letter_place = place if letter else None
        raw = f"{number or ''}{page}{repo or ''}{aid or ''}{desc or ''}{letter_place or ''}"
        if plain_values(raw):  # one escaping check for all of the entry's own values
            number = number.strip(" ") if number else ""
            page = page.strip(" ")
            repo = repo.strip(" ") if repo else ""
            aid = aid.strip(" ") if aid else ""
            desc = desc.strip(" ") if desc else ""
            letter_place = letter_place.strip(" ") if letter_place else ""
        else:
            number, page, repo, aid, desc, letter_place = (
                tex(x) if x else "" for x in (number, page, repo, aid, desc, letter_place))
        if number:
            position = f"no. {number}, pp. {page}" if "-" in page else (
                f"no. {number}, p. {page}" if page else f"no. {number}")
        else:
            position = (f"pp. {page}" if "-" in page else f"p. {page}") if page else ""
        recipients = e.recipients
        if recipients:
            r = recipients[0]
            k = (r.literal, r.family, r.given) if len(recipients) == 1 else None
            note = shown.get(k) if k else None
            if note is None:
                rs = " and ".join(t for t in (text(display_name(csl_name(r))) for r in recipients) if t)
                note = f"Recipient: {rs}" if rs else ""
                if k:
                    if len(shown) > 4096:
                        shown.clear()
                    shown[k] = note
        else:
            note = ""
        if repo or aid or letter_place:
            note = "; ".join(x for x in (note, f"Archive: {repo}" if repo else "",
                                         f"Loc. in Archive: {aid}" if aid else "",
                                         f"Place: {letter_place}" if letter_place else "") if x)
        if edition:
            published = HOWPUBLISHED + edition + (f", {position}}},\n".encode() if position else b"},\n")
        else:
            published = f"  howpublished = {{{position}}},\n".encode() if position else b""
        parts: tuple[bytes, ...]
        parts = (f"{head}{who}{year}-{kid},\n".encode(), author, title_line, type_line, date, place_line,
                 lang_line,
                 (f"{f'  url = {{{url}}},{NL}' if url else ''}{f'  abstract = {{{desc}}},{NL}' if desc else ''}"
                  ).encode(),
                 published, f"  note = {{{note}}},\n".encode() if note else b"", b"}\n\n")
        if check:  # the guard on the volume's first entry (see check_volume)
            reference = check_volume(b"".join(parts), bib_from_csl(entry_to_csl(e), e).encode("utf-8"),
                                     volumes, vol, fallbacks)
            if reference is not None:
                parts = (reference,)
                cur_vol = None
        out_chunks.add(parts)
    return out_chunks.close()
