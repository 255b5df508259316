"""The one CSL-JSON mapping of an entry, and the plain citation used when no style is chosen.

Every citation-related output (``exporter cite``, RIS, BibTeX, CSL-JSON, the PDF/DOCX citation
lines) starts from :func:`entry_to_csl`.
"""

from __future__ import annotations

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


def csl_name(person: Person) -> dict[str, str]:
    if person.literal or not person.family:
        return {"literal": person.display}
    name = {"family": person.family}
    if person.given:
        name["given"] = person.given
    return name


def csl_id(entry: Entry) -> str:
    """Stable id: the volume id and the entry's xml:id (unique across volumes)."""
    return entry.qualified_id


def entry_to_csl(entry: Entry) -> dict[str, Any]:
    """Map an entry to one CSL-JSON record (valid against the official csl-data schema)."""
    vol = entry.volume
    rec: dict[str, Any] = {"id": csl_id(entry), "type": CSL_TYPE.get(entry.genre or "", "manuscript")}
    if entry.title:
        rec["title"] = entry.title
    if entry.authors:
        rec["author"] = [csl_name(p) for p in entry.authors]
    if entry.recipients:
        rec["recipient"] = [csl_name(p) for p in entry.recipients]
    d = entry.date
    if d.year is not None:
        parts = [d.year] + ([d.month] if d.month else []) + ([d.day] if d.month and d.day else [])
        issued: dict[str, Any] = {"date-parts": [parts]}
        if d.approximate:
            issued["circa"] = True
        rec["issued"] = issued
    rec["container-title"] = vol.title
    if vol.editors:
        rec["editor"] = [csl_name(p) for p in vol.editors]
    if vol.publisher:
        rec["publisher"] = vol.publisher
    if vol.place:
        rec["publisher-place"] = vol.place
    if vol.series:
        rec["collection-title"] = vol.series
    if vol.series_number:
        rec["volume"] = vol.series_number
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
