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


def ris_expected(entry) -> dict:
    """The rispy record an entry should read back as (empty values left out)."""
    rec = entry_to_csl(entry)
    exp: dict = {"type_of_reference": "PCOMM" if rec["type"] == "personal_communication" else "MANSCPT"}

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
    people("authors", rec.get("author", []))
    people("secondary_authors", rec.get("recipient", []))
    people("tertiary_authors", rec.get("editor", []))
    if "issued" in rec:
        exp["date"] = ris_date(rec["issued"])
        exp["year"] = f"{rec['issued']['date-parts'][0][0]:04d}"
    put("secondary_title", rec.get("container-title"))
    put("tertiary_title", rec.get("collection-title"))
    put("volume", rec.get("volume"))
    put("publisher", rec.get("publisher"))
    put("place_published", rec.get("publisher-place"))
    put("name_of_database", rec.get("archive"))
    put("accession_number", rec.get("archive_location"))
    first_last = page_bounds(entry)
    if first_last:
        assert rec["page"] == (first_last[0] if first_last[0] == first_last[1] else "-".join(first_last))
        put("start_page", first_last[0])
        if first_last[1] != first_last[0]:
            put("end_page", first_last[1])
    put("language", rec.get("language"))
    put("type_of_work", rec.get("genre"))
    put("note", rec.get("number"))
    if rec.get("URL") and ris_value(rec["URL"]):
        exp["urls"] = [ris_value(rec["URL"])]
    if entry.description and ris_value(entry.description):
        exp["notes"] = [ris_value(entry.description)]
    return exp


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


def bib_expected(entry) -> dict:
    """Decoded field values an entry's BibTeX entry should read back with."""
    rec = entry_to_csl(entry)
    exp: dict = {}

    def put(key, value):
        v = tex_value(str(value)) if value is not None else ""
        if v:
            exp[key] = v

    def people(key, names):
        values = [v for v in (bib_name(n) for n in names) if v]
        if values:
            exp[key] = " and ".join(values)

    people("author", rec.get("author", []))
    put("title", rec.get("title"))
    put("type", rec.get("genre"))
    if "issued" in rec:
        parts = rec["issued"]["date-parts"][0]
        exp["date"] = "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts)) + (
            "~" if rec["issued"].get("circa") else "")
    people("editor", rec.get("editor", []))
    put("howpublished", rec.get("container-title"))
    put("series", rec.get("collection-title"))
    put("publisher", rec.get("publisher"))
    put("location", rec.get("publisher-place"))
    people("namea", rec.get("recipient", []))
    if "namea" in exp:
        exp["nameatype"] = "recipient"
    put("number", rec.get("number"))
    put("pages", rec.get("page"))
    put("note", ", ".join(x for x in (rec.get("archive"), rec.get("archive_location")) if x) or None)
    lang = rec.get("language")
    if lang and lang.split("-")[0].lower() in LANGID:
        exp["langid"] = LANGID[lang.split("-")[0].lower()]
    if rec.get("URL"):
        exp["url"] = rec["URL"]  # compared raw: url is a verbatim field
    if entry.description:
        put("abstract", entry.description)
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
