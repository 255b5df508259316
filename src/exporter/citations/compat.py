"""Compatibility layer: make citeproc-py print what citeproc-js prints.

Every difference between citeproc-py 0.11 and citeproc-js (the reference CSL processor, used by
Zotero) that the project's corpora and styles hit is fixed here, in one place, as small patches
to named citeproc-py methods (applied explicitly by :func:`apply`, once per process, when the
first formatter is built) or as pre/post-processing steps that :mod:`.processor` calls.  Each
patch says which citeproc-js behaviour it reproduces; ``docs/citations.md`` lists them and the
differences that remain.
"""

from __future__ import annotations

import functools
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
    _patch_stop_words(model)
    _patch_position(model)
    _patch_conditions(model)
    _patch_text_case(model)
    _patch_author_substitute(model)
    _patch_page_ranges(model)
    _patch_substitute(model)
    _patch_givenname(model)
    _patch_sort_name_labels(model)
    _patch_xpath_caches(model)
    _patch_tree_walk(model)
    _patch_macro_cache(model)
    _patch_seams(model)
    _patch_text_render(model)
    _APPLIED = True


# -- names ------------------------------------------------------------------------------------

def _patch_initialize(model) -> None:
    """Initials as citeproc-js makes them.

    * ``initialize="false"``: keep full given names (citeproc-py always initialised them when
      ``initialize-with`` was set, so Chicago printed "K." for "Konstantin");
    * a given-name part that does not start with a capital ("of", "(Rufus") is kept as is,
      without a stray initial mark before it (citeproc-py printed "E. of . (Rufus").
    """
    model.CitationStylesElement._default_options.setdefault("initialize", "true")

    def initialize(self, given, mark, context):
        try:
            value = self.get_option("initialize", context)
        except Exception:  # an option lookup must never fail the render
            value = "true"
        if str(value).lower() == "false":
            return given
        if self.get_option("initialize-with-hyphen", context):
            hyphen_parts = given.split("-")
        else:
            hyphen_parts = [given.replace("-", " ")]
        result_parts = []
        for hyphen_part in hyphen_parts:
            out, group = "", []
            for part in hyphen_part.replace(".", " ").split():
                if part[0].isupper():
                    group.append(part[0])
                else:
                    if group:
                        out += mark.join(group) + mark + " "
                    out += part + " "
                    group = []
            if group:
                out += mark.join(group) + mark
            result_parts.append(" ".join(out.split()))
        return "-".join(result_parts)

    model.Name.initialize = initialize


def _patch_stop_words(model) -> None:
    """Title case keeps citeproc-js's lower-case words ("al", "et", "von", "via", ...) in lower
    case; citeproc-py's list was shorter ("Consul General Al Moscow")."""
    model.TextCased._stop_words = sorted(set(model.TextCased._stop_words) | set(CITEPROC_JS_SKIP_WORDS))


#: Single-word entries of citeproc-js's ``CSL.SKIP_WORDS`` (title-case exceptions).
CITEPROC_JS_SKIP_WORDS = (
    "about above across afore after against al along alongside amid amidst among amongst anenst apropos "
    "apud around as aside astride at athwart atop barring before behind below beneath beside besides "
    "between beyond but by circa despite down during et except for forenenst from given in inside into "
    "lest like modulo near next notwithstanding of off on onto out over per plus pro qua sans since than "
    "through thru throughout thruout till to toward towards under underneath until unto up upon versus "
    "vs. v. vs v via vis-à-vis with within without or yet so and nor a an the de d' von van c ca").split()


# -- text case and terms -----------------------------------------------------------------------

#: Marks a rendered term that starts its output (so a note that starts with a term, e.g.
#: "ibid.", can be capitalised like citeproc-js does; removed before output).
TERM_MARK = "\ue00e"


def _patch_text_case(model) -> None:
    """Title case of terms, labels and fixed values whatever the item's language (citeproc-py
    passed no language for labels, so APA's "eds." never became "Eds."), and mark terms that
    start a citation."""
    original_case = model.TextCased.case

    def case(self, text, language=None):
        return original_case(self, text, "en" if language is None else language)

    model.TextCased.case = case

    def render(self, *args, **kwargs):
        text, language = self.process(*args, **kwargs)
        fixed = "term" in self.attrib or "value" in self.attrib
        out = self.markup(text, "en" if fixed else language)
        if out and "term" in self.attrib and not self.get("prefix"):
            out = TERM_MARK + out
        return out

    model.Text.render = render


# -- subsequent-author-substitute ---------------------------------------------------------------

class _Substitution:
    """State of the bibliography entry being rendered: the first names output, and what to print
    instead of it."""

    active = False
    seen = False
    captured: str | None = None
    replace: str | None = None
    #: Whether the last cs:substitute used names (not a title) in place of the missing ones.
    substituted_names: bool | None = None


_SAS = _Substitution()


def _patch_author_substitute(model) -> None:
    """``subsequent-author-substitute`` (rule ``complete-all``): the first names of a
    bibliography entry that repeat the previous entry's are replaced (citeproc-py ignored it)."""
    original = model.Names.render

    def render(self, item, *args, **kwargs):
        _SAS.substituted_names = None
        out = original(self, item, *args, **kwargs)
        if _SAS.active and not _SAS.seen and out and not kwargs.get("sort_options"):
            _SAS.seen = True
            variables = (self.get("variable") or "").split()
            real_names = any(v.replace("-", "_") in item.reference for v in variables)
            if not (real_names or _SAS.substituted_names):
                return out  # a title standing in for the names is never replaced (citeproc-js)
            _SAS.captured = strip_markers(str(out)).replace(TERM_MARK, "")
            if _SAS.replace is not None:
                return _SAS.replace
        return out

    model.Names.render = render


# -- page ranges -------------------------------------------------------------------------------

def _patch_page_ranges(model) -> None:
    """A range whose last page has more digits than the first ("9-10") is never abbreviated
    (citeproc-py's minimal-two gave "9–0")."""
    original = model.FormatNumber._format_last_page

    def _format_last_page(self, first, last):
        if len(str(last)) > len(str(first)):
            return last
        return original(self, first, last)

    model.FormatNumber._format_last_page = _format_last_page


# -- substitution ------------------------------------------------------------------------------

class _Recorder:
    stack: list[set] = []


def _patch_substitute(model) -> None:
    """Every variable a ``cs:substitute`` branch renders is suppressed in the rest of the entry
    (citeproc-py suppressed only a branch's own ``variable`` attribute, so APA printed a title
    substituted for a missing author twice)."""
    original_variable = model.Text._variable

    def _variable(self, item, context):
        text = original_variable(self, item, context)
        if text and _Recorder.stack:
            name = self.get("variable")
            for rec in _Recorder.stack:
                rec.add(name)
        return text

    model.Text._variable = _variable
    text_tag = "{http://purl.org/net/xbiblio/csl}text"

    def render(self, item, context=None, **kwargs):
        text = None
        for child in self.getchildren():
            rendered: set = set()
            _Recorder.stack.append(rendered)
            try:
                if isinstance(child, model.Names) and child.name is None:
                    names = self.xpath_search("./parent::cs:names[1]")[0]
                    text = child.render(item, names_context=names, context=context, **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except model.VariableError:
                continue
            finally:
                _Recorder.stack.pop()
            if text:
                _SAS.substituted_names = isinstance(child, model.Names)
                self.add_to_repressed_list(child, context)
                if rendered:
                    layout = (context if context is not None else self).get_layout()
                    layout.repressed.setdefault(text_tag, []).extend(sorted(rendered))
                break
        return text

    model.Substitute.render = render


# -- add-givenname disambiguation -----------------------------------------------------------------

class _Given:
    active = False
    initials: str | None = None


def _patch_givenname(model) -> None:
    """Render a cite's names in long form (with initials for the ``*-with-initials`` rules) while
    :func:`disambiguate` asks for it: citeproc-js's ``disambiguate-add-givenname``."""
    original = model.Name.get_option

    def get_option(self, name, context=None, sort_options=None):
        if _Given.active and not sort_options:
            if name == "form":
                return "long"
            if name == "initialize-with" and _Given.initials is not None:
                return _Given.initials
            if name == "initialize" and _Given.initials is not None:
                return "true"
        return original(self, name, context, sort_options)

    model.Name.get_option = get_option


def _patch_sort_name_labels(model) -> None:
    """A names label ("To", "edited by") is left out of a macro sort key, as citeproc-js does
    (citeproc-py kept it, so "To Roland S. Morris" decided an order)."""
    original = model.Label.render

    def render(self, item, *args, **kwargs):
        if args and kwargs.get("sort_options"):
            return None  # called by cs:names with a role: a name label in a sort key
        return original(self, item, *args, **kwargs)

    model.Label.render = render

    original_process = model.Text.process

    def process(self, item, context=None, **kwargs):
        # a macro called from a macro sort key keeps the sort options (citeproc-py dropped them,
        # so nested names were not in sort order and kept their labels)
        if "macro" in self.attrib and kwargs.get("sort_options"):
            if context is None:
                context = self
            try:
                language = item.reference.language[:2]
            except model.VariableError:
                language = self.get_root().get("default-locale", "en")[:2]
            macro = self.get_macro(self.get("macro"))
            return macro.render(item, context, sort_options=kwargs["sort_options"]), language
        return original_process(self, item, context=context, **kwargs)

    model.Text.process = process


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



def _patch_tree_walk(model) -> None:
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
        if variables is not None:
            reference = item.reference
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

    def group_process(self, item, context=None, **kwargs):
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
            flag = plain[key] = all(self.get(k, v) == v for k, v in formatting.items())
            keep[key] = self
        if flag:
            return str(string) if isinstance(string, (int, float)) else string
        return original_format(self, string)

    model.Formatted.format = format

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


def _patch_seams(model) -> None:
    """citeproc-py's ``normalize_seam`` (no doubled space or punctuation where two pieces meet)
    built the whole text of the left piece (``str`` of a list of segments) to read its last
    character, at every join; here the last and first characters are read from the segments.
    Same results: a segment whose type has its own ``__str__`` is still converted."""
    from citeproc import string as cstring

    mixed, strip_first = cstring.MixedString, cstring._strip_first_char
    punctuation = cstring.SEAM_PUNCTUATION
    str_str, mixed_str = str.__str__, mixed.__str__

    def last_char(value) -> str:
        kind = type(value)
        if kind is str or (isinstance(value, str) and kind.__str__ is str_str):
            return value[-1:]
        if isinstance(value, mixed) and kind.__str__ is mixed_str:
            for segment in reversed(value):
                char = last_char(segment)
                if char:
                    return char
            return ""
        return str(value)[-1:]

    def first_char(value) -> str:
        kind = type(value)
        if kind is str or (isinstance(value, str) and kind.__str__ is str_str):
            return value[:1]
        if isinstance(value, mixed) and kind.__str__ is mixed_str:
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


def _patch_text_render(model) -> None:
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
                not all(node.get(k, v) == v for k, v in formatting.items()),
                (node.get("quotes") or "false").lower() == "true",
                bool(node.get("prefix", "") or node.get("suffix", "")))

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
            sort_options = kwargs.get("sort_options")
            if sort_options:
                text = self.get_macro(arg).render(item, context, sort_options=sort_options)
            else:
                text = self.get_macro(arg).render(item, context)
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
                keys: list[str] = list(dict.keys(self))
                names = sorted(k for k in keys if k not in ("key", "year_suffix"))
                fields = (dict.get(self, "type"), *names)
                shape = _shapes.setdefault(fields, len(_shapes))
                self.__dict__["_exporter_shape"] = shape
            return shape

        def exporter_value_key(self, fields: tuple) -> tuple:
            """The canonical values of ``fields``."""
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
            return tuple(out)

    _TRACKED_CLASS = TrackedReference
    return TrackedReference


def clear_macro_cache(item_states: bool = False) -> None:
    """Forget the stored macro renderings (and with ``item_states`` the numbering of item
    states, which must stay fixed while an item renders: only between formatting calls)."""
    global _macro_cache_size
    _macro_cache.clear()
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


def _patch_macro_cache(model) -> None:
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
        if never or context is None or _Recorder.stack or not MACRO_CACHE_ENABLED:
            return original(self, item, context, sort_options)
        # names still to be captured for subsequent-author-substitute: the replacement is part
        # of the key, and the capture is stored with the rendering and replayed
        sas = (_SAS.replace,) if has_names and _SAS.active and not _SAS.seen else None
        reference: Any = dict.get(item, "exporter_reference")
        if type(reference) is not tracked:
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
        before = tuple([(tag, tuple(v)) for tag, v in repressed.items()]) if repressed else ()
        # what the item adds to the state is the same for every macro it renders: numbered once
        item_state = dict.get(item, "exporter_state")
        if item_state is None:
            locator = dict.get(item, "locator")
            facts_of_item = (reference.exporter_shape(), dict.get(reference, "year_suffix"), position,
                             bool(dict.get(item, "exporter_disambiguate")),
                             None if locator is None else (locator.label, str(locator.identifier)))
            item_state = item["exporter_state"] = _item_states.setdefault(facts_of_item, len(_item_states))
        state = (key, ctx, item_state, tuple(sorted(sort_options.items())) if sort_options else None,
                 _Given.initials if _Given.active else False, before, id(root.formatter), sas)
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
        after = tuple([(tag, tuple(v)) for tag, v in repressed.items()]) if repressed else ()
        if _macro_cache_size >= MACRO_CACHE_LIMIT:
            clear_macro_cache()
            variants = None
        if variants is None:
            variants = _macro_cache.setdefault(state, [])
        table = next((kept for known, kept in variants if known == fields), None)
        if table is None:
            table = {}
            variants.append((fields, table))
        table[value_key] = (_NONE if output is None else output, None if after == before else after,
                            None if sas is None else (_SAS.seen, _SAS.captured))
        _macro_cache_size += 1
        return output

    model.Macro.render = render


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
    # lets macro renderings be shared (see below); citeproc-py's __setattr__ writes dict items
    object.__setattr__(ref, "__class__", _tracked_reference_class())
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

    plans: dict[int, tuple] = {}
    keep: dict[int, object] = {}

    def plan(node) -> tuple:
        # the tests of a condition node, read once (the style tree never changes)
        key = id(node)
        value = plans.get(key)
        if value is None:
            attrib = node.attrib
            types = tuple(t.lower() for t in attrib["type"].split()) if "type" in attrib else None
            variables = (tuple(v.replace("-", "_") for v in attrib["variable"].split())
                         if "variable" in attrib else None)
            value = plans[key] = (types, variables, "is-numeric" in attrib,
                                  "is-uncertain-date" in attrib, "locator" in attrib,
                                  "position" in attrib,
                                  (attrib["disambiguate"] == "true") if "disambiguate" in attrib else None,
                                  attrib.get("match"))
            keep[key] = node
        return value

    def test(self, item, context=None) -> bool:
        types, variables, numeric, uncertain, locator, position, disambiguate, match = plan(self)
        results = []
        if types is not None:
            ref_type = item.reference.type
            results += [t == ref_type for t in types]
        if variables is not None:
            reference = item.reference
            results += [("locator" in item) if v == "locator" else (v in reference) for v in variables]
        if numeric:
            results += self._is_numeric(item)
        if uncertain:
            results += self._is_uncertain_date(item)
        if locator:
            results += self._locator(item)
        if position:
            results += self._position(item, context)
        if disambiguate is not None:
            flag = bool(item.get("exporter_disambiguate")) if hasattr(item, "get") else False
            results.append(flag == disambiguate)
        if match == "any":
            return any(results)
        if match == "none":
            return not any(results)
        return all(results)

    def render(self, item, context=None, delimiter="", **kwargs):
        if not test(self, item, context):
            raise model.ConditionFailed
        return self.render_children(item, context=context, delimiter=delimiter, **kwargs)

    def _is_numeric(self, item):
        out = []
        for var in self.get("is-numeric").split():
            name = var.replace("-", "_")
            try:
                value = item.reference[name] if name in item.reference else None
            except Exception:
                value = None
            out.append(value is not None and is_numeric(str(value)))
        return out

    def static_variables(self) -> tuple | None:
        """The variables tested when the node tests only the type and record variables (its
        result is then a function of the type and which of them the record has), else None."""
        types, variables, numeric, uncertain, locator, position, disambiguate, _ = plan(self)
        if numeric or uncertain or locator or position or disambiguate is not None:
            return None
        if variables is not None and "locator" in variables:
            return None
        return variables or ()

    model.If.render = render
    model.If.exporter_test = test
    model.If.exporter_static_variables = static_variables
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
    item["exporter_reference"] = run.source[rid.lower()]
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
    if getattr(run, "bib_order", None) is not None:
        return run.bib_order
    items = [_new_item(run, rid) for rid in ids]
    layout = bibliography.layout
    run.bib_order = [item.key_id for item in _sort_items(run, sort, items, layout, ids)]
    return run.bib_order


def _sort_items(run, sort, items, context, ids):
    from functools import cmp_to_key

    for item, rid in zip(items, ids):
        item["key_id"] = rid
    keys = sort.findall("cs:key", sort.nsmap)
    descending = [k.get("sort", "ascending").lower() == "descending" for k in keys]
    values: dict[tuple[int, int], object] = {}

    def value(n: int, i: int):
        # computed lazily: most records are ordered by the first key or two, and a macro key is
        # a full rendering
        if (n, i) not in values:
            rid, item = ids[i], items[i]
            # a macro key depends only on the record fields its macros read: records that share
            # them (same authors, say) share the rendering
            fields = _key_fields(keys[n])
            part = run.keys[rid] if fields is None else _fields_key(run, rid, fields)
            try:
                values[(n, i)] = run.cached((part, run.style_key, "sort", n),
                                            lambda: _sort_value(keys[n], item, context))
            except Exception:  # an odd record sorts last instead of failing
                values[(n, i)] = None
        return values[(n, i)]

    def compare(a: int, b: int) -> int:
        for n in range(len(keys)):
            x, y = value(n, a), value(n, b)
            if x is None and y is None:
                continue
            if x is None:
                return 1
            if y is None:
                return -1
            if x != y:
                result = -1 if x < y else 1
                return -result if descending[n] else result
        return 0

    order = sorted(range(len(items)), key=cmp_to_key(compare))
    return [items[i] for i in order]


#: Variables whose value depends on more than the record: a key reading them is not shared.
#: (``locator`` is not among them: the bibliography's sort items never have one.)
_ITEM_VARIABLES = {"citation_number", "citation_label"}
_key_fields_memo: dict[int, frozenset | None] = {}
_key_fields_keep: dict[int, object] = {}


def _key_fields(key) -> frozenset | None:
    """Record fields (citeproc-py names) a macro sort key can read, or None: a variable key, or
    a macro reading something other than record fields.  Found statically from the style: every
    ``variable``/``is-numeric``/``is-uncertain-date`` attribute in the macro and the macros it
    calls, their ``-short`` forms, and what citeproc-py reads besides (type, language, editor and
    translator for ``editortranslator``, ``page`` for ``page-first``, the year suffix)."""
    ident = id(key)
    if ident in _key_fields_memo:
        return _key_fields_memo[ident]
    _key_fields_keep[ident] = key
    result: frozenset | None = None
    name = key.get("macro")
    if name is not None:
        root = key.getroottree().getroot()
        ns = root.nsmap
        macros = {m.get("name"): m for m in root.findall("cs:macro", ns)}
        fields = {"type", "language", "editor", "translator", "year_suffix"}
        todo, seen, ok = [name], set(), True
        while todo and ok:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            macro = macros.get(current)
            if macro is None:
                ok = False
                break
            for element in macro.iter():
                for attr in ("variable", "is-numeric", "is-uncertain-date"):
                    for var in (element.get(attr) or "").split():
                        var = var.replace("-", "_")
                        if var in _ITEM_VARIABLES:
                            ok = False
                        fields.update((var, var + "_short"))
                        if var.startswith("page"):
                            fields.add("page")
                if element.get("macro"):
                    todo.append(element.get("macro"))
        if ok:
            result = frozenset(fields)
    _key_fields_memo[ident] = result
    return result


def _fields_key(run, rid: str, fields: frozenset) -> str:
    import json

    rec = run.records[rid]
    picked = {k: v for k, v in rec.items()
              if ("title_short" if k == "shortTitle" else k.replace("-", "_")) in fields}
    suffix = run.source[rid.lower()].get("year_suffix")
    return json.dumps([picked, None if suffix is None else str(suffix)], sort_keys=True, ensure_ascii=False)

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


_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=65_536)  # sort texts repeat (authors, titles of one kind)
def collation_key(text: str) -> tuple:
    """Sort key like citeproc-js's (ICU collator with ``sensitivity: base``,
    ``ignorePunctuation``, ``numeric``, over keys whose spaces are written as ``|``): case and
    accents ignored, punctuation ignored, a word break sorts before any letter or digit, and
    digit runs compare by value.  citeproc-py compared code points ("10 March" < "2 April",
    "Dolgorukova, Maria" < "Dolgorukov, Konstantin" the other way round)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    joined = _SPACES.sub("|", decomposed.strip()) + "|"
    tokens: list[tuple] = []
    kind, run, broken = None, "", False
    for ch in joined:
        if ch == "|":
            new = "sep"
        elif ch.isdigit():
            new = "num"
        elif ch.isalnum():
            new = "alpha"
        else:  # punctuation is ignored, but it still ends a number ("861.00" is 861, 00)
            broken = True
            continue
        if new == kind and new != "sep" and not (new == "num" and broken):
            run += ch
        else:
            if kind is not None:
                tokens.append(_token(kind, run))
            kind, run = new, ch
        broken = False
    if kind is not None:
        tokens.append(_token(kind, run))
    return tuple(tokens)


def _token(kind: str, run: str) -> tuple:
    if kind == "sep":
        return (0, 0, "")
    if kind == "num":
        return (1, int(run), "")
    return (2, 0, run)


def render_bibliography(run, ordered: list[str], cached) -> list[tuple[str, str | None, str | None]]:
    """(id, raw rendering, error) per record in bibliography order."""
    bibliography = run.style.root.bibliography
    out: list[tuple[str, str | None, str | None]] = []
    if bibliography is None:
        return [(rid, None, "the style has no bibliography") for rid in ordered]
    layout = bibliography.layout
    state = disambiguate(run, cached) if run.style.bib_needs_disambiguation else {}
    substitute = bibliography.get("subsequent-author-substitute")
    previous: str | None = None
    for rid in ordered:
        flag, suffix = state.get(rid, (False, ""))

        def render(rid=rid, suffix=suffix, replace=None):
            _set_suffix(run, rid, suffix)
            item = _new_item(run, rid)
            layout.repressed = {}
            _SAS.active, _SAS.seen, _SAS.captured, _SAS.replace = True, False, None, replace
            try:
                text = layout.render_children(item)
            finally:
                _SAS.active = False
            if text is None:
                raise NoOutput()
            return finish_bibliography(run, str(layout.format(layout.wrap(text)))), _SAS.captured

        try:
            key = (run.keys[rid], run.style_key, "bibliography", suffix)
            raw, names = cached(key, render)
            if substitute is not None and names and names == previous:
                raw, _ = cached(key + ("substitute",), lambda: render(replace=substitute))
            previous = names
            out.append((rid, raw, None))
        except Exception as exc:
            previous = None
            out.append((rid, None, _reason(exc)))
    return out


def finish_bibliography(run, text: str) -> str:
    if run.style.piq:
        text = punctuation_in_quote(text)
    return text.replace(TERM_MARK, "")


# -- disambiguation ----------------------------------------------------------------------------

def _set_suffix(run, rid: str, suffix: str) -> None:
    from citeproc.string import String

    ref = run.source[rid.lower()]
    if suffix:
        ref["year_suffix"] = String(suffix)
    else:
        ref.pop("year_suffix", None)


def year_suffix(n: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "aa", ... (citeproc-js's sequence, bijective base 26)."""
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def _render_with_given(run, given: bool, render):
    if not given:
        return render()
    citation = run.style.root.citation
    rule = citation.get("givenname-disambiguation-rule", "by-cite")
    _Given.active = True
    root_initials = run.style.root.get("initialize-with")
    _Given.initials = (root_initials or ". ") if rule.endswith("with-initials") else root_initials
    try:
        return render()
    finally:
        _Given.active = False


def disambiguate(run, cached) -> dict[str, tuple[bool, str]]:
    """Per record: (``disambiguate`` condition on, year suffix), as citeproc-js decides them.

    Cites are ambiguous when their rendering without locator is identical (first position for
    in-text styles, the subsequent short note for note styles).  Step 1,
    if the style has ``disambiguate="true"`` conditions: ambiguous cites render with the flag
    on.  Step 2, if ``disambiguate-add-year-suffix``: cites still ambiguous get "a", "b", ... in
    bibliography order.  (citeproc-py had no disambiguation at all.)
    """
    if getattr(run, "disambiguation", None) is not None:
        return run.disambiguation
    style = run.style
    citation = style.root.citation
    add_suffix = citation.get("disambiguate-add-year-suffix", "false") == "true"
    add_given = citation.get("disambiguate-add-givenname", "false") == "true"
    state: dict[str, tuple[bool, str]] = {}
    run.given = set()
    run.disambiguation = state
    if not (add_suffix or add_given or style.has_disambiguate_conditions) or len(run.records) < 2:
        return state
    layout = citation.layout

    def ambiguity_key(rid: str, flag: bool, given: bool = False) -> str | None:
        key = (run.keys[rid], run.style_key, "ambiguity", flag, given)

        def render_plain():
            _set_suffix(run, rid, "")
            # note styles: ambiguity is judged on the short (subsequent) note, as citeproc-js does
            position = (SUBSEQUENT, False) if style.is_note else (FIRST, False)
            item = _new_item(run, rid, exporter_position=position, exporter_disambiguate=flag)
            citation.cites = []
            layout.repressed = {}
            text = layout.render_children(item)
            return strip_markers(str(text)) if text is not None else ""

        try:
            return cached(key, lambda: _render_with_given(run, given, render_plain))
        except Exception:  # the record's own rendering will report the error
            return None

    def groups(keys: dict[str, str | None]) -> list[list[str]]:
        by_key: dict[str, list[str]] = {}
        for rid, k in keys.items():
            if k:
                by_key.setdefault(k, []).append(rid)
        return [g for g in by_key.values() if len(g) > 1]

    rule = citation.get("givenname-disambiguation-rule", "by-cite")
    if add_given and rule != "by-cite":
        # global name disambiguation: a first author whose family name another person shares
        # is always shown with given names (initials), ambiguous cite or not
        givens: dict[str, set] = {}
        firsts: dict[str, tuple[str, str]] = {}
        for rid, rec in run.records.items():
            names = rec.get("author") or []
            if names and names[0].get("family"):
                family, given = names[0]["family"], names[0].get("given", "")
                givens.setdefault(family, set()).add(given)
                firsts[rid] = (family, given)
        run.given.update(rid for rid, (family, _) in firsts.items() if len(givens[family]) > 1)
    keys = {rid: ambiguity_key(rid, False, rid in run.given) for rid in run.records}
    ambiguous = groups(keys)
    if ambiguous and add_given:
        still = []
        for group in ambiguous:
            expanded = {rid: ambiguity_key(rid, False, True) for rid in group}
            if len(set(expanded.values())) > 1:  # the given names tell some of them apart
                run.given.update(group)
                keys.update(expanded)
                still.extend(groups(expanded))
            else:
                still.append(group)
        ambiguous = still
    if ambiguous and style.has_disambiguate_conditions:
        for group in ambiguous:
            for rid in group:
                state[rid] = (True, "")
                keys[rid] = ambiguity_key(rid, True, rid in run.given)
        ambiguous = groups({rid: keys[rid] for group in ambiguous for rid in group})
    if ambiguous and add_suffix:
        order = {rid: i for i, rid in enumerate(sort_bibliography(run))}
        for group in ambiguous:
            for n, rid in enumerate(sorted(group, key=lambda r: order.get(r, 0))):
                state[rid] = (state.get(rid, (False, ""))[0], year_suffix(n))
    return state


# -- citations -------------------------------------------------------------------------------

def render_citations(run, cites: list[tuple[str, str | None]], note: bool, cached
                     ) -> list[tuple[str, str | None, str | None]]:
    """(id, raw rendering, error) per cite, in order."""
    positions = compute_positions(cites)
    citation = run.style.root.citation
    layout = citation.layout
    state = disambiguate(run, cached)
    out: list[tuple[str, str | None, str | None]] = []
    for (rid, loc), (pos, near) in zip(cites, positions):
        if rid in run.errors:
            out.append((rid, None, run.errors[rid]))
            continue
        if rid not in run.records:
            out.append((rid, None, f"no record with id {rid!r}"))
            continue
        flag, suffix = state.get(rid, (False, ""))
        given = rid in run.given
        # notes differ from in-text citations only by the capitalisation of note styles' notes
        kind = "note" if note and run.style.is_note else "cite"
        key = (run.keys[rid], run.style_key, kind, pos, near, loc, flag, suffix, given)

        def render(rid=rid, loc=loc, pos=pos, near=near, flag=flag, suffix=suffix):
            _set_suffix(run, rid, suffix)
            extra = {"exporter_position": (pos, near), "exporter_disambiguate": flag}
            if loc:
                extra["locator"] = Locator("page", str(loc))
            item = _new_item(run, rid, **extra)
            citation.cites = []
            layout.repressed = {}
            text = layout.render_children(item)
            if text is None:
                raise NoOutput()
            return finish_citation(run, str(layout.format(layout.wrap(text))), note)

        try:
            out.append((rid, cached(key, lambda render=render, given=given: _render_with_given(
                run, given, render)), None))
        except Exception as exc:
            out.append((rid, None, _reason(exc)))
    return out


def finish_citation(run, text: str, note: bool) -> str:
    if run.style.piq:
        text = punctuation_in_quote(text)
    if note and run.style.is_note and _STARTS_WITH_TERM.match(text):
        text = capitalize_first(text)
    return text.replace(TERM_MARK, "")


_STARTS_WITH_TERM = re.compile("^[\ue000-\ue00d]*\ue00e")
_FIRST_LETTER = re.compile("^([\ue000-\ue00e\u201c\u2018\"'(\\[]*)(\\w)")


def capitalize_first(text: str) -> str:
    """A note starts with a capital (citeproc-js capitalises the first word of a note)."""
    return _FIRST_LETTER.sub(lambda m: m.group(1) + m.group(2).upper(), text, count=1)


class NoOutput(Exception):
    """The style renders nothing for this record."""


#: The reason given for a record the style renders nothing for.
NO_OUTPUT = "the style prints nothing for this record"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, NoOutput):
        return NO_OUTPUT
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def prepare_style(style) -> None:
    """Per-style facts the post-processing needs (read once when the style is loaded)."""
    root = style.root
    style.is_note = root.get("class") == "note"
    try:
        piq = root.get_locale_option("punctuation-in-quote")
    except Exception:
        piq = None
    style.piq = str(piq).lower() == "true"
    style.has_disambiguate_conditions = bool(root.xpath(
        "//cs:if[@disambiguate] | //cs:else-if[@disambiguate]", namespaces=root.nsmap))
    style.bib_needs_disambiguation = _bibliography_needs_disambiguation(root)


def _bibliography_needs_disambiguation(root) -> bool:
    """Whether bibliography entries depend on the cites' disambiguation: year suffixes, or a
    ``disambiguate`` condition in the bibliography or a macro it reaches.  When not, the
    bibliography skips rendering every cite for the ambiguity check."""
    ns = root.nsmap
    citation = root.find("cs:citation", ns)
    if citation is not None and citation.get("disambiguate-add-year-suffix") == "true":
        return True
    bibliography = root.find("cs:bibliography", ns)
    if bibliography is None:
        return False
    macros = {m.get("name"): m for m in root.findall("cs:macro", ns)}
    todo, seen = [bibliography], set()
    while todo:
        element = todo.pop()
        if element.xpath(".//cs:if[@disambiguate] | .//cs:else-if[@disambiguate]", namespaces=ns):
            return True
        for name in element.xpath(".//@macro", namespaces=ns):
            if name not in seen and name in macros:
                seen.add(name)
                todo.append(macros[name])
    return False
