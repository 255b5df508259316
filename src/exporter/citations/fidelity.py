"""Fidelity patches: citeproc-py 0.11.1 methods changed to print what citeproc-js prints.

Each ``patch_*`` function is one self-contained change to named citeproc-py methods, with the
citeproc-js behaviour it reproduces in its docstring -- a unit that could be proposed upstream.
They are installed in :data:`PATCHES` order by :func:`exporter.citations.compat.apply`, only on
the citeproc-py version they were written for.  Module state the driver sets while rendering
(``SAS``, ``RECORDER``, ``GIVEN``) lives here because the patched methods read it.
"""

from __future__ import annotations

import re

from . import (
    fidelity_citation_label,
    fidelity_dates,
    fidelity_decorations,
    fidelity_groups,
    fidelity_labels,
    fidelity_numbers,
    fidelity_ordinals,
    fidelity_pages,
    fidelity_sort_dates,
    fidelity_terms,
    fidelity_textcase,
)
from .markup import strip_markers


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



# -- names ------------------------------------------------------------------------------------

def patch_initialize(model) -> None:
    """Initials as citeproc-js makes them.

    * ``initialize="false"``: keep full given names (citeproc-py always initialised them when
      ``initialize-with`` was set, so Chicago printed "K." for "Konstantin");
    * a given-name part that does not start with a capital ("of", "(Rufus") is kept as is,
      without a stray initial mark before it (citeproc-py printed "E. of . (Rufus");
    * initials already in the name ("M.E", "M E.") and abbreviations ("Ph.", "Me.") get the
      style's ``initialize-with`` in place of their own marks, with ``initialize="false"`` too
      ("John M.E." -> "John M E" with ``initialize-with=" "``); an abbreviation stays whole.
    """
    model.CitationStylesElement._default_options.setdefault("initialize", "true")

    def initialize(self, given, mark, context):
        try:
            value = self.get_option("initialize", context)
        except Exception:
            value = "true"
        full = str(value).lower() == "false"
        if self.get_option("initialize-with-hyphen", context):
            hyphen_parts = given.split("-")
        else:
            hyphen_parts = [given.replace("-", " ")]
        return "-".join(_initials(part, mark, full) for part in hyphen_parts)

    model.Name.initialize = initialize


_GIVEN_TOKEN = re.compile(r"([^\s.]+)(\.?)")


def _initials(given: str, mark: str, full: bool) -> str:
    """One hyphen-free part of a given name with citeproc-js's initials (``full``: names that
    are not initials or abbreviations stay whole)."""
    out = ""
    for m in _GIVEN_TOKEN.finditer(given):
        word, period = m.group(1), m.group(2)
        if not word[0].isupper():
            out += " " + word + period + " "
        elif len(word) == 1 or period:
            out += word + mark  # an initial, or an abbreviation kept whole ("Ph.")
        elif full:
            out += " " + word + " "
        else:
            out += word[0] + mark
    return " ".join(out.split())


class _StopWords(frozenset):
    """Title-case exceptions: citeproc-js's words, and any one-letter lower-case word ("в", "о",
    "b": citeproc-js leaves them as they are, "Письмо о Положении в Петрограде")."""

    def __contains__(self, word: object) -> bool:
        if isinstance(word, str) and len(word) == 1 and word.isalpha() and word.islower():
            return True
        return frozenset.__contains__(self, word)


def patch_stop_words(model) -> None:
    """Title case keeps citeproc-js's lower-case words ("al", "et", "von", "via", ...) and
    one-letter words in lower case; citeproc-py's list was shorter ("Consul General Al Moscow",
    "Письмо О Положении В Петрограде")."""
    model.TextCased._stop_words = _StopWords(set(model.TextCased._stop_words) | set(CITEPROC_JS_SKIP_WORDS))


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


def patch_text_case(model) -> None:
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
    captured: tuple[str, tuple] | None = None
    replace: str | tuple[str, int] | None = None
    #: Whether the last cs:substitute used names (not a title) in place of the missing ones.
    substituted_names: bool | None = None
    #: Whether it used a ``cs:text`` of a variable (not of a macro).
    substituted_variable: bool | None = None
    #: The names the last rendering of each variable showed, after the et-al rules shortened
    #: the list (written by the names renderer, sort keys aside): citeproc-js's
    #: ``rendered_name``, which it compares ("Robins, Raymond, et al." shows "Robins, Raymond").
    shown: dict[str, list] = {}


_SAS = _Substitution()
#: Public name of the state the driver sets.
SAS = _SAS


def patch_author_substitute(model) -> None:
    """``subsequent-author-substitute``: the first names of a bibliography entry that repeat the
    previous entry's are replaced (citeproc-py ignored it).  The capture is ``(output, names)``,
    ``names`` each name's parts, so the driver can apply every rule: ``complete-all`` replaces
    the whole output (``SAS.replace`` a string); ``complete-each``, ``partial-each`` and
    ``partial-first`` replace the first *n* names one by one (``SAS.replace`` is
    ``(substitute, n)``), as citeproc-js does ("——, George Buchanan, and Raymond Robins").
    The names compared are those the entry shows (citeproc-js's ``rendered_name``), so
    "Robins, Raymond, et al." repeats "Robins, Raymond" and becomes "———" whole."""
    original = model.Names.render

    def render(self, item, *args, **kwargs):
        _SAS.substituted_names = _SAS.substituted_variable = None
        capturing = _SAS.active and not _SAS.seen and not kwargs.get("sort_options")
        variables = (self.get("variable") or "").split()
        present = [v.replace("-", "_") for v in variables if v.replace("-", "_") in item.reference]
        swapped = None
        if capturing and present:
            _SAS.shown.pop(present[0], None)
        if capturing and present and isinstance(_SAS.replace, tuple):
            text, count = _SAS.replace[:2]
            reference, key = item.reference, present[0]
            swapped = (reference, key, reference[key])
            # ("all": the names as one, their label kept: "——— ed."; the "et al." too is
            # replaced, citeproc-js's substitute takes the place of the whole list)
            if _SAS.replace[2:]:
                replaced = [model_name(literal=text)]
            else:
                replaced = [model_name(literal=text)] * count + list(reference[key])[count:]
            dict.__setitem__(reference, key, replaced)
        try:
            out = original(self, item, *args, **kwargs)
        finally:
            if swapped is not None:
                dict.__setitem__(*swapped)
        if capturing and out and not _SAS.seen:
            _SAS.seen = True
            if not (present or _SAS.substituted_names):
                # a variable's text standing in for the names is replaced; a macro's never
                # (citeproc-js: a cs:text macro has no variable for its substitution check)
                if not _SAS.substituted_variable:
                    return out
            text = strip_markers(str(out)).replace(TERM_MARK, "")
            listed = swapped[2] if swapped else item.reference[present[0]] if present else ()
            if present and not swapped:
                # the names shown, as citeproc-js compares them (not the "et al." they hide)
                listed = _SAS.shown.get(present[0], listed)
            parts = tuple(tuple(n.parts()) for n in listed)
            _SAS.captured = (text, parts or ((text,),))
            if isinstance(_SAS.replace, str):
                return _SAS.replace
            if isinstance(_SAS.replace, tuple) and not present and not _SAS.substituted_names:
                return _SAS.replace[0]
        return out

    model.Names.render = render


def model_name(**parts):
    """A citeproc-py name (the substitute stands in for a name as a literal)."""
    from citeproc.source import Name

    return Name(**parts)


def substitution(rule: str | None, substitute: str, captured, previous):
    """What ``SAS.replace`` must be for an entry whose names capture is ``captured`` after one
    whose capture was ``previous`` under ``subsequent-author-substitute-rule`` ``rule``
    (None: nothing replaced)."""
    if not captured or not previous:
        return None
    (text, names), (previous_text, previous_names) = captured, previous
    rule = rule or "complete-all"
    if rule == "complete-all":
        if text == previous_text:
            return substitute
        # the same names under another label ("Doe, John ed." after "Doe, John."): citeproc-js
        # compares the names, not the label, and replaces the names only
        return (substitute, len(names), "all") if names and names == previous_names else None
    if rule == "complete-each":
        return (substitute, len(names)) if text == previous_text and names else None
    same = 0
    for mine, theirs in zip(names, previous_names):
        if mine != theirs:
            break
        same += 1
    if not same:
        return None
    return (substitute, 1) if rule == "partial-first" else (substitute, same)


# -- page ranges -------------------------------------------------------------------------------

def patch_page_ranges(model) -> None:
    """A range whose last page has more digits than the first ("9-10"), or equals it
    ("316-316"), is never abbreviated (citeproc-py's minimal-two gave "9–0", "316–16")."""
    original = model.FormatNumber._format_last_page

    def _format_last_page(self, first, last):
        # "316-316" is printed whole too, as citeproc-js prints it
        if len(str(last)) > len(str(first)) or str(last) == str(first):
            return last
        return original(self, first, last)

    model.FormatNumber._format_last_page = _format_last_page


# -- substitution ------------------------------------------------------------------------------

class _Recorder:
    stack: list[set] = []


RECORDER = _Recorder


def patch_substitute(model) -> None:
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
            if not text and isinstance(child, model.Text) and child.get("term") is not None:
                break  # a term ends the substitution, empty or not (citeproc-js)
            if text:
                _SAS.substituted_names = isinstance(child, model.Names)
                _SAS.substituted_variable = isinstance(child, model.Text) and bool(child.get("variable"))
                self.add_to_repressed_list(child, context)
                if rendered:
                    layout = (context if context is not None else self).get_layout()
                    layout.repressed.setdefault(text_tag, []).extend(sorted(rendered))
                break
        return text

    model.Substitute.render = render


def patch_substituted_dates(model) -> None:
    """A date a ``cs:substitute`` branch rendered is not rendered again later in the entry, as
    citeproc-js suppresses every variable a substitute printed (a legislation title macro
    printing the year leaves no second date); citeproc-py suppressed text variables only."""
    original = model.Date.render
    text_tag = "{http://purl.org/net/xbiblio/csl}text"

    def render(self, item, *args, **kwargs):
        variable = self.get("variable")
        context = kwargs.get("context")
        if variable and not kwargs.get("sort_options") and not self.is_locale_date():
            repressed = (context if context is not None else self).get_layout().repressed
            if repressed and variable in repressed.get(text_tag, ()):
                return None
        out = original(self, item, *args, **kwargs)
        if out and variable and _Recorder.stack:
            for rendered in _Recorder.stack:
                rendered.add(variable)
        return out

    model.Date.render = render


def patch_substituted_names_once(model) -> None:
    """A names variable that a ``cs:substitute`` rendered is not rendered again by a later
    ``cs:names`` of the same entry, as citeproc-js does (its ``done_vars``).  citeproc-py noted
    it as repressed but only ``cs:text`` honoured that, so the Oxford style's "in [container
    author]" repeated the author that stood in for a composer (citeproc-js falls through to
    the editor: "in Pavel Miliukov (ed.), …")."""
    original = model.Names.process
    names_tag = "{http://purl.org/net/xbiblio/csl}names"

    def process(self, item, names_context=None, context=None, **kwargs):
        repressed = (context if context is not None else self).get_layout().repressed.get(names_tag)
        if repressed:
            done = {v for entry in repressed if entry for v in entry.split()}
            roles = (self.get("variable") or "").split()
            if done.intersection(roles):
                kept = [r for r in roles if r not in done]
                if not kept:  # nothing left to print: on to this element's own substitute
                    substitute = self.substitute()
                    if substitute is None:
                        raise model.VariableError
                    return substitute.render(item, context=context if context is not None else self, **kwargs)
                self.set("variable", " ".join(kept))
                try:
                    return original(self, item, names_context=names_context, context=context, **kwargs)
                finally:
                    self.set("variable", " ".join(roles))
        return original(self, item, names_context=names_context, context=context, **kwargs)

    model.Names.process = process



def patch_substitute_nested_names(model) -> None:
    """A ``cs:names`` anywhere inside a ``cs:substitute`` (in a ``cs:choose`` too) acts as a
    direct child does, as in citeproc-js: without a ``cs:name`` it takes the name and label of
    the ``cs:names`` it substitutes for, and the variables it prints are not printed again in
    the entry.  citeproc-py did both only for a direct child of ``cs:substitute``, so the
    Oxford style printed "in N. Shcherbatov, …, ed. Nikolai Shcherbatov" for "in Nikolai
    Shcherbatov (ed.), …"."""
    original = model.Names.process
    facts: dict[int, tuple] = {}
    keep: list = []  # the elements whose ids are keys
    names_tag = "{http://purl.org/net/xbiblio/csl}names"

    def process(self, item, names_context=None, context=None, **kwargs):
        key = id(self)
        known = facts.get(key)
        if known is None:
            substitutes = self.xpath_search("./ancestor::cs:substitute[1]")
            nested = bool(substitutes) and self.getparent() is not substitutes[0]
            outer = substitutes[0].getparent() if nested and self.find("cs:name", self.nsmap) is None else None
            known = facts[key] = (nested, outer)
            keep.append(self)
        nested, outer = known
        if not nested:
            return original(self, item, names_context=names_context, context=context, **kwargs)
        text = original(self, item, names_context=names_context or outer, context=context, **kwargs)
        if text:
            layout = (context if context is not None else self).get_layout()
            layout.repressed.setdefault(names_tag, []).append(self.get("variable"))
        return text

    model.Names.process = process



# -- add-givenname disambiguation -----------------------------------------------------------------

class _Given:
    active = False
    initials: str | None = None


GIVEN = _Given


def patch_givenname(model) -> None:
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


def patch_sort_name_labels(model) -> None:
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



def patch_empty_label(model) -> None:
    """A ``cs:label`` of a variable the item does not have prints nothing, as CSL says and
    citeproc-js does (citeproc-py printed the term anyway: "(1918), p. ." in
    the-historical-journal's notes for a record without pages)."""
    original = model.Label.process

    def process(self, item, variable=None, plural=None, context=None, **kwargs):
        if variable is None:  # a standalone cs:label (cs:names passes its role)
            name = self.get("variable")
            if name == "locator":
                if not item.has_locator:
                    return None
            elif name:
                try:
                    value = item.reference[name.replace("-", "_")]
                except model.VariableError:
                    return None
                if value is None or str(value).strip() == "":
                    return None
        return original(self, item, variable, plural, context, **kwargs)

    model.Label.process = process



# -- positions -------------------------------------------------------------------------------

FIRST, SUBSEQUENT, IBID, IBID_LOC = "first", "subsequent", "ibid", "ibid-with-locator"


def patch_position(model) -> None:
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


#: A disambiguation level at which every ``disambiguate="true"`` test holds.
ALL_DISAMBIGUATE = 1 << 20


def _disambiguate_test(item) -> bool:
    """``disambiguate="true"``: the cite's disambiguation level (``exporter_disambiguate``, an
    int; True is 1) says how many of the tests it meets, in rendering order, hold (citeproc-js
    raises the level one test at a time until the cites differ)."""
    if not hasattr(item, "get"):
        return False
    level = int(item.get("exporter_disambiguate") or 0)
    if level >= ALL_DISAMBIGUATE:
        return True
    # the tests met, true or not (citeproc-js's disambiguate_maxMax): disambiguation asks
    # whether a further level could change the cite
    item["exporter_disambiguate_tests"] = int(dict.get(item, "exporter_disambiguate_tests", 0)) + 1
    count = int(dict.get(item, "exporter_disambiguate_count", 0))
    if count < level:
        item["exporter_disambiguate_count"] = count + 1
        return True
    return False


def patch_conditions(model) -> None:
    """``cs:if``/``cs:else-if`` as citeproc-js evaluates them.

    * ``disambiguate="true"`` holds only for cites still ambiguous after the other steps
      (citeproc-py ignored the test, so those branches were always taken);
    * ``is-numeric`` accepts ranges and lists ("1-2", "12, 15", "3 & 4"), not only "12";
    * the ``match`` rule applies to all tests together, including ``disambiguate``;
    * the types of one ``type`` attribute are one test, true for any of them, whatever the
      ``match`` ("all" was false for every record on ``type="book chapter"``).
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
            results.append(ref_type in types)  # one test: any of the types (citeproc-js)
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
            results.append(_disambiguate_test(item) == disambiguate)
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



def patch_sort_name_and(model) -> None:
    """A name list in a sort key has no "and" ("Buchanan George Buchanan George Miliukov
    Pavel"), as citeproc-js builds name sort keys; citeproc-py kept it, so "and Maddin Summers"
    sorted before "Buchanan George ..."."""
    original = model.Name.get_option

    def get_option(self, name, context=None, sort_options=None):
        if sort_options and name == "and":
            return None
        return original(self, name, context, sort_options)

    model.Name.get_option = get_option


def patch_sort_name_et_al(model) -> None:
    """A name list shortened in a sort key has no "et al.", as citeproc-js builds name sort
    keys (``_truncateNameList`` sets no et-al under ``sort_key_flag``), whether the style's
    ``et-al-min`` or the key's own ``names-min`` shortens it: "Francis, David R., et al." sorts
    with "Francis, David R." by the next key (citeproc-py's "Francis David R. et al." sorted
    after it)."""
    original_process = model.Name.process
    original_et_al = model.Name.et_al
    sorting = [0]

    def process(self, item, variable, context=None, sort_options=None, **kwargs):
        if not sort_options:
            return original_process(self, item, variable, context, sort_options, **kwargs)
        sorting[0] += 1
        try:
            return original_process(self, item, variable, context, sort_options, **kwargs)
        finally:
            sorting[0] -= 1

    def et_al(self):
        return None if sorting[0] else original_et_al(self)

    model.Name.process = process
    model.Name.et_al = et_al



class _EtAl:
    """The names being rendered: whether their cite is past its first (``subsequent``), how
    many names disambiguation adds (``extra``, set by the driver) and how many there are."""

    subsequent = False
    extra = 0
    count = 0
    #: the names a bibliography entry shows at least: as many as its cites' disambiguation
    #: showed (citeproc-js carries ``disambiguate-add-names`` into the bibliography)
    shown = 0


ETAL = _EtAl


def _name_attribute(element, name: str, parent) -> int | None:
    """``name`` as set on the cs:name, else on its cs:citation, else on cs:style (unset: None)."""
    for holder in (element, parent, element.get_root()):
        value = holder.get(name)
        if value is not None:
            return int(value)
    return None


def patch_et_al_subsequent(model) -> None:
    """``et-al-subsequent-min`` / ``et-al-subsequent-use-first`` replace ``et-al-min`` /
    ``et-al-use-first`` in a citation's cites that are not first (subsequent, ibid), as
    citeproc-js does; an unset one keeps the first cite's value.  citeproc-py read both and
    used neither.  Names added by ``disambiguate-add-names`` (``ETAL.extra``) raise
    ``et-al-use-first``, and a list no longer than ``et-al-use-first`` gets no "et al."
    (citeproc-py printed "A, B, C et al." when every name was shown)."""
    original_process = model.Name.process
    original_option = model.Name.get_option

    def process(self, item, variable, context=None, sort_options=None, **kwargs):
        if sort_options:
            return original_process(self, item, variable, context, sort_options, **kwargs)
        given = item.get("exporter_position") if hasattr(item, "get") else None
        saved = _EtAl.subsequent, _EtAl.count
        _EtAl.subsequent = given is not None and given[0] != FIRST
        try:
            _EtAl.count = len(item.reference.get(variable) or [])
        except (AttributeError, TypeError):
            _EtAl.count = 0
        try:
            return original_process(self, item, variable, context, sort_options, **kwargs)
        finally:
            _EtAl.subsequent, _EtAl.count = saved

    def in_citation(self, context) -> tuple[bool, object]:
        parent = (context if context is not None else self).xpath_search(
            "./ancestor::*[self::cs:citation or self::cs:bibliography][1]")[0]
        return parent.tag.endswith("citation"), parent

    def get_option(self, name, context=None, sort_options=None):
        if sort_options or name not in ("et-al-min", "et-al-use-first"):
            return original_option(self, name, context, sort_options)
        value = None
        citing, parent = in_citation(self, context)
        if _EtAl.subsequent and citing:
            value = _name_attribute(self, name.replace("et-al-", "et-al-subsequent-"), parent)
        if value is None:
            value = original_option(self, name, context, sort_options)
        if name == "et-al-use-first" and _EtAl.extra and citing:
            value += _EtAl.extra
        if name == "et-al-use-first" and _EtAl.shown and not citing:
            value = max(value, _EtAl.shown)  # a bibliography entry (not its sort key)
        if name == "et-al-min" and value and _EtAl.count:
            if get_option(self, "et-al-use-first", context, sort_options) >= _EtAl.count:
                return 0  # every name is shown: no "et al."
        return value

    model.Name.process = process
    model.Name.get_option = get_option


class _ImplicitSuffix:
    """The cite whose year suffix went out already, and the suffix the next year part takes."""

    item: object = None
    pending: str | None = None


def _explicit_year_suffix(root, memo: dict = {}) -> bool:  # noqa: B006 -- a per-process memo
    key = id(root)
    if key not in memo:
        # a citation-label carries the suffix itself (fidelity_citation_label)
        memo[key] = bool(root.xpath_search("//cs:text[@variable='year-suffix' or @variable='citation-label']"))
    return memo[key]


def _shown_parts(date) -> set[str]:
    """The date parts a cs:date prints (a localized one: its ``date-parts``)."""
    if date.get("form") is not None:
        return set((date.get("date-parts") or "year-month-day").split("-"))
    return {p.get("name") for p in date.iterchildren() if isinstance(p.tag, str) and p.get("name")}


def _date_sort_key(value, parts: set[str]) -> str:
    """A date's sort form with only the parts shown (YYYYYMMDD, missing parts as 0)."""
    from citeproc.source import Date, DateRange

    if isinstance(value, DateRange):
        end = value.get("end", None)
        return _date_sort_key(value.begin, parts) + "-" + (_date_sort_key(end, parts) if end else "")
    if not isinstance(value, Date):
        return value.sort_key()  # a literal date
    month = value.get("month", 0) if "month" in parts else 0
    day = value.get("day", 0) if "day" in parts else 0
    return f"{value.year + 10000:05}{month:02}{day:02}"


def patch_implicit_year_suffix(model) -> None:
    """A style that never prints the ``year-suffix`` variable gets the suffix after the first
    year it prints in a cite or entry ("2000a"), as citeproc-js does; citeproc-py printed a
    disambiguating suffix only through ``<text variable="year-suffix"/>``."""
    from citeproc.source import DateBase

    original_date = model.Date.process
    original_part = model.Date_Part.process

    def process(self, item, variable=None, show_parts=None, context=None, **kwargs):
        if kwargs.get("sort_options"):
            # in a macro sort key a date sorts by its value (citeproc-js's sort form), not by
            # its text ("July 16, 1917" before "1919")
            try:
                value = item.reference.get((variable or self.get("variable") or "").replace("-", "_"))
            except AttributeError:
                value = None
            if isinstance(value, DateBase):
                return _date_sort_key(value, _shown_parts(self))
            return original_date(self, item, variable, show_parts, context, **kwargs)
        pending = None
        if _ImplicitSuffix.item is not item:
            reference = getattr(item, "reference", None)
            suffix = dict.get(reference, "year_suffix") if isinstance(reference, dict) else None
            root = self.get_root()
            if isinstance(root, model.Locale):  # a localized date: the style decides
                root = root.style
            if suffix and not _explicit_year_suffix(root):
                pending = str(suffix)
        saved = _ImplicitSuffix.pending
        _ImplicitSuffix.pending = pending
        try:
            out = original_date(self, item, variable, show_parts, context, **kwargs)
        finally:
            if pending is not None and _ImplicitSuffix.pending is None:
                _ImplicitSuffix.item = item  # the suffix went out in this cite
            _ImplicitSuffix.pending = saved
        return out

    def part_process(self, date, context=None):
        text = original_part(self, date, context)
        if text and self.get("name") == "year" and _ImplicitSuffix.pending:
            text = str(text) + _ImplicitSuffix.pending
            _ImplicitSuffix.pending = None
        return text

    model.Date.process = process
    model.Date_Part.process = part_process


# -- cite grouping and collapsing --------------------------------------------------------------

class _FirstNames:
    """Cite grouping state of the cite being rendered: whether to capture its first names output
    (``active``), whether to print nothing for them (``suppress``: citeproc-js's
    ``suppress-author``, used by year collapsing), and what they printed."""

    active = False
    suppress = False
    seen = False
    captured: str | None = None


FIRST_NAMES = _FirstNames


def patch_first_names(model) -> None:
    """Capture (and on request suppress) the first ``cs:names`` output of a cite, for cite
    grouping and ``collapse="year"``/``"year-suffix"`` (citeproc-py has no cite grouping)."""
    original = model.Names.render

    def render(self, item, *args, **kwargs):
        out = original(self, item, *args, **kwargs)
        state = _FirstNames
        if state.active and not state.seen and out and not kwargs.get("sort_options"):
            state.seen = True
            state.captured = strip_markers(str(out)).replace(TERM_MARK, "")
            if state.suppress:
                return None
        return out

    model.Names.render = render


#: Every fidelity patch, in installation order.
PATCHES = (patch_initialize, patch_stop_words, patch_position, patch_conditions,
           fidelity_textcase.patch_text_case, patch_text_case,
           patch_author_substitute, patch_page_ranges, fidelity_pages.patch_page_ranges,
           patch_substitute, patch_givenname,
           patch_sort_name_labels, patch_sort_name_and, patch_first_names, patch_et_al_subsequent,
           patch_implicit_year_suffix, patch_empty_label, patch_substituted_names_once,
           patch_substitute_nested_names, patch_sort_name_et_al,
           fidelity_labels.patch_volumes_label, fidelity_labels.patch_name_count,
           fidelity_groups.patch_macro_as_group, fidelity_dates.patch_date_ranges,
           fidelity_numbers.patch_number_hyphens, fidelity_numbers.patch_number_markup,
           fidelity_numbers.patch_embedded_labels,
           fidelity_ordinals.patch_ordinal_gender,
           fidelity_ordinals.patch_ordinal_table,
           fidelity_decorations.patch_explicit_normal, patch_substituted_dates,
           fidelity_groups.patch_name_variables,
           fidelity_citation_label.patch_citation_label,
           fidelity_terms.patch_term_lookup, fidelity_sort_dates.patch_sort_dates)
