"""Speed patches: the same citeproc-py 0.11.1 code paths without repeated work.

Memoised look-ups on the (never modified) style and locale trees, a ``cs:text`` rendered in one
function, cheaper seams, and macro renderings shared between records.  They change no output:
installed as one unit by :func:`exporter.citations.compat.apply` unless
``EXPORTER_CITE_SPEEDUPS=0``, and ``tests/test_cite_speedups.py`` checks that every style and
mode prints the same with and without them.  Installed after :mod:`.fidelity` (they wrap the
methods it installs).
"""

from __future__ import annotations

from collections.abc import KeysView
from typing import Any

from . import fidelity_groups, givens
from .fidelity import ALL_DISAMBIGUATE, TERM_MARK
from .fidelity import ETAL as _EtAl
from .fidelity import FIRST_NAMES as _FirstNames
from .fidelity import GIVEN as _Given
from .fidelity import RECORDER as _Recorder
from .fidelity import SAS as _SAS
from .fidelity_sort_dates import CAPTURE as _SortDates
from .speedups_sort import plain_state

# -- speed ------------------------------------------------------------------------------------

def patch_xpath_caches(model) -> None:
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

    # calls_variable() depends only on the style tree; Group.process asks it of every child of
    # every group for every item, recursing through macros.
    for cls in (model.Parent, model.Text, model.Label, model.Date, model.Number, model.Names,
                model.Group):
        if "calls_variable" in cls.__dict__:
            _memoise_calls_variable(cls, keep)

    macros: dict[tuple[int, str], object] = {}

    def get_macro(self, name):
        root = self.get_root()
        key = (id(root), name)
        macro = macros.get(key)
        if macro is None:
            macro = root.xpath_search(f"cs:macro[@name='{name}'][1]")[0]
            macros[key] = macro
            keep[id(root)] = root
        return macro

    base.get_macro = get_macro

    options: dict[tuple[int, str], object] = {}
    original_locale_option = model.Locale.get_option

    def locale_get_option(self, name):
        key = (id(self), name)
        if key not in options:
            try:
                options[key] = original_locale_option(self, name)
            except IndexError:
                options[key] = IndexError
            keep[id(self)] = self
        value = options[key]
        if value is IndexError:
            raise IndexError
        return value

    model.Locale.get_option = locale_get_option

    # CitationItem.reference walks item -> citation -> bibliography -> source on every variable
    # access; the processor stores the reference on the item instead.
    from citeproc.source import CitationItem

    original_reference = CitationItem.reference

    def reference(self):
        ref = dict.get(self, "exporter_reference")
        return ref if ref is not None else original_reference.fget(self)

    CitationItem.reference = property(reference)



def patch_tree_walk(model) -> None:
    """Per-node facts the tree walk re-reads for every item, read once (style and locale trees
    are never modified after loading): each node's children (lxml builds a new list of proxies
    for every ``getchildren()``), the tests of a ``cs:if``, whether a node has any formatting
    attribute, the root and formatter, and term lookups.  Same code paths and results as
    citeproc-py; only the repeated lookups are gone."""
    keep: dict[int, object] = {}
    kids: dict[int, tuple] = {}

    def children(node) -> tuple:
        try:
            return kids[id(node)]
        except KeyError:
            value = kids[id(node)] = tuple(node.iterchildren())
            keep[id(node)] = node
            return value

    Choose, VariableError, join = model.Choose, model.VariableError, model.join

    def render_children(self, item, delimiter="", **kwargs):
        output = []
        for child in children(self):
            try:
                if isinstance(child, Choose):
                    text = child.render(item, delimiter=delimiter, **kwargs)
                else:
                    text = child.render(item, **kwargs)
                if text is not None:
                    output.append(text)
            except VariableError:
                pass
        if output:
            return join(output, delimiter)
        return None

    model.Parent.render_children = render_children

    ConditionFailed = model.ConditionFailed

    If = model.If
    # a cs:choose whose branches test nothing but the item type and which variables the record
    # has picks the same branch for every record of that type with those variables: remember
    # the branch per (choose, type, variables present)
    static: dict[int, tuple | None] = {}
    branches: dict[tuple, Any] = {}
    unshaped: set[tuple] = set()  # tested variables that a record's shape does not tell

    def choose_render(self, item, context=None, delimiter="", **kwargs):
        key = id(self)
        try:
            variables = static[key]
        except KeyError:
            variables = None
            if all(not isinstance(child, If) or child.exporter_static_variables() is not None
                   for child in children(self)):
                found: set = set()
                for child in children(self):
                    if isinstance(child, If):
                        found.update(child.exporter_static_variables())
                variables = tuple(sorted(found))
            static[key] = variables
            keep[key] = self
            if variables is not None and {"key", "year_suffix"}.intersection(variables):
                unshaped.add(variables)
        if variables is not None:
            reference = item.reference
            # the record's shape (its type and fields, read for the macro cache) decides the
            # branch as well, unless a test is of a field the shape leaves out
            shape = reference.__dict__.get("_exporter_shape")
            if shape is not None and variables not in unshaped:
                branch_key: tuple = (key, shape)
            else:
                branch_key = (key, reference.type, tuple([v in reference for v in variables]))
            branch = branches.get(branch_key, children)
            if branch is children:  # not seen yet
                branch = None
                for child in children(self):
                    if not isinstance(child, If) or child.exporter_test(item, context):
                        branch = child
                        break
                branches[branch_key] = branch
            if branch is None:
                return None
            if isinstance(branch, If):
                return branch.render_children(item, context=context, delimiter=delimiter, **kwargs)
            try:
                return branch.render(item, context=context, delimiter=delimiter, **kwargs)
            except ConditionFailed:
                return None
        for child in children(self):
            if isinstance(child, If):  # cs:if, cs:else-if: test without raising ConditionFailed
                if child.exporter_test(item, context):
                    return child.render_children(item, context=context, delimiter=delimiter, **kwargs)
                continue
            try:
                return child.render(item, context=context, delimiter=delimiter, **kwargs)
            except ConditionFailed:
                continue
        return None

    model.Choose.render = choose_render

    # per group: its delimiter, and each child with whether it is a cs:choose and whether it
    # calls a variable (both fixed by the style; None: a child's calls_variable() raised, asked
    # child by child as citeproc-py does)
    groups: dict[int, tuple | None] = {}

    def group_facts(group) -> tuple | None:
        try:
            kids_facts = tuple([(child, isinstance(child, Choose), bool(child.calls_variable()))
                                for child in children(group)])
        except Exception:
            return None
        return group.get("delimiter", ""), kids_facts

    def child_facts(node) -> tuple | None:
        key = id(node)
        try:
            facts = groups[key]
        except KeyError:
            facts = groups[key] = group_facts(node)
            keep[key] = node
        return None if facts is None else facts[1]

    fidelity_groups.CHILD_FACTS = child_facts

    def group_process(self, item, context=None, **kwargs):
        key = id(self)
        try:
            facts = groups[key]
        except KeyError:
            facts = groups[key] = group_facts(self)
            keep[key] = self
        if facts is None:
            return group_process_slow(self, item, context, **kwargs)
        delimiter, kids_facts = facts
        output = []
        variable_called = False
        variable_rendered = False
        for child, is_choose, calls in kids_facts:
            variable_called = variable_called or calls
            try:
                if is_choose:
                    child_text = child.render(item, context=context, delimiter=delimiter, **kwargs)
                else:
                    child_text = child.render(item, context=context, **kwargs)
                if child_text is not None:
                    output.append(child_text)
                    variable_rendered = variable_rendered or calls
            except VariableError:
                pass
        if output and (not variable_called or variable_rendered):
            return self.join(output)
        raise VariableError

    def group_process_slow(self, item, context=None, **kwargs):
        output = []
        variable_called = False
        variable_rendered = False
        delimiter = self.get("delimiter", "")
        for child in children(self):
            variable_called = variable_called or child.calls_variable()
            try:
                if isinstance(child, Choose):
                    child_text = child.render(item, context=context, delimiter=delimiter, **kwargs)
                else:
                    child_text = child.render(item, context=context, **kwargs)
                if child_text is not None:
                    output.append(child_text)
                    variable_rendered = variable_rendered or child.calls_variable()
            except VariableError:
                pass
        output = [text for text in output if text is not None]
        success = not variable_called or (variable_called and variable_rendered)
        if output and success:
            return self.join(output)
        raise VariableError

    model.Group.process = group_process

    # Formatted.format: a node without formatting attributes returns its text as is
    formatting = {"font-style": "normal", "font-variant": "normal", "font-weight": "normal",
                  "text-decoration": "none", "vertical-align": "baseline"}
    plain: dict[int, bool] = {}
    original_format = model.Formatted.format

    def format(self, string):
        key = id(self)
        flag = plain.get(key)
        if flag is None:
            # (an explicit font-style="normal" or vertical-align="baseline" is formatting too)
            flag = plain[key] = all(self.get(k, v) == v for k, v in formatting.items()) and not (
                "font-style" in self.attrib or "vertical-align" in self.attrib)
            keep[key] = self
        if flag:
            return str(string) if isinstance(string, (int, float)) else string
        return original_format(self, string)

    model.Formatted.format = format

    # Affixed.wrap: a node without prefix and suffix returns "" + text (normalize_seam of an
    # empty prefix or suffix changes nothing)
    affixed: dict[int, bool] = {}
    original_wrap = model.Affixed.wrap

    def wrap(self, string):
        key = id(self)
        flag = affixed.get(key)
        if flag is None:
            flag = affixed[key] = bool(self.get("prefix", "") or self.get("suffix", ""))
            keep[key] = self
        if flag:
            return original_wrap(self, string)
        if string is None:
            return None
        return "" + string

    model.Affixed.wrap = wrap

    Locale = model.Locale
    formatters: dict[int, Any] = {}

    def get_formatter(self):
        # the root's formatter is set per bibliography, so cache the root, not the formatter
        key = id(self)
        root = formatters.get(key)
        if root is None:
            root = self.get_root()
            if isinstance(root, Locale):
                root = root.style
            formatters[key] = root
            keep[key] = self
        return root.formatter

    model.CitationStylesElement.get_formatter = get_formatter

    original_get_term = model.CitationStylesElement.get_term
    terms: dict[tuple, object] = {}

    def get_term(self, name, form=None, fallback_locale=True, zero_padded=False):
        root = self.get_root()
        key = (id(root), name, form, fallback_locale, zero_padded)
        try:
            return terms[key]
        except KeyError:
            value = terms[key] = original_get_term(self, name, form, fallback_locale, zero_padded)
            keep[id(root)] = root
            return value

    model.CitationStylesElement.get_term = get_term

    # text-case, quotes, strip-periods: nodes without the attribute return the text as is
    # (citeproc-py read the attribute, and for quotes the locale option, for every call)
    has_attr: dict[tuple[int, str], bool] = {}

    def attr_flag(node, name: str, test) -> bool:
        key = (id(node), name)
        flag = has_attr.get(key)
        if flag is None:
            flag = has_attr[key] = test(node.get(name))
            keep[id(node)] = node
        return flag

    original_case = model.TextCased.case

    def case(self, text, language=None):
        if not attr_flag(self, "text-case", lambda v: v is not None):
            return text
        return original_case(self, text, language)

    model.TextCased.case = case

    original_quote = model.Quoted.quote

    def quote(self, string):
        if not attr_flag(self, "quotes", lambda v: (v or "false").lower() == "true"):
            return string
        return original_quote(self, string)

    model.Quoted.quote = quote

    original_strip = model.StrippedPeriods.strip_periods

    def strip_periods(self, string):
        if not attr_flag(self, "strip-periods", lambda v: (v or "false").lower() == "true"):
            return string
        return original_strip(self, string)

    model.StrippedPeriods.strip_periods = strip_periods

def _memoise_calls_variable(cls, keep) -> None:
    original = cls.__dict__["calls_variable"]
    memo: dict[int, bool] = {}

    def calls_variable(self):
        key = id(self)
        value = memo.get(key)
        if value is None:
            value = memo[key] = original(self)
            keep[key] = self
        return value

    cls.calls_variable = calls_variable


def patch_seams(model) -> None:
    """citeproc-py's ``normalize_seam`` (no doubled space or punctuation where two pieces meet)
    built the whole text of the left piece (``str`` of a list of segments) to read its last
    character, at every join; here the last and first characters are read from the segments.
    Same results: a segment whose type has its own ``__str__`` is still converted."""
    from citeproc import string as cstring

    mixed, strip_first = cstring.MixedString, cstring._strip_first_char
    punctuation = cstring.SEAM_PUNCTUATION
    str_str, mixed_str = str.__str__, mixed.__str__

    # how a type's text is read: 0 a str without its own __str__ (its characters), 1 a
    # MixedString without its own __str__ (its segments), 2 anything else (str(value));
    # decided once per type
    modes: dict[type, int] = {str: 0, mixed: 1}

    def mode_of(kind: type) -> int:
        if issubclass(kind, str) and kind.__str__ is str_str:
            mode = 0
        elif issubclass(kind, mixed) and kind.__str__ is mixed_str:
            mode = 1
        else:
            mode = 2
        modes[kind] = mode
        return mode

    def last_char(value) -> str:
        kind = type(value)
        mode = modes.get(kind)
        if mode is None:
            mode = mode_of(kind)
        if mode == 0:
            return value[-1:]
        if mode == 1:
            for segment in reversed(value):
                char = last_char(segment)
                if char:
                    return char
            return ""
        return str(value)[-1:]

    def first_char(value) -> str:
        kind = type(value)
        mode = modes.get(kind)
        if mode is None:
            mode = mode_of(kind)
        if mode == 0:
            return value[:1]
        if mode == 1:
            for segment in value:
                char = first_char(segment)
                if char:
                    return char
            return ""
        return str(value)[:1]

    def normalize_seam(left, other):
        last = last_char(left)
        if not last:
            return other
        first = first_char(other)
        if not first:
            return other
        if (last == " " and first == " ") or (last == first and first in punctuation):
            return strip_first(other)
        return other

    cstring.normalize_seam = normalize_seam
    model.normalize_seam = normalize_seam


def patch_string_add(model) -> None:
    """citeproc-py's ``String + x`` and ``MixedString + x`` each went through a decorator
    (``x == ''`` returns the left side), built a one-segment list for a ``String`` and caught a
    ``TypeError`` to tell a list from a string; the same steps in one function each, with the
    same seam normalisation (installed after :func:`patch_seams`)."""
    from citeproc import string as cstring

    mixed = cstring.MixedString
    normalize_seam = cstring.normalize_seam
    list_add = list.__add__

    def mixed_add(self, other):
        if other == "":
            return self
        other = normalize_seam(self, other)
        if other == "" or other == []:
            return self
        if isinstance(other, list):
            return self.__class__(list_add(self, other))
        return self.__class__(list_add(self, [other]))

    def string_add(self, other):
        if other == "":
            return self
        left = mixed([self])
        other = normalize_seam(left, other)
        if other == "" or other == []:
            return left
        if isinstance(other, list):
            return mixed(list_add(left, other))
        return mixed([self, other])

    mixed.__add__ = mixed_add
    cstring.String.__add__ = string_add


def patch_text_render(model) -> None:
    """``cs:text`` rendered in one function with its per-node facts read once: what it prints
    (variable, macro, term, value) and which of strip-periods, text-case, formatting, quotes and
    affixes it has.  Steps a node does not have are skipped (citeproc-py called each, and read
    the record's language, for every node and item); the steps it has run in citeproc-py's order
    through the same (patched) methods, so the output is the same.  Installed last: it keeps
    the behaviour of the Text patches above (sort options passed to macros, terms marked,
    fixed text title-cased as English)."""
    original = model.Text.render
    VariableError, String = model.VariableError, model.String
    facts: dict[int, tuple | None] = {}
    keep: dict[int, object] = {}
    formatting = {"font-style": "normal", "font-variant": "normal", "font-weight": "normal",
                  "text-decoration": "none", "vertical-align": "baseline"}

    def read(node) -> tuple | None:
        attrib = node.attrib
        if "variable" in attrib:
            kind, arg = "variable", None
        elif "macro" in attrib:
            kind, arg = "macro", attrib["macro"]
        elif "term" in attrib:
            kind, arg = "term", None
        elif "value" in attrib:
            kind, arg = "value", attrib["value"]
        else:
            return None
        fixed = kind in ("term", "value")
        return (kind, arg, fixed, kind == "term" and not node.get("prefix"),
                (node.get("strip-periods") or "false").lower() == "true",
                node.get("text-case") is not None,
                not all(node.get(k, v) == v for k, v in formatting.items())
                or "font-style" in node.attrib or "vertical-align" in node.attrib,
                (node.get("quotes") or "false").lower() == "true",
                bool(node.get("prefix", "") or node.get("suffix", "")))

    macros: dict[int, Any] = {}

    def render(self, item, context=None, **kwargs):
        key = id(self)
        try:
            node = facts[key]
        except KeyError:
            node = facts[key] = read(self)
            keep[key] = self
        if node is None:
            return original(self, item, context=context, **kwargs)
        kind, arg, fixed, mark, strip, case, formatted, quoted, affixed = node
        if context is None:
            context = self
        if kind == "variable":
            text = self._variable(item, context)
        elif kind == "macro":
            macro = macros.get(key)
            if macro is None:  # the macro a node calls is fixed by the style
                macro = macros[key] = self.get_macro(arg)
            sort_options = kwargs.get("sort_options")
            if sort_options:
                text = macro.render(item, context, sort_options=sort_options)
            else:
                text = macro.render(item, context)
        elif kind == "term":
            text = self._term(item)
        else:
            text = String(self.preformat(arg))
        if not text:
            return None
        if strip:
            text = self.strip_periods(text)
        if case:
            if fixed:
                language = "en"
            else:
                try:
                    language = item.reference.language[:2]
                except VariableError:
                    language = self.get_root().get("default-locale", "en")[:2]
            text = self.case(text, language)
        if formatted:
            text = self.format(text)
        elif isinstance(text, (int, float)):
            text = str(text)
        if quoted:
            text = self.quote(text)
        # wrap() without affixes is "" + text (which can change a str subclass to str)
        text = self.wrap(text) if affixed else "" + text
        if mark and text:
            text = TERM_MARK + text
        return text

    model.Text.render = render


# -- macro renderings shared between records --------------------------------------------------
#
# A macro's rendering is a function of the style node, the render state (context, sort options,
# position, disambiguation flag, locator, add-givenname mode, suppressed variables, formatter),
# the record's shape (its type and which fields it has) and the values of the fields the macro
# actually reads.  Reads are recorded while a macro renders (the references are
# TrackedReference instances), so a later record of the same shape with the same values in
# exactly those fields gets the stored rendering: a new record re-renders only the macros that
# read its new fields (its title, say), not its authors, date or volume.

#: Fields read by the macros being rendered, innermost last.
_READS: list[set] = []
_ABSENT = ("\ue0ff",)  # canonical value of a field the record does not have
_NONE = ("\ue0fe",)  # a stored rendering that was None
_macro_cache: dict[tuple, list] = {}
_shapes: dict[tuple, int] = {}
_item_states: dict[tuple, int] = {}
_macro_cache_size = 0
#: Upper bound of stored macro renderings; the cache is cleared when exceeded.
MACRO_CACHE_LIMIT = 100_000
#: Whether macro renderings are stored and shared (off: every macro is rendered).
MACRO_CACHE_ENABLED = True
_TRACKED_CLASS = None


class Uncacheable(Exception):
    """A field value with no canonical form: the rendering reading it is not stored."""


def canonical(value) -> object:
    """A hashable value that is equal for two field values exactly when citeproc-py sees the
    same value (same types, texts, name parts, date parts)."""
    if isinstance(value, str):
        return (type(value).__name__, str(value))
    if value is None or isinstance(value, (bool, int, float)):
        return (type(value).__name__, value)
    if isinstance(value, dict):
        return (type(value).__name__,
                tuple(sorted((str(k), canonical(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(canonical(v) for v in value))
    raise Uncacheable(type(value).__name__)


def _tracked_reference_class():
    """citeproc-py's Reference with its value reads recorded in :data:`_READS` (built on first
    use: citeproc is imported only when formatting).  Presence tests (``in``) are not recorded:
    the record's shape, part of every cache key, decides them."""
    global _TRACKED_CLASS
    if _TRACKED_CLASS is not None:
        return _TRACKED_CLASS
    from citeproc.source import Reference, VariableError

    class TrackedReference(Reference):
        def __getitem__(self, key):
            if _READS:
                _READS[-1].add(key)
            try:
                return dict.__getitem__(self, key)
            except KeyError:
                raise VariableError from None

        def get(self, key, default=None):
            if _READS:
                _READS[-1].add(key)
            return dict.get(self, key, default)

        def exporter_shape(self) -> int:
            """A small number naming the type and the set of fields (without the id and the
            year suffix, which are keyed apart)."""
            shape = self.__dict__.get("_exporter_shape")
            if shape is None:
                names: KeysView[str] = dict.keys(self)
                fields = (dict.get(self, "type"),) + tuple(sorted(
                    k for k in names if k not in ("key", "year_suffix")))
                shape = _shapes.setdefault(fields, len(_shapes))
                self.__dict__["_exporter_shape"] = shape
            return shape

        def exporter_value_key(self, fields: tuple) -> tuple:
            """The canonical values of ``fields``."""
            keys = self.__dict__.get("_exporter_keys")
            if keys is None:
                keys = self.__dict__["_exporter_keys"] = {}
            else:
                found = keys.get(fields)
                if found is not None:
                    return found
            memo = self.__dict__.get("_exporter_canon")
            if memo is None:
                memo = self.__dict__["_exporter_canon"] = {}
            out = []
            for name in fields:
                value = memo.get(name)
                if value is None:
                    raw = dict.get(self, name, _ABSENT)
                    value = memo[name] = raw if raw is _ABSENT else canonical(raw)
                out.append(value)
            value_key = keys[fields] = tuple(out)
            return value_key

    _TRACKED_CLASS = TrackedReference
    return TrackedReference


def clear_macro_cache(item_states: bool = False) -> None:
    """Forget the stored macro renderings (and with ``item_states`` the numbering of item
    states, which must stay fixed while an item renders: only between formatting calls)."""
    global _macro_cache_size
    _macro_cache.clear()
    _case_memo.clear()
    if item_states:
        _item_states.clear()
    _macro_cache_size = 0


def trim_item_states(limit: int = 100_000) -> None:
    """Between formatting calls: start the item-state numbering afresh when it has grown past
    ``limit`` (locators are free text), forgetting the macro renderings keyed by it."""
    if len(_item_states) > limit:
        clear_macro_cache(item_states=True)


#: Variables whose value is not a record field: a macro reading them is never stored.
_NOT_RECORD_VARIABLES = {"citation-number", "citation-label", "first-reference-note-number"}


def _macro_facts(macro) -> tuple[bool, bool, bool]:
    """(never store, contains cs:names, tests position) for a macro and the macros it calls,
    read statically from the style."""
    root = macro.getroottree().getroot()
    ns = root.nsmap
    macros = {m.get("name"): m for m in root.findall("cs:macro", ns)}
    never = names = position = False
    todo, seen = [macro], set()
    names_tag = "{http://purl.org/net/xbiblio/csl}names"
    while todo:
        current = todo.pop()
        for element in current.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag == names_tag:
                names = True
            if element.get("position") is not None:
                position = True
            for attr in ("variable", "is-numeric", "is-uncertain-date"):
                if set((element.get(attr) or "").split()) & _NOT_RECORD_VARIABLES:
                    never = True
            called = element.get("macro")
            if called is not None and called not in seen:
                seen.add(called)
                if called in macros:
                    todo.append(macros[called])
                else:
                    never = True
    return never, names, position


def patch_macro_cache(model) -> None:
    """Macro renderings stored and shared by records of the same shape with the same values in
    the fields the macro read (see the comment above :data:`_READS`), with what they change
    besides their output: variables suppressed by cs:substitute, the names captured for
    ``subsequent-author-substitute``.  Not stored: renderings inside a cs:substitute (it
    records what they print), a position test outside the bibliography without a position
    from :func:`compute_positions`."""
    original = model.Macro.render
    keep: dict[int, object] = {}
    facts_memo: dict[int, tuple] = {}
    contexts: dict[int, tuple] = {}
    tracked = _tracked_reference_class()

    def render(self, item, context=None, sort_options=None):
        global _macro_cache_size
        key = id(self)
        facts = facts_memo.get(key)
        if facts is None:
            facts = facts_memo[key] = _macro_facts(self)
            keep[key] = self
        never, has_names, has_position = facts
        # (cite grouping captures the first names, a date macro in a sort key the dates of the
        # macros it calls: rendered afresh)
        if never or context is None or _Recorder.stack or not MACRO_CACHE_ENABLED or _FirstNames.active \
                or _SortDates.stack:
            return original(self, item, context, sort_options)
        level = dict.get(item, "exporter_disambiguate")
        if level and level < ALL_DISAMBIGUATE:
            # a cite that meets only its first disambiguate tests counts them as it renders:
            # rendered afresh (at ALL_DISAMBIGUATE every test holds, as before)
            return original(self, item, context, sort_options)
        # names still to be captured for subsequent-author-substitute: the replacement is part
        # of the key, and the capture is stored with the rendering and replayed
        sas = (_SAS.replace,) if has_names and _SAS.active and not _SAS.seen else None
        reference = dict.get(item, "exporter_reference")
        if reference is None or type(reference) is not tracked:
            return original(self, item, context, sort_options)
        ctx = id(context)
        about = contexts.get(ctx)
        if about is None:
            root = context.get_root()
            about = contexts[ctx] = (context.get_layout(),
                                     bool(context.xpath_search("./ancestor::*[self::cs:bibliography]")),
                                     root.style if isinstance(root, model.Locale) else root)
            keep[ctx] = context
        layout, in_bibliography, root = about
        position = dict.get(item, "exporter_position")
        if has_position and position is None and not in_bibliography:
            return original(self, item, context, sort_options)
        repressed = layout.repressed
        # a macro without names and dates: the same in a sort key, keyed by the suppressed text
        # variables only, and it suppresses none (speedups_sort)
        plain = plain_state(self, repressed) if sort_options or repressed else None
        if plain is not None:
            sort_options, before = None, plain
        else:
            before = tuple([(tag, tuple(v)) for tag, v in repressed.items()]) if repressed else ()
        # what the item adds to the state is the same for every macro it renders: numbered once
        item_state = dict.get(item, "exporter_state")
        if item_state is None:
            locator = dict.get(item, "locator")
            facts_of_item = (reference.exporter_shape(), dict.get(reference, "year_suffix"), position,
                             bool(dict.get(item, "exporter_disambiguate")),
                             None if locator is None else (locator.label, str(locator.identifier)))
            item_state = item["exporter_state"] = _item_states.setdefault(facts_of_item, len(_item_states))
        # (keyed by the layout, not the calling node: a rendering depends on its context only
        # through the layout, the bibliography or citation it is in and the style)
        state = (key, id(layout), item_state, tuple(sorted(sort_options.items())) if sort_options else None,
                 _Given.initials if _Given.active else False, _EtAl.extra, _EtAl.shown, before, id(root.formatter), sas,
                 givens.CURRENT.key)
        variants = _macro_cache.get(state)
        value_key = reference.exporter_value_key
        try:
            if variants:
                for fields, table in variants:
                    hit = table.get(value_key(fields))
                    if hit is not None:
                        output, after, captured = hit
                        if _READS:
                            _READS[-1].update(fields)
                        if after is not None:
                            layout.repressed = {tag: list(v) for tag, v in after}
                        if captured is not None:
                            _SAS.seen, _SAS.captured = captured
                        return None if output is _NONE else output
        except Uncacheable:
            return original(self, item, context, sort_options)
        reads: set = set()
        _READS.append(reads)
        try:
            output = original(self, item, context, sort_options)
        finally:
            _READS.pop()
            if _READS:
                _READS[-1].update(reads)
        # the type and the year suffix are in the state already
        fields = tuple(sorted(reads.difference(("type", "year_suffix"))))
        try:
            value_key = reference.exporter_value_key(fields)
        except Uncacheable:
            return output
        repressed = layout.repressed
        if plain is not None:
            after = before
        else:
            after = tuple([(tag, tuple(v)) for tag, v in repressed.items()]) if repressed else ()
        if _macro_cache_size >= MACRO_CACHE_LIMIT:
            clear_macro_cache()
            variants = None
        if variants is None:
            variants = _macro_cache.setdefault(state, [])
        table = next((t for known, t in variants if known == fields), None)
        if table is None:
            table = {}
            variants.append((fields, table))
        table[value_key] = (_NONE if output is None else output, None if after == before else after,
                            None if sas is None else (_SAS.seen, _SAS.captured))
        _macro_cache_size += 1
        return output

    model.Macro.render = render



def patch_name_options(model) -> None:
    """``cs:name`` options read once per (node, option, context).  The chain of fidelity
    wrappers around citeproc-py's ``Name.get_option`` (given-name disambiguation, sort keys
    without "and", et-al-subsequent) ends, outside those cases, in a value that depends only on
    the style tree (the node's attribute, else its ``cs:citation``/``cs:bibliography``'s, else
    the style's or the default); those cases still go through the chain."""
    original = model.Name.get_option
    given, et_al = _Given, ("et-al-min", "et-al-use-first")
    memo: dict[tuple, object] = {}
    keep: dict[int, object] = {}

    def get_option(self, name, context=None, sort_options=None):
        if sort_options:
            # a sort key's own option, or "and" (left out of sort keys), is not the style's
            if name in sort_options or name == "and":
                return original(self, name, context, sort_options)
        elif given.active:
            return original(self, name, context, sort_options)
        if name in et_al:
            return original(self, name, context, sort_options)
        key = (id(self), name, id(context))
        try:
            return memo[key]
        except KeyError:
            value = memo[key] = original(self, name, context, sort_options)
            keep[id(self)] = self
            keep[id(context)] = context
            return value

    model.Name.get_option = get_option


#: Texts already cased (derived from records: emptied with the macro renderings).
_case_memo: dict[tuple, object] = {}


def _text_key(value, plain: tuple) -> tuple | None:
    """A key equal for two texts exactly when they are the same segments of the same plain
    citeproc-py string types with the same characters (None: some other type)."""
    kind = type(value)
    if kind in plain:
        if kind is plain[-1]:  # MixedString
            parts = []
            for segment in value:
                part = _text_key(segment, plain)
                if part is None:
                    return None
                parts.append(part)
            return (kind, tuple(parts))
        return (kind, str.__str__(value))
    return None


def patch_case_memo(model) -> None:
    """``text-case`` applied once per distinct text: the same container title or genre term
    is title-cased for every record that has it (and again for its sort key).  The result
    depends only on the node's ``text-case``, the language and the text's segments (their
    types and characters), which make the key; texts of other types are cased as before."""
    from citeproc.string import MixedString, NoCase, String

    original = model.TextCased.case
    plain = (str, String, NoCase, MixedString)
    cases = ("title", "capitalize-first", "capitalize-all", "sentence", "lowercase", "uppercase")

    def case(self, text, language=None):
        text_case = self.get("text-case")
        if text_case not in cases:
            return original(self, text, language)
        key = _text_key(text, plain)
        if key is None:
            return original(self, text, language)
        key = (text_case, language, id(type(self)._stop_words), key)
        try:
            return _case_memo[key]
        except KeyError:
            if len(_case_memo) >= MACRO_CACHE_LIMIT:
                _case_memo.clear()
            value = _case_memo[key] = original(self, text, language)
            return value

    model.TextCased.case = case


def patch_names_lookups(model) -> None:
    """``cs:names`` reads its ``cs:name`` and ``cs:label`` children (``names.name``: an lxml
    ``find`` through ``__getattr__``) and its citation's or bibliography's names delimiter for
    every record and variable; they are read once per node here.  A missing ``cs:name`` is
    looked up again (citeproc-py inserts one when rendering), a missing ``cs:label`` is not
    (nothing inserts one)."""
    found: dict[tuple[int, str], Any] = {}
    keep: dict[int, object] = {}
    missing = object()

    def child(tag: str, remember_missing: bool) -> property:
        path = "cs:" + tag

        def get(self):
            key = (id(self), tag)
            element = found.get(key)
            if element is None:
                element = self.find(path, self.nsmap)
                if element is not None:
                    found[key] = element
                    keep[id(self)] = self
                elif remember_missing:
                    found[key] = missing
                    keep[id(self)] = self
            return None if element is missing else element

        return property(get)

    model.Names.name = child("name", False)
    model.Names.label = child("label", True)

    original_delimiter = model.Names.get_parent_delimiter
    delimiters: dict[tuple[int, int], str] = {}

    def get_parent_delimiter(self, context=None):
        key = (id(self), id(context))
        try:
            return delimiters[key]
        except KeyError:
            value = delimiters[key] = original_delimiter(self, context)
            keep[id(self)] = self
            keep[id(context)] = context
            return value

    model.Names.get_parent_delimiter = get_parent_delimiter

    # a term's single and plural text: read from the locale tree and preformatted for every
    # label and term printed; once per (term, formatter) here (a String is immutable)
    texts: dict[tuple[int, int, str], Any] = {}

    def term_text(form: str, original) -> property:
        def get(self):
            formatter = self.get_formatter()
            key = (id(self), id(formatter), form)
            try:
                return texts[key]
            except KeyError:
                value = texts[key] = original.fget(self)
                keep[id(self)] = self
                keep[id(formatter)] = formatter
                return value

        return property(get)

    model.Term.single = term_text("single", model.Term.single)
    model.Term.multiple = term_text("multiple", model.Term.multiple)


#: Every speed patch, in installation order (``patch_text_render`` wraps the fidelity patches of
#: ``cs:text``, so it comes after them).
PATCHES = (patch_xpath_caches, patch_tree_walk, patch_macro_cache, patch_seams, patch_string_add,
           patch_text_render,
           patch_name_options, patch_case_memo, patch_names_lookups)
#: Whether :func:`exporter.citations.compat.apply` installed them in this process.
INSTALLED = False


def track(reference):
    """Make a parsed record record its field reads (needed by the macro cache; only when the
    speed patches are installed)."""
    if INSTALLED:
        object.__setattr__(reference, "__class__", _tracked_reference_class())
    return reference
