"""Compatibility layer: make citeproc-py print what citeproc-js prints.

Every difference between citeproc-py 0.11 and citeproc-js (the reference CSL processor, used by
Zotero) that the project's corpora and styles hit is fixed here, in one place, as small patches
to named citeproc-py methods (applied explicitly by :func:`apply`, once per process, when the
first formatter is built) or as pre/post-processing steps that :mod:`.processor` calls.  Each
patch says which citeproc-js behaviour it reproduces; ``docs/citations.md`` lists them and the
differences that remain.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from typing import Any

from .markup import strip_markers

_APPLIED = False


class Locator:
    """A citeproc-py locator that compares by value (citeproc-py's has identity equality, so
    two cites of the same page were never ``ibid``)."""

    def __init__(self, label: str, identifier: str) -> None:
        self.label = label
        self.identifier = identifier

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Locator) and self.label == other.label
                and self.identifier == other.identifier)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((self.label, self.identifier))


def apply() -> None:
    """Install the citeproc-py patches (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    from citeproc import model

    _patch_initialize(model)
    _patch_position(model)
    _patch_conditions(model)
    _patch_xpath_caches(model)
    _APPLIED = True


# -- names ------------------------------------------------------------------------------------

def _patch_initialize(model) -> None:
    """``initialize="false"``: keep full given names (citeproc-py always initialised them when
    ``initialize-with`` was set, so Chicago printed "K." for "Konstantin")."""
    model.CitationStylesElement._default_options.setdefault("initialize", "true")
    original = model.Name.initialize

    def initialize(self, given, mark, context):
        try:
            value = self.get_option("initialize", context)
        except Exception:  # noqa: BLE001 -- an option lookup must never fail the render
            value = "true"
        if str(value).lower() == "false":
            return given
        return original(self, given, mark, context)

    model.Name.initialize = initialize


# -- speed ------------------------------------------------------------------------------------

def _patch_xpath_caches(model) -> None:
    """Memoise the xpath lookups citeproc-py repeats for every item (macros, terms, layout and
    ancestor searches).  Style and locale trees are never modified after loading, so caching by
    (element, expression) is safe; results are per parsed tree."""
    base = model.CitationStylesElement
    original = base.xpath_search
    cache: dict[tuple[int, str], list] = {}
    keep: dict[int, object] = {}

    def xpath_search(self, expression):
        key = (id(self), expression)
        try:
            return cache[key]
        except KeyError:
            result = original(self, expression)
            cache[key] = result
            keep[id(self)] = self  # keep the proxy alive so its id is not reused
            return result

    base.xpath_search = xpath_search

    original_root = base.get_root
    roots: dict[int, object] = {}

    def get_root_cached(self):
        key = id(self)
        root = roots.get(key)
        if root is None:
            root = original_root(self)
            roots[key] = root
            keep[key] = self
        return root

    base.get_root = get_root_cached


# -- post-processing -------------------------------------------------------------------------

_PIQ = re.compile("([\u201d])([\ue000-\ue00d]*)([.,])")


def punctuation_in_quote(text: str) -> str:
    """en-US ``punctuation-in-quote``: a comma or period right after a closing quote moves
    inside it (citeproc-py ignores the locale option)."""
    return _PIQ.sub(lambda m: m.group(3) + m.group(1) + m.group(2), text)


# -- records ---------------------------------------------------------------------------------

def parse_record(rec: dict[str, Any]):
    """One CSL-JSON record as a citeproc-py Reference (raises on what citeproc-py cannot read).

    Pre-processing done the citeproc-js way: straight apostrophes and quotes in text become
    typographic ones, and an empty ``date-parts`` is treated as no date.
    """
    from citeproc.source.json import CiteProcJSON

    clean = dict(rec)
    for key, value in rec.items():
        if isinstance(value, str) and key not in ("id", "type", "URL", "language", "DOI"):
            clean[key] = smart_quotes(value)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            clean[key] = [{k: smart_quotes(v) if isinstance(v, str) else v for k, v in n.items()}
                          for n in value]
        if isinstance(value, dict) and "date-parts" in value:
            parts = [p for p in value["date-parts"] if p and p[0] not in ("", None)]
            if not parts:
                if "literal" in value:
                    clean[key] = {k: v for k, v in value.items() if k != "date-parts"}
                else:
                    del clean[key]
            else:
                clean[key] = dict(value, **{"date-parts": [[int(x) for x in p] for p in parts]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns about variables it does not know
        source = CiteProcJSON([clean])
    (ref,) = source.values()
    return ref


_DOUBLE = re.compile(r'"([^"]*)"')


def smart_quotes(text: str) -> str:
    """Straight quotes as citeproc-js prints them: ``'`` -> ``’`` and ``"…"`` -> ``“…”``."""
    if '"' in text:
        text = _DOUBLE.sub("\u201c\\1\u201d", text)
    return text.replace("'", "\u2019")


# -- positions -------------------------------------------------------------------------------

FIRST, SUBSEQUENT, IBID, IBID_LOC = "first", "subsequent", "ibid", "ibid-with-locator"


def compute_positions(cites: list[tuple[str, str | None]], near_note_distance: int = 5
                      ) -> list[tuple[str, bool]]:
    """(position, near-note) of each single-item citation, as citeproc-js assigns them.

    ``ibid``: same item as the citation right before, with the same locator or none on both;
    ``ibid-with-locator``: same item, and the locator differs or only this cite has one; a
    repeat after a cite with a locator but without one itself is ``subsequent``.
    """
    out: list[tuple[str, bool]] = []
    last_note: dict[str, int] = {}
    prev: tuple[str, str | None] | None = None
    for n, (rid, loc) in enumerate(cites, 1):
        if rid not in last_note:
            pos = FIRST
        elif prev is not None and prev[0] == rid:
            if prev[1] == loc:
                pos = IBID
            elif loc is not None:
                pos = IBID_LOC
            else:
                pos = SUBSEQUENT
        else:
            pos = SUBSEQUENT
        near = rid in last_note and n - last_note[rid] <= near_note_distance
        out.append((pos, near))
        last_note[rid] = n
        prev = (rid, loc)
    return out


def _patch_position(model) -> None:
    """Positions are computed by :func:`compute_positions` and set on each cite; citeproc-py's
    own test compared Locator objects by identity and ignored the note distance."""
    original = model.If._position

    def _position(self, item, context):
        given = item.get("exporter_position") if hasattr(item, "get") else None
        if given is None:
            return original(self, item, context)
        if context is None:
            context = self
        if context.xpath_search("./ancestor::*[self::cs:bibliography]"):
            return [False]
        pos, near = given
        results = []
        for test in self.get("position").split():
            if test == FIRST:
                results.append(pos == FIRST)
            elif test == SUBSEQUENT:
                results.append(pos != FIRST)
            elif test == IBID:
                results.append(pos in (IBID, IBID_LOC))
            elif test == IBID_LOC:
                results.append(pos == IBID_LOC)
            elif test == "near-note":
                results.append(pos != FIRST and near)
            else:
                results.append(False)
        return results

    model.If._position = _position


def _patch_conditions(model) -> None:
    """``cs:if``/``cs:else-if`` as citeproc-js evaluates them.

    * ``disambiguate="true"`` holds only for cites still ambiguous after the other steps
      (citeproc-py ignored the test, so those branches were always taken);
    * ``is-numeric`` accepts ranges and lists ("1-2", "12, 15", "3 & 4"), not only "12";
    * the ``match`` rule applies to all tests together, including ``disambiguate``.
    """

    def render(self, item, context=None, delimiter="", **kwargs):
        results = []
        if "type" in self.attrib:
            results += self._type(item)
        if "variable" in self.attrib:
            results += self._variable(item)
        if "is-numeric" in self.attrib:
            results += self._is_numeric(item)
        if "is-uncertain-date" in self.attrib:
            results += self._is_uncertain_date(item)
        if "locator" in self.attrib:
            results += self._locator(item)
        if "position" in self.attrib:
            results += self._position(item, context)
        if "disambiguate" in self.attrib:
            flag = bool(item.get("exporter_disambiguate")) if hasattr(item, "get") else False
            results.append(flag == (self.get("disambiguate") == "true"))
        match = self.get("match")
        if match == "any":
            result = any(results)
        elif match == "none":
            result = not any(results)
        else:
            result = all(results)
        if not result:
            raise model.ConditionFailed
        return self.render_children(item, context=context, delimiter=delimiter, **kwargs)

    def _is_numeric(self, item):
        out = []
        for var in self.get("is-numeric").split():
            name = var.replace("-", "_")
            try:
                value = item.reference[name] if name in item.reference else None
            except Exception:  # noqa: BLE001
                value = None
            out.append(value is not None and is_numeric(str(value)))
        return out

    model.If.render = render
    model.If._is_numeric = _is_numeric


_NUMERIC_PART = re.compile(r"^[A-Za-z]*\d+[A-Za-z]*$")
_NUMERIC_SPLIT = re.compile(r"\s*(?:[-\u2013,&]|\band\b)\s*")


def is_numeric(value: str) -> bool:
    """CSL ``is-numeric``: numbers with optional affixes, in ranges or lists."""
    parts = [p for p in _NUMERIC_SPLIT.split(value.strip())]
    return bool(parts) and all(_NUMERIC_PART.match(p) for p in parts)


# -- bibliography ----------------------------------------------------------------------------

def _new_item(run, rid: str, **extra):
    from citeproc import Citation, CitationItem

    item = CitationItem(rid)
    for key, value in extra.items():
        item[key] = value
    run.bib.register(Citation([item]))
    return item


def sort_bibliography(run) -> list[str]:
    """Record ids in the style's bibliography order (input order when the style has no sort).

    Sort keys are computed per record; a record whose key cannot be computed sorts last.
    """
    ids = list(run.records)
    bibliography = run.style.root.bibliography
    if bibliography is None:
        return ids
    sort = bibliography.find("cs:sort", bibliography.nsmap)
    if sort is None:
        return ids
    items = [_new_item(run, rid) for rid in ids]
    layout = bibliography.layout
    return [item.key_id for item in _sort_items(sort, items, layout, ids)]


def _sort_items(sort, items, context, ids):
    from functools import cmp_to_key

    for item, rid in zip(items, ids):
        item["key_id"] = rid
    columns = []
    for key in sort.findall("cs:key", sort.nsmap):
        descending = key.get("sort", "ascending").lower() == "descending"
        values = []
        for item in items:
            try:
                values.append(_sort_value(key, item, context))
            except Exception:  # noqa: BLE001 -- an odd record sorts last instead of failing
                values.append(None)
        columns.append((values, descending))

    def compare(a: int, b: int) -> int:
        for values, descending in columns:
            x, y = values[a], values[b]
            if x is None and y is None:
                continue
            if x is None:
                return 1
            if y is None:
                return -1
            if x != y:
                result = -1 if x < y else 1
                return -result if descending else result
        return 0

    order = sorted(range(len(items)), key=cmp_to_key(compare))
    return [items[i] for i in order]


def _sort_value(key, item, context):
    """One sort key value, compared the way citeproc-js compares them."""
    value = key.sort_keys([item], context)[0]
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (0, value, "")
    text = strip_markers(str(value))
    if not text:
        return None
    return (1, 0, collation_key(text))


_RUNS = re.compile(r"\||\d+|[^\d|]+")
_SPACES = re.compile(r"\s+")


def collation_key(text: str) -> tuple:
    """Sort key like citeproc-js's (ICU collator with ``sensitivity: base``,
    ``ignorePunctuation``, ``numeric``, over keys whose spaces are written as ``|``): case and
    accents ignored, punctuation ignored, a word break sorts before any letter or digit, and
    digit runs compare by value.  citeproc-py compared code points ("10 March" < "2 April",
    "Dolgorukova, Maria" < "Dolgorukov, Konstantin" the other way round)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    joined = _SPACES.sub("|", decomposed.strip()) + "|"
    base = "".join(ch for ch in joined if ch.isalnum() or ch == "|")
    return tuple((0, 0, "") if run == "|" else (1, int(run), "") if run.isdigit() else (2, 0, run)
                 for run in _RUNS.findall(base))


def render_bibliography(run, ordered: list[str], cached) -> list[tuple[str, str | None, str | None]]:
    """(id, raw rendering, error) per record in bibliography order."""
    bibliography = run.style.root.bibliography
    out = []
    if bibliography is None:
        return [(rid, None, "the style has no bibliography") for rid in ordered]
    layout = bibliography.layout
    for rid in ordered:
        key = (run.keys[rid], run.style_key, "bibliography")

        def render(rid=rid):
            item = _new_item(run, rid)
            layout.repressed = {}
            text = layout.render_children(item)
            if text is None:
                raise ValueError("the style produced no output for this record")
            return finish_bibliography(run, str(layout.format(layout.wrap(text))))

        try:
            out.append((rid, cached(key, render), None))
        except Exception as exc:  # noqa: BLE001
            out.append((rid, None, _reason(exc)))
    return out


def finish_bibliography(run, text: str) -> str:
    if run.style.piq:
        text = punctuation_in_quote(text)
    return text


# -- citations -------------------------------------------------------------------------------

def render_citations(run, cites: list[tuple[str, str | None]], note: bool, cached
                     ) -> list[tuple[str, str | None, str | None]]:
    """(id, raw rendering, error) per cite, in order."""
    positions = compute_positions(cites)
    citation = run.style.root.citation
    layout = citation.layout
    out = []
    for (rid, loc), (pos, near) in zip(cites, positions):
        if rid in run.errors:
            out.append((rid, None, run.errors[rid]))
            continue
        if rid not in run.records:
            out.append((rid, None, f"no record with id {rid!r}"))
            continue
        key = (run.keys[rid], run.style_key, "note" if note else "in-text", pos, near, loc)

        def render(rid=rid, loc=loc, pos=pos, near=near):
            extra = {"exporter_position": (pos, near)}
            if loc:
                extra["locator"] = Locator("page", str(loc))
            item = _new_item(run, rid, **extra)
            citation.cites = []
            layout.repressed = {}
            text = layout.render_children(item)
            if text is None:
                raise ValueError("the style produced no output for this record")
            return finish_citation(run, str(layout.format(layout.wrap(text))), note)

        try:
            out.append((rid, cached(key, render), None))
        except Exception as exc:  # noqa: BLE001
            out.append((rid, None, _reason(exc)))
    return out


def finish_citation(run, text: str, note: bool) -> str:
    if run.style.piq:
        text = punctuation_in_quote(text)
    if note and run.style.is_note:
        text = capitalize_first(text)
    return text


_FIRST_LETTER = re.compile(f"^([\ue000-\ue00d\u201c\u2018\"'(\\[]*)(\\w)")


def capitalize_first(text: str) -> str:
    """A note starts with a capital (citeproc-js capitalises the first word of a note)."""
    return _FIRST_LETTER.sub(lambda m: m.group(1) + m.group(2).upper(), text, count=1)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def prepare_style(style) -> None:
    """Per-style facts the post-processing needs (read once when the style is loaded)."""
    root = style.root
    style.is_note = root.get("class") == "note"
    try:
        piq = root.get_locale_option("punctuation-in-quote")
    except Exception:  # noqa: BLE001
        piq = None
    style.piq = str(piq).lower() == "true"
