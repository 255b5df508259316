"""Record fields citeproc-js reads that are not CSL variables (record pre-processing).

citeproc-js takes Zotero's ``journalAbbreviation`` as ``container-title-short`` and
``shortTitle`` as ``title-short`` when those are missing, and reads ``key: value`` lines of the
``note`` field (Zotero's "Extra", the "cheater syntax") as the CSL text variables, ISO
dates ("2004-10-01/2004-10-14") and names ("reviewed-author: Hall || W.C.", one line a name)
they name when the record lacks them, leaving the rest of the note.  citeproc-py read neither.
"""

from __future__ import annotations

import re
from typing import Any

_ALIASES = (("journalAbbreviation", "container-title-short"), ("shortTitle", "title-short"))
_NOTE_LINE = re.compile(r"^\s*([a-z][a-z-]*)\s*:\s*(.+?)\s*$")
#: CSL text variables a note line may set.
_TEXT_VARIABLES = frozenset("""
abstract annote archive archive-place archive_location authority call-number chapter-number
collection-number collection-title collection-title-short container-title
container-title-short dimensions DOI edition event event-place genre ISBN ISSN issue
jurisdiction keyword language medium number number-of-pages number-of-volumes
original-publisher original-publisher-place original-title page page-first PMCID PMID
publisher publisher-place references reviewed-title scale section source status title
title-short URL version volume year-suffix
""".split())


#: CSL name variables a note line may add a name to ("reviewed-author: Hall || W.C.").
_NAME_VARIABLES = frozenset("""
author chair collection-editor compiler composer container-author contributor curator director
editor editor-translator editorial-director executive-producer guest host illustrator
interviewer narrator organizer original-author performer producer recipient reviewed-author
script-writer series-creator translator
""".split())


def _note_name(text: str) -> dict[str, str]:
    """A name of a note line: "Family || Given", else one literal name (citeproc-js)."""
    parts = re.split(r"\s*\|\|\s*", text)
    if len(parts) == 2:
        return {"family": parts[0], "given": parts[1]}
    return {"literal": text}


_DATE_VARIABLES = frozenset(("accessed", "available-date", "event-date", "issued", "original-date",
                             "submitted"))
_ISO = re.compile(r"^(-?\d{1,4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _iso_date(text: str) -> dict[str, Any] | None:
    """``2004-10-01`` or ``2004-10-01/2004-10-14`` as CSL-JSON ``date-parts`` (else None)."""
    parts = []
    for piece in text.split("/")[:2]:
        m = _ISO.match(piece.strip())
        if not m:
            return None
        parts.append([int(g) for g in m.groups() if g is not None])
    return {"date-parts": parts}


def zotero_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """``rec`` with the fields above as citeproc-js reads them (the same dict when there are
    none)."""
    aliases = [(a, v) for a, v in _ALIASES if isinstance(rec.get(a), str) and v not in rec]
    note = rec.get("note")
    lines = note.splitlines() if isinstance(note, str) and ":" in note else []
    found: dict[str, Any] = {}
    kept = []

    def names_of(key: str) -> bool:
        return isinstance(found.get(key), list)

    for line in lines:
        m = _NOTE_LINE.match(line)
        key = m.group(1) if m else ""
        if m and key not in rec and key in _NAME_VARIABLES and (key not in found or names_of(key)):
            # each line adds a name to the variable (citeproc-js's parseNoteFieldHacks)
            found.setdefault(key, []).append(_note_name(m.group(2)))
        elif m and key not in rec and key not in found and key in _TEXT_VARIABLES:
            found[key] = m.group(2)
        elif m and key not in rec and key not in found and key in _DATE_VARIABLES \
                and (date := _iso_date(m.group(2))) is not None:
            found[key] = date
        else:
            kept.append(line)
    if not aliases and not found:
        return rec
    out = dict(rec)
    for alias, variable in aliases:
        out[variable] = rec[alias]
    if found:
        out.update(found)
        if kept and any(line.strip() for line in kept):
            out["note"] = "\n".join(kept)
        else:
            out.pop("note", None)
    return out
