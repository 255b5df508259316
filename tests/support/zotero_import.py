"""Zotero's import translators, written down as rules: which field of a Zotero item each RIS tag,
BibTeX field and CSL-JSON variable lands in.

The tests parse an export with an independent reader (rispy, bibtexparser, ``json``) and then
apply these rules, so what a scholar finds in Zotero is judged by Zotero's mapping code, not by
the project's writers.  Every rule names the source line it encodes.  The sources, read from the
public repositories:

* ``RIS.js`` -- zotero/translators @ f50d4465 (lastUpdated 2023-07-28): ``importTypeMap``,
  ``fieldMap``, ``degenerateImportFieldMap``, ``TagMapper.getField``, ``processTag``,
  ``applyValue``, ``dateRIStoZotero``, ``completeItem``;
* ``BibTeX.js`` -- zotero/translators @ d2d7747b (lastUpdated 2019-09-17): ``bibtex2zoteroTypeMap``,
  ``fieldMap``, ``inputFieldMap``, ``processField``, ``beginRecord``;
* ``CSL JSON.js`` -- zotero/translators @ ed645262 (2022-09-20): ``ZU.itemFromCSLJSON(item, d)``,
  i.e. ``Utilities_Item.itemFromCSLJSON`` in zotero/utilities ``utilities_item.js``;
* ``schema.json`` -- zotero/zotero-schema @ b5b3f512: the ``letter`` and ``manuscript`` item
  types (fields, base fields, creator types) and ``csl.fields.text`` / ``csl.names``;
* saving: ``Zotero.Item.prototype.setCreator`` (zotero/zotero ``item.js``: "Invalid creator type
  ... -- changing to primary creator"), ``Utilities_Item.itemToAPIJSON`` ("Discarded field ...:
  field not valid for type"), and ``Zotero.Utilities.Internal.extractExtraFields``
  (zotero/zotero ``utilities_internal.js``: Extra lines naming a field valid for the item type
  and still empty move into that field; lines naming a creator type valid for the type become
  creators; every other line stays in Extra).

Only what the exports use is encoded: the item types ``letter`` and ``manuscript`` and the tags,
fields and variables the writers emit.  A tag, field or variable not listed here is dropped (as
the translators drop what they do not map), so an export cannot pass by using one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# -- schema.json (zotero/zotero-schema @ b5b3f512) ------------------------------------------

#: itemTypes[letter].fields / itemTypes[manuscript].fields (base fields resolved: letterType and
#: manuscriptType have baseField "type").
FIELDS = {
    "letter": {"title", "abstractNote", "letterType", "date", "language", "shortTitle", "url", "accessDate",
               "archive", "archiveLocation", "libraryCatalog", "callNumber", "rights", "extra"},
    "manuscript": {"title", "abstractNote", "manuscriptType", "place", "date", "numPages", "language",
                   "shortTitle", "url", "accessDate", "archive", "archiveLocation", "libraryCatalog",
                   "callNumber", "rights", "extra"},
}
#: baseField "type" -> the type-specific field ({"field": "letterType", "baseField": "type"}).
BASE_TYPE_FIELD = {"letter": "letterType", "manuscript": "manuscriptType"}
#: itemTypes[...].creatorTypes; the one with "primary": true first.
CREATOR_TYPES = {"letter": ("author", "contributor", "recipient"),
                 "manuscript": ("author", "contributor", "translator")}
#: csl.fields.text, in the schema's order (itemFromCSLJSON walks it in this order and a later
#: variable mapped to the same field overwrites an earlier one).  Only the Zotero fields that
#: exist in some item type matter here; the full lists are copied.
CSL_TEXT_MAPPINGS = [
    ("abstract", ["abstractNote"]), ("archive", ["archive"]), ("archive_location", ["archiveLocation"]),
    ("authority", ["court", "legislativeBody", "issuingAuthority"]),
    ("call-number", ["callNumber", "applicationNumber"]), ("chapter-number", ["session"]),
    ("collection-number", ["seriesNumber"]), ("collection-title", ["seriesTitle", "series"]),
    ("container-title", ["publicationTitle", "reporter", "code"]), ("dimensions", ["artworkSize", "runningTime"]),
    ("DOI", ["DOI"]), ("edition", ["edition"]), ("event", ["meetingName", "conferenceName"]),
    ("event-place", ["place"]), ("genre", ["type", "programmingLanguage"]), ("ISBN", ["ISBN"]),
    ("ISSN", ["ISSN"]), ("issue", ["issue", "priorityNumbers"]), ("journalAbbreviation", ["journalAbbreviation"]),
    ("language", ["language"]), ("medium", ["medium", "system"]), ("note", ["extra"]), ("number", ["number"]),
    ("number-of-pages", ["numPages"]), ("number-of-volumes", ["numberOfVolumes"]), ("page", ["pages"]),
    ("publisher", ["publisher"]), ("publisher-place", ["place"]), ("references", ["history", "references"]),
    ("scale", ["scale"]), ("section", ["section", "committee"]), ("shortTitle", ["shortTitle"]),
    ("source", ["libraryCatalog"]), ("status", ["legalStatus"]), ("title", ["title"]),
    ("title-short", ["shortTitle"]), ("URL", ["url"]), ("version", ["versionNumber"]),
    ("volume", ["volume", "codeNumber"]),
]
#: csl.fields.date
CSL_DATE_MAPPINGS = {"accessed": "accessDate", "issued": "date", "submitted": "filingDate"}
#: csl.names: Zotero creator type -> CSL name variable, in the schema's order.
CSL_NAME_MAPPINGS = [("author", "author"), ("bookAuthor", "container-author"), ("composer", "composer"),
                     ("director", "director"), ("editor", "editor"), ("interviewer", "interviewer"),
                     ("recipient", "recipient"), ("reviewedAuthor", "reviewed-author"),
                     ("seriesEditor", "collection-editor"), ("translator", "translator")]
#: Every Zotero item field name (for Extra keys written as a field name, e.g. "Place: x").
ALL_FIELD_NAMES = {f for fs in FIELDS.values() for f in fs} | {
    "publicationTitle", "bookTitle", "series", "seriesTitle", "seriesNumber", "volume", "numberOfVolumes",
    "edition", "publisher", "pages", "issue", "section", "number", "type", "place"}
ALL_CREATOR_TYPES = {"author", "contributor", "editor", "translator", "seriesEditor", "bookAuthor", "recipient",
                     "reviewedAuthor", "interviewer", "composer", "director"}


@dataclass
class Item:
    """A Zotero item after import and save: fields, creators, Extra lines, child notes."""

    itemType: str
    fields: dict = field(default_factory=dict)
    #: (creatorType, lastName, firstName or None for a single-field name)
    creators: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def people(self, creator_type: str) -> list:
        return [(last, first) for t, last, first in self.creators if t == creator_type]

    def extra_values(self, key: str) -> list:
        """Values of the Extra lines ``key: value`` (key compared as extractExtraFields normalises)."""
        want = normalize_extra_key(key)
        out = []
        for line in self.extra:
            k, v = extra_key_value(line)
            if k == want:
                out.append(v)
        return out


def set_creator(item: Item, creator_type: str, last: str, first: str | None) -> None:
    # item.js setCreator: "If creatorTypeID isn't valid for this type, use the primary type"
    if creator_type not in CREATOR_TYPES[item.itemType]:
        creator_type = CREATOR_TYPES[item.itemType][0]
    item.creators.append((creator_type, last, first))


def save(item: Item, raw_fields: dict) -> Item:
    """What saving keeps: fields valid for the type (itemToAPIJSON: "Discarded field ...: field not
    valid for type"; base field ``type`` mapped to letterType/manuscriptType by
    getFieldIDFromTypeAndBase), then Extra lines migrated (extractExtraFields)."""
    for name, value in raw_fields.items():
        if value in (None, ""):
            continue
        if name == "type":
            name = BASE_TYPE_FIELD[item.itemType]
        if name in FIELDS[item.itemType] and name != "extra":
            item.fields[name] = value
    extra = raw_fields.get("extra") or ""
    migrate_extra(item, extra.split("\n") if extra else [])
    return item


_EXTRA_LINE = re.compile(r"^([a-z][a-z -_]+):(.+)", re.I)  # utilities_internal.js getKeyAndValue


def normalize_extra_key(key: str) -> str:
    # utilities_internal.js _normalizeExtraKey: fooBar -> foo-bar, lower case, spaces/_ -> -
    key = re.sub(r"([a-z])([A-Z])", r"\1-\2", key.strip()).lower()
    return re.sub(r"[\s_-]", "-", key)


def extra_key_value(line: str) -> tuple[str | None, str | None]:
    m = _EXTRA_LINE.match(line)
    if not m or not m.group(2).strip():
        return None, None
    return normalize_extra_key(m.group(1)), m.group(2).strip()


def migrate_extra(item: Item, lines: list[str]) -> None:
    """extractExtraFields(extra, item): a line whose key names a field (Zotero field name or CSL
    variable) valid for the item type and still empty moves into it; a line whose key names a
    creator type valid for the type (and no creator of that type yet) becomes a creator
    (``Last || First`` or a single name); every other line stays."""
    field_names: dict[str, list[str]] = {normalize_extra_key(f): [f] for f in ALL_FIELD_NAMES}
    for var, fields in CSL_TEXT_MAPPINGS:
        key = normalize_extra_key(var)
        field_names[key] = field_names.get(key, []) + fields
    for var, fld in CSL_DATE_MAPPINGS.items():
        field_names[normalize_extra_key(var)] = field_names.get(normalize_extra_key(var), []) + [fld]
    creator_types = {normalize_extra_key(t): t for t in ALL_CREATOR_TYPES}
    creator_types.update({csl.lower(): z for z, csl in CSL_NAME_MAPPINGS})
    had = {t for t, _, _ in item.creators}
    kept = []
    for line in lines:
        key, value = extra_key_value(line)
        if key is None:
            kept.append(line)
            continue
        moved = False
        for possible in field_names.get(key, []):
            name = BASE_TYPE_FIELD[item.itemType] if possible == "type" else possible
            if name in FIELDS[item.itemType] and name != "extra" and not item.fields.get(name):
                item.fields[name] = value
                moved = True
                break
        if not moved and key in creator_types:
            ctype = creator_types[key]
            if ctype in CREATOR_TYPES[item.itemType] and ctype not in had:
                last, _, first = value.partition("||")
                item.creators.append((ctype, last.strip(), first.strip() or None) if "||" in value
                                     else (ctype, value, None))
                moved = True
        if not moved:
            kept.append(line)
    item.extra = kept


# -- RIS.js (zotero/translators @ f50d4465) -------------------------------------------------

#: importTypeMap (filled from exportTypeMap: letter: "PCOMM", manuscript: "MANSCPT").
RIS_TYPES = {"PCOMM": "letter", "MANSCPT": "manuscript"}

#: TagMapper([fieldMap, degenerateImportFieldMap]).getField(itemType, tag) for the two item
#: types; tags not listed map to nothing ('unknown': dropped, ignoreUnknown = true).
RIS_FIELDS = {
    "TI": {"letter": "title", "manuscript": "title"},  # fieldMap.TI.__default
    "AU": {"letter": "creators/author", "manuscript": "creators/author"},  # fieldMap.AU.__default
    "A2": {"letter": "creators/recipient"},  # fieldMap.A2 "creators/recipient": [..., "letter"]
    "DA": {"letter": "date", "manuscript": "date"},  # fieldMap.DA.__default
    "PY": {"letter": "date", "manuscript": "date"},  # fieldMap.PY.__default (backupDate)
    "M3": {"letter": "letterType", "manuscript": "manuscriptType"},  # fieldMap.M3
    "CY": {"letter": "place", "manuscript": "place"},  # fieldMap.CY.__default (invalid for letter)
    "LA": {"letter": "language", "manuscript": "language"},  # fieldMap.LA.__default
    "DB": {"letter": "archive", "manuscript": "archive"},  # fieldMap.DB
    "AN": {"letter": "archiveLocation", "manuscript": "archiveLocation"},  # fieldMap.AN
    "UR": {"letter": "url", "manuscript": "url"},  # fieldMap.UR
    "AB": {"letter": "abstractNote", "manuscript": "abstractNote"},  # fieldMap.AB
    "N1": {"letter": "notes", "manuscript": "notes"},  # fieldMap.N1
    "M2": {"letter": "extra", "manuscript": "extra"},  # degenerateImportFieldMap.M2
    "M1": {"letter": "extra", "manuscript": "extra"},  # degenerateImportFieldMap.M1.__default
    "SP": {"letter": "pages", "manuscript": "numPages"},  # fieldMap.SP: numPages: [..., "manuscript"]
    "EP": {"letter": "pages", "manuscript": "pages"},  # degenerateImportFieldMap.EP (backupEndPage)
    "T2": {"letter": "publicationTitle", "manuscript": "publicationTitle"},  # degenerate T2 backupPublicationTitle
    "PB": {"letter": "publisher", "manuscript": "publisher"},  # fieldMap.PB.__default
    "VL": {"letter": "volume", "manuscript": "volume"},  # fieldMap.VL.__default
    "ID": {},  # degenerateImportFieldMap.ID: "__ignore"
    # A3 (fieldMap.A3 lists neither type), T3 (degenerate T3 only for book): unknown, dropped
}


def ris_tag_mapping() -> dict:
    """rispy's tag -> key mapping with every tag kept as itself (and M2 known), so the rules
    above see the tags as written."""
    from rispy import config

    mapping = {tag: tag for tag in config.TAG_KEY_MAPPING}
    mapping["M2"] = "M2"
    return mapping


def read_ris_tags(data: bytes) -> list[dict]:
    """rispy's reading of the file as {tag: [values]} per record (UR not split at ';')."""
    import rispy
    from rispy import config

    tags = list(config.TAG_KEY_MAPPING) + ["M2"]
    records = rispy.loads(data.decode("utf-8"), mapping=ris_tag_mapping(), list_tags=tags,
                          delimiter_tags_mapping={}, enforce_list_tags=True)
    # rispy keeps TY as a string; every other tag is a list of its values in file order
    return [{tag: values if isinstance(values, list) else [values] for tag, values in rec.items()}
            for rec in records]


def _unescape_html(value: str) -> str:
    # processTag: values other than N1/RN/AB go through Zotero.Utilities.unescapeHTML
    import html

    return html.unescape(value)


def ris_date(value: str):
    """dateRIStoZotero for ``date``: YYYY/MM/DD/other -> (year, month, day) without empty parts;
    the 'other' part (e.g. circa) is not kept."""
    m = re.match(r"^(\d+)(?:/(\d{0,2})(?:/(\d{0,2})(?:(?:/|\s)([^/]*))?)?)?$", value)
    if not m:
        return value
    parts = []
    for p in m.groups()[:3]:
        p = (p or "").lstrip("0")
        if not p:
            break
        parts.append(int(p))
    return tuple(parts)


def import_ris(record: dict) -> Item:
    """One rispy record (tag -> [values]) through RIS.js's import and Zotero's save."""
    ty = record["TY"][0].strip().upper()
    item_type = RIS_TYPES[ty]
    item = Item(item_type)
    raw: dict = {}
    extra: list[str] = []
    backup_date = None
    pages = None
    for tag, values in record.items():
        if tag in ("TY", "ER"):
            continue
        target = RIS_FIELDS.get(tag, {}).get(item_type)
        for value in values:
            value = value.strip()
            if not value or not target:
                continue  # processTag: empty values and unknown tags are dropped
            if tag not in ("N1", "AB"):
                value = _unescape_html(value)
            if tag == "PY":
                backup_date = ris_date(value)
            elif tag == "EP":
                pages = f"{pages}-{value}" if pages else value
            elif target.startswith("creators/"):
                # processTag: lName = value.split(/\s*,\s*/)[0]; the rest after it is firstName
                last = re.split(r"\s*,\s*", value)[0]
                first = re.sub(r"^\s*,\s*", "", value[len(last):])
                set_creator(item, target.split("/")[1], last, first or None)
            elif target == "notes":
                item.notes.append(value)
            elif target == "extra":
                extra.append(value)  # applyValue: item.extra += '\n' + value
            elif target == "date":
                raw.setdefault("date", ris_date(value))
            elif tag == "SP" and target == "pages":
                pages = value
            else:
                raw.setdefault(target, value)  # applyValue: an existing value is not overwritten
    if pages is not None:
        raw.setdefault("pages", pages)
    if backup_date is not None:
        raw.setdefault("date", backup_date)  # completeItem: backupDate only if no date
    raw["extra"] = "\n".join(extra)
    return save(item, raw)


# -- BibTeX.js (zotero/translators @ d2d7747b) ----------------------------------------------

#: bibtex2zoteroTypeMap (only the entries the exports could use)
BIBTEX_TYPES = {"letter": "letter", "unpublished": "manuscript", "misc": "book", "book": "book",
                "incollection": "bookSection", "inbook": "bookSection"}
#: fieldMap (address -> place, type -> type, title, language, url, abstract ...) and
#: inputFieldMap (publisher, booktitle ...)
BIBTEX_FIELDS = {"address": "place", "chapter": "section", "edition": "edition", "type": "type",
                 "series": "series", "title": "title", "volume": "volume", "copyright": "rights",
                 "shorttitle": "shortTitle", "url": "url", "abstract": "abstractNote", "language": "language",
                 "booktitle": "publicationTitle", "school": "publisher", "publisher": "publisher",
                 "issue": "issue", "journaltitle": "publicationTitle"}


def import_bibtex(entry) -> Item:
    """One bibtexparser entry (LaTeX decoded) through BibTeX.js's processField and Zotero's save."""
    item_type = BIBTEX_TYPES[entry.entry_type.lower()]
    item = Item(item_type)
    raw: dict = {}
    extra: list[str] = []
    backup_location = None
    for f in entry.fields:
        name, value = f.key.lower(), str(f.value)
        if not value.strip():
            continue
        if name in BIBTEX_FIELDS:
            raw[BIBTEX_FIELDS[name]] = value
        elif name in ("author", "editor", "translator"):
            # processField: split at " and ", then "Last, First" or a single (literal) name; the
            # creator type is the field name
            for name_ in re.split(r"\s+and\s+", value.strip(), flags=re.I):
                if not name_:
                    continue
                pieces = re.split(r"\s*,\s*", name_)
                if len(pieces) > 1:
                    set_creator(item, name, pieces[0], ", ".join(pieces[1:]))
                else:
                    set_creator(item, name, name_, None)
        elif name == "location":
            backup_location = value  # beginRecord: place = backupLocation if no place
        elif name == "number":
            raw["issue"] = value  # processField: neither report, book nor patent -> issue
        elif name == "date":
            raw["date"] = value
        elif name == "pages":
            raw["numPages" if item_type in ("book", "manuscript") else "pages"] = value
        elif name == "note":
            item.notes.append(value)  # processField: a note becomes a child note
        elif name == "howpublished":
            if len(value) >= 7:
                if value[:7] in ("http://", "https:/", "mailto:"):
                    raw["url"] = value
                else:
                    extra.append(f"Published: {value}")  # _extraFields {field: 'Published'}
        # any other field (namea, langid, editor types, archive ...) is not read
    if backup_location and not raw.get("place"):
        raw["place"] = backup_location
    raw["extra"] = "\n".join(extra)
    return save(item, raw)


# -- CSL JSON.js -> itemFromCSLJSON (zotero/utilities utilities_item.js) --------------------

#: CSL_TYPE_MAPPINGS_REVERSE[type][0] (csl.types in schema.json)
CSL_TYPES = {"personal_communication": "letter", "manuscript": "manuscript", "document": "document"}


def import_csl(rec: dict) -> Item:
    """One CSL-JSON record through itemFromCSLJSON and Zotero's save."""
    item_type = CSL_TYPES[rec["type"]]
    item = Item(item_type)
    raw: dict = {}
    # "map text fields": for each variable present, the first mapped field valid for the type;
    # item[field] = value (a later variable mapped to the same field overwrites)
    for var, fields in CSL_TEXT_MAPPINGS:
        if var in rec:
            for fld in fields:
                name = BASE_TYPE_FIELD[item_type] if fld == "type" else fld
                if name in FIELDS[item_type]:
                    raw[name] = rec[var]
                    break
    # "separate name variables": a creator type not valid for the type becomes the primary type
    for ztype, var in CSL_NAME_MAPPINGS:
        for name in rec.get(var, []):
            if name.get("family") or name.get("given"):
                set_creator(item, ztype, name.get("family", ""), name.get("given", "") or None)
            elif name.get("literal"):
                set_creator(item, ztype, name["literal"], None)
    # "get date variables": date-parts -> Zotero.Date.formatDate (compared here as its parts)
    for var, fld in CSL_DATE_MAPPINGS.items():
        if var in rec and fld in FIELDS[item_type]:
            parts = rec[var].get("date-parts", [[]])[0]
            raw[fld] = tuple(int(p) for p in parts if p)
    return save(item, raw)


def import_csl_file(data: bytes) -> list[Item]:
    """CSL JSON.js parseInput (JSON.parse of the whole file) then one item per record."""
    records = json.loads(data.decode("utf-8"))
    if not isinstance(records, list):
        records = [records]
    return [import_csl(r) for r in records]
