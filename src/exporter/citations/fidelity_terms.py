"""Fidelity patch: locale terms looked up as citeproc-js looks them up (one unit, installed by
:mod:`.fidelity`'s ``PATCHES``).

citeproc-js builds one table of terms per output locale: the locale file of the language's
primary dialect (``en-US`` for ``en-GB``), the chosen dialect's file over it, then the style's
``cs:locale`` elements (no language, the bare language, the dialect) over those, each term and
form replacing the one before.  A form the table lacks falls back to a longer one of the same
table (``verb-short`` -> ``verb`` -> ``long``, ``symbol`` -> ``short`` -> ``long``,
``short`` -> ``long``).  It never reads ``en-US`` for another language.

citeproc-py searched its list of locales form by form without falling back to the long form, and
ended every list with ``en-US``: under ``ru-RU`` a short term that ``ru-RU`` has only in its long
form came out in English from ``en-US`` (Oxford's "orig. pub." where citeproc-js prints the
Russian file's "original work published"), and a short form no file has printed nothing.
"""

from __future__ import annotations

_FORMS = {"symbol": ("symbol", "short", None), "verb-short": ("verb-short", "verb", None),
          "short": ("short", None), "verb": ("verb", None)}
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _language(tag: str | None) -> str:
    return (tag or "").split("-")[0].lower()


def citeproc_js_locales(style) -> list:
    """The style's locales citeproc-js would merge for its output locale, most specific first:
    the style's own ``cs:locale`` elements, then the locale files of the output language only
    (``en-US`` is dropped unless the language is English)."""
    locales = list(style.locales)
    files = [loc for loc in locales if loc.getparent() is None]  # the style's own have it as parent
    if not files:
        return locales
    language = _language(files[0].get(_LANG))
    return [loc for loc in locales if loc not in files or _language(loc.get(_LANG)) == language]


def patch_term_lookup(model) -> None:
    """``get_term`` merges locales and falls back across forms as citeproc-js does (see the
    module docstring).  Ordinal look-ups (which ask for the style's own locale only, with
    ``fallback_locale=False``) and look-ups inside a locale file keep citeproc-py's path."""
    original = model.CitationStylesElement.get_term
    chains: dict[int, tuple[list, list]] = {}  # id(style) -> (its locale list, the chain)

    def get_term(self, name, form=None, fallback_locale=True, zero_padded=False):
        root = self.get_root()
        if not fallback_locale or isinstance(root, model.Locale) or getattr(root, "locales", None) is None:
            return original(self, name, form, fallback_locale, zero_padded)
        entry = chains.get(id(root))
        if entry is None or entry[0] is not root.locales:  # set anew for each output locale
            entry = chains[id(root)] = (root.locales, citeproc_js_locales(root))
        locales = entry[1]
        for each in _FORMS.get(form, (form,) if form is None else (form, None)):
            for locale in locales:
                try:
                    return locale.get_term(name, each, zero_padded=zero_padded)
                except IndexError:
                    continue
        return None

    model.CitationStylesElement.get_term = get_term


_NS = "{http://purl.org/net/xbiblio/csl}"
_LINE_BREAK = __import__("re").compile(r"\r\n|\n|\r")


def style_term_text(root) -> None:
    """The style's own terms as citeproc-js reads them: its XML parser turns line breaks into
    spaces and drops the white space between two tags (``CSL.parseXml``), so a term written
    over lines with nothing in it ("<term name="and others">⏎  </term>") is empty, not white
    space.  Applied once when the style is loaded."""
    for tag in ("term", "single", "multiple"):
        for node in root.iter(_NS + tag):
            text = node.text
            if text is None:
                continue
            text = _LINE_BREAK.sub(" ", text)
            node.text = "" if not text.strip(" \t") and (len(node) == 0 or tag != "term") else text
