"""What the reference exports should contain, derived from the CSL-JSON mapping alone.

Independent of the writers: the expectations are computed from ``exporter.csl.entry_to_csl``
(the one mapping) and the documented normalisations, then compared with what rispy and
bibtexparser read back.  No test functions here; the ``test_references*`` modules use it.
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser import middlewares
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from exporter.csl import entry_to_csl

#: Characters Python's str.splitlines() breaks on: RIS writes each as a space.
BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
#: Whitespace as TeX reads it (plus the line breaks above): BibTeX writes each run as one space.
TEX_SPACE = re.compile("[ \t\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")


def ris_value(text: str) -> str:
    return BREAKS.sub(" ", text).strip()


def ris_name(name: dict) -> str:
    if "literal" in name:
        return ris_value(name["literal"])
    family, given = ris_value(name.get("family", "")), ris_value(name.get("given", ""))
    return f"{family}, {given}" if family and given else family or given


def ris_date(issued: dict) -> str:
    parts = issued["date-parts"][0] + [None, None]
    y, m, d = parts[:3]
    return (f"{y:04d}/" + (f"{m:02d}" if m else "") + "/" + (f"{d:02d}" if d else "") + "/"
            + ("circa" if issued.get("circa") else ""))


def extra_name(name: dict) -> str:
    """A CSL name as an Extra line gives it: ``Family || Given`` or the single name."""
    if "literal" in name:
        return ris_value(name["literal"])
    family, given = ris_value(name.get("family", "")), ris_value(name.get("given", ""))
    return f"{family} || {given}" if family and given else family or given


def single_field(name: dict) -> bool:
    """A literal name with a comma: RIS.js would split it into last and first name."""
    return "literal" in name and "," in name["literal"]


def extra_lines(entry, rec: dict | None = None) -> list[str]:
    """The ``Name: value`` lines Zotero keeps in Extra (RIS ``M2``, CSL-JSON ``note``): the edition
    and what the item type has no field for, as docs/references.md lists them."""
    rec = rec or entry_to_csl(entry)
    vol = entry.volume
    letter = rec["type"] == "personal_communication"
    pairs = [(key, rec.get(key)) for key in ("container-title", "collection-title", "volume")]
    pairs += [("editor", extra_name(n)) for n in rec.get("editor", [])]
    pairs += [("publisher", rec.get("publisher")), ("Edition place", vol.place), ("Edition date", vol.year),
              ("number", rec.get("number")), ("page", rec.get("page"))]
    if not letter:
        pairs += [("recipient", extra_name(n)) for n in rec.get("recipient", [])]
    else:
        pairs.append(("event-place", entry.place))
    out = []
    for key, value in pairs:
        v = ris_value(str(value)) if value else ""
        if v:
            out.append(f"{key}: {v}")
    return out


def ris_expected(entry) -> dict:
    """The rispy record an entry should read back as (empty values left out)."""
    rec = entry_to_csl(entry)
    letter = rec["type"] == "personal_communication"
    exp: dict = {"type_of_reference": "PCOMM" if letter else "MANSCPT"}

    def put(key, value):
        v = ris_value(str(value)) if value is not None else ""
        if v:
            exp[key] = v

    def people(key, names):
        values = [v for v in (ris_name(n) for n in names) if v]
        if values:
            exp[key] = values

    put("id", rec["id"])
    put("title", rec.get("title"))
    people("authors", [n for n in rec.get("author", []) if not single_field(n)])
    if letter:
        people("secondary_authors", [n for n in rec.get("recipient", []) if not single_field(n)])
    if "issued" in rec:
        exp["date"] = ris_date(rec["issued"])
        exp["year"] = f"{rec['issued']['date-parts'][0][0]:04d}"
    put("type_of_work", rec.get("genre"))
    if not letter:
        put("place_published", entry.place)
    put("language", rec.get("language"))
    put("name_of_database", rec.get("archive"))
    put("accession_number", rec.get("archive_location"))
    if rec.get("URL") and ris_value(rec["URL"]):
        exp["urls"] = [ris_value(rec["URL"])]
    put("abstract", entry.description)
    m2 = extra_lines(entry, rec)
    m2 += [f"author: {extra_name(n)}" for n in rec.get("author", []) if single_field(n) and extra_name(n)]
    if letter:
        m2 += [f"recipient: {extra_name(n)}" for n in rec.get("recipient", []) if single_field(n) and extra_name(n)]
    if m2:
        exp["unknown_tag"] = {"M2": m2}
    return exp


def csl_expected(entry) -> dict:
    """The CSL-JSON record of an entry: the mapping's, without what Zotero would misfile
    (``editor``, the edition's ``publisher-place``, a manuscript's ``recipient``), with the place of
    writing (``event-place``), the description (``abstract``) and the Extra lines (``note``)."""
    rec = entry_to_csl(entry)
    letter = rec["type"] == "personal_communication"
    out = {k: v for k, v in rec.items()
           if k not in ("editor", "publisher-place") and not (k == "recipient" and not letter)}
    if entry.place and ris_value(entry.place):
        out["event-place"] = ris_value(entry.place)
    if entry.description and entry.description.strip():
        out["abstract"] = entry.description
    lines = extra_lines(entry, rec)
    if lines:
        out["note"] = "\n".join(lines)
    return out


def page_bounds(entry):
    for layer in entry.layers.values():
        if layer.pages:
            return layer.pages[0], layer.pages[-1]
    return None


def read_ris(data: bytes) -> list[dict]:
    """rispy's reading, with UR not split at ';' (Zotero does not split it either)."""
    import rispy

    return rispy.loads(data.decode("utf-8"), delimiter_tags_mapping={})


# -- BibTeX --------------------------------------------------------------------------------

def tex_value(text: str) -> str:
    return TEX_SPACE.sub(" ", text).strip(" ")


def bib_name(name: dict) -> str:
    """A name as it reads after LaTeX decoding (braces gone)."""
    if "literal" in name:
        return tex_value(name["literal"])
    family, given = tex_value(name.get("family", "")), tex_value(name.get("given", ""))
    return f"{family}, {given}" if family and given else family or given


LANGID = {"en": "english", "ru": "russian", "fr": "french", "de": "german"}


def display(name: dict) -> str:
    if "literal" in name:
        return name["literal"]
    return " ".join(x for x in (name.get("given"), name.get("family")) if x)


def _join(sep: str, values) -> str:
    return sep.join(v for v in (tex_value(str(x)) if x else "" for x in values) if v)


def position_text(number, page) -> str:
    n, p = tex_value(number or ""), tex_value(page or "")
    return _join(", ", [f"no. {n}" if n else "", (f"pp. {p}" if "-" in p else f"p. {p}") if p else ""])


def edition_text(entry, rec: dict) -> str:
    """The edition as the ``bibtex`` writer's ``howpublished`` reads after decoding."""
    vol = entry.volume
    editors = _join(" and ", [display(n) for n in rec.get("editor", [])])
    series = _join(", ", [rec.get("collection-title"), rec.get("volume")])
    publisher, place, year = (tex_value(x or "") for x in (rec.get("publisher"), vol.place, vol.year))
    imprint = _join(", ", [f"{place}: {publisher}" if place and publisher else place or publisher, year])
    inside = _join("; ", [series, imprint])
    out = _join(", ed. ", [rec.get("container-title"), editors])
    if inside:
        out = f"{out} ({inside})" if out else inside
    return _join(", ", [out, position_text(rec.get("number"), rec.get("page"))])


def bib_date_text(issued: dict, circa: bool) -> str:
    parts = issued["date-parts"][0]
    return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts)) + ("~" if circa else "")


def _bib_fields(exp: dict):
    """``put(key, value)`` and ``people(key, names)``: set a decoded BibTeX field of ``exp`` when
    the value is not empty (shared by the BibTeX and BibLaTeX expectations)."""

    def put(key, value):
        v = tex_value(str(value)) if value is not None else ""
        if v:
            exp[key] = v

    def people(key, names):
        values = [v for v in (bib_name(n) for n in names) if v]
        if values:
            exp[key] = " and ".join(values)

    return put, people


def bib_expected(entry) -> dict:
    """Decoded field values an entry's ``bibtex`` (Zotero) entry should read back with."""
    rec = entry_to_csl(entry)
    letter = rec["type"] == "personal_communication"
    exp: dict = {}
    put, people = _bib_fields(exp)
    people("author", rec.get("author", []))
    put("title", rec.get("title"))
    put("type", rec.get("genre"))
    if "issued" in rec:
        exp["date"] = bib_date_text(rec["issued"], False)  # compared raw: Zotero reads it as text
    if not letter:
        put("address", entry.place)
    put("language", rec.get("language"))
    if rec.get("URL"):
        exp["url"] = rec["URL"]  # compared raw: url is a verbatim field
    if entry.description:
        put("abstract", entry.description)
    put("howpublished", edition_text(entry, rec))
    note = []
    recipients = _join(" and ", [display(n) for n in rec.get("recipient", [])])
    if recipients:
        note.append(f"Recipient: {recipients}")
    for label, value in (("Archive", rec.get("archive")), ("Loc. in Archive", rec.get("archive_location")),
                         ("Place", entry.place if letter else None)):
        v = tex_value(value or "")
        if v:
            note.append(f"{label}: {v}")
    put("note", "; ".join(note))
    return exp


def biblatex_expected(entry) -> dict:
    """Decoded field values an entry's ``biblatex`` entry should read back with."""
    from exporter.formats.references.bibtex import key_id

    rec = entry_to_csl(entry)
    exp: dict = {}
    put, people = _bib_fields(exp)
    people("author", rec.get("author", []))
    put("title", rec.get("title"))
    put("type", rec.get("genre"))
    if "issued" in rec:
        exp["date"] = bib_date_text(rec["issued"], bool(rec["issued"].get("circa")))
    put("location", entry.place)
    people("namea", rec.get("recipient", []))
    if "namea" in exp:
        exp["nameatype"] = "recipient"
    put("library", ", ".join(x for x in (rec.get("archive"), rec.get("archive_location")) if x) or None)
    lang = rec.get("language")
    if lang and lang.split("-")[0].lower() in LANGID:
        exp["langid"] = LANGID[lang.split("-")[0].lower()]
    if rec.get("URL"):
        exp["url"] = rec["URL"]
    if entry.description:
        put("abstract", entry.description)
    exp["related"] = f"edition-{key_id(entry.volume.id)}"
    exp["relatedstring"] = "Printed in"
    put("addendum", position_text(rec.get("number"), rec.get("page")))
    return exp


def collection_expected(entry) -> dict:
    """Decoded fields of the ``@collection`` the ``biblatex`` writer gives an entry's volume."""
    rec = entry_to_csl(entry)
    vol = entry.volume
    exp: dict = {}
    editors = [v for v in (bib_name(n) for n in rec.get("editor", [])) if v]
    if editors:
        exp["editor"] = " and ".join(editors)
    for key, value in (("title", rec.get("container-title")), ("series", rec.get("collection-title")),
                       ("number", rec.get("volume")), ("publisher", rec.get("publisher")), ("location", vol.place)):
        v = tex_value(value or "")
        if v:
            exp[key] = v
    year = (vol.year or "").strip()
    if year:
        exp["date" if re.fullmatch(r"\d{4}(?:-\d\d(?:-\d\d)?)?", year) else "addendum"] = tex_value(year)
    return exp


def decoder(full: bool = True) -> LatexNodes2Text:
    """pylatexenc's decoder as bibtexparser configures it, plus the standard LaTeX text commands
    its table lacks (\\textbraceleft, \\textbraceright) or maps to a look-alike
    (\\textasciicircum -> U+02C6)."""
    db = get_default_latex_context_db()
    macros = [MacroTextSpec("url", simplify_repl="%s")]
    if full:
        macros += [MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
                   MacroTextSpec("textasciicircum", "^")]
    db.add_context_category("test-references", prepend=True, macros=macros)
    return LatexNodes2Text(latex_context=db, keep_braced_groups=False, math_mode="verbatim")


def read_bib(data: bytes, full_decoder: bool = False):
    """Parse with bibtexparser v2; return (library, decoded library)."""
    text = data.decode("utf-8")
    raw = bibtexparser.parse_string(text)
    middleware = (middlewares.LatexDecodingMiddleware(decoder=decoder(True)) if full_decoder
                  else middlewares.LatexDecodingMiddleware())
    decoded = bibtexparser.parse_string(text, append_middleware=[middleware])
    return raw, decoded
