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
from functools import lru_cache
from typing import BinaryIO, Iterable
from urllib.parse import quote

from ...csl import CSL_TYPE, csl_name, entry_to_csl
from ...model import Entry, Person
from .common import CHUNK, LINE_BREAKS, volume_info

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
BIB_TYPE = {"personal_communication": "misc", "manuscript": "unpublished"}

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


#: Volume-level CSL variables -> BibTeX fields (taken from the mapping once per volume).
VOLUME_FIELDS = (("container-title", "howpublished"), ("collection-title", "series"),
                 ("publisher", "publisher"), ("publisher-place", "location"))


def _volume_fields(rec: dict) -> str:
    """The fields every entry of a volume shares, from a mapping record."""
    fields = []
    editors = " and ".join(n for n in (_bib_csl_name(x) for x in rec.get("editor", ())) if n)
    if editors:
        fields.append(f"  editor = {{{editors}}},\n")
    for key, name in VOLUME_FIELDS:
        value = rec.get(key)
        if value:
            v = tex(str(value))
            if v:
                fields.append(f"  {name} = {{{v}}},\n")
    return "".join(fields)


def _volume_info(entry: Entry) -> tuple:
    """What every entry of a volume shares, from the mapping of one of its entries."""
    vol = entry.volume
    langs = vol.languages
    base = f"{vol.base_url.rstrip('/')}/" if vol.base_url else ""  # as Entry.iri builds it
    return (vol, _volume_fields(entry_to_csl(entry)), langs[0] if langs else "", base,
            bool(base) and not _URL_BAD.search(base))


def bib_from_csl(rec: dict, entry: Entry) -> str:
    """One entry straight from the mapping's record (the reference the fast path must equal).

    Only the key's entry id and the description (not CSL variables) come from the entry."""
    authors = rec.get("author", ())
    who = next((key_name(n.get("family") or n.get("literal") or "") for n in authors if n), "Anon")
    issued = rec.get("issued") or {}
    parts = (list(issued.get("date-parts", [[]])[0]) + [None, None, None])[:3]
    fields = [f"@{BIB_TYPE.get(rec['type'], 'unpublished')}{{{who}{key_year(parts[0])}-{key_id(entry.id)},\n"]

    def add(name: str, value, escape=tex) -> None:
        v = escape(str(value)) if value else ""
        if v:
            fields.append(f"  {name} = {{{v}}},\n")

    add("author", " and ".join(v for v in (_bib_csl_name(n) for n in authors) if v), str)
    title = tex(rec.get("title") or "")
    if title:
        fields.append(f"  title = {{{{{title}}}}},\n")
    add("type", rec.get("genre"))
    if parts[0] is not None:
        fields.append(f"  date = {{{bib_date(parts[0], parts[1], parts[2], bool(issued.get('circa')))}}},\n")
    fields.append(_volume_fields(rec))
    recipients = " and ".join(v for v in (_bib_csl_name(n) for n in rec.get("recipient", ())) if v)
    if recipients:
        fields.append(f"  namea = {{{recipients}}},\n  nameatype = {{recipient}},\n")
    add("number", rec.get("number"))
    add("pages", rec.get("page"))
    add("note", ", ".join(x for x in (rec.get("archive"), rec.get("archive_location")) if x))
    lang = rec.get("language")
    add("langid", LANGID.get(lang.split("-", 1)[0].lower()) if lang else None, str)
    add("url", rec.get("URL"), bib_url)
    add("abstract", entry.description)
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


def write_bibtex(entries: Iterable[Entry], out: BinaryIO, fallbacks: list[str] | None = None) -> int:
    """Write one BibTeX entry per entry to ``out`` (UTF-8); return the entry count.

    ``fallbacks`` collects the ids of volumes written through the mapping because the fast
    path disagreed with it on their first entry (a sign the mapping changed)."""
    names: dict = {}
    # Whole field lines for values that repeat across entries (names, kinds, dates, languages,
    # entry types): one dict lookup instead of building the line for every entry.  ``tex`` of a
    # value equals its trimmed self whenever it needs no escaping, so one cached form serves both.
    single_authors: dict = {}
    recipient_lines: dict = {}
    kinds: dict = {}
    dates: dict = {}
    prefixes: dict = {}
    langids: dict = {}
    types: dict = {}
    # Titles repeat too ("The Ambassador in Russia (Francis) to the Secretary of State": the FRUS
    # volume's 478 entries have 96 titles), and they are the values most often non-ASCII, whose
    # escaping check costs the most.
    titles: dict = {}
    # The cached lines are kept UTF-8 encoded and the output is joined as bytes: encoding whole
    # chunks cost a quarter of the time, because one non-ASCII name or title makes a chunk a
    # wide string that UTF-8 encodes character by character; the per-entry parts left to
    # encode are nearly always ASCII, which encodes as a copy.
    volumes: dict[int, tuple] = {}
    buf: list[bytes] = []
    count = 0
    cur_vol = None  # entries come volume by volume: skip the volume lookup while it stays the same
    vol_fields, vol_lang, base, base_safe = b"", "", "", False
    for e in entries:
        vol = e.volume
        check = False
        if vol is not cur_vol:
            info, check = volume_info(volumes, e, _volume_info)
            if info[1] is None:  # this volume goes through the mapping (see the guard below)
                buf.append(bib_from_csl(entry_to_csl(e), e).encode("utf-8"))
                count += 1
                if not count % CHUNK:
                    out.write(b"".join(buf))
                    buf.clear()
                continue
            cur_vol = vol
            _, vol_fields, vol_lang, base, base_safe = info
            vol_fields = vol_fields.encode("utf-8")
        genre = e.genre
        head = types.get(genre)
        if head is None:
            head = types[genre] = f"@{BIB_TYPE[CSL_TYPE.get(genre or '', 'manuscript')]}{{"
        if genre != "diary":
            kind = e.kind
            type_line = kinds.get(kind)
            if type_line is None:
                if len(kinds) > 1024:
                    kinds.clear()
                type_line = kinds[kind] = _field_line("type", kind).encode("utf-8")
        else:
            type_line = b""
        title, number, repo, aid, desc = e.title, e.number, e.repository, e.archival_id, e.description
        pages = ""
        for layer in e.layers.values():
            lp = layer.pages
            if lp:
                pages = lp[0] if lp[0] == lp[-1] else f"{lp[0]}-{lp[-1]}"
                break
        note = f"{repo}, {aid}" if repo and aid else (repo or aid or "")
        title_line = titles.get(title)
        if title_line is None:
            if len(titles) > 4096:
                titles.clear()
            t = (title.strip(" ") if _plain(title) else tex(title)) if title else ""
            title_line = titles[title] = f"  title = {{{{{t}}}}},\n".encode("utf-8") if t else b""
        raw = f"{number or ''}{pages}{note}{desc or ''}"
        # _plain(raw), inlined for the common ASCII case (a call per entry shows in the benchmark);
        # one deletion pass rules out the escapes and the rare ligature starters at once, so the
        # usual value costs three substring scans, and any other value takes the full check.
        if (_plain(raw) if not raw.isascii() else (
                "  " not in raw and "--" not in raw and ",," not in raw
                if len(raw.encode().translate(None, _TEX_LIG_BYTES)) == len(raw) else _plain(raw))):
            number = number.strip(" ") if number else ""
            pages = pages.strip(" ")
            note = note.strip(" ")
            desc = desc.strip(" ") if desc else ""
        else:
            number = tex(number) if number else ""
            pages = tex(pages)
            note = tex(note)
            desc = tex(desc) if desc else ""
        people = e.authors
        if len(people) == 1:
            # One author (the usual case): the line and the key prefix under one lookup, since
            # hashing the name tuple costs as much as the lookup itself.
            p = people[0]
            pkey = (p.literal, p.family, p.given)
            hit = single_authors.get(pkey)
            if hit is None:
                if len(single_authors) > 4096:
                    single_authors.clear()
                authors = _cached_names(people, names)
                hit = single_authors[pkey] = (f"  author = {{{authors}}},\n".encode("utf-8") if authors else b"",
                                              key_prefix(people))
            author, who = hit
        elif people:
            p = people[0]
            pkey = (p.literal, p.family, p.given)
            authors = _cached_names(people, names)
            author = f"  author = {{{authors}}},\n".encode("utf-8") if authors else b""
            who = prefixes.get(pkey)
            if who is None:
                if csl_name(p):  # the first author has a name: the prefix depends on it alone
                    if len(prefixes) > 4096:
                        prefixes.clear()
                    who = prefixes[pkey] = key_prefix([p])
                else:
                    who = key_prefix(people)
        else:
            author, who = b"", "Anon"
        eid = e.id
        simple_id = eid.isascii() and eid.isalnum()
        kid = eid if simple_id else key_id(eid)
        people = e.recipients
        if people:
            p = people[0]
            pkey = (p.literal, p.family, p.given)
            recipient = recipient_lines.get(pkey) if len(people) == 1 else None
            if recipient is None:
                recipients = _cached_names(people, names)
                recipient = (f"  namea = {{{recipients}}},\n  nameatype = {{recipient}},\n".encode("utf-8")
                             if recipients else b"")
                if len(people) == 1:
                    if len(recipient_lines) > 4096:
                        recipient_lines.clear()
                    recipient_lines[pkey] = recipient
        else:
            recipient = b""
        d = e.date
        dkey = (d.year, d.month, d.day, d.approximate)
        hit = dates.get(dkey)
        if hit is None:
            if len(dates) > 8192:
                dates.clear()
            # The date line and the key's year part, both fixed by the date.
            hit = dates[dkey] = ((f"  date = {{{bib_date(d.year, d.month, d.day, d.approximate)}}},\n".encode()
                                  if d.year is not None else b""), key_year(d.year))
        date, year = hit
        lang = e.language or vol_lang
        langid = langids.get(lang)
        if langid is None:
            if len(langids) > 1024:
                langids.clear()
            code = LANGID.get(lang.split("-", 1)[0].lower(), "") if lang else ""
            langid = langids[lang] = f"  langid = {{{code}}},\n" if code else ""
        if base:
            local = e.local_id
            # The local id is usually the entry id, already known to be plain alphanumerics.
            url = (f"{base}{local}" if base_safe and ((simple_id and local == eid)
                                                      or (local.isascii() and local.isalnum())
                                                      or not _URL_BAD.search(local))
                   else bib_url(f"{base}{local}"))
        else:
            url = ""
        parts = (
            f"{head}{who}{year}-{kid},\n".encode("utf-8"), author, title_line, type_line, date, vol_fields, recipient,
            (f"{f'  number = {{{number}}},{NL}' if number else ''}"
             f"{f'  pages = {{{pages}}},{NL}' if pages else ''}"
             f"{f'  note = {{{note}}},{NL}' if note else ''}"
             f"{langid}"
             f"{f'  url = {{{url}}},{NL}' if url else ''}"
             f"{f'  abstract = {{{desc}}},{NL}' if desc else ''}"
             "}\n\n").encode("utf-8"))
        if check:
            # Guard: the first entry of each volume must equal the one written from the mapping;
            # if the mapping changed in a way this writer does not follow, use it for the volume.
            reference = bib_from_csl(entry_to_csl(e), e).encode("utf-8")
            if b"".join(parts) != reference:
                parts = (reference,)
                volumes[id(vol)] = (vol, None)
                cur_vol = None
                if fallbacks is not None:
                    fallbacks.append(vol.id)
        buf += parts
        count += 1
        # Every CHUNK entries, as before (buf now holds several parts per entry).
        if not count % CHUNK:
            out.write(b"".join(buf))
            buf.clear()
    if buf:
        out.write(b"".join(buf))
    return count
