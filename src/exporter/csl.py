"""The one CSL-JSON mapping of an entry, and the plain citation used when no style is chosen.

Every citation-related output (``exporter cite``, RIS, BibTeX, CSL-JSON, the PDF/DOCX citation
lines) starts from :func:`entry_to_csl`; what a style formats is :func:`citation_record` of it.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Citation, Entry, Person

#: Entry genre -> CSL type.  ``letter`` is not a CSL-JSON type: letters and telegrams are
#: ``personal_communication``; diaries, memoranda, reports and other documents ``manuscript``.
CSL_TYPE = {
    "letter": "personal_communication",
    "telegram": "personal_communication",
    "diary": "manuscript",
    "memorandum": "manuscript",
    "report": "manuscript",
    "document": "manuscript",
}


def csl_name(person: Person) -> dict[str, str] | None:
    """A CSL name: family/given for personal names the source split, else a literal.

    Institutions ("Secretary of State") and unsplittable names stay literals, so that no style
    inverts or initialises them; Cyrillic is kept as is.  A name with no text gives ``None``.
    """
    if person.literal or not person.family:
        text = " ".join(person.display.split())
        return {"literal": text} if text else None
    name = {"family": " ".join(person.family.split())}
    given = " ".join((person.given or "").split())
    if given:
        name["given"] = given
    return name


def csl_names(people: list[Person]) -> list[dict[str, str]]:
    """CSL names of ``people``, leaving out empty ones."""
    return [n for n in (csl_name(p) for p in people) if n is not None]


_VOLUME_WORD = re.compile(r"^\s*(?:volume|vol\.?)\s+", re.IGNORECASE)


def csl_volume(series_number: str) -> str:
    """The volume number without a leading "Volume"/"Vol." (styles print their own label)."""
    return _VOLUME_WORD.sub("", series_number).strip() or series_number.strip()


def csl_id(entry: Entry) -> str:
    """Stable id: the volume id and the entry's xml:id (unique across volumes)."""
    return entry.qualified_id


def entry_to_csl(entry: Entry) -> dict[str, Any]:
    """Map an entry to one CSL-JSON record (valid against the official csl-data schema)."""
    vol = entry.volume
    rec: dict[str, Any] = {"id": csl_id(entry), "type": CSL_TYPE.get(entry.genre or "", "manuscript")}
    if entry.title:
        rec["title"] = entry.title
    for key, people in (("author", entry.authors), ("recipient", entry.recipients)):
        names = csl_names(people)
        if names:
            rec[key] = names
    d = entry.date
    if d.year is not None:
        parts = [d.year] + ([d.month] if d.month else []) + ([d.day] if d.month and d.day else [])
        issued: dict[str, Any] = {"date-parts": [parts]}
        if d.approximate:
            issued["circa"] = True
        rec["issued"] = issued
    if vol.title:
        rec["container-title"] = vol.title
    editors = csl_names(vol.editors)
    if editors:
        rec["editor"] = editors
    if vol.publisher:
        rec["publisher"] = vol.publisher
    if vol.place:
        rec["publisher-place"] = vol.place
    if vol.series:
        rec["collection-title"] = vol.series
    if vol.series_number:
        rec["volume"] = csl_volume(vol.series_number)
    if entry.repository:
        rec["archive"] = entry.repository
    if entry.archival_id:
        rec["archive_location"] = entry.archival_id
    if entry.page_range:
        rec["page"] = entry.page_range
    lang = entry.language or (vol.languages[0] if vol.languages else None)
    if lang:
        rec["language"] = lang
    if entry.kind and entry.genre not in {"diary"}:
        rec["genre"] = entry.kind
    if entry.number:
        rec["number"] = entry.number
    if vol.base_url:
        rec["URL"] = entry.iri
    return rec


def _names_volume(title: str, volume: str) -> bool:
    """Whether ``title`` names volume ``volume`` itself ("..., Russia, Volume III")."""
    return re.search(rf"\b(?:volume|vol\.)\s*{re.escape(volume)}(?![\w])", title, re.IGNORECASE) is not None


def citation_record(rec: dict[str, Any]) -> dict[str, Any]:
    """The record a citation style formats: ``rec`` without a ``volume`` its container title names.

    An edition's title often ends with its volume ("Papers Relating to the Foreign Relations of
    the United States, 1918, Russia, Volume III"), and the TEI gives the number again; every style
    that prints both would print it twice ("Volume III: III" in APA, "Volume III, III" in MLA).
    The exports keep ``volume`` (a reference manager sorts and searches by it); only formatted
    citations leave it out, and only when the title already says it.
    """
    volume, title = rec.get("volume"), rec.get("container-title")
    if isinstance(volume, str) and isinstance(title, str) and _names_volume(title, volume):
        return {k: v for k, v in rec.items() if k != "volume"}
    return rec


#: CSL-JSON item types (the official csl-data schema's enumeration).
CSL_TYPES = frozenset((
    "article article-journal article-magazine article-newspaper bill book broadcast chapter classic "
    "collection dataset document entry entry-dictionary entry-encyclopedia event figure graphic hearing "
    "interview legal_case legislation manuscript map motion_picture musical_score pamphlet "
    "paper-conference patent performance periodical personal_communication post post-weblog regulation "
    "report review review-book software song speech standard thesis treaty webpage").split())
_NAME_KEYS = {"family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal",
              "comma-suffix", "static-ordering", "parse-names"}
_NAME_VARS = {"author", "recipient", "editor", "translator", "collection-editor", "container-author",
              "interviewer", "composer", "director", "illustrator", "original-author", "reviewed-author"}
_DATE_VARS = {"issued", "accessed", "event-date", "original-date", "submitted", "available-date"}
_DATE_KEYS = {"date-parts", "season", "circa", "literal", "raw"}


def check_record(rec: dict[str, Any]) -> list[str]:
    """Problems that make ``rec`` invalid against the csl-data schema (empty list: valid).

    A dependency-free check of what the schema constrains for the variables this project
    writes (types, names, dates, scalar values); the tests validate with jsonschema as well.
    """
    problems: list[str] = []
    if not isinstance(rec.get("id"), (str, int, float)) or rec.get("id") in ("", None):
        problems.append("missing or invalid 'id'")
    if rec.get("type") not in CSL_TYPES:
        problems.append(f"invalid 'type' {rec.get('type')!r}")
    for key, value in rec.items():
        if key in ("id", "type"):
            continue
        if key in _NAME_VARS:
            if not isinstance(value, list) or not all(
                    isinstance(n, dict) and n and set(n) <= _NAME_KEYS
                    and all(isinstance(n[k], str) for k in n if k in ("family", "given", "literal"))
                    for n in value):
                problems.append(f"'{key}' is not a list of CSL names")
        elif key in _DATE_VARS:
            parts = value.get("date-parts") if isinstance(value, dict) else None
            if (not isinstance(value, dict) or not set(value) <= _DATE_KEYS
                    or (parts is not None and not (
                        isinstance(parts, list) and 1 <= len(parts) <= 2
                        and all(isinstance(p, list) and 1 <= len(p) <= 3
                                and all(isinstance(x, (int, str)) and not isinstance(x, bool) for x in p)
                                for p in parts)))):
                problems.append(f"'{key}' is not a CSL date")
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(f"'{key}' is not a string or number")
    return problems


def _names(people: list[Person]) -> str:
    names = [p.display for p in people]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + ", and " + names[-1]


def plain_citation(entry: Entry) -> Citation:
    """A readable citation without a CSL processor (the fallback)."""
    parts = []
    who = _names(entry.authors)
    if who:
        parts.append(who + (f" to {_names(entry.recipients)}" if entry.recipients else ""))
    parts.append(f"\u201c{entry.title}\u201d" if entry.title else entry.local_id)
    if entry.date.year is not None:
        date = entry.date.text or entry.date.iso or ""
        parts.append(("c. " if entry.date.approximate else "") + date)
    else:
        parts.append("undated")
    if entry.repository or entry.archival_id:
        parts.append(", ".join(x for x in (entry.repository, entry.archival_id) if x))
    vol = entry.volume
    where = f"in {vol.title}"
    if vol.editors:
        where += f", ed. {_names(vol.editors)}"
    pub = ", ".join(x for x in (vol.place, vol.publisher, vol.year) if x)
    if pub:
        where += f" ({pub})"
    if entry.page_range:
        where += f", {entry.page_range}"
    parts.append(where)
    text = ", ".join(parts) + "."
    if vol.base_url:
        text += f" {entry.iri}"
    return Citation(note=text, bibliography=text, style="plain")
