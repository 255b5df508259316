"""What Zotero keeps where its item types have no field: the Extra lines the reference writers share.

An entry is a Zotero ``letter`` (letters and telegrams) or ``manuscript`` (diary entries,
memoranda, reports, other documents).  Neither item type has a field for the edition the
document is printed in (its title, editors, publisher, year, the document's number and pages),
a letter has none for the place it was written, and a manuscript none for its recipients.
Zotero keeps such values as ``Name: value`` lines in the item's Extra field; lines named by a
CSL variable are read by its citation processor (``editor: Family || Given`` for names).  So:

* the CSL variables ``container-title``, ``collection-title``, ``volume``, ``editor``,
  ``publisher``, ``number``, ``page``, and ``recipient`` (manuscripts) or ``event-place``
  (letters: the place of writing);
* the edition's place and year as ``Edition place`` and ``Edition date``: not CSL variables,
  because the only ones there are (``publisher-place``, ``issued``) are the place and date of
  the document itself in Zotero's mapping of a manuscript -- Zotero would move an Extra
  ``publisher-place`` line into the manuscript's Place field.

RIS writes each line as an ``M2`` tag (RIS.js maps ``M2`` to Extra) and CSL-JSON as the ``note``
variable (itemFromCSLJSON maps ``note`` to Extra).  See ``docs/references.md``.
"""

from __future__ import annotations

from typing import Any

from ...csl import entry_to_csl
from ...model import Entry
from .common import LINE_BREAKS

#: CSL type -> Zotero item type (schema.json csl.types: personal_communication -> letter first).
ZOTERO_TYPE = {"personal_communication": "letter", "manuscript": "manuscript"}

ONE_LINE = str.maketrans({c: " " for c in LINE_BREAKS})

#: The edition's variables, in the order the lines are written.
EDITION_VARIABLES = ("container-title", "collection-title", "volume")


def one_line(value: str) -> str:
    """A value as an Extra line holds it: line breaks become spaces, then trimmed."""
    return value.translate(ONE_LINE).strip()


def extra_name(name: dict) -> str:
    """A CSL name as Zotero reads it from Extra: ``Family || Given``, or the single name."""
    literal = name.get("literal")
    if literal is not None:
        return one_line(literal)
    family, given = one_line(name.get("family", "")), one_line(name.get("given", ""))
    return f"{family} || {given}" if family and given else family or given


def edition_lines(rec: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    """The Extra lines every entry of a volume shares, from a mapping record of one of them."""
    vol = entry.volume
    lines: list[tuple[str, str]] = []
    for key in EDITION_VARIABLES:
        value = rec.get(key)
        if value:
            lines.append((key, one_line(str(value))))
    lines += [("editor", extra_name(n)) for n in rec.get("editor", ())]
    if rec.get("publisher"):
        lines.append(("publisher", one_line(rec["publisher"])))
    if vol.place:
        lines.append(("Edition place", one_line(vol.place)))
    if vol.year:
        lines.append(("Edition date", one_line(vol.year)))
    return [(k, v) for k, v in lines if v]


def entry_lines(rec: dict[str, Any], entry: Entry) -> list[tuple[str, str]]:
    """The Extra lines of one entry: its number and pages in the edition, and what its item type
    has no field for (a manuscript's recipients, a letter's place of writing)."""
    lines = [(key, one_line(str(rec[key]))) for key in ("number", "page") if rec.get(key)]
    if ZOTERO_TYPE[rec["type"]] == "manuscript":
        lines += [("recipient", extra_name(n)) for n in rec.get("recipient", ())]
    elif entry.place:
        lines.append(("event-place", one_line(entry.place)))
    return [(k, v) for k, v in lines if v]


def zotero_record(entry: Entry) -> dict[str, Any]:
    """The CSL-JSON record as Zotero should import it (the plain path every writer is checked
    against): the mapping's record, with

    * ``editor``, ``publisher-place`` (the edition's) and a manuscript's ``recipient`` taken out
      -- itemFromCSLJSON would make editors and recipients authors and the publisher's city the
      manuscript's place -- and carried in ``note`` instead;
    * ``event-place``: the place of writing (a manuscript's Place in Zotero);
    * ``abstract``: the entry's description;
    * ``note``: the Extra lines (:func:`edition_lines`, :func:`entry_lines`), one per line.
    """
    rec = entry_to_csl(entry)
    lines = edition_lines(rec, entry) + entry_lines(rec, entry)
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if key in ("editor", "publisher-place"):
            continue
        if key == "recipient" and ZOTERO_TYPE[rec["type"]] == "manuscript":
            continue
        out[key] = value
        if key == "issued" and entry.place and one_line(entry.place):
            out["event-place"] = one_line(entry.place)
    if "event-place" not in out and entry.place and one_line(entry.place):
        out["event-place"] = one_line(entry.place)
    if entry.description and entry.description.strip():
        out["abstract"] = entry.description
    if lines:
        out["note"] = "\n".join(f"{k}: {v}" for k, v in lines)
    return out
