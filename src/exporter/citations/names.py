"""The project's own names renderer: ``cs:name`` as citeproc-js renders it.

citeproc-py 0.11.1 renders a name list in one loop (``Name.process``) with one set of options
for every name, and joins the parts of a name with spaces.  citeproc-js differs in ways that
all sit inside that loop, so :func:`patch_names` replaces that one method (a fork of one
method, not of the package), following ``CSL.NameOutput`` of citeproc-js 2.4.63:

* the parts of a name: particles joined without a space after an apostrophe or a hyphen
  ("d’Aubignac", "al-One"), name-part formatting on each part (given and dropping particle,
  family and non-dropping particle) and name-part affixes around the family or given group,
  ``comma-suffix``, names in a non-Latin script in family-given order without a space
  ("我妻栄"), a given name alone never initialised ("Banksy");
* the given name at a level per name -- 0 none, 1 initials, 2 in full -- the style's default
  raised by :data:`LEVELS` (the hook given-name disambiguation can use name by name);
* the list: ``et-al-use-first="0"`` prints nothing, ``et-al-use-first`` is only read from
  the name's own context (a citation's value does not reach the bibliography),
  ``delimiter-precedes-et-al`` / ``-last`` with ``after-inverted-name``, an ``and`` term in a
  non-Latin script joined without spaces (Hebrew "ו");
* sort keys as citeproc-js builds them (particles without apostrophes,
  ``demote-non-dropping-particle``).

Name particles are read from the fields as citeproc-js reads them (:func:`parse_name`).  The
options are still read through ``Name.get_option``, so the fidelity patches that change them
(et-al-subsequent, given-name disambiguation, sort keys) apply unchanged.  ``EXPORTER_CITE_NAMES=0``
leaves citeproc-py's own ``Name.process`` in place (with the other patches).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from .markup import strip_markers

#: citeproc-js's character classes (CSL.ROMANESQUE_REGEXP and friends, 2.4.63).
_ROMAN = ("a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0370-\u03ff\u0400-\u052f\u0590-\u05d4\u05d6-\u05ff"
          "\u1f00-\u1fff\u0600-\u06ff\u200c\u200d\u200e\u0218\u0219\u021a\u021b\u202a-\u202e")
ROMANESQUE = re.compile(f"[-0-9{_ROMAN}]")
STARTS_ROMANESQUE = re.compile(f"^[&{_ROMAN}]")
_PARTICLE_GIVEN = re.compile(r"^([^ ]+(?:\u02bb |\u2019 | |' ) *)(.+)$", re.S)
_PARTICLE_FAMILY = re.compile(r"^([^ ]+(?:-|\u02bb|\u2019| |') *)(.+)$", re.S)
_PARTICLE_FIRST = re.compile(r"^[-'\u02bb\u2019\s]*(.)", re.S)
_JOINING = ("\u2019", "'", "-", " ")


def enabled() -> bool:
    """``EXPORTER_CITE_NAMES`` is unset or not ``0``/``false``/``no``/``off``."""
    return os.environ.get("EXPORTER_CITE_NAMES", "1").strip().lower() not in ("0", "false", "no", "off")


class _Levels:
    """Given-name levels disambiguation asks for, name by name: ``get(variable, index)`` ->
    0/1/2 or None (the style's default).  None when no one asks."""

    get: Callable[[str, int], int | None] | None = None


LEVELS = _Levels


# -- reading names ------------------------------------------------------------------------------

def _split_particles(value: str, given: bool) -> tuple[str, str]:
    """(the name without its particles, the particles), as citeproc-js's ``splitParticles``:
    leading lower-case words of a family name, trailing ones of a given name."""
    original = value
    text = value[::-1] if given else value
    rex = _PARTICLE_GIVEN if given else _PARTICLE_FAMILY
    particles: list[str] = []
    m = rex.match(text)
    while m:
        m1 = m.group(1)[::-1] if given else m.group(1)
        first = _PARTICLE_FIRST.match(m1)
        char = first.group(1) if first else ""
        if not char or char.upper() == char:
            break
        if given:
            particles.append(original[-len(m1):])
            original = original[:-len(m1)]
        else:
            particles.append(original[:len(m1)])
            original = original[len(m1):]
        text = m.group(2)
        m = rex.match(text)
    if given:
        particles.reverse()
        for i in range(1, len(particles)):
            if particles[i][:1] == " ":
                particles[i - 1] += " "
        particles = [p[1:] if p[:1] == " " else p for p in particles]
        return original[:len(text)].strip(), "".join(particles)
    return original[len(original) - len(text):].strip() if text else original.strip(), "".join(particles)


def parse_name(name: dict[str, Any]) -> None:
    """Particles and suffix read from a name's fields in place, as citeproc-js's
    ``parseParticles``: "al-One" is the family name "One" with the particle "al-", "d'Aubignac"
    "Aubignac" with "d'", "François Hédelin d'" the given name "François Hédelin" with the
    dropping particle "d'"; "John,! Jr." the given name "John" with the suffix "Jr." after a
    comma (``comma-suffix``).  Only a name with a family and a given name and no
    non-dropping particle is parsed; a family name in double quotes is taken as it is."""
    family, given = name.get("family"), name.get("given")
    if not isinstance(family, str) or "literal" in name:
        return
    if len(family) > 2 and family[0] == family[-1] == '"':
        name["family"] = family[1:-1]
        return
    if not isinstance(given, str) or not given or name.get("non-dropping-particle") or name.get("static-particles"):
        return
    rest, particle = _split_particles(family, False)
    last = particle[-1:]
    particle = particle.strip()
    if last == " " and particle[-1:] in ("'", "\u2019"):
        particle += " "
    if particle:
        name["family"], name["non-dropping-particle"] = rest, particle
    if not name.get("suffix"):
        m = re.search(r"(\s*,!*\s*)", given)
        if m:
            suffix = given[m.end():]
            if suffix.replace(".", "") == "et al" and not name.get("dropping-particle"):
                pass  # "et al." typed as a name: left as it is
            else:
                if len(m.group(1).replace(" ", "")) == 2:
                    name["comma-suffix"] = True
                name["suffix"] = suffix
                given = given[:m.start()]
                name["given"] = given
    if not name.get("dropping-particle"):
        rest, particle = _split_particles(given, True)
        if particle.strip():
            name["given"], name["dropping-particle"] = rest, particle.strip()


# -- initials -----------------------------------------------------------------------------------

_TAG = "[\ue000-\ue00d\ue00f\ue010]"  # formatting markers of a field value (rich text)
_NAME_SPLIT = re.compile(f"(?:[-\\s]*{_TAG}[-\\s]*|[-\\s]+)")
_NAME_INITIAL = re.compile(
    "^([A-Z\u0e01-\u0e5b\u00c0-\u017f\u0400-\u042f\u0590-\u05d4\u05d6-\u05ff\u0600-\u06ff"
    "\u0370\u0372\u0376\u0386\u0388-\u03ab\u03e2\u03e4\u03e6\u03e8\u03ea\u03ec\u03ee"
    "\u03f4\u03f7\u03fd-\u03ff])([a-zA-Z\u0e01-\u0e5b\u00c0-\u017f\u0400-\u052f\u0600-\u06ff"
    "\u0370-\u03ff\u1f00-\u1fff]*|)(\\.)*")
_LEADING_TAGS = re.compile(f"^{_TAG}*")
_SPACES_END = re.compile("[\t\n\x0b\x0c\r \ufeff\u00a0]+$")
_SPACES = re.compile("[\t\n\x0b\x0c\r ]+")
_HYPHEN = re.compile(r"\s*-\s*")


def _notag(text: str) -> str:
    return _LEADING_TAGS.sub("", text)


def _tagonly(text: str) -> str:
    m = re.search(f"{_TAG}+", text)
    return m.group(0) if m else text


def _mergetag(tagstr: str, new: str) -> str:
    tags = re.findall(f"-*{_TAG}-*", tagstr)
    if not tags:
        return new
    tagstr = "".join(tags)
    m = re.match(r"^(.*[^\s])*(\s+)$", new, re.S)
    if m:
        return (m.group(1) or "") + tagstr + m.group(2)
    return new + tagstr


def initialize_with(name: str, terminator: str, normalize_only: bool, hyphen: bool = True) -> str:
    """A given name with initials, as citeproc-js's ``CSL.Util.Names.initializeWith``
    (``normalize_only``: only initials and abbreviations already there get ``terminator``,
    for ``initialize="false"``).  Formatting markers in the name stay around their letters."""
    if not name:
        return ""
    terminator = terminator or ""
    if name in ("Lord", "Lady") or (not STARTS_ROMANESQUE.match(_notag(name)) and "%s" not in terminator):
        return name
    if not hyphen:
        name = name.replace("-", " ")
    name = _HYPHEN.sub("-", name)
    name = re.sub(r"\s+", " ", name)
    name = re.sub("-([a-z])", "\u2013\\1", name)
    i = len(name) - 2
    while i > -1:
        if name[i] == "." and name[i + 1:i + 2] != " ":
            name = name[:i] + ". " + name[i + 1:]
        i -= 1
    tags = _NAME_SPLIT.findall(name)
    strings = _NAME_SPLIT.split(name)
    namelist = [strings[0]]
    if not tags:
        mmm = re.search(r"[^.]+$", namelist[0])
        if mmm and len(mmm.group(0)) == 1 and mmm.group(0) != mmm.group(0).lower():
            namelist[0] += "."
    for k in range(1, len(strings)):
        namelist.append(tags[k - 1])
        namelist.append(strings[k])
    out = _normalize(namelist, terminator) if normalize_only else _initialize(namelist, terminator)
    return re.sub("\u2013([a-z])", "-\\1", out)


def _normalize(namelist: list[str], terminator: str) -> str:
    abbrev = []
    for k, item in enumerate(namelist):
        bare = _notag(item)
        if len(bare) > 1 and bare[-1] == ".":
            namelist[k] = re.sub(r"^(.*)\.(.*)$", "\\1\\2", item, flags=re.S)
            abbrev.append(True)
        elif len(item) == 1 and item.upper() == item:
            abbrev.append(True)
        else:
            abbrev.append(False)
    n = len(namelist)
    for k in range(0, n, 2):
        if abbrev[k]:
            if k < n - 2:
                namelist[k + 1] = _tagonly(namelist[k + 1])
                if not abbrev[k + 2]:
                    namelist[k + 1] = _tagonly(namelist[k + 1]) + " "
                if len(namelist[k + 2]) > 1:
                    namelist[k + 1] = terminator.rstrip("\ufeff") + namelist[k + 1]
                else:
                    namelist[k + 1] = _mergetag(namelist[k + 1], terminator)
            if k == n - 1:
                namelist[k] = namelist[k] + terminator
    return _tidy("".join(namelist))


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _HYPHEN.sub("-", _SPACES_END.sub("", text)))


def _initialize(namelist: list[str], terminator: str) -> str:
    n = len(namelist)
    for k in range(0, n, 2):
        item = namelist[k]
        if not item:
            continue
        m = _NAME_INITIAL.match(item)
        groups: list[str | None] | None = list(m.groups()) if m else None
        if groups is None and not STARTS_ROMANESQUE.match(item) and len(item) > 1 and "%s" in terminator:
            groups = [item[0], item[1:], None]
        if groups and groups[1] and groups[2]:
            groups[0], groups[1] = (groups[0] or "") + groups[1], ""
        if groups and groups[0] and groups[0][:1] == groups[0][:1].upper():
            extra = ""
            rest = groups[1] or ""
            if rest:
                caps = ""
                for c in rest:
                    if c == c.upper():
                        caps += c
                    else:
                        break
                if len(caps) < len(rest):
                    extra = caps.lower()
            namelist[k] = groups[0] + extra
            if k < n - 1:
                if "%s" in terminator:
                    namelist[k] = terminator.replace("%s", namelist[k], 1)
                elif "-" in namelist[k + 1]:
                    namelist[k + 1] = _mergetag(namelist[k + 1].replace("-", "", 1), terminator) + "-"
                else:
                    namelist[k + 1] = _mergetag(namelist[k + 1], terminator)
            elif "%s" in terminator:
                namelist[k] = terminator.replace("%s", namelist[k], 1)
            else:
                namelist.append(terminator)
        elif ROMANESQUE.search(item) and (not groups or not groups[2]):
            namelist[k] = " " + item
    return _tidy("".join(namelist))


# -- rendering ----------------------------------------------------------------------------------

def _plain(value: Any) -> str:
    return strip_markers(str(value)) if value is not None else ""


def _romanesque(family: str, given: str, language: str) -> int:
    """citeproc-js's ``_isRomanesque``: 0 a name in a non-Latin script (family and given
    joined without a space), 1 mixed (family first), 2 Latin (ordered as the style says)."""
    level = 2
    if not ROMANESQUE.search(family.replace('"', "")):
        level = 0
    if not level and given and STARTS_ROMANESQUE.match(given):
        level = 1
    if level == 2 and language[:2] in ("ja", "zh"):
        level = 1
    return level


def _join(parts: list, delimiter: str):
    from citeproc.string import join

    kept = [p for p in parts if p is not None and _plain(p) != ""]
    if not kept:
        return None
    return join(kept, delimiter)


def _joins_tight(particle) -> bool:
    text = _plain(particle)
    return bool(text) and text[-1] in _JOINING


def _explicit(self, context, sort_options, name: str) -> bool:
    """Whether ``name`` is set on the cs:name, its cs:citation/cs:bibliography, cs:style or
    in the sort key (citeproc-js does not carry a citation's et-al options to the
    bibliography, citeproc-py's defaults do)."""
    if sort_options and name in sort_options:
        return True
    if self.get(name) is not None:
        return True
    holder = context if context is not None else self
    parent = holder.xpath_search("./ancestor::*[self::cs:citation or self::cs:bibliography][1]")
    if parent and parent[0].get(name) is not None:
        return True
    return self.get_root().get(name) is not None


class _Part:
    """A cs:name-part (or none): its formatting and text case, and its affixes apart."""

    def __init__(self, element, language: str) -> None:
        self.element = element
        self.language = language

    def decor(self, text):
        if text is None or self.element is None:
            return text
        try:
            text = self.element.case(text, self.language)
        except TypeError:
            text = self.element.case(text)
        return self.element.format(text)

    def wrap(self, text):
        if text is None or self.element is None:
            return text
        return self.element.wrap(text)


#: Whether :func:`patch_names` installed the renderer in this process (records are then read
#: with :func:`parse_name`).
INSTALLED = False


#: The names the last rendering of each variable showed (``fidelity.SAS.shown``, bound when the
#: renderer is installed).
_SHOWN: dict[str, list] = {}


def patch_names(model) -> None:
    """Replace ``Name.process`` by :func:`render_names` (see the module docstring), unless
    ``EXPORTER_CITE_NAMES=0``."""
    global INSTALLED
    if not enabled():
        return
    from .fidelity import SAS

    global _SHOWN
    _SHOWN = SAS.shown
    model.Name.process = render_names
    _patch_done_in_substitute(model)
    INSTALLED = True


def _patch_done_in_substitute(model) -> None:
    """A names variable printed while a ``cs:substitute`` renders -- in a macro it calls too --
    is done for the rest of the entry at once, as citeproc-js's ``done_vars``: a second
    ``cs:names`` of it in the same macro prints nothing ("John Doe ed.", not "John Doe
    ed.John Doe editor").  (The fidelity patches only knew a cs:names inside the substitute
    element itself.)"""
    from .fidelity import RECORDER

    original = model.Names.process
    names_tag = "{http://purl.org/net/xbiblio/csl}names"

    def process(self, item, names_context=None, context=None, **kwargs):
        text = original(self, item, names_context=names_context, context=context, **kwargs)
        if text and RECORDER.stack and not kwargs.get("sort_options") and self.find(
                "cs:substitute", self.nsmap) is None:
            layout = (context if context is not None else self).get_layout()
            layout.repressed.setdefault(names_tag, []).append(self.get("variable"))
        return text

    model.Names.process = process


def render_names(self, item, variable, context=None, sort_options=None, **kwargs):
    """``cs:name`` of one names variable of ``item``, as citeproc-js renders it."""
    def option(name):
        return self.get_option(name, context, sort_options)

    names = list(item.reference.get(variable, []) or [])
    form = option("form")
    and_ = option("and")
    delimiter = option("delimiter")
    if delimiter is None:
        delimiter = ", "
    et_al_min = option("et-al-min")
    et_al_use_first = option("et-al-use-first")
    if not _explicit(self, context, sort_options, "et-al-use-first") and not _explicit(
            self, context, sort_options, "et-al-subsequent-use-first"):
        et_al_min = 0  # citeproc-js shortens nothing without et-al-use-first
    et_al_use_last = option("et-al-use-last")
    truncate = bool(len(names) > 1 and et_al_min and len(names) >= et_al_min)
    if form == "count":
        return min(len(names), et_al_use_first) if truncate else len(names)
    if truncate and et_al_use_first == 0:
        return None
    use_last = truncate and et_al_use_last and et_al_use_first <= et_al_min - 2
    if truncate:
        names = names[:et_al_use_first] + ([names[-1]] if use_last else [])
    if not sort_options:
        _SHOWN[variable] = names

    language = str(item.reference.get("language") or "")
    parts = {"given": _Part(None, language), "family": _Part(None, language)}
    for element in self.findall("cs:name-part", self.nsmap):
        if element.get("name") in parts:
            parts[element.get("name")] = _Part(element, language)
    settings = {
        "form": form,
        "initialize_with": option("initialize-with"),
        "as_sort": option("name-as-sort-order"),
        "sort_separator": option("sort-separator"),
        "demote": option("demote-non-dropping-particle"),
        "sorting": bool(sort_options),
        "initialize": str(option("initialize")).lower() != "false",
        "hyphen": bool(option("initialize-with-hyphen")),
        "language": language,
    }
    output = []
    inverted = []
    for i, name in enumerate(names):
        text, is_inverted = _render_one(self, name, i, variable, settings, parts, context)
        if text is not None and _plain(text) != "":
            output.append(text)
            inverted.append(is_inverted)
    if not output:
        return None

    et_al = self.et_al() if truncate else None
    if truncate and et_al is not None and _plain(et_al) != "":
        shown = [o for o in output if o is not None]
        if use_last:
            ellipsis = self.unicode_character("horizontal ellipsis")
            return _join(shown[:-1], delimiter) + delimiter + ellipsis + " " + shown[-1]
        rule = option("delimiter-precedes-et-al")
        romanesque = bool(STARTS_ROMANESQUE.match(_plain(et_al)))
        space = " " if romanesque else ""
        if rule == "always":
            between = delimiter
        elif rule == "never":
            between = space
        elif rule == "after-inverted-name":
            between = delimiter if inverted[len(shown) - 1] else space
        else:
            between = delimiter if len(shown) > 1 else space
        return _join(shown, delimiter) + between + et_al
    shown = [o for o in output if o is not None]
    if and_ is None or len(shown) < 2:
        return _join(shown, delimiter)
    and_term = self.get_single_term(name="and") if and_ == "text" else self.preformat("&")
    romanesque = bool(STARTS_ROMANESQUE.match(_plain(and_term)))
    single = " " if romanesque else ""
    multiple = delimiter if romanesque else ""
    suffix = " " if romanesque else ""
    rule = option("delimiter-precedes-last")
    if rule == "always":
        single = delimiter
    elif rule == "never":
        if multiple:
            multiple = " "
    elif rule == "after-inverted-name":
        # the delimiter only after an inverted name (citeproc-js's _getAfterInvertedName)
        single = multiple = delimiter if inverted[len(shown) - 2] else (" " if romanesque else "")
    before = single if len(shown) == 2 else multiple
    head = _join(shown[:-1], delimiter)
    return head + before + and_term + suffix + shown[-1]


def _level(self, name_index: int, variable: str, settings: dict, context) -> int:
    """The given-name level of a name: 0 (none), 1 (initials), 2 (in full)."""
    if settings["form"] != "long":
        default = 0
    elif settings["initialize_with"] is not None:
        default = 1
    else:
        default = 2
    if LEVELS.get is not None and not settings["sorting"]:
        asked = LEVELS.get(variable, name_index)
        if asked is not None and asked > default:
            return asked
    return default


def _render_one(self, name, i: int, variable: str, settings: dict, parts: dict, context):
    """One name: (its text, whether it is inverted)."""
    given_part, family_part = parts["given"], parts["family"]
    if "literal" in name:  # an institution: the family name-part's formatting, not its affixes
        return family_part.decor(name["literal"]), False
    given = name.get("given")
    family = name.get("family")
    dp = name.get("dropping-particle")
    ndp = name.get("non-dropping-particle")
    suffix = name.get("suffix")
    sorting = settings["sorting"]
    if sorting:
        dp = dp.replace("'", "", 1).replace("\u2019", "", 1) if dp else dp
        ndp = ndp.replace("'", "", 1).replace("\u2019", "", 1) if ndp else ndp
    level = _level(self, i, variable, settings, context)
    if level == 0:
        given = dp = suffix = None
    elif given and family and level == 1 and settings["initialize_with"] is not None:
        given = initialize_with(str(given), settings["initialize_with"], not settings["initialize"],
                                settings["hyphen"])
    if suffix and settings["initialize_with"] is not None:
        suffix = initialize_with(str(suffix), settings["initialize_with"], True, settings["hyphen"])
    if given is not None and _plain(given) == "":
        given = None
    if family is None or _plain(family) == "":
        family = None
    romanesque = _romanesque(_plain(family), _plain(given), settings["language"])
    tight = _joins_tight(ndp)

    given_d = given_part.decor(given)
    dp_d = given_part.decor(dp)
    family_d = family_part.decor(family)
    ndp_d = family_part.decor(ndp)

    if romanesque == 0:
        return _join([ndp_d, family_d, given_d], ""), False
    if romanesque == 1 or name.get("static-ordering"):
        merged = _join([ndp_d, family_d], " ")
        return _join([merged, given_d], " "), False
    if sorting:
        if settings["demote"] == "never":
            merged = _join([ndp_d, family_d], "" if tight else " ")
            merged = _join([merged, dp_d], " ")
            merged = _join([merged, given_d], " ")
        else:
            second = _join([given_d, dp_d, ndp_d], " ")
            merged = _join([family_d, second], " ")
        return _join([merged, suffix], " "), False
    as_sort = settings["as_sort"]
    if as_sort == "all" or (as_sort == "first" and i == 0):
        separator = settings["sort_separator"] or ""
        if _plain(given) in ("Lord", "Lady"):
            separator = ", "
        if settings["demote"] in ("always", "display-and-sort"):
            second = _join([given_d, dp_d], " ")
            second = _join([second, ndp_d], " ")
            second = given_part.wrap(second)
            first = family_part.wrap(family_d)
        else:
            first = family_part.wrap(_join([ndp_d, family_d], "" if tight else " "))
            second = given_part.wrap(_join([given_d, dp_d], " "))
        merged = _join([first, second], separator)
        return _join([merged, suffix], separator), True
    if dp and family and not ndp:
        plain_dp = _plain(dp)
        if plain_dp[-1:] in ("'", "\u02bc", "\u2019", "-") and plain_dp[:-1] != "de":
            family_d = _join([dp_d, family_d], "")
            dp_d = None
    if tight:
        second = _join([dp_d, _join([ndp_d, family_d], "")], " ")
    else:
        second = _join([dp_d, ndp_d, family_d], " ")
    second = _join([second, suffix], ", " if name.get("comma-suffix") else " ")
    second = family_part.wrap(second)
    given_w = given_part.wrap(given_d)
    return _join([given_w, second], " "), False
